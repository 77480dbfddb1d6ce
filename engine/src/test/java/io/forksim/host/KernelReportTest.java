package io.forksim.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Fit and rendering on recorded numbers (a 1 GiB run's shape results, written down here). */
class KernelReportTest
{
    private static final long SIZE = 1L << 30;
    private static final HostInfo HOST = new HostInfo("6.18.44-test", "enabled madvise, defrag madvise, per size 2048K inherit",
        "AMD EPYC", 2, true, Map.of("CONFIG_PARAVIRT_XXL", "y"));

    private static KernelShapeResult built(final String shape, final double nsPerPage)
    {
        return new KernelShapeResult(shape, true, true, "recorded", null, null, SIZE, 8, 100, nsPerPage, 2.5, 3.1,
            3.1 + nsPerPage * 262144 / 1e6, 1, nsPerPage - 1, 1.5);
    }

    private static List<KernelShapeResult> recorded()
    {
        return List.of(
            built("order-0", 38.6),
            built("order-9-pte", 27.3),
            KernelShapeResult.notBuilt("order-4", SIZE, "/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled is never",
                "echo madvise > /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled (or run with --configure-thp)"),
            built("order-9-pmd", 3.8),
            built("order-0-ro", 38.0),
            built("order-0-sparse", 4.0),
            built("zero", 30.0),
            built("zero-half", 15.5),
            built("order-9-pte-half", 30.0),
            built("order-9-pmd-half", 1.9));
    }

    @Test
    void withoutFitTheReportListsEachShapeAndWhyOneWasNotBuilt()
    {
        final List<String> t = KernelReport.text(HOST, SIZE, 8, 100, recorded(), null);
        assertThat(t.get(0)).isEqualTo("  host:    Linux 6.18.44-test, AMD EPYC (2 CPUs, virtualized: hypervisor flag set), CONFIG_PARAVIRT_XXL=y");
        assertThat(t).contains(
            "| shape               | kernel ns/page |   stdev | cpu ns/page |   stdev | baseline ms | dropped | verified |",
            "| order-0             |          38.60 |    2.5% |       37.60 |    1.5% |       3.100 |       1 |      yes |",
            "| order-9-pmd         |           3.80 |    2.5% |        2.80 |    1.5% |       3.100 |       1 |      yes |",
            "  not built: order-4: /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled is never; to enable: echo madvise >"
                + " /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled (or run with --configure-thp)");
    }

    @Test
    void theFitGivesEveryShapeAModelValueAndALeaveOneOutErrorAndPredictsTheStrategies() throws Exception
    {
        final KernelFit fit = KernelFit.of(recorded(), SIZE, "x86_64", false, m -> { });
        // nine shapes in the fit (order-4 not built)
        assertThat(fit.rows().stream().filter(KernelFit.Row::inFit).count()).isEqualTo(9);
        assertThat(fit.fit().costs()).hasSize(8);
        for (final double c : fit.fit().costs())
        {
            assertThat(Double.isNaN(c) || c >= 0).isTrue();
        }
        assertThat(fit.fit().costs()[7]).as("pte_wrprotect: zero in the steady state").isNaN();
        assertThat(fit.fit().costs()[6]).as("huge_pmd, ns per PMD-mapped THP").isCloseTo(3.8 * 512, within(0.1 * 3.8 * 512));
        final KernelFit.Prediction l = fit.prediction("legacy", "order-9-pte");
        final KernelFit.Prediction a = fit.prediction("arch-batch", "order-9-pte");
        final KernelFit.Prediction f = fit.prediction("folio-batch", "order-9-pte");
        assertThat(a.nsPerPage()).as("x86 arch-batch has legacy's events").isEqualTo(l.nsPerPage());
        assertThat(f.nsPerPage()).isCloseTo(27.3, within(3.0));
        assertThat(fit.prediction("legacy", "order-0").vsFolioBatchPct()).isEqualTo(0);
        final KernelFit.Prediction z = fit.prediction("legacy-zero-call", "order-9-pte");
        final double[] legacyEvents = {515, 0, 0, 262144, 262144, 512, 0, 0};
        assertThat(z.nsPerPage()).as("legacy with its calls priced as zero-page PTEs")
            .isCloseTo(fit.fit().predict(KernelFit.callsAsZeroPage(legacyEvents)) / 262144, within(1e-9));

        final List<String> t = KernelReport.text(HOST, SIZE, 8, 100, recorded(), fit);
        assertThat(t).anyMatch(s -> s.startsWith("| order-9-pmd         |           3.80 |    2.5% |        2.80 |    1.5% |       3.100 |       1 |      yes |"));
        assertThat(t).anyMatch(s -> s.startsWith("  costs:   pte_table ") && s.contains("pte_wrprotect not fitted"));
        assertThat(t).anyMatch(s -> s.startsWith("  goal:    leave-one-out error <= 10% on every shape: "));
        assertThat(t).anyMatch(s -> s.startsWith("  goal:    order-9-pte legacy->folio-batch within 10 points of David's -30%: ")
            && s.contains("; against legacy-zero-call "));
        assertThat(t).anyMatch(s -> s.startsWith("  note: legacy on a large folio is charged large_folio_call per PTE"));

        final JsonNode j = new ObjectMapper().readTree(KernelReport.json(HOST, SIZE, 8, 100, recorded(), fit));
        assertThat(j.at("/host/kernel_release").asText()).isEqualTo("6.18.44-test");
        assertThat(j.at("/host/kernel_config/CONFIG_PARAVIRT_XXL").asText()).isEqualTo("y");
        assertThat(j.at("/shapes/0/name").asText()).isEqualTo("order-0");
        assertThat(j.at("/shapes/0/kernel_ns_per_page").asDouble()).isEqualTo(38.6);
        assertThat(j.at("/shapes/0/kernel_stdev_pct").asDouble()).isEqualTo(2.5);
        assertThat(j.at("/shapes/0/folio_order_verified").asBoolean()).isTrue();
        assertThat(j.at("/shapes/0/sim_events/pte_store").asLong()).isEqualTo(262144);
        assertThat(j.at("/shapes/0/model_ns_per_page").isNumber()).isTrue();
        assertThat(j.at("/shapes/0/loo_error_pct").isNumber()).isTrue();
        assertThat(j.at("/shapes/2/not_built").asText()).endsWith("hugepages-64kB/enabled is never");
        assertThat(j.at("/shapes/3/sim_events/pmd_copy").asLong()).isEqualTo(512);
        assertThat(j.at("/shapes/3/loo_error_pct").isNumber()).isTrue();
        assertThat(j.at("/costs_ns/huge_pmd").isNumber()).isTrue();
        assertThat(j.at("/costs_ns").has("pte_wrprotect")).isFalse();
        assertThat(j.at("/r2").isNumber()).isTrue();
        assertThat(j.at("/predicted")).hasSize(12);
        assertThat(j.at("/predicted/1/strategy").asText()).isEqualTo("legacy-zero-call");
        assertThat(j.at("/predicted/0/strategy").asText()).isEqualTo("legacy");
        assertThat(j.at("/predicted/0/shape").asText()).isEqualTo("order-0");
        assertThat(j.at("/predicted/0/vs_folio_batch_pct").asDouble()).isEqualTo(0);
    }
}
