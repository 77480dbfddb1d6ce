package io.forksim.harness;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The order of the timed phase's rounds: every run gets its iterations, shuffled by default, the same every time. */
class RunScheduleTest
{
    @Test
    void sequentialRunsRunOneAfterTheOther()
    {
        assertThat(RunSchedule.SEQUENTIAL.rounds(3, 2)).containsExactly(0, 0, 1, 1, 2, 2);
    }

    @Test
    void shuffledRoundsGiveEveryRunItsIterationsInAnOrderThatMixesTheRuns()
    {
        final int[] rounds = RunSchedule.SHUFFLED.rounds(8, 100);
        final int[] perRun = new int[8];
        for (final int r : rounds)
        {
            perRun[r]++;
        }
        assertThat(perRun).containsOnly(100);
        assertThat(rounds).isNotEqualTo(RunSchedule.SEQUENTIAL.rounds(8, 100));
        // every run has rounds in the first and in the last eighth of the phase: its mean samples the whole phase
        for (int r = 0; r < 8; r++)
        {
            final int run = r;
            assertThat(Arrays.stream(rounds, 0, 100).anyMatch(x -> x == run)).as("run %d early", r).isTrue();
            assertThat(Arrays.stream(rounds, 700, 800).anyMatch(x -> x == run)).as("run %d late", r).isTrue();
        }
    }

    @Test
    void everyInvocationRunsTheSameSchedule()
    {
        assertThat(RunSchedule.SHUFFLED.rounds(8, 100)).isEqualTo(RunSchedule.SHUFFLED.rounds(8, 100));
    }

    @Test
    void thePropertyNamesOneOfTheTwoOrders()
    {
        assertThat(RunSchedule.parse("shuffled")).isEqualTo(RunSchedule.SHUFFLED);
        assertThat(RunSchedule.parse("sequential")).isEqualTo(RunSchedule.SEQUENTIAL);
        assertThatThrownBy(() -> RunSchedule.parse("random")).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("-Dforksim.runOrder must be shuffled or sequential, not 'random'");
    }

    @Test
    void emptyRunsOrIterationsAreRejectedByValue()
    {
        assertThatThrownBy(() -> RunSchedule.SHUFFLED.rounds(0, 5)).hasMessageContaining("not 0 and 5");
        assertThatThrownBy(() -> RunSchedule.SHUFFLED.rounds(2, 0)).hasMessageContaining("not 2 and 0");
    }
}
