package io.forksim.snapshot;

import io.forksim.fork.StrategyChoice;
import io.forksim.harness.ScaleReport;
import io.forksim.harness.ScaleRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scale runs: 64 GiB of order-0 pages and 1 TiB of order-9 folios, populated, forked and torn down on a
 * 24 GiB host, with fork CPU ns/page, fresh against fresh and repeated against repeated, within 10% (64 GiB order-0)
 * and 20% (1 TiB order-9) of the 1 GiB figures measured in the same JVM (issue 17); at 1 TiB within today's memory:
 * 11.5 GiB peak RSS and 33 B of off-heap state per page of simulated RAM. Minutes each: excluded from
 * the default test run; {@code mvn -Pscale test -Dtest=ScaleRunTest} (or {@code forksim scale --size 64G --order 0}).
 */
@Tag("scale")
class ScaleRunTest
{
    private static ScaleRun.Result run(final long size, final int order)
    {
        final ScaleRun.Plan plan = new ScaleRun.Plan("x86_64", order, StrategyChoice.FOLIO_BATCH, size, ScaleRun.defaultRam(size),
            1L << 30, 20, ScaleRun.defaultForks(size), false);
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

    private static void linear(final ScaleRun.Result r, final double tolerance)
    {
        assertThat(r.large().pages()).isEqualTo(r.plan().sizeBytes() >>> 12);
        assertThat(r.freshCpuRatio()).as("fresh fork's CPU ns/page against the 1 GiB baseline's").isLessThanOrEqualTo(tolerance);
        assertThat(r.cpuRatio()).as("repeated forks' CPU ns/page against the 1 GiB baseline's").isLessThanOrEqualTo(tolerance);
    }

    @Test
    void order0At64GiB()
    {
        linear(run(64L << 30, 0), 1.10);
    }

    @Test
    void order9At1TiB()
    {
        final ScaleRun.Result r = run(1L << 40, 9);
        linear(r, 1.20);
        assertThat(r.large().peakRssBytes()).as("peak RSS").isLessThanOrEqualTo((long)(11.5 * (1L << 30)));
        assertThat((double)r.large().offHeapReservedBytes() / (r.large().ramBytes() >>> 12)).as("off-heap B per page of RAM")
            .isLessThanOrEqualTo(33.05);   // measured 33.01 at 2.01 TiB of RAM (the "33 B", rounded): whole 16 MiB table chunks
    }
}
