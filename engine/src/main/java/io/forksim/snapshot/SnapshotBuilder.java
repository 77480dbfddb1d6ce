package io.forksim.snapshot;

import io.forksim.mem.MemMap;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.SwapSpace;
import io.forksim.pgtable.TableStore;
import io.forksim.snapshot.ParsedSnapshot.FileRec;
import io.forksim.snapshot.ParsedSnapshot.ProcRec;
import io.forksim.snapshot.ParsedSnapshot.VmaRec;
import io.forksim.snapshot.SnapshotFormatException.Kind;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@link Machine} a validated snapshot describes: the memmap, the allocator, the table storage and the
 * swap device from the mapped file's sections, then the files and the processes in their saved order. If building
 * fails, every part built so far is closed again.
 */
final class SnapshotBuilder
{
    private SnapshotBuilder()
    {
    }

    /**
     * Precondition: {@code p} passed {@link SnapshotValidator#validate}, and its file is still mapped.
     *
     * @throws SnapshotFormatException of kind {@link Kind#INCONSISTENT} if the machine refuses a part (nothing stays
     *         allocated then)
     */
    static Machine build(final ParsedSnapshot p) throws SnapshotFormatException
    {
        MemMap memmap = null;
        TableStore store = null;
        SwapSpace swap = null;
        try
        {
            memmap = new MemMap(p.nrPages, p.config.concurrent());
            p.records.restoreInto(memmap.records());
            p.tokens.restoreInto(memmap.tokens());
            p.pae.restoreInto(memmap.anonExclusive());
            final PhysMem phys = PhysMem.restore(memmap, new PhysMem.State(p.freeHead, p.freeBlocks, p.freePages, p.deferredBlocks));
            store = new TableStore(p.config.concurrent());
            store.restoreState(p.highWater, p.freeSlots);
            restoreTables(p, store);
            swap = new SwapSpace(p.swapSlots, p.config.concurrent());
            p.swapCounts.restoreInto(swap.countsSegment());
            p.swapTokens.restoreInto(swap.tokensSegment());
            p.swapCache.restoreInto(swap.cacheSegment());
            swap.restoreState(p.swapCursor, p.swapUsed);
            final Machine m = Machine.restore(p.config, memmap, phys, store, swap, p.counters);
            try
            {
                final Map<Integer, SimFile> files = new HashMap<>();
                for (final FileRec f : p.files)
                {
                    final Map<Long, Long> cache = new HashMap<>();
                    for (int c = 0; c < f.pfn().length; c++)
                    {
                        cache.put(f.index()[c], f.pfn()[c]);
                    }
                    files.put(f.id(), m.restoreFile(f.name(), f.id(), f.sizePages(), f.shmem(), cache));
                }
                for (final ProcRec pr : p.procs)
                {
                    final List<Mm.Pin> pins = new ArrayList<>();
                    for (int c = 0; c < pr.pinPfn().length; c++)
                    {
                        pins.add(new Mm.Pin(pr.pinAddr()[c], pr.pinPfn()[c]));
                    }
                    final List<Machine.SavedVma> vmas = new ArrayList<>();
                    for (final VmaRec v : pr.vmas())
                    {
                        vmas.add(new Machine.SavedVma(v.start(), v.end(), v.flags(), v.fileId() < 0 ? null : files.get(v.fileId()), v.pgoff(),
                            v.hasAnonVma(), v.pageProt()));
                    }
                    m.restoreProcess(pr.id(), pr.pgd(), pr.hasPinned(), pr.rss(), pins, vmas);
                }
            }
            catch (final RuntimeException | Error e)
            {
                m.close();
                memmap = null;
                store = null;
                swap = null;
                throw e;
            }
            return m;
        }
        catch (final IllegalArgumentException | IllegalStateException e)
        {
            closeQuietly(memmap, store, swap);
            throw new SnapshotFormatException(p.file, Kind.INCONSISTENT, e.getMessage(), e);
        }
        catch (final RuntimeException | Error e)
        {
            closeQuietly(memmap, store, swap);
            throw e;
        }
    }

    private static void closeQuietly(final AutoCloseable... parts)
    {
        for (final AutoCloseable c : parts)
        {
            if (c != null)
            {
                try
                {
                    c.close();
                }
                catch (final Exception ignored)
                {
                    // already failing
                }
            }
        }
    }

    private static void restoreTables(final ParsedSnapshot p, final TableStore store)
    {
        final BitSet free = new BitSet(p.highWater);
        for (final int s : p.freeSlots)
        {
            free.set(s);
        }
        long at = p.tablesData;
        int s = 0;
        while (s < p.highWater)
        {
            if (free.get(s))
            {
                s++;
                continue;
            }
            int e = s + 1;
            while (e < p.highWater && !free.get(e) && (e >>> TableStore.CHUNK_SHIFT) == (s >>> TableStore.CHUNK_SHIFT))
            {
                e++;
            }
            final long bytes = (long)(e - s) * TableStore.TABLE_BYTES;
            p.store.nativeRead(at, store.chunk(s).asSlice(TableStore.offset(s), bytes).address(), bytes);
            at += bytes;
            s = e;
        }
    }
}
