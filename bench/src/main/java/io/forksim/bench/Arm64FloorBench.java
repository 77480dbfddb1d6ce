package io.forksim.bench;

import io.forksim.harness.FloorLoop;
import io.forksim.pte.Arm64Pte;
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
 * What arm64's order-0 fork PTE copy must do beyond the per-PTE floor ({@link FloorLoop}), as kernel work and not as
 * simulator overhead: the per-PTE floor loop with the arm64 steps of Linux 6.18 added, over the same data layout
 * (a parent and a child PTE per page, a 24-byte folio record with refcount at +4 and mapcount at +8).
 * {@code work}:
 * <ul>
 *   <li>{@code floor}: {@link FloorLoop#perPte} itself (x86 bits: write-protect clears one bit).</li>
 *   <li>{@code arm64-bits}: the same steps on arm64 entries: {@code pte_wrprotect} moves hardware dirty
 *       (DBM and not RDONLY) to the software DIRTY bit and sets RDONLY, {@code pte_mkold} clears AF.</li>
 *   <li>{@code arm64-6.18}: arm64-bits plus the per-PTE steps of the 6.18 wrappers for an order-0 page:
 *       {@code ptep_get}'s {@code pte_valid_cont} test; {@code wrprotect_ptes(nr = 1)}'s own {@code __ptep_get} of the
 *       entry and its {@code pte_cont} test; {@code set_ptes(nr = 1)}'s {@code __ptep_get} probe of the child entry
 *       and its {@code pte_valid_cont} test ({@code contpte_try_unfold}); {@code contpte_try_fold}'s filter (VA and
 *       PFN last of a block, valid, not CONT, not special) and, for the PTEs that pass it, the folio-size read of
 *       {@code __contpte_try_fold} (a load of the page's record).</li>
 * </ul>
 * The difference between {@code arm64-6.18} and {@code floor} is the part of arm64's gap to the floor that a
 * faithful model must keep. SingleShotTime: one op is a pass over 1 GiB; the parent's write bits are restored
 * outside the measurement, as {@link LoopBaseline} does.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 50)
@Measurement(iterations = 100)
@Fork(2)
@State(Scope.Thread)
public class Arm64FloorBench
{
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final long FOLIO = 24;
    /** First PFN: block-aligned, so that VA and PFN are last of a block on the same PTEs (one in 16), as in a parent populated in order. */
    private static final long PFN_BASE = 1024;
    private static final long VALID_CONT = Arm64Pte.VALID | Arm64Pte.CONT;
    private static final int CONT_MASK = Arm64Pte.CONT_PTES - 1;

    @Param({"floor", "arm64-bits", "arm64-6.18"})
    public String work;

    @Param({"1G"})
    public String size;

    private Arena arena;
    private FloorLoop floor;
    private MemorySegment par;
    private MemorySegment chi;
    private MemorySegment fo;
    private long pages;
    private long writable;

    @Setup(Level.Trial)
    public void setUp()
    {
        pages = BenchSupport.pages(BenchSupport.parseSize(size));
        arena = Arena.ofConfined();
        if (work.equals("floor"))
        {
            floor = FloorLoop.allocate(arena, pages, false);
            return;
        }
        if (!work.equals("arm64-bits") && !work.equals("arm64-6.18"))
        {
            throw new IllegalArgumentException("work must be floor, arm64-bits or arm64-6.18, not " + work);
        }
        // an anon page of a private writable mapping after its first write: valid, young, writable, hardware dirty
        writable = Arm64Pte.pteMkdirty(Arm64Pte.pteMkyoung(Arm64Pte.pteMkwrite(
            Arm64Pte.pfnPte(0, Arm64Pte.vmGetPageProt(true, true, false, false)))));
        par = arena.allocate(pages * 8, 4096);
        chi = arena.allocate(pages * 8, 4096);
        fo = arena.allocate(pages * FOLIO, 4096);
        for (long i = 0; i < pages; i++)
        {
            par.setAtIndex(L, i, writable + ((i + PFN_BASE) << Arm64Pte.PAGE_SHIFT));
            chi.setAtIndex(L, i, 0);
            fo.set(I, i * FOLIO + 4, 1);
        }
    }

    /**
     * Sets the parent's entries back to writable: the state before a pass. Not timed. The child's entries stay as the
     * last pass left them (valid, not CONT: the probe's test passes the same way), as {@link FloorLoop#restoreWritable}
     * leaves its child, so that both loops find their data equally cold.
     */
    @TearDown(Level.Invocation)
    public void restore()
    {
        if (floor != null)
        {
            floor.restoreWritable();
            return;
        }
        for (long i = 0; i < pages; i++)
        {
            par.setAtIndex(L, i, writable + ((i + PFN_BASE) << Arm64Pte.PAGE_SHIFT));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    @Benchmark
    public long perPte()
    {
        return switch (work)
        {
            case "floor" -> floor.perPte(0);
            case "arm64-bits" -> arm64Bits(par, chi, fo, pages);
            default -> arm64Kernel(par, chi, fo, pages);
        };
    }

    /** The floor's steps on arm64 entries. */
    static long arm64Bits(final MemorySegment par, final MemorySegment chi, final MemorySegment fo, final long n)
    {
        for (long i = 0; i < n; i++)
        {
            long p = par.getAtIndex(L, i);
            if ((p & Arm64Pte.VALID) == 0)
            {
                continue;
            }
            final long f = (Arm64Pte.ptePfn(p) - PFN_BASE) * FOLIO;
            fo.set(I, f + 4, fo.get(I, f + 4) + 1);
            fo.set(I, f + 8, fo.get(I, f + 8) + 1);
            if (Arm64Pte.pteWrite(p))
            {
                p = Arm64Pte.pteWrprotect(p);
                par.setAtIndex(L, i, p);
            }
            chi.setAtIndex(L, i, Arm64Pte.pteMkold(p));
        }
        return 0;
    }

    /** {@link #arm64Bits} plus the per-PTE steps of the 6.18 wrappers (see the class comment); returns the fold-check count. */
    static long arm64Kernel(final MemorySegment par, final MemorySegment chi, final MemorySegment fo, final long n)
    {
        long foldChecks = 0;
        for (long i = 0; i < n; i++)
        {
            long p = par.getAtIndex(L, i);
            if ((p & Arm64Pte.VALID) == 0)
            {
                continue;
            }
            if ((p & VALID_CONT) == VALID_CONT)
            {
                throw new IllegalStateException("a CONT entry in an order-0 parent at " + i);   // ptep_get's gather
            }
            final long pfn = Arm64Pte.ptePfn(p);
            final long f = (pfn - PFN_BASE) * FOLIO;
            fo.set(I, f + 4, fo.get(I, f + 4) + 1);
            fo.set(I, f + 8, fo.get(I, f + 8) + 1);
            if (Arm64Pte.pteWrite(p))
            {
                final long orig = par.getAtIndex(L, i);   // wrprotect_ptes(nr = 1): its own __ptep_get
                if (Arm64Pte.pteCont(orig))
                {
                    throw new IllegalStateException("a CONT entry in an order-0 parent at " + i);
                }
                p = Arm64Pte.pteWrprotect(orig);
                par.setAtIndex(L, i, p);
            }
            final long child = Arm64Pte.pteMkold(p);
            if ((chi.getAtIndex(L, i) & VALID_CONT) == VALID_CONT)   // set_ptes(nr = 1): contpte_try_unfold's probe
            {
                throw new IllegalStateException("a CONT entry in the child table at " + i);
            }
            chi.setAtIndex(L, i, child);
            if ((i & CONT_MASK) == CONT_MASK && (pfn & CONT_MASK) == CONT_MASK
                && (child & (VALID_CONT | Arm64Pte.SPECIAL)) == Arm64Pte.VALID)
            {
                // contpte_try_fold passed its filter: __contpte_try_fold reads the folio's size and returns
                foldChecks += fo.get(I, f);
            }
        }
        return foldChecks;
    }
}
