package io.forksim.pgtable;

import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;

/**
 * {@code pgtable_trans_huge_deposit} / {@code pgtable_trans_huge_withdraw} (mm/pgtable-generic.c): the PTE tables
 * put aside for the PMD leaves of one PMD-table page, so that splitting a leaf never needs memory.
 *
 * <p>As in the kernel, the deposits are a list per PMD-table page (with split PMD locks, {@code
 * ptdesc->pmd_huge_pte}), not per entry: any deposited table may become any leaf's PTE table. The list lives
 * in the memmap records' aux slots (see {@link PageDescriptor}), so it costs no memory of its own:
 * <pre>
 *   PMD-table page P   aux = 1 + PFN of the most recently deposited table, 0 = no deposit
 *   deposited table D  aux = 1 + PFN of the next deposited table of P,    0 = last
 * </pre>
 * Withdraw takes the most recent deposit (the kernel's list order differs, C, A, B after A, B, C; all deposits
 * are empty, zeroed tables, so which one a split gets changes no state but the table's PFN). A deposited table is
 * a {@code PG_TABLE} page with its table-store slot, all 512 entries zero, counted in {@code nr_ptes}
 * ({@code pt_pages_alloc} when it was allocated).
 */
public final class TransHugeDeposit
{
    private TransHugeDeposit()
    {
    }

    /**
     * {@code pgtable_trans_huge_deposit}: puts the empty PTE table {@code table} on {@code pmdTable}'s list.
     * Precondition: {@code table} is a zeroed page-table page linked nowhere; {@code pmdTable} is a PMD-table page.
     */
    public static void deposit(final MemMap memmap, final long pmdTable, final long table)
    {
        memmap.setPmdHugePte(table, memmap.pmdHugePte(pmdTable));
        memmap.setPmdHugePte(pmdTable, (int)(table + 1));
    }

    /**
     * {@code pgtable_trans_huge_withdraw}: takes a deposited table off {@code pmdTable}'s list.
     *
     * @throws IllegalStateException naming the PMD-table page if it holds no deposit (a PMD leaf without its table)
     */
    public static long withdraw(final MemMap memmap, final long pmdTable)
    {
        final int head = memmap.pmdHugePte(pmdTable);
        if (head == 0)
        {
            throw new IllegalStateException("PMD-table page pfn " + pmdTable + " has no deposited PTE table to withdraw");
        }
        final long table = head - 1L;
        memmap.setPmdHugePte(pmdTable, memmap.pmdHugePte(table));
        memmap.setPmdHugePte(table, 0);
        return table;
    }

    /** The number of tables deposited on {@code pmdTable}. */
    public static int count(final MemMap memmap, final long pmdTable)
    {
        int n = 0;
        for (int p = memmap.pmdHugePte(pmdTable); p != 0; p = memmap.pmdHugePte(p - 1L))
        {
            n++;
        }
        return n;
    }

    /** The PFNs of the tables deposited on {@code pmdTable}, most recent first. */
    public static long[] list(final MemMap memmap, final long pmdTable)
    {
        final long[] out = new long[count(memmap, pmdTable)];
        int i = 0;
        for (int p = memmap.pmdHugePte(pmdTable); p != 0; p = memmap.pmdHugePte(p - 1L))
        {
            out[i++] = p - 1L;
        }
        return out;
    }
}
