package io.forksim.stats;

import io.forksim.stats.RunStatistics.Ratio;
import io.forksim.stats.RunStatistics.Verdict;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The expected values were computed outside forksim, with numpy and scipy ({@code scipy.stats.t.ppf}), from the
 * same numbers; the worked example can be followed by hand. Interval bounds are compared to 1e-9: Hipparchus inverts
 * the t distribution's cumulative probability numerically, to about 1e-11.
 */
class RunStatisticsTest
{
    /**
     * Recorded: ForkBench.fork run means in ms, x86_64 order 0, 256 MiB, 8 rounds of 10 forks (20 warm-up) on the
     * shared 2-core machine while other builds ran: {@code ./forksim bench --seed-table --no-gate -- -p
     * config=x86_64:legacy,x86_64:folio-batch -p order=0 -p size=256M -i 10 -wi 20}. Run r of both ran in round r.
     */
    private static final double[] LEGACY = {0.636059, 0.576444, 0.667649, 0.683964, 0.572301, 0.512311, 0.526871, 0.516494};
    private static final double[] FOLIO_BATCH = {0.566175, 0.61353, 0.925518, 0.815174, 0.628221, 0.603047, 0.663416, 2.563237};

    @Test
    void meanSampleStdevAndRelativeStdevOfRecordedRunMeans()
    {
        assertThat(RunStatistics.mean(LEGACY)).isCloseTo(0.586511625, within(1e-15));
        assertThat(RunStatistics.stdev(LEGACY)).isCloseTo(0.06845612258110512, within(1e-15));
        assertThat(RunStatistics.relativeStdev(LEGACY)).isCloseTo(0.11671741814342575, within(1e-15));
        assertThat(RunStatistics.min(LEGACY)).isEqualTo(0.512311);
    }

    @Test
    void fewValues()
    {
        assertThat(RunStatistics.mean(new double[] {1, 2, 3, 4})).isEqualTo(2.5);
        assertThat(RunStatistics.stdev(new double[] {2, 4, 4, 4, 5, 5, 7, 9})).isCloseTo(Math.sqrt(32.0 / 7), within(1e-15));
        assertThat(RunStatistics.stdev(new double[] {3})).isZero();
        assertThat(RunStatistics.relativeStdev(new double[] {3})).isZero();
        assertThat(RunStatistics.mean(new double[0])).isNaN();
        assertThat(RunStatistics.min(new double[0])).isNaN();
    }

    @Test
    void studentTQuantiles()
    {
        assertThat(RunStatistics.tQuantile(0.95, 3)).isCloseTo(3.1824463052837078, within(1e-9));
        assertThat(RunStatistics.tQuantile(0.95, 7)).isCloseTo(2.364624251592784, within(1e-9));
        assertThat(RunStatistics.tQuantile(0.99, 7)).isCloseTo(3.4994832973504924, within(1e-9));
        assertThat(RunStatistics.tQuantile(0.99, 1e6)).isCloseTo(2.5758, within(1e-4));
        assertThat(RunStatistics.tQuantile(0.95, 0.5)).isInfinite();
    }

    @Test
    void theConfidenceIntervalOfAMeanIsStudentsT()
    {
        // eight runs with a stdev of 2: t(0.975, 7) * 2 / sqrt(8) = 2.3646 * 0.7071 = 1.6720
        assertThat(RunStatistics.meanHalfWidth(2, 8, RunStatistics.CONFIDENCE_95)).isCloseTo(1.6720, within(1e-4));
        assertThat(RunStatistics.meanHalfWidth(0, 4, RunStatistics.CONFIDENCE_95)).isZero();
        assertThatThrownBy(() -> RunStatistics.meanHalfWidth(2, 1, RunStatistics.CONFIDENCE_95))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not 1");
        assertThatThrownBy(() -> RunStatistics.meanHalfWidth(-1, 4, RunStatistics.CONFIDENCE_95))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1.0");
    }

    /**
     * Worked example. Legacy runs 100, 200, 300, 400 ns; the strategy's runs are those times e^-0.10, e^-0.05,
     * e^-0.15, e^-0.10, so the per-run log ratios are d = -0.10, -0.05, -0.15, -0.10:
     * <pre>
     *   mean(d) = -0.10                      deviations 0, +0.05, -0.05, 0
     *   stdev(d) = sqrt(0.005 / 3) = 0.0408248
     *   standard error = 0.0408248 / sqrt(4) = 0.0204124
     *   t(0.975, 3) = 3.1824463               half width = 0.0649611
     *   ratio = e^-0.10 = 0.9048374           interval = [e^-0.1649611, e^-0.0350389] = [0.8479264, 0.9655682]
     * </pre>
     * The interval lies below 1: faster, by 3.4% to 15.2%.
     */
    @Test
    void pairedRatioWorkedExample()
    {
        final double[] legacy = {100, 200, 300, 400};
        final double[] strategy = {100 * Math.exp(-0.10), 200 * Math.exp(-0.05), 300 * Math.exp(-0.15), 400 * Math.exp(-0.10)};
        final Ratio r = RunStatistics.pairedRatio(strategy, legacy, RunStatistics.CONFIDENCE_95);
        assertThat(r.value()).isCloseTo(0.9048374180359595, within(1e-12));
        assertThat(r.low()).isCloseTo(0.8479264222398306, within(1e-9));
        assertThat(r.high()).isCloseTo(0.9655681573352469, within(1e-9));
        assertThat(r.verdict()).isEqualTo(Verdict.FASTER);
        assertThat(r.verdict().label()).isEqualTo("faster");

        final Ratio back = RunStatistics.pairedRatio(legacy, strategy, RunStatistics.CONFIDENCE_95);
        assertThat(back.low()).isCloseTo(1 / r.high(), within(1e-12));
        assertThat(back.high()).isCloseTo(1 / r.low(), within(1e-12));
        assertThat(back.verdict()).isEqualTo(Verdict.SLOWER);
    }

    @Test
    void pairedRatioOfRecordedRunsWithOneSlowRunIsNoSignificantChange()
    {
        final Ratio all = RunStatistics.pairedRatio(FOLIO_BATCH, LEGACY, RunStatistics.CONFIDENCE_95);
        assertThat(all.value()).isCloseTo(1.3731311931412056, within(1e-12));
        assertThat(all.low()).isCloseTo(0.8777825586671899, within(1e-9));
        assertThat(all.high()).isCloseTo(2.1480140553718514, within(1e-9));
        assertThat(all.verdict()).isEqualTo(Verdict.NO_SIGNIFICANT_CHANGE);
        assertThat(all.verdict().label()).isEqualTo("no significant change");

        final Ratio firstSeven = RunStatistics.pairedRatio(Arrays.copyOf(FOLIO_BATCH, 7), Arrays.copyOf(LEGACY, 7), RunStatistics.CONFIDENCE_95);
        assertThat(firstSeven.value()).isCloseTo(1.1428681023898344, within(1e-12));
        assertThat(firstSeven.low()).isCloseTo(1.0036027376531222, within(1e-9));
        assertThat(firstSeven.high()).isCloseTo(1.301458685250805, within(1e-9));
        assertThat(firstSeven.verdict()).isEqualTo(Verdict.SLOWER);
    }

    @Test
    void identicalRunsGiveAPointIntervalAtOne()
    {
        final double[] v = {1.0, 1.1, 0.9, 1.05};
        final Ratio r = RunStatistics.pairedRatio(v, v, RunStatistics.CONFIDENCE_95);
        assertThat(r).isEqualTo(new Ratio(1.0, 1.0, 1.0));
        assertThat(r.verdict()).isEqualTo(Verdict.NO_SIGNIFICANT_CHANGE);
    }

    @Test
    void oneRunHasNoInterval()
    {
        final Ratio r = RunStatistics.pairedRatio(new double[] {2.0}, new double[] {4.0}, RunStatistics.CONFIDENCE_95);
        assertThat(r.value()).isEqualTo(0.5);
        assertThat(r.low()).isNaN();
        assertThat(r.high()).isNaN();
        assertThat(r.verdict()).isEqualTo(Verdict.NO_SIGNIFICANT_CHANGE);
    }

    @Test
    void pairedRatioRejectsWhatIsNotAPairOfPositiveTimes()
    {
        assertThatThrownBy(() -> RunStatistics.pairedRatio(new double[] {1, 2}, new double[] {1}, 0.95))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 and 1");
        assertThatThrownBy(() -> RunStatistics.pairedRatio(new double[0], new double[0], 0.95)).hasMessageContaining("at least one");
        assertThatThrownBy(() -> RunStatistics.pairedRatio(new double[] {1, 0}, new double[] {1, 1}, 0.95))
            .hasMessage("run 1 of a is not a positive time: 0.0");
        assertThatThrownBy(() -> RunStatistics.pairedRatio(new double[] {1, 1}, new double[] {Double.NaN, 1}, 0.95))
            .hasMessage("run 0 of b is not a positive time: NaN");
        assertThatThrownBy(() -> RunStatistics.pairedRatio(new double[] {1, 1}, new double[] {1, 1}, 1.0))
            .hasMessage("confidence must be in (0, 1), not 1.0");
    }

    /** The gate's unpaired interval on the recorded runs: delta method, Welch df = 7.3567, t(0.995, 7.3567). */
    @Test
    void unpairedRatioOfRecordedRuns()
    {
        final Ratio r = RunStatistics.unpairedRatio(FOLIO_BATCH, LEGACY, 0.99);
        assertThat(r.value()).isCloseTo(1.5725003745663184, within(1e-12));
        assertThat(r.low()).isCloseTo(0.6387196394486406, within(1e-9));
        assertThat(r.high()).isCloseTo(3.871428519319932, within(1e-9));
        assertThat(r.verdict()).isEqualTo(Verdict.NO_SIGNIFICANT_CHANGE);
    }

    @Test
    void unpairedRatioWithoutVarianceIsAPoint()
    {
        assertThat(RunStatistics.unpairedRatio(new double[] {2.0}, new double[] {1.0}, 0.99)).isEqualTo(new Ratio(2.0, 2.0, 2.0));
        assertThatThrownBy(() -> RunStatistics.unpairedRatio(new double[0], new double[] {1.0}, 0.99)).hasMessageContaining("0 and 1");
    }
}
