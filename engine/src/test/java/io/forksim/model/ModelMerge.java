package io.forksim.model;

import java.util.Map;

/**
 * The reference model's VMA merging, written from mm/vma.c (6.18) independently of the engine's: a VMA whose
 * attributes an operation changed, a new mapping, or mremap's destination, joins an adjacent neighbour with equal attributes
 * (prot, shared, DONTFORK, WIPEONFORK, VM_ACCOUNT), the same file and a contiguous page offset, when their
 * anon_vmas fit (the same one, or one side has none and the other was not cloned by fork). The left neighbour
 * survives a left merge, else the right one. A first anon fault reuses a compatible neighbour's anon_vma.
 */
final class ModelMerge
{
    private ModelMerge()
    {
    }

    static RefModel.MVma merge(final RefModel.MProc p, final RefModel.MVma v, final boolean srcForked)
    {
        final Map.Entry<Long, RefModel.MVma> pe = p.vmas.lowerEntry(v.start);
        final RefModel.MVma prev = pe != null && pe.getValue().end == v.start ? pe.getValue() : null;
        final RefModel.MVma next = p.vmas.get(v.end);
        final boolean left = prev != null && sameAttrs(prev, v) && anonFits(prev, v.anon, srcForked)
            && prev.pgoff + ((prev.end - prev.start) >>> 12) == v.pgoff;
        final boolean right = next != null && sameAttrs(next, v) && anonFits(next, v.anon, srcForked)
            && v.pgoff + ((v.end - v.start) >>> 12) == next.pgoff
            && (!left || prev.anon == null || next.anon == null || prev.anon == next.anon);
        if (!left && !right)
        {
            return v;
        }
        RefModel.MVma first = left ? prev : v;
        RefModel.MVma last = right ? next : v;
        final RefModel.MVma target = left ? prev : next;
        Object anon = null;
        boolean forked = false;
        for (final RefModel.MVma x : new RefModel.MVma[] {first, v, last})
        {
            if (anon == null && x.anon != null)
            {
                anon = x.anon;
                forked = x.forked;
            }
            p.vmas.remove(x.start);
        }
        final long start = first.start;
        final long end = last.end;
        final long pgoff = first.pgoff;
        target.start = start;
        target.end = end;
        target.pgoff = pgoff;
        target.anon = anon;
        target.forked = forked;
        p.vmas.put(start, target);
        return target;
    }

    /** The first anon fault's anon_vma: the next VMA's, else the previous one's, if compatible; else new. */
    static void anonVmaPrepare(final RefModel.MProc p, final RefModel.MVma v)
    {
        if (v.anon != null)
        {
            return;
        }
        final RefModel.MVma next = p.vmas.get(v.end);
        final Map.Entry<Long, RefModel.MVma> pe = p.vmas.lowerEntry(v.start);
        final RefModel.MVma prev = pe != null && pe.getValue().end == v.start ? pe.getValue() : null;
        Object found = null;
        if (next != null && compatible(v, next) && next.anon != null && !next.forked)
        {
            found = next.anon;
        }
        else if (prev != null && compatible(prev, v) && prev.anon != null && !prev.forked)
        {
            found = prev.anon;
        }
        v.anon = found != null ? found : new Object();
        v.forked = false;
    }

    private static boolean compatible(final RefModel.MVma a, final RefModel.MVma b)
    {
        return a.end == b.start && a.file == b.file && a.shared == b.shared && a.dontfork == b.dontfork && a.wipe == b.wipe
            && a.account == b.account && b.pgoff == a.pgoff + ((b.start - a.start) >>> 12);
    }

    private static boolean sameAttrs(final RefModel.MVma a, final RefModel.MVma b)
    {
        return a.prot == b.prot && a.shared == b.shared && a.dontfork == b.dontfork && a.wipe == b.wipe
            && a.account == b.account && a.file == b.file;
    }

    private static boolean anonFits(final RefModel.MVma tgt, final Object srcAnon, final boolean srcForked)
    {
        if (tgt.anon == null && srcAnon != null)
        {
            return !srcForked;
        }
        if (tgt.anon != null && srcAnon == null)
        {
            return !tgt.forked;
        }
        return tgt.anon == srcAnon;
    }
}
