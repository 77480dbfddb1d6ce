package io.forksim.mm;

import io.forksim.arch.ArchVariant;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A concurrent machine counts each thread's work into that thread's own {@link Machine#events()}: creating a
 * process counts its PGD page on the creating thread, exiting it counts the free on the exiting thread, and
 * {@link Machine#eventsTotal()} balances. (A PGD counted into one instance shared by the threads lost an
 * increment when two threads forked at once: ForkTreeTest's rare "table pages freed 315 = allocated 314".)
 */
class ConcurrentEventsTest
{
    static Machine concurrentMachine()
    {
        return new Machine(Machine.Config.of(ArchVariant.X86_64, 64L << 20).withConcurrent(true));
    }

    /** Runs {@code body} on a new thread of its own (its own per-thread events) and returns its result. */
    static <T> T onItsOwnThread(final Callable<T> body) throws Exception
    {
        final ExecutorService ex = Executors.newSingleThreadExecutor();
        try
        {
            return ex.submit(body).get();
        }
        finally
        {
            ex.shutdown();
        }
    }

    @Test
    void newProcessCountsItsPgdPageOnTheCreatingThread() throws Exception
    {
        try (Machine m = concurrentMachine())
        {
            final Events mainBefore = m.events().copy();
            final Mm mm = onItsOwnThread(() ->
            {
                final Mm p = m.newProcess();
                assertThat(m.events().ptPagesAlloc).as("the creating thread's table pages").isEqualTo(1);
                return p;
            });
            assertThat(m.events()).as("another thread's events").isEqualTo(mainBefore);
            final Events exiting = onItsOwnThread(() ->
            {
                mm.exit();
                return m.events().copy();
            });
            assertThat(exiting.ptPagesAlloc).isZero();
            assertThat(exiting.ptPagesFree).as("the exiting thread frees the PGD page").isEqualTo(1);
            final Events total = m.eventsTotal();
            assertThat(total.ptPagesAlloc).isEqualTo(1);
            assertThat(total.ptPagesFree).isEqualTo(1);
        }
    }

    @Test
    void aSingleThreadedMachineCountsEverythingIntoItsOneInstance()
    {
        try (Machine m = new Machine(Machine.Config.of(ArchVariant.X86_64, 64L << 20)))
        {
            final Events ev = m.events();
            m.newProcess().exit();
            assertThat(m.events()).isSameAs(ev);
            assertThat(ev.ptPagesAlloc).isEqualTo(1);
            assertThat(ev.ptPagesFree).isEqualTo(1);
            assertThat(m.eventsTotal()).isEqualTo(ev);
        }
    }

    /**
     * Two threads create and exit processes as fast as they can: every table page counted once, the totals
     * balance. A stress check, not a reliable reproducer: before the fix one of two 20-round runs lost 2844 of
     * 40000 allocations in one round, the other lost none (the deterministic check is the test above).
     */
    @Tag("soak")
    @Test
    void twoThreadsCreatingAndExitingProcessesBalanceTheTableCounts() throws Exception
    {
        for (int round = 0; round < 20; round++)
        {
            try (Machine m = concurrentMachine())
            {
                final CyclicBarrier start = new CyclicBarrier(2);
                final Callable<Void> body = () ->
                {
                    start.await();
                    for (int i = 0; i < 20_000; i++)
                    {
                        m.newProcess().exit();
                    }
                    return null;
                };
                final ExecutorService ex = Executors.newFixedThreadPool(2);
                try
                {
                    final Future<Void> a = ex.submit(body);
                    final Future<Void> b = ex.submit(body);
                    a.get();
                    b.get();
                }
                finally
                {
                    ex.shutdown();
                }
                final Events total = m.eventsTotal();
                assertThat(total.ptPagesAlloc).as("round %d: table pages allocated", round).isEqualTo(40_000);
                assertThat(total.ptPagesFree).as("round %d: table pages freed", round).isEqualTo(40_000);
            }
        }
    }
}
