package io.forksim.harness;

import io.forksim.fork.StrategyChoice;

import java.util.List;

/**
 * What one {@code forksim fork} measures: validated option values. A worker JVM gets the same plan restricted to
 * one arch and one order ({@link #forArchAndOrder}).
 *
 * @param sizeBytes   populated anon memory of the parent (a multiple of every folio size)
 * @param orders      folio orders, each 0..9, in report order
 * @param archs       "x86_64" and/or "arm64", in report order
 * @param strategies  strategies in report order; contpte-basic only with arm64 alone
 * @param runs        runs per configuration (the thread: 8)
 * @param iterations  timed forks per run (the thread: 100)
 * @param ramBytes    simulated RAM of each machine
 * @param reuseParent fork the same parent again and again within a run instead of restoring it after each fork
 * @param verify      run the invariant checker and the cross-strategy comparison
 * @param warmup      untimed forks per strategy and order before the timed runs
 * @param tlbiRange   arm64 machines have FEAT_TLBIRANGE
 * @param snapshot    {@code --snapshot}: where populated parents are reused from / saved to, or null
 */
public record ForkPlan(long sizeBytes, List<Integer> orders, List<String> archs, List<StrategyChoice> strategies, int runs,
    int iterations, long ramBytes, boolean reuseParent, boolean verify, int warmup, boolean tlbiRange,
    java.nio.file.Path snapshot)
{
    public static final long PAGE_SIZE = 4096;
    /** Where the parent's region starts: 1 TiB, aligned to every table level below the PGD. */
    public static final long BASE_VA = PopulatedParent.BASE_VA;

    public ForkPlan
    {
        orders = List.copyOf(orders);
        archs = List.copyOf(archs);
        strategies = List.copyOf(strategies);
    }

    public long pages()
    {
        return sizeBytes / PAGE_SIZE;
    }

    public ForkPlan forArch(final String arch)
    {
        return new ForkPlan(sizeBytes, orders, List.of(arch), strategies, runs, iterations, ramBytes, reuseParent, verify,
            warmup, tlbiRange, snapshot);
    }

    /** This plan restricted to one arch and one order: what one worker JVM measures. */
    public ForkPlan forArchAndOrder(final String arch, final int order)
    {
        return new ForkPlan(sizeBytes, List.of(order), List.of(arch), strategies, runs, iterations, ramBytes, reuseParent,
            verify, warmup, tlbiRange, snapshot);
    }

    /** Progress steps (one per run of a configuration) of one arch. */
    public int stepsPerArch()
    {
        return orders.size() * strategies.size() * runs;
    }

    public int steps()
    {
        return archs.size() * stepsPerArch();
    }

    public long timedForks()
    {
        return (long)steps() * iterations;
    }

    /** Default warm-up: enough untimed forks for about 2M PTE copies per strategy and order (C2 compiles the copy
     * loops well before), at least 3 and at most 200. */
    public static int defaultWarmup(final long pages)
    {
        final long w = (2_000_000L + pages - 1) / Math.max(1, pages);
        return (int)Math.max(3, Math.min(200, w));
    }

    /** A run with one machine configuration uses a --snapshot FILE as is. */
    public static boolean onlyConfiguration(final List<String> archs, final List<Integer> orders,
        final List<StrategyChoice> strategies)
    {
        return archs.size() == 1 && orders.size() == 1
            && !(strategies.contains(StrategyChoice.CONTPTE_BASIC) && strategies.size() > 1);
    }

    public String modeName()
    {
        return reuseParent ? "reuse-parent" : "fresh-parent";
    }
}
