package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.anonRw;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Page faults: anonymous, file, write-protect (COW and reuse, incl. the 6.15 large-folio rule). */
class FaultTest
{
    private static final long X86_ZERO_PAGE = X86Pte.PRESENT | X86Pte.USER | X86Pte.ACCESSED | X86Pte.NX | X86Pte.SPECIAL;

    @Test
    void anonymousReadFaultMapsTheSharedZeroPageSpecialAndReadOnly()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            final long free = m.phys().freePageCount();
            assertThat(mm.fault(A, false)).isEqualTo(FaultResult.MAPPED);
            assertThat(mm.peekPte(A)).isEqualTo(PhysMem.ZERO_PFN << 12 | X86_ZERO_PAGE);
            assertThat(mm.read(A + PAGE)).isZero();
            assertThat(mm.peekPte(A + PAGE)).isEqualTo(X86_ZERO_PAGE);
            assertThat(m.phys().freePageCount()).as("only the PUD, PMD and PTE tables").isEqualTo(free - 3);
            assertThat(m.memmap().rawRefcount(PhysMem.ZERO_PFN)).isEqualTo(1);
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isZero();
            assertThat(mm.findVma(A).hasAnonVma()).as("the zero-page path takes no anon_vma").isFalse();
            consistent(m);
        }
    }

    @Test
    void anonymousWriteFaultMapsAFreshExclusivePage()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            assertThat(mm.fault(A, true)).isEqualTo(FaultResult.MAPPED);
            final long pfn = pfnAt(mm, A);
            assertThat(mm.peekPte(A)).isEqualTo(anonRw("x86_64", pfn));
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            assertThat(m.memmap().token(pfn)).as("zero-filled").isZero();
            mm.write(A, 42);
            assertThat(mm.read(A)).isEqualTo(42);
            consistent(m);
        }
    }

    @Test
    void writeFaultOnTheZeroPageCopiesIntoAZeroedExclusivePage()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.read(A);
            final Events before = m.events().copy();
            assertThat(mm.fault(A, true)).isEqualTo(FaultResult.COW_COPIED);
            final Events e = m.events().minus(before);
            final long pfn = pfnAt(mm, A);
            assertThat(pfn).isNotEqualTo(PhysMem.ZERO_PFN);
            assertThat(mm.peekPte(A)).isEqualTo(anonRw("x86_64", pfn));
            assertThat(m.memmap().token(pfn)).isZero();
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(1);
            assertThat(e.cowCopies).isEqualTo(1);
            assertThat(e.tlbiPage).as("ptep_clear_flush of the old entry").isEqualTo(1);
            consistent(m);
        }
    }

    @Test
    void faultsOutsideAnyVmaOrAgainstItsProtectionAreSegvAndChangeNothing()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, R, false, null, 0);
            mm.mmap(A + 2 * PAGE, PAGE, 0, false, null, 0);
            final MachineImage before = MachineImage.of(m);
            final Events ev = m.events().copy();
            assertThat(mm.fault(A + PAGE, false)).isEqualTo(FaultResult.SEGV);
            assertThat(mm.fault(A, true)).isEqualTo(FaultResult.SEGV);
            assertThat(mm.fault(A + 2 * PAGE, false)).isEqualTo(FaultResult.SEGV);
            assertThat(mm.fault(-PAGE, false)).isEqualTo(FaultResult.SEGV);
            assertThat(mm.fault(1L << 47, false)).isEqualTo(FaultResult.SEGV);
            assertThatThrownBy(() -> mm.write(A, 1)).isInstanceOf(IllegalStateException.class).hasMessage("SIGSEGV at 0x40000000");
            assertThatThrownBy(() -> mm.read(A + 2 * PAGE)).isInstanceOf(IllegalStateException.class)
                .hasMessage("SIGSEGV at 0x40002000");
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
            assertThat(m.events()).isEqualTo(ev);
        }
    }

    @Test
    void afterForkTheFirstWriterCopiesAndTheLastMapperReusesTheOriginalPage()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            final long original = pfnAt(parent, A);
            final long token = m.memmap().token(original);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(m.memmap().testAnonExclusive(original)).as("fork clears PAE").isFalse();

            final Events before = m.events().copy();
            assertThat(parent.fault(A, true)).isEqualTo(FaultResult.COW_COPIED);
            final long copy = pfnAt(parent, A);
            assertThat(copy).isNotEqualTo(original);
            assertThat(parent.peekPte(A)).isEqualTo(anonRw("x86_64", copy));
            assertThat(m.memmap().token(copy)).isEqualTo(token);
            assertThat(m.memmap().rawRefcount(original)).isEqualTo(1);
            assertThat(m.memmap().rawMapcount(original)).isEqualTo(1);

            assertThat(child.read(A)).isEqualTo(token);
            assertThat(child.fault(A, true)).as("refcount 1: wp_can_reuse_anon_folio").isEqualTo(FaultResult.REUSED);
            assertThat(pfnAt(child, A)).isEqualTo(original);
            assertThat(m.arch().pteWrite(child.peekPte(A))).isTrue();
            assertThat(m.memmap().testAnonExclusive(original)).isTrue();
            final Events e = m.events().minus(before);
            assertThat(e.cowCopies).isEqualTo(1);
            assertThat(e.cowReuses).isEqualTo(1);
            consistent(m);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"x86_64", "arm64"})
    void aLargeFolioMappedOnlyByThisProcessIsReusedPageByPageOnWriteFaults(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(parent, A);
            Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
            final MemMap mem = m.memmap();
            assertThat(mem.largeMapcount(head)).isEqualTo(16);
            assertThat(mem.rawRefcount(head)).isEqualTo(16);
            assertThat(mem.folioMmIdsShared(head)).as("the child's MM-ID slot went with it").isFalse();
            assertThat(mem.anyAnonExclusive(head, 16)).isFalse();

            final Events before = m.events().copy();
            assertThat(parent.fault(A + 3 * PAGE, true)).isEqualTo(FaultResult.REUSED);
            assertThat(parent.fault(A + 5 * PAGE, true)).isEqualTo(FaultResult.REUSED);
            final Events e = m.events().minus(before);
            assertThat(e.cowReuses).isEqualTo(2);
            assertThat(e.foliosAllocated).isZero();
            for (int i = 0; i < 16; i++)
            {
                final boolean written = i == 3 || i == 5;
                assertThat(pfnAt(parent, A + i * PAGE)).isEqualTo(head + i);
                assertThat(m.arch().pteWrite(parent.peekPte(A + i * PAGE))).as("page %d writable", i).isEqualTo(written);
                assertThat(mem.testAnonExclusive(head + i)).as("page %d PAE", i).isEqualTo(written);
            }
            consistent(m);
        }
    }

    @Test
    void aLargeFolioStillMappedByTheChildIsCopied()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(parent.fault(A + 3 * PAGE, true)).isEqualTo(FaultResult.COW_COPIED);
            final MemMap mem = m.memmap();
            assertThat(mem.largeMapcount(head)).isEqualTo(31);
            assertThat(mem.rawRefcount(head)).isEqualTo(31);
            assertThat(mem.folioMmIdMapcount(head, parent.id())).isEqualTo(15);
            assertThat(mem.folioMmIdMapcount(head, child.id())).isEqualTo(16);
            assertThat(mem.folioMmIdsShared(head)).isTrue();
            final long copy = pfnAt(parent, A + 3 * PAGE);
            assertThat(mem.order(copy)).as("COW copies into an order-0 folio").isZero();
            assertThat(mem.token(copy)).isEqualTo(mem.token(head + 3));
            consistent(m);
        }
    }

    @Test
    void aLargeFolioMappedByASinglePteIsFreedUpByCopyingIt()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(parent, A);
            Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
            parent.madvise(A + PAGE, 15 * PAGE, Advice.DONTNEED);
            assertThat(m.memmap().largeMapcount(head)).isEqualTo(1);
            final long free = m.phys().freePageCount();
            final Events before = m.events().copy();
            assertThat(parent.fault(A, true)).as("large_mapcount <= 1: copy, do not reuse").isEqualTo(FaultResult.COW_COPIED);
            final Events e = m.events().minus(before);
            assertThat(e.foliosFreed).isEqualTo(1);
            assertThat(m.phys().freePageCount()).isEqualTo(free + 16 - 1);
            consistent(m);
        }
    }

    @Test
    void aPinnedLargeFolioIsCopiedRatherThanReused()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(parent, A);
            Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
            assertThat(parent.pin(A)).isEqualTo(head);
            assertThat(m.memmap().rawRefcount(head)).isEqualTo(17);
            assertThat(parent.fault(A + PAGE, true)).as("refcount 17 != large_mapcount 16").isEqualTo(FaultResult.COW_COPIED);
            parent.unpin(A);
            assertThat(parent.fault(A + 2 * PAGE, true)).isEqualTo(FaultResult.REUSED);
            consistent(m);
        }
    }

    @Test
    void writeFaultsOnAPrivateFileMappingCopyThePageCachePage()
    {
        try (Machine m = Fixtures.x86())
        {
            final SimFile f = m.createFile("lib.so", 8 * PAGE);
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, f, PAGE);
            assertThat(mm.read(A)).isEqualTo(f.initialToken(1));
            final long cached = f.cachedPfn(1);
            assertThat(mm.peekPte(A)).as("PAGE_COPY: read-only").isEqualTo(cached << 12 | X86Pte.PAGE_COPY);
            assertThat(m.memmap().rawRefcount(cached)).isEqualTo(2);
            assertThat(mm.rss(Mm.MM_FILEPAGES)).isEqualTo(1);

            assertThat(mm.fault(A, true)).isEqualTo(FaultResult.COW_COPIED);
            final long copy = pfnAt(mm, A);
            assertThat(mm.peekPte(A)).isEqualTo(anonRw("x86_64", copy));
            assertThat(m.memmap().token(copy)).isEqualTo(f.initialToken(1));
            assertThat(m.memmap().rawRefcount(cached)).as("only the page cache").isEqualTo(1);
            assertThat(m.memmap().rawMapcount(cached)).isZero();
            assertThat(mm.rss(Mm.MM_FILEPAGES)).isZero();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(1);

            assertThat(mm.fault(A + PAGE, true)).as("do_cow_fault on a none PTE").isEqualTo(FaultResult.COW_COPIED);
            assertThat(m.memmap().token(pfnAt(mm, A + PAGE))).isEqualTo(f.initialToken(2));
            assertThat(f.cachedPages()).isEqualTo(2);
            consistent(m);
        }
    }

    @Test
    void sharedFileMappingsMapThePageCacheWritableCleanOnReadAndDirtyOnWrite()
    {
        try (Machine m = Fixtures.x86())
        {
            final SimFile f = m.createFile("data", 4 * PAGE);
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, true, f, 0);
            assertThat(mm.fault(A, false)).isEqualTo(FaultResult.MAPPED);
            final long p0 = f.cachedPfn(0);
            assertThat(mm.peekPte(A)).isEqualTo(p0 << 12 | X86Pte.PAGE_SHARED);
            assertThat(mm.fault(A + PAGE, true)).isEqualTo(FaultResult.MAPPED);
            final long p1 = f.cachedPfn(1);
            assertThat(mm.peekPte(A + PAGE)).isEqualTo(p1 << 12 | X86Pte.PAGE_SHARED | X86Pte.DIRTY | X86Pte.SOFT_DIRTY);
            assertThat(m.memmap().flags(p1) & PageDescriptor.PG_DIRTY).isNotZero();
            mm.write(A, 7);
            assertThat(m.memmap().token(p0)).as("written in place, no copy").isEqualTo(7);
            assertThat(m.arch().pteDirty(mm.peekPte(A))).as("hardware dirty bit").isTrue();
            assertThat(mm.rss(Mm.MM_FILEPAGES)).isEqualTo(2);
            consistent(m);
        }
    }

    @Test
    void userAccessesSetTheAccessedBitAsTheMmuDoesWithoutAFault()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(m.arch().pteYoung(child.peekPte(A))).as("fork makes the child's PTEs old").isFalse();
            final Events before = m.events().copy();
            child.read(A);
            assertThat(m.arch().pteYoung(child.peekPte(A))).isTrue();
            assertThat(m.events().minus(before).faults).isZero();
            consistent(m);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"x86_64", "arm64"})
    void mprotectBackToWritableMapsExclusivePagesOfALargeFolioWritableWithoutAFault(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 32 * PAGE, RW, false, null, 0);
            mm.populate(A, 32 * PAGE, 4);
            final long[] words = new long[32];
            for (int i = 0; i < 32; i++)
            {
                words[i] = mm.peekPte(A + i * PAGE);
            }
            final Events before = m.events().copy();
            mm.mprotect(A + 3 * PAGE, 20 * PAGE, R);
            for (int i = 0; i < 32; i++)
            {
                final boolean ro = i >= 3 && i < 23;
                assertThat(m.arch().pteWrite(mm.peekPte(A + i * PAGE))).as("page %d", i).isEqualTo(!ro);
                assertThat(m.arch().pteDirty(mm.peekPte(A + i * PAGE))).isTrue();
            }
            mm.mprotect(A + 3 * PAGE, 20 * PAGE, RW);
            for (int i = 0; i < 32; i++)
            {
                assertThat(m.arch().pteWrite(mm.peekPte(A + i * PAGE))).as("page %d", i).isTrue();
                assertThat(m.arch().pteMknoncont(mm.peekPte(A + i * PAGE))).isEqualTo(m.arch().pteMknoncont(words[i]));
            }
            assertThat(m.events().minus(before).faults).isZero();
            consistent(m);
        }
    }

    @Test
    void mprotectBackToWritableMapsExclusivePagesWritableWithoutAFault()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            mm.populate(A, 4 * PAGE, 0);
            final long pfn = pfnAt(mm, A);
            final Events before = m.events().copy();
            mm.mprotect(A, 4 * PAGE, R);
            assertThat(mm.peekPte(A)).as("RW cleared, D parked in SavedDirty")
                .isEqualTo(pfn << 12 | X86Pte.PRESENT | X86Pte.USER | X86Pte.ACCESSED | X86Pte.SOFT_DIRTY | X86Pte.SAVED_DIRTY | X86Pte.NX);
            mm.mprotect(A, 4 * PAGE, RW);
            assertThat(mm.peekPte(A)).isEqualTo(anonRw("x86_64", pfn));
            final Events e = m.events().minus(before);
            assertThat(e.faults).isZero();
            assertThat(e.tlbiRange).as("one flush per mprotect").isEqualTo(2);
            consistent(m);
        }
    }

    @Test
    void mprotectBackToWritableLeavesPagesSharedWithAChildReadOnly()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
            parent.mprotect(A, PAGE, R);
            parent.mprotect(A, PAGE, RW);
            assertThat(m.arch().pteWrite(parent.peekPte(A))).as("not PAE after fork: needs the write fault").isFalse();
            assertThat(parent.fault(A, true)).isEqualTo(FaultResult.REUSED);
            consistent(m);
        }
    }
}
