package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.forksim.mm.Fixtures.X86_ANON_RW;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * folio_pte_batch_flags on an x86_64 table built by hand: an order-4 folio at PFN 0x100 whose first entry is old,
 * clean and write-protected and whose other 15 entries are young, dirty and writable. Each FPB flag decides which bits
 * break the batch, and the merge flags report what was ORed over it (and nothing when not asked for).
 */
class FolioPteBatchFlagsTest
{
    private static final long HEAD = 0x100;
    private static final long FIRST = HEAD << 12 | X86_ANON_RW & ~(X86Pte.ACCESSED | X86Pte.DIRTY | X86Pte.RW);

    private static long batch(final int flags, final long reads)
    {
        try (Machine m = Fixtures.x86(); Arena arena = Arena.ofConfined())
        {
            final Arch arch = m.arch();
            final MemorySegment t = arena.allocate(Arch.PTRS_PER_TABLE * 8L, 8);
            t.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, FIRST);
            for (int i = 1; i < 16; i++)
            {
                t.set(ValueLayout.JAVA_LONG_UNALIGNED, i * 8L, (HEAD + i) << 12 | X86_ANON_RW);
            }
            final Events ev = new Events();
            final long r = FolioPteBatch.folioPteBatch(arch, ev, t, 0, 0, FIRST, 16, HEAD + 16, flags);
            assertThat(ev.ptepGet).as("x86 has no batch hint: the entries after the first up to the break").isEqualTo(reads);
            return r;
        }
    }

    @Test
    void withoutFlagsWriteDirtyAndYoungAreIgnoredAndNothingIsMerged()
    {
        final long r = batch(0, 15);
        assertThat(FolioPteBatch.nr(r)).isEqualTo(16);
        assertThat(FolioPteBatch.anyWritable(r)).isFalse();
        assertThat(FolioPteBatch.anyYoung(r)).isFalse();
        assertThat(FolioPteBatch.anyDirty(r)).isFalse();
        assertThat(r).isEqualTo(16);
    }

    @Test
    void mergeFlagsReportTheWriteYoungAndDirtyBitsOfTheLaterEntries()
    {
        final long r = batch(FolioPteBatch.FPB_MERGE_WRITE | FolioPteBatch.FPB_MERGE_YOUNG_DIRTY, 15);
        assertThat(FolioPteBatch.nr(r)).isEqualTo(16);
        assertThat(FolioPteBatch.anyWritable(r)).isTrue();
        assertThat(FolioPteBatch.anyYoung(r)).isTrue();
        assertThat(FolioPteBatch.anyDirty(r)).isTrue();
    }

    @Test
    void mergeWriteAloneReportsNoYoungOrDirty()
    {
        final long r = batch(FolioPteBatch.FPB_MERGE_WRITE, 15);
        assertThat(FolioPteBatch.anyWritable(r)).isTrue();
        assertThat(FolioPteBatch.anyYoung(r)).isFalse();
        assertThat(FolioPteBatch.anyDirty(r)).isFalse();
    }

    @Test
    void respectingTheWriteBitEndsTheBatchAfterTheWriteProtectedFirstEntry()
    {
        assertThat(FolioPteBatch.nr(batch(FolioPteBatch.FPB_RESPECT_WRITE, 1))).isEqualTo(1);
    }

    @Test
    void respectingTheDirtyBitEndsTheBatchAfterTheCleanFirstEntry()
    {
        assertThat(FolioPteBatch.nr(batch(FolioPteBatch.FPB_RESPECT_DIRTY, 1))).isEqualTo(1);
    }
}
