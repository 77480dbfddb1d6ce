package io.forksim.bench;

import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.harness.PopulatedParent;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.ProcessCheckpoint;

import java.util.Arrays;
import java.util.Locale;

/**
 * The copy-loop harness: times the three copy loops ({@code CopyPteRange.legacy}, {@code archBatch},
 * {@code folioBatch}) the way the default {@code ./forksim fork} run mixes them, all in one JVM, round-robin on
 * one freshly restored parent, so a shape that C2 compiles well only when a loop runs alone shows up (the failure
 * mode JMH cannot see: each JMH fork runs one strategy). Decisions about the loops' shape (written-out vs shared
 * single-entry forms, what goes on the forced-inline list) are measured with it, next to the JMH gate.
 *
 * <pre>
 * java $(cat engine/target/classes/forksim-jvm.flags) -cp bench/target/benchmarks.jar io.forksim.bench.CopyLoopMain \
 *     [--arch x86_64|arm64] [--orders 0,9] [--size 256M] [--rounds 30] [--warmup 10]
 * </pre>
 *
 * Prints, per order and strategy, the best and the median fork time in ns per 4 KiB page over the measured rounds,
 * and each strategy's median over legacy's. Bad arguments: one line naming the value, exit 2.
 */
public final class CopyLoopMain
{
    private CopyLoopMain()
    {
    }

    public static void main(final String[] args)
    {
        String arch = "x86_64";
        int[] orders = {0, 9};
        long size = 256L << 20;
        int rounds = 30;
        int warmup = 10;
        try
        {
            for (int i = 0; i < args.length; i++)
            {
                final String a = args[i];
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException("option " + a + " needs a value");
                }
                final String v = args[++i];
                switch (a)
                {
                    case "--arch" -> arch = v;
                    case "--orders" -> orders = Arrays.stream(v.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
                    case "--size" -> size = BenchSupport.parseSize(v);
                    case "--rounds" -> rounds = Integer.parseInt(v);
                    case "--warmup" -> warmup = Integer.parseInt(v);
                    default -> throw new IllegalArgumentException("unknown option " + a
                        + " (expected --arch, --orders, --size, --rounds, --warmup)");
                }
            }
            if (rounds < 1 || warmup < 0)
            {
                throw new IllegalArgumentException("--rounds must be at least 1 and --warmup at least 0: " + rounds + ", " + warmup);
            }
            for (final int o : orders)
            {
                if (o < 0 || o > 9)
                {
                    throw new IllegalArgumentException("order " + o + " must be 0..9");
                }
            }
            Machine.Config.of(arch, BenchSupport.ramFor(size, 0));   // validates the arch
        }
        catch (final IllegalArgumentException e)
        {
            System.err.println("copy-loop: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.printf(Locale.ROOT, "copy loops, %s, %d MiB parent, %d warm-up + %d measured rounds of the three strategies%n",
            arch, size >> 20, warmup, rounds);
        System.out.printf(Locale.ROOT, "%-6s %-12s %10s %10s %8s%n", "order", "strategy", "best", "median", "/legacy");
        for (final int order : orders)
        {
            run(arch, order, size, rounds, warmup);
        }
    }

    /** One order: a parent populated once, forked round-robin by every strategy, restored after each fork. */
    private static void run(final String arch, final int order, final long size, final int rounds, final int warmup)
    {
        final Strategy[] strategies = Strategy.values();
        final double[][] nsPerPage = new double[strategies.length][rounds];
        final long pages = BenchSupport.pages(size);
        try (Machine machine = new Machine(Machine.Config.of(arch, BenchSupport.ramFor(size, 0))))
        {
            final Mm parent = PopulatedParent.populate(machine, size, order);
            try (ProcessCheckpoint checkpoint = ProcessCheckpoint.capture(parent))
            {
                for (int r = 0; r < warmup + rounds; r++)
                {
                    for (int k = 0; k < strategies.length; k++)
                    {
                        final Strategy s = strategies[(k + r) % strategies.length];   // first strategy rotates
                        final long t0 = System.nanoTime();
                        final Mm child = Fork.fork(parent, s);
                        final long t1 = System.nanoTime();
                        child.exit();
                        checkpoint.restore();
                        if (r >= warmup)
                        {
                            nsPerPage[s.ordinal()][r - warmup] = (double)(t1 - t0) / pages;
                        }
                    }
                }
            }
            parent.exit();
        }
        final double legacyMedian = median(nsPerPage[Strategy.LEGACY.ordinal()]);
        for (final Strategy s : strategies)
        {
            final double[] v = nsPerPage[s.ordinal()];
            final double med = median(v);
            System.out.printf(Locale.ROOT, "%-6d %-12s %10.2f %10.2f %8.2f%n", order, s.cliName(),
                Arrays.stream(v).min().orElse(Double.NaN), med, med / legacyMedian);
        }
    }

    private static double median(final double[] v)
    {
        final double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
