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
 * here, as x86's locked {@code clear_bit} is in {@link FloorLoop}).
 *
 * <p>The batched arm64 floor ({@link #allocate(FloorPlacement, long, int)} with order &ge; 1, {@link #batched}) is
 * the batched {@link FloorLoop} with what 6.18's arm64 does per batch of a large folio in fork's copy
 * ({@code copy_present_ptes} with {@code nr > 1}; v6.18.4's {@code mm/memory.c}, {@code mm/internal.h},
 * {@code arch/arm64/include/asm/pgtable.h}, {@code arch/arm64/mm/contpte.c}). A parent of order-4 or larger folios
 * populated in order is contpte-mapped (CONT on every entry of each whole 16-entry block, as the engine's arm64
 * parent), so per batch:
 * <ol>
 *   <li>{@code copy_pte_range}'s {@code ptep_get} of the batch's first entry: {@code __ptep_get}, the
 *       {@code pte_valid_cont} test, and for a CONT entry {@code contpte_ptep_get}'s gather of AF and dirty from the
 *       block's start (6.16+ early-exit form: with every entry young and dirty it reads the first entry twice);</li>
 *   <li>{@code folio_pte_batch_flags} ({@code FPB_MERGE_WRITE | FPB_RESPECT_DIRTY}): {@code pte_batch_hint} takes
 *       the rest of a CONT entry's block without reading it; the scan reads one entry per further block
 *       ({@code ptep_get} with its gather), compares it after {@code __pte_batch_clear_ignored}
 *       ({@code pte_wrprotect}, {@code pte_mkold}) with the expected entry and skips the block; an order-4 batch
 *       scans nothing, an order-9 batch 31 blocks. Unlike the batched {@link FloorLoop}'s scan, the entries inside a
 *       block are never read here: arm64's kernel does not read them either;</li>
 *   <li>refcount and mapcount once per batch, as the batched floor;</li>
 *   <li>{@code wrprotect_ptes(nr)} = {@code contpte_wrprotect_ptes}: {@code contpte_try_unfold_partial}'s two
 *       alignment tests (a range of whole blocks probes nothing), then {@code __wrprotect_ptes}: per entry its own
 *       {@code __ptep_get} and the store of {@code pte_wrprotect} of it (the entry keeps CONT);</li>
 *   <li>the child's entry: {@code pte_wrprotect}, {@code pte_mkold}, {@code pte_clear_uffd_wp} of the batch's
 *       entry, then {@code set_ptes(nr)}: {@code pte_mknoncont} and {@code contpte_set_ptes}: per 16-entry chunk
 *       {@code pfn_pte}, the alignment test of VA, end and PFN that gives a whole block CONT, and
 *       {@code __set_ptes}' {@code __sync_cache_and_tags} test (not user-executable here); per entry one store and
 *       {@code pte_advance_pfn}.</li>
 * </ol>
 * Not modelled: {@code vm_normal_page} and the folio lookup (the batched floor does neither), the atomics, the
 * configurations off by default ({@code CONFIG_DEBUG_VM}'s {@code __check_safe_pte_update},
 * {@code page_table_check}, MTE). Orders 1-3 have no CONT entries: every entry is read by the scan (hint 1) and
 * {@code contpte_try_unfold_partial} probes the first and last entries.
 *
 * <p>Data: {@link FloorData}, page k's parent entry a present, young, writable, hardware-dirty anon entry of
 * PFN {@code 1024 + k} (block-aligned, so that VA and PFN are the last of a block on the same entries, as in a parent
 * populated in order), CONT set at orders &ge; 4 (bit 52: 0x00F8_0000_0000_0F43 | pfn &lt;&lt; 12 before a pass), and
 * the refcount/mapcount of folio record k; at order &ge; 1 the folio of page k is record {@code k & ~(2^order - 1)}
 * (its head); layout of the entry: {@link Arm64Pte}.
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

    /** {@code CONT_PTES} in entry bytes: the size of one contpte block of a table. */
    private static final long BLOCK_BYTES = Arm64Pte.CONT_PTES * 8L;
    /** The smallest order whose folios are contpte-mapped: a folio of {@code CONT_PTES} pages. */
    static final int CONT_ORDER = Integer.numberOfTrailingZeros(Arm64Pte.CONT_PTES);
    /** The largest order a PTE table holds. */
    private static final int MAX_ORDER = 9;

    private final FloorData data;
    /** 0: the per-PTE floor; otherwise the batched one over folios of this order. */
    private final int order;

    private Arm64FloorLoop(final FloorData data, final int order)
    {
        this.data = data;
        this.order = order;
    }

    /** Parent entry {@code i} before a per-PTE pass. */
    private static long writable(final long i)
    {
        return WRITABLE + ((i + PFN0) << Arm64Pte.PAGE_SHIFT);
    }

    /** Parent entry {@code i} before a pass at {@code order}: CONT from {@link #CONT_ORDER} on. */
    private static long writable(final long i, final int order)
    {
        return writable(i) | (order >= CONT_ORDER ? Arm64Pte.CONT : 0);
    }

    /**
     * The loop's data for {@code pages} pages where {@code where} says ({@link FloorPlacement#engine} as the workers
     * time it), every byte touched; {@link #close} frees it.
     *
     * @param pages at least 1
     */
    public static Arm64FloorLoop allocate(final FloorPlacement where, final long pages)
    {
        return allocate(where, pages, 0);
    }

    /**
     * The per-PTE loop's data (order 0) or the batched loop's over folios of {@code order} (CONT entries from
     * {@link #CONT_ORDER} on), for {@code pages} pages where {@code where} says, every byte touched; {@link #close}
     * frees it.
     *
     * @param pages at least 1, and a multiple of {@code 2^order} (whole folios: a batch has at least two entries)
     * @param order 0..9
     * @throws IllegalArgumentException naming the value, for an order or a page count outside that
     */
    public static Arm64FloorLoop allocate(final FloorPlacement where, final long pages, final int order)
    {
        if (order < 0 || order > MAX_ORDER)
        {
            throw new IllegalArgumentException("the arm64 floor's folio order must be 0..9, not " + order);
        }
        if (pages % (1L << order) != 0)
        {
            throw new IllegalArgumentException("the batched arm64 floor copies whole order-" + order + " folios: "
                + pages + " pages is not a multiple of " + (1L << order));
        }
        return new Arm64FloorLoop(FloorData.allocate(where, pages, i -> writable(i, order)), order);
    }

    /** The folio order of the loop: 0 for the per-PTE floor. */
    public int order()
    {
        return order;
    }

    public long pages()
    {
        return data.pages();
    }

    /**
     * One pass over every page. Precondition: the parent entries are as {@link #restoreWritable} leaves them (a pass
     * is not its own inverse).
     *
     * @return per-PTE: the PTEs that passed {@code contpte_try_fold}'s filter plus the folio sizes read for them;
     *     batched: the {@code contpte_ptep_get} gathers (for JMH, which consumes it)
     */
    public long pass()
    {
        data.requireAlive();
        return order == 0 ? perPte(data.par(), data.chi(), data.fo(), data.pages())
            : batched(data.par(), data.chi(), data.fo(), data.pages(), order);
    }

    /**
     * Sets every parent entry back to writable (CONT from {@link #CONT_ORDER} on): the state before a pass. Not part
     * of the floor. The child's entries stay as the last pass left them, as {@link FloorLoop#restoreWritable} leaves
     * its child: per-PTE valid and not CONT (the probe's test goes the same way every pass); batched as
     * {@code contpte_set_ptes} stored them, which reads none of them.
     */
    public void restoreWritable()
    {
        for (long i = 0; i < data.pages(); i++)
        {
            data.setParentPte(i, writable(i, order));
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
        // folio record k at fo + k * FOLIO = fob + pfn * FOLIO: with fob bounded C2 reads it without a check
        final long fob = RawMemory.bounded(fo - PFN0 * FOLIO);
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
            final long f = fob + pfn * FOLIO;
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

    /**
     * One batched pass over {@code n} entries at absolute addresses, folios of {@code 2^order} pages (the class
     * Javadoc lists the steps). Preconditions: {@code par} and {@code chi} start {@code n} longs and {@code fo}
     * {@code n} folio records of live native segments, {@code par} and {@code chi} 128-byte aligned (a table's
     * contpte blocks: {@code contpte_align_down} and {@code pte_batch_hint} go by the entry's address), page k's PFN
     * {@code PFN0 + k}; {@code 1 <= order <= 9} and {@code n} a multiple of {@code 2^order}; the entries as
     * {@link #restoreWritable} leaves them. A batch of one entry (the kernel's {@code nr = 1} paths) or a CONT
     * block met by {@code contpte_try_unfold_partial} (an unfold) is outside this floor: the pass runs and then throws
     * an {@link IllegalStateException} with their count.
     *
     * <p>The inner loops run over addresses to a bound tested with {@code !=}, which C2 does not make counted loops
     * (see {@link FloorLoop#batched}: a counted loop's pre-, main- and post-loops cost a fixed amount per entry into
     * it, which a 16-entry chunk pays per 16 pages).
     *
     * @return the {@code contpte_ptep_get} gathers: one per contpte block at orders &ge; 4, none below
     */
    static long batched(final long par, final long chi, final long fo, final long n, final int order)
    {
        final long fn = 1L << order;
        long gathers = 0;
        long outside = 0;   // batches of one entry and unfolds: counted in the loop, refused after it
        final long fnm = -fn & FloorLoop.PAGE_INDEX_MASK;   // the head's mask, bounded (FloorLoop.batched)
        final long fob = RawMemory.bounded(fo);
        for (long i = 0; i < n; )
        {
            final long first = par + i * 8;
            long p = RawMemory.getLong(RawMemory.at(first, 0));   // copy_pte_range: ptep_get (__ptep_get)
            if ((p & Arm64Pte.VALID) == 0)
            {
                i++;
                continue;
            }
            if ((p & VALID_CONT) == VALID_CONT)
            {
                p = contptePtepGet(first & -BLOCK_BYTES, p);
                gathers++;
            }
            // copy_present_ptes -> folio_pte_batch_flags(FPB_MERGE_WRITE | FPB_RESPECT_DIRTY)
            final long pfn = Arm64Pte.ptePfn(p) - PFN0;
            final long head = pfn & fnm;
            final long max = Math.min(n - i, head + fn - pfn);
            long nr = batchHint(first, p);
            boolean writable = Arm64Pte.pteWrite(p);
            // pte_advance_pfn commutes with __pte_batch_clear_ignored (flag bits only), and no PFN leaves the folio
            long expected = clearIgnored(p) + (nr << Arm64Pte.PAGE_SHIFT);
            while (nr < max)
            {
                final long a = RawMemory.at(first, (int)nr << 3);
                long q = RawMemory.getLong(a);   // ptep_get
                if ((q & VALID_CONT) == VALID_CONT)
                {
                    q = contptePtepGet(a & -BLOCK_BYTES, q);
                    gathers++;
                }
                if (clearIgnored(q) != expected)
                {
                    break;
                }
                writable |= Arm64Pte.pteWrite(q);
                final long cur = batchHint(a, q);
                expected += cur << Arm64Pte.PAGE_SHIFT;
                nr += cur;
            }
            nr = Math.min(nr, max);
            if (writable)
            {
                p = Arm64Pte.pteMkwrite(p);   // any_writable
            }
            if (nr == 1)
            {
                outside++;
            }
            final long f = fob + head * FOLIO;   // folio_ref_add, folio_try_dup_anon_rmap_ptes
            RawMemory.setInt(f + FloorData.REFCOUNT, RawMemory.getInt(f + FloorData.REFCOUNT) + (int)nr);
            RawMemory.setInt(f + FloorData.MAPCOUNT, RawMemory.getInt(f + FloorData.MAPCOUNT) + (int)nr);
            final long end = first + nr * 8;
            if (Arm64Pte.pteWrite(p))   // __copy_present_ptes: wrprotect_ptes -> contpte_wrprotect_ptes
            {
                outside += unfoldPartial(first, end, nr);
                // __wrprotect_ptes, two entries per iteration (an odd one first): one entry per iteration took
                // 0.4 ns/page more at order 9 in a probe (timing.md, "arm64 large folios against the floors")
                final int bytes = (int)nr << 3;
                int o = 0;
                if ((nr & 1) != 0)
                {
                    final long a = RawMemory.at(first, 0);
                    RawMemory.setLong(a, Arm64Pte.pteWrprotect(RawMemory.getLong(a)));
                    o = 8;
                }
                for (; o != bytes; o += 16)
                {
                    final long a = RawMemory.at(first, o);
                    final long x = RawMemory.getLong(a);
                    final long y = RawMemory.getLong(a + 8);
                    RawMemory.setLong(a, Arm64Pte.pteWrprotect(x));
                    RawMemory.setLong(a + 8, Arm64Pte.pteWrprotect(y));
                }
                p = Arm64Pte.pteWrprotect(p);
            }
            // set_ptes(pte_mknoncont(pte)) -> contpte_set_ptes, chunk by chunk
            final long child = Arm64Pte.pteMknoncont(Arm64Pte.pteClearUffdWp(Arm64Pte.pteMkold(p)));
            final long prot = Arm64Pte.ptePgprot(child);
            long cpfn = Arm64Pte.ptePfn(child);
            long addr = i;
            final long endIdx = i + nr;
            final long cb = chi + i * 8;
            int c = 0;
            do
            {
                final long next = Math.min((addr + CONT_MASK + 1) & ~CONT_MASK, endIdx);
                long e = (cpfn << Arm64Pte.PAGE_SHIFT) | prot;   // pfn_pte
                if (((addr | next | cpfn) & CONT_MASK) == 0)
                {
                    e |= Arm64Pte.CONT;
                }
                if ((e & (Arm64Pte.VALID | Arm64Pte.UXN | Arm64Pte.SPECIAL)) == Arm64Pte.VALID)
                {
                    outside++;   // __sync_cache_and_tags: user-executable, would sync the icache
                }
                final int stop = (int)(next - i) << 3;
                for (; c != stop; c += 8)   // __set_ptes: store, pte_advance_pfn
                {
                    RawMemory.setLong(RawMemory.at(cb, c), e);
                    e += 1L << Arm64Pte.PAGE_SHIFT;
                }
                cpfn += next - addr;
                addr = next;
            }
            while (addr != endIdx);
            i = endIdx;
        }
        if (outside != 0)
        {
            throw new IllegalStateException(outside + " batches of one entry, unfolds or executable entries met: the"
                + " batched arm64 floor copies whole folios of private anon entries only");
        }
        return gathers;
    }

    /** {@code pte_batch_hint}: the rest of a valid CONT entry's block, by its address; 1 otherwise. */
    private static long batchHint(final long ptep, final long pte)
    {
        if ((pte & VALID_CONT) != VALID_CONT)
        {
            return 1;
        }
        return Arm64Pte.CONT_PTES - ((ptep >>> 3) & CONT_MASK);
    }

    /** {@code __pte_batch_clear_ignored} with {@code FPB_RESPECT_DIRTY} (arm64 has no soft-dirty). */
    private static long clearIgnored(final long pte)
    {
        return Arm64Pte.pteMkold(Arm64Pte.pteWrprotect(pte));
    }

    /**
     * {@code contpte_ptep_get} (6.16+ early-exit form): OR dirty and AF over the block at {@code start} into
     * {@code orig}, reading from the block's start; once one of the two is found, reading on only for the other.
     * Precondition: {@code start} is the block's first entry, {@code orig} a valid CONT entry of it.
     */
    private static long contptePtepGet(final long start, final long orig)
    {
        long pte = orig;
        for (int o = 0; o != (int)BLOCK_BYTES; o += 8)
        {
            long q = RawMemory.getLong(RawMemory.at(start, o));
            if (Arm64Pte.pteDirty(q))
            {
                pte = Arm64Pte.pteMkdirty(pte);
                for (; o != (int)BLOCK_BYTES; o += 8)
                {
                    q = RawMemory.getLong(RawMemory.at(start, o));
                    if (Arm64Pte.pteYoung(q))
                    {
                        pte = Arm64Pte.pteMkyoung(pte);
                        break;
                    }
                }
                break;
            }
            if (Arm64Pte.pteYoung(q))
            {
                pte = Arm64Pte.pteMkyoung(pte);
                for (o += 8; o != (int)BLOCK_BYTES; o += 8)
                {
                    q = RawMemory.getLong(RawMemory.at(start, o));
                    if (Arm64Pte.pteDirty(q))
                    {
                        pte = Arm64Pte.pteMkdirty(pte);
                        break;
                    }
                }
                break;
            }
        }
        return pte;
    }

    /**
     * {@code contpte_try_unfold_partial} of the range {@code first..end} of {@code nr} entries: the first entry is
     * probed if the range starts mid-block or is shorter than a block, the last if it ends mid-block.
     *
     * @return the valid CONT entries those probes met (each would be unfolded: outside this floor)
     */
    private static long unfoldPartial(final long first, final long end, final long nr)
    {
        long unfolds = 0;
        if ((first & (BLOCK_BYTES - 1)) != 0 || nr < Arm64Pte.CONT_PTES)
        {
            unfolds += (RawMemory.getLong(first) & VALID_CONT) == VALID_CONT ? 1 : 0;
        }
        if ((end & (BLOCK_BYTES - 1)) != 0)
        {
            unfolds += (RawMemory.getLong(end - 8) & VALID_CONT) == VALID_CONT ? 1 : 0;
        }
        return unfolds;
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
