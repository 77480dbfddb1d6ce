package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.check.InvariantChecker;
import io.forksim.mem.MemMap;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one-pass copy of a large-folio batch ({@link FusedPteBatch}) leaves the same tables, memmap and events as the
 * kernel's separate calls. The reference is the same parent on a concurrent machine, whose atomic memmap keeps
 * {@code copy_present_ptes} on its general path ({@code folio_pte_batch}, {@code folio_try_dup_anon_rmap_ptes},
 * {@code wrprotect_ptes}, {@code set_ptes}): every parent and child entry, every page's refcount, mapcount and
 * PageAnonExclusive bit, and every event count must be equal, for the parents the fused loop finds hardest: a batch
 * whose entries differ only in the write and dirty bits (ending the raw ramp but not the batch), a batch that ends at
 * a page of another folio, batches cut by a VMA end, and folios that straddle two PTE tables. On x86_64 the plain machine
 * copies its large anon folios in runs of batches ({@link LargeAnonRun}), so the same comparison holds that loop to the
 * kernel's too, with folios of several orders in one table and PROT_NONE entries (whose PFNs x86_64 inverts, so the
 * ramp runs downwards).
 */
class FusedPteBatchTest
{
    private static final long A = 1L << 30;
    private static final long PAGE = Arch.PAGE_SIZE;
    private static final long THP = 2L << 20;
    private static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    /** A parent: the range it maps and how it is built. */
    private record Parent(String name, long addr, long len, Consumer<Mm> build)
    {
        @Override
        public String toString()
        {
            return name;
        }
    }

    private static List<Parent> parents()
    {
        final List<Parent> ps = new ArrayList<>();
        for (final int order : new int[] {4, 9})
        {
            ps.add(new Parent("order-" + order + " fresh (every entry writable)", A, 2 * THP, mm ->
            {
                mm.mmap(A, 2 * THP, RW, false, null, 0);
                mm.populate(A, 2 * THP, order);
            }));
            ps.add(new Parent("order-" + order + " after a fork (every entry read-only)", A, 2 * THP, mm ->
            {
                mm.mmap(A, 2 * THP, RW, false, null, 0);
                mm.populate(A, 2 * THP, order);
                exitChild(Fork.fork(mm, Strategy.FOLIO_BATCH));
            }));
            for (final long page : new long[] {0, 5, 15, 63, 64, 300, 511})
            {
                ps.add(new Parent("order-" + order + " after a fork, page " + page + " written again", A, 2 * THP, mm ->
                {
                    mm.mmap(A, 2 * THP, RW, false, null, 0);
                    mm.populate(A, 2 * THP, order);
                    exitChild(Fork.fork(mm, Strategy.FOLIO_BATCH));
                    mm.write(A + page * PAGE, 7);
                    mm.write(A + THP + (page ^ 1) * PAGE, 8);
                }));
            }
            ps.add(new Parent("order-" + order + " with a child alive, page 70 written (copied)", A, THP, mm ->
            {
                mm.mmap(A, THP, RW, false, null, 0);
                mm.populate(A, THP, order);
                Fork.fork(mm, Strategy.FOLIO_BATCH);
                mm.write(A + 70 * PAGE, 7);
            }));
            ps.add(new Parent("order-" + order + " cut by VMA ends (mprotect of pages 8..11 and 100..355)", A, THP, mm ->
            {
                mm.mmap(A, THP, RW, false, null, 0);
                mm.populate(A, THP, order);
                mm.mprotect(A + 8 * PAGE, 4 * PAGE, VmFlags.VM_READ);
                mm.mprotect(A + 100 * PAGE, 256 * PAGE, VmFlags.VM_READ);
            }));
            final long moved = A + 16 * THP + 8 * PAGE;
            ps.add(new Parent("order-" + order + " mremap'd 8 pages off a table boundary (folios straddle tables)",
                moved, THP, mm ->
                {
                    mm.mmap(A, THP, RW, false, null, 0);
                    mm.populate(A, THP, order);
                    mm.mremap(A, THP, moved);
                }));
        }
        ps.add(new Parent("orders 4, 2, 1, 0 and 3 in one table, order 4 in the next", A, 2 * THP, mm ->
        {
            mm.mmap(A, 2 * THP, RW, false, null, 0);
            mm.populate(A, 64 * PAGE, 4);
            mm.populate(A + 64 * PAGE, 64 * PAGE, 2);
            mm.populate(A + 128 * PAGE, 64 * PAGE, 1);
            mm.populate(A + 192 * PAGE, 64 * PAGE, 0);
            mm.populate(A + 256 * PAGE, 256 * PAGE, 3);
            mm.populate(A + THP, THP, 4);
        }));
        for (final int order : new int[] {4, 9})
        {
            ps.add(new Parent("order-" + order + " PROT_NONE (x86_64 inverts the PFNs) but pages 40..71", A, 2 * THP, mm ->
            {
                mm.mmap(A, 2 * THP, RW, false, null, 0);
                mm.populate(A, 2 * THP, order);
                mm.mprotect(A, 2 * THP, 0);
                mm.mprotect(A + 40 * PAGE, 32 * PAGE, RW);
            }));
        }
        return ps;
    }

    private static void exitChild(final Mm child)
    {
        child.exit();
        child.mmdrop();
    }

    static Stream<Arguments> cases()
    {
        final List<Arguments> cs = new ArrayList<>();
        for (final String arch : new String[] {"x86_64", "arm64"})
        {
            for (final Parent p : parents())
            {
                cs.add(Arguments.of(arch, p));
            }
        }
        return cs.stream();
    }

    /** What one fork left: both processes' entries, the pages' metadata, the events and the child's RSS. */
    private record Outcome(List<Long> parentPtes, List<Long> childPtes, List<String> pages, Events events, long rss)
    {
    }

    private static Outcome forkOn(final Machine m, final Parent p)
    {
        final Mm parent = m.newProcess();
        p.build().accept(parent);
        final Events before = m.events().copy();
        final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
        final Events events = m.events().minus(before);
        final List<Long> pp = new ArrayList<>();
        final List<Long> cp = new ArrayList<>();
        final List<String> pages = new ArrayList<>();
        final MemMap memmap = m.memmap();
        for (long a = p.addr(); a < p.addr() + p.len(); a += PAGE)
        {
            final long pte = parent.peekPte(a);
            pp.add(pte);
            cp.add(child.peekPte(a));
            final long pfn = m.arch().ptePfn(pte);
            pages.add(pfn + ": ref " + memmap.rawRefcount(pfn) + " pae " + memmap.testAnonExclusive(pfn)
                + " folio mapcount " + memmap.folioMapcount(pfn));
        }
        assertThat(InvariantChecker.violations(m)).isEmpty();
        return new Outcome(pp, cp, pages, events, child.rss(Mm.MM_ANONPAGES));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void theOnePassCopyLeavesWhatTheKernelsSeparateCallsLeave(final String arch, final Parent p)
    {
        final Outcome fused;
        final Outcome general;
        try (Machine m = new Machine(Machine.Config.of(arch, 64L << 20)))
        {
            assertThat(m.memmap().atomic()).isFalse();
            fused = forkOn(m, p);
        }
        try (Machine m = new Machine(Machine.Config.of(arch, 64L << 20).withConcurrent(true)))
        {
            assertThat(m.memmap().atomic()).as("the reference takes the general path").isTrue();
            general = forkOn(m, p);
        }
        assertThat(fused.parentPtes()).as("parent entries").isEqualTo(general.parentPtes());
        assertThat(fused.childPtes()).as("child entries").isEqualTo(general.childPtes());
        assertThat(fused.pages()).as("refcount, PageAnonExclusive, large mapcount").isEqualTo(general.pages());
        assertThat(fused.events()).as("events").isEqualTo(general.events());
        assertThat(fused.rss()).as("child anon RSS").isEqualTo(general.rss());
    }
}
