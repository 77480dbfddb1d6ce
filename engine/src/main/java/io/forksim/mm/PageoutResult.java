package io.forksim.mm;

import java.util.List;

/**
 * What {@code MADV_PAGEOUT} of a range did.
 *
 * @param pagedOut the addresses whose pages went to swap, in the order reclaim took them
 * @param foliosSplit large folios the range covered only in part that were split ({@code split_folio}) first
 * @param pagesFreedBySplit pages of those folios that nothing mapped, freed by the split
 */
public record PageoutResult(List<Long> pagedOut, int foliosSplit, int pagesFreedBySplit)
{
    public PageoutResult
    {
        pagedOut = List.copyOf(pagedOut);
    }
}
