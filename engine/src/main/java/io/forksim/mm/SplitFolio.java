package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.pgtable.PageTables;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code split_folio} of a PTE-mapped anonymous large folio into order-0 folios, as reclaim
 * ({@code madvise_cold_or_pageout_pte_range}) asks for one that the range covers only in part.
 *
 * <p>The split succeeds only for a folio that one mm maps (MM-IDs-shared bit clear, every mapping that mm's),
 * that is not pinned and not in the swap cache, and whose every reference is a mapping
 * ({@code can_split_folio}: refcount == large_mapcount). Each page then becomes its own order-0 folio with the
 * folio's type and dirty flags, refcount and mapcount 1 if a PTE maps it and its PageAnonExclusive and token as
 * they were; pages nothing maps are freed (the split's own reference was their last). page[1]'s MM-ID slots are
 * cleared with the rest of the records.
 *
 * <p>The PTEs are rewritten as {@code unmap_folio} and {@code remap_page} leave them: each entry that maps the
 * folio is cleared ({@code ptep_get_and_clear}: on arm64 a CONT block is unfolded first, its access and dirty
 * bits gathered into every entry) and, once the records are order-0, set again without CONT
 * ({@code set_pte_at}); an order-0 folio never folds into a contpte block.
 */
final class SplitFolio
{
    private SplitFolio()
    {
    }

    /** Whether {@code split_folio} of the large folio at {@code head}, mapped by {@code mm}, would succeed. */
    static boolean canSplit(final MemMap memmap, final Mm mm, final long head)
    {
        final int lm = memmap.largeMapcount(head);
        return memmap.order(head) != 0 && (memmap.flags(head) & PageDescriptor.PG_ANON) != 0
            && (memmap.flags(head) & PageDescriptor.PG_SWAPCACHE) == 0
            && !memmap.folioMmIdsShared(head) && memmap.folioMmIdMapcount(head, mm.id) == lm
            && memmap.pincount(head) == 0 && memmap.rawRefcount(head) == lm;
    }

    /**
     * Splits the folio at {@code head}. Precondition: {@link #canSplit} is true.
     *
     * @return the number of pages freed because nothing mapped them
     */
    static int split(final Machine m, final Mm mm, final long head)
    {
        final MemMap memmap = m.memmap();
        final int nr = 1 << memmap.order(head);
        final List<long[]> unmapped = unmapFolio(m, mm, head, nr);
        final boolean[] mapped = new boolean[nr];
        for (final long[] e : unmapped)
        {
            mapped[(int)(m.arch().ptePfn(e[2]) - head)] = true;
        }
        final int flags = memmap.flags(head) & ~(PageDescriptor.ORDER_MASK | PageDescriptor.PG_HEAD | PageDescriptor.PG_TAIL
            | PageDescriptor.PG_MM_IDS_SHARED);
        for (int i = 0; i < nr; i++)
        {
            final long pfn = head + i;
            memmap.setFlags(pfn, flags);
            memmap.setRefcount(pfn, mapped[i] ? 1 : 0);
            memmap.setMapcount(pfn, mapped[i] ? 1 : 0);
            memmap.clearAuxForSplit(pfn);
        }
        int freed = 0;
        for (int i = 0; i < nr; i++)
        {
            if (!mapped[i])
            {
                memmap.setRefcount(head + i, 1);
                Folios.put(m, head + i, 1);
                freed++;
            }
        }
        m.events().refcountUpdate++;
        remapPages(m, unmapped);
        return freed;
    }

    /** Clears every PTE of {@code mm} that maps the folio; returns (table, idx, old entry) of each. */
    private static List<long[]> unmapFolio(final Machine m, final Mm mm, final long head, final int nr)
    {
        final Arch arch = m.arch();
        final PageTables pt = m.pageTables();
        final List<long[]> out = new ArrayList<>();
        for (int vi = 0; vi < mm.vmas.size(); vi++)
        {
            final Vma v = mm.vmas.get(vi);
            pt.forEachPteTable(mm.pgd, v.start, v.end, (table, tableVa) ->
            {
                final long from = Math.max(v.start, tableVa);
                final long to = Math.min(v.end, tableVa + PageTables.PMD_SIZE);
                final int i0 = PageTables.pteIndex(from);
                final int n = (int)((to - from) >>> Arch.PAGE_SHIFT);
                for (int i = i0; i < i0 + n; i++)
                {
                    final long pte = Arch.peek(pt.segment(table), pt.base(table), i);
                    if (!arch.pteNone(pte) && arch.ptePresent(pte) && arch.ptePfn(pte) >= head && arch.ptePfn(pte) < head + nr)
                    {
                        out.add(new long[] {table, i, 0});
                    }
                }
            });
        }
        for (final long[] e : out)
        {
            e[2] = arch.ptepGetAndClear(m.events(), pt.segment(e[0]), pt.base(e[0]), (int)e[1]);
        }
        return out;
    }

    /** Sets each entry {@link #unmapFolio} cleared again, without CONT. */
    private static void remapPages(final Machine m, final List<long[]> unmapped)
    {
        final Arch arch = m.arch();
        final PageTables pt = m.pageTables();
        for (final long[] e : unmapped)
        {
            arch.setPtes(m.events(), pt.segment(e[0]), pt.base(e[0]), (int)e[1], arch.pteMknoncont(e[2]), 1);
        }
    }
}
