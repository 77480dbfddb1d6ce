package io.forksim.harness;

/** Exact counts of one {@link ForkTree} worker (plain longs; summed at quiescence). */
public final class ForkTreeCounts
{
    public long ops;
    public long forks;
    public long zygoteForks;
    public long exits;
    public long writes;
    public long reads;
    public long ooms;
    public long skippedForks;
    /** PTEs (present and swap) the forks copied into children: the children's RSS right after fork. */
    public long forkPages;
    /** Time spent inside {@link io.forksim.fork.Fork#fork} (not waiting for the zygote's lock). */
    public long forkNanos;
    public long contentMismatches;
    public long peakLive;

    public ForkTreeCounts add(final ForkTreeCounts o)
    {
        ops += o.ops;
        forks += o.forks;
        zygoteForks += o.zygoteForks;
        exits += o.exits;
        writes += o.writes;
        reads += o.reads;
        ooms += o.ooms;
        skippedForks += o.skippedForks;
        forkPages += o.forkPages;
        forkNanos += o.forkNanos;
        contentMismatches += o.contentMismatches;
        peakLive += o.peakLive;
        return this;
    }
}
