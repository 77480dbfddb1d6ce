package io.forksim.bench;

import io.forksim.arch.Arch;
import io.forksim.mm.FolioPteBatch;
import io.forksim.harness.PopulatedParent;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.pgtable.PageTables;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code folio_pte_batch} alone: one op scans every PTE table of a freshly populated {@code size} mapping the
 * way fork's copy loop does (read the entry, one batch per folio run, skip the batch), without copying.
 * The tables are only read, so the state is steady and plain {@code AverageTime} applies.
 *
 * <p>{@code arch=x86_64}: {@code pte_batch_hint} is the constant 1 (hint off), every entry is read.
 * {@code arch=arm64}: folios of order &gt;= 4 are mapped as contpte blocks, the hint skips to the block end
 * (hint on) and each read of a CONT entry gathers young/dirty over its block.
 *
 * <h2>Is the Arch-dispatched hot loop monomorphic and constant-folded? (issue 4)</h2>
 * {@code dispatch} picks the implementation scanned:
 * <ul>
 *   <li>{@code specialised}: a hand-specialised copy of {@link FolioPteBatch#folioPteBatch} per arch below:
 *       static {@link X86Pte}/{@link Arm64Pte} helpers, the hint written out (constant 1 on x86), the fork's
 *       flags folded by hand, raw loads; no {@code Arch} object anywhere. This is the reference.</li>
 *   <li>{@code arch}: the engine's {@code FolioPteBatch.folioPteBatch(arch, ...)} with {@code arch.ptepGetNoAcct}
 *       for the first read, as {@code CopyPteRange} does. In a JVM that only ever sees one {@code Arch}
 *       subclass, C2 inlines the virtual calls through the monomorphic profile and folds the generic hint
 *       away: then {@code arch} ≈ {@code specialised}.</li>
 *   <li>{@code arch-polluted}: the same, after the trial setup ran the scan on a machine of the other arch
 *       too, so every call site inside {@code folioPteBatch} has a bimorphic profile (what a JVM simulating
 *       both arches in one process would get). The gap to {@code arch} is the price of a polluted profile.</li>
 * </ul>
 * The report prints each row as ns per PTE with the ratio to {@code specialised}. Both scans do identical
 * work, including the event counts ({@code ptepGet}, {@code pteLoad}, gathers).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Thread)
public class PteBatchBench
{
    /** fork's flags for a private mapping: merge the write bit, respect dirty ({@code CopyContext.fpbFlags}). */
    static final int FLAGS = FolioPteBatch.FPB_MERGE_WRITE | FolioPteBatch.FPB_RESPECT_DIRTY;
    private static final ValueLayout.OfLong PTE = ValueLayout.JAVA_LONG;
    private static final int ENTRIES = 512;
    private static final long ANY_WRITABLE = 1L << 32;

    @Param({"x86_64", "arm64"})
    public String arch;

    @Param({"0", "4", "9"})
    public int order;

    @Param({"specialised", "arch", "arch-polluted"})
    public String dispatch;

    @Param({"16M"})
    public String size;

    private Machine machine;
    private Arch archObj;
    private Events ev;
    private MemorySegment[] segs;
    private long[] bases;
    private boolean x86;
    private boolean specialised;

    @Setup(Level.Trial)
    public void setUp()
    {
        final long bytes = BenchSupport.parseSize(size);
        specialised = dispatch.equals("specialised");
        if (!specialised && !dispatch.equals("arch") && !dispatch.equals("arch-polluted"))
        {
            throw new IllegalArgumentException("dispatch must be specialised, arch or arch-polluted, not " + dispatch);
        }
        x86 = arch.equals("x86_64");
        machine = new Machine(BenchSupport.machineConfig(arch, false, BenchSupport.ramFor(bytes, 0)));
        archObj = machine.arch();
        ev = machine.events();
        final Mm mm = PopulatedParent.populate(machine, bytes, order);
        final List<Long> tables = new ArrayList<>();
        final PageTables pt = machine.pageTables();
        pt.forEachPteTable(mm.pgd(), BenchSupport.VA, BenchSupport.VA + bytes, (table, va) -> tables.add(table));
        segs = new MemorySegment[tables.size()];
        bases = new long[tables.size()];
        for (int i = 0; i < segs.length; i++)
        {
            segs[i] = pt.segment(tables.get(i));
            bases[i] = pt.base(tables.get(i));
        }
        if (dispatch.equals("arch-polluted"))
        {
            pollute(x86 ? "arm64" : "x86_64", bytes);
        }
    }

    /** Runs the dispatched scan over a machine of {@code otherArch} until C1 has profiled it, then drops the machine. */
    private void pollute(final String otherArch, final long bytes)
    {
        try (Machine other = new Machine(BenchSupport.machineConfig(otherArch, false, BenchSupport.ramFor(bytes, 0))))
        {
            final Mm mm = PopulatedParent.populate(other, bytes, order);
            final PageTables pt = other.pageTables();
            final List<Long> tables = new ArrayList<>();
            pt.forEachPteTable(mm.pgd(), BenchSupport.VA, BenchSupport.VA + bytes, (table, va) -> tables.add(table));
            final MemorySegment[] s = new MemorySegment[tables.size()];
            final long[] b = new long[tables.size()];
            for (int i = 0; i < s.length; i++)
            {
                s[i] = pt.segment(tables.get(i));
                b[i] = pt.base(tables.get(i));
            }
            long sink = 0;
            final long deadline = System.nanoTime() + 500_000_000L;
            for (int k = 0; k < 2000 || System.nanoTime() < deadline; k++)
            {
                sink += scanDispatched(other.arch(), other.events(), s, b, order);
                sink += scanDispatched(archObj, ev, segs, bases, order);
            }
            if (sink == 42)
            {
                System.out.print("");
            }
        }
    }

    /** The events the scans count into (tests compare them). */
    Events events()
    {
        return ev;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        machine.close();
    }

    @Benchmark
    public long scan()
    {
        if (specialised)
        {
            return x86 ? scanX86(ev, segs, bases, order) : scanArm64(ev, segs, bases, order);
        }
        return scanDispatched(archObj, ev, segs, bases, order);
    }

    // ------------------------------------------------------------------ the engine, Arch-dispatched

    static long scanDispatched(final Arch arch, final Events ev, final MemorySegment[] segs, final long[] bases, final int order)
    {
        long acc = 0;
        long reads = 0;
        final long folioPages = 1L << order;
        for (int t = 0; t < segs.length; t++)
        {
            final MemorySegment seg = segs[t];
            final long base = bases[t];
            int i = 0;
            while (i < ENTRIES)
            {
                final long pte = arch.ptepGetNoAcct(ev, seg, base, i);
                reads++;
                final long end = (arch.ptePfn(pte) & -folioPages) + folioPages;
                final long r = FolioPteBatch.folioPteBatch(arch, ev, seg, base, i, pte, ENTRIES - i, end, FLAGS);
                acc += r;
                i += FolioPteBatch.nr(r);
            }
        }
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        return acc;
    }

    // ------------------------------------------------------------------ hand-specialised: x86_64

    static long scanX86(final Events ev, final MemorySegment[] segs, final long[] bases, final int order)
    {
        long acc = 0;
        long reads = 0;
        final long folioPages = 1L << order;
        for (int t = 0; t < segs.length; t++)
        {
            final MemorySegment seg = segs[t];
            final long base = bases[t];
            int i = 0;
            while (i < ENTRIES)
            {
                final long pte = seg.get(PTE, base + ((long)i << 3));
                reads++;
                final long end = (X86Pte.ptePfn(pte) & -folioPages) + folioPages;
                final long r = x86FolioPteBatch(ev, seg, base, i, pte, ENTRIES - i, end);
                acc += r;
                i += (int)r;
            }
        }
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        return acc;
    }

    /** {@code __pte_batch_clear_ignored} for fork's flags on x86: dirty respected, soft-dirty and write ignored, then mkold. */
    private static long x86ClearIgnored(final long pte)
    {
        return X86Pte.pteMkold(X86Pte.pteWrprotect(X86Pte.pteClearSoftDirty(pte)));
    }

    static long x86FolioPteBatch(final Events ev, final MemorySegment t, final long base, final int idx, final long pte,
        final int maxNr, final long folioEndPfn)
    {
        final int max = (int)Math.min(maxNr, folioEndPfn - X86Pte.ptePfn(pte));
        boolean writable = X86Pte.pteWrite(pte);
        int nr = 1;
        long expected = x86ClearIgnored(X86Pte.pteAdvancePfn(pte, 1));
        int reads = 0;
        while (nr < max)
        {
            final long p = t.get(PTE, base + ((long)(idx + nr) << 3));
            reads++;
            if (x86ClearIgnored(p) != expected)
            {
                break;
            }
            writable |= X86Pte.pteWrite(p);
            expected = X86Pte.pteAdvancePfn(expected, 1);
            nr++;
        }
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        final long r = Math.min(nr, max);
        return writable ? r | ANY_WRITABLE : r;
    }

    // ------------------------------------------------------------------ hand-specialised: arm64 (contpte)

    static long scanArm64(final Events ev, final MemorySegment[] segs, final long[] bases, final int order)
    {
        long acc = 0;
        long reads = 0;
        final long folioPages = 1L << order;
        for (int t = 0; t < segs.length; t++)
        {
            final MemorySegment seg = segs[t];
            final long base = bases[t];
            int i = 0;
            while (i < ENTRIES)
            {
                final long pte = arm64PtepGet(ev, seg, base, i);
                reads++;
                final long end = (Arm64Pte.ptePfn(pte) & -folioPages) + folioPages;
                final long r = arm64FolioPteBatch(ev, seg, base, i, pte, ENTRIES - i, end);
                acc += r;
                i += (int)r;
            }
        }
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        return acc;
    }

    private static final long VALID_CONT = Arm64Pte.VALID | Arm64Pte.CONT;
    private static final int CONT_PTES = Arm64Pte.CONT_PTES;
    private static final int CONT_MASK = CONT_PTES - 1;

    /**
     * {@code ptep_get} on arm64: raw load; a valid CONT entry gathers young/dirty over its block. Split like the
     * kernel's inline wrapper and the engine's {@code Arm64.ptepGetNoAcct}: a small always-inlined fast path and
     * the gather out of line, so that the reference differs from the engine only by the dispatch.
     */
    static long arm64PtepGet(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long orig = t.get(PTE, base + ((long)idx << 3));
        if ((orig & VALID_CONT) != VALID_CONT)
        {
            return orig;
        }
        return arm64ContPtepGet(ev, t, base, idx, orig);
    }

    /** {@code contpte_ptep_get}: gather young/dirty over the block (early exit as in 6.18). */
    static long arm64ContPtepGet(final Events ev, final MemorySegment t, final long base, final int idx, final long orig)
    {
        ev.gather++;
        final int start = idx & ~CONT_MASK;
        long pte = orig;
        int loads = 0;
        for (int i = 0; i < CONT_PTES; i++)
        {
            long p = t.get(PTE, base + ((long)(start + i) << 3));
            loads++;
            if (Arm64Pte.pteDirty(p))
            {
                pte = Arm64Pte.pteMkdirty(pte);
                for (; i < CONT_PTES; i++)
                {
                    p = t.get(PTE, base + ((long)(start + i) << 3));
                    loads++;
                    if (Arm64Pte.pteYoung(p))
                    {
                        pte = Arm64Pte.pteMkyoung(pte);
                        break;
                    }
                }
                break;
            }
            if (Arm64Pte.pteYoung(p))
            {
                pte = Arm64Pte.pteMkyoung(pte);
                for (i++; i < CONT_PTES; i++)
                {
                    p = t.get(PTE, base + ((long)(start + i) << 3));
                    loads++;
                    if (Arm64Pte.pteDirty(p))
                    {
                        pte = Arm64Pte.pteMkdirty(pte);
                        break;
                    }
                }
                break;
            }
        }
        ev.pteLoad += loads;
        return pte;
    }

    private static int arm64Hint(final int idx, final long pte)
    {
        return (pte & VALID_CONT) != VALID_CONT ? 1 : CONT_PTES - (idx & CONT_MASK);
    }

    /** fork's flags on arm64: soft-dirty is not tracked (identity), write ignored, then mkold. */
    private static long arm64ClearIgnored(final long pte)
    {
        return Arm64Pte.pteMkold(Arm64Pte.pteWrprotect(Arm64Pte.pteClearSoftDirty(pte)));
    }

    static long arm64FolioPteBatch(final Events ev, final MemorySegment t, final long base, final int idx, final long pte,
        final int maxNr, final long folioEndPfn)
    {
        final int max = (int)Math.min(maxNr, folioEndPfn - Arm64Pte.ptePfn(pte));
        boolean writable = Arm64Pte.pteWrite(pte);
        int nr = arm64Hint(idx, pte);
        long expected = arm64ClearIgnored(Arm64Pte.pteAdvancePfn(pte, nr));
        int reads = 0;
        while (nr < max)
        {
            final long p = arm64PtepGet(ev, t, base, idx + nr);
            reads++;
            if (arm64ClearIgnored(p) != expected)
            {
                break;
            }
            writable |= Arm64Pte.pteWrite(p);
            final int cur = arm64Hint(idx + nr, p);
            expected = Arm64Pte.pteAdvancePfn(expected, cur);
            nr += cur;
        }
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        final long r = Math.min(nr, max);
        return writable ? r | ANY_WRITABLE : r;
    }
}
