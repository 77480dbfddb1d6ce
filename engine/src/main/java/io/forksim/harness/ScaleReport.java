package io.forksim.harness;

import io.forksim.mem.CopyBandwidth;
import io.forksim.mem.LastLevelCache;
import io.forksim.mem.OffHeapArena;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The text report of a {@link ScaleRun}: one column for the baseline, one for the large setup. */
public final class ScaleReport
{
    private ScaleReport()
    {
    }

    /** The report lines. */
    public static List<String> report(final ScaleRun.Result r)
    {
        final ScaleRun.Plan p = r.plan();
        final List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "forksim scale: %s, order-%d folios (%s each), %s, on %d cores, %s host RAM, Java %s",
            p.arch(), p.order(), Units.formatSize(4096L << p.order()), p.strategy().cliName(),
            Runtime.getRuntime().availableProcessors(), Units.formatSize(Rss.hostRam()), Runtime.version()));
        out.add("");
        out.add(String.format(Locale.ROOT, "%-26s %26s   %s", "", Units.formatSize(r.baseline().sizeBytes()) + " (baseline)",
            Units.formatSize(r.large().sizeBytes())));
        final ScaleRun.Measured b = r.baseline();
        final ScaleRun.Measured l = r.large();
        out.add(row("simulated RAM", Units.formatSize(b.ramBytes()), Units.formatSize(l.ramBytes())));
        out.add(row("populated pages", String.format(Locale.ROOT, "%,d", b.pages()), String.format(Locale.ROOT, "%,d", l.pages())));
        out.add(row("populate", String.format(Locale.ROOT, "%.2f s", b.populateSeconds()), String.format(Locale.ROOT, "%.2f s", l.populateSeconds())));
        out.add(row("populate rate", String.format(Locale.ROOT, "%.2f M pages/s", b.populatePagesPerSec() / 1e6),
            String.format(Locale.ROOT, "%.2f M pages/s", l.populatePagesPerSec() / 1e6)));
        out.add(row("huge pages (THP " + OffHeapArena.thpMode() + ")", p.hugePages() ? "asked for" : "off (--no-huge-pages)",
            l.anonHugePagesBytes() < 0 ? "AnonHugePages unknown" : "AnonHugePages " + Units.formatSize(l.anonHugePagesBytes())
                + " with the child alive" + (l.anonHugePagesBytes() == 0 && p.hugePages() ? " (not granted)" : "")));
        out.add(row("commit before fork 1", "-", String.format(Locale.ROOT, "%.2f s (%s of child page tables)",
            l.commitSeconds(), Units.formatSize(l.commitBytes()))));
        out.add(row("fork, fresh parent", ns(b.fresh().medianWall(), b.fresh().medianCpu()),
            ns(l.fresh().medianWall(), l.fresh().medianCpu()) + pct(r.freshCpuRatio())));
        out.add(row("fork, repeated (median)", ns(b.repeat().medianWall(), b.repeat().medianCpu()),
            ns(l.repeat().medianWall(), l.repeat().medianCpu()) + pct(r.cpuRatio())));
        out.add(row("fork, repeated (best)", ns(b.repeat().bestWall(), b.repeat().bestCpu()),
            ns(l.repeat().bestWall(), l.repeat().bestCpu())));
        out.add(row("fork wall time", String.format(Locale.ROOT, "%.2f ms", b.repeat().medianWall() * b.pages() / 1e6),
            String.format(Locale.ROOT, "%.2f s (fresh), %.2f s (repeated)", l.fresh().medianWall() * l.pages() / 1e9,
                l.repeat().medianWall() * l.pages() / 1e9)));
        final CopyBandwidth.Floor f = r.floor();
        out.add(row("bytes a fork touches", touched(f, b.pages()), touched(f, l.pages())));
        final LastLevelCache.Cache llc = LastLevelCache.host();
        if (llc != null)
        {
            out.add(row("host L" + llc.level() + " cache " + Units.formatSize(llc.bytes()), fits(f, b.pages(), llc),
                fits(f, l.pages(), llc)));
        }
        out.add(row("bandwidth floor (FFM)", String.format(Locale.ROOT, "%.2f ns/page, %.1f GB/s", f.nsPerPage(),
            f.bytesPerSecond() / 1e9), String.format(Locale.ROOT, "loop over %s pages' worth (%s)", String.format(Locale.ROOT,
            "%,d", f.pages()), Units.formatSize((long)(f.pages() * f.bytesPerPage())))));
        out.add(row("fork / floor, cpu", floorMultiple(b, f), floorMultiple(l, f)));
        out.add(row("child tear-down", String.format(Locale.ROOT, "%.3f ns/page", b.childTeardownNsPerPage()),
            String.format(Locale.ROOT, "%.3f ns/page (%.2f s)", l.childTeardownNsPerPage(), l.childTeardownNsPerPage() * l.pages() / 1e9)));
        out.add(row("parent tear-down", String.format(Locale.ROOT, "%.3f s", b.parentTeardownSeconds()),
            String.format(Locale.ROOT, "%.2f s", l.parentTeardownSeconds())));
        out.add(row("page-table pages (parent)", String.format(Locale.ROOT, "%,d", b.tablePages()), String.format(Locale.ROOT, "%,d", l.tablePages())));
        out.add(row("off-heap reserved", Units.formatSize(b.offHeapReservedBytes()), Units.formatSize(l.offHeapReservedBytes())));
        out.add(row("  per page of RAM", perPage(b.offHeapReservedBytes(), b.ramBytes() >>> 12), perPage(l.offHeapReservedBytes(), l.ramBytes() >>> 12)));
        out.add(row("resident, populated", Units.formatSize(Math.max(0, b.residentDeltaBytes())), Units.formatSize(Math.max(0, l.residentDeltaBytes()))));
        out.add(row("  per populated page", perPage(b.residentDeltaBytes(), b.pages()), perPage(l.residentDeltaBytes(), l.pages())));
        out.add(row("peak RSS (JVM)", Units.formatSize(b.peakRssBytes()), Units.formatSize(l.peakRssBytes())));
        out.add("");
        out.add(String.format(Locale.ROOT, "ns/page as wall / cpu (the forking thread's CPU time); (+x%%) = large vs baseline, cpu."
            + " Repeated forks, cpu median: %+.1f%% (wall %+.1f%%); %s.", (r.cpuRatio() - 1) * 100, (r.wallRatio() - 1) * 100,
            r.hostNote()));
        out.add(String.format(Locale.ROOT, "fresh = forks of a freshly populated parent (the child's table memory committed"
            + " beforehand, outside the timed fork; medians of %d / %d, the parent restored from a checkpoint before each but"
            + " the first); repeated = later forks of the same, now write-protected parent (medians of %d / %d)."
            + " fork / floor = cpu median ns/page over the floor's ns/page, fresh and repeated.",
            b.fresh().cpuNs().length, l.fresh().cpuNs().length, b.repeat().cpuNs().length, l.repeat().cpuNs().length));
        return out;
    }

    private static String touched(final CopyBandwidth.Floor f, final long pages)
    {
        return String.format(Locale.ROOT, "%s (%.1f B/page)", Units.formatSize((long)(f.bytesPerPage() * pages)), f.bytesPerPage());
    }

    /** Whether a fork of {@code pages} touches less than the cache holds (then it runs from the cache, not from DRAM). */
    private static String fits(final CopyBandwidth.Floor f, final long pages, final LastLevelCache.Cache llc)
    {
        return f.bytesPerPage() * pages < llc.bytes() ? "fork's bytes fit" : "fork's bytes do not fit";
    }

    private static String floorMultiple(final ScaleRun.Measured m, final CopyBandwidth.Floor f)
    {
        return String.format(Locale.ROOT, "%.2fx fresh, %.2fx repeated", m.fresh().medianCpu() / f.nsPerPage(),
            m.repeat().medianCpu() / f.nsPerPage());
    }

    private static String ns(final double wall, final double cpu)
    {
        return String.format(Locale.ROOT, "%.2f / %.2f ns", wall, cpu);
    }

    private static String pct(final double ratio)
    {
        return String.format(Locale.ROOT, "  (%+.1f%%)", (ratio - 1) * 100);
    }

    private static String row(final String label, final String a, final String b)
    {
        return String.format(Locale.ROOT, "%-26s %26s   %s", label, a, b);
    }

    private static String perPage(final long bytes, final long pages)
    {
        return pages == 0 ? "-" : String.format(Locale.ROOT, "%.2f B", (double)bytes / pages);
    }
}
