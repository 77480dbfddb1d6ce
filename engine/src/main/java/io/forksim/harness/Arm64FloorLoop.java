package io.forksim.harness;

import io.forksim.mem.RawMemory;
import io.forksim.pte.Arm64Pte;

/**
 * The arm64 floor: the per-PTE {@link FloorLoop} on arm64 entries with exactly the work Linux 6.18's arm64 adds per
 * order-0 PTE of a fork ({@code arch/arm64/include/asm/pgtable.h} of v6.18.4), and nothing else. The distance from
 * arm64's order-0 fork to this loop is what the engine's model costs on top of the kernel's own arm64 work; the
 * distance from the per-PTE floor to it is that arm64 work. Timed in the arm64 workers at order 0 in the same rounds
 * as the strategies and the per-PTE floor ({@link ForkRun}), and by the bench module's {@code Arm64FloorBench}.
 *
 * <p>Per page, in the kernel's order ({@code copy_present_ptes} with {@code nr = 1}):
 * <ol>
 *   <li>{@code ptep_get}: read the parent entry; {@code pte_valid_cont} test (a CONT entry would be gathered by
 *       {@code contpte_ptep_get}; an order-0 parent has none, the pass refuses one);</li>
 *   <li>refcount and mapcount of the page's folio record, as the per-PTE floor;</li>
 *   <li>if {@code pte_write}: {@code wrprotect_ptes(nr = 1)} reads the entry again (its own {@code __ptep_get}),
 *       tests {@code pte_cont} and stores {@code pte_wrprotect} of it, which moves hardware dirty (DBM and not
 *       RDONLY) to the software DIRTY bit and sets RDONLY;</li>
 *   <li>{@code set_ptes(nr = 1)} of the child's {@code pte_mkold} entry: {@code contpte_try_unfold}'s probe reads
 *       the child entry and tests {@code pte_valid_cont}, the store, then {@code contpte_try_fold}'s filter (VA and
 *       PFN both the last of a 16-entry block, valid, not CONT, not special), which passes for one PTE in 16 here;
 *       for those {@code __contpte_try_fold} reads the folio's size and returns (a load of the page's record).</li>
 * </ol>
 * Not modelled, as in the per-PTE floor: the atomics ({@code ___ptep_set_wrprotect}'s cmpxchg loop is a plain store
 * here, as x86's locked {@code clear_bit} is in {@link FloorLoop}). There is no batched arm64 floor: large folios
 * go through {@code contpte_wrprotect_ptes} and {@code contpte_set_ptes}, whose per-block unfold, gather and fold
 * are not a loop of this kind; {@code Arm64FloorBench} has none either.
 *
 * <p>Data: {@link FloorData}, page k's parent entry a present, young, writable, hardware-dirty anon entry of
 * PFN {@code 1024 + k} (block-aligned, so that VA and PFN are the last of a block on the same entries, as in a parent
 * populated in order) and the refcount/mapcount of folio record k; layout of the entry: {@link Arm64Pte}.
 * <pre>
 *   63..56 55  54  53  52  51  50  49 ......... 12  11  10  9..8  7   6   5  4..2  1   0
 *  +------+---+---+---+---+---+---+----------------+---+---+----+---+---+---+----+---+---+
 *  |  0   |DTY|UXN|PXN|CON|DBM| GP| pfn = 1024 + k | nG| AF| SH | RO|USR| NS|Attr| T | V |
 *  |      | 1 | 1 | 1 | 0 | 1 | 0 |                | 1 | 1 | 11 | 0 | 1 | 0 |  0 | 1 | 1 |
 *  +------+---+---+---+---+---+---+----------------+---+---+----+---+---+---+----+---+---+
 *   parent before a pass: 0x00E8_0000_0000_0F43 | pfn &lt;&lt; 12
 *   parent after a pass:  DBM 0, RO 1             (0x00E0_0000_0000_0FC3 | pfn &lt;&lt; 12)
 *   child after a pass:   DBM 0, RO 1, AF 0       (0x00E0_0000_0000_0BC3 | pfn &lt;&lt; 12)
 * </pre>
 */
public final class Arm64FloorLoop implements AutoCloseable
{
    /** The PFN of page 0: a multiple of {@code CONT_PTES}. */
    static final long PFN0 = 1024;
    private static final long FOLIO = FloorData.FOLIO;
    private static final long VALID_CONT = Arm64Pte.VALID | Arm64Pte.CONT;
    private static final long CONT_MASK = Arm64Pte.CONT_PTES - 1;
    /** An anon page of a private writable mapping after its first write, PFN 0: valid, young, writable, dirty. */
    static final long WRITABLE = Arm64Pte.pteMkdirty(Arm64Pte.pteMkyoung(Arm64Pte.pteMkwrite(
        Arm64Pte.pfnPte(0, Arm64Pte.vmGetPageProt(true, true, false, false)))));

    private final FloorData data;

    private Arm64FloorLoop(final FloorData data)
    {
        this.data = data;
    }

    /** Parent entry {@code i} before a pass. */
    private static long writable(final long i)
    {
        return WRITABLE + ((i + PFN0) << Arm64Pte.PAGE_SHIFT);
    }

    /**
     * The loop's data for {@code pages} pages where {@code where} says ({@link FloorPlacement#engine} as the workers
     * time it), every byte touched; {@link #close} frees it.
     *
     * @param pages at least 1
     */
    public static Arm64FloorLoop allocate(final FloorPlacement where, final long pages)
    {
        return new Arm64FloorLoop(FloorData.allocate(where, pages, Arm64FloorLoop::writable));
    }

    public long pages()
    {
        return data.pages();
    }

    /**
     * One pass over every page. Precondition: the parent entries are as {@link #restoreWritable} leaves them (a pass
     * is not its own inverse).
     *
     * @return the PTEs that passed {@code contpte_try_fold}'s filter plus the folio sizes read for them (for JMH,
     *     which consumes it)
     */
    public long pass()
    {
        data.requireAlive();
        return perPte(data.par(), data.chi(), data.fo(), data.pages());
    }

    /**
     * Sets every parent entry back to writable: the state before a pass. Not part of the floor. The child's entries
     * stay as the last pass left them (valid, not CONT: the probe's test goes the same way every pass), as
     * {@link FloorLoop#restoreWritable} leaves its child.
     */
    public void restoreWritable()
    {
        for (long i = 0; i < data.pages(); i++)
        {
            data.setParentPte(i, writable(i));
        }
    }

    /**
     * One pass over {@code n} entries at absolute addresses. Preconditions: {@code par} and {@code chi} start {@code n}
     * longs and {@code fo} {@code n} folio records of live native segments, page k's PFN {@code PFN0 + k}; no entry
     * is CONT (else the pass runs and then throws an {@link IllegalStateException} with the count).
     */
    static long perPte(final long par, final long chi, final long fo, final long n)
    {
        long foldChecks = 0;
        // CONT entries seen: an order-0 parent and its child have none; counted in the loop, refused after it (a
        // throw inside the loop body cost this loop 7% in a probe)
        long cont = 0;
        for (long i = 0; i < n; i++)
        {
            final long pa = par + i * 8;
            long p = RawMemory.getLong(pa);   // ptep_get: __ptep_get
            if ((p & Arm64Pte.VALID) == 0)
            {
                continue;
            }
            if ((p & VALID_CONT) == VALID_CONT)
            {
                cont++;   // ptep_get would gather the block (contpte_ptep_get)
            }
            final long pfn = Arm64Pte.ptePfn(p);
            final long f = fo + (pfn - PFN0) * FOLIO;
            RawMemory.setInt(f + FloorData.REFCOUNT, RawMemory.getInt(f + FloorData.REFCOUNT) + 1);
            RawMemory.setInt(f + FloorData.MAPCOUNT, RawMemory.getInt(f + FloorData.MAPCOUNT) + 1);
            if (Arm64Pte.pteWrite(p))
            {
                final long orig = RawMemory.getLong(pa);   // wrprotect_ptes(nr = 1): its own __ptep_get
                if (Arm64Pte.pteCont(orig))
                {
                    cont++;   // __contpte_try_unfold
                }
                p = Arm64Pte.pteWrprotect(orig);
                RawMemory.setLong(pa, p);
            }
            final long child = Arm64Pte.pteMkold(p);
            final long ca = chi + i * 8;
            if ((RawMemory.getLong(ca) & VALID_CONT) == VALID_CONT)   // set_ptes(nr = 1): contpte_try_unfold's probe
            {
                cont++;
            }
            RawMemory.setLong(ca, child);
            if ((i & CONT_MASK) == CONT_MASK && (pfn & CONT_MASK) == CONT_MASK
                && (child & (VALID_CONT | Arm64Pte.SPECIAL)) == Arm64Pte.VALID)
            {
                foldChecks += 1 + RawMemory.getInt(f);   // contpte_try_fold passed: __contpte_try_fold's folio size
            }
        }
        if (cont != 0)
        {
            throw new IllegalStateException(cont + " CONT entries met: the arm64 floor copies order-0 entries only");
        }
        return foldChecks;
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
