package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.check.InvariantChecker;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The copy loops' per-fork counts at 2 MiB, for the paths the 1 GiB count tests do not take: the seed patch's
 * arch batch over large folios (one PTE per batch on x86_64, one CONT block on arm64), zero-page entries, a pinned
 * large folio that is partly PageAnonExclusive, and a fork that runs out of memory in its eager copy.
 */
class CopyLoopCountsTest
{
    private static final long A = 1L << 30;
    private static final long PAGE = Arch.PAGE_SIZE;
    private static final long THP = 2L << 20;
    private static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    private static Machine machine(final String arch)
    {
        return new Machine(Machine.Config.of(arch, 64L << 20));
    }

    @Test
    void archBatchOnX86CopiesOrder4FoliosOnePteAtATime()
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, THP, RW, false, null, 0);
            parent.populate(A, THP, 4);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, Strategy.ARCH_BATCH);
            final Events e = m.events().minus(before);
            assertThat(e.ptepGet).isEqualTo(512);
            assertThat(e.pteStore).isEqualTo(512);
            assertThat(e.pteAtomic).as("each writable parent PTE write-protected").isEqualTo(512);
            assertThat(e.batches).isEqualTo(512);
            assertThat(e.refcountUpdate).isEqualTo(512);
            assertThat(e.rmapUpdate).isEqualTo(512);
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(512);
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }

    @Test
    void archBatchOnArm64CopiesOneContBlockPerBatchWithOneRmapUpdatePerPage()
    {
        try (Machine m = machine("arm64"))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, THP, RW, false, null, 0);
            parent.populate(A, THP, 4);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, Strategy.ARCH_BATCH);
            final Events e = m.events().minus(before);
            assertThat(e.ptepGet).as("one read per block").isEqualTo(32);
            assertThat(e.batches).isEqualTo(32);
            assertThat(e.refcountUpdate).as("folio_ref_add(16) per block").isEqualTo(32);
            assertThat(e.rmapUpdate).as("page_try_dup_anon_rmap per page").isEqualTo(512);
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(512);
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void zeroPageEntriesCostOneBatchEachAndNoFolioUpdates(final Strategy s)
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 4 * PAGE, RW, false, null, 0);
            parent.write(A, 1);             // an anon_vma, so the VMA is copied
            for (long a = A + PAGE; a < A + 4 * PAGE; a += PAGE)
            {
                parent.read(a);
            }
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, s);
            final Events e = m.events().minus(before);
            assertThat(e.batches).as("3 zero-page entries and 1 anon page").isEqualTo(4);
            assertThat(e.refcountUpdate).isEqualTo(1);
            assertThat(e.rmapUpdate).isEqualTo(1);
            assertThat(e.pteStore).isEqualTo(4);
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(1);
            assertThat(child.peekPte(A + 2 * PAGE)).as("the parent's zero-page entry, old").isEqualTo(parent.peekPte(A + 2 * PAGE) & ~X86Pte.ACCESSED);
        }
    }

    /**
     * A pinned order-4 folio whose page 5 alone is PageAnonExclusive (the parent reused it for a write pin after the
     * first child exited): folio_try_dup_anon_rmap_ptes fails for every batch that contains page 5, so pages 0-4 are
     * shared one by one, page 5 is copied eagerly and pages 6-15 go in one batch.
     */
    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aPinnedLargeFolioWithOneExclusivePageIsSharedPageByPageUpToItAndInOneBatchAfterIt(final String arch)
    {
        try (Machine m = machine(arch))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = m.arch().ptePfn(parent.peekPte(A));
            Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
            assertThat(parent.pin(A + 5 * PAGE, true)).as("reused: the folio is the parent's alone").isEqualTo(head + 5);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events e = m.events().minus(before);
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(16);
            for (int i = 0; i < 16; i++)
            {
                final long pfn = m.arch().ptePfn(child.peekPte(A + i * PAGE));
                if (i == 5)
                {
                    assertThat(pfn).as("copy_present_page").isNotEqualTo(head + 5);
                }
                else
                {
                    assertThat(pfn).isEqualTo(head + i);
                }
            }
            assertThat(e.batches).as("5 singles, the eager copy, 1 batch").isEqualTo(7);
            assertThat(e.refcountUpdate).as("5 singles, folio_get + folio_put of the eager copy, 1 batch").isEqualTo(8);
            assertThat(e.rmapUpdate).as("5 singles, 1 batch").isEqualTo(6);
            assertThat(m.memmap().rawRefcount(head)).as("16 parent PTEs + 15 child PTEs + the pin").isEqualTo(32);
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }

    /**
     * The same folio under the seed patch's arch batch on x86_64 (one PTE per batch): each page takes its reference
     * and tries page_try_dup_anon_rmap; page 5 gives its reference back (two refcount updates) and is copied eagerly.
     */
    @Test
    void archBatchSharesAPinnedLargeFolioPageByPageAndCopiesItsExclusivePage()
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = m.arch().ptePfn(parent.peekPte(A));
            Fork.fork(parent, Strategy.ARCH_BATCH).exit();
            parent.pin(A + 5 * PAGE, true);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, Strategy.ARCH_BATCH);
            final Events e = m.events().minus(before);
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(16);
            assertThat(m.arch().ptePfn(child.peekPte(A + 5 * PAGE))).isNotEqualTo(head + 5);
            assertThat(m.arch().ptePfn(child.peekPte(A + 6 * PAGE))).isEqualTo(head + 6);
            assertThat(e.batches).isEqualTo(16);
            assertThat(e.refcountUpdate).isEqualTo(17);
            assertThat(e.rmapUpdate).isEqualTo(15);
            assertThat(e.eagerCopies).isEqualTo(1);
            assertThat(e.foliosAllocated).isEqualTo(1);
            assertThat(m.memmap().rawRefcount(head)).as("16 parent PTEs + 15 child PTEs + the pin").isEqualTo(32);
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }

    /**
     * The seed patch on arm64 over a CONT block of a pinned order-4 folio whose pages 0-4 are shared and page 5 is
     * PageAnonExclusive (a R/O pin unshared it by reuse, leaving the block intact): the batch is trimmed to the 5
     * shared pages (page_try_dup_anon_rmap fails at j = 5, the surplus references go back), page 5 is copied
     * eagerly (its own batch fails at j = 0), and pages 6-15 are one more batch.
     */
    @Test
    void archBatchTrimsAPinnedContBlockAtItsFirstExclusivePage()
    {
        try (Machine m = machine("arm64"))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = m.arch().ptePfn(parent.peekPte(A));
            Fork.fork(parent, Strategy.ARCH_BATCH).exit();
            assertThat(parent.pin(A + 5 * PAGE, false)).isEqualTo(head + 5);
            assertThat(m.memmap().testAnonExclusive(head + 5)).isTrue();
            assertThat(m.memmap().testAnonExclusive(head + 4)).isFalse();
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, Strategy.ARCH_BATCH);
            final Events e = m.events().minus(before);
            assertThat(e.batches).as("pages 0-15 trimmed to 0-4, page 5 alone, pages 6-15").isEqualTo(3);
            assertThat(e.refcountUpdate).as("+16 -11, +11 -11, +10").isEqualTo(5);
            assertThat(e.rmapUpdate).isEqualTo(15);
            assertThat(e.eagerCopies).isEqualTo(1);
            assertThat(e.foliosAllocated).isEqualTo(1);
            assertThat(m.memmap().rawRefcount(head)).as("16 parent PTEs + 15 child PTEs + the pin").isEqualTo(32);
            assertThat(m.arch().ptePfn(child.peekPte(A + 4 * PAGE))).isEqualTo(head + 4);
            assertThat(m.arch().ptePfn(child.peekPte(A + 5 * PAGE))).as("the pinned exclusive page is copied")
                .isNotEqualTo(head + 5);
            assertThat(m.arch().ptePfn(child.peekPte(A + 6 * PAGE))).isEqualTo(head + 6);
            assertThat(m.memmap().testAnonExclusive(head + 5)).as("the parent keeps it exclusive").isTrue();
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(16);
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }

    /**
     * Page-cache pages of a private file mapping (copied because the VMA has an anon_vma): one batch, one reference
     * and one rmap update each, counted as file RSS in the child.
     */
    @ParameterizedTest
    @EnumSource(Strategy.class)
    void pageCachePagesOfAPrivateFileMappingCostOneBatchReferenceAndRmapUpdateEach(final Strategy s)
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm parent = m.newProcess();
            final io.forksim.mm.SimFile f = m.createFile("f", 4 * PAGE);
            parent.mmap(A, 4 * PAGE, RW, false, f, 0);
            parent.write(A, 1);              // COW: an anon page and the anon_vma
            for (long a = A + PAGE; a < A + 4 * PAGE; a += PAGE)
            {
                parent.read(a);
            }
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, s);
            final Events e = m.events().minus(before);
            assertThat(e.batches).isEqualTo(4);
            assertThat(e.refcountUpdate).isEqualTo(4);
            assertThat(e.rmapUpdate).isEqualTo(4);
            assertThat(child.rss(Mm.MM_FILEPAGES)).isEqualTo(3);
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(1);
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }

    /**
     * A fork that needs one page for the eager copy of a pinned page fails with every earlier allocation cut off:
     * 1 child PGD, its PUD, PMD and PTE table, then the copy. A failed fork frees all it took and leaves the parent's
     * pages and pin as they were (the kernel leaves the parent's PTEs write-protected, as here).
     */
    @ParameterizedTest
    @EnumSource(Strategy.class)
    void aForkThatRunsOutOfMemoryInTheEagerCopyFailsAndLeavesTheParentAsItWas(final Strategy s)
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 2 * PAGE, RW, false, null, 0);
            parent.populate(A, 2 * PAGE, 0);
            parent.pin(A + PAGE, true);
            final long free = m.phys().freePageCount();
            final List<Mm.Pin> pins = parent.pins();
            int failures = 0;
            Mm child = null;
            while (child == null)
            {
                m.phys().failAllocationsAfter(failures);
                try
                {
                    child = Fork.fork(parent, s);
                }
                catch (final OutOfSimulatedMemoryException e)
                {
                    assertThat(m.phys().freePageCount()).as("after %d allocations", failures).isEqualTo(free);
                    assertThat(parent.pins()).isEqualTo(pins);
                    assertThat(InvariantChecker.violations(m)).isEmpty();
                    failures++;
                }
                finally
                {
                    m.phys().clearFailureInjection();
                }
            }
            assertThat(failures).isEqualTo(5);
            assertThat(m.arch().ptePfn(child.peekPte(A))).isEqualTo(m.arch().ptePfn(parent.peekPte(A)));
            assertThat(m.arch().ptePfn(child.peekPte(A + PAGE))).as("copied").isNotEqualTo(m.arch().ptePfn(parent.peekPte(A + PAGE)));
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }
}
