package io.forksim.harness;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The part of {@code forksim fork}'s reports that says, under {@code --snapshot}, where each populated parent came
 * from: reused, created, or recreated because its file was stale or corrupt, and how long loading (or populating and
 * saving) took. Human lines:
 * <pre>
 * parents (--snapshot):
 *   x86_64 order-0: reused /tmp/p.x86_64-o0.snap, loaded in 0.42 s
 *   arm64 order-9: recreated /tmp/p.arm64-o9.snap: the file was corrupt (truncated: ...); populated and saved in 3.10 s
 *   arm64 order-9pmd: created /tmp/p.arm64-o9pmd.snap (does not exist yet); populated and saved in 0.20 s
 * </pre>
 * JSON (only with --snapshot): {@code "snapshot_parents": [{"arch": "x86_64", "order": 0, "mapping": "pte", "contpte_basic": false,
 * "file": "...", "origin": "reused", "reason": null, "seconds": 0.42, "save_error": null}, ...]}, origin one of
 * reused, created, recreated-stale, recreated-corrupt.
 */
public final class ParentReport
{
    private ParentReport()
    {
    }

    /** The human lines; none without --snapshot ({@code sources} empty). */
    public static List<String> lines(final List<ParentSource> sources)
    {
        final List<String> out = new ArrayList<>();
        if (sources.isEmpty())
        {
            return out;
        }
        out.add("parents (--snapshot):");
        for (final ParentSource p : sources)
        {
            out.add("  " + label(p) + ": " + describe(p));
        }
        return out;
    }

    /** "arm64 order-9", "x86_64 order-9pmd" or "arm64 order-9 (contpte-basic machine)". */
    static String label(final ParentSource p)
    {
        return p.arch() + " " + FolioOrder.name(p.order()) + (p.contpteBasic() ? " (contpte-basic machine)" : "");
    }

    /** One sentence of what happened to the parent's snapshot file. */
    public static String describe(final ParentSource p)
    {
        final String secs = String.format(Locale.ROOT, "%.2f s", p.nanos() / 1e9);
        final String saved = p.saveError() == null ? "populated and saved in " + secs
            : "populated in " + secs + " but not saved (" + p.saveError() + ")";
        return switch (p.parentOrigin())
        {
            case REUSED -> "reused " + p.file() + ", loaded in " + secs;
            case CREATED -> "created " + p.file() + " (" + p.reason() + "); " + saved;
            case RECREATED_STALE -> "recreated " + p.file() + ": the file was stale (" + p.reason() + "); " + saved;
            case RECREATED_CORRUPT -> "recreated " + p.file() + ": the file was corrupt (" + p.reason() + "); " + saved;
        };
    }

    /** Adds {@code "snapshot_parents"} to the JSON report {@code root} when there are any. */
    public static void addTo(final ObjectNode root, final List<ParentSource> sources)
    {
        if (sources.isEmpty())
        {
            return;
        }
        final ArrayNode a = root.putArray("snapshot_parents");
        for (final ParentSource p : sources)
        {
            final ObjectNode o = a.addObject();
            o.put("arch", p.arch());
            o.put("order", FolioOrder.order(p.order()));
            o.put("mapping", FolioOrder.mapping(p.order()).jsonName());
            o.put("contpte_basic", p.contpteBasic());
            o.put("file", p.file());
            o.put("origin", p.origin());
            o.put("reason", p.reason());
            o.put("seconds", JsonReport.round(p.nanos() / 1e9, 3));
            o.put("save_error", p.saveError());
        }
    }
}
