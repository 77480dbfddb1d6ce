package io.forksim.model;

import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static io.forksim.model.Op.ANON;
import static io.forksim.model.Op.PROT_R;
import static io.forksim.model.Op.PROT_W;
import static io.forksim.model.Op.dma;
import static io.forksim.model.Op.fault;
import static io.forksim.model.Op.fork;
import static io.forksim.model.Op.madvise;
import static io.forksim.model.Op.mmap;
import static io.forksim.model.Op.mremap;
import static io.forksim.model.Op.newProcess;
import static io.forksim.model.Op.oomAfter;
import static io.forksim.model.Op.pin;
import static io.forksim.model.Op.populate;
import static io.forksim.model.Op.read;
import static io.forksim.model.Op.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Simulated RAM running out in the middle of an operation (issue 8). With the allocator's failure injection
 * ({@code PhysMem.failAllocationsAfter(n)}) the n-th page allocation of one operation fails, for every n from 0
 * until the operation has all it needs: populate, every kind of fault (anon, zero page, page cache, COW copy of an
 * anon/zero/file page, swap-in alone and with a COW copy), a pin that must COW, mremap's destination tables, a
 * new process, and fork (its page-table pages and the eager copies of pinned pages, large and small, under every
 * strategy on both arches). Each failure must be an {@link OutOfSimulatedMemoryException} with a clear message; a
 * failed operation must leave the machine exactly as it was (fork: no child left, the parent's every page
 * unchanged to its user; a pin: the faults it completed stay, see {@link FailedPinTest}); invariants hold throughout; the model comparison holds; and after everything exits the
 * free page count is back to its initial value ({@link ModelRun} checks all of this after every step).
 * One test runs genuinely small RAM dry without injection.
 */
class ExhaustionTest
{
    static final long A = 0x3fe0_0000L;   // 1 GiB - 2 MiB: the layouts straddle the PUD boundary at 1 GiB
    static final long G = 0x4000_0000L;   // 1 GiB
    static final long PAGE = 4096;

    /**
     * Runs {@code prefix}, then {@code target} with allocation failure injected after n = 0, 1, 2, ... allocations
     * until it succeeds, then {@code suffix} and the teardown: each n on a fresh machine.
     *
     * @return the number of allocations {@code target} needs (the n at which it succeeded)
     */
    static int sweep(final ModelRun.Setup setup, final List<Op> prefix, final Op target, final List<Op> suffix)
    {
        for (int n = 0; n < 2000; n++)
        {
            try (ModelRun r = new ModelRun(setup))
            {
                final List<Op> ops = new ArrayList<>(prefix);
                ops.add(oomAfter(n));
                ops.add(target);
                ops.addAll(suffix);
                for (int i = 0; i < ops.size(); i++)
                {
                    final ModelRun.Failure f = r.step(i, ops.get(i));
                    assertThat(f).as("n = %d: %s", n, f == null ? "" : Explorer.report(setup, n, ops, f, ops.size(), 0)).isNull();
                    if (i < prefix.size())
                    {
                        assertThat(r.stats.keySet()).as("the prefix must not run out of memory or be refused: %s", r.stats)
                            .allMatch(k -> k.startsWith("OK "));
                    }
                }
                final ModelRun.Failure f = r.teardown(ops.size());
                assertThat(f).as("n = %d: %s", n, f).isNull();
                if (r.stats.getOrDefault("OOM " + target.k(), 0) == 0)
                {
                    assertThat(r.stats.getOrDefault("OK " + target.k(), 0)).as("%s after %d allocations: %s", target, n, r.stats)
                        .isPositive();
                    return n;
                }
            }
        }
        throw new AssertionError(target + " still fails after 2000 allocations");
    }

    static ModelRun.Setup setup(final String arch)
    {
        return ModelRun.Setup.of(arch, false, 8L << 20, 1L << 20);
    }

    // ------------------------------------------------------------------ populate

    @ParameterizedTest(name = "{0} order {1}")
    @CsvSource({"x86_64, 0", "x86_64, 4", "x86_64, 9", "arm64, 0", "arm64, 4", "arm64, 9"})
    void populate_(final String arch, final int order)
    {
        // anon below and above 1 GiB: upper-level tables on both sides, two PTE tables
        final long len = order == 9 ? 2 * (2L << 20) : order == 4 ? 4 * 16 * PAGE : 24 * PAGE;
        final long start = G - len / 2;
        final int k = sweep(setup(arch), List.of(mmap(0, A - (2L << 20), 8L << 20, PROT_R | PROT_W, false, ANON, 0)),
            populate(0, start, len, order), List.of(read(0, start), write(0, start + len - PAGE, 0x77)));
        // a PUD, 2 PMD (below and above 1 GiB) and 2 PTE tables, then the folios
        assertThat(k).isEqualTo(5 + (int)(len / (PAGE << order)));
    }

    @Test
    void populateShared()
    {
        // shmem and a regular file: page-cache pages, one per page, plus the tables
        final int k = sweep(setup("x86_64"), List.of(mmap(0, A, 8 * PAGE, PROT_R | PROT_W, true, ANON, 0),
                mmap(0, A + 8 * PAGE, 8 * PAGE, PROT_R | PROT_W, true, 0, 16 * PAGE), mmap(0, G, 4 * PAGE, PROT_R, true, 0, 0)),
            populate(0, A, 16 * PAGE, 0), List.of(read(0, G), fork(0, Strategy.FOLIO_BATCH)));
        assertThat(k).isEqualTo(3 + 16);
    }

    // ------------------------------------------------------------------ faults

    private static final List<Op> ANON_VMA = List.of(mmap(0, G - 8 * PAGE, 32 * PAGE, PROT_R | PROT_W, false, ANON, 0));

    @ParameterizedTest(name = "{0}")
    @CsvSource({"x86_64", "arm64"})
    void anonFaults(final String arch)
    {
        final ModelRun.Setup s = setup(arch);
        // write fault into an empty address space: PUD, PMD, PTE table, the folio
        assertThat(sweep(s, ANON_VMA, fault(0, G, true), List.of(read(0, G)))).isEqualTo(4);
        assertThat(sweep(s, ANON_VMA, write(0, G - PAGE, 0x42), List.of(read(0, G - PAGE)))).isEqualTo(4);
        // read fault: the zero page needs only the tables
        assertThat(sweep(s, ANON_VMA, read(0, G), List.of(write(0, G, 1)))).isEqualTo(3);
        // COW of the zero page: one page
        assertThat(sweep(s, append(ANON_VMA, read(0, G)), write(0, G, 0x43), List.of(read(0, G)))).isEqualTo(1);
        // COW of a shared anon page after fork, in the child and in the parent
        final List<Op> forked = List.of(ANON_VMA.get(0), populate(0, G, 4 * PAGE, 0), fork(0, Strategy.LEGACY));
        assertThat(sweep(s, forked, write(1, G, 0x44), List.of(read(0, G), read(1, G)))).isEqualTo(1);
        assertThat(sweep(s, forked, fault(0, G + PAGE, true), List.of(write(0, G + PAGE, 5), read(1, G + PAGE)))).isEqualTo(1);
        // COW of one page of a shared large folio
        final List<Op> large = List.of(ANON_VMA.get(0), populate(0, G, 16 * PAGE, 4), fork(0, Strategy.FOLIO_BATCH));
        assertThat(sweep(s, large, write(0, G + 3 * PAGE, 0x45), List.of(read(1, G + 3 * PAGE)))).isEqualTo(1);
        // a pin that has to unshare first
        assertThat(sweep(s, forked, pin(0, G + 2 * PAGE), List.of(dma(0, 0, 0x46), read(1, G + 2 * PAGE)))).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"x86_64", "arm64"})
    void swapIn(final String arch)
    {
        final ModelRun.Setup s = setup(arch);
        final List<Op> out = List.of(ANON_VMA.get(0), populate(0, G, 4 * PAGE, 0), madvise(0, G, 4 * PAGE, Advice.PAGEOUT));
        // exclusive swap entry: one page, read or write
        assertThat(sweep(s, out, read(0, G), List.of(write(0, G, 1)))).isEqualTo(1);
        assertThat(sweep(s, out, write(0, G + PAGE, 0x51), List.of(read(0, G + PAGE)))).isEqualTo(1);
        // a swap entry shared with a child: read brings the page into the swap cache; a write also copies it
        final List<Op> shared = append(out, fork(0, Strategy.ARCH_BATCH));
        assertThat(sweep(s, shared, read(1, G), List.of(read(0, G), write(0, G, 2), read(1, G)))).isEqualTo(1);
        assertThat(sweep(s, shared, write(0, G + 2 * PAGE, 0x52), List.of(read(1, G + 2 * PAGE)))).isEqualTo(2);
        assertThat(sweep(s, shared, fault(1, G + 3 * PAGE, true), List.of(read(0, G + 3 * PAGE)))).isEqualTo(2);
    }

    @Test
    void fileFaults()
    {
        final ModelRun.Setup s = setup("arm64");
        final List<Op> files = List.of(mmap(0, G, 4 * PAGE, PROT_R | PROT_W, true, 0, 0),
            mmap(0, G + 4 * PAGE, 4 * PAGE, PROT_R | PROT_W, false, 1, 8 * PAGE));
        // read fault of a page-cache page: tables + the page
        assertThat(sweep(s, files, read(0, G), List.of(write(0, G, 3)))).isEqualTo(4);
        // write fault of a shared mapping
        assertThat(sweep(s, files, write(0, G + PAGE, 0x61), List.of(read(0, G + PAGE)))).isEqualTo(4);
        // write to a private file page never read: do_cow_fault needs the anon page and the page-cache page
        assertThat(sweep(s, files, write(0, G + 5 * PAGE, 0x62), List.of(read(0, G + 5 * PAGE)))).isEqualTo(5);
        // write to a private file page already mapped from the page cache: one copy
        assertThat(sweep(s, append(files, read(0, G + 6 * PAGE)), write(0, G + 6 * PAGE, 0x63), List.of())).isEqualTo(1);
    }

    @Test
    void mremapAndNewProcess()
    {
        final ModelRun.Setup s = setup("x86_64");
        final List<Op> p = List.of(mmap(0, A, 16 * PAGE, PROT_R | PROT_W, false, ANON, 0), populate(0, A, 16 * PAGE, 4));
        // moving half a folio above 1 GiB: a PMD and a PTE table there (the PUD exists)
        assertThat(sweep(s, p, mremap(0, A + 8 * PAGE, 8 * PAGE, G + (64 << 20)), List.of(write(0, G + (64 << 20), 9))))
            .isEqualTo(2);
        assertThat(sweep(s, List.of(), newProcess(), List.of(mmap(1, A, PAGE, PROT_R, false, ANON, 0), read(1, A))))
            .isEqualTo(1);
    }

    // ------------------------------------------------------------------ fork

    /**
     * A parent with everything fork copies: a 64 KiB folio and order-0 pages across the PUD boundary (so the child
     * needs two PUD, two PMD and several PTE tables), a pinned order-0 page and a pinned page of a 64 KiB folio (eager
     * copies: one, and one per exclusive page of the folio), swap entries, a COWed private file page, a shared
     * mapping (not copied), a DONTFORK and a WIPEONFORK range.
     */
    static List<Op> forkParent()
    {
        return List.of(
            mmap(0, A, 4L << 20, PROT_R | PROT_W, false, ANON, 0),
            populate(0, G - 16 * PAGE, 16 * PAGE, 4),          // below 1 GiB
            populate(0, G, 2 * 16 * PAGE, 4),                  // above
            write(0, G + (1L << 20), 0x71), write(0, G + (1L << 20) + PAGE, 0x72), write(0, A + PAGE, 0x73),
            pin(0, G + (1L << 20)),                            // order 0, pinned: one eager copy
            pin(0, G + 16 * PAGE + 5 * PAGE),                  // order 4, pinned: 16 eager copies
            populate(0, G + (2L << 20) - 32 * PAGE, 8 * PAGE, 0),
            madvise(0, G + (2L << 20) - 32 * PAGE, 8 * PAGE, Advice.PAGEOUT),
            madvise(0, A + 64 * PAGE, 16 * PAGE, Advice.DONTFORK),
            madvise(0, A + 128 * PAGE, 16 * PAGE, Advice.WIPEONFORK),
            write(0, A + 130 * PAGE, 0x74),
            mmap(0, G + (8L << 20), 8 * PAGE, PROT_R | PROT_W, false, 1, 0),
            read(0, G + (8L << 20)), write(0, G + (8L << 20) + PAGE, 0x75),
            mmap(0, G + (16L << 20), 8 * PAGE, PROT_R | PROT_W, true, ANON, 0),
            populate(0, G + (16L << 20), 8 * PAGE, 0));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"x86_64, LEGACY", "x86_64, ARCH_BATCH", "x86_64, FOLIO_BATCH", "arm64, LEGACY", "arm64, ARCH_BATCH",
        "arm64, FOLIO_BATCH"})
    void forkFailsAtEveryAllocation(final String arch, final Strategy strategy)
    {
        // after a failed fork: the parent still works and a later fork is isolated both ways
        final List<Op> after = List.of(write(0, G + 3 * PAGE, 0x81), read(0, G + (2L << 20) - 32 * PAGE),
            fork(0, strategy), write(2, G + 4 * PAGE, 0x82), read(2, G + 3 * PAGE), read(0, G + 4 * PAGE),
            dma(0, 1, 0x83), read(2, G + 21 * PAGE));
        final int k = sweep(setup(arch), forkParent(), fork(0, strategy), after);
        // the child's PGD, one PUD, two PMD (below and above 1 GiB), three PTE tables (below 1 GiB, above it, the
        // file mapping; the shared mapping is not copied), then 1 + 16 eager copies of the pinned pages
        assertThat(k).isEqualTo(1 + 1 + 2 + 3 + 17);
    }

    @Test
    void forkOnContpteBasic()
    {
        final int k = sweep(ModelRun.Setup.of("arm64", true, 8L << 20, 1L << 20), forkParent(), fork(0, Strategy.FOLIO_BATCH),
            List.of(write(1, G + 3 * PAGE, 0x91), read(0, G + 3 * PAGE)));
        assertThat(k).isEqualTo(24);
    }

    // ------------------------------------------------------------------ genuinely small RAM

    @Test
    void smallRamRunsDry()
    {
        for (final String arch : List.of("x86_64", "arm64"))
        {
            try (Machine m = new Machine(Machine.Config.of(arch, 4L << 20).withSwap(64 * PAGE)))
            {
                final long initial = m.phys().freePageCount();
                final Mm p = m.newProcess();
                p.mmap(A, 4L << 20, PROT_R | PROT_W, false, null, 0);
                // fill RAM with 64 KiB folios until populate itself runs dry, then with 4 KiB pages
                final long large = fill(m, p, A, 4);
                final long at = fill(m, p, large, 0);
                assertThat(m.phys().freePageCount()).isZero();
                InvariantChecker.check(m);
                // faults run dry too and change nothing
                final long free = at;
                final MachineImage before = MachineImage.of(m);
                assertThatThrownBy(() -> p.write(free, 1)).isInstanceOf(OutOfSimulatedMemoryException.class)
                    .hasMessageContaining("out of simulated memory");
                assertThat(before.diff(MachineImage.of(m))).isEmpty();
                // pin a page of every 64 KiB folio but the last: a fork needs an eager copy of each of their pages
                for (long a = A; a < large - 16 * PAGE; a += 16 * PAGE)
                {
                    p.pin(a);
                }
                final List<Mm> procs = List.copyOf(m.processes());
                assertThatThrownBy(() -> Fork.fork(p, Strategy.FOLIO_BATCH)).isInstanceOf(OutOfSimulatedMemoryException.class)
                    .hasMessageContaining("out of simulated memory");   // not even the child's PGD
                assertThat(m.processes()).isEqualTo(procs);
                // room for the child's tables, not for the copies: fails in the middle of the copy
                p.munmap(large - 16 * PAGE, 16 * PAGE);
                assertThat(m.phys().freePageCount()).isEqualTo(16);
                assertThatThrownBy(() -> Fork.fork(p, Strategy.FOLIO_BATCH)).isInstanceOf(OutOfSimulatedMemoryException.class)
                    .hasMessageContaining("simulated RAM exhausted during the page-table copy");
                assertThat(m.processes()).isEqualTo(procs);
                assertThat(m.phys().freePageCount()).isEqualTo(16);
                InvariantChecker.check(m);
                // swap some out: RAM comes back and the same fault succeeds
                while (!p.pins().isEmpty())
                {
                    p.unpin(p.pins().get(0).addr());
                }
                p.madvise(A, 64 * PAGE, Advice.PAGEOUT);
                p.write(free, 1);
                assertThat(p.read(A + PAGE)).isNotZero();
                InvariantChecker.check(m);
                p.exit();
                InvariantChecker.leakCheck(m, initial);
            }
        }
    }

    /** Populates folios of {@code order} from {@code at} until RAM runs dry; returns the end. */
    private static long fill(final Machine m, final Mm p, final long at, final int order)
    {
        long a = at;
        while (true)
        {
            final MachineImage before = MachineImage.of(m);
            try
            {
                p.populate(a, PAGE << order, order);
                a += PAGE << order;
            }
            catch (final OutOfSimulatedMemoryException e)
            {
                assertThat(e.getMessage()).contains("out of simulated memory");
                assertThat(before.diff(MachineImage.of(m))).as("a failed populate changes nothing").isEmpty();
                return a;
            }
        }
    }

    private static List<Op> append(final List<Op> l, final Op op)
    {
        final List<Op> out = new ArrayList<>(l);
        out.add(op);
        return out;
    }
}
