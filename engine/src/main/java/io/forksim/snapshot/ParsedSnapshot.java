package io.forksim.snapshot;

import io.forksim.mem.PageDescriptor;
import io.forksim.mm.Machine;
import io.forksim.snapshot.SnapshotFormatException.Kind;
import net.openhft.chronicle.bytes.BytesStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@link SnapshotReader} parsed from one file, each structure checked on its own but not yet as a whole
 * ({@link SnapshotValidator} does that). The big sections stay in the mapped file ({@link StoredSegment}s and the
 * offset of the table pages), so the whole is valid only while the file's {@link SnapshotMapping} is open.
 */
final class ParsedSnapshot
{
    /** A file as saved: its id, whether shmem, size, name, and its page cache (ascending page indexes). */
    record FileRec(int id, boolean shmem, long sizePages, String name, long[] index, long[] pfn)
    {
    }

    /** A vma as saved; {@code fileId} is -1 for anonymous memory. */
    record VmaRec(long start, long end, int flags, int fileId, long pgoff, long pageProt, boolean hasAnonVma)
    {
    }

    /** A process as saved: its pins are the pairs {@code (pinAddr[i], pinPfn[i])}. */
    record ProcRec(int id, boolean hasPinned, long pgd, long[] rss, long[] pinAddr, long[] pinPfn, List<VmaRec> vmas)
    {
    }

    final Path file;
    /** The mapped file, for the table pages. */
    final BytesStore<?, ?> store;

    // header
    int version;
    Machine.Config config;
    long fileBytes;
    long created;
    final List<Snapshot.Section> sections = new ArrayList<>();
    long[] secOff;
    long[] secLen;

    // meta, machine, files, processes
    final Map<String, String> meta = new LinkedHashMap<>();
    long nrPages;
    long swapSlots;
    Machine.Counters counters;
    int[] freeHead;
    long[] freeBlocks;
    long freePages;
    /** Free max-order blocks whose records are deferred ({@code PhysMem.State#deferredBlocks}). */
    long deferredBlocks;
    int highWater;
    int[] freeSlots;
    long swapCursor;
    long swapUsed;
    final List<FileRec> files = new ArrayList<>();
    final List<ProcRec> procs = new ArrayList<>();

    // the big sections (parsed only when asked for)
    boolean bulkParsed;
    StoredSegment records;
    StoredSegment tokens;
    StoredSegment pae;
    StoredSegment swapCounts;
    StoredSegment swapTokens;
    StoredSegment swapCache;
    /** File offset of the first table page; the pages of the slots in use follow in slot order. */
    long tablesData;
    long tablesInUse;

    ParsedSnapshot(final Path file, final BytesStore<?, ?> store)
    {
        this.file = file;
        this.store = store;
    }

    SnapshotFormatException bad(final String what)
    {
        return new SnapshotFormatException(file, Kind.INCONSISTENT, what);
    }

    /** What the file holds, for {@link Snapshot#info}. */
    Snapshot.Info info(final boolean verified, final long nanos)
    {
        final List<Snapshot.ProcessInfo> ps = new ArrayList<>();
        for (final ProcRec p : procs)
        {
            ps.add(new Snapshot.ProcessInfo(p.id, p.pgd, p.vmas.size(), p.rss.clone(), p.pinAddr.length, p.hasPinned));
        }
        return new Snapshot.Info(file, version, config, fileBytes, created, Collections.unmodifiableMap(meta),
            List.copyOf(sections), List.copyOf(ps), files.size(), freePages, highWater - freeSlots.length, swapUsed, verified, nanos);
    }

    // Fields of the saved memmap records. Precondition: the big sections were parsed and 0 <= pfn < nrPages.

    int flags(final long pfn)
    {
        return records.getInt(PageDescriptor.flagsOffset(pfn));
    }

    int refcount(final long pfn)
    {
        return records.getInt(PageDescriptor.refcountOffset(pfn));
    }

    int mapcount(final long pfn)
    {
        return records.getInt(PageDescriptor.mapcountOffset(pfn));
    }

    int aux(final long pfn)
    {
        return records.getInt(PageDescriptor.auxOffset(pfn));
    }
}
