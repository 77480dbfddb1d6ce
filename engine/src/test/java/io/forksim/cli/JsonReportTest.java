package io.forksim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The JSON report's schema (README): field names, order, types, one result per configuration. */
class JsonReportTest
{
    static final ObjectMapper JSON = new ObjectMapper();

    private static List<String> names(final JsonNode n)
    {
        final List<String> l = new ArrayList<>();
        n.fieldNames().forEachRemaining(l::add);
        return l;
    }

    @Test
    void schemaOfASmallRun(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("r.json");
        final Cli r = Cli.run("fork", "--size", "4M", "--orders", "0,9,9pmd", "--runs", "2", "--iterations", "2", "--warmup", "1",
            "--in-process", "--no-progress", "--no-counters", "--json", file.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        // the human tables still go to stdout when the JSON goes to a file
        assertThat(r.out()).contains("| x86_64").contains("| arm64").contains("events/fork");
        // beside the thread's table: each strategy against legacy with its interval, the floor, the distribution
        assertThat(r.out()).contains("| x86_64 vs legacy").contains("paired by run").contains("95% CI")
            .contains("| floor loop").contains("x floor").contains("| x86_64 fork µs").contains("no outliers removed");
        // the arm64 table has the arm64 floor's column and row
        assertThat(r.out()).contains("x arm64 floor").contains("| arm64 floor loop");
        final JsonNode root = JSON.readTree(file.toFile());
        assertThat(names(root)).containsExactly("size_bytes", "pages", "runs", "iterations", "pmd_iterations", "mode",
            "machine", "results");
        assertThat(root.get("size_bytes").asLong()).isEqualTo(4L << 20);
        assertThat(root.get("pages").asLong()).isEqualTo(1024);
        assertThat(root.get("runs").asInt()).isEqualTo(2);
        assertThat(root.get("iterations").asInt()).isEqualTo(2);
        assertThat(root.get("pmd_iterations").asInt()).isEqualTo(2);
        assertThat(root.get("mode").asText()).isEqualTo("fresh-parent");
        final JsonNode m = root.get("machine");
        assertThat(names(m)).containsExactly("cpu", "cores", "jdk", "ram_bytes", "tlbi_range");
        assertThat(m.get("cpu").isTextual()).isTrue();
        assertThat(m.get("cores").isInt()).isTrue();
        assertThat(m.get("jdk").isTextual()).isTrue();
        assertThat(m.get("ram_bytes").asLong()).isEqualTo(4L << 30);
        assertThat(m.get("tlbi_range").isBoolean()).isTrue();
        final JsonNode results = root.get("results");
        assertThat(results.isArray()).isTrue();
        assertThat(results).hasSize(2 * 3 * 3);
        for (final JsonNode res : results)
        {
            final boolean arm64 = res.get("arch").asText().equals("arm64");
            final List<String> floors = arm64
                ? List.of("floor_ns_per_page", "vs_floor", "arch_floor_ns_per_page", "vs_arch_floor")
                : List.of("floor_ns_per_page", "vs_floor");
            final List<String> expected = new ArrayList<>(List.of("arch", "strategy", "order", "mapping", "iterations",
                "mean_ns", "stdev_pct", "ns_per_page", "vs_legacy_pct", "vs_legacy_ci95", "verdict"));
            expected.addAll(floors);
            expected.addAll(List.of("teardown_ns", "fork_ns", "warmup_forks", "events_per_fork"));
            assertThat(names(res)).containsExactlyElementsOf(expected);
            if (arm64 && res.get("mapping").asText().equals("pte"))
            {
                // the arm64 floor ran in the same rounds: per-PTE at order 0, batched at 9
                assertThat(res.get("arch_floor_ns_per_page").asDouble()).isPositive();
                assertThat(res.get("vs_arch_floor").asDouble())
                    .isCloseTo(res.get("ns_per_page").asDouble() / res.get("arch_floor_ns_per_page").asDouble(),
                        org.assertj.core.data.Offset.offset(0.01 * res.get("vs_arch_floor").asDouble() + 0.01));
            }
            else if (arm64)
            {
                assertThat(res.get("arch_floor_ns_per_page").isNull()).as("9pmd has no arm64 floor").isTrue();
                assertThat(res.get("vs_arch_floor").isNull()).isTrue();
            }
            // two runs: a paired interval [low, high] around the per-run ratios, and the thread's verdict words
            final JsonNode ci = res.get("vs_legacy_ci95");
            assertThat(ci.isArray()).isTrue();
            assertThat(ci).hasSize(2);
            assertThat(ci.get(0).asDouble()).isLessThanOrEqualTo(ci.get(1).asDouble());
            assertThat(res.get("verdict").asText()).isIn("faster", "slower", "no significant change");
            // the floor loop ran in the same worker over as many pages
            assertThat(res.get("floor_ns_per_page").asDouble()).isPositive();
            assertThat(res.get("vs_floor").asDouble())
                .isCloseTo(res.get("ns_per_page").asDouble() / res.get("floor_ns_per_page").asDouble(),
                    org.assertj.core.data.Offset.offset(0.01 * res.get("vs_floor").asDouble() + 0.01));
            final JsonNode ft = res.get("fork_ns");
            assertThat(names(ft)).containsExactly("count", "min", "p50", "p90", "p99", "max", "page_faults", "preempted");
            assertThat(ft.get("page_faults").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(ft.get("preempted").asLong()).isBetween(0L, 4L);
            assertThat(res.get("iterations").asInt()).isEqualTo(2);
            assertThat(ft.get("count").asLong()).isEqualTo(2 * 2);
            assertThat(ft.get("min").asLong()).isPositive().isLessThanOrEqualTo(ft.get("p50").asLong());
            assertThat(ft.get("p50").asLong()).isLessThanOrEqualTo(ft.get("p99").asLong());
            assertThat(ft.get("p99").asLong()).isLessThanOrEqualTo(ft.get("max").asLong());
            assertThat(res.get("warmup_forks").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(res.get("arch").asText()).isIn("x86_64", "arm64");
            assertThat(res.get("strategy").asText()).isIn("legacy", "arch-batch", "folio-batch");
            assertThat(res.get("order").asInt()).isIn(0, 9);
            final boolean pmd = res.get("mapping").asText().equals("pmd");
            assertThat(res.get("mapping").asText()).isIn("pte", "pmd");
            assertThat(res.get("mean_ns").isNumber()).isTrue();
            assertThat(res.get("mean_ns").asDouble()).isPositive();
            assertThat(res.get("stdev_pct").asDouble()).isGreaterThanOrEqualTo(0);
            assertThat(res.get("ns_per_page").asDouble())
                .isCloseTo(res.get("mean_ns").asDouble() / 1024, org.assertj.core.data.Offset.offset(0.01));
            assertThat(res.get("vs_legacy_pct").isNumber()).isTrue();
            if (res.get("strategy").asText().equals("legacy"))
            {
                assertThat(res.get("vs_legacy_pct").asDouble()).isZero();
                assertThat(res.get("vs_legacy_ci95").get(0).asDouble()).isZero();
                assertThat(res.get("vs_legacy_ci95").get(1).asDouble()).isZero();
                assertThat(res.get("verdict").asText()).isEqualTo("no significant change");
            }
            assertThat(res.get("teardown_ns").asDouble()).isPositive();
            final JsonNode ev = res.get("events_per_fork");
            assertThat(names(ev)).containsExactly(Events.NAMES);
            ev.forEach(v -> assertThat(v.isIntegralNumber()).as(ev.toString()).isTrue());
            if (pmd)
            {
                assertThat(res.get("order").asInt()).isEqualTo(9);
                assertThat(ev.get("ptep_get").asLong()).as("copy_huge_pmd reads no PTE").isZero();
                assertThat(ev.get("pmd_copy").asLong()).as("4 MiB = two PMD-mapped THPs").isEqualTo(2);
            }
            else
            {
                assertThat(ev.get("ptep_get").asLong()).isPositive();
                assertThat(ev.get("pmd_copy").asLong()).isZero();
            }
        }
    }

    @Test
    void withoutIterationsEachResultCarriesItsOrdersCountAndTheHeaderNamesBoth() throws Exception
    {
        final Cli r = Cli.run("fork", "--size", "2M", "--orders", "0,9pmd", "--arch", "x86_64", "--strategy", "legacy",
            "--runs", "1", "--warmup", "0", "--in-process", "--no-progress", "--no-counters", "--no-kernel", "--json", "-");
        assertThat(r.code()).as(r.toString()).isZero();
        final JsonNode root = JSON.readTree(r.out());
        assertThat(root.get("iterations").asInt()).isEqualTo(100);
        assertThat(root.get("pmd_iterations").asInt()).isEqualTo(600);
        final JsonNode results = root.get("results");
        assertThat(results).hasSize(2);
        for (final JsonNode res : results)
        {
            final int n = res.get("mapping").asText().equals("pmd") ? 600 : 100;
            assertThat(res.get("iterations").asInt()).as(res.toString()).isEqualTo(n);
            // the forks that ran: one run of n
            assertThat(res.get("fork_ns").get("count").asLong()).as(res.toString()).isEqualTo(n);
        }
        assertThat(r.err()).contains("  method:    1 runs x 100 iterations per configuration (600 for order-9 pmd-mapped);"
            + " only fork() is timed");
    }

    /** An in-process 2 MiB run of legacy alone, no warm-up, no kernel, JSON to stdout, plus {@code args}; it succeeded. */
    private static Cli smallLegacyRun(final String... args) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of("fork", "--size", "2M", "--strategy", "legacy", "--warmup", "0",
            "--in-process", "--no-progress", "--no-counters", "--no-kernel", "--json", "-"));
        all.addAll(List.of(args));
        final Cli r = Cli.run(all.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void aRunOfNinePmdAloneSaysTheForksItRanAtTheTop() throws Exception
    {
        final Cli r = smallLegacyRun("--orders", "9pmd", "--arch", "x86_64", "--runs", "1");
        final JsonNode root = JSON.readTree(r.out());
        // nothing ran 100 forks a run: the top-level count is 9pmd's, as the header's
        assertThat(root.get("iterations").asInt()).isEqualTo(600);
        assertThat(root.get("pmd_iterations").asInt()).isEqualTo(600);
        assertThat(root.get("results").get(0).get("iterations").asInt()).isEqualTo(600);
        assertThat(r.err()).contains("  method:    1 runs x 600 iterations per configuration;");
    }

    @Test
    void aRunWithoutNinePmdHasNoPmdIterations() throws Exception
    {
        final JsonNode root = JSON.readTree(smallLegacyRun("--orders", "0", "--arch", "x86_64", "--runs", "1",
            "--iterations", "3").out());
        assertThat(root.get("iterations").asInt()).isEqualTo(3);
        assertThat(root.get("pmd_iterations").isNull()).as("9pmd did not run").isTrue();
    }

    @Test
    void withReuseParentTheArm64FloorRunsInItsOwnBlock() throws Exception
    {
        final Cli r = smallLegacyRun("--orders", "0,4", "--arch", "arm64", "--runs", "2", "--iterations", "2",
            "--reuse-parent");
        final JsonNode results = JSON.readTree(r.out()).get("results");
        assertThat(results.get(0).get("order").asInt()).isZero();
        assertThat(results.get(0).get("arch_floor_ns_per_page").asDouble()).isPositive();
        assertThat(results.get(0).get("vs_arch_floor").asDouble()).isPositive();
        assertThat(results.get(1).get("order").asInt()).isEqualTo(4);
        assertThat(results.get(1).get("arch_floor_ns_per_page").asDouble()).as("the batched arm64 floor").isPositive();
        assertThat(r.err()).contains("| arm64 floor loop");
    }

    @Test
    void jsonToStdoutMovesTheTablesToStderr() throws Exception
    {
        final Cli r = Cli.run("fork", "--size", "2M", "--orders", "0", "--arch", "x86_64", "--strategy", "folio-batch",
            "--runs", "1", "--iterations", "1", "--warmup", "0", "--in-process", "--no-progress", "--no-counters",
            "--reuse-parent", "--json", "-");
        assertThat(r.code()).as(r.toString()).isZero();
        final JsonNode root = JSON.readTree(r.out());
        assertThat(root.get("mode").asText()).isEqualTo("reuse-parent");
        // no legacy measured: nothing to be relative to
        assertThat(root.get("results").get(0).get("vs_legacy_pct").isNull()).isTrue();
        assertThat(root.get("results").get(0).get("vs_legacy_ci95").isNull()).isTrue();
        assertThat(root.get("results").get(0).get("verdict").isNull()).isTrue();
        assertThat(r.err()).contains("| x86_64").contains("reuse-parent").contains("n/a");
    }
}
