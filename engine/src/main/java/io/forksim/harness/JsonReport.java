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
 * {"size_bytes": 1073741824, "pages": 262144, "runs": 8, "iterations": 100, "mode": "fresh-parent",
 *  "machine": {"cpu": "...", "cores": 2, "jdk": "...", "ram_bytes": 4294967296, "tlbi_range": true},
 *  "results": [{"arch": "arm64", "strategy": "folio-batch", "order": 9, "mapping": "pte", "mean_ns": 1234567.8, "stdev_pct": 0.8,
 *               "ns_per_page": 4.71, "vs_legacy_pct": -12.3, "teardown_ns": 2345678.9,
 *               "events_per_fork": {"ptep_get": 8192, ...every name of Events.NAMES...}}, ...]}
 * </pre>
 * {@code vs_legacy_pct} is null when legacy was not measured; events are exact integers; {@code mode} is
 * "fresh-parent" or "reuse-parent" (then the events are those of the last fork).
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
        root.put("iterations", plan.iterations());
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
            o.put("teardown_ns", round(r.teardownNs(), 1));
            final ObjectNode ev = o.putObject("events_per_fork");
            for (int i = 0; i < Events.NAMES.length; i++)
            {
                ev.put(Events.NAMES[i], r.events()[i]);
            }
        }
        return root;
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
