package io.forksim.harness;

import io.forksim.mm.FolioMapping;
import io.forksim.mm.HugeMemory;

/**
 * The folio configurations of the main job, as the int codes {@link ForkPlan#orders()} holds: a code is a folio
 * order 0..9 (PTE-mapped folios of that order) or {@link #PMD_9} (PMD-mapped order-9 THPs, written {@code 9pmd} on
 * the command line).
 * <pre>
 *   31                          9   8   7                   0
 *  +-----------------------------+---+---------------------+
 *  |             0               |PMD|       order         |
 *  +-----------------------------+---+---------------------+
 * </pre>
 */
public final class FolioOrder
{
    /** The PMD-mapped bit of a code. */
    public static final int PMD_BIT = 1 << 8;
    /** PMD-mapped order-9 THPs ({@code 9pmd}). */
    public static final int PMD_9 = HugeMemory.PMD_ORDER | PMD_BIT;
    /** The largest PTE-mapped order. */
    public static final int MAX_ORDER = 9;

    private FolioOrder()
    {
    }

    /** The folio order of {@code code}. */
    public static int order(final int code)
    {
        return code & 0xFF;
    }

    public static FolioMapping mapping(final int code)
    {
        return (code & PMD_BIT) != 0 ? FolioMapping.PMD : FolioMapping.PTE;
    }

    /** The command-line form: {@code 0}..{@code 9}, {@code 9pmd}. */
    public static String label(final int code)
    {
        return order(code) + ((code & PMD_BIT) != 0 ? "pmd" : "");
    }

    /** The report's column title, the thread's way: {@code order-9 (pte-map)}, {@code order-9 (pmd-map)}. */
    public static String column(final int code)
    {
        return "order-" + order(code) + " (" + mapping(code).jsonName() + "-map)";
    }

    /** The short row label: {@code order-9}, {@code order-9pmd}. */
    public static String name(final int code)
    {
        return "order-" + label(code);
    }

    /**
     * Parses {@code 0}..{@code 9} or {@code 9pmd}.
     *
     * @throws IllegalArgumentException naming the value otherwise
     */
    public static int parse(final String s)
    {
        final String t = s == null ? "" : s.trim();
        if (t.equals("9pmd"))
        {
            return PMD_9;
        }
        try
        {
            final int o = Integer.parseInt(t);
            if (o >= 0 && o <= MAX_ORDER)
            {
                return o;
            }
        }
        catch (final NumberFormatException e)
        {
            // falls through to the message below
        }
        throw new IllegalArgumentException(t.isEmpty() ? "an empty order" : t + " (each order must be 0..9 for PTE-mapped folios"
            + " of 4 KiB to 2 MiB, or 9pmd for PMD-mapped 2 MiB THPs)");
    }
}
