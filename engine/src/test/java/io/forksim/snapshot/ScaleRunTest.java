package io.forksim.snapshot;

import io.forksim.fork.StrategyChoice;
import io.forksim.harness.ScaleReport;
import io.forksim.harness.ScaleRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scale runs: 64 GiB of order-0 pages and 1 TiB of order-9 folios, populated, forked and torn down on a
 * 24 GiB host, with fork ns/page within 15% of the 1 GiB figure measured in the same JVM. Minutes each: excluded from
 * the default test run; {@code mvn -Pscale test -Dtest=ScaleRunTest} (or {@code forksim scale --size 64G --order 0}).
 */
@Tag("scale")
class ScaleRunTest
{
    private static ScaleRun.Result run(final long size, final int order)
    {
        final ScaleRun.Plan plan = new ScaleRun.Plan("x86_64", order, StrategyChoice.FOLIO_BATCH, size, ScaleRun.defaultRam(size),
            1L << 30, 20, 3, false);
        final ScaleRun.Result r = ScaleRun.run(plan, new ScaleRun.Listener()
        {
            @Override
            public void step(final int done, final int total, final String text)
            {
                System.out.println("[" + done + "/" + total + "] " + text);
            }
        });
        ScaleReport.report(r).forEach(System.out::println);
        return r;
    }

    private static void linear(final ScaleRun.Result r)
    {
        assertThat(r.large().pages()).isEqualTo(r.plan().sizeBytes() >>> 12);
        assertThat(r.cpuRatio()).as("repeated forks' CPU ns/page against the 1 GiB baseline's").isLessThanOrEqualTo(1.15);
    }

    @Test
    void order0At64GiB()
    {
        linear(run(64L << 30, 0));
    }

    @Test
    void order9At1TiB()
    {
        final ScaleRun.Result r = run(1L << 40, 9);
        linear(r);
        assertThat(r.large().peakRssBytes()).as("fits the 24 GiB host").isLessThan(20L << 30);
    }
}
