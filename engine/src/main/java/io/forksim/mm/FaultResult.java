package io.forksim.mm;

/** What a simulated page fault ({@link Mm#fault}) did. */
public enum FaultResult
{
    /**
     * The page was mapped without a copy: a new anon folio or the shared zero page ({@code do_anonymous_page}),
     * a page-cache folio ({@code do_read_fault}, {@code do_shared_fault}), or, for a PTE that already allowed
     * the access, only young/dirty were set ({@code handle_pte_fault}'s spurious-fault path).
     */
    MAPPED,
    /** A private copy was made: {@code wp_page_copy} (COW, incl. of the zero page) or {@code do_cow_fault}. */
    COW_COPIED,
    /** A write-protected PTE was made writable in place: {@code wp_page_reuse} (anon reuse or shared mapping). */
    REUSED,
    /** A swap entry was brought back ({@code do_swap_page}); a write fault may have COWed afterwards. */
    SWAPPED_IN,
    /** No VMA, or the VMA does not allow the access: SIGSEGV. Nothing changed. */
    SEGV
}
