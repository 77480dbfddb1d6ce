package io.forksim.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The FFM floor: the least work of a fork PTE copy, as a flat loop over FFM segments in a JMH benchmark, so
 * that forksim's ns per page sits next to the least a fork PTE copy can cost in Java, in the same run on the
 * same machine.
 *
 * <p>Per page: read the parent PTE, write it back write-protected, write the child PTE (old,
 * write-protected), bump the folio's refcount and mapcount; {@code perPte} once per page,
 * {@code batched} once per folio run. No page-table walk, VMA, AnonExclusive or events: the distance
 * to ForkBench is what the engine's model costs on top.
 *
 * <p>Like fork, the loop is not steady-state (it clears the parent's write bits): a per-invocation
 * teardown sets them again, outside the measurement.
 * SingleShotTime like {@link ForkBench}: one op is a pass over 1 GiB (262,144 PTEs).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 50)
@Measurement(iterations = 100)
@Fork(2)
@State(Scope.Thread)
public class LoopBaseline
{
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    static final long W = 1L << 1;
    static final long A = 1L << 5;
    static final int SH = 12;
    static final long FOLIO = 24;

    @Param({"0", "9"})
    public int order;

    @Param({"1G"})
    public String size;

    /**
     * The arena the three segments come from: {@code confined} (the default), or {@code shared} as the engine's
     * MemMap and TableStore use (a shared session's liveness check cannot be proven loop-invariant as easily),
     * or {@code global}. Comparing them shows what the engine's arena choice costs on the same loop.
     */
    @Param({"confined"})
    public String arena;

    /** The arena to close after the trial (null for the global arena, which never closes). */
    private Arena owned;
    private MemorySegment par;
    private MemorySegment chi;
    private MemorySegment fo;
    private long n;

    @Setup(Level.Trial)
    public void setUp()
    {
        n = BenchSupport.pages(BenchSupport.parseSize(size));
        final Arena a = switch (this.arena)
        {
            case "confined" -> Arena.ofConfined();
            case "shared" -> Arena.ofShared();
            case "global" -> Arena.global();
            default -> throw new IllegalArgumentException("arena must be confined, shared or global, not " + this.arena);
        };
        owned = this.arena.equals("global") ? null : a;
        par = a.allocate(n * 8, 4096);
        chi = a.allocate(n * 8, 4096);
        fo = a.allocate(n * FOLIO, 4096);
        for (long i = 0; i < n; i++)
        {
            par.setAtIndex(L, i, ((i + 1000) << SH) | 1 | W | A);
            fo.set(I, i * FOLIO + 4, 1);
        }
    }

    @TearDown(Level.Invocation)
    public void restoreWritable()
    {
        for (long i = 0; i < n; i++)
        {
            par.setAtIndex(L, i, par.getAtIndex(L, i) | W);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (owned != null)
        {
            owned.close();
        }
    }

    @Benchmark
    public long perPte()
    {
        return perPte(par, chi, fo, n, order);
    }

    @Benchmark
    public void batched()
    {
        batched(par, chi, fo, n, order);
    }

    static long perPte(final MemorySegment par, final MemorySegment chi, final MemorySegment fo, final long n, final int order)
    {
        final long fnm = ~((1L << order) - 1);
        final long s = 0;
        for (long i = 0; i < n; i++)
        {
            long p = par.getAtIndex(L, i);
            if ((p & 1) == 0)
            {
                continue;
            }
            final long pfn = (p >>> SH) - 1000;
            final long f = (pfn & fnm) * FOLIO;
            fo.set(I, f + 4, fo.get(I, f + 4) + 1);
            fo.set(I, f + 8, fo.get(I, f + 8) + 1);
            if ((p & W) != 0)
            {
                p &= ~W;
                par.setAtIndex(L, i, p);
            }
            chi.setAtIndex(L, i, p & ~A);
        }
        return s;
    }

    static void batched(final MemorySegment par, final MemorySegment chi, final MemorySegment fo, final long n, final int order)
    {
        final long fn = 1L << order;
        for (long i = 0; i < n; )
        {
            final long p = par.getAtIndex(L, i);
            final long pfn = (p >>> SH) - 1000;
            final long head = pfn & ~(fn - 1);
            long nr = 1;
            long exp = p + (1L << SH);
            while (i + nr < n && head + fn > pfn + nr && par.getAtIndex(L, i + nr) == exp)
            {
                nr++;
                exp += 1L << SH;
            }
            final long f = head * FOLIO;
            fo.set(I, f + 4, fo.get(I, f + 4) + (int)nr);
            fo.set(I, f + 8, fo.get(I, f + 8) + (int)nr);
            for (long j = 0; j < nr; j++)
            {
                final long q = (p + (j << SH)) & ~W;
                par.setAtIndex(L, i + j, q);
                chi.setAtIndex(L, i + j, q & ~A);
            }
            i += nr;
        }
    }
}
