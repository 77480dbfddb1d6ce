package io.forksim.check;

import io.forksim.arch.Arm64;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;

import java.util.ArrayList;
import java.util.List;

/**
 * The invariant checks of {@code --verify}: violations as lines (empty = all hold):
 * {@link InvariantChecker#violations} (page tables reachable, refcounts and mapcounts equal to the mappings,
 * MM-id slots, AnonExclusive, RSS, allocator accounting: every live process), and on arm64 the contpte block
 * invariants of every PTE table of every live process ({@link Arm64#checkContInvariants}).
 */
public final class Verifier
{
    private Verifier()
    {
    }

    /** Every violation found on {@code machine} (all live processes). */
    public static List<String> invariants(final Machine machine)
    {
        final List<String> out = new ArrayList<>(InvariantChecker.violations(machine));
        if (machine.arch() instanceof Arm64)
        {
            final PageTables pt = machine.pageTables();
            for (final Mm mm : machine.processes())
            {
                if (mm.exited())
                {
                    continue;
                }
                for (final Vma vma : mm.vmas())
                {
                    pt.forEachPteTable(mm.pgd(), vma.start(), vma.end(), (table, va) ->
                    {
                        for (final String e : Arm64.checkContInvariants(pt.segment(table), pt.base(table), machine.memmap()))
                        {
                            out.add(mm + " table at 0x" + Long.toHexString(va) + ": " + e);
                        }
                    });
                }
            }
        }
        return out;
    }
}
