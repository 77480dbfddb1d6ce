package io.forksim.harness;

import io.forksim.fork.StrategyChoice;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Timed forks per run by order, and how the reports name them. */
class ForkPlanIterationsTest
{
    private static ForkPlan plan(final List<Integer> orders, final int iterations, final int pmdIterations)
    {
        return new ForkPlan(4L << 20, orders, List.of("x86_64"), List.of(StrategyChoice.LEGACY), 8, iterations,
            pmdIterations, 4L << 30, false, false, 0, true, null);
    }

    @Test
    void theDefaultsGiveThePmdMappedOrderSixHundredForksPerRunAndEveryPteMappedOrderOneHundred()
    {
        assertThat(ForkPlan.defaultIterations(FolioOrder.PMD_9)).isEqualTo(600);
        for (int o = 0; o <= FolioOrder.MAX_ORDER; o++)
        {
            assertThat(ForkPlan.defaultIterations(o)).as("order %d", o).isEqualTo(100);
        }
    }

    @Test
    void theMethodLineNamesThePmdMappedCountWhenItDiffers()
    {
        assertThat(plan(List.of(0, 4, 9, FolioOrder.PMD_9), 100, 600).iterationsText("iterations per configuration"))
            .isEqualTo("100 iterations per configuration (600 for order-9 pmd-mapped)");
        assertThat(plan(List.of(0, FolioOrder.PMD_9), 40, 40).iterationsText("iterations per configuration"))
            .isEqualTo("40 iterations per configuration");
        // the count of the orders that ran
        assertThat(plan(List.of(FolioOrder.PMD_9), 100, 600).iterationsText("forks")).isEqualTo("600 forks");
        assertThat(plan(List.of(0, 9), 100, 600).iterationsText("forks")).isEqualTo("100 forks");
    }

    @Test
    void theReportHeaderAndTheWallTimeUseEachOrdersCount()
    {
        final ForkPlan p = plan(List.of(0, FolioOrder.PMD_9), 100, 600);
        final List<String> header = Report.render(p, new MachineInfo("cpu", 2, "jdk"), List.of(), false);
        assertThat(header).contains("  method:    8 runs x 100 iterations per configuration (600 for order-9 pmd-mapped);"
            + " only fork() is timed; mean = mean of the run means, stdev = stdev of the run means / mean");
        assertThat(p.timedForks()).isEqualTo(8 * (100 + 600));
    }

    @Test
    void aWorkersPlanOfOneOrderCarriesThatOrdersCount()
    {
        final ForkPlan p = plan(List.of(0, FolioOrder.PMD_9), 100, 600);
        final ForkPlan pmd = p.forArchAndOrder("x86_64", FolioOrder.PMD_9);
        assertThat(pmd.iterations()).isEqualTo(600);
        assertThat(pmd.pmdIterations()).isEqualTo(600);
        assertThat(pmd.timedForks()).isEqualTo(8 * 600);
        assertThat(p.forArchAndOrder("x86_64", 0).iterations()).isEqualTo(100);
    }
}
