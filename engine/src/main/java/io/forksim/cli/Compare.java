package io.forksim.cli;

import io.forksim.arch.Arch;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.TableStore;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The differential comparator of {@code --verify}: what a fork left behind under one strategy, compared with
 * what it left under another.
 *
 * <p>An {@link Image} holds, for a VA range: every PTE word of the parent and of the child (raw 64-bit entries,
 * none = 0, in VA order), and the metadata of every page of the folios the parent maps (flags, refcount,
 * mapcount, aux and PageAnonExclusive, per PFN). Table PFNs are not compared (each child gets its own table
 * pages), and the child's MM id is normalised: it differs between two forks, so in the MM-id slots of a large
 * folio the parent's id is replaced by {@link #PARENT_ID} and the child's by {@link #CHILD_ID}.
 *
 * <p>Two images are comparable when they were taken from machines that built the parent the same way (same
 * arch, RAM, size and order): the buddy then hands out the same PFNs. On arm64, legacy (per-PTE) and the
 * batched strategies may legitimately differ in PTE_CONT only: {@link #diff} can mask it.
 */
public final class Compare
{
    public static final int PARENT_ID = 0xFFFE;
    public static final int CHILD_ID = 0xFFFD;
    /** Mismatches listed per comparison before "... and N more". */
    static final int MAX_LISTED = 8;

    private Compare()
    {
    }

    /**
     * What a fork left behind, for one strategy.
     *
     * @param start      first VA
     * @param parentPtes PTE words of the parent, one per page from {@code start}
     * @param childPtes  PTE words of the child
     * @param pfns       PFN runs [pfns[2i], pfns[2i+1]) of the folios the parent maps, ascending
     * @param meta       per page of those runs, in order: flags, refcount, mapcount, aux (normalised), PAE (0/1)
     */
    public record Image(Arch arch, long start, long[] parentPtes, long[] childPtes, long[] pfns, int[] meta)
    {
    }

    static final int META_INTS = 5;

    /** Captures the parent's and child's PTEs over {@code [start, end)} and the metadata of the parent's folios. */
    public static Image capture(final Machine machine, final Mm parent, final Mm child, final long start, final long end)
    {
        final Arch arch = machine.arch();
        final long[] p = ptes(machine, parent, start, end);
        final long[] c = ptes(machine, child, start, end);
        final MemMap memmap = machine.memmap();
        // folio runs of the parent, in VA order, merged when adjacent
        final List<long[]> runs = new ArrayList<>();
        for (final long pte : p)
        {
            if (pte == 0 || !arch.ptePresent(pte) || arch.pteSpecial(pte))
            {
                continue;
            }
            final long pfn = arch.ptePfn(pte);
            final long head = memmap.folioHead(pfn);
            final long tail = head + memmap.folioNrPages(head);
            final long[] last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && head >= last[0] && tail <= last[1])
            {
                continue;
            }
            if (last != null && head == last[1])
            {
                last[1] = tail;
            }
            else
            {
                runs.add(new long[] {head, tail});
            }
        }
        runs.sort((a, b) -> Long.compare(a[0], b[0]));
        final List<long[]> merged = new ArrayList<>();
        for (final long[] r : runs)
        {
            final long[] last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && r[0] <= last[1])
            {
                last[1] = Math.max(last[1], r[1]);
            }
            else
            {
                merged.add(r.clone());
            }
        }
        long pages = 0;
        for (final long[] r : merged)
        {
            pages += r[1] - r[0];
        }
        final long[] pfns = new long[merged.size() * 2];
        final int[] meta = new int[Math.toIntExact(pages * META_INTS)];
        int at = 0;
        for (int i = 0; i < merged.size(); i++)
        {
            pfns[2 * i] = merged.get(i)[0];
            pfns[2 * i + 1] = merged.get(i)[1];
            for (long pfn = merged.get(i)[0]; pfn < merged.get(i)[1]; pfn++)
            {
                final int flags = memmap.flags(pfn);
                int aux = memmap.aux(pfn);
                final int order = flags & PageDescriptor.ORDER_MASK;
                if (order != 0 && pfn == (pfn & -(1L << order)) + 1)
                {
                    aux = normaliseMmIds(aux, parent.id(), child.id());
                }
                meta[at++] = flags;
                meta[at++] = memmap.rawRefcount(pfn);
                meta[at++] = memmap.rawMapcount(pfn);
                meta[at++] = aux;
                meta[at++] = memmap.testAnonExclusive(pfn) ? 1 : 0;
            }
        }
        return new Image(arch, start, p, c, pfns, meta);
    }

    private static int normaliseMmIds(final int ids, final int parentId, final int childId)
    {
        final int id0 = ids & 0xFFFF;
        final int id1 = ids >>> 16;
        return mapId(id0, parentId, childId) | (mapId(id1, parentId, childId) << 16);
    }

    private static int mapId(final int id, final int parentId, final int childId)
    {
        return id == 0 ? 0 : id == parentId ? PARENT_ID : id == childId ? CHILD_ID : id;
    }

    /** Every PTE word of {@code mm} over {@code [start, end)} (start and end page aligned), none where no table. */
    public static long[] ptes(final Machine machine, final Mm mm, final long start, final long end)
    {
        final PageTables pt = machine.pageTables();
        final long[] out = new long[Math.toIntExact((end - start) >>> Arch.PAGE_SHIFT)];
        pt.forEachPteTable(mm.pgd(), start, end, (table, tableVa) ->
        {
            final MemorySegment seg = pt.segment(table);
            final long base = pt.base(table);
            for (int i = 0; i < TableStore.ENTRIES; i++)
            {
                final long va = tableVa + ((long)i << Arch.PAGE_SHIFT);
                if (va >= start && va < end)
                {
                    out[(int)((va - start) >>> Arch.PAGE_SHIFT)] = Arch.peek(seg, base, i);
                }
            }
        });
        return out;
    }

    /**
     * Differences between two images, as lines (empty = identical). With {@code maskCont} the arm64 contiguous
     * bit of present entries is ignored.
     */
    public static List<String> diff(final String what, final Image ref, final Image other, final boolean maskCont)
    {
        final List<String> out = new ArrayList<>();
        final long[] count = {0};
        diffPtes(what + " parent", ref, ref.parentPtes(), other.parentPtes(), maskCont, out, count);
        diffPtes(what + " child", ref, ref.childPtes(), other.childPtes(), maskCont, out, count);
        if (!java.util.Arrays.equals(ref.pfns(), other.pfns()))
        {
            out.add(what + ": the parents map different folio PFN runs (" + ref.pfns().length / 2 + " vs "
                + other.pfns().length / 2 + " runs): the two machines did not build the same parent");
            return out;
        }
        final String[] field = {"flags", "refcount", "mapcount", "aux", "PageAnonExclusive"};
        int at = 0;
        for (int r = 0; r < ref.pfns().length; r += 2)
        {
            for (long pfn = ref.pfns()[r]; pfn < ref.pfns()[r + 1]; pfn++)
            {
                for (int f = 0; f < META_INTS; f++, at++)
                {
                    if (ref.meta()[at] != other.meta()[at])
                    {
                        if (++count[0] <= MAX_LISTED)
                        {
                            out.add(String.format(Locale.ROOT, "%s folio metadata: pfn %d %s %d vs %d", what, pfn, field[f],
                                ref.meta()[at], other.meta()[at]));
                        }
                    }
                }
            }
        }
        if (count[0] > MAX_LISTED)
        {
            out.add(what + ": ... " + (count[0] - MAX_LISTED) + " more differences");
        }
        return out;
    }

    private static void diffPtes(final String what, final Image ref, final long[] a, final long[] b, final boolean maskCont,
        final List<String> out, final long[] count)
    {
        final Arch arch = ref.arch();
        for (int i = 0; i < a.length; i++)
        {
            long x = a[i];
            long y = b[i];
            if (maskCont)
            {
                x = x != 0 && arch.ptePresent(x) ? arch.pteMknoncont(x) : x;
                y = y != 0 && arch.ptePresent(y) ? arch.pteMknoncont(y) : y;
            }
            if (x != y && ++count[0] <= MAX_LISTED)
            {
                out.add(String.format(Locale.ROOT, "%s PTE at 0x%x: 0x%016x vs 0x%016x", what,
                    ref.start() + ((long)i << Arch.PAGE_SHIFT), a[i], b[i]));
            }
        }
    }

    /**
     * The cross-strategy check of one (arch, order): every strategy against legacy (or, without legacy, the first
     * one), CONT masked on arm64; and arch-batch against folio-batch exactly (both keep the parent's blocks and
     * write whole blocks in the child). contpte-basic is compared against legacy with CONT masked only: its
     * parent ends up unfolded, like legacy's.
     */
    public static List<String> crossCheck(final String what, final Map<Strategy, Image> images, final boolean contpte)
    {
        final List<String> out = new ArrayList<>();
        if (images.isEmpty())
        {
            return out;
        }
        final Strategy refKey = images.containsKey(Strategy.LEGACY) ? Strategy.LEGACY : images.keySet().iterator().next();
        final Image ref = images.get(refKey);
        for (final Map.Entry<Strategy, Image> e : images.entrySet())
        {
            if (e.getKey() == refKey)
            {
                continue;
            }
            out.addAll(diff(what + " " + e.getKey().cliName() + " vs " + refKey.cliName() + (contpte ? " (CONT masked)" : ""),
                ref, e.getValue(), contpte));
        }
        if (contpte && images.containsKey(Strategy.ARCH_BATCH) && images.containsKey(Strategy.FOLIO_BATCH))
        {
            out.addAll(diff(what + " folio-batch vs arch-batch (exact)", images.get(Strategy.ARCH_BATCH),
                images.get(Strategy.FOLIO_BATCH), false));
        }
        return out;
    }
}
