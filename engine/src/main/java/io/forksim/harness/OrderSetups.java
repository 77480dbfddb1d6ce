package io.forksim.harness;

import io.forksim.arch.ArchVariant;
import io.forksim.fork.StrategyChoice;
import io.forksim.mm.Machine;
import io.forksim.mm.ProcessCheckpoint;

/**
 * The populated machines of one order, made when a strategy first needs one: one for every strategy but
 * contpte-basic, which needs an arm64 machine of its own. Closing closes both.
 */
final class OrderSetups implements AutoCloseable
{
    private final ForkPlan plan;
    private final String arch;
    private final int order;
    private final String label;
    private final java.util.function.Consumer<String> status;
    private final java.util.function.Consumer<ParentSource> parents;
    private PopulatedParent main;
    private PopulatedParent basic;

    OrderSetups(final ForkPlan plan, final String arch, final int order, final String label, final java.util.function.Consumer<String> status,
        final java.util.function.Consumer<ParentSource> parents)
    {
        this.parents = parents;
        this.plan = plan;
        this.arch = arch;
        this.order = order;
        this.label = label;
        this.status = status;
    }

    PopulatedParent forStrategy(final StrategyChoice strategy)
    {
        if (strategy == StrategyChoice.CONTPTE_BASIC)
        {
            if (basic == null)
            {
                status.accept(label + "populating " + Units.formatSize(plan.sizeBytes()) + " (contpte-basic machine)");
                basic = build(plan, arch, order, true, status, parents);
            }
            return basic;
        }
        if (main == null)
        {
            status.accept(label + "populating " + Units.formatSize(plan.sizeBytes()));
            main = build(plan, arch, order, false, status, parents);
        }
        return main;
    }

    /**
     * Builds a machine and a parent with {@code sizeBytes} of anon memory populated with order-{@code order} folios
     * ({@link ForkRun#setup}); with a snapshot, {@code parents} learns where it came from.
     */
    static PopulatedParent build(final ForkPlan plan, final String arch, final int order, final boolean contpteBasic,
        final java.util.function.Consumer<String> status, final java.util.function.Consumer<ParentSource> parents)
    {
        Machine.Config cfg = Machine.Config.of(arch, plan.ramBytes())
            .withHugePages(Boolean.parseBoolean(System.getProperty(ForkRun.HUGE_PAGES_PROPERTY, "true")));
        if (arch.equals("arm64"))
        {
            cfg = cfg.withTlbiRange(plan.tlbiRange()).withArch(ArchVariant.of(arch, contpteBasic));
        }
        if (plan.snapshot() != null)
        {
            final java.nio.file.Path f = io.forksim.snapshot.SnapshotCache.fileFor(plan.snapshot(), arch, plan.sizeBytes(),
                FolioOrder.order(order), FolioOrder.mapping(order), contpteBasic,
                ForkPlan.onlyConfiguration(plan.archs(), plan.orders(), plan.strategies()));
            final io.forksim.snapshot.SnapshotCache.Loaded l;
            try
            {
                l = io.forksim.snapshot.SnapshotCache.loadOrCreate(f, cfg, ForkPlan.BASE_VA, plan.sizeBytes(), FolioOrder.order(order),
                    FolioOrder.mapping(order), status);
            }
            catch (final java.io.IOException e)
            {
                throw new java.io.UncheckedIOException(e);
            }
            try
            {
                parents.accept(ParentSource.of(arch, order, contpteBasic, l));
                return new PopulatedParent(l.machine(), l.parent(), ProcessCheckpoint.capture(l.parent()));
            }
            catch (final RuntimeException | Error e)
            {
                l.close();
                throw e;
            }
        }
        return PopulatedParent.build(cfg, plan.sizeBytes(), FolioOrder.order(order), FolioOrder.mapping(order));
    }

    @Override
    public void close()
    {
        try
        {
            if (main != null)
            {
                main.close();
            }
        }
        finally
        {
            if (basic != null)
            {
                basic.close();
            }
        }
    }
}
