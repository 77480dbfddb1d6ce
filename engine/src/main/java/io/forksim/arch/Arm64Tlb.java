package io.forksim.arch;

import io.forksim.stats.Events;

/**
 * The arm64 TLB maintenance the model counts ({@code arch/arm64/include/asm/tlbflush.h}, 6.18): each flush as
 * the DSBs and TLBIs it issues. No KPTI (no doubled user-ASID TLBIs), no BBML2, no errata repeats.
 * {@code tlbiRange} is FEAT_TLBIRANGE ({@link Arm64#tlbiRange()}).
 */
final class Arm64Tlb
{
    /** {@code MAX_DVM_OPS} = {@code PTRS_PER_PTE}: without FEAT_TLBIRANGE a range this long becomes an ASID flush. */
    static final long MAX_DVM_OPS = Arch.PTRS_PER_TABLE;
    /** {@code MAX_TLBI_RANGE_PAGES} = {@code __TLBI_RANGE_PAGES(31, 3)} = 32 &lt;&lt; 16. */
    static final long MAX_TLBI_RANGE_PAGES = 32L << 16;

    private Arm64Tlb()
    {
    }

    /** {@code flush_tlb_mm}: DSB ISHST; TLBI ASIDE1IS; DSB ISH. Cost: tlbiAsid 1, dsb 2. */
    static void flushTlbMm(final Events ev)
    {
        ev.dsb += 2;
        ev.tlbiAsid++;
    }

    /**
     * {@code __flush_tlb_range} over {@code nrPages} pages with a 4 KiB stride (6.18 form): DSB ISHST; the
     * TLBIs; DSB ISH. With FEAT_TLBIRANGE the range is split into at most 4 TLBI RVALE1IS (scales 3..0) plus
     * one TLBI VALE1IS for an odd last page; without it, one TLBI VALE1IS per page. Beyond
     * {@code MAX_TLBI_RANGE_PAGES} (range) or from {@code MAX_DVM_OPS} pages (no range) it flushes the ASID
     * instead ({@code flush_tlb_mm}, then the trailing DSB ISH of {@code __flush_tlb_range}: dsb 3).
     * Precondition: none ({@code nrPages <= 0} flushes nothing).
     */
    static void flushTlbRange(final Events ev, final long nrPages, final boolean tlbiRange)
    {
        if (nrPages <= 0)
        {
            return;
        }
        if (tlbiRange ? nrPages > MAX_TLBI_RANGE_PAGES : nrPages >= MAX_DVM_OPS)
        {
            flushTlbMm(ev);
            ev.dsb++;
            return;
        }
        ev.dsb++;
        tlbiRangeOp(ev, nrPages, tlbiRange);
        ev.dsb++;
    }

    /** {@code flush_tlb_page}: DSB ISHST; TLBI VALE1IS; DSB ISH. Cost: tlbiPage 1, dsb 2. */
    static void flushTlbPage(final Events ev)
    {
        ev.dsb += 2;
        ev.tlbiPage++;
    }

    /** The TLBIs of {@code __flush_tlb_range_op} for {@code pages} pages (no DSBs). Precondition: pages &gt; 0. */
    private static void tlbiRangeOp(final Events ev, final long pages, final boolean tlbiRange)
    {
        if (!tlbiRange)
        {
            ev.tlbiPage += pages;
            return;
        }
        long left = pages;
        int scale = 3;
        while (left > 0)
        {
            if (left == 1)
            {
                ev.tlbiPage++;
                left = 0;
                continue;
            }
            final int shift = 5 * scale + 1;
            final int num = (int)(Math.min(left, 32L << shift) >>> shift) - 1;   // __TLBI_RANGE_NUM
            if (num >= 0)
            {
                ev.tlbiRange++;
                left -= (long)(num + 1) << shift;                                 // __TLBI_RANGE_PAGES
            }
            scale--;
        }
    }

    /**
     * {@code __flush_tlb_range(vma, start, start + 64K, PAGE_SIZE, last level, level 3)} of one contpte block, as a
     * convert issues it (and the same count as {@code local_flush_tlb_contpte}): dsb 2 and one TLBI RVALE1IS
     * (16 pages = scale 0, num 7) with FEAT_TLBIRANGE, else 16 TLBI VALE1IS.
     */
    static void flushContBlock(final Events ev, final boolean tlbiRange)
    {
        ev.dsb += 2;
        if (tlbiRange)
        {
            ev.tlbiRange++;
        }
        else
        {
            ev.tlbiPage += Arm64.CONT_PTES;
        }
    }
}
