package io.forksim.check;

import io.forksim.fork.StrategyChoice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cross-strategy check of {@code forksim fork --verify}: the {@link MachineImage#ofFork fork images} of one
 * (arch, order), one per strategy, compared with each other.
 *
 * <p>Two images are comparable when they were taken from machines that built the parent the same way (same arch,
 * RAM, size and order): the buddy then hands out the same PFNs. On arm64, legacy (per-PTE) and the batched
 * strategies may legitimately differ in PTE_CONT only.
 */
public final class Compare
{
    private Compare()
    {
    }

    /**
     * Every strategy against legacy (or, without legacy, the first one), CONT masked on arm64; and arch-batch against
     * folio-batch exactly (both keep the parent's blocks and write whole blocks in the child). contpte-basic is
     * compared against legacy with CONT masked only: its parent ends up unfolded, like legacy's.
     *
     * @return the differences, one line each (empty = all agree)
     */
    public static List<String> crossCheck(final String what, final Map<StrategyChoice, MachineImage> images, final boolean contpte)
    {
        final List<String> out = new ArrayList<>();
        if (images.isEmpty())
        {
            return out;
        }
        final StrategyChoice refKey = images.containsKey(StrategyChoice.LEGACY) ? StrategyChoice.LEGACY : images.keySet().iterator().next();
        final MachineImage ref = images.get(refKey);
        for (final Map.Entry<StrategyChoice, MachineImage> e : images.entrySet())
        {
            if (e.getKey() == refKey)
            {
                continue;
            }
            out.addAll(ref.diff(what + " " + e.getKey().cliName() + " vs " + refKey.cliName() + (contpte ? " (CONT masked)" : ""),
                e.getValue(), contpte));
        }
        if (contpte && images.containsKey(StrategyChoice.ARCH_BATCH) && images.containsKey(StrategyChoice.FOLIO_BATCH))
        {
            out.addAll(images.get(StrategyChoice.ARCH_BATCH).diff(what + " folio-batch vs arch-batch (exact)",
                images.get(StrategyChoice.FOLIO_BATCH), false));
        }
        return out;
    }
}
