package io.forksim.check;

import io.forksim.mm.Machine;

import java.util.ArrayList;
import java.util.List;

/**
 * The invariant checks of {@code --verify}: violations as lines (empty = all hold):
 * {@link InvariantChecker#violations} (page tables reachable, refcounts and mapcounts equal to the mappings,
 * MM-id slots, AnonExclusive, RSS, allocator accounting, and on arm64 the contpte block invariants: every live
 * process).
 */
public final class Verifier
{
    private Verifier()
    {
    }

    /** Every violation found on {@code machine} (all live processes). */
    public static List<String> invariants(final Machine machine)
    {
        return new ArrayList<>(InvariantChecker.violations(machine));
    }
}
