package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.B;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static io.forksim.mm.VmFlags.VM_ACCOUNT;
import static io.forksim.mm.VmFlags.VM_DONTCOPY;
import static io.forksim.mm.VmFlags.VM_MAYEXEC;
import static io.forksim.mm.VmFlags.VM_MAYREAD;
import static io.forksim.mm.VmFlags.VM_MAYSHARE;
import static io.forksim.mm.VmFlags.VM_MAYWRITE;
import static io.forksim.mm.VmFlags.VM_READ;
import static io.forksim.mm.VmFlags.VM_SHARED;
import static io.forksim.mm.VmFlags.VM_WIPEONFORK;
import static io.forksim.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** mmap, mprotect, madvise flag changes and mremap, with the VMA splits they need. */
class VmaTest
{
    private static final int MAY = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

    @Test
    void mmapSetsTheVmFlagsAndPageProtectionTheKernelWould()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final SimFile f = m.createFile("f", MIB);
            final Vma privAnon = mm.mmap(A, MIB, RW, false, null, 0);
            final Vma privRo = mm.mmap(A + MIB, MIB, R, false, null, 0);
            final Vma sharedAnon = mm.mmap(A + 2 * MIB, MIB, RW, true, null, 0);
            final Vma privFile = mm.mmap(A + 3 * MIB, MIB / 2, RW, false, f, MIB / 2);
            assertThat(privAnon.flags()).isEqualTo(VM_READ | VM_WRITE | MAY | VM_ACCOUNT);
            assertThat(privAnon.pageProt()).as("PAGE_COPY").isEqualTo(X86Pte.PAGE_COPY);
            assertThat(privAnon.pgoff()).isEqualTo(A >>> 12);
            assertThat(privAnon.isCow()).isTrue();
            assertThat(privRo.flags()).isEqualTo(VM_READ | MAY);
            assertThat(sharedAnon.flags()).isEqualTo(VM_READ | VM_WRITE | MAY | VM_SHARED | VM_MAYSHARE);
            assertThat(sharedAnon.pageProt()).isEqualTo(X86Pte.PAGE_SHARED);
            assertThat(sharedAnon.file().isShmem()).as("shmem_zero_setup").isTrue();
            assertThat(sharedAnon.file().sizePages()).isEqualTo(256);
            assertThat(privFile.flags()).isEqualTo(VM_READ | VM_WRITE | MAY | VM_ACCOUNT);
            assertThat(privFile.pgoff()).isEqualTo(128);
            assertThat(mm.vmas()).hasSize(4);
            assertThat(m.files()).hasSize(2);
            mm.munmap(A + 2 * MIB, MIB);
            assertThat(m.files()).as("the shmem file goes with its last mapping").containsExactly(f);
        }
    }

    static Stream<Arguments> badMmaps()
    {
        return Stream.of(
            Arguments.of("misaligned address", (Consumer<Mm>)mm -> mm.mmap(A + 100, PAGE, RW, false, null, 0), "0x40000064"),
            Arguments.of("zero length", (Consumer<Mm>)mm -> mm.mmap(B, 0, RW, false, null, 0), "length 0"),
            Arguments.of("negative length", (Consumer<Mm>)mm -> mm.mmap(B, -PAGE, RW, false, null, 0), "length -4096"),
            Arguments.of("misaligned length", (Consumer<Mm>)mm -> mm.mmap(B, 100, RW, false, null, 0), "length 100"),
            Arguments.of("negative address", (Consumer<Mm>)mm -> mm.mmap(-PAGE, PAGE, RW, false, null, 0), "0xfffffffffffff000"),
            Arguments.of("beyond TASK_SIZE", (Consumer<Mm>)mm -> mm.mmap((1L << 47) - PAGE, 2 * PAGE, RW, false, null, 0),
                "0x7ffffffff000+0x2000"),
            Arguments.of("overlap", (Consumer<Mm>)mm -> mm.mmap(A + MIB - PAGE, 2 * PAGE, RW, false, null, 0), "overlaps"),
            Arguments.of("bad prot", (Consumer<Mm>)mm -> mm.mmap(B, PAGE, 0x8, false, null, 0), "prot 0x8"),
            Arguments.of("anon with offset", (Consumer<Mm>)mm -> mm.mmap(B, PAGE, RW, false, null, PAGE), "offset 4096"),
            Arguments.of("past end of file", (Consumer<Mm>)mm -> mm.mmap(B, 2 * PAGE, RW, true, mm.machine().files().get(0), 3 * PAGE),
                "runs past the end of f"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badMmaps")
    void badMmapsAreRejectedNamingTheValueAndChangeNothing(final String what, final Consumer<Mm> call, final String message)
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            m.createFile("f", 4 * PAGE);
            mm.mmap(A, MIB, RW, false, null, 0);
            mm.populate(A, 64 * PAGE, 0);
            final MachineImage before = MachineImage.of(m);
            assertThatThrownBy(() -> call.accept(mm)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
        }
    }

    @Test
    void mprotectOfTheMiddleSplitsTheVmaIntoThreeAndRewritesOnlyThoseEntries()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 8 * PAGE, RW, false, null, 0);
            mm.populate(A, 8 * PAGE, 0);
            final Events before = m.events().copy();
            mm.mprotect(A + 2 * PAGE, 3 * PAGE, R);
            assertThat(mm.vmas()).extracting(Vma::start, Vma::end, Vma::flags, Vma::pgoff).containsExactly(
                Tuple.tuple(A, A + 2 * PAGE, VM_READ | VM_WRITE | MAY | VM_ACCOUNT, A >>> 12),
                Tuple.tuple(A + 2 * PAGE, A + 5 * PAGE, VM_READ | MAY | VM_ACCOUNT, (A >>> 12) + 2),
                Tuple.tuple(A + 5 * PAGE, A + 8 * PAGE, VM_READ | VM_WRITE | MAY | VM_ACCOUNT, (A >>> 12) + 5));
            for (int i = 0; i < 8; i++)
            {
                final boolean ro = i >= 2 && i < 5;
                assertThat(m.arch().pteWrite(mm.peekPte(A + i * PAGE))).as("page %d", i).isEqualTo(!ro);
                assertThat(m.arch().pteDirty(mm.peekPte(A + i * PAGE))).isTrue();
            }
            assertThat(m.events().minus(before).tlbiRange).isEqualTo(1);
            assertThatThrownBy(() -> mm.write(A + 3 * PAGE, 1)).hasMessage("SIGSEGV at 0x40003000");
            consistent(m);
        }
    }

    @Test
    void mprotectToProtNoneKeepsTheEntriesPresentButInaccessible()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.populate(A, PAGE, 0);
            final long pfn = pfnAt(mm, A);
            final long token = mm.read(A);
            mm.mprotect(A, PAGE, 0);
            final long pte = mm.peekPte(A);
            assertThat(X86Pte.pteProtnone(pte)).isTrue();
            assertThat(X86Pte.ptePfn(pte)).as("PFN stored inverted, read back intact").isEqualTo(pfn);
            assertThat(mm.fault(A, false)).isEqualTo(FaultResult.SEGV);
            consistent(m);
            mm.mprotect(A, PAGE, RW);
            assertThat(mm.peekPte(A)).isEqualTo(Fixtures.anonRw("x86_64", pfn));
            assertThat(mm.read(A)).isEqualTo(token);
        }
    }

    @Test
    void mprotectAndMadviseRejectRangesWithHolesBeforeChangingAnything()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            mm.mmap(A + 5 * PAGE, 4 * PAGE, RW, false, null, 0);
            mm.populate(A, 4 * PAGE, 0);
            final MachineImage before = MachineImage.of(m);
            for (final Executable call : List.<Executable>of(
                () -> mm.mprotect(A, 9 * PAGE, R),
                () -> mm.madvise(A, 9 * PAGE, Advice.DONTFORK),
                () -> mm.madvise(A, 9 * PAGE, Advice.DONTNEED)))
            {
                assertThatThrownBy(call::execute).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no mapping at 0x40004000");
            }
            assertThatThrownBy(() -> mm.mprotect(A, 4 * PAGE, 0x10)).hasMessageContaining("prot 0x10");
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
        }
    }

    @Test
    void madviseFlagAdvicesSplitVmasWhoseFlagsChangeAndMergeThemBack()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 8 * PAGE, RW, false, null, 0);
            mm.madvise(A + PAGE, 2 * PAGE, Advice.DONTFORK);
            assertThat(mm.vmas()).extracting(v -> v.flags() & VM_DONTCOPY).containsExactly(0, VM_DONTCOPY, 0);
            mm.madvise(A, 8 * PAGE, Advice.DONTFORK);
            assertThat(mm.vmas()).as("vma_modify merges the changed VMAs with their now equal neighbours")
                .extracting(Vma::start, Vma::end, v -> v.flags() & VM_DONTCOPY)
                .containsExactly(Tuple.tuple(A, A + 8 * PAGE, VM_DONTCOPY));
            mm.madvise(A, 8 * PAGE, Advice.DOFORK);
            mm.madvise(A + 4 * PAGE, 4 * PAGE, Advice.WIPEONFORK);
            assertThat(mm.vmas()).extracting(Vma::start, v -> v.flags() & (VM_DONTCOPY | VM_WIPEONFORK)).containsExactly(
                Tuple.tuple(A, 0), Tuple.tuple(A + 4 * PAGE, VM_WIPEONFORK));
            mm.madvise(A + 4 * PAGE, 4 * PAGE, Advice.KEEPONFORK);
            assertThat(mm.vmas()).extracting(Vma::start, Vma::end).containsExactly(Tuple.tuple(A, A + 8 * PAGE));
            mm.mmap(B, PAGE, RW, true, null, 0);
            final MachineImage before = MachineImage.of(m);
            assertThatThrownBy(() -> mm.madvise(B, PAGE, Advice.WIPEONFORK)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a private anonymous mapping");
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
        }
    }

    @Test
    void mremapOfTheSecondHalfOfAThpLeavesOneFolioMappedFromTwoVmas()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, THP, RW, false, null, 0);
            mm.populate(A, THP, 9);
            final long head = pfnAt(mm, A);
            final long[] words = new long[512];
            final long[] tokens = new long[512];
            for (int i = 0; i < 512; i++)
            {
                words[i] = mm.peekPte(A + i * PAGE);
                tokens[i] = m.memmap().token(head + i);
            }
            final Events before = m.events().copy();
            final Vma moved = mm.mremap(A + THP / 2, THP / 2, B);
            assertThat(moved.start()).isEqualTo(B);
            assertThat(moved.pgoff()).as("an anon VMA keeps its linear page index").isEqualTo((A + THP / 2) >>> 12);
            assertThat(mm.vmas()).extracting(Vma::start, Vma::end).containsExactly(
                Tuple.tuple(A, A + THP / 2), Tuple.tuple(B, B + THP / 2));
            for (int i = 0; i < 512; i++)
            {
                final long va = i < 256 ? A + i * PAGE : B + (i - 256) * PAGE;
                assertThat(mm.peekPte(va)).as("page %d moved unchanged", i).isEqualTo(words[i]);
                assertThat(mm.read(va)).isEqualTo(tokens[i]);
            }
            assertThat(mm.peekPte(A + THP / 2)).isZero();
            assertThat(m.memmap().largeMapcount(head)).isEqualTo(512);
            assertThat(m.memmap().rawRefcount(head)).isEqualTo(512);
            assertThat(m.events().minus(before).tlbiRange).isEqualTo(1);
            consistent(m);
            mm.munmap(A, THP / 2);
            assertThat(m.memmap().largeMapcount(head)).isEqualTo(256);
            final Events beforeLast = m.events().copy();
            mm.munmap(B, THP / 2);
            assertThat(m.events().minus(beforeLast).foliosFreed).as("the last mapping frees the folio").isEqualTo(1);
            consistent(m);
        }
    }

    @Test
    void mremapMovesSwapEntriesAndMarksMovedEntriesSoftDirty()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            mm.populate(A, 2 * PAGE, 0);
            mm.read(A + 2 * PAGE);
            mm.madvise(A, PAGE, Advice.PAGEOUT);
            final long swp = mm.peekPte(A);
            final long zero = mm.peekPte(A + 2 * PAGE);
            mm.mremap(A, 4 * PAGE, B + 510 * PAGE);   // the destination straddles two PTE tables
            assertThat(mm.peekPte(B + 510 * PAGE)).isEqualTo(swp);
            assertThat(mm.peekPte(B + 512 * PAGE)).as("move_soft_dirty_pte").isEqualTo(zero | X86Pte.SOFT_DIRTY);
            assertThat(m.swap().count(m.arch().pteSwpOffset(swp))).isEqualTo(1);
            assertThat(mm.findVma(A)).isNull();
            consistent(m);
            assertThat(mm.fault(B + 510 * PAGE, false)).isEqualTo(FaultResult.SWAPPED_IN);
            consistent(m);
        }
    }

    @Test
    void mremapRejectsBadRangesAndChangesNothing()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            mm.mmap(B, 4 * PAGE, RW, false, null, 0);
            mm.populate(A, 4 * PAGE, 0);
            final MachineImage before = MachineImage.of(m);
            assertThatThrownBy(() -> mm.mremap(A, 5 * PAGE, B + MIB)).hasMessageContaining("runs past the end");
            assertThatThrownBy(() -> mm.mremap(A + 4 * PAGE, PAGE, B + MIB)).hasMessageContaining("no mapping at 0x40004000");
            assertThatThrownBy(() -> mm.mremap(A, 2 * PAGE, B + 2 * PAGE)).hasMessageContaining("is not free");
            assertThatThrownBy(() -> mm.mremap(A, 2 * PAGE, A + PAGE)).hasMessageContaining("overlaps the old range");
            assertThatThrownBy(() -> mm.mremap(A, 2 * PAGE, B + 7)).hasMessageContaining("0xc0000007");
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
        }
    }
}
