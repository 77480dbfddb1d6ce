package io.forksim.harness;

import io.forksim.stats.Events;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The human report of {@code forksim fork}: a header (what ran, on what, how), then per arch the thread's table
 * (mean and stdev of the fork time relative to legacy, per order), the absolute times, and the per-fork events
 * that explain them.
 */
public final class Report
{
    /** The events shown in the per-fork table (the JSON report has all of {@link Events#NAMES}). */
    static final String[] EVENT_COLUMNS = {
        "ptep_get", "pte_load", "pte_store", "pte_atomic", "batches", "refcount_update", "rmap_update", "pt_pages_alloc",
        "tlbi_page", "tlbi_range", "tlbi_asid", "dsb", "fold", "unfold", "gather"};
    /** Columns added to the events table when the plan has PMD-mapped THPs. */
    static final String[] PMD_EVENT_COLUMNS = {"pmd_copy", "pmd_split"};

    private Report()
    {
    }

    /** What the header says about how the work was ordered. */
    static String orderOfWork(final ForkPlan plan, final boolean inProcess)
    {
        return (inProcess ? "all arches in this JVM (--in-process)" : "one worker JVM per arch and order (monomorphic arch call sites; code"
            + " compiled for that order)")
            + "; per order a fresh machine and parent, JIT warm-up on a 32 MiB parent, " + (plan.warmup() == 0
                ? "no warm-up forks" : "at least " + plan.warmup() + " untimed warm-up forks per strategy, then windows for at least "
                + ForkRun.MIN_WARMUP_NANOS / 1_000_000 + " ms and until steady (the median of each strategy's last " + SteadyState.WINDOW + " forks within "
                + Math.round(SteadyState.TOLERANCE * 100) + "% of the " + SteadyState.WINDOW + " before's or the two not"
                + " significantly different by Mann-Whitney at " + Math.round(SteadyState.ALPHA * 100) + "%, in a round in"
                + " which the JIT compiled nothing; at most "
                + SteadyState.MAX_ROUNDS + " rounds after that)")
            + (plan.reuseParent()
                ? ", then run r of every strategy and of the floor loop before run r+1, each a block of "
                    + plan.iterationsText("forks of one parent") + " (--reuse-parent), the first block of run r rotating by r"
                : ", then run r of every strategy and of the floor loop interleaved fork by fork (fork i of each back to back:"
                    + " the strategies in the order of row i + r of a Williams design, then the floor loop, so each strategy"
                    + " follows the floor and each other strategy equally often), "
                    + (RunSchedule.current() == RunSchedule.SHUFFLED
                        ? "the rounds of all runs in a random order (each run mean samples the whole timed phase)"
                        : "run r before run r+1"));
    }

    public static List<String> render(final ForkPlan plan, final MachineInfo host, final List<Result> results,
        final boolean inProcess)
    {
        return render(plan, host, results, inProcess, List.of());
    }

    /** The report with {@code kernelLines} (this host's fork(), {@link KernelSection#lines}) at the end of the header. */
    public static List<String> render(final ForkPlan plan, final MachineInfo host, final List<Result> results,
        final boolean inProcess, final List<String> kernelLines)
    {
        final List<String> out = new ArrayList<>();
        out.add("forksim fork: the fork() microbenchmark of the linux-mm thread \"mm: Batch-copy PTE ranges during fork()\" (December 2023), on simulated page tables");
        out.add("  parent:    " + Units.formatSize(plan.sizeBytes()) + String.format(Locale.ROOT, " (%,d pages)", plan.pages())
            + " of anon private memory, populated with folios of order " + joinOrders(plan));
        out.add("  method:    " + plan.runs() + " runs x " + plan.iterationsText("iterations per configuration") + "; only fork() is"
            + " timed; mean = mean of the run means, stdev = stdev of the run means / mean");
        out.add("  mode:      " + (plan.reuseParent()
            ? "reuse-parent: each run forks the same parent " + plan.iterationsText("times") + " in a tight loop (after the first"
                + " fork it is write-protected, on arm64 legacy unfolded); children exit between forks, untimed"
            : "fresh parent per fork: after each fork the child exits (timed separately: teardown) and the parent is restored"
                + " to its freshly populated state (untimed), so every fork does the same work"));
        out.add("  order:     " + orderOfWork(plan, inProcess));
        out.add("  host:      " + host.cpu() + ", " + host.cores() + " cores, JDK " + host.jdk() + "; simulated RAM "
            + Units.formatSize(plan.ramBytes()) + " per machine" + (plan.archs().contains("arm64")
                ? "; arm64 " + (plan.tlbiRange() ? "with" : "without") + " FEAT_TLBIRANGE" : ""));
        out.add("  timing:    " + timing(results));
        out.add("  floor:     the FFM floor loop (read the PTE, write-protect, store the child, refcount and mapcount;"
            + " per-PTE for order 0, batched for larger folios) over as many pages, timed in the same JVM and rounds");
        if (plan.archs().contains("arm64") && plan.orders().contains(0))
        {
            out.add("             arm64 order 0 also: the arm64 floor loop, the per-PTE floor plus the arm64 work of Linux 6.18"
                + " per order-0 PTE (pte_wrprotect's dirty move, ptep_get's and wrprotect_ptes' CONT tests and reread,"
                + " set_ptes' probe, contpte_try_fold's filter), right after the floor in every round");
        }
        if (plan.archs().contains("arm64") && plan.orders().stream().anyMatch(o -> o != 0 && o != FolioOrder.PMD_9))
        {
            out.add("             arm64 larger folios also: the batched arm64 floor loop, Linux 6.18's arm64 work per batch"
                + " (ptep_get's contpte gather per block, pte_batch_hint's skip by block, contpte_wrprotect_ptes,"
                + " contpte_set_ptes' CONT per whole block) over the batched floor's, right after the floor in every round");
        }
        out.addAll(kernelLines);
        for (final String arch : plan.archs())
        {
            final List<Result> rs = results.stream().filter(r -> r.arch().equals(arch)).toList();
            if (rs.isEmpty())
            {
                continue;
            }
            out.add("");
            out.addAll(relativeTable(plan, arch, rs));
            out.add("");
            out.addAll(ReportTables.pairedTable(plan, arch, rs));
            out.add("");
            out.addAll(absoluteTable(plan, arch, rs));
            out.add("");
            out.addAll(ReportTables.distributionTable(plan, arch, rs));
            out.add("");
            out.addAll(eventsTable(plan, arch, rs));
        }
        return out;
    }

    /** The header's timing line: pinning, warm-up forks, and that no fork is left out. */
    static String timing(final List<Result> results)
    {
        final int cpu = results.stream().mapToInt(Result::pinnedCpu).max().orElse(-1);
        final int wmin = results.stream().mapToInt(Result::warmupForks).min().orElse(0);
        final int wmax = results.stream().mapToInt(Result::warmupForks).max().orElse(0);
        final long capped = results.stream().filter(r -> !r.warmupSteady()).count();
        return (cpu >= 0 ? "measuring thread pinned to CPU " + cpu : "measuring thread not pinned (-Dforksim.pin=false, one CPU only, or no sched_setaffinity)")
            + "; " + (wmin == wmax ? wmin : wmin + "-" + wmax) + " warm-up forks per configuration"
            + (capped > 0 ? " (" + capped + " stopped at the cap before steady)" : "")
            + "; every timed fork counts (no outliers removed)";
    }

    private static String joinOrders(final ForkPlan plan)
    {
        final StringBuilder sb = new StringBuilder();
        for (final int o : plan.orders())
        {
            sb.append(sb.isEmpty() ? "" : ", ").append(FolioOrder.order(o)).append(" (").append(Units.formatSize(ForkPlan.PAGE_SIZE << FolioOrder.order(o)))
                .append(", ").append(FolioOrder.mapping(o).jsonName()).append("-mapped)");
        }
        return sb.toString();
    }

    static Result find(final List<Result> rs, final int order, final String strategy)
    {
        for (final Result r : rs)
        {
            if (r.order() == order && r.strategy().equals(strategy))
            {
                return r;
            }
        }
        return null;
    }

    private static String pct(final Double v)
    {
        if (v == null)
        {
            return "n/a";
        }
        final double x = Math.abs(v) < 0.05 ? 0.0 : v; // no "-0.0%"
        return String.format(Locale.ROOT, "%.1f%%", x);
    }

    static String pad(final String s, final int w, final boolean right)
    {
        if (s.length() >= w)
        {
            return s;
        }
        final String sp = " ".repeat(w - s.length());
        return right ? sp + s : s + sp;
    }

    /** The thread's table: | arch / fork / microbench | order-N (pte-map): mean | stdev | ... */
    static List<String> relativeTable(final ForkPlan plan, final String arch, final List<Result> rs)
    {
        final int lw = Math.max(13, plan.strategies().stream().mapToInt(s -> s.cliName().length()).max().orElse(0));
        final int cw = 7;
        final List<String> out = new ArrayList<>();
        final StringBuilder h1 = new StringBuilder("| ").append(pad(arch, lw, false)).append(" |");
        final StringBuilder h2 = new StringBuilder("| ").append(pad("fork", lw, false)).append(" |");
        final StringBuilder h3 = new StringBuilder("| ").append(pad("microbench", lw, false)).append(" |");
        final StringBuilder h4 = new StringBuilder("|").append("-".repeat(lw + 2)).append('|');
        for (final int o : plan.orders())
        {
            h1.append(' ').append(pad(FolioOrder.column(o), 2 * cw + 3, false)).append(" |");
            h2.append("-".repeat(2 * cw + 5)).append('|');
            h3.append(' ').append(pad("mean", cw, true)).append(" | ").append(pad("stdev", cw, true)).append(" |");
            h4.append("-".repeat(cw + 2)).append('|').append("-".repeat(cw + 2)).append('|');
        }
        out.add(h1.toString());
        out.add(h2.toString());
        out.add(h3.toString());
        out.add(h4.toString());
        for (final var s : plan.strategies())
        {
            final StringBuilder row = new StringBuilder("| ").append(pad(s.cliName(), lw, false)).append(" |");
            for (final int o : plan.orders())
            {
                final Result r = find(rs, o, s.cliName());
                row.append(' ').append(pad(r == null ? "" : pct(r.vsLegacyPct()), cw, true)).append(" | ")
                    .append(pad(r == null ? "" : pct(r.stdevPct()), cw, true)).append(" |");
            }
            out.add(row.toString());
        }
        return out;
    }

    /**
     * Absolute times: ns per 4 KiB page, ms per fork, ms per child tear-down and the ratio to the floor, per order;
     * where an arch floor ran (arm64, but at 9pmd) one more column, the ratio to it ("x arm64 floor"), and its row.
     */
    static List<String> absoluteTable(final ForkPlan plan, final String arch, final List<Result> rs)
    {
        final boolean archFloor = rs.stream().anyMatch(r -> Double.isFinite(r.archFloorNsPerPage()));
        final int lw = Math.max((arch + " absolute").length(),
            Math.max(archFloor ? 16 : 13, plan.strategies().stream().mapToInt(s -> s.cliName().length()).max().orElse(0)));
        final String[] cols = archFloor ? new String[] {"ns/page", "ms/fork", "teardown ms", "x floor", "x " + arch + " floor"}
            : new String[] {"ns/page", "ms/fork", "teardown ms", "x floor"};
        final int[] cw = archFloor ? new int[] {8, 8, 11, 7, cols[4].length()} : new int[] {8, 8, 11, 7};
        final List<String> out = new ArrayList<>();
        int groupW = 3 * (cw.length - 1);
        for (final int w : cw)
        {
            groupW += w;
        }
        final StringBuilder h1 = new StringBuilder("| ").append(pad(arch + " absolute", lw, false)).append(" |");
        final StringBuilder h2 = new StringBuilder("| ").append(pad("", lw, false)).append(" |");
        final StringBuilder h3 = new StringBuilder("|").append("-".repeat(lw + 2)).append('|');
        for (final int o : plan.orders())
        {
            h1.append(' ').append(pad(FolioOrder.name(o), groupW, false)).append(" |");
            for (int c = 0; c < cols.length; c++)
            {
                h2.append(' ').append(pad(cols[c], cw[c], true)).append(" |");
                h3.append("-".repeat(cw[c] + 2)).append('|');
            }
        }
        out.add(h1.toString());
        out.add(h2.toString());
        out.add(h3.toString());
        for (final var s : plan.strategies())
        {
            final StringBuilder row = new StringBuilder("| ").append(pad(s.cliName(), lw, false)).append(" |");
            for (final int o : plan.orders())
            {
                final Result r = find(rs, o, s.cliName());
                final String[] v = r == null ? new String[] {"", "", "", "", ""} : new String[] {
                    String.format(Locale.ROOT, "%.2f", r.nsPerPage()),
                    String.format(Locale.ROOT, "%.3f", r.meanNs() / 1e6),
                    String.format(Locale.ROOT, "%.3f", r.teardownNs() / 1e6),
                    ratio(r.vsFloor()), ratio(r.vsArchFloor())};
                appendCells(row, v, cw);
            }
            out.add(row.toString());
        }
        out.add(floorRow("floor loop", plan, rs, cw, lw, Result::floorNsPerPage, o -> o == 0 ? "per-PTE" : "batched", 3));
        if (archFloor)
        {
            out.add(floorRow(arch + " floor loop", plan, rs, cw, lw, Result::archFloorNsPerPage,
                o -> o == 0 ? "per-PTE" : "", 4));
        }
        return out;
    }

    /** A floor's row: its ns/page under each order and {@code kind} of the order in column {@code kindColumn}. */
    private static String floorRow(final String name, final ForkPlan plan, final List<Result> rs, final int[] cw,
        final int lw, final java.util.function.ToDoubleFunction<Result> nsPerPage,
        final java.util.function.IntFunction<String> kind, final int kindColumn)
    {
        final StringBuilder row = new StringBuilder("| ").append(pad(name, lw, false)).append(" |");
        for (final int o : plan.orders())
        {
            final Result r = rs.stream().filter(x -> x.order() == o).findFirst().orElse(null);
            final double ns = r == null ? Double.NaN : nsPerPage.applyAsDouble(r);
            final String[] v = {Double.isFinite(ns) ? String.format(Locale.ROOT, "%.2f", ns) : "n/a", "", "", "", ""};
            v[kindColumn] = kind.apply(o);
            appendCells(row, v, cw);
        }
        return row.toString();
    }

    private static void appendCells(final StringBuilder row, final String[] v, final int[] cw)
    {
        for (int c = 0; c < cw.length; c++)
        {
            row.append(' ').append(pad(v[c], cw[c], true)).append(" |");
        }
    }

    private static String ratio(final double v)
    {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "n/a";
    }

    /** Per-fork events: exact integers per configuration. */
    static List<String> eventsTable(final ForkPlan plan, final String arch, final List<Result> rs)
    {
        final String[] columns = plan.orders().stream().anyMatch(o -> FolioOrder.mapping(o) == io.forksim.mm.FolioMapping.PMD)
            ? java.util.stream.Stream.concat(java.util.Arrays.stream(EVENT_COLUMNS), java.util.stream.Stream.of(PMD_EVENT_COLUMNS))
                .toArray(String[]::new)
            : EVENT_COLUMNS;
        final int[] idx = new int[columns.length];
        for (int i = 0; i < columns.length; i++)
        {
            idx[i] = indexOf(columns[i]);
        }
        final List<String[]> rows = new ArrayList<>();
        for (final int o : plan.orders())
        {
            for (final var s : plan.strategies())
            {
                final Result r = find(rs, o, s.cliName());
                if (r == null)
                {
                    continue;
                }
                final String[] row = new String[columns.length + 1];
                row[0] = FolioOrder.name(o) + " " + s.cliName() + (plan.reuseParent() || r.eventsIdentical() ? "" : " (!)");
                for (int i = 0; i < columns.length; i++)
                {
                    row[i + 1] = String.format(Locale.ROOT, "%,d", r.events()[idx[i]]);
                }
                rows.add(row);
            }
        }
        final String title = arch + " events/fork";
        final int[] w = new int[columns.length + 1];
        w[0] = title.length();
        for (int i = 0; i < columns.length; i++)
        {
            w[i + 1] = columns[i].length();
        }
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        final List<String> out = new ArrayList<>();
        final StringBuilder h = new StringBuilder("| ").append(pad(title, w[0], false)).append(" |");
        final StringBuilder sep = new StringBuilder("|").append("-".repeat(w[0] + 2)).append('|');
        for (int i = 0; i < columns.length; i++)
        {
            h.append(' ').append(pad(columns[i], w[i + 1], true)).append(" |");
            sep.append("-".repeat(w[i + 1] + 2)).append('|');
        }
        out.add(h.toString());
        out.add(sep.toString());
        for (final String[] row : rows)
        {
            final StringBuilder b = new StringBuilder("| ").append(pad(row[0], w[0], false)).append(" |");
            for (int i = 1; i < row.length; i++)
            {
                b.append(' ').append(pad(row[i], w[i], true)).append(" |");
            }
            out.add(b.toString());
        }
        out.add(plan.reuseParent()
            ? "  (reuse-parent: events of the last fork of the last run; the first fork of a run also write-protects the parent)"
            : "  (identical for every timed fork of a configuration" + (rows.stream().anyMatch(r -> r[0].endsWith("(!)"))
                ? "; (!) marks configurations where they were not: an engine bug, see below)" : ")"));
        return out;
    }

    /** Where the wall time went: timed forks, child tear-downs, and the rest (populate, restore, warm-up, JVMs). */
    public static String wallTime(final ForkPlan plan, final List<Result> results, final long wallNs)
    {
        double forks = 0;
        double teardown = 0;
        double restore = 0;
        for (final Result r : results)
        {
            final long timed = (long)plan.runs() * plan.iterationsFor(r.order());
            forks += r.meanNs() * timed;
            teardown += r.teardownNs() * timed;
            restore += r.restoreNs() * timed;
        }
        final double rest = Math.max(0, wallNs - forks - teardown - restore);
        return String.format(Locale.ROOT, "wall time %s: timed forks %s, child teardown %s, parent restore %s, the rest %s"
            + " (populate, warm-up, JVM starts)", minSec(wallNs), minSec(forks), minSec(teardown), minSec(restore), minSec(rest));
    }

    static String minSec(final double ns)
    {
        final long s = Math.round(ns / 1e9);
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : String.format(Locale.ROOT, "%.1fs", ns / 1e9);
    }

    static int indexOf(final String name)
    {
        for (int i = 0; i < Events.NAMES.length; i++)
        {
            if (Events.NAMES[i].equals(name))
            {
                return i;
            }
        }
        throw new IllegalStateException("no event named " + name);
    }
}
