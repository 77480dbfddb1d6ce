package io.forksim.harness;

import io.forksim.arch.Arch;
import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.mem.MemMap;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The race the concurrent machine exists for, made deterministic in its outcome: two children of one parent
 * write every page of the parent's memory at the same time on two threads (so they COW-fault the same folios,
 * dropping references and mappings of the same records, and for large folios taking the same large-mapcount
 * lock), while the parent forks again and again on a third thread (adding references and mappings to those
 * folios). Whatever the interleaving, the end state is exact: each child owns a private copy of every page;
 * the parent's folios are referenced and mapped exactly by the parent and its last child; every thread's own
 * events count exactly its own work.
 */
class SharedFolioRaceTest
{
    static final long BASE = 1L << 32;
    static final long SIZE = 8L << 20;
    static final int PAGES = (int)(SIZE >>> Arch.PAGE_SHIFT);
    static final int ROUNDS = 4;
    static final int PARENT_FORKS = 4;

    static Stream<Arguments> cases()
    {
        return Stream.of(
            Arguments.of("x86_64", StrategyChoice.LEGACY, 0),
            Arguments.of("x86_64", StrategyChoice.FOLIO_BATCH, 0),
            Arguments.of("x86_64", StrategyChoice.LEGACY, 9),
            Arguments.of("x86_64", StrategyChoice.FOLIO_BATCH, 9),
            Arguments.of("x86_64", StrategyChoice.ARCH_BATCH, 4),
            Arguments.of("arm64", StrategyChoice.FOLIO_BATCH, 0),
            Arguments.of("arm64", StrategyChoice.FOLIO_BATCH, 4),
            Arguments.of("arm64", StrategyChoice.ARCH_BATCH, 9),
            Arguments.of("arm64", StrategyChoice.CONTPTE_BASIC, 4));
    }

    @ParameterizedTest(name = "{0} {1} order-{2}")
    @MethodSource("cases")
    void twoChildrenCowTheSameFoliosWhileTheParentForksAgain(final String archName, final StrategyChoice strategy, final int order)
        throws Exception
    {
        final Machine.Config cfg = Machine.Config.of(strategy.variant(archName), 256L << 20).withConcurrent(true);
        try (Machine m = new Machine(cfg))
        {
            final Arch arch = m.arch();
            final MemMap memmap = m.memmap();
            final long initialFree = m.phys().freePageCount();
            final Mm parent = m.newProcess();
            parent.mmap(BASE, SIZE, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            parent.populate(BASE, SIZE, order);
            final long[] pfn = new long[PAGES];
            final long[] token = new long[PAGES];
            for (int i = 0; i < PAGES; i++)
            {
                pfn[i] = arch.ptePfn(parent.peekPte(addr(i)));
                token[i] = memmap.token(pfn[i]);
            }
            final long tablesPerProcess = 3 + (SIZE >>> 21); // PGD, PUD, PMD + one PTE table per 2 MiB
            final int nr = 1 << order;

            for (int round = 0; round < ROUNDS; round++)
            {
                final Mm c1 = Fork.fork(parent, strategy.strategy());
                final Mm c2 = Fork.fork(parent, strategy.strategy());
                final long[] tokA = new long[PAGES];
                final long[] tokB = new long[PAGES];
                for (int i = 0; i < PAGES; i++)
                {
                    tokA[i] = m.newToken();
                    tokB[i] = m.newToken();
                }
                final boolean descendingB = (round & 1) == 1; // even rounds: both ascending, head to head
                final CyclicBarrier start = new CyclicBarrier(3);
                final AtomicReference<Throwable> failure = new AtomicReference<>();
                final Events[] ev = new Events[2];
                final Thread a = new Thread(() -> writeAll(m, c1, tokA, false, start, failure, ev, 0), "child-A");
                final Thread b = new Thread(() -> writeAll(m, c2, tokB, descendingB, start, failure, ev, 1), "child-B");
                a.start();
                b.start();
                start.await(30, TimeUnit.SECONDS);
                Mm c3 = null;
                for (int k = 0; k < PARENT_FORKS; k++)
                {
                    final Mm c = Fork.fork(parent, strategy.strategy()); // the parent forks again while A and B fault
                    if (c3 != null)
                    {
                        c3.exit();
                    }
                    c3 = c;
                }
                a.join(60_000);
                b.join(60_000);
                assertThat(a.isAlive() || b.isAlive()).as("writers finished").isFalse();
                assertThat(failure.get()).as("writer failure").isNull();

                // each writer's own events: exactly one fault and one COW copy (new order-0 folio) per page
                for (final Events e : ev)
                {
                    assertThat(e.faults).isEqualTo(PAGES);
                    assertThat(e.cowCopies).isEqualTo(PAGES);
                    assertThat(e.cowReuses).isZero();
                    assertThat(e.foliosAllocated).isEqualTo(PAGES);
                    assertThat(e.foliosFreed).isZero(); // the parent keeps every old folio alive
                    assertThat(e.ptPagesAlloc).isZero();
                }

                // the children: private, exclusive copies with their own contents
                for (int i = 0; i < PAGES; i++)
                {
                    final long p1 = arch.ptePfn(c1.peekPte(addr(i)));
                    final long p2 = arch.ptePfn(c2.peekPte(addr(i)));
                    assertThat(p1).isNotEqualTo(pfn[i]).isNotEqualTo(p2);
                    assertThat(p2).isNotEqualTo(pfn[i]);
                    for (final long p : new long[] {p1, p2})
                    {
                        assertThat(memmap.order(p)).isZero();
                        assertThat(memmap.rawRefcount(p)).as("child copy refcount").isEqualTo(1);
                        assertThat(memmap.rawMapcount(p)).as("child copy mapcount").isEqualTo(1);
                        assertThat(memmap.testAnonExclusive(p)).isTrue();
                    }
                    assertThat(memmap.token(p1)).isEqualTo(tokA[i]);
                    assertThat(memmap.token(p2)).isEqualTo(tokB[i]);
                    assertThat(arch.ptePfn(parent.peekPte(addr(i)))).isEqualTo(pfn[i]);
                    assertThat(arch.ptePfn(c3.peekPte(addr(i)))).isEqualTo(pfn[i]);
                    assertThat(memmap.token(pfn[i])).isEqualTo(token[i]);
                }
                // the parent's folios: referenced and mapped by exactly the parent and its last child
                for (int i = 0; i < PAGES; i += nr)
                {
                    final long head = pfn[i];
                    assertThat(memmap.rawRefcount(head)).as("refcount of folio %d", head).isEqualTo(2 * nr);
                    assertThat(memmap.rawMapcount(head)).as("(large_)mapcount of folio %d", head).isEqualTo(2 * nr);
                    if (order != 0)
                    {
                        assertThat(memmap.folioMmIdMapcount(head, parent.id())).isEqualTo(nr);
                        // two processes map it: maybe-shared. The last child's slot counts all its mappings if a
                        // slot was free when it mapped the folio, none if both were taken throughout, and only the
                        // later batches if a writer freed a slot in the middle of its fork (the kernel's corner case)
                        assertThat(memmap.folioMmIdsShared(head)).as("maybe-shared bit of folio %d", head).isTrue();
                        assertThat(memmap.folioMmIdMapcount(head, c3.id())).as("MM-ID slot of the last child on folio %d", head)
                            .isBetween(0, nr);
                    }
                }
                // exact page accounting: parent's folios, two private copies of everything, four processes' tables
                assertThat(m.phys().freePageCount())
                    .isEqualTo(initialFree - PAGES - 2L * PAGES - 4 * tablesPerProcess);
                InvariantChecker.check(m);

                c1.exit();
                c2.exit();
                c3.exit();
                for (int i = 0; i < PAGES; i += nr)
                {
                    assertThat(memmap.rawRefcount(pfn[i])).isEqualTo(nr);
                    assertThat(memmap.rawMapcount(pfn[i])).isEqualTo(nr);
                }
                assertThat(m.phys().freePageCount()).isEqualTo(initialFree - PAGES - tablesPerProcess);
                InvariantChecker.check(m);
            }
            parent.exit();
            InvariantChecker.leakCheck(m, initialFree);
            final Events total = m.eventsTotal();
            assertThat(total.foliosFreed).isEqualTo(total.foliosAllocated);
            assertThat(total.cowCopies).isEqualTo(2L * ROUNDS * PAGES);
        }
    }

    static long addr(final int i)
    {
        return BASE + ((long)i << Arch.PAGE_SHIFT);
    }

    private static void writeAll(final Machine m, final Mm child, final long[] tokens, final boolean descending,
        final CyclicBarrier start, final AtomicReference<Throwable> failure, final Events[] ev, final int slot)
    {
        try
        {
            final Events before = m.events().copy();
            start.await(30, TimeUnit.SECONDS);
            for (int k = 0; k < PAGES; k++)
            {
                final int i = descending ? PAGES - 1 - k : k;
                child.write(addr(i), tokens[i]);
            }
            ev[slot] = m.events().minus(before);
        }
        catch (final Throwable t)
        {
            failure.compareAndSet(null, t);
        }
    }
}
