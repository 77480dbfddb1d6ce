package io.forksim.check;

import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mm.Mm;

/**
 * The pin rule of the COW design (mm/gup.c, mm/memory.c): a pinned anon page that a PTE still maps is
 * PageAnonExclusive. GUP pins only exclusive anon pages (a R/W pin write-faults, a R/O pin unshares first),
 * fork copies such a page for the child instead of sharing it ({@code folio_try_dup_anon_rmap} fails on a
 * maybe-pinned exclusive page), and reclaim does not share it ({@code folio_try_share_anon_rmap} fails). With
 * InvariantChecker's "PageAnonExclusive only on a page mapped at most once" this means: a pinned anon page is
 * mapped by one PTE at most. A pinned page nothing maps any more (after munmap or zap) is not checked.
 */
final class PinInvariant
{
    private PinInvariant()
    {
    }

    /**
     * @param maps the PTEs mapping {@code pin.pfn()} in live processes
     * @return a violation, or null
     */
    static String check(final MemMap memmap, final Mm mm, final Mm.Pin pin, final int maps)
    {
        final long pfn = pin.pfn();
        if (maps == 0 || (memmap.flags(memmap.folioHead(pfn)) & PageDescriptor.PG_ANON) == 0 || memmap.testAnonExclusive(pfn))
        {
            return null;
        }
        return "mm#" + mm.id() + " pins anon pfn " + pfn + " (taken at 0x" + Long.toHexString(pin.addr()) + ") which "
            + maps + " PTE(s) map but which is not PageAnonExclusive: a pinned page must never be COW-shared";
    }
}
