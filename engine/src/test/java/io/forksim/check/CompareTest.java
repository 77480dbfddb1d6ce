package io.forksim.check;

import io.forksim.arch.Arch;
import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.harness.ForkPlan;
import io.forksim.harness.ForkRun;
import io.forksim.harness.PopulatedParent;
import io.forksim.mm.Mm;
import io.forksim.pgtable.PageTables;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/** --verify: the cross-strategy comparison passes on the real strategies and catches a changed word. */
class CompareTest
{
    private static final ForkPlan PLAN = new ForkPlan(4L << 20, List.of(4), List.of("arm64"),
        List.of(StrategyChoice.LEGACY, StrategyChoice.ARCH_BATCH, StrategyChoice.FOLIO_BATCH), 1, 1, 64L << 20, false, true, 0, true, null);

    private static MachineImage imageOf(final StrategyChoice s)
    {
        return imageOf(s, (setup, child) -> { });
    }

    /** The fork image after {@code change} altered the machine with the child alive. */
    private static MachineImage imageOf(final StrategyChoice s, final BiConsumer<PopulatedParent, Mm> change)
    {
        try (PopulatedParent setup = ForkRun.setup(PLAN, "arm64", 4, s == StrategyChoice.CONTPTE_BASIC))
        {
            final Mm child = Fork.fork(setup.parent(), s.strategy());
            change.accept(setup, child);
            return MachineImage.ofFork(setup.machine(), setup.parent(), child, ForkPlan.BASE_VA,
                ForkPlan.BASE_VA + PLAN.sizeBytes());
        }
    }

    @Test
    void strategiesAgreeAndDifferOnlyInCont()
    {
        final Map<StrategyChoice, MachineImage> images = new LinkedHashMap<>();
        for (final StrategyChoice s : StrategyChoice.values())
        {
            images.put(s, imageOf(s));
        }
        assertThat(Compare.crossCheck("arm64 order-4", images, true)).isEmpty();
        // legacy unfolds the parent's blocks, the batched strategies keep them: not equal without the mask
        assertThat(images.get(StrategyChoice.LEGACY).diff("x", images.get(StrategyChoice.FOLIO_BATCH), false)).isNotEmpty();
    }

    @Test
    void aChangedPteOrCounterIsReported()
    {
        final MachineImage ref = imageOf(StrategyChoice.FOLIO_BATCH);
        assertThat(ref.diff("same", imageOf(StrategyChoice.FOLIO_BATCH), false)).isEmpty();
        final long sixth = ForkPlan.BASE_VA + 5 * 4096;
        final MachineImage other = imageOf(StrategyChoice.FOLIO_BATCH, (setup, child) ->
        {
            final PageTables pt = setup.machine().pageTables();
            // a permission bit of the child's 6th PTE
            final long t = pt.pteOffsetMap(child.pgd(), sixth);
            final int idx = PageTables.pteIndex(sixth);
            Arch.poke(pt.segment(t), pt.base(t), idx, Arch.peek(pt.segment(t), pt.base(t), idx) ^ (1L << 7));
            // the refcount slot of the second page of the first folio
            final long first = pt.pteOffsetMap(setup.parent().pgd(), ForkPlan.BASE_VA);
            final long head = setup.machine().arch().ptePfn(Arch.peek(pt.segment(first), pt.base(first), 0));
            setup.machine().memmap().refAdd(head + 1, 1);
        });
        final List<String> d = ref.diff("broken", other, true);
        assertThat(d).hasSize(2);
        assertThat(d.get(0)).contains("child PTE at 0x" + Long.toHexString(sixth));
        assertThat(d.get(1)).contains("refcount");
    }
}
