package io.forksim.harness;

import io.forksim.fork.StrategyChoice;

import java.util.List;

/**
 * What one {@code forksim fork} measures: validated option values. A worker JVM gets the same plan restricted to
 * one arch and one order ({@link #forArchAndOrder}).
 *
 * @param sizeBytes   populated anon memory of the parent (a multiple of every folio size)
 * @param orders      folio configurations ({@link FolioOrder} codes: orders 0..9 PTE-mapped, 9pmd), in report order
 * @param archs       "x86_64" and/or "arm64", in report order
 * @param strategies  strategies in report order; contpte-basic only with arm64 alone
 * @param runs        runs per configuration (the thread: 8)
 * @param iterations  timed forks per run of every PTE-mapped order (the thread: 100)
 * @param pmdIterations timed forks per run of {@link FolioOrder#PMD_9} (the same as {@code iterations} when
 *                    {@code --iterations} is given; {@link #DEFAULT_PMD_ITERATIONS} by default)
 * @param ramBytes    simulated RAM of each machine
 * @param reuseParent fork the same parent again and again within a run instead of restoring it after each fork
 * @param verify      run the invariant checker and the cross-strategy comparison
 * @param warmup      untimed forks per strategy and order before the timed runs
 * @param tlbiRange   arm64 machines have FEAT_TLBIRANGE
 * @param snapshot    {@code --snapshot}: where populated parents are reused from / saved to, or null
 */
public record ForkPlan(long sizeBytes, List<Integer> orders, List<String> archs, List<StrategyChoice> strategies, int runs,
    int iterations, int pmdIterations, long ramBytes, boolean reuseParent, boolean verify, int warmup, boolean tlbiRange,
    java.nio.file.Path snapshot)
{
    public static final long PAGE_SIZE = 4096;
    /** Timed forks per run when {@code --iterations} is not given: the thread's 100. */
    public static final int DEFAULT_ITERATIONS = 100;
    /**
     * Timed forks per run of the PMD-mapped order when {@code --iterations} is not given: a 1 GiB 9pmd fork takes
     * ~23 µs, so its run of 100 forks lasted 2.3 ms and one slow millisecond of a shared machine moved its mean;
     * with 600 forks (a run of ~14 ms) timing.md measured 5 of its 6 configurations' stdevs of run means at 2% or below.
     * A fixed count, not a time, so that every invocation does the same work.
     */
    public static final int DEFAULT_PMD_ITERATIONS = 600;
    /** Where the parent's region starts: 1 TiB, aligned to every table level below the PGD. */
    public static final long BASE_VA = PopulatedParent.BASE_VA;

    /** A plan with the same {@code iterations} for every order. */
    public ForkPlan(final long sizeBytes, final List<Integer> orders, final List<String> archs,
        final List<StrategyChoice> strategies, final int runs, final int iterations, final long ramBytes,
        final boolean reuseParent, final boolean verify, final int warmup, final boolean tlbiRange,
        final java.nio.file.Path snapshot)
    {
        this(sizeBytes, orders, archs, strategies, runs, iterations, iterations, ramBytes, reuseParent, verify, warmup,
            tlbiRange, snapshot);
    }

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
        return new ForkPlan(sizeBytes, orders, List.of(arch), strategies, runs, iterations, pmdIterations, ramBytes,
            reuseParent, verify, warmup, tlbiRange, snapshot);
    }

    /**
     * The default timed forks per run of folio configuration {@code order} (a {@link FolioOrder} code), used when
     * {@code --iterations} is not given.
     */
    public static int defaultIterations(final int order)
    {
        return order == FolioOrder.PMD_9 ? DEFAULT_PMD_ITERATIONS : DEFAULT_ITERATIONS;
    }

    /** Timed forks per run of folio configuration {@code order} (a {@link FolioOrder} code). */
    public int iterationsFor(final int order)
    {
        return order == FolioOrder.PMD_9 ? pmdIterations : iterations;
    }

    /**
     * This plan restricted to one arch and one order: what one worker JVM measures; its {@link #iterations()} are
     * that order's {@link #iterationsFor}.
     */
    public ForkPlan forArchAndOrder(final String arch, final int order)
    {
        final int n = iterationsFor(order);
        return new ForkPlan(sizeBytes, List.of(order), List.of(arch), strategies, runs, n, n, ramBytes, reuseParent,
            verify, warmup, tlbiRange, snapshot);
    }

    /**
     * The timed forks per run followed by {@code noun}, as the reports write them: {@code "100 iterations per
     * configuration"}, or, when the PMD-mapped order of this plan has a count of its own, {@code "100 iterations per
     * configuration (600 for order-9 pmd-mapped)"}; a plan of 9pmd alone names its count only.
     */
    public String iterationsText(final String noun)
    {
        if (hasPmdMappedOrder() && hasPteMappedOrder() && pmdIterations != iterations)
        {
            return iterations + " " + noun + " (" + pmdIterations + " for order-9 pmd-mapped)";
        }
        return ranIterations() + " " + noun;
    }

    /**
     * The timed forks per run that this plan's configurations run, as the header's first number and the JSON's
     * top-level {@code iterations}: {@link #iterations()} when the plan has a PTE-mapped order, else (a plan of 9pmd
     * alone) {@link #pmdIterations()}.
     */
    public int ranIterations()
    {
        return hasPteMappedOrder() ? iterations : pmdIterations;
    }

    /** Whether {@link #orders()} holds an order mapped by PTEs (any but {@link FolioOrder#PMD_9}). */
    public boolean hasPteMappedOrder()
    {
        return orders.stream().anyMatch(o -> o != FolioOrder.PMD_9);
    }

    /** Whether {@link #orders()} holds {@link FolioOrder#PMD_9}. */
    public boolean hasPmdMappedOrder()
    {
        return orders.contains(FolioOrder.PMD_9);
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

    /** Timed forks of the whole plan: every arch, order, strategy and run. */
    public long timedForks()
    {
        long perArch = 0;
        for (final int o : orders)
        {
            perArch += (long)strategies.size() * runs * iterationsFor(o);
        }
        return archs.size() * perArch;
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
