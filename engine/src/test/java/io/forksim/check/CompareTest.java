package io.forksim.check;

import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.harness.ForkPlan;
import io.forksim.harness.ForkRun;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** --verify: the cross-strategy comparison passes on the real strategies and catches a changed word. */
class CompareTest
{
    private static final ForkPlan PLAN = new ForkPlan(4L << 20, List.of(4), List.of("arm64"),
        List.of(StrategyChoice.LEGACY, StrategyChoice.ARCH_BATCH, StrategyChoice.FOLIO_BATCH), 1, 1, 64L << 20, false, true, 0, true, null);

    private static Compare.Image imageOf(final StrategyChoice s)
    {
        try (ForkRun.Setup setup = ForkRun.setup(PLAN, "arm64", 4, s == StrategyChoice.CONTPTE_BASIC))
        {
            final var child = Fork.fork(setup.parent, s.strategy());
            return Compare.capture(setup.machine, setup.parent, child, ForkPlan.BASE_VA, ForkPlan.BASE_VA + PLAN.sizeBytes());
        }
    }

    @Test
    void strategiesAgreeAndDifferOnlyInCont()
    {
        final Map<StrategyChoice, Compare.Image> images = new LinkedHashMap<>();
        for (final StrategyChoice s : StrategyChoice.values())
        {
            images.put(s, imageOf(s));
        }
        assertThat(Compare.crossCheck("arm64 order-4", images, true)).isEmpty();
        // legacy unfolds the parent's blocks, the batched strategies keep them: not equal without the mask
        assertThat(Compare.diff("x", images.get(StrategyChoice.LEGACY), images.get(StrategyChoice.FOLIO_BATCH), false)).isNotEmpty();
    }

    @Test
    void aChangedPteOrCounterIsReported()
    {
        final Compare.Image ref = imageOf(StrategyChoice.FOLIO_BATCH);
        final Compare.Image other = imageOf(StrategyChoice.FOLIO_BATCH);
        assertThat(Compare.diff("same", ref, other, false)).isEmpty();
        other.childPtes()[5] ^= 1L << 7;           // a permission bit of the child's 6th PTE
        other.meta()[Compare.META_INTS + 1] += 1;  // the refcount slot of the second page of the first folio
        final List<String> d = Compare.diff("broken", ref, other, true);
        assertThat(d).hasSize(2);
        assertThat(d.get(0)).contains("child PTE at 0x" + Long.toHexString(ForkPlan.BASE_VA + 5 * 4096));
        assertThat(d.get(1)).contains("refcount");
    }
}
