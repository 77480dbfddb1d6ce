package io.forksim.harness;

import io.forksim.mem.OffHeapArena;
import io.forksim.mem.RawMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The FFM floor: the least a fork's PTE copy can cost in Java over FFM memory, timed in the same worker JVM and the
 * same rounds as the strategies ({@link ForkRun}) and by the bench module's {@code LoopBaseline} (JMH): the minimal
 * C loop of a fork PTE copy written in Java over FFM segments, in one copy.
 *
 * <p>Per page: read the parent PTE, write it back write-protected, write the child PTE (old, write-protected),
 * add to the folio's refcount and mapcount; {@link #perPte} once per page, {@link #batched} once per run of
 * consecutive PFNs inside one folio. No page-table walk, no VMA rules, no PageAnonExclusive, no events: the
 * distance from a strategy's fork to this loop is what the engine's model costs on top.
 *
 * <p>Data: {@code pages} parent PTEs and as many child PTEs (8 bytes each) and a 24-byte folio record per page
 * (refcount at +4, mapcount at +8), every byte written once at allocation so that no page is first touched
 * inside a timed pass. PTE words use an x86 layout: present bit 0, write bit 1, accessed bit 5,
 * PFN from bit 12 (offset by 1000):
 * <pre>
 *  63            12 11    6  5  4   2  1  0
 * +----------------+-------+---+-----+---+---+
 * |   pfn + 1000   |   0   | A |  0  | W | P |
 * +----------------+-------+---+-----+---+---+
 * </pre>
 * A pass is not its own inverse (it clears every parent W bit); {@link #restoreWritable} sets them again and is
 * not timed.
 *
 * <p>Access: the loops read and write through {@link RawMemory} at the segments' absolute addresses, the path the
 * engine's copy loops use. Through the segments themselves, each access would inline the JDK's shared segment
 * code ({@code checkAccess}, {@code checkEnclosingLayout}, the receiver-class check, the unaligned get/put), whose
 * profiles the whole JVM writes: what the loop compiled to then depended on what the worker had run before C2
 * compiled it, and differed between worker JVMs (timing.md, "The floor loop's compiled code"). The constant
 * segment of {@link RawMemory} has no receiver profile and a constant bounds check, so the loop has one compiled
 * shape. The segments' own checks move out of the loop: every public pass checks once that the arena is alive.
 */
public final class FloorLoop implements AutoCloseable
{
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    static final long W = 1L << 1;
    static final long A = 1L << 5;
    static final int SH = 12;
    /** Bytes of one folio record (as the engine's memmap record is larger than the two counters). */
    static final long FOLIO = 24;

    private final Arena owned;
    /** The mapping of {@link #allocateAsTheEngine}, closed by {@link #close}; null otherwise. */
    private final OffHeapArena ownedMapping;
    private final MemorySegment par;
    private final MemorySegment chi;
    private final MemorySegment fo;
    private final long pages;

    private FloorLoop(final Arena owned, final OffHeapArena ownedMapping, final MemorySegment par,
        final MemorySegment chi, final MemorySegment fo, final long pages)
    {
        this.owned = owned;
        this.ownedMapping = ownedMapping;
        this.par = par;
        this.chi = chi;
        this.fo = fo;
        this.pages = pages;
    }

    /**
     * The floor's data for {@code pages} pages in {@code arena}, every byte touched.
     *
     * @param pages at least 1
     * @param owns  whether {@link #close} closes {@code arena} (false for the global arena or one the caller closes)
     */
    public static FloorLoop allocate(final Arena arena, final long pages, final boolean owns)
    {
        requirePages(pages);
        return fill(owns ? arena : null, null, arena.allocate(pages * 8, 4096), arena.allocate(pages * 8, 4096),
            arena.allocate(pages * FOLIO, 4096), pages);
    }

    /**
     * The floor's data for {@code pages} pages in the memory the engine keeps its page tables and memmap in: an
     * {@link OffHeapArena}, with transparent huge pages when {@code hugePages} (as {@code Machine.Config.hugePages},
     * which {@code ForkRun} takes from {@code -Dforksim.hugePages}, default true). A fork's loop walks memory that
     * the TLB maps in 2 MiB pages; on 4 KiB pages the floor alone would take a TLB miss every 4 KiB of each of its
     * three streams (timing.md, "The floor loop's memory"). Every byte touched; {@link #close} unmaps it.
     *
     * @param pages at least 1
     */
    public static FloorLoop allocateAsTheEngine(final long pages, final boolean hugePages)
    {
        requirePages(pages);
        final OffHeapArena mapping = new OffHeapArena(hugePages);
        try
        {
            return fill(null, mapping, mapping.allocateZeroed(pages * 8, "the floor loop's parent PTEs"),
                mapping.allocateZeroed(pages * 8, "the floor loop's child PTEs"),
                mapping.allocateZeroed(pages * FOLIO, "the floor loop's folio records"), pages);
        }
        catch (final RuntimeException | Error e)
        {
            mapping.close();
            throw e;
        }
    }

    private static void requirePages(final long pages)
    {
        if (pages < 1)
        {
            throw new IllegalArgumentException("the floor loop needs at least one page, not " + pages);
        }
    }

    private static FloorLoop fill(final Arena owned, final OffHeapArena ownedMapping, final MemorySegment par,
        final MemorySegment chi, final MemorySegment fo, final long pages)
    {
        for (long i = 0; i < pages; i++)
        {
            par.setAtIndex(L, i, ((i + 1000) << SH) | 1 | W | A);
            chi.setAtIndex(L, i, 0);
            fo.set(I, i * FOLIO + 4, 1);
        }
        return new FloorLoop(owned, ownedMapping, par, chi, fo, pages);
    }

    public long pages()
    {
        return pages;
    }

    /** The loop a fork of order-{@code order} folios is compared with: per-PTE for order 0, batched otherwise. */
    public void pass(final int order)
    {
        requireAlive();
        if (order == 0)
        {
            perPte(par.address(), chi.address(), fo.address(), pages, order);
        }
        else
        {
            batched(par.address(), chi.address(), fo.address(), pages, order);
        }
    }

    /** One per-PTE pass (for JMH, which consumes the return value). */
    public long perPte(final int order)
    {
        requireAlive();
        return perPte(par.address(), chi.address(), fo.address(), pages, order);
    }

    /** One batched pass. */
    public void batched(final int order)
    {
        requireAlive();
        batched(par.address(), chi.address(), fo.address(), pages, order);
    }

    /** The raw-address loops would touch unmapped memory after {@link #close}: refuse a pass then. */
    private void requireAlive()
    {
        if (!par.scope().isAlive())
        {
            throw new IllegalStateException("the floor loop's memory was freed (closed), no pass over it");
        }
    }

    /** Sets every parent W bit again: the state before a pass. Not part of the floor. */
    public void restoreWritable()
    {
        for (long i = 0; i < pages; i++)
        {
            par.setAtIndex(L, i, par.getAtIndex(L, i) | W);
        }
    }

    /**
     * One per-PTE pass over {@code n} PTEs at absolute addresses. Precondition: {@code par} and {@code chi} start
     * {@code n} longs and {@code fo} {@code n} folio records of live native segments.
     */
    static long perPte(final long par, final long chi, final long fo, final long n, final int order)
    {
        final long fnm = ~((1L << order) - 1);
        final long s = 0;
        for (long i = 0; i < n; i++)
        {
            long p = RawMemory.getLong(par + i * 8);
            if ((p & 1) == 0)
            {
                continue;
            }
            final long pfn = (p >>> SH) - 1000;
            final long f = fo + (pfn & fnm) * FOLIO;
            RawMemory.setInt(f + 4, RawMemory.getInt(f + 4) + 1);
            RawMemory.setInt(f + 8, RawMemory.getInt(f + 8) + 1);
            if ((p & W) != 0)
            {
                p &= ~W;
                RawMemory.setLong(par + i * 8, p);
            }
            RawMemory.setLong(chi + i * 8, p & ~A);
        }
        return s;
    }

    /** One batched pass; the precondition of {@link #perPte(long, long, long, long, int)}. */
    static void batched(final long par, final long chi, final long fo, final long n, final int order)
    {
        final long fn = 1L << order;
        for (long i = 0; i < n; )
        {
            final long p = RawMemory.getLong(par + i * 8);
            final long pfn = (p >>> SH) - 1000;
            final long head = pfn & ~(fn - 1);
            long nr = 1;
            long exp = p + (1L << SH);
            while (i + nr < n && head + fn > pfn + nr && RawMemory.getLong(par + (i + nr) * 8) == exp)
            {
                nr++;
                exp += 1L << SH;
            }
            final long f = fo + head * FOLIO;
            RawMemory.setInt(f + 4, RawMemory.getInt(f + 4) + (int)nr);
            RawMemory.setInt(f + 8, RawMemory.getInt(f + 8) + (int)nr);
            for (long j = 0; j < nr; j++)
            {
                final long q = (p + (j << SH)) & ~W;
                RawMemory.setLong(par + (i + j) * 8, q);
                RawMemory.setLong(chi + (i + j) * 8, q & ~A);
            }
            i += nr;
        }
    }

    /** Test access: the parent PTE at {@code i}. */
    long parentPte(final long i)
    {
        return par.getAtIndex(L, i);
    }

    /** Test access: the child PTE at {@code i}. */
    long childPte(final long i)
    {
        return chi.getAtIndex(L, i);
    }

    /** Test access: the refcount of the folio record of page {@code pfn}. */
    int refcount(final long pfn)
    {
        return fo.get(I, pfn * FOLIO + 4);
    }

    /** Test access: the mapcount of the folio record of page {@code pfn}. */
    int mapcount(final long pfn)
    {
        return fo.get(I, pfn * FOLIO + 8);
    }

    @Override
    public void close()
    {
        if (owned != null)
        {
            owned.close();
        }
        if (ownedMapping != null)
        {
            ownedMapping.close();
        }
    }
}
