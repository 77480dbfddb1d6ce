package io.forksim.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Delta debugging of a failing sequence: drop chunks (halves, quarters, ... single ops), then simplify arguments
 * ({@link Op#simpler()}), repeating until nothing more can go; a candidate is kept only if it still fails with the
 * same {@link ModelRun.Failure#signature() kind} of failure. Bounded by a time budget.
 */
final class Shrinker
{
    private final ModelRun.Setup setup;
    private final String signature;
    private final long deadline;
    int runs;

    Shrinker(final ModelRun.Setup setup, final String signature, final long budgetMillis)
    {
        this.setup = setup;
        this.signature = signature;
        this.deadline = System.currentTimeMillis() + budgetMillis;
    }

    private ModelRun.Failure fails(final List<Op> ops)
    {
        runs++;
        final ModelRun.Failure f = ModelRun.replay(setup, ops);
        return f != null && f.signature().equals(signature) ? f : null;
    }

    private boolean timeLeft()
    {
        return System.currentTimeMillis() < deadline;
    }

    /**
     * {@code ops} without op {@code i} if it creates a process (assuming every fork and newProcess before it did),
     * without the later ops of that process, and with later process numbers above it decremented; else null.
     */
    static List<Op> withoutProcessCreatedAt(final List<Op> ops, final int i)
    {
        if (ops.get(i).k() != Op.K.FORK && ops.get(i).k() != Op.K.NEWPROC)
        {
            return null;
        }
        int created = 1;
        for (int j = 0; j < i; j++)
        {
            if (ops.get(j).k() == Op.K.FORK || ops.get(j).k() == Op.K.NEWPROC)
            {
                created++;
            }
        }
        final List<Op> out = new ArrayList<>(ops.subList(0, i));
        for (final Op o : ops.subList(i + 1, ops.size()))
        {
            if (o.p() == created)
            {
                continue;
            }
            out.add(o.p() > created ? new Op(o.k(), o.p() - 1, o.a(), o.b(), o.c(), o.d(), o.e(), o.f()) : o);
        }
        return out;
    }

    /** The shrunk sequence (cut after the failing step first). */
    List<Op> shrink(final List<Op> failing, final ModelRun.Failure first)
    {
        List<Op> cur = new ArrayList<>(failing.subList(0, Math.min(failing.size(), first.step() + 1)));
        if (fails(cur) == null)
        {
            cur = new ArrayList<>(failing);
        }
        boolean progress = true;
        while (progress && timeLeft())
        {
            progress = false;
            // 1. chunks, largest first
            for (int chunk = Math.max(1, cur.size() / 2); chunk >= 1 && timeLeft(); chunk /= 2)
            {
                for (int start = cur.size() - chunk; start >= 0 && timeLeft(); start -= chunk)
                {
                    final List<Op> cand = new ArrayList<>(cur.subList(0, start));
                    cand.addAll(cur.subList(Math.min(cur.size(), start + chunk), cur.size()));
                    final ModelRun.Failure f = fails(cand);
                    if (f != null)
                    {
                        cur = new ArrayList<>(cand.subList(0, Math.min(cand.size(), f.step() + 1)));
                        progress = true;
                    }
                }
                if (chunk == 1)
                {
                    break;
                }
            }
            // 2. a process-creating op (fork, newProcess) with every op of that process, later ones renumbered
            for (int i = cur.size() - 1; i >= 0 && timeLeft(); i--)
            {
                final List<Op> cand = withoutProcessCreatedAt(cur, i);
                if (cand != null)
                {
                    final ModelRun.Failure f = fails(cand);
                    if (f != null)
                    {
                        cur = new ArrayList<>(cand.subList(0, Math.min(cand.size(), f.step() + 1)));
                        i = Math.min(i, cur.size());
                        progress = true;
                    }
                }
            }
            // 3. simpler arguments
            for (int i = 0; i < cur.size() && timeLeft(); i++)
            {
                for (final Op s : cur.get(i).simpler())
                {
                    final List<Op> cand = new ArrayList<>(cur);
                    cand.set(i, s);
                    final ModelRun.Failure f = fails(cand);
                    if (f != null)
                    {
                        cur = new ArrayList<>(cand.subList(0, Math.min(cand.size(), f.step() + 1)));
                        progress = true;
                        break;
                    }
                }
            }
        }
        return cur;
    }
}
