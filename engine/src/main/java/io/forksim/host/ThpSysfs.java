package io.forksim.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The kernel's transparent-hugepage settings and statistics under a sysfs root (normally
 * {@code /sys/kernel/mm/transparent_hugepage}; tests pass a fake directory of the same shape):
 * <pre>
 *   enabled                                  always [madvise] never      PMD THP default ("inherit" reads it)
 *   defrag                                   always defer defer+madvise [madvise] never
 *   hugepages-64kB/enabled                   always inherit madvise [never]
 *   hugepages-64kB/stats/anon_fault_alloc    anon folios of that size allocated at fault (a running count)
 *   hugepages-2048kB/stats/nr_anon           anon folios of that size that exist now
 *   hugepages-2048kB/stats/split             folios of that size split so far
 * </pre>
 * A size directory without an {@code enabled} file (8kB on x86_64 6.18: shmem/file only) is not an anon mTHP size.
 */
public final class ThpSysfs
{
    /** The sysfs root on Linux. */
    public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/mm/transparent_hugepage");
    /** The PMD size in KiB on a 4 KiB-granule kernel: order 9. */
    public static final int PMD_KB = 2048;

    private static final Pattern SIZE_DIR = Pattern.compile("hugepages-(\\d+)kB");
    private static final Pattern SELECTED = Pattern.compile("\\[([^\\]]+)]");

    private final Path root;

    public ThpSysfs(final Path root)
    {
        this.root = root;
    }

    public Path root()
    {
        return root;
    }

    /** Null when the root has THP's {@code enabled} file; otherwise the one line saying what is missing. */
    public String unavailableReason()
    {
        if (!Files.isReadable(root.resolve("enabled")))
        {
            return "no transparent-hugepage sysfs at " + root + " (needs Linux with CONFIG_TRANSPARENT_HUGEPAGE)";
        }
        return null;
    }

    /** The anon folio sizes in KiB with an {@code enabled} file, ascending (PMD size included). */
    public List<Integer> anonSizesKb()
    {
        final List<Integer> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root))
        {
            s.forEach(p ->
            {
                final Matcher m = SIZE_DIR.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p.resolve("enabled")))
                {
                    out.add(Integer.parseInt(m.group(1)));
                }
            });
        }
        catch (final IOException e)
        {
            throw new HostException("cannot list " + root + ": " + e.getMessage());
        }
        out.sort(null);
        return out;
    }

    /** The path of a size's setting relative to the root, e.g. {@code hugepages-64kB/enabled}. */
    public static String enabledFile(final int kb)
    {
        return "hugepages-" + kb + "kB/enabled";
    }

    /** The selected value of a setting file ({@code [madvise]} of "always [madvise] never"), or the whole content. */
    public String selected(final String relPath)
    {
        final String s = read(relPath);
        final Matcher m = SELECTED.matcher(s);
        return m.find() ? m.group(1) : s.trim();
    }

    /**
     * Whether a MADV_HUGEPAGE region may get folios of {@code kb}: the size's setting is always or madvise, or
     * inherit with the top-level {@code enabled} not never.
     */
    public boolean allowedWithMadvise(final int kb)
    {
        final String v = selected(enabledFile(kb));
        return v.equals("always") || v.equals("madvise") || (v.equals("inherit") && !selected("enabled").equals("never"));
    }

    /** A size's statistic, e.g. {@code stat(64, "anon_fault_alloc")}; -1 when the file is absent. */
    public long stat(final int kb, final String name)
    {
        final Path p = root.resolve("hugepages-" + kb + "kB/stats/" + name);
        if (!Files.isReadable(p))
        {
            return -1;
        }
        try
        {
            return Long.parseLong(Files.readString(p, StandardCharsets.US_ASCII).trim());
        }
        catch (final IOException | NumberFormatException e)
        {
            throw new HostException("cannot read " + p + ": " + e.getMessage());
        }
    }

    /** {@code stat(kb, name)} of every anon size, in {@link #anonSizesKb()} order. */
    public long[] stats(final String name)
    {
        final List<Integer> sizes = anonSizesKb();
        final long[] v = new long[sizes.size()];
        for (int i = 0; i < v.length; i++)
        {
            v[i] = stat(sizes.get(i), name);
        }
        return v;
    }

    public String read(final String relPath)
    {
        final Path p = root.resolve(relPath);
        try
        {
            return Files.readString(p, StandardCharsets.US_ASCII).trim();
        }
        catch (final IOException e)
        {
            throw new HostException("cannot read " + p + ": " + e.getMessage());
        }
    }

    /** Writes {@code value} to a setting (as {@code echo value > file} does). */
    public void write(final String relPath, final String value)
    {
        final Path p = root.resolve(relPath);
        try
        {
            Files.writeString(p, value + "\n", StandardCharsets.US_ASCII);
        }
        catch (final IOException e)
        {
            throw new HostException("cannot write '" + value + "' to " + p + ": " + e.getMessage());
        }
    }

    /** One line: "enabled madvise, defrag madvise, mTHP 16K never 32K never ... 2048K inherit". */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder("enabled " + selected("enabled"));
        if (Files.isReadable(root.resolve("defrag")))
        {
            sb.append(", defrag ").append(selected("defrag"));
        }
        sb.append(", per size");
        for (final int kb : anonSizesKb())
        {
            sb.append(' ').append(kb).append("K ").append(selected(enabledFile(kb)));
        }
        return sb.toString();
    }
}
