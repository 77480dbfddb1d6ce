package io.forksim.bench.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The ForkBench results of a JMH result file, indexed by group (mode and size: only results of one group
 * are compared with each other), arch, strategy and order.
 */
public final class ForkResults
{
    public static final String FORK = "ForkBench.fork";
    public static final String TEARDOWN = "ForkBench.teardown";
    /** Strategy rows in the thread's order. */
    public static final List<String> STRATEGIES = List.of("legacy", "arch-batch", "folio-batch", "contpte-basic");
    public static final List<String> ARCHES = List.of("x86_64", "arm64");

    /** Results of one (JMH mode, mode param, size) group. */
    public record Group(String jmhMode, String mode, String size, Map<String, JmhResult> byKey)
    {
        public JmhResult get(final String method, final String arch, final String strategy, final int order)
        {
            return byKey.get(key(method, arch, strategy, order));
        }

        /** Orders present for {@code method}, ascending. */
        public List<Integer> orders(final String method)
        {
            final TreeSet<Integer> o = new TreeSet<>();
            for (final JmhResult r : byKey.values())
            {
                if (r.simpleName().equals(method))
                {
                    o.add(Integer.parseInt(r.param("order")));
                }
            }
            return new ArrayList<>(o);
        }

        public boolean hasArch(final String method, final String arch)
        {
            for (final JmhResult r : byKey.values())
            {
                if (r.simpleName().equals(method) && arch(r).equals(arch))
                {
                    return true;
                }
            }
            return false;
        }

        /** Pages of 4 KiB per operation (the size parameter). */
        public long pages()
        {
            return pagesOf(size);
        }

        public String title()
        {
            return "mode=" + mode + ", size=" + size + " (" + pages() + " pages), JMH mode " + jmhMode;
        }
    }

    private ForkResults()
    {
    }

    static String key(final String method, final String arch, final String strategy, final int order)
    {
        return method + "|" + arch + "|" + strategy + "|" + order;
    }

    public static String arch(final JmhResult r)
    {
        final String c = Objects.requireNonNullElse(r.param("config"), ":");
        return c.substring(0, c.indexOf(':'));
    }

    public static String strategy(final JmhResult r)
    {
        final String c = Objects.requireNonNullElse(r.param("config"), ":");
        return c.substring(c.indexOf(':') + 1);
    }

    /** ForkBench results grouped by (JMH mode, mode param, size), in file order. */
    public static List<Group> groups(final List<JmhResult> results)
    {
        final Map<String, Group> groups = new LinkedHashMap<>();
        for (final JmhResult r : results)
        {
            final String name = r.simpleName();
            if (!(name.equals(FORK) || name.equals(TEARDOWN)) || r.param("config") == null || r.param("order") == null)
            {
                continue;
            }
            final String mode = Objects.requireNonNullElse(r.param("mode"), "fresh");
            final String size = Objects.requireNonNullElse(r.param("size"), "1G");
            final Group g = groups.computeIfAbsent(r.mode() + "|" + mode + "|" + size,
                k -> new Group(r.mode(), mode, size, new LinkedHashMap<>()));
            g.byKey().put(key(name, arch(r), strategy(r), Integer.parseInt(r.param("order"))), r);
        }
        final List<Group> out = new ArrayList<>(groups.values());
        out.sort(Comparator.comparing(Group::mode).thenComparing(Group::size));
        return out;
    }

    /** Pages of 4 KiB in a size parameter such as {@code 1G}; 0 when it does not parse. */
    public static long pagesOf(final String size)
    {
        try
        {
            return io.forksim.bench.BenchSupport.parseSize(size) >>> 12;
        }
        catch (final IllegalArgumentException e)
        {
            return 0;
        }
    }
}
