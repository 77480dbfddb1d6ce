package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.TableStore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The state fork() changes in a parent, captured once and put back between benchmark iterations: the
 * entries of the parent's PTE tables (write-protection, arm64 CONT folds) and of its PMD tables that hold PMD
 * leaves (write-protection of PMD-mapped THPs), and the memmap of every folio it maps (records with refcounts, mapcounts and MM-ID slots; PageAnonExclusive bytes).
 *
 * <p>This is what a kernel benchmark gets by mapping and populating fresh memory per iteration, at the
 * cost of one {@code MemorySegment.copy} per table and two per folio run (records, PageAnonExclusive bytes)
 * instead of a populate.
 *
 * <p>Precondition of {@link #restore()}: every process forked from the parent since {@link #capture} has
 * exited, and the parent's VMAs and mappings were not changed by anything but fork. Then restoring is
 * exact: the restored machine equals the captured one apart from which free pages the buddy hands out next.
 */
public final class ProcessCheckpoint implements AutoCloseable
{
    private final Mm mm;
    private final Arena arena = Arena.ofConfined();
    private final long[] tablePfns;
    private final MemorySegment tableCopy;
    /** Folio PFN runs [start, end) in ascending order, merged. */
    private final long[] runStart;
    private final long[] runEnd;
    private final MemorySegment recordCopy;
    /** The PageAnonExclusive bytes of the runs, back to back as {@link #recordCopy}'s records. */
    private final MemorySegment paeCopy;

    private ProcessCheckpoint(final Mm mm, final long[] tablePfns, final long[] runStart, final long[] runEnd)
    {
        this.mm = mm;
        this.tablePfns = tablePfns;
        this.runStart = runStart;
        this.runEnd = runEnd;
        final Machine machine = mm.machine();
        final PageTables pt = machine.pageTables();
        final MemMap memmap = machine.memmap();
        tableCopy = arena.allocate(Math.max(1, (long)tablePfns.length * TableStore.TABLE_BYTES), TableStore.TABLE_BYTES);
        for (int i = 0; i < tablePfns.length; i++)
        {
            MemorySegment.copy(pt.segment(tablePfns[i]), pt.base(tablePfns[i]), tableCopy, (long)i * TableStore.TABLE_BYTES,
                TableStore.TABLE_BYTES);
        }
        long pages = 0;
        for (int r = 0; r < runStart.length; r++)
        {
            pages += runEnd[r] - runStart[r];
        }
        recordCopy = arena.allocate(Math.max(1, pages * PageDescriptor.RECORD_LENGTH), 8);
        paeCopy = arena.allocate(Math.max(1, pages * PageDescriptor.ANON_EXCLUSIVE_LENGTH), 8);
        long at = 0;
        for (int r = 0; r < runStart.length; r++)
        {
            final long n = runEnd[r] - runStart[r];
            MemorySegment.copy(memmap.records(), PageDescriptor.recordOffset(runStart[r]), recordCopy,
                at * PageDescriptor.RECORD_LENGTH, n * PageDescriptor.RECORD_LENGTH);
            MemorySegment.copy(memmap.anonExclusive(), PageDescriptor.anonExclusiveOffset(runStart[r]), paeCopy,
                at * PageDescriptor.ANON_EXCLUSIVE_LENGTH, n * PageDescriptor.ANON_EXCLUSIVE_LENGTH);
            at += n;
        }
    }

    /** Captures {@code mm}'s PTE tables and the memmap of the folios it maps. */
    public static ProcessCheckpoint capture(final Mm mm)
    {
        mm.checkAlive();
        final Machine machine = mm.machine();
        final Arch arch = machine.arch();
        final PageTables pt = machine.pageTables();
        final MemMap memmap = machine.memmap();
        final List<Long> tables = new ArrayList<>();
        final List<long[]> runs = new ArrayList<>();
        final long[] open = {-1, -1};
        for (final Vma vma : mm.vmas())
        {
            pt.forEachPteTable(mm.pgd(), vma.start(), vma.end(), (table, va) ->
            {
                if (tables.isEmpty() || tables.get(tables.size() - 1) != table)
                {
                    tables.add(table);
                }
                final MemorySegment seg = pt.segment(table);
                final long base = pt.base(table);
                for (int i = 0; i < TableStore.ENTRIES; i++)
                {
                    final long pte = Arch.peek(seg, base, i);
                    if (!arch.ptePresent(pte) || arch.pteSpecial(pte))
                    {
                        continue;
                    }
                    final long pfn = arch.ptePfn(pte);
                    final long head = memmap.folioHead(pfn);
                    final long end = head + memmap.folioNrPages(head);
                    if (open[0] >= 0 && head >= open[0] && end <= open[1])
                    {
                        continue;
                    }
                    if (open[0] >= 0 && head == open[1])
                    {
                        open[1] = end;
                        continue;
                    }
                    if (open[0] >= 0)
                    {
                        runs.add(open.clone());
                    }
                    open[0] = head;
                    open[1] = end;
                }
            });
        }
        if (open[0] >= 0)
        {
            runs.add(open.clone());
        }
        // PMD-mapped THPs: fork write-protects the leaf and clears the head's PageAnonExclusive
        for (final Vma vma : mm.vmas())
        {
            io.forksim.pgtable.PmdLeaves.forEach(pt, io.forksim.arch.PmdOps.of(arch), mm.pgd(), vma.start(), vma.end(),
                (pmdTable, idx, pmd, haddr) ->
                {
                    if (!tables.contains(pmdTable))
                    {
                        tables.add(pmdTable);
                    }
                    final long head = io.forksim.arch.PmdOps.of(arch).pmdPfn(pmd);
                    runs.add(new long[] {head, head + HugeMemory.HPAGE_PMD_NR});
                });
        }
        runs.sort((a, b) -> Long.compare(a[0], b[0]));
        final List<long[]> merged = new ArrayList<>();
        for (final long[] r : runs)
        {
            if (!merged.isEmpty() && r[0] <= merged.get(merged.size() - 1)[1])
            {
                final long[] last = merged.get(merged.size() - 1);
                last[1] = Math.max(last[1], r[1]);
            }
            else
            {
                merged.add(r.clone());
            }
        }
        final long[] starts = new long[merged.size()];
        final long[] ends = new long[merged.size()];
        for (int i = 0; i < merged.size(); i++)
        {
            starts[i] = merged.get(i)[0];
            ends[i] = merged.get(i)[1];
        }
        return new ProcessCheckpoint(mm, tables.stream().mapToLong(Long::longValue).toArray(), starts, ends);
    }

    /** Puts the captured tables and folio metadata back. See the class precondition. */
    public void restore()
    {
        restore(true, false);
    }

    /**
     * {@link #restore()} for the benchmark cycle "fork, the child exits, restore": puts back the parent's PTE tables
     * and PageAnonExclusive bytes, and leaves the folio records to the child's exit. For a parent that nothing but
     * fork changed, the exit is the exact inverse of the fork on every record (refcount and mapcount back, the
     * child's MM-ID slot freed, the shared bit cleared again once one slot accounts for every mapping), so
     * copying 16 bytes per page back would only rewrite identical bytes.
     *
     * <p>{@code verify} compares the records with the checkpoint first ({@link MemorySegment#mismatch}, no
     * copy): if they differ, they are copied back as {@link #restore()} does and the call returns {@code false},
     * so a caller that verifies every so often learns that its workload broke the precondition, and the restored
     * state stays exact either way.
     *
     * <p>Precondition: as {@link #restore()}; without {@code verify}, also that every process forked since
     * {@link #capture} exited through {@link Mm#exit()}.
     *
     * @return {@code false} if {@code verify} found the records changed (they were restored), else {@code true}
     */
    public boolean restoreAfterChildExit(final boolean verify)
    {
        return restore(false, verify);
    }

    /**
     * Tables and PageAnonExclusive bytes always; the folio records copied back ({@code copyRecords}), compared first
     * and copied back only if they differ ({@code verifyRecords}), or left alone.
     *
     * @return {@code false} if the comparison found the records changed
     */
    private boolean restore(final boolean copyRecords, final boolean verifyRecords)
    {
        mm.checkAlive();
        final Machine machine = mm.machine();
        final PageTables pt = machine.pageTables();
        final MemMap memmap = machine.memmap();
        for (int i = 0; i < tablePfns.length; i++)
        {
            MemorySegment.copy(tableCopy, (long)i * TableStore.TABLE_BYTES, pt.segment(tablePfns[i]), pt.base(tablePfns[i]),
                TableStore.TABLE_BYTES);
        }
        boolean recordsEqual = true;
        long at = 0;
        for (int r = 0; r < runStart.length; r++)
        {
            final long n = runEnd[r] - runStart[r];
            MemorySegment.copy(paeCopy, at * PageDescriptor.ANON_EXCLUSIVE_LENGTH, memmap.anonExclusive(),
                PageDescriptor.anonExclusiveOffset(runStart[r]), n * PageDescriptor.ANON_EXCLUSIVE_LENGTH);
            final long off = at * PageDescriptor.RECORD_LENGTH;
            final long len = n * PageDescriptor.RECORD_LENGTH;
            final long live = PageDescriptor.recordOffset(runStart[r]);
            if (copyRecords)
            {
                MemorySegment.copy(recordCopy, off, memmap.records(), live, len);
            }
            else if (verifyRecords && MemorySegment.mismatch(recordCopy, off, off + len, memmap.records(), live, live + len) != -1)
            {
                MemorySegment.copy(recordCopy, off, memmap.records(), live, len);
                recordsEqual = false;
            }
            at += n;
        }
        return recordsEqual;
    }

    public int tableCount()
    {
        return tablePfns.length;
    }

    public long folioPages()
    {
        long pages = 0;
        for (int r = 0; r < runStart.length; r++)
        {
            pages += runEnd[r] - runStart[r];
        }
        return pages;
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
