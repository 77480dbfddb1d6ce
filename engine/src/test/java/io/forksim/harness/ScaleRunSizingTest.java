package io.forksim.harness;

import static org.assertj.core.api.Assertions.assertThat;

import io.forksim.fork.StrategyChoice;

import org.junit.jupiter.api.Test;

/** How many forks a scale run times at each size, and the host memory it asks for up front. */
class ScaleRunSizingTest
{
    private static ScaleRun.Plan plan(final long size, final int order, final long ram)
    {
        return new ScaleRun.Plan("x86_64", order, StrategyChoice.FOLIO_BATCH, size, ram, 1L << 30, 20, ScaleRun.defaultForks(size),
            false);
    }

    @Test
    void sixtyFourGiBTimesItsFreshForkFiveTimesAndTakesElevenForks()
    {
        final ScaleRun.Plan p = plan(64L << 30, 0, ScaleRun.defaultRam(64L << 30));
        assertThat(ScaleRun.freshForks(p)).isEqualTo(5);
        assertThat(p.forks()).isEqualTo(11);
        assertThat(ScaleRun.steps(p)).isEqualTo(1 + 64 + 4 + 11 + 1);
    }

    @Test
    void oneTiBTimesOneFreshForkAndTakesThreeForks()
    {
        final ScaleRun.Plan p = plan(1L << 40, 9, ScaleRun.defaultRam(1L << 40));
        assertThat(ScaleRun.freshForks(p)).isEqualTo(1);
        assertThat(p.forks()).isEqualTo(3);
    }

    @Test
    void freeSimulatedRamCostsNoHostMemory()
    {
        // the buddy defers the records of free max-order blocks: more RAM, the same estimate
        assertThat(ScaleRun.hostBytesNeeded(plan(1L << 40, 9, 2L << 40)))
            .isEqualTo(ScaleRun.hostBytesNeeded(plan(1L << 40, 9, 4L << 40)));
    }
}
