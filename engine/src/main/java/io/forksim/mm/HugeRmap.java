package io.forksim.mm;

import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;

/**
 * The PMD-level rmap of a PMD-mappable (order-9) anon folio, as {@code __folio_add_rmap},
 * {@code __folio_try_dup_anon_rmap} and {@code __folio_remove_rmap} keep it for {@code RMAP_LEVEL_PMD}
 * (6.18: {@code PGTABLE_LEVEL_PMD}) in forksim's memmap model (CONFIG_NO_PAGE_MAPCOUNT, plain counts):
 * <ul>
 *   <li>{@code _entire_mapcount}: PMD mappings of the folio, stored as a plain count in the mapcount slot of the
 *       folio's page[2] (see {@link PageDescriptor}); 0 = not PMD-mapped;</li>
 *   <li>{@code large_mapcount} and the MM-ID slots count <em>every</em> mapping, one per PMD leaf as one per PTE,
 *       so a PMD mapping adds 1 there ({@code folio_add_large_mapcount(folio, 1, vma)});</li>
 *   <li>PageAnonExclusive of a PMD mapping lives on the head page only.</li>
 * </ul>
 * {@code _nr_pages_mapped} and per-page {@code _mapcount} do not exist in this model (NO_PAGE_MAPCOUNT), so nothing
 * here touches them.
 */
public final class HugeRmap
{
    /** The page of a large folio whose mapcount slot holds {@code _entire_mapcount}. */
    public static final int ENTIRE_MAPCOUNT_PAGE = 2;

    private HugeRmap()
    {
    }

    /** {@code folio_entire_mapcount}: the PMD mappings of the large folio at {@code head}. */
    public static int folioEntireMapcount(final MemMap memmap, final long head)
    {
        return memmap.rawMapcount(head + ENTIRE_MAPCOUNT_PAGE);
    }

    /**
     * {@code folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE)} of a fresh PMD-mapped folio: entire
     * mapcount 1, {@code large_mapcount} 1 owned by {@code mmId}, PageAnonExclusive on the head.
     * Precondition: {@code head} is a fresh, unmapped order-9 anon folio.
     */
    static void addNewAnonRmapPmd(final MemMap memmap, final long head, final int mmId)
    {
        memmap.setMapcount(head + ENTIRE_MAPCOUNT_PAGE, 1);
        memmap.folioSetLargeMapcount(head, 1, mmId);
        memmap.setAnonExclusive(head);
    }

    /**
     * {@code folio_try_dup_anon_rmap_pmd}: fails ({@code false}, nothing changed) when the head is
     * PageAnonExclusive and the folio may be DMA-pinned by a process that has pinned pages
     * ({@code srcHasPinned}); else clears the head's PageAnonExclusive and adds one PMD mapping owned by
     * {@code dstMmId} (entire mapcount and large mapcount +1; the child takes a free MM-ID slot, setting the
     * shared bit).
     */
    public static boolean tryDupAnonRmapPmd(final MemMap memmap, final long head, final int dstMmId, final boolean srcHasPinned)
    {
        if (memmap.testAnonExclusive(head))
        {
            if (srcHasPinned && memmap.folioMaybeDmaPinned(head))
            {
                return false;
            }
            memmap.clearAnonExclusive(head);
        }
        memmap.mapcountAdd(head + ENTIRE_MAPCOUNT_PAGE, 1);
        memmap.folioAddLargeMapcount(head, 1, dstMmId);
        return true;
    }

    /** {@code folio_remove_rmap_pmd}: large mapcount -1 (this mm's slot first), then entire mapcount -1. */
    static void removeRmapPmd(final MemMap memmap, final long head, final int mmId)
    {
        memmap.folioSubLargeMapcount(head, 1, mmId);
        memmap.mapcountAdd(head + ENTIRE_MAPCOUNT_PAGE, -1);
    }
}
