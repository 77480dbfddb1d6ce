package io.forksim.model;

import io.forksim.fork.Strategy;
import io.forksim.mm.Advice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded generator of operation sequences that interact: addresses come from an 8 MiB window straddling the
 * 1 GiB PUD boundary (two PMD tables below it, two above), mostly inside or at the edges of existing VMAs, so that
 * mmaps touch, mprotect/madvise/munmap split VMAs and large folios, populate meets already-mapped pages, and
 * mremap moves pieces of folios. About one op in twenty is hostile (negative, unaligned, huge, Long.MIN/MAX
 * values, bad prot, order or advice, a wrong strategy, an exited process), which the engine must refuse without
 * changing anything.
 */
final class Gen
{
    static final long PAGE = RefModel.PAGE;
    /** 1 GiB - 4 MiB: the window is [BASE, BASE + 8 MiB), crossing the PUD boundary at 1 GiB. */
    static final long BASE = (1L << 30) - (4L << 20);
    static final long WINDOW = 8L << 20;
    static final long TASK = RefModel.TASK_SIZE;
    static final long[] HOSTILE = {-1, -PAGE, Long.MIN_VALUE, Long.MAX_VALUE, TASK, TASK - PAGE, 1, BASE + 1, BASE - 7,
        1L << 62, -(1L << 47), 0x7fff_ffff_f000L + PAGE * 2, Integer.MAX_VALUE, Integer.MIN_VALUE};

    private final Random rnd;
    private long tokens;
    /** Only private anonymous mappings (a thread of the concurrent stress: no page cache shared across threads). */
    private final boolean anonOnly;
    /** Whether to emit {@link Op#oomAfter} (the allocator's failure injection is machine-wide). */
    private final boolean inject;
    /** Processes below this index are not touched (the shared zygote of the concurrent stress). */
    private final int minProc;
    /** Biased to PMD-mapped THPs: many 2 MiB-aligned private anon RW mmaps of 2 or 4 MiB, most populates PMD-mapped. */
    private final boolean thp;

    Gen(final long seed)
    {
        this(seed, false, true, 0);
    }

    Gen(final long seed, final boolean anonOnly, final boolean inject, final int minProc)
    {
        this(seed, anonOnly, inject, minProc, false);
    }

    Gen(final long seed, final boolean anonOnly, final boolean inject, final int minProc, final boolean thp)
    {
        this.thp = thp;
        this.rnd = new Random(seed);
        this.tokens = 0x7700_0000_0000L + ((seed & 0xffff) << 24);
        this.anonOnly = anonOnly;
        this.inject = inject;
        this.minProc = minProc;
    }

    private int n(final int bound)
    {
        return rnd.nextInt(bound);
    }

    private boolean p(final double prob)
    {
        return rnd.nextDouble() < prob;
    }

    private long hostile()
    {
        return p(0.8) ? HOSTILE[n(HOSTILE.length)] : rnd.nextLong();
    }

    private long windowPage()
    {
        return BASE + n((int)(WINDOW / PAGE)) * PAGE;
    }

    private <T> T pick(final List<T> l)
    {
        return l.get(n(l.size()));
    }

    private List<Integer> live(final RefModel m)
    {
        final List<Integer> out = new ArrayList<>();
        for (final RefModel.MProc p : m.procs)
        {
            if (!p.exited && p.index >= minProc)
            {
                out.add(p.index);
            }
        }
        return out;
    }

    private static List<Long> pages(final RefModel.MProc p, final RefModel.Kind kind)
    {
        final List<Long> out = new ArrayList<>();
        for (final Map.Entry<Long, RefModel.MPage> e : p.pages.entrySet())
        {
            if (e.getValue().kind() == kind)
            {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** A page inside a VMA of p (or anywhere in the window). */
    private long somePage(final RefModel.MProc p)
    {
        if (p.vmas.isEmpty() || p(0.08))
        {
            return windowPage();
        }
        final RefModel.MVma v = pick(new ArrayList<>(p.vmas.values()));
        return v.start + n((int)((v.end - v.start) / PAGE)) * PAGE;
    }

    /** A page-aligned range around existing VMAs: a VMA, part of one, or across neighbours and holes. */
    private long[] someRange(final RefModel.MProc p)
    {
        if (p.vmas.isEmpty() || p(0.1))
        {
            final long a = windowPage();
            return new long[] {a, (1 + n(64)) * PAGE};
        }
        final RefModel.MVma v = pick(new ArrayList<>(p.vmas.values()));
        final long pages = (v.end - v.start) / PAGE;
        switch (n(4))
        {
            case 0:
                return new long[] {v.start, v.end - v.start};
            case 1:
            {
                final long s = v.start + n((int)pages) * PAGE;
                final long e = s + (1 + n((int)((v.end - s) / PAGE))) * PAGE;
                return new long[] {s, e - s};
            }
            case 2:
            {
                // 16-page (64 KiB) aligned piece: contpte blocks and order-4 folios
                final long s = Math.max(v.start, (v.start + n((int)pages) * PAGE) & -(16 * PAGE));
                final long len = Math.min(v.end - s, (1 + n(3)) * 16 * PAGE);
                return new long[] {s, Math.max(PAGE, len)};
            }
            default:
            {
                final long s = Math.max(0, v.start - n(4) * PAGE);
                return new long[] {s, v.end - s + n(8) * PAGE};
            }
        }
    }

    private long freeSpot(final RefModel.MProc p, final long len, final long align)
    {
        for (int t = 0; t < 30; t++)
        {
            final long a = (BASE + (long)(rnd.nextDouble() * (WINDOW - len))) & -align;
            if (a >= BASE && a + len <= BASE + WINDOW && p.vmasIn(a, a + len).isEmpty())
            {
                return a;
            }
        }
        return windowPage();
    }

    private long protBits()
    {
        return switch (n(10))
        {
            case 0 -> 0;
            case 1, 2 -> Op.PROT_R;
            case 3 -> Op.PROT_R | Op.PROT_W | Op.PROT_X;
            default -> Op.PROT_R | Op.PROT_W;
        };
    }

    private long token()
    {
        return ++tokens;
    }

    /** The next op for the state of {@code m}. */
    Op next(final RefModel m)
    {
        final List<Integer> live = live(m);
        if (live.isEmpty())
        {
            return p(0.7) ? Op.newProcess() : Op.read(anyProc(m), windowPage());
        }
        final int pi = p(0.04) ? anyProc(m) : pick(live);
        final RefModel.MProc p = m.proc(pi);
        if (p(0.05))
        {
            return hostileOp(m, pi);
        }
        if (inject && p(0.06))
        {
            return Op.oomAfter(n(3) == 0 ? 0 : n(12)); // the next op runs out of RAM after a few allocations
        }
        final int w = n(100);
        if (w < 10)
        {
            return mmap(p, pi);
        }
        if (w < 13)
        {
            final long[] r = someRange(p);
            return Op.munmap(pi, r[0], r[1]);
        }
        if (w < 19)
        {
            final long[] r = someRange(p);
            return Op.mprotect(pi, r[0], r[1], protBits());
        }
        if (w < 28)
        {
            final long[] r = someRange(p);
            final Advice a = switch (n(9))
            {
                case 0, 1 -> Advice.DONTNEED;
                case 2 -> Advice.DONTFORK;
                case 3 -> Advice.DOFORK;
                case 4 -> Advice.WIPEONFORK;
                case 5 -> Advice.KEEPONFORK;
                default -> Advice.PAGEOUT;
            };
            if (a == Advice.PAGEOUT && p(0.6))
            {
                // a whole private anon VMA with pages: folios lie wholly in the range
                final List<RefModel.MVma> vs = new ArrayList<>();
                for (final RefModel.MVma v : p.vmas.values())
                {
                    if (v.privateAnon() && !p.pages.subMap(v.start, v.end).isEmpty())
                    {
                        vs.add(v);
                    }
                }
                if (!vs.isEmpty())
                {
                    final RefModel.MVma v = pick(vs);
                    return Op.madvise(pi, v.start, v.end - v.start, a);
                }
            }
            return Op.madvise(pi, r[0], r[1], a);
        }
        if (w < 32)
        {
            final long[] r = someRange(p);
            final RefModel.MVma v = p.vma(r[0]);
            final long len = v == null ? r[1] : Math.min(r[1], v.end - r[0]);
            final long align = p(0.3) ? 16 * PAGE : p(0.2) ? 512 * PAGE : PAGE;
            if (p(0.35))
            {
                // just below or above the old range: old and new share a PTE table (2 MiB region)
                for (int t = 0; t < 10; t++)
                {
                    final long to = p(0.5) ? r[0] - len - n(64) * PAGE : r[0] + len + n(64) * PAGE;
                    if (to >= BASE && to + len <= BASE + WINDOW && p.vmasIn(to, to + len).isEmpty())
                    {
                        return Op.mremap(pi, r[0], len, to);
                    }
                }
            }
            return Op.mremap(pi, r[0], len, freeSpot(p, len, align));
        }
        if (w < 44)
        {
            return populate(p, pi);
        }
        if (w < 49)
        {
            return Op.fault(pi, swapBiased(p) + (p(0.1) ? n(4096) : 0), p(0.5));
        }
        if (w < 62)
        {
            return Op.read(pi, swapBiased(p) + (p(0.1) ? n(4096) : 0));
        }
        if (w < 75)
        {
            return Op.write(pi, swapBiased(p), token());
        }
        if (w < 79)
        {
            return Op.pin(pi, somePage(p));
        }
        if (w < 82)
        {
            if (!p.pins.isEmpty() && p(0.85))
            {
                return Op.unpin(pi, pick(p.pins).pinAddr);
            }
            return Op.unpin(pi, somePage(p));
        }
        if (w < 86)
        {
            return Op.dma(pi, p.pins.isEmpty() ? 0 : n(p.pins.size()), token());
        }
        if (w < 93)
        {
            if (live.size() >= 5)
            {
                return Op.exit(pick(live));
            }
            return Op.fork(pi, strategy(m));
        }
        if (w < 97)
        {
            return live.size() > 1 || p(0.1) ? Op.exit(pi) : Op.fork(pi, strategy(m));
        }
        return live.size() < 5 && p(0.3) ? Op.newProcess() : Op.read(pi, somePage(p));
    }

    /** Any process this generator may touch, live or exited. */
    private int anyProc(final RefModel m)
    {
        return minProc + n(m.procs.size() - minProc);
    }

    private Strategy strategy(final RefModel m)
    {
        if (p(0.03))
        {
            if (p(0.2))
            {
                return null;
            }
            return strategyOrNull(n(4));
        }
        if (m.contpteBasic)
        {
            return Strategy.FOLIO_BATCH;   // the contpte-basic row of the thread's table
        }
        return Strategy.values()[n(3)];
    }

    /** Strategy {@code i}, or null (a bad argument) for an index past the last one. */
    static Strategy strategyOrNull(final int i)
    {
        return i < Strategy.values().length ? Strategy.values()[i] : null;
    }

    /** A page to access: a swapped-out one half of the time (swap-in), else any. */
    private long swapBiased(final RefModel.MProc p)
    {
        if (p(0.5))
        {
            final List<Long> s = pages(p, RefModel.Kind.SWAP);
            if (!s.isEmpty())
            {
                return pick(s);
            }
        }
        return somePage(p);
    }

    private Op mmap(final RefModel.MProc p, final int pi)
    {
        if (thp && p(0.5))
        {
            final long len = 512 * PAGE * (1 + n(2));
            return Op.mmap(pi, freeSpot(p, len, 512 * PAGE), len, Op.PROT_R | Op.PROT_W, false, Op.ANON, 0);
        }
        final long pages = switch (n(6))
        {
            case 0 -> 1 + n(4);
            case 1 -> 16 * (1 + n(4));
            case 2 -> 512;
            case 3 -> 512 + 16 * n(40);
            case 4 -> 1024;
            default -> 1 + n(64);
        };
        final long len = pages * PAGE;
        final long align = pages >= 512 && p(0.6) ? 512 * PAGE : pages >= 16 && p(0.5) ? 16 * PAGE : PAGE;
        long addr = freeSpot(p, len, align);
        if (p(0.15) && !p.vmas.isEmpty())
        {
            addr = pick(new ArrayList<>(p.vmas.values())).end; // adjacent: may touch or overlap the next one
        }
        final int kind = anonOnly ? 0 : n(10);
        if (kind < 6)
        {
            return Op.mmap(pi, addr, len, protBits(), false, Op.ANON, 0);
        }
        if (kind < 8)
        {
            return Op.mmap(pi, addr, len, protBits(), true, Op.ANON, 0);
        }
        final int f = n(ModelRun.FILE_PAGES.length);
        final long fp = ModelRun.FILE_PAGES[f];
        final long off = fp > pages ? n((int)(fp - pages + 1)) * PAGE : 0;
        return Op.mmap(pi, addr, len, protBits(), p(0.5), f, off);
    }

    private Op populate(final RefModel.MProc p, final int pi)
    {
        if (!anonOnly && p(thp ? 0.8 : 0.15))
        {
            final Op pmd = pmdPopulate(p, pi);
            if (pmd != null)
            {
                return pmd;
            }
        }
        final int order = switch (n(8))
        {
            case 0, 1, 2 -> 0;
            case 3, 4 -> 4;
            case 5 -> 9;
            default -> n(10);
        };
        final long size = PAGE << order;
        final List<RefModel.MVma> vs = new ArrayList<>();
        for (final RefModel.MVma v : p.vmas.values())
        {
            if ((v.shared || v.file == null) && v.prot != 0 && ((v.start + size - 1) & -size) + size <= v.end)
            {
                vs.add(v);
            }
        }
        if (vs.isEmpty())
        {
            final long[] r = someRange(p);
            return Op.populate(pi, r[0], r[1], order == 9 ? 0 : order);
        }
        // prefer a run of empty folios
        for (int t = 0; t < 12; t++)
        {
            final RefModel.MVma v = pick(vs);
            final long first = (v.start + size - 1) & -size;
            final int slots = (int)((v.end - first) / size);
            final long s = first + n(slots) * size;
            final int k = 1 + n(Math.min(4, (int)((v.end - s) / size)));
            if (p.pages.subMap(s, s + k * size).isEmpty() || t == 11)
            {
                // order 9 in a private anon writable VMA: half of the time PMD-mapped (never on a concurrent machine)
                final boolean pmd = order == 9 && !anonOnly && v.file == null && !v.shared && (v.prot & 2) != 0 && p(0.5);
                return pmd ? Op.populatePmd(pi, s, k * size) : Op.populate(pi, s, k * size, order);
            }
        }
        throw new IllegalStateException();
    }

    /** A PMD-mapped populate of one or two empty 2 MiB steps of a private anon writable VMA, or null if none fits. */
    private Op pmdPopulate(final RefModel.MProc p, final int pi)
    {
        final long thp = 512 * PAGE;
        final List<Long> slots = new ArrayList<>();
        for (final RefModel.MVma v : p.vmas.values())
        {
            if (v.file == null && !v.shared && (v.prot & 2) != 0)
            {
                for (long s = (v.start + thp - 1) & -thp; s + thp <= v.end; s += thp)
                {
                    if (p.pages.subMap(s, s + thp).isEmpty())
                    {
                        slots.add(s);
                    }
                }
            }
        }
        if (slots.isEmpty())
        {
            return null;
        }
        final long s = pick(slots);
        return Op.populatePmd(pi, s, slots.contains(s + thp) && p(0.3) ? 2 * thp : thp);
    }

    private Op hostileOp(final RefModel m, final int pi)
    {
        final RefModel.MProc p = m.proc(pi);
        final long a = p(0.5) ? hostile() : somePage(p) + (p(0.5) ? 1 + n(4095) : 0);
        final long len = p(0.5) ? hostile() : (p(0.5) ? 0 : n(3) * PAGE + 1);
        return switch (n(11))
        {
            case 0 -> Op.mmap(pi, a, len, p(0.5) ? protBits() : pick(List.of(8L, -1L, 0x10L, (long)Integer.MIN_VALUE)),
                !anonOnly && p(0.5), anonOnly || p(0.7) ? Op.ANON : n(2), p(0.5) ? 0 : pick(List.of(-PAGE, 1L, Long.MIN_VALUE, 1L << 40)));
            case 1 -> Op.munmap(pi, a, len);
            case 2 -> Op.mprotect(pi, a, len, p(0.5) ? protBits() : pick(List.of(8L, -1L, 0x100L)));
            case 3 -> Op.madvise(pi, a, len, p(0.5) ? null : Advice.values()[n(6)]);
            case 4 -> Op.mremap(pi, a, len, p(0.5) ? hostile() : windowPage());
            case 5 -> Op.populate(pi, p(0.5) ? a : somePage(p), p(0.5) ? len : PAGE,
                p(0.5) ? pick(List.of(-1L, 10L, 64L, (long)Integer.MIN_VALUE, (long)Integer.MAX_VALUE)) : n(10));
            case 6 -> Op.fault(pi, a, p(0.5));
            case 7 -> p(0.5) ? Op.read(pi, a) : Op.write(pi, a, token());
            case 8 -> p(0.5) ? Op.pin(pi, a) : Op.unpin(pi, a);
            case 9 -> Op.fork(pi, p(0.5) ? null : strategyOrNull(n(4)));
            default -> Op.exit(anyProc(m));
        };
    }
}
