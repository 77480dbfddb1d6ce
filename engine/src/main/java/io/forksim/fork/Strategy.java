package io.forksim.fork;

import java.util.Locale;

/**
 * How fork() copies present PTEs. All strategies produce identical page tables and folio metadata. The arch
 * variant a fork runs on (contpte-basic, say) is the machine's ({@code io.forksim.arch.ArchVariant}), not a
 * strategy; {@link StrategyChoice} pairs the two for the thread's table.
 */
public enum Strategy
{
    /** One PTE at a time, as before batching (Linux 6.8 copy_pte_range). */
    LEGACY("legacy"),
    /** The seed patch (Ryan Roberts, v4 02/16, Dec 2023): batch length from the arch's pte_batch_remaining. */
    ARCH_BATCH("arch-batch"),
    /** What Linux merged (6.9, as in 6.18): folio_pte_batch with pte_batch_hint, for large folios only. */
    FOLIO_BATCH("folio-batch");

    private final String cliName;

    Strategy(final String cliName)
    {
        this.cliName = cliName;
    }

    public String cliName()
    {
        return cliName;
    }

    /**
     * The strategy named {@code s} (legacy, arch-batch or folio-batch; any case, blanks around ignored).
     *
     * @throws IllegalArgumentException naming the value if it is none of them
     */
    public static Strategy parse(final String s)
    {
        if (s == null)
        {
            throw new IllegalArgumentException("unknown strategy: null (expected legacy, arch-batch or folio-batch)");
        }
        final String k = s.trim().toLowerCase(Locale.ROOT);
        for (final Strategy st : values())
        {
            if (st.cliName.equals(k))
            {
                return st;
            }
        }
        throw new IllegalArgumentException("unknown strategy: " + s + " (expected legacy, arch-batch or folio-batch)");
    }
}
