package io.forksim.fork;

import io.forksim.arch.ArchVariant;

import java.util.Locale;

/**
 * A row of the thread's table, as {@code --strategy} names it: one of the three copy strategies, or
 * {@code contpte-basic}, which is {@link Strategy#FOLIO_BATCH} on the {@link ArchVariant#ARM64_CONTPTE_BASIC arm64
 * contpte-basic} arch variant. {@link #strategy()} is what {@link Fork#fork} runs, {@link #variant} the machine it
 * runs on.
 */
public enum StrategyChoice
{
    LEGACY(Strategy.LEGACY, "legacy"),
    ARCH_BATCH(Strategy.ARCH_BATCH, "arch-batch"),
    FOLIO_BATCH(Strategy.FOLIO_BATCH, "folio-batch"),
    /** folio-batch on arm64's first, functional-only contpte backend (per-PTE unfold, per-entry refold). */
    CONTPTE_BASIC(Strategy.FOLIO_BATCH, "contpte-basic");

    private final Strategy strategy;
    private final String cliName;

    StrategyChoice(final Strategy strategy, final String cliName)
    {
        this.strategy = strategy;
        this.cliName = cliName;
    }

    /** The copy strategy {@link Fork#fork} runs for this row. */
    public Strategy strategy()
    {
        return strategy;
    }

    public String cliName()
    {
        return cliName;
    }

    /** Whether this row needs the contpte-basic arch variant (arm64 only). */
    public boolean contpteBasic()
    {
        return this == CONTPTE_BASIC;
    }

    /**
     * The arch variant this row runs on for arch {@code arch} ({@code x86_64} or {@code arm64}).
     *
     * @throws IllegalArgumentException naming the value: an unknown arch, or contpte-basic on x86_64
     */
    public ArchVariant variant(final String arch)
    {
        return ArchVariant.of(arch, contpteBasic());
    }

    /** The row of copy strategy {@code s} on a machine of variant {@code v} (contpte-basic for that variant). */
    public static StrategyChoice of(final Strategy s, final ArchVariant v)
    {
        if (v.contpteBasic())
        {
            return CONTPTE_BASIC;
        }
        return switch (s)
        {
            case LEGACY -> LEGACY;
            case ARCH_BATCH -> ARCH_BATCH;
            case FOLIO_BATCH -> FOLIO_BATCH;
        };
    }

    /**
     * The row named {@code s} (legacy, arch-batch, folio-batch or contpte-basic; any case, blanks around ignored).
     *
     * @throws IllegalArgumentException naming the value if it is none of them
     */
    public static StrategyChoice parse(final String s)
    {
        if (s == null)
        {
            throw new IllegalArgumentException("unknown strategy: null (expected legacy, arch-batch, folio-batch or contpte-basic)");
        }
        final String k = s.trim().toLowerCase(Locale.ROOT);
        for (final StrategyChoice c : values())
        {
            if (c.cliName.equals(k))
            {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown strategy: " + s + " (expected legacy, arch-batch, folio-batch or contpte-basic)");
    }
}
