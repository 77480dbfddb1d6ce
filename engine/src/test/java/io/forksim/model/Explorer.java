package io.forksim.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Generates a sequence for a seed, runs it against the model, and on failure shrinks it into a readable report. */
final class Explorer
{
    /** Aggregated outcome statistics of many runs. */
    final Map<String, Long> stats = new TreeMap<>();
    long swappedOut;
    long swappedIn;
    long swapCacheOnlySteps;
    long steps;
    int runs;

    private Explorer()
    {
    }

    static Explorer create()
    {
        return new Explorer();
    }

    /** The machine of a seed: RAM 4, 8 or 16 MiB (the small ones run out), swap 64 to 512 slots. */
    static ModelRun.Setup setupFor(final String arch, final boolean basic, final long seed)
    {
        final Random r = new Random(seed ^ 0x9E3779B97F4A7C15L);
        final long ram = r.nextInt(5) < 3 ? 4L << 20 : 8L << 20;
        final long swap = (256L << 10) << r.nextInt(4);
        return ModelRun.Setup.of(arch, basic, ram, swap);
    }

    /**
     * Runs {@code length} generated ops for {@code seed}.
     *
     * @return null, or the failure report with the shrunk, replayable sequence
     */
    String explore(final ModelRun.Setup setup, final long seed, final int length, final long shrinkBudgetMillis)
    {
        return explore(setup, new Gen(seed), seed, length, shrinkBudgetMillis);
    }

    /** As {@link #explore(ModelRun.Setup, long, int, long)} with the generator {@code g} (made from {@code seed}). */
    String explore(final ModelRun.Setup setup, final Gen g, final long seed, final int length, final long shrinkBudgetMillis)
    {
        final List<Op> ops = new ArrayList<>();
        ModelRun.Failure failure = null;
        try (ModelRun r = new ModelRun(setup))
        {
            for (int i = 0; i < length && failure == null; i++)
            {
                final Op op = g.next(r.model);
                ops.add(op);
                failure = r.step(i, op);
            }
            if (failure == null)
            {
                failure = r.teardown(ops.size());
            }
            steps += ops.size();
            runs++;
            r.stats.forEach((k, v) -> stats.merge(k, (long)v, Long::sum));
            swappedOut += r.swappedOut;
            swappedIn += r.swappedIn;
            swapCacheOnlySteps += r.swapCacheOnlySteps;
        }
        if (failure == null)
        {
            return null;
        }
        final Shrinker s = new Shrinker(setup, failure.signature(), shrinkBudgetMillis);
        final List<Op> small = s.shrink(ops, failure);
        ModelRun.Failure f = ModelRun.replay(setup, small);
        final boolean shrunk = f != null;
        if (!shrunk)
        {
            f = failure;
        }
        return report(setup, seed, shrunk ? small : ops, f, ops.size(), s.runs);
    }

    static String report(final ModelRun.Setup setup, final long seed, final List<Op> ops, final ModelRun.Failure f,
        final int originalLength, final int shrinkRuns)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("forksim diverged from the reference model: ").append(f.kind()).append(" at step ").append(f.step())
            .append(" (seed 0x").append(Long.toHexString(seed)).append(", ").append(setup)
            .append("; shrunk from ").append(originalLength).append(" to ").append(ops.size()).append(" ops in ")
            .append(shrinkRuns).append(" replays)\n  ").append(f.detail()).append("\n\nReplay (io.forksim.model, static import Op.*):\n")
            .append("  ModelRun.replay(ModelRun.").append(setup).append(", java.util.List.of(\n");
        for (int i = 0; i < ops.size(); i++)
        {
            sb.append(String.format("    /* %3d */ %s%s%n", i, ops.get(i), i + 1 < ops.size() ? "," : ""));
        }
        sb.append("  ))\n");
        return sb.toString();
    }
}
