package io.forksim.harness;

import io.forksim.mem.RawMemory;


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
 * <p>Data: {@link FloorData} (a parent and a child PTE per page, a 24-byte folio record per page with refcount at
 * +4 and mapcount at +8). PTE words use an x86 layout: present bit 0, write bit 1, accessed bit 5, PFN from bit 12
 * (offset by 1000):
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
 * compiled it, and differed between worker JVMs (timing.md, "The floor loop between JVMs"). The constant
 * segment of {@link RawMemory} has no receiver profile and a constant bounds check, so the loop has one compiled
 * shape. The segments' own checks move out of the loop: every public pass checks once that the arena is alive.
 * The folio records are addressed as the engine's memmap is, from a {@link RawMemory#bounded} base with a bounded
 * head, so that their accesses compile without the constant segment's check, as the engine's do.
 * {@link Arm64FloorLoop} is the same per-PTE loop with what arm64's Linux 6.18 adds per order-0 PTE.
 */
public final class FloorLoop implements AutoCloseable
{
    static final long W = 1L << 1;
    static final long A = 1L << 5;
    static final int SH = 12;
    /** The PFN of page 0. */
    static final long PFN0 = 1000;
    static final long FOLIO = FloorData.FOLIO;
    /**
     * The bits a page's index (its PFN - {@link #PFN0}) can have: below 2^40, far above any page count. A folio's head
     * is computed with a mask of at most these bits, so that C2 knows the folio record's address
     * {@code RawMemory.bounded(fo) + head * FOLIO} and reads it without a check (as the engine's memmap accessors,
     * {@link RawMemory#bounded}); the value is the same for every page.
     */
    static final long PAGE_INDEX_MASK = (1L << 40) - 1;

    private final FloorData data;

    private FloorLoop(final FloorData data)
    {
        this.data = data;
    }

    /** Present, writable, accessed: parent PTE {@code i} before a pass. */
    private static long writable(final long i)
    {
        return ((i + PFN0) << SH) | 1 | W | A;
    }

    /**
     * The loop's data for {@code pages} pages where {@code where} says ({@link FloorPlacement#engine} as the workers
     * time it), every byte touched; {@link #close} frees it.
     *
     * @param pages at least 1
     */
    public static FloorLoop allocate(final FloorPlacement where, final long pages)
    {
        return new FloorLoop(FloorData.allocate(where, pages, FloorLoop::writable));
    }

    public long pages()
    {
        return data.pages();
    }

    /** The loop a fork of order-{@code order} folios is compared with: per-PTE for order 0, batched otherwise. */
    public void pass(final int order)
    {
        data.requireAlive();
        if (order == 0)
        {
            perPte(data.par(), data.chi(), data.fo(), data.pages(), order);
        }
        else
        {
            batched(data.par(), data.chi(), data.fo(), data.pages(), order);
        }
    }

    /** One per-PTE pass (for JMH, which consumes the return value). */
    public long perPte(final int order)
    {
        data.requireAlive();
        return perPte(data.par(), data.chi(), data.fo(), data.pages(), order);
    }

    /** One batched pass. */
    public void batched(final int order)
    {
        data.requireAlive();
        batched(data.par(), data.chi(), data.fo(), data.pages(), order);
    }

    /** Sets every parent W bit again: the state before a pass. Not part of the floor. */
    public void restoreWritable()
    {
        for (long i = 0; i < data.pages(); i++)
        {
            data.setParentPte(i, data.parentPte(i) | W);
        }
    }

    /**
     * One per-PTE pass over {@code n} PTEs at absolute addresses. Precondition: {@code par} and {@code chi} start
     * {@code n} longs and {@code fo} {@code n} folio records of live native segments.
     */
    static long perPte(final long par, final long chi, final long fo, final long n, final int order)
    {
        final long fnm = ~((1L << order) - 1) & PAGE_INDEX_MASK;
        final long fob = RawMemory.bounded(fo);
        final long s = 0;
        for (long i = 0; i < n; i++)
        {
            long p = RawMemory.getLong(par + i * 8);
            if ((p & 1) == 0)
            {
                continue;
            }
            final long pfn = (p >>> SH) - PFN0;
            final long f = fob + (pfn & fnm) * FOLIO;
            RawMemory.setInt(f + FloorData.REFCOUNT, RawMemory.getInt(f + FloorData.REFCOUNT) + 1);
            RawMemory.setInt(f + FloorData.MAPCOUNT, RawMemory.getInt(f + FloorData.MAPCOUNT) + 1);
            if ((p & W) != 0)
            {
                p &= ~W;
                RawMemory.setLong(par + i * 8, p);
            }
            RawMemory.setLong(chi + i * 8, p & ~A);
        }
        return s;
    }

    /**
     * One batched pass; the precondition of {@link #perPte(long, long, long, long, int)}. Per batch (a run of
     * present entries of consecutive PFNs inside one folio), as {@code climit.c}'s batched loop (whose entries are all
     * present): a scan that reads each entry and compares it with the expected next one, one refcount and one
     * mapcount update for the batch, then a pass that stores the write-protected parent and child entries. Both inner
     * loops run over an int byte offset from the batch's first entry up to a bound tested with {@code !=} (stride 8),
     * their accesses at {@link RawMemory#at} with no bounds check (as the engine's loops), and C2 does not make them
     * counted loops: a counted loop is split into pre-, main- and post-loops (range check elimination, unrolling), a
     * fixed cost per entry into the loop that a batch of 16 pays once per 16 pages (with counted {@code for} loops over an index
     * this pass took 3.2 ns/page at order 4 against 1.8 per-PTE; timing.md, "The batched floor at order 4").
     */
    static void batched(final long par, final long chi, final long fo, final long n, final int order)
    {
        final long fn = 1L << order;
        final long fnm = ~(fn - 1) & PAGE_INDEX_MASK;
        final long fob = RawMemory.bounded(fo);
        for (long i = 0; i < n; )
        {
            final long first = par + i * 8;
            final long p = RawMemory.getLong(RawMemory.at(first, 0));   // the base the batch's loops use: no check
            if ((p & 1) == 0)
            {
                i++;   // not present: nothing to copy (as perPte)
                continue;
            }
            final long pfn = (p >>> SH) - PFN0;
            final long head = pfn & fnm;
            // the batch ends at the folio's end or at the last entry, whichever comes first
            final int bound = (int)Math.min(n - i, head + fn - pfn) << 3;
            int end = 8;
            long exp = p + (1L << SH);
            while (end != bound && RawMemory.getLong(RawMemory.at(first, end)) == exp)
            {
                end += 8;
                exp += 1L << SH;
            }
            final long nr = end >>> 3;
            final long f = fob + head * FOLIO;
            RawMemory.setInt(f + FloorData.REFCOUNT, RawMemory.getInt(f + FloorData.REFCOUNT) + (int)nr);
            RawMemory.setInt(f + FloorData.MAPCOUNT, RawMemory.getInt(f + FloorData.MAPCOUNT) + (int)nr);
            final long child = chi + i * 8;
            long q = p & ~W;
            for (int o = 0; o != end; o += 8)
            {
                RawMemory.setLong(RawMemory.at(first, o), q);
                RawMemory.setLong(RawMemory.at(child, o), q & ~A);
                q += 1L << SH;
            }
            i += nr;
        }
    }

    /** Test access: the loop's data (its entries and folio records). */
    FloorData data()
    {
        return data;
    }

    @Override
    public void close()
    {
        data.close();
    }
}
