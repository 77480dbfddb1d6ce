package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.pgtable.PageTables;
import io.forksim.pte.Arm64Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

/** arm64 contpte at the thread's scale: 1 GiB = 262,144 pages = 16,384 contiguous 64 KiB blocks. */
class Arm64ForkCountsTest
{
    static final long GIB = 1L << 30;
    static final long BASE = 1L << 40;
    static final long BLOCKS = GIB / (64 << 10);

    record Result(Events events, long parentContBlocks, long childContBlocks) { }

    private static Result forkOnce(final int order, final StrategyChoice strategy, final boolean tlbiRange)
    {
        final Machine.Config cfg = Machine.Config.of(strategy.variant("arm64"), 3 * GIB).withTlbiRange(tlbiRange);
        try (Machine m = new Machine(cfg))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE, GIB, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            parent.populate(BASE, GIB, order);
            assertThat(contBlocks(m, parent)).isEqualTo(BLOCKS);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, strategy.strategy());
            final Events e = m.events().minus(before);
            return new Result(e, contBlocks(m, parent), contBlocks(m, child));
        }
    }

    static long contBlocks(final Machine m, final Mm mm)
    {
        final PageTables pt = m.pageTables();
        final long[] cont = {0};
        pt.forEachPteTable(mm.pgd(), 0, PageTables.TASK_SIZE, (table, va) ->
        {
            final MemorySegment s = pt.segment(table);
            final long b = pt.base(table);
            for (int i = 0; i < 512; i++)
            {
                if (Arm64Pte.pteValidCont(Arch.peek(s, b, i)))
                {
                    cont[0]++;
                }
            }
        });
        return cont[0] / 16;
    }

    @ParameterizedTest(name = "order-{0}")
    @ValueSource(ints = {4, 9})
    void legacyForkUnfoldsEveryParentBlock(final int order)
    {
        final Result r = forkOnce(order, StrategyChoice.LEGACY, true);
        assertThat(r.events.unfold).isEqualTo(BLOCKS);
        assertThat(r.parentContBlocks).isZero();
        // each unfold is a break-before-make: one TLBI by range (FEAT_TLBIRANGE) and two DSBs; the child's
        // blocks are refolded entry by entry when their last entry is set (auto-fold), at the same cost
        assertThat(r.events.fold).isEqualTo(BLOCKS);
        assertThat(r.childContBlocks).isEqualTo(BLOCKS);
        assertThat(r.events.tlbiRange).isEqualTo(2 * BLOCKS);
        assertThat(r.events.tlbiAsid).isEqualTo(1);
        assertThat(r.events.dsb).isEqualTo(4 * BLOCKS + 2);
    }

    @ParameterizedTest(name = "order-{0}")
    @ValueSource(ints = {4, 9})
    void legacyWithoutTlbiRangePaysSixteenTlbisPerBlockConversion(final int order)
    {
        final Result r = forkOnce(order, StrategyChoice.LEGACY, false);
        assertThat(r.events.tlbiPage).isEqualTo(2 * 16 * BLOCKS);
        assertThat(r.events.tlbiRange).isZero();
    }

    @ParameterizedTest(name = "order-{0}")
    @ValueSource(ints = {4, 9})
    void archBatchKeepsEveryBlockAndReadsEachBlockOnce(final int order)
    {
        final Result r = forkOnce(order, StrategyChoice.ARCH_BATCH, true);
        assertThat(r.events.unfold).isZero();
        assertThat(r.events.fold).isZero();
        assertThat(r.events.tlbiPage + r.events.tlbiRange).isZero();
        assertThat(r.events.tlbiAsid).isEqualTo(1);
        assertThat(r.events.ptepGet).isEqualTo(BLOCKS);
        assertThat(r.events.batches).isEqualTo(BLOCKS);
        assertThat(r.parentContBlocks).isEqualTo(BLOCKS);
        assertThat(r.childContBlocks).isEqualTo(BLOCKS);
    }

    @ParameterizedTest(name = "order-{0}")
    @ValueSource(ints = {4, 9})
    void folioBatchKeepsEveryBlockAndSkipsToEachBlockEnd(final int order)
    {
        final Result r = forkOnce(order, StrategyChoice.FOLIO_BATCH, true);
        assertThat(r.events.unfold).isZero();
        assertThat(r.events.fold).isZero();
        assertThat(r.events.tlbiPage + r.events.tlbiRange).isZero();
        assertThat(r.events.tlbiAsid).isEqualTo(1);
        // pte_batch_hint skips 15 of every 16 entries: one ptep_get per block
        assertThat(r.events.ptepGet).isEqualTo(BLOCKS);
        // one batch per folio: 16,384 order-4 folios or 512 order-9 folios
        assertThat(r.events.batches).isEqualTo((GIB >>> 12) >>> order);
        assertThat(r.parentContBlocks).isEqualTo(BLOCKS);
        assertThat(r.childContBlocks).isEqualTo(BLOCKS);
    }

    @ParameterizedTest(name = "order-{0}")
    @ValueSource(ints = {4, 9})
    void contpteBasicUnfoldsEveryParentBlockAndRefoldsEveryChildBlock(final int order)
    {
        final Result r = forkOnce(order, StrategyChoice.CONTPTE_BASIC, true);
        assertThat(r.events.unfold).isEqualTo(BLOCKS);
        assertThat(r.events.fold).isEqualTo(BLOCKS);
        assertThat(r.parentContBlocks).isZero();
        assertThat(r.childContBlocks).isEqualTo(BLOCKS);
    }
}
