package io.forksim.snapshot;

import io.forksim.arch.Arch;
import io.forksim.arch.PmdOps;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.TableStore;
import io.forksim.snapshot.ParsedSnapshot.FileRec;
import io.forksim.snapshot.ParsedSnapshot.ProcRec;
import io.forksim.snapshot.ParsedSnapshot.VmaRec;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Checks that a fully parsed snapshot ({@link SnapshotReader#parse} with its big sections) describes a consistent
 * machine, before any part of one is built: the free lists walked through the saved memmap (flags, links, counts),
 * the zero page, the free table slots, the files and their page caches, each process's page-table tree down to its
 * PTE tables (every table page {@code PG_TABLE}, with a slot in use, linked once), its PMD leaves and the PTE tables
 * deposited for them ({@link SnapshotPmdChecks}), mm ids, VMAs, pins, the swap counts and the swap cache. A problem is one {@link SnapshotFormatException} of kind
 * {@link SnapshotFormatException.Kind#INCONSISTENT} naming the file and the offending value.
 */
final class SnapshotValidator
{
    private SnapshotValidator()
    {
    }

    /** Precondition: {@code p.bulkParsed}. */
    static void validate(final ParsedSnapshot p) throws SnapshotFormatException
    {
        if (!p.bulkParsed)
        {
            throw new IllegalStateException("snapshot " + p.file + " was parsed without its big sections");
        }
        final long nr = p.nrPages;
        // Allocator: the deferred max-order blocks (records still zero), then every free list through the saved memmap.
        final long deferred = p.deferredBlocks;
        if (deferred < 0 || deferred > p.freeBlocks[PhysMem.MAX_ORDER] || PhysMem.MAX_ORDER_NR_PAGES * (deferred + 1) > nr)
        {
            throw p.bad(deferred + " deferred max-order blocks do not fit " + p.freeBlocks[PhysMem.MAX_ORDER]
                + " free max-order blocks on " + nr + " pages");
        }
        for (long d = 1; d <= deferred; d++)
        {
            final long pfn = PhysMem.MAX_ORDER_NR_PAGES * d;
            if (p.flags(pfn) != 0 || p.refcount(pfn) != 0 || p.mapcount(pfn) != 0)
            {
                throw p.bad("deferred free block pfn " + pfn + " has a record (flags 0x" + Integer.toHexString(p.flags(pfn)) + ")");
            }
        }
        long pages = 0;
        for (int o = 0; o <= PhysMem.MAX_ORDER; o++)
        {
            final long linked = o == PhysMem.MAX_ORDER ? p.freeBlocks[o] - deferred : p.freeBlocks[o];
            long count = 0;
            long prev = PageDescriptor.NIL;
            long pfn = p.freeHead[o];
            while (pfn != PageDescriptor.NIL)
            {
                if (++count > linked)
                {
                    throw p.bad("free list of order " + o + " is longer than its count " + linked);
                }
                if (pfn <= 0 || pfn >= nr || (pfn & ((1L << o) - 1)) != 0 || pfn + (1L << o) > nr)
                {
                    throw p.bad("free list of order " + o + " links to pfn " + pfn + " (out of range or misaligned)");
                }
                if (p.flags(pfn) != (PageDescriptor.PG_BUDDY | o) || p.mapcount(pfn) != prev)
                {
                    throw p.bad("free list of order " + o + ": pfn " + pfn + " has flags 0x" + Integer.toHexString(p.flags(pfn))
                        + " and back link " + p.mapcount(pfn) + ", expected a free block of order " + o + " after " + prev);
                }
                prev = pfn;
                pfn = p.refcount(pfn);
            }
            if (count != linked)
            {
                throw p.bad("free list of order " + o + " has " + count + " blocks, its count says " + linked);
            }
            pages += p.freeBlocks[o] << o;
        }
        if (pages != p.freePages)
        {
            throw p.bad("free lists hold " + pages + " pages, the allocator's count says " + p.freePages);
        }
        if (p.flags(PhysMem.ZERO_PFN) != (PageDescriptor.PG_ZERO | PageDescriptor.PG_RESERVED))
        {
            throw p.bad("pfn 0 is not the zero page (flags 0x" + Integer.toHexString(p.flags(0)) + ")");
        }
        // Table slots.
        final BitSet freeSlot = new BitSet(p.highWater);
        for (final int s : p.freeSlots)
        {
            if (s < 0 || s >= p.highWater || freeSlot.get(s))
            {
                throw p.bad("free table slot " + s + " is out of range 0.." + (p.highWater - 1) + " or listed twice");
            }
            freeSlot.set(s);
        }
        // Files.
        final Map<Integer, FileRec> fileById = new HashMap<>();
        for (final FileRec f : p.files)
        {
            if (fileById.put(f.id(), f) != null || f.id() < 0 || f.id() >= p.counters.nextFileId())
            {
                throw p.bad("file id " + f.id() + " of " + f.name() + " is used twice or not below nextFileId " + p.counters.nextFileId());
            }
            for (int c = 0; c < f.pfn().length; c++)
            {
                if (f.index()[c] < 0 || f.index()[c] >= f.sizePages() || (c > 0 && f.index()[c] <= f.index()[c - 1]))
                {
                    throw p.bad("page cache of " + f.name() + ": page index " + f.index()[c] + " unordered or beyond " + f.sizePages());
                }
                if (f.pfn()[c] <= 0 || f.pfn()[c] >= nr || (p.flags(f.pfn()[c]) & PageDescriptor.PG_FILE) == 0)
                {
                    throw p.bad("page cache of " + f.name() + " holds pfn " + f.pfn()[c] + ", which is not a page-cache page");
                }
            }
        }
        // Processes and their page-table trees.
        final Arch arch = arch(p.config);
        final BitSet tableSeen = new BitSet();
        final int[] sortedFree = p.freeSlots.clone();
        Arrays.sort(sortedFree);
        final Set<Integer> ids = new HashSet<>();
        final PmdOps ops = PmdOps.of(arch);
        final Map<Long, Integer> pmdLeaves = new HashMap<>();
        for (final ProcRec pr : p.procs)
        {
            if (pr.id() < 1 || pr.id() > 65535 || !ids.add(pr.id()))
            {
                throw p.bad("mm id " + pr.id() + " is out of range 1..65535 or used twice");
            }
            long prevEnd = 0;
            for (final VmaRec v : pr.vmas())
            {
                if (v.start() < prevEnd || v.end() <= v.start() || v.end() > PageTables.TASK_SIZE
                    || ((v.start() | v.end()) & (Arch.PAGE_SIZE - 1)) != 0)
                {
                    throw p.bad(String.format("vma %x-%x of mm#%d is misaligned, empty, beyond TASK_SIZE or overlaps the previous one",
                        v.start(), v.end(), pr.id()));
                }
                if (v.fileId() != -1 && !fileById.containsKey(v.fileId()))
                {
                    throw p.bad(String.format("vma %x-%x of mm#%d maps file id %d, which is not saved", v.start(), v.end(), pr.id(), v.fileId()));
                }
                prevEnd = v.end();
            }
            checkTableTree(new Walk(p, arch, ops, pr, tableSeen, freeSlot, sortedFree, pmdLeaves), pr.pgd(), 0, 0);
            for (int c = 0; c < pr.pinPfn().length; c++)
            {
                if (pr.pinPfn()[c] <= 0 || pr.pinPfn()[c] >= nr || (pr.pinAddr()[c] & (Arch.PAGE_SIZE - 1)) != 0
                    || p.refcount(pr.pinPfn()[c] & -(1L << (p.flags(pr.pinPfn()[c]) & PageDescriptor.ORDER_MASK))) <= 0)
                {
                    throw p.bad(String.format("pin of mm#%d at 0x%x holds pfn %d, which is not an allocated page",
                        pr.id(), pr.pinAddr()[c], pr.pinPfn()[c]));
                }
            }
        }
        SnapshotPmdChecks.mapcounts(p, pmdLeaves);
        // Swap device.
        // a slot is in use while it has a count or a swap-cache folio (SWAP_HAS_CACHE only)
        final long[] used = {0};
        p.swapCounts.forEachNonZero(at ->
        {
            if (at != 0)
            {
                used[0]++;
            }
        });
        p.swapCache.forEachNonZero(at ->
        {
            if (at != 0 && p.swapCounts.getInt(at / 8 * 4) == 0)
            {
                used[0]++;
            }
        });
        if (p.swapCounts.getInt(0) != 0 || used[0] != p.swapUsed)
        {
            throw p.bad(used[0] + " swap slots have a count or a swap-cache folio (slot 0: " + p.swapCounts.getInt(0)
                + "), the device's count says " + p.swapUsed);
        }
        final String[] cacheProblem = {null};
        p.swapCache.forEachNonZero(at ->
        {
            final long pfn = p.swapCache.get(at, 8) - 1;
            if (cacheProblem[0] == null && (at == 0 || pfn <= 0 || pfn >= nr || (p.flags(pfn) & PageDescriptor.PG_SWAPCACHE) == 0))
            {
                cacheProblem[0] = "swap slot " + (at / 8) + " caches pfn " + pfn + ", which is not a swap-cache page";
            }
        });
        if (cacheProblem[0] != null)
        {
            throw p.bad(cacheProblem[0]);
        }
    }

    /** The arch of {@code config}, to read its table entries. */
    private static Arch arch(final Machine.Config config)
    {
        return config.arch().create(config.tlbiRange(), null);
    }

    /** What one process's table walk needs besides the parsed file. */
    private record Walk(ParsedSnapshot p, Arch arch, PmdOps ops, ProcRec pr, BitSet seen, BitSet freeSlot, int[] sortedFree,
        Map<Long, Integer> pmdLeaves)
    {
    }

    /**
     * Checks the table page {@code pfn} at {@code level} (0 = PGD), mapping from {@code va}, and, above the PTE level,
     * the tables it links; a level-2 table's entries may be PMD leaves, and its deposit list is checked.
     */
    private static void checkTableTree(final Walk w, final long pfn, final int level, final long va) throws SnapshotFormatException
    {
        final ParsedSnapshot p = w.p;
        final int slot = checkTablePage(w, pfn, "level-" + level + " table");
        if (level == 3)
        {
            return;
        }
        final long base = tableBase(w, slot);
        final int shift = level == 0 ? PageTables.PGDIR_SHIFT : level == 1 ? PageTables.PUD_SHIFT : PageTables.PMD_SHIFT;
        int leaves = 0;
        for (int i = 0; i < TableStore.ENTRIES; i++)
        {
            final long e = p.store.readLong(base + (long)Long.BYTES * i);
            if (e == 0)
            {
                continue;
            }
            final long a = va | ((long)i << shift);
            if (level == 2 && w.ops.pmdTransHuge(e))
            {
                SnapshotPmdChecks.leaf(p, w.ops, w.pr, pfn, i, e, a, w.pmdLeaves);
                leaves++;
                continue;
            }
            if (!w.arch.tableEntryPresent(e))
            {
                throw p.bad(String.format("mm#%d: entry %d of the level-%d table at pfn %d is 0x%x, not a table entry%s",
                    w.pr.id(), i, level, pfn, e, level == 2 ? " nor a PMD leaf" : ""));
            }
            checkTableTree(w, w.arch.tableEntryPfn(e), level + 1, a);
        }
        if (level == 2)
        {
            checkDeposits(w, pfn, leaves);
        }
    }

    /**
     * The deposit list of the PMD table at {@code pmdTable} (aux slots: 1 + PFN of the next table, 0 = end): exactly
     * {@code leaves} tables, each a table page with a slot in use, linked nowhere else, all 512 entries none.
     */
    private static void checkDeposits(final Walk w, final long pmdTable, final int leaves) throws SnapshotFormatException
    {
        final ParsedSnapshot p = w.p;
        int n = 0;
        for (long link = p.aux(pmdTable); link != 0; )
        {
            final long d = link - 1;
            final int slot = checkTablePage(w, d, "PMD table at pfn " + pmdTable + ": deposited PTE table");
            final long base = tableBase(w, slot);
            for (int i = 0; i < TableStore.ENTRIES; i++)
            {
                final long e = p.store.readLong(base + (long)Long.BYTES * i);
                if (e != 0)
                {
                    throw p.bad(String.format("mm#%d: PMD table at pfn %d: deposited PTE table at pfn %d is not empty"
                        + " (entry %d is 0x%x)", w.pr.id(), pmdTable, d, i, e));
                }
            }
            n++;
            link = p.aux(d);
        }
        if (n != leaves)
        {
            throw p.bad("mm#" + w.pr.id() + ": PMD table at pfn " + pmdTable + " holds " + leaves + " PMD leaves but "
                + n + " deposited PTE tables");
        }
    }

    /**
     * Checks that {@code pfn} ({@code role}, for the message) is a page-table page with a slot in use that no table
     * walked so far linked, and marks it seen. @return its slot
     */
    private static int checkTablePage(final Walk w, final long pfn, final String role) throws SnapshotFormatException
    {
        final ParsedSnapshot p = w.p;
        if (pfn <= 0 || pfn >= p.nrPages || (p.flags(pfn) & PageDescriptor.PG_TABLE) == 0)
        {
            throw p.bad("mm#" + w.pr.id() + ": " + role + " at pfn " + pfn + " is not a page-table page"
                + (pfn > 0 && pfn < p.nrPages ? " (flags 0x" + Integer.toHexString(p.flags(pfn)) + ")" : ""));
        }
        final int slot = p.mapcount(pfn);
        if (slot < 0 || slot >= p.highWater || w.freeSlot.get(slot))
        {
            throw p.bad("mm#" + w.pr.id() + ": " + role + " at pfn " + pfn + " uses slot " + slot
                + ", which is free or beyond the high-water mark " + p.highWater);
        }
        if (w.seen.get((int)pfn))
        {
            throw p.bad("mm#" + w.pr.id() + ": " + role + " at pfn " + pfn + " is linked twice");
        }
        w.seen.set((int)pfn);
        return slot;
    }

    /** File offset of the table page of the used slot {@code slot}: its rank among the used slots, in the tables section. */
    private static long tableBase(final Walk w, final int slot)
    {
        int freeBelow = Arrays.binarySearch(w.sortedFree, slot);
        freeBelow = freeBelow < 0 ? -freeBelow - 1 : freeBelow;
        return w.p.tablesData + (long)(slot - freeBelow) * TableStore.TABLE_BYTES;
    }
}
