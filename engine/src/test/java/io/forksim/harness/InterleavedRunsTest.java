package io.forksim.harness;

import io.forksim.fork.StrategyChoice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The order of the timed forks: in the default mode run r of every strategy and of the floor loop is interleaved
 * fork by fork ({@link WilliamsOrder}), the rounds of all runs in the {@link RunSchedule}'s order; with {@code --reuse-parent} run r is a block of forks per strategy, the first
 * block rotating with the run.
 */
class InterleavedRunsTest
{
    private static final List<StrategyChoice> ALL = List.of(StrategyChoice.LEGACY, StrategyChoice.ARCH_BATCH,
        StrategyChoice.FOLIO_BATCH, StrategyChoice.CONTPTE_BASIC);

    @Test
    void reuseParentBlocksRotateWithTheRun()
    {
        // three strategies and the floor (position 3): runs 0 to 4
        assertEquals(List.of(0, 1, 2, 3), order(0));
        assertEquals(List.of(1, 2, 3, 0), order(1));
        assertEquals(List.of(2, 3, 0, 1), order(2));
        assertEquals(List.of(3, 0, 1, 2), order(3));
        assertEquals(List.of(0, 1, 2, 3), order(4));
    }

    private static List<Integer> order(final int rotation)
    {
        final List<Integer> out = new ArrayList<>();
        for (int k = 0; k < 4; k++)
        {
            out.add(ForkRun.position(k, rotation, 4));
        }
        return out;
    }

    @Test
    void theDefaultModeInterleavesEveryStrategyForkByForkAndShufflesTheRunsRounds()
    {
        final Recorder rec = new Recorder();
        final ForkRun.Outcome o = ForkRun.run(plan(false), "arm64", rec);

        assertEquals(List.of(), o.problems(), "shared and own machines fork the same fresh parent every time");
        // 4 strategies, 3 forks per run, 2 runs: 6 rounds of one fork of every strategy (the same iteration of one
        // run), in the order of RunSchedule.SHUFFLED
        final int[] rounds = RunSchedule.SHUFFLED.rounds(2, 3);
        final int[] next = new int[2];
        final List<Integer> expected = new ArrayList<>();
        for (final int r : rounds)
        {
            final int iteration = ++next[r];
            for (int s = 0; s < 4; s++)
            {
                expected.add(iteration);
            }
        }
        assertEquals(expected, rec.iterations);
        assertEquals(List.of("arm64 order-0 (4 strategies and the floor, interleaved fork by fork, the runs' rounds shuffled) part 1/2",
            "arm64 order-0 (4 strategies and the floor, interleaved fork by fork, the runs' rounds shuffled) part 2/2"), rec.configs);
        assertEquals(8, rec.runsDone);
        for (final RawResult r : o.results())
        {
            assertEquals(2, r.runMeansNs().length);
            assertTrue(r.runMeansNs()[0] > 0 && r.runMeansNs()[1] > 0, r.strategy());
            assertTrue(r.floorRunMeansNs()[0] > 0 && r.floorRunMeansNs()[1] > 0, r.strategy());
            assertTrue(r.eventsIdentical(), r.strategy());
        }
    }

    @Test
    void reuseParentRunsKeepTheirBlocksOfForksOfOneParent()
    {
        final Recorder rec = new Recorder();
        final ForkRun.Outcome o = ForkRun.run(plan(true), "arm64", rec);

        assertEquals(List.of(), o.problems());
        assertEquals(List.of(1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3), rec.iterations);
        // run 2 starts at the second strategy (rotation by the run; the floor is position 4)
        assertEquals(List.of("arm64 order-0 legacy run 1/2", "arm64 order-0 arch-batch run 1/2",
            "arm64 order-0 folio-batch run 1/2", "arm64 order-0 contpte-basic run 1/2",
            "arm64 order-0 arch-batch run 2/2", "arm64 order-0 folio-batch run 2/2",
            "arm64 order-0 contpte-basic run 2/2", "arm64 order-0 legacy run 2/2"), rec.configs);
    }

    private static ForkPlan plan(final boolean reuseParent)
    {
        return new ForkPlan(2L << 20, List.of(0), List.of("arm64"), ALL, 2, 3, 256L << 20, reuseParent, false, 1, true, null);
    }

    /** What the listener saw: the iteration of every timed fork, every run's label and the runs done. */
    private static final class Recorder implements ForkRun.Listener
    {
        final List<Integer> iterations = new ArrayList<>();
        final List<String> configs = new ArrayList<>();
        int runsDone;

        @Override
        public void configStart(final String label, final int run)
        {
            configs.add(label);
        }

        @Override
        public void runDone(final String arch, final int order, final StrategyChoice strategy, final int run)
        {
            runsDone++;
        }

        @Override
        public void fork(final long[] events, final long forkNs, final int iteration)
        {
            if (iteration > 0)
            {
                iterations.add(iteration);
            }
        }
    }
}
