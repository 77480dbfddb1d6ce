package io.forksim.harness;

import io.forksim.fork.StrategyChoice;

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
                basic = ForkRun.setup(plan, arch, order, true, status, parents);
            }
            return basic;
        }
        if (main == null)
        {
            status.accept(label + "populating " + Units.formatSize(plan.sizeBytes()));
            main = ForkRun.setup(plan, arch, order, false, status, parents);
        }
        return main;
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
