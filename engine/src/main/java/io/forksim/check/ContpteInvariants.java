package io.forksim.check;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.pte.Arm64Pte;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The arm64 contpte block invariants of one PTE table (what {@code io.forksim.arch.Contpte} maintains).
 * {@link InvariantChecker} runs them on every PTE table of an arm64 machine.
 */
public final class ContpteInvariants
{
    private static final int CONT_PTES = Arm64Pte.CONT_PTES;
    private static final int CONT_MASK = CONT_PTES - 1;

    private ContpteInvariants()
    {
    }

    /**
     * Checks the contpte invariants of one PTE table: every valid entry with CONT belongs to a block whose
     * 16 entries are all valid with CONT, map 16 consecutive PFNs starting at a multiple of 16, are identical
     * apart from AF and dirty ({@code pte_mkold(pte_mkclean())} of entry i equals that of entry 0 advanced by
     * i PFNs), and, unless special, lie inside one folio of {@code memmap} (skipped if {@code memmap} is null).
     * Only valid entries are candidates, as for every contpte decision ({@code pte_valid_cont}): bit 52 is a
     * swap-offset bit in swap entries, and a PROT_NONE run that {@code contpte_set_ptes} marked CONT is invisible
     * to the MMU and is legitimately cleared entry by entry without an unfold. Reads without counting.
     *
     * @return one message per violating block, empty if the table is consistent
     */
    public static List<String> check(final MemorySegment t, final long base, final MemMap memmap)
    {
        List<String> errors = null;
        for (int start = 0; start < Arch.PTRS_PER_TABLE; start += CONT_PTES)
        {
            int contCount = 0;
            for (int i = 0; i < CONT_PTES; i++)
            {
                final long p = Arch.peek(t, base, start + i);
                if (Arm64Pte.pteValidCont(p))
                {
                    contCount++;
                }
            }
            if (contCount == 0)
            {
                continue;
            }
            final String why = checkContBlock(t, base, start, contCount, memmap);
            if (why != null)
            {
                if (errors == null)
                {
                    errors = new ArrayList<>();
                }
                errors.add("contpte block at slots " + start + ".." + (start + CONT_PTES - 1) + ": " + why);
            }
        }
        return errors == null ? List.of() : errors;
    }

    private static String checkContBlock(final MemorySegment t, final long base, final int start, final int contCount, final MemMap memmap)
    {
        if (contCount != CONT_PTES)
        {
            final StringBuilder sb = new StringBuilder("half-CONT block, valid+CONT on ").append(contCount).append(" of 16 entries; the others:");
            for (int i = 0; i < CONT_PTES; i++)
            {
                final long p = Arch.peek(t, base, start + i);
                if (!Arm64Pte.pteValidCont(p))
                {
                    sb.append(' ').append(start + i).append("=0x").append(Long.toHexString(p));
                }
            }
            return sb.toString();
        }
        final long first = Arch.peek(t, base, start);
        final long pfn0 = Arm64Pte.ptePfn(first);
        if ((pfn0 & CONT_MASK) != 0)
        {
            return "first PFN " + pfn0 + " is not a multiple of 16";
        }
        final long norm0 = Arm64Pte.pteMkold(Arm64Pte.pteMkclean(first));
        for (int i = 1; i < CONT_PTES; i++)
        {
            final long p = Arch.peek(t, base, start + i);
            if (Arm64Pte.ptePfn(p) != pfn0 + i)
            {
                return "slot " + (start + i) + " maps PFN " + Arm64Pte.ptePfn(p) + ", expected " + (pfn0 + i);
            }
            final long norm = Arm64Pte.pteMkold(Arm64Pte.pteMkclean(p));
            if (norm != norm0 + ((long)i << Arch.PAGE_SHIFT))
            {
                return "slot " + (start + i) + " bits 0x" + Long.toHexString(Arm64Pte.ptePgprot(norm))
                    + " differ from slot " + start + " bits 0x" + Long.toHexString(Arm64Pte.ptePgprot(norm0))
                    + " beyond AF/dirty";
            }
        }
        if (memmap != null && !Arm64Pte.pteSpecial(first))
        {
            if (pfn0 + CONT_PTES > memmap.nrPages())
            {
                return "PFNs " + pfn0 + ".." + (pfn0 + CONT_PTES - 1) + " run past the memmap (" + memmap.nrPages() + " pages)";
            }
            final long head = memmap.folioHead(pfn0);
            for (int i = 1; i < CONT_PTES; i++)
            {
                if (memmap.folioHead(pfn0 + i) != head)
                {
                    return "PFN " + (pfn0 + i) + " is in folio " + memmap.folioHead(pfn0 + i) + ", PFN " + pfn0 + " in folio " + head;
                }
            }
            if (memmap.folioNrPages(pfn0) < CONT_PTES)
            {
                return "folio " + head + " has " + memmap.folioNrPages(pfn0) + " pages, fewer than a block";
            }
        }
        return null;
    }
}
