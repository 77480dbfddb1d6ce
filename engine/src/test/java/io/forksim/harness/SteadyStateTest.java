package io.forksim.harness;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The warm-up's stopping rule: window medians within 2% of each other, or windows that do not differ significantly. */
class SteadyStateTest
{
    private static void window(final SteadyState s, final long... ns)
    {
        for (final long v : ns)
        {
            s.add(v);
        }
    }

    @Test
    void oneWindowIsNeverSteady()
    {
        final SteadyState s = new SteadyState();
        window(s, 100, 100, 100, 100, 100);
        assertThat(s.lastMedian()).isEqualTo(100);
        assertThat(s.steady()).isFalse();
    }

    @Test
    void twoWindowsWithMediansWithinTwoPercentAreSteady()
    {
        final SteadyState s = new SteadyState();
        window(s, 100, 101, 99, 100, 100);
        window(s, 102, 101, 102, 103, 900); // median 102: +2%, and one slow fork does not matter
        assertThat(s.lastMedian()).isEqualTo(102);
        assertThat(s.steady()).isTrue();
    }

    @Test
    void aMedianThatStillFallsIsNotSteady()
    {
        final SteadyState s = new SteadyState();
        window(s, 200, 190, 180, 170, 160);
        window(s, 150, 140, 130, 120, 110);
        assertThat(s.lastMedian()).isEqualTo(130);
        assertThat(s.steady()).isFalse();
        window(s, 100, 101, 100, 99, 100);
        assertThat(s.steady()).isFalse();
        window(s, 100, 100, 101, 99, 99);
        assertThat(s.steady()).isTrue();
    }

    @Test
    void jitterWithoutDriftIsSteadyThoughTheMediansDifferByThreePercent()
    {
        final SteadyState s = new SteadyState();
        window(s, 1200, 1150, 1260, 1180, 1230);
        window(s, 1240, 1170, 1290, 1235, 1160); // median 1235: +2.9%, but the two windows interleave
        assertThat(s.steady()).isTrue();
    }

    @Test
    void aWholeWindowAboveTheOneBeforeIsDriftEvenAtFourPercent()
    {
        final SteadyState s = new SteadyState();
        window(s, 1200, 1210, 1190, 1205, 1195);
        window(s, 1250, 1260, 1240, 1255, 1245); // every fork slower: p = 0.008
        assertThat(s.steady()).isFalse();
    }

    @Test
    void addSaysWhenAWindowIsComplete()
    {
        final SteadyState s = new SteadyState();
        for (int i = 1; i < SteadyState.WINDOW; i++)
        {
            assertThat(s.add(10)).isFalse();
        }
        assertThat(s.add(10)).isTrue();
    }
}
