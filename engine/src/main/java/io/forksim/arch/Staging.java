package io.forksim.arch;

import io.forksim.mem.ClearPage;
import io.forksim.mem.RawMemory;

import java.lang.foreign.MemorySegment;

/**
 * The bulk paths under the table accessors of {@link Arch} and {@link Contpte}: batches of at least
 * {@link #STAGED_MIN_NR} entries are written through a per-thread staging array (one bulk
 * {@code MemorySegment.copy} in, a loop over a plain {@code long[]}, one bulk copy out); smaller ones loop over
 * the segment. None of these methods counts anything: the accessor that calls one counts the kernel's accesses.
 */
public final class Staging
{
    /**
     * Batches of at least this many entries go through the staging array: a loop over an array compiles to
     * unrolled, check-free code in any context, between one bulk copy in and one out. Smaller ones loop over the
     * table itself, its range checked once and each entry at {@link io.forksim.mem.RawMemory#at} (no check per
     * entry, not unrolled); below this size the thread-local lookup and the two copies cost more than they save.
     * The commits that set it (measured per order, when the table accesses also carried an FFM liveness check and a
     * bounds check per entry) carry the numbers.
     */
    public static final int STAGED_MIN_NR = 64;
    private static final ThreadLocal<long[]> STAGING = ThreadLocal.withInitial(() -> new long[Arch.PTRS_PER_TABLE]);

    private Staging()
    {
    }

    /** This thread's staging array: {@link Arch#PTRS_PER_TABLE} entries, contents undefined. */
    static long[] staging()
    {
        return STAGING.get();
    }

    /** Bulk load of entries {@code idx..idx+nr-1} into {@code buf[0..nr-1]}. Precondition: the range is inside the table. */
    static void loadRawRange(final MemorySegment t, final long base, final int idx, final long[] buf, final int nr)
    {
        MemorySegment.copy(t, Arch.PTE, base + ((long)idx << 3), buf, 0, nr);
    }

    /** Bulk store of {@code buf[0..nr-1]} to entries {@code idx..idx+nr-1}. Precondition: the range is inside the table. */
    static void storeRawRange(final MemorySegment t, final long base, final int idx, final long[] buf, final int nr)
    {
        MemorySegment.copy(buf, 0, t, Arch.PTE, base + ((long)idx << 3), nr);
    }

    /**
     * Stores {@code first + i * step} to entry {@code idx + i} for i in 0..nr-1 (the entries of one folio,
     * advancing the PFN). Staged when {@code nr >= }{@link #STAGED_MIN_NR}; otherwise the range is checked once and
     * the entries are written at {@link RawMemory#at} of its address, with no check per entry.
     * Precondition: {@code nr >= 0}; the range is inside the table (a live native segment); the last value is a
     * valid entry.
     */
    static void storeRawRamp(final MemorySegment t, final long base, final int idx, final long first,
        final long step, final int nr)
    {
        if (nr >= STAGED_MIN_NR)
        {
            final long[] buf = staging();
            for (int i = 0; i < nr; i++)
            {
                buf[i] = first + i * step;
            }
            storeRawRange(t, base, idx, buf, nr);
            return;
        }
        // the range checked once, then an int byte offset to a != bound: no check per entry, no counted loop
        final long a = Arch.rangeAddress(t, base, idx, nr);
        final int bytes = nr << 3;
        long p = first;
        for (int o = 0; o != bytes; o += 8)
        {
            RawMemory.setLong(RawMemory.at(a, o), p);
            p += step;
        }
    }

    /** Zeroes entries {@code idx..idx+nr-1}; big ranges are one copy from the zero page. Precondition: the range is inside the table. */
    static void clearRaw(final MemorySegment t, final long base, final int idx, final int nr)
    {
        if (nr >= STAGED_MIN_NR)
        {
            ClearPage.clear(t, base + ((long)idx << 3), (long)nr << 3);
            return;
        }
        for (int i = 0; i < nr; i++)
        {
            Arch.storeRaw(t, base, idx + i, 0L);
        }
    }

    /**
     * Zeroes entries {@code idx..idx+nr-1} and returns the first old entry made dirty if any was dirty and young
     * if any was young ({@code get_and_clear_full_ptes}' merge; both are idempotent bit sets, so one merge per
     * kind equals one per entry), with {@code arch}'s bit helpers. Staged when {@code nr >= }{@link #STAGED_MIN_NR}.
     * Precondition: nr &gt;= 1; the range is inside the table.
     */
    static long getAndClearRaw(final Arch arch, final MemorySegment t, final long base, final int idx, final int nr)
    {
        final long first;
        boolean dirty = false;
        boolean young = false;
        if (nr >= STAGED_MIN_NR)
        {
            final long[] buf = staging();
            loadRawRange(t, base, idx, buf, nr);
            clearRaw(t, base, idx, nr);
            first = buf[0];
            for (int i = 1; i < nr; i++)
            {
                dirty |= arch.pteDirty(buf[i]);
                young |= arch.pteYoung(buf[i]);
            }
        }
        else
        {
            first = Arch.loadRaw(t, base, idx);
            Arch.storeRaw(t, base, idx, 0L);
            for (int i = 1; i < nr; i++)
            {
                final long p = Arch.loadRaw(t, base, idx + i);
                Arch.storeRaw(t, base, idx + i, 0L);
                dirty |= arch.pteDirty(p);
                young |= arch.pteYoung(p);
            }
        }
        final long d = dirty ? arch.pteMkdirty(first) : first;
        return young ? arch.pteMkyoung(d) : d;
    }

    /**
     * Replaces entries {@code idx..idx+nr-1} with {@code arch.pteWrprotect} of themselves. Staged when
     * {@code nr >= }{@link #STAGED_MIN_NR}; otherwise the range is checked once and the entries are read and written
     * at {@link RawMemory#at} of its address. Precondition: {@code nr >= 0}; the range is inside the table (a live
     * native segment).
     *
     * <p>Compiled alone, never inlined (the JVM flags' {@code CompileCommand=dontinline}, as {@link
     * Contpte#contpteSetPtes}): inside the fork's big {@code copyPresentPtes} its 16-entry loop of an arm64 order-4
     * batch got a register allocation that differed between JVMs, values spilled inside the loop in some, and arm64
     * order-4 folio-batch forked about 8% slower in those. One call per batch.
     */
    static void wrprotectRaw(final Arch arch, final MemorySegment t, final long base, final int idx, final int nr)
    {
        if (nr >= STAGED_MIN_NR)
        {
            final long[] buf = staging();
            loadRawRange(t, base, idx, buf, nr);
            for (int i = 0; i < nr; i++)
            {
                buf[i] = arch.pteWrprotect(buf[i]);
            }
            storeRawRange(t, base, idx, buf, nr);
            return;
        }
        // the range checked once, then an int byte offset to a != bound (as storeRawRamp)
        final long a = Arch.rangeAddress(t, base, idx, nr);
        final int bytes = nr << 3;
        for (int o = 0; o != bytes; o += 8)
        {
            final long e = RawMemory.at(a, o);
            RawMemory.setLong(e, arch.pteWrprotect(RawMemory.getLong(e)));
        }
    }

    /**
     * The number of leading entries of {@code idx..idx+limit-1} that equal {@code first + i * step} exactly, read
     * through the staging array in chunks of {@link #STAGED_MIN_NR} entries, so a run that ends early wastes at
     * most one chunk. Precondition: the range is inside the table.
     */
    static int countRawRamp(final MemorySegment t, final long base, final int idx, final long first,
        final long step, final int limit)
    {
        final long[] buf = staging();
        long expect = first;
        int done = 0;
        while (done < limit)
        {
            final int n = Math.min(STAGED_MIN_NR, limit - done);
            loadRawRange(t, base, idx + done, buf, n);
            for (int i = 0; i < n; i++)
            {
                if (buf[i] != expect)
                {
                    return done + i;
                }
                expect += step;
            }
            done += n;
        }
        return done;
    }

    /**
     * One chunk of the one-pass large-folio copy ({@code fork/FusedPteBatch}): loads source entries
     * {@code idx..idx+n-1} with one bulk copy, counts the leading ones equal to {@code raw + i * step}, and for those
     * {@code m} entries stores {@code parent + i * step} back to the source (only if {@code wp}) and
     * {@code child + i * step} to the same slots of the destination, each with one bulk copy. Counts nothing.
     * Precondition: {@code 1 <= n <= }{@link Arch#PTRS_PER_TABLE}; the range is inside both tables; the three ramps
     * stay inside one folio (the PFN field never carries into the flags).
     *
     * @return {@code m}, the entries that matched (and were written)
     */
    public static int copyRampChunk(final MemorySegment st, final long sb, final MemorySegment dt, final long db,
        final int idx, final int n, final long raw, final long step, final boolean wp, final long parent,
        final long child)
    {
        final long[] buf = staging();
        loadRawRange(st, sb, idx, buf, n);
        int m = 0;
        long expect = raw;
        while (m < n && buf[m] == expect)
        {
            m++;
            expect += step;
        }
        if (wp)
        {
            for (int i = 0; i < m; i++)
            {
                buf[i] = parent + i * step;
            }
            storeRawRange(st, sb, idx, buf, m);
        }
        for (int i = 0; i < m; i++)
        {
            buf[i] = child + i * step;
        }
        storeRawRange(dt, db, idx, buf, m);
        return m;
    }
}
