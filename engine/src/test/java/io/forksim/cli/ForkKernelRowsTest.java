package io.forksim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forksim.host.KernelWorker;
import io.forksim.host.ThpSysfs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The main job shows this host's fork() next to the simulation (issue 13 §2); no time is asserted. */
class ForkKernelRowsTest
{
    private static final String[] RUN = {"fork", "--size", "4M", "--orders", "0,9", "--arch", "x86_64", "--strategy", "folio-batch",
        "--runs", "1", "--iterations", "1", "--warmup", "0", "--no-progress", "--no-counters", "--json", "-"};

    private static String[] with(final String... extra)
    {
        final String[] a = new String[RUN.length + extra.length];
        System.arraycopy(RUN, 0, a, 0, RUN.length);
        System.arraycopy(extra, 0, a, RUN.length, extra.length);
        return a;
    }

    @Test
    void theKernelRowsReplaceTheReferenceLineAndTheJsonListsEachShape() throws Exception
    {
        final String why = KernelWorker.unavailableReason(new ThpSysfs(ThpSysfs.DEFAULT_ROOT));
        if (why != null)
        {
            System.out.println("ForkKernelRowsTest skipped: " + why);
        }
        assumeTrue(why == null, why);
        final Cli r = Cli.run(with("--kernel", "--kernel-iterations", "2"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).contains("  kernel:    this host's fork(), measured in this run: Linux ")
            .contains("             1 runs x 2 forks with and as many without the region (MADV_DONTFORK), interleaved;")
            .doesNotContain("reference:");
        final JsonNode k = new ObjectMapper().readTree(r.out()).get("kernel");
        assertThat(k).hasSize(2);
        assertThat(k.get(0).get("shape").asText()).isEqualTo("order-0");
        assertThat(k.get(1).get("shape").asText()).isEqualTo("order-9-pte");
        for (final JsonNode s : k)
        {
            if (s.has("not_built"))
            {
                continue;
            }
            assertThat(s.get("ns_per_page").isNumber()).isTrue();
            assertThat(s.get("stdev_pct").isNumber()).isTrue();
            assertThat(s.get("folio_order_verified").isBoolean()).isTrue();
            assertThat(s.get("baseline_ms").isNumber()).isTrue();
            assertThat(s.get("dropped_samples").isIntegralNumber()).isTrue();
        }
    }

    @Test
    void noKernelSaysSoInOneLineAndLeavesTheJsonAsItWas() throws Exception
    {
        final Cli r = Cli.run(with("--no-kernel"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).contains("  kernel:    this host's fork() not measured: --no-kernel");
        assertThat(new ObjectMapper().readTree(r.out()).has("kernel")).isFalse();
    }
}
