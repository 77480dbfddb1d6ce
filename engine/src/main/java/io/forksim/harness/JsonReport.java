package io.forksim.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.forksim.stats.Events;

import java.util.List;

/**
 * The JSON report of {@code forksim fork} (schema version 1, documented in the README), and the JSON lines worker
 * JVMs print for their parent. Written with Jackson; fields appear in this order:
 * <pre>
 * {"size_bytes": 1073741824, "pages": 262144, "runs": 8, "iterations": 100, "pmd_iterations": 600, "mode": "fresh-parent",
 *  "machine": {"cpu": "...", "cores": 2, "jdk": "...", "ram_bytes": 4294967296, "tlbi_range": true},
 *  "results": [{"arch": "arm64", "strategy": "folio-batch", "order": 9, "mapping": "pte", "iterations": 100,
 *               "mean_ns": 1234567.8, "stdev_pct": 0.8,
 *               "ns_per_page": 4.71, "vs_legacy_pct": -12.3, "vs_legacy_ci95": [-13.1, -11.4], "verdict": "faster",
 *               "floor_ns_per_page": 2.05, "vs_floor": 2.3, "arch_floor_ns_per_page": null, "vs_arch_floor": null,
 *               "teardown_ns": 2345678.9,
 *               "fork_ns": {"count": 800, "min": 1200000, "p50": 1230000, "p90": 1250000, "p99": 1300000, "max": 1900000,
 *                           "page_faults": 0, "preempted": 3},
 *               "warmup_forks": 23,
 *               "events_per_fork": {"ptep_get": 8192, ...every name of Events.NAMES...}}, ...]}
 * </pre>
 * {@code iterations} is the timed forks per run of the PTE-mapped orders, or of 9pmd in a run of 9pmd alone
 * ({@link ForkPlan#ranIterations}: what ran, as the header's first number); {@code pmd_iterations} is 9pmd's, null
 * when 9pmd did not run ({@link ForkPlan#iterationsFor}); each result's {@code iterations} is its own configuration's.
 * {@code vs_legacy_pct}, {@code vs_legacy_ci95} and {@code verdict} are null when legacy was not measured
 * ({@code vs_legacy_ci95} also with one run); {@code floor_ns_per_page} and {@code vs_floor} null when the floor was
 * not measured; {@code arch_floor_ns_per_page} and {@code vs_arch_floor} (the {@link Arm64FloorLoop} and the ratio to
 * it) only on arm64 results, null at 9pmd; {@code fork_ns.page_faults} = page faults of the measuring
 * thread inside all timed forks, {@code fork_ns.preempted} = timed forks during which it was preempted (both -1 when
 * unknown); events are exact integers; {@code mode} is "fresh-parent" or "reuse-parent" (then the events are
 * those of the last fork).
 */
public final class JsonReport
{
    static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonReport()
    {
    }

    public static ObjectNode build(final ForkPlan plan, final MachineInfo host, final List<Result> results)
    {
        final ObjectNode root = MAPPER.createObjectNode();
        root.put("size_bytes", plan.sizeBytes());
        root.put("pages", plan.pages());
        root.put("runs", plan.runs());
        root.put("iterations", plan.ranIterations());
        if (plan.hasPmdMappedOrder())
        {
            root.put("pmd_iterations", plan.pmdIterations());
        }
        else
        {
            root.putNull("pmd_iterations");
        }
        root.put("mode", plan.modeName());
        final ObjectNode m = root.putObject("machine");
        m.put("cpu", host.cpu());
        m.put("cores", host.cores());
        m.put("jdk", host.jdk());
        m.put("ram_bytes", plan.ramBytes());
        m.put("tlbi_range", plan.tlbiRange());
        final ArrayNode rs = root.putArray("results");
        for (final Result r : results)
        {
            final ObjectNode o = rs.addObject();
            o.put("arch", r.arch());
            o.put("strategy", r.strategy());
            o.put("order", FolioOrder.order(r.order()));
            o.put("mapping", FolioOrder.mapping(r.order()).jsonName());
            o.put("iterations", plan.iterationsFor(r.order()));
            o.put("mean_ns", round(r.meanNs(), 1));
            o.put("stdev_pct", round(r.stdevPct(), 3));
            o.put("ns_per_page", round(r.nsPerPage(), 3));
            if (r.vsLegacyPct() == null)
            {
                o.putNull("vs_legacy_pct");
            }
            else
            {
                o.put("vs_legacy_pct", round(r.vsLegacyPct(), 3));
            }
            if (r.vsLegacyCi95() == null)
            {
                o.putNull("vs_legacy_ci95");
            }
            else
            {
                o.putArray("vs_legacy_ci95").add(round(r.vsLegacyCi95()[0], 3)).add(round(r.vsLegacyCi95()[1], 3));
            }
            if (r.verdict() == null)
            {
                o.putNull("verdict");
            }
            else
            {
                o.put("verdict", r.verdict().label());
            }
            putFinite(o, "floor_ns_per_page", r.floorNsPerPage(), 3);
            putFinite(o, "vs_floor", r.vsFloor(), 3);
            if (r.arch().equals("arm64"))
            {
                putFinite(o, "arch_floor_ns_per_page", r.archFloorNsPerPage(), 3);
                putFinite(o, "vs_arch_floor", r.vsArchFloor(), 3);
            }
            o.put("teardown_ns", round(r.teardownNs(), 1));
            final ObjectNode ft = o.putObject("fork_ns");
            ft.put("count", r.forkTimes().count());
            ft.put("min", r.forkTimes().minNs());
            ft.put("p50", r.forkTimes().p50Ns());
            ft.put("p90", r.forkTimes().p90Ns());
            ft.put("p99", r.forkTimes().p99Ns());
            ft.put("max", r.forkTimes().maxNs());
            ft.put("page_faults", r.forkPageFaults());
            ft.put("preempted", r.preemptedForks());
            o.put("warmup_forks", r.warmupForks());
            final ObjectNode ev = o.putObject("events_per_fork");
            for (int i = 0; i < Events.NAMES.length; i++)
            {
                ev.put(Events.NAMES[i], r.events()[i]);
            }
        }
        return root;
    }

    private static void putFinite(final ObjectNode o, final String name, final double v, final int decimals)
    {
        if (Double.isFinite(v))
        {
            o.put(name, round(v, decimals));
        }
        else
        {
            o.putNull(name);
        }
    }

    static double round(final double v, final int decimals)
    {
        final double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }

    public static String toPrettyString(final ObjectNode root)
    {
        try
        {
            return MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
        }
        catch (final JsonProcessingException e)
        {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- worker protocol (one JSON object per line)

    public static String resultLine(final RawResult r)
    {
        final ObjectNode o = MAPPER.createObjectNode();
        o.put("type", "result");
        o.set("result", MAPPER.valueToTree(r));
        return o.toString();
    }

    public static String parentLine(final ParentSource p)
    {
        final ObjectNode o = MAPPER.createObjectNode();
        o.put("type", "parent");
        o.set("parent", MAPPER.valueToTree(p));
        return o.toString();
    }

    public static String problemLine(final String text)
    {
        final ObjectNode o = MAPPER.createObjectNode();
        o.put("type", "problem");
        o.put("text", text);
        return o.toString();
    }

    /** Parses a worker's stdout line into {@code results}, {@code problems} or {@code parents}; anything else is returned as text. */
    static String parseWorkerLine(final String line, final List<RawResult> results, final List<String> problems,
        final List<ParentSource> parents)
    {
        if (!line.startsWith("{"))
        {
            return line;
        }
        try
        {
            final JsonNode n = MAPPER.readTree(line);
            switch (n.path("type").asText())
            {
                case "result" -> results.add(MAPPER.treeToValue(n.get("result"), RawResult.class));
                case "problem" -> problems.add(n.path("text").asText());
                case "parent" -> parents.add(MAPPER.treeToValue(n.get("parent"), ParentSource.class));
                default ->
                {
                    return line;
                }
            }
            return null;
        }
        catch (final JsonProcessingException e)
        {
            return line;
        }
    }
}
