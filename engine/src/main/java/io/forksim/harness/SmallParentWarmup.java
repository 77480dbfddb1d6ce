package io.forksim.harness;

import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.mm.FolioMapping;
import io.forksim.mm.Mm;

import java.util.List;

/**
 * The JIT warm-up on a small parent, before the full-size warm-up forks of {@link ForkRun}. The copy, zap and restore
 * loops run once per PTE table and the batched paths once per folio, so forks of a 32 MiB parent (16 tables) make C2
 * compile them (standard compilations, not only on-stack replacement) in a fraction of a second, where a handful of
 * 1 GiB forks would leave the first timed runs partly in C1 code. Same arch, order and strategies as the timed
 * machine; nothing of it is measured or kept.
 *
 * <p>Each strategy forks the small parent until it has copied {@link #ENTRIES} entries and handled {@link #FOLIOS}
 * folios, at least {@link #MIN_FORKS} times. The folio count matters for large folios: a 32 MiB parent of order-9
 * folios has 16, so the 30 forks that copy its 80,000 PTEs called folio-batch's per-folio path (copy, wrprotect,
 * rmap and refcount of a whole folio) 480 times, far below C2's invocation thresholds; the per-folio methods were
 * compiled by C2 during the windowed warm-up or the first timed runs (timing.md: order-9 folio-batch run means of
 * 610, 507, 455 and 416 µs in one invocation, run after run), and an invocation's mean depended on when.
 */
final class SmallParentWarmup
{
    /** Size of the small parent. */
    static final long PARENT_BYTES = 32L << 20;
    /** Untimed forks per strategy, at least. */
    static final int MIN_FORKS = 30;
    /**
     * Entries (PTEs, or PMDs for a PMD-mapped parent) the forks copy per strategy, at least: twice C2's
     * {@code Tier4BackEdgeThreshold} (40000), so that the per-entry loops are compiled by C2 before the real parent's
     * warm-up, also for a PMD-mapped parent, whose 32 MiB fork copies 16 entries only.
     */
    static final long ENTRIES = 80_000;
    /**
     * Folios the forks handle per strategy, at least: above C2's {@code Tier4CompileThreshold} (15000 invocations),
     * so that the methods called once per folio (or once per batch) are compiled by C2 too.
     */
    static final long FOLIOS = 20_000;

    private SmallParentWarmup()
    {
    }

    /**
     * The forks per strategy for folios of {@code order} (a {@link FolioOrder} code): enough for {@link #ENTRIES}
     * entries and {@link #FOLIOS} folios, at least {@link #MIN_FORKS}.
     */
    static int forks(final int order)
    {
        final long folioSize = ForkPlan.PAGE_SIZE << FolioOrder.order(order);
        final long entrySize = FolioOrder.mapping(order) == FolioMapping.PMD ? folioSize : ForkPlan.PAGE_SIZE;
        final long entries = PARENT_BYTES / entrySize;
        final long folios = PARENT_BYTES / folioSize;
        return (int)Math.max(MIN_FORKS, Math.max(ceilDiv(ENTRIES, entries), ceilDiv(FOLIOS, folios)));
    }

    private static long ceilDiv(final long a, final long b)
    {
        return (a + b - 1) / b;
    }

    /**
     * Runs the warm-up for every strategy of {@code strategies} on a {@link #PARENT_BYTES} parent of order-{@code order}
     * folios; nothing when the plan's parent is not larger or the small parent is no multiple of the folio size.
     */
    static void run(final ForkPlan plan, final String arch, final int order, final List<StrategyChoice> strategies)
    {
        if (plan.sizeBytes() <= PARENT_BYTES || PARENT_BYTES % (ForkPlan.PAGE_SIZE << FolioOrder.order(order)) != 0)
        {
            return;
        }
        final ForkPlan small = new ForkPlan(PARENT_BYTES, plan.orders(), plan.archs(), plan.strategies(), 1, 1,
            plan.ramBytes(), false, false, 0, plan.tlbiRange(), null);
        final int forks = forks(order);
        try (OrderSetups setups = new OrderSetups(small, arch, order, "", text -> { }, source -> { }))
        {
            for (final StrategyChoice strategy : strategies)
            {
                final PopulatedParent s = setups.forStrategy(strategy);
                for (int w = 0; w < forks; w++)
                {
                    final Mm child = Fork.fork(s.parent(), strategy.strategy());
                    child.exit();
                    child.mmdrop();
                    s.checkpoint().restore();
                }
            }
        }
    }
}
