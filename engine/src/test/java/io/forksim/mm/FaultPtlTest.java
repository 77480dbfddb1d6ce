package io.forksim.mm;

import io.forksim.arch.ArchVariant;
import io.forksim.pgtable.PageTableLocks;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.consistent;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PTE table lock of a fault on a concurrent x86_64 machine: a fault that allocates the PTE table maps the page
 * under that table's PTL (do_anonymous_page: pte_offset_map_lock), so it waits while another thread holds it.
 */
class FaultPtlTest
{
    private static Machine concurrent()
    {
        return new Machine(new Machine.Config(ArchVariant.of("x86_64"), 64 * MIB, 64 * MIB, true, true));
    }

    /** The PFN of the PTE table the first fault at {@code A} allocates (allocation is deterministic). */
    private static long firstTableAtA()
    {
        try (Machine m = concurrent())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.write(A, 1);
            return Tables.lookup(m, mm, A).table;
        }
    }

    @Test
    void aFaultThatAllocatesThePteTableWaitsForThatTablesLock() throws Exception
    {
        final long table = firstTableAtA();
        try (Machine m = concurrent())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            final PageTableLocks ptl = m.pageTables().ptl();
            final ExecutorService holder = Executors.newSingleThreadExecutor();
            final CompletableFuture<Void> release = new CompletableFuture<>();
            try
            {
                final CompletableFuture<Void> held = new CompletableFuture<>();
                final Future<?> holding = holder.submit(() ->
                {
                    ptl.lock(table);
                    try
                    {
                        held.complete(null);
                        release.join();
                    }
                    finally
                    {
                        ptl.unlock(table);
                    }
                });
                held.join();
                final Thread faulting = new Thread(() -> mm.write(A, 7), "fault");
                faulting.start();
                while (faulting.isAlive() && faulting.getState() != Thread.State.WAITING)
                {
                    Thread.onSpinWait();
                }
                assertThat(faulting.isAlive()).as("the fault waits for the PTL held by the other thread").isTrue();
                assertThat(mm.peekPte(A) & 1).as("nothing mapped yet").isZero();
                release.complete(null);
                holding.get();
                faulting.join();
            }
            finally
            {
                release.complete(null);
                holder.shutdownNow();
            }
            assertThat(Tables.lookup(m, mm, A).table).isEqualTo(table);
            assertThat(mm.read(A)).isEqualTo(7);
            assertThat(ptl.heldByCurrentThread(table)).isFalse();
            consistent(m);
        }
    }
}
