package io.forksim.mem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The host's bandwidth for the memory pattern of an anonymous-memory fork, measured by a short FFM loop in this JVM:
 * the floor under which no fork of the same size can go on this host.
 *
 * <p><b>What a fork touches</b> (per 4 KiB page of the parent's memory, order-{@code o} folios, one folio =
 * {@code 2^o} pages):
 * <pre>
 *   parent PTE      8 B   read, write-protect bit cleared, written back  (copy_present_ptes / wrprotect_ptes)
 *   child PTE       8 B   written                                        (set_ptes)
 *   AnonExclusive   1 B   read                                           (PageAnonExclusive, one byte per page)
 *   folio record   16 B / 2^o   read-modify-written (refcount, mapcount) (folio_try_dup_anon_rmap_ptes, folio_ref_add)
 * </pre>
 * so 33 B per page at order 0 and about 17 B per page at order 9 ({@link #bytesPerPage}); the upper-level tables add
 * one entry per 512 pages and are left out.
 *
 * <p><b>The loop</b> ({@link #measure}) does exactly that over arrays of its own: a source array of PTE words (read,
 * modified, written back), a destination array (written), a byte map (read) and a record array (two ints
 * incremented per folio), walking them in step like the fork walks a PTE table and its folios. The arrays are
 * {@code min(pages, maxPages)} entries long, mapped like the engine's arenas (huge pages or not) and committed before
 * the timed rounds (after at least {@value #WARMUP_CALLS} calls and one second of calls over the first 16,384 pages,
 * so that the JIT's C2 code runs the timed rounds); the best round, in this thread's CPU time like the scale run's
 * forks, is the floor.
 */
public final class CopyBandwidth
{
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** The bit the loop clears (x86's _PAGE_RW). */
    private static final long RW = 1L << 1;
    private static final long RECORD_BYTES = 16;
    private static final int WARMUP_CALLS = 200;
    /** The warm-up's minimum wall-clock time, so that the JIT's background compilation of the loop has finished. */
    private static final long WARMUP_NANOS = 1_000_000_000L;
    /** Written with each measurement's result, so that the JIT cannot drop the loads. */
    private static volatile long blackhole;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * A measured floor.
     *
     * @param pages          pages the loop walked per round
     * @param bytesPerPage   bytes touched per page ({@link #bytesPerPage})
     * @param nsPerPage      best round's CPU time per page
     * @param bytesPerSecond bytes touched per second in the best round
     */
    public record Floor(long pages, double bytesPerPage, double nsPerPage, double bytesPerSecond)
    {
    }

    private CopyBandwidth()
    {
    }

    /**
     * Bytes a fork touches per page of order-{@code order} folios (see the class comment).
     *
     * @throws IllegalArgumentException if {@code order} is not 0..10
     */
    public static double bytesPerPage(final int order)
    {
        if (order < 0 || order > 10)
        {
            throw new IllegalArgumentException("folio order " + order + " (must be 0..10)");
        }
        return 8 + 8 + 1 + (double)RECORD_BYTES / (1L << order);
    }

    /**
     * Measures the floor for a fork of {@code pages} pages of order-{@code order} folios.
     *
     * @param maxPages  cap on the arrays' length in pages (their size is about {@code 17..33 B * min(pages, maxPages)})
     * @param hugePages map the arrays as {@link OffHeapArena} does with huge pages
     * @param rounds    timed rounds, &gt;= 1 (one untimed round warms the loop up first)
     * @throws IllegalArgumentException naming the value if {@code pages} or {@code maxPages} is smaller than one folio,
     *         {@code order} is not 0..10 or {@code rounds} &lt; 1
     */
    public static Floor measure(final long pages, final int order, final long maxPages, final boolean hugePages,
        final int rounds)
    {
        final double perPage = bytesPerPage(order);
        final long folio = 1L << order;
        if (pages < folio || maxPages < folio || rounds < 1)
        {
            throw new IllegalArgumentException("bandwidth floor of " + pages + " pages (cap " + maxPages + ", order " + order
                + ", " + rounds + " rounds): needs at least one folio and one round");
        }
        final long n = Math.min(pages, maxPages) / folio * folio;
        try (OffHeapArena a = new OffHeapArena(hugePages))
        {
            final MemorySegment src = a.allocateZeroed(n * 8, "the bandwidth floor's source PTEs");
            final MemorySegment dst = a.allocateZeroed(n * 8, "the bandwidth floor's child PTEs");
            final MemorySegment ae = a.allocateZeroed(n, "the bandwidth floor's AnonExclusive map");
            final MemorySegment rec = a.allocateZeroed(n / folio * RECORD_BYTES, "the bandwidth floor's records");
            OffHeapArena.commit(src, 0, src.byteSize());
            OffHeapArena.commit(dst, 0, dst.byteSize());
            OffHeapArena.commit(ae, 0, ae.byteSize());
            OffHeapArena.commit(rec, 0, rec.byteSize());
            long sink = 0;
            final long warm = Math.min(n, 1L << 14) / folio * folio;
            // C2 compiles walk() in the background while the warm-up runs: without a wall-clock minimum the timed rounds
            // could start in the profiled C1 code (the floor then came out at 1.9 or 6.4 ns/page instead of 0.66)
            final long warmUntil = System.nanoTime() + WARMUP_NANOS;
            for (int r = 0; r < WARMUP_CALLS || System.nanoTime() < warmUntil; r++)
            {
                fill(src, warm);
                sink += walk(src, dst, ae, rec, warm, order);
            }
            long best = Long.MAX_VALUE;
            for (int r = 0; r < rounds; r++)
            {
                fill(src, n);
                final long t0 = cpuTime();
                sink += walk(src, dst, ae, rec, n, order);
                best = Math.min(best, cpuTime() - t0);
            }
            blackhole = sink;   // keeps the loop's result alive
            final double ns = (double)best / n;
            return new Floor(n, perPage, ns, perPage / ns * 1e9);
        }
    }

    /** This thread's CPU time in ns (as the scale run times its forks), or wall time where the JVM cannot tell. */
    private static long cpuTime()
    {
        final long t = THREADS.getCurrentThreadCpuTime();
        return t < 0 ? System.nanoTime() : t;
    }

    /** Writable PTE words with the RW bit set, so that each round clears it again. */
    private static void fill(final MemorySegment src, final long n)
    {
        for (long i = 0; i < n; i++)
        {
            src.set(LONG, i * 8, (i << 12) | RW | 1);
        }
    }

    /** The fork's pattern: per folio one record updated; per page a PTE read-modify-written and copied, a byte read. */
    private static long walk(final MemorySegment src, final MemorySegment dst, final MemorySegment ae,
        final MemorySegment rec, final long n, final int order)
    {
        long anyExclusive = 0;
        if (order == 0)   // one folio per page: a flat loop (the nested one measured 9 ns/page against 1.8, 4M pages, load 20)
        {
            for (long i = 0; i < n; i++)
            {
                final long r = i * RECORD_BYTES;
                rec.set(INT, r + 4, rec.get(INT, r + 4) + 1);
                rec.set(INT, r + 8, rec.get(INT, r + 8) + 1);
                final long pte = src.get(LONG, i * 8) & ~RW;
                src.set(LONG, i * 8, pte);
                dst.set(LONG, i * 8, pte);
                anyExclusive |= ae.get(BYTE, i);
            }
            return anyExclusive;
        }
        final long folio = 1L << order;
        for (long f = 0; f < n; f += folio)
        {
            final long r = (f >>> order) * RECORD_BYTES;
            rec.set(INT, r + 4, rec.get(INT, r + 4) + (int)folio);
            rec.set(INT, r + 8, rec.get(INT, r + 8) + (int)folio);
            for (long i = f; i < f + folio; i++)
            {
                final long pte = src.get(LONG, i * 8) & ~RW;
                src.set(LONG, i * 8, pte);
                dst.set(LONG, i * 8, pte);
                anyExclusive |= ae.get(BYTE, i);
            }
        }
        return anyExclusive;
    }
}
