package io.forksim.snapshot;

import io.forksim.arch.Arch;
import io.forksim.arch.ArchVariant;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.SwapSpace;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.TableStore;
import io.forksim.snapshot.SnapshotFormatException.Kind;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Saves a whole simulated {@link Machine} to a file and loads it back: memmap, buddy allocator, page-table pages,
 * swap device, files with their page caches, processes with their VMAs and pins, and the machine's counters. A
 * populated 64 GiB setup is reused across runs in seconds instead of being populated again.
 *
 * <h2>File format, version {@value #FORMAT_VERSION}</h2>
 * The file is mapped with chronicle-bytes ({@link MappedRegion}); sections move with bulk
 * {@link MemorySegment#copy} between the machine's off-heap segments and the mapping. All integers little-endian.
 * <pre>
 *   header, {@value #HEADER_BYTES} bytes
 *     0  magic "FORKSIM\0"             8  u32 format version        12 u32 header length (4096)
 *    16  u64 file length              24  u32 arch (1 x86_64, 2 arm64)  28 u32 flags (1 tlbiRange, 2 contpteBasic,
 *                                                                          4 concurrent)
 *    32  u64 simulated RAM bytes      40  u64 swap bytes           48 u64 creation time (ms since the epoch)
 *    56  u32 section count            60  u32 0
 *    64  section table, 32 bytes each: u32 id, u32 CRC32C of the section, u64 offset, u64 length, u64 0
 *  4092  u32 CRC32C of header bytes 0..4091
 *   sections, in this order, each 8-byte aligned, following each other from offset 4096 without gaps; the file
 *   length is the end of the last one rounded up to 4096 (zero bytes after it):
 *     1 meta          u32 n, u32 0, n x (string key, string value)       string = u32 length, UTF-8, pad to 8
 *     2 machine       u64 nrPages, u64 swap slots, u32 nextMmId, u32 nextFileId, u64 nextToken, u32 nextShmemId,
 *                     u32 0, 11 x i32 free-list head (NIL = -1), u32 0, 11 x u64 free blocks, u64 free pages,
 *                     u32 table high-water mark, u32 free slots, free slot stack (u32 each, bottom first), pad,
 *                     u64 swap cursor, u64 swap slots used
 *     3 files         u32 n, u32 0, n x (u32 id, u32 shmem, u64 size in pages, string name, u64 cached,
 *                     cached x (u64 page index, u64 pfn))
 *     4 processes     u32 n, u32 0, n x (u32 mm id, u32 hasPinned, u64 pgd pfn, 4 x u64 rss, u64 pins,
 *                     pins x (u64 addr, u64 pfn), u64 vmas, vmas x (u64 start, u64 end, u32 flags, i32 file id or -1,
 *                     u64 pgoff, u64 vm_page_prot, u32 hasAnonVma, u32 0))
 *     5 memmap-records, 6 memmap-tokens, 7 memmap-anon-exclusive   {@link SegmentCodec} (zero blocks skipped;
 *                     section 7 is the PageAnonExclusive byte map, 1-byte elements)
 *     8 page-tables   u64 n, then the 4 KiB of every table slot in use, in slot order
 *     9 swap-counts, 10 swap-tokens, 11 swap-cache                 {@link SegmentCodec}
 * </pre>
 * Version 1 stored PageAnonExclusive as a bitmap in section 7 (8-byte elements, 1 bit per page); version 2 kept it
 * as a bit of each page's flags word, saved with the records, and had no section 7; version 3 stores the byte map,
 * one byte per page, in section 7 again. A file of another version is refused with a {@link Kind#VERSION} error.
 * Machine-wide {@link io.forksim.stats.Events} are not state and are not saved: a loaded machine starts at zero.
 * The contents of free table slots are not saved either (a slot is zeroed when it is handed out again).
 *
 * <h2>Loading validates before it builds</h2>
 * {@link #load} checks, before it allocates any part of a machine: the file's size against its header (truncation),
 * magic, version, the header's and every section's CRC32C, every structure's bounds, and the consistency of the
 * state: free lists walked through the saved memmap (flags, links, counts), each process's page-table tree down to
 * its PTE tables (every table page {@code PG_TABLE}, with a slot in use, referenced once), ids, VMAs, files, page and
 * swap caches, swap counts. Any problem throws one {@link SnapshotFormatException} naming the file and the problem;
 * then nothing was built and the mapping is closed. Saving writes a temporary file next to the target and renames it
 * over the target only when complete, so a failed save leaves an existing snapshot as it was.
 *
 * <p>Saving reads a quiescent machine (no operation may run on it meanwhile) and does not change it.
 */
public final class Snapshot
{
    public static final int FORMAT_VERSION = 3;
    public static final int HEADER_BYTES = 4096;
    /** "FORKSIM\0" read as a little-endian long. */
    static final long MAGIC = magic();
    static final int ARCH_X86_64 = 1;
    static final int ARCH_ARM64 = 2;
    static final int FLAG_TLBI_RANGE = 1;
    static final int FLAG_CONTPTE_BASIC = 2;
    static final int FLAG_CONCURRENT = 4;
    private static final int SECTION_TABLE = 64;
    private static final int SECTION_ENTRY = 32;
    private static final int HEADER_CRC_AT = HEADER_BYTES - 4;
    /** The file length is the end of the last section rounded up to this, with zero bytes in between. */
    static final long FILE_ALIGN = 4096;

    /** The sections, in file order. */
    enum Sec
    {
        META(1, "meta"), MACHINE(2, "machine"), FILES(3, "files"), PROCESSES(4, "processes"),
        RECORDS(5, "memmap-records"), TOKENS(6, "memmap-tokens"), PAE(7, "memmap-anon-exclusive"),
        TABLES(8, "page-tables"), SWAP_COUNTS(9, "swap-counts"), SWAP_TOKENS(10, "swap-tokens"), SWAP_CACHE(11, "swap-cache");

        final int id;
        final String label;

        Sec(final int id, final String label)
        {
            this.id = id;
            this.label = label;
        }

        /** The big sections whose checksum {@link #info} may skip. */
        boolean bulk()
        {
            return ordinal() >= RECORDS.ordinal();
        }
    }

    private Snapshot()
    {
    }

    private static long magic()
    {
        final byte[] m = "FORKSIM\0".getBytes(StandardCharsets.US_ASCII);
        return MemorySegment.ofArray(m).get(Bin.LONG, 0);
    }

    // ================================================================ public results

    /** One section of a snapshot file. */
    public record Section(String name, long offset, long length, int crc32c)
    {
    }

    /** A process as saved. */
    public record ProcessInfo(int id, long pgd, int vmas, long[] rss, int pins, boolean hasPinned)
    {
    }

    /**
     * What a snapshot file holds (from {@link #info}) or what {@link #save} wrote.
     *
     * @param checksumsVerified whether every section's checksum (not only the small sections') was verified
     * @param elapsedNanos      time the save, info or load took
     */
    public record Info(Path file, int formatVersion, Machine.Config config, long fileBytes, long createdMillis,
                       Map<String, String> meta, List<Section> sections, List<ProcessInfo> processes, int files,
                       long freePages, int tableSlotsInUse, long swapUsed, boolean checksumsVerified, long elapsedNanos)
    {
        /** The section named {@code name} (e.g. "memmap-records"). */
        public Section section(final String name)
        {
            return sections.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no section " + name));
        }
    }

    // ================================================================ save

    /** {@link #save(Machine, Path, Map)} without metadata. */
    public static Info save(final Machine m, final Path file) throws IOException
    {
        return save(m, file, Map.of());
    }

    /**
     * Writes the whole state of {@code m} to {@code file} (replacing it atomically when complete), with the
     * string metadata {@code meta} (e.g. what setup the machine holds, for {@link SnapshotCache}).
     *
     * @return what was written, with the time it took
     * @throws IOException if the file cannot be written; {@code file} is then unchanged
     */
    public static Info save(final Machine m, final Path file, final Map<String, String> meta) throws IOException
    {
        final long t0 = System.nanoTime();
        final Machine.Config cfg = m.config();
        final MemMap memmap = m.memmap();
        final TableStore store = m.tableStore();
        final SwapSpace swap = m.swap();

        // Small sections, encoded on the heap.
        final Bin.Out metaOut = new Bin.Out();
        metaOut.putInt(meta.size()).putInt(0);
        for (final Map.Entry<String, String> e : new TreeMap<>(meta).entrySet())
        {
            metaOut.putString(e.getKey()).putString(e.getValue());
        }

        final Machine.Counters counters = m.counters();
        final PhysMem.State phys = m.phys().exportState();
        final int highWater = store.highWater();
        final int[] freeSlots = store.freeSlotStack();
        final Bin.Out machineOut = new Bin.Out();
        machineOut.putLong(memmap.nrPages()).putLong(swap.slots());
        machineOut.putInt(counters.nextMmId()).putInt(counters.nextFileId()).putLong(counters.nextToken());
        machineOut.putInt(counters.nextShmemId()).putInt(0);
        for (final int h : phys.freeHead())
        {
            machineOut.putInt(h);
        }
        machineOut.putInt(0);
        for (final long b : phys.freeBlocks())
        {
            machineOut.putLong(b);
        }
        machineOut.putLong(phys.freePages());
        machineOut.putInt(highWater).putInt(freeSlots.length);
        for (final int s : freeSlots)
        {
            machineOut.putInt(s);
        }
        machineOut.pad8();
        machineOut.putLong(swap.cursor()).putLong(swap.used());

        final List<SimFile> files = m.files();
        final Bin.Out filesOut = new Bin.Out();
        filesOut.putInt(files.size()).putInt(0);
        for (final SimFile f : files)
        {
            filesOut.putInt(f.id()).putInt(f.isShmem() ? 1 : 0).putLong(f.sizePages()).putString(f.name());
            final Map<Long, Long> cache = f.pageCacheView();
            filesOut.putLong(cache.size());
            for (final Map.Entry<Long, Long> e : cache.entrySet())
            {
                filesOut.putLong(e.getKey()).putLong(e.getValue());
            }
        }

        final List<Mm> procs = m.processes();
        final Bin.Out procOut = new Bin.Out();
        procOut.putInt(procs.size()).putInt(0);
        for (final Mm p : procs)
        {
            procOut.putInt(p.id()).putInt(p.hasPinned() ? 1 : 0).putLong(p.pgd());
            for (int i = 0; i < 4; i++)
            {
                procOut.putLong(p.rss(i));
            }
            final List<Mm.Pin> pins = p.pins();
            procOut.putLong(pins.size());
            for (final Mm.Pin pin : pins)
            {
                procOut.putLong(pin.addr()).putLong(pin.pfn());
            }
            final List<Vma> vmas = p.vmas();
            procOut.putLong(vmas.size());
            for (final Vma v : vmas)
            {
                procOut.putLong(v.start()).putLong(v.end()).putInt(v.flags()).putInt(v.file() == null ? -1 : v.file().id());
                procOut.putLong(v.pgoff()).putLong(v.pageProt()).putInt(v.hasAnonVma() ? 1 : 0).putInt(0);
            }
        }

        // Big sections: find what is worth storing.
        final SegmentCodec.Plan records = SegmentCodec.scan(memmap.records(), PageDescriptor.RECORD_LENGTH);
        final SegmentCodec.Plan tokens = SegmentCodec.scan(memmap.tokens(), PageDescriptor.TOKEN_LENGTH);
        final SegmentCodec.Plan pae = SegmentCodec.scan(memmap.anonExclusive(), PageDescriptor.ANON_EXCLUSIVE_LENGTH);
        final SegmentCodec.Plan swapCounts = SegmentCodec.scan(swap.countsSegment(), 4);
        final SegmentCodec.Plan swapTokens = SegmentCodec.scan(swap.tokensSegment(), 8);
        final SegmentCodec.Plan swapCache = SegmentCodec.scan(swap.cacheSegment(), 8);
        final BitSet free = new BitSet(highWater);
        for (final int s : freeSlots)
        {
            free.set(s);
        }
        final long tablesInUse = highWater - freeSlots.length;

        final long[] lengths = {
            metaOut.length(), machineOut.length(), filesOut.length(), procOut.length(),
            records.encodedBytes(), tokens.encodedBytes(), pae.encodedBytes(),
            8 + tablesInUse * TableStore.TABLE_BYTES,
            swapCounts.encodedBytes(), swapTokens.encodedBytes(), swapCache.encodedBytes()};
        final Sec[] secs = Sec.values();
        final long[] offsets = new long[secs.length];
        long dataEnd = HEADER_BYTES;
        for (int i = 0; i < secs.length; i++)
        {
            offsets[i] = dataEnd;
            dataEnd += lengths[i];
        }
        final long total = (dataEnd + FILE_ALIGN - 1) & -FILE_ALIGN;

        final Path target = file.toAbsolutePath();
        final Path dir = target.getParent();
        if (dir != null && !Files.isDirectory(dir))
        {
            throw new NoSuchFileException(dir.toString(), null, "directory of snapshot " + file + " does not exist");
        }
        final Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid()
            + "-" + Long.toHexString(System.nanoTime()));
        final int[] crcs = new int[secs.length];
        final long created = System.currentTimeMillis();
        boolean done = false;
        try
        {
            try (MappedRegion region = MappedRegion.create(tmp, total))
            {
                final MemorySegment out = region.segment();
                MemorySegment.copy(metaOut.segment(), 0, out, offsets[0], lengths[0]);
                MemorySegment.copy(machineOut.segment(), 0, out, offsets[1], lengths[1]);
                MemorySegment.copy(filesOut.segment(), 0, out, offsets[2], lengths[2]);
                MemorySegment.copy(procOut.segment(), 0, out, offsets[3], lengths[3]);
                SegmentCodec.write(records, memmap.records(), out, offsets[4]);
                SegmentCodec.write(tokens, memmap.tokens(), out, offsets[5]);
                SegmentCodec.write(pae, memmap.anonExclusive(), out, offsets[6]);
                writeTables(store, highWater, free, tablesInUse, out, offsets[7]);
                SegmentCodec.write(swapCounts, swap.countsSegment(), out, offsets[8]);
                SegmentCodec.write(swapTokens, swap.tokensSegment(), out, offsets[9]);
                SegmentCodec.write(swapCache, swap.cacheSegment(), out, offsets[10]);
                for (int i = 0; i < secs.length; i++)
                {
                    crcs[i] = Bin.crc32c(out, offsets[i], lengths[i]);
                }
                out.asSlice(dataEnd, total - dataEnd).fill((byte)0);
                writeHeader(out, cfg, total, created, secs, offsets, lengths, crcs);
            }
            if (Files.size(tmp) != total)
            {
                throw new IOException("wrote " + Files.size(tmp) + " bytes to " + tmp + ", expected " + total);
            }
            try
            {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            catch (final AtomicMoveNotSupportedException e)
            {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        }
        finally
        {
            if (!done)
            {
                Files.deleteIfExists(tmp);
            }
        }
        final List<Section> sections = new ArrayList<>();
        for (int i = 0; i < secs.length; i++)
        {
            sections.add(new Section(secs[i].label, offsets[i], lengths[i], crcs[i]));
        }
        final List<ProcessInfo> pinfo = new ArrayList<>();
        for (final Mm p : procs)
        {
            pinfo.add(new ProcessInfo(p.id(), p.pgd(), p.vmas().size(),
                new long[] {p.rss(0), p.rss(1), p.rss(2), p.rss(3)}, p.pins().size(), p.hasPinned()));
        }
        return new Info(target, FORMAT_VERSION, cfg, total, created, Collections.unmodifiableMap(new TreeMap<>(meta)),
            List.copyOf(sections), List.copyOf(pinfo), files.size(), phys.freePages(), (int)tablesInUse, swap.used(), true,
            System.nanoTime() - t0);
    }

    private static void writeTables(final TableStore store, final int highWater, final BitSet free, final long inUse,
        final MemorySegment out, final long pos)
    {
        out.set(Bin.LONG, pos, inUse);
        long at = pos + 8;
        int s = 0;
        while (s < highWater)
        {
            if (free.get(s))
            {
                s++;
                continue;
            }
            // a run of used slots inside one chunk: one copy
            int e = s + 1;
            while (e < highWater && !free.get(e) && (e >>> TableStore.CHUNK_SHIFT) == (s >>> TableStore.CHUNK_SHIFT))
            {
                e++;
            }
            final long bytes = (long)(e - s) * TableStore.TABLE_BYTES;
            MemorySegment.copy(store.chunk(s), TableStore.offset(s), out, at, bytes);
            at += bytes;
            s = e;
        }
    }

    private static void writeHeader(final MemorySegment out, final Machine.Config cfg, final long total, final long created,
        final Sec[] secs, final long[] offsets, final long[] lengths, final int[] crcs)
    {
        final MemorySegment h = out.asSlice(0, HEADER_BYTES);
        h.fill((byte)0);
        h.set(Bin.LONG, 0, MAGIC);
        h.set(Bin.INT, 8, FORMAT_VERSION);
        h.set(Bin.INT, 12, HEADER_BYTES);
        h.set(Bin.LONG, 16, total);
        h.set(Bin.INT, 24, cfg.arch().isArm64() ? ARCH_ARM64 : ARCH_X86_64);
        h.set(Bin.INT, 28, (cfg.tlbiRange() ? FLAG_TLBI_RANGE : 0) | (cfg.arch().contpteBasic() ? FLAG_CONTPTE_BASIC : 0)
            | (cfg.concurrent() ? FLAG_CONCURRENT : 0));
        h.set(Bin.LONG, 32, cfg.ramBytes());
        h.set(Bin.LONG, 40, cfg.swapBytes());
        h.set(Bin.LONG, 48, created);
        h.set(Bin.INT, 56, secs.length);
        for (int i = 0; i < secs.length; i++)
        {
            final long e = SECTION_TABLE + (long)i * SECTION_ENTRY;
            h.set(Bin.INT, e, secs[i].id);
            h.set(Bin.INT, e + 4, crcs[i]);
            h.set(Bin.LONG, e + 8, offsets[i]);
            h.set(Bin.LONG, e + 16, lengths[i]);
        }
        h.set(Bin.INT, HEADER_CRC_AT, Bin.crc32c(h, 0, HEADER_CRC_AT));
    }

    // ================================================================ info and load

    /**
     * Reads and validates a snapshot without building a machine.
     *
     * @param verifyAll also verify the checksums of the big sections (memmap, tables, swap) and the consistency of the
     *                  whole state, as {@link #load} does; without it only the header and the small sections are
     *                  checked (fast: what {@link SnapshotCache} needs to decide whether a file matches)
     * @throws SnapshotFormatException if the file is not a valid snapshot
     * @throws IOException if it cannot be read
     */
    public static Info info(final Path file, final boolean verifyAll) throws IOException
    {
        final long t0 = System.nanoTime();
        try (Opened o = Opened.open(file))
        {
            final Parsed p = parse(o, verifyAll);
            if (verifyAll)
            {
                validate(p);
            }
            return p.info(verifyAll, System.nanoTime() - t0);
        }
    }

    /**
     * Loads the machine saved in {@code file}: validates everything first (see the class comment), then builds it.
     *
     * @throws SnapshotFormatException if the file is truncated, corrupt, of another format version, not a snapshot or
     *         inconsistent; no machine was built then and nothing stays open
     * @throws IOException if the file cannot be read
     */
    public static Machine load(final Path file) throws IOException
    {
        try (Opened o = Opened.open(file))
        {
            final Parsed p = parse(o, true);
            validate(p);
            return build(p);
        }
    }

    /** The mapped file, from open to close. */
    private static final class Opened implements AutoCloseable
    {
        final Path file;
        final long size;
        final MappedRegion region;

        private Opened(final Path file, final long size, final MappedRegion region)
        {
            this.file = file;
            this.size = size;
            this.region = region;
        }

        static Opened open(final Path file) throws IOException
        {
            final long size;
            try
            {
                size = Files.size(file);
            }
            catch (final NoSuchFileException e)
            {
                throw new NoSuchFileException(file.toString(), null, "snapshot file does not exist");
            }
            if (!Files.isRegularFile(file))
            {
                throw new SnapshotFormatException(file, Kind.NOT_A_SNAPSHOT, "not a regular file");
            }
            if (size < 8)
            {
                throw new SnapshotFormatException(file, Kind.NOT_A_SNAPSHOT, "not a forksim snapshot (" + size
                    + " bytes, shorter than the magic \"FORKSIM\\0\")");
            }
            return new Opened(file, size, MappedRegion.openReadOnly(file, size));
        }

        MemorySegment seg()
        {
            return region.segment();
        }

        SnapshotFormatException bad(final Kind kind, final String what)
        {
            return new SnapshotFormatException(file, kind, what);
        }

        @Override
        public void close()
        {
            region.close();
        }
    }

    /** Everything parsed from a file, not yet validated as a whole. */
    private static final class Parsed
    {
        Path file;
        MemorySegment seg;
        int version;
        Machine.Config config;
        long fileBytes;
        long created;
        List<Section> sections = new ArrayList<>();
        long[] secOff;
        long[] secLen;
        boolean bulkParsed;
        Map<String, String> meta = new LinkedHashMap<>();
        long nrPages;
        long swapSlots;
        Machine.Counters counters;
        int[] freeHead;
        long[] freeBlocks;
        long freePages;
        int highWater;
        int[] freeSlots;
        long swapCursor;
        long swapUsed;
        final List<FileRec> files = new ArrayList<>();
        final List<ProcRec> procs = new ArrayList<>();
        SegmentCodec.Decoded records;
        SegmentCodec.Decoded tokens;
        SegmentCodec.Decoded pae;
        SegmentCodec.Decoded swapCounts;
        SegmentCodec.Decoded swapTokens;
        SegmentCodec.Decoded swapCache;
        long tablesData;
        long tablesInUse;

        SnapshotFormatException bad(final String what)
        {
            return new SnapshotFormatException(file, Kind.INCONSISTENT, what);
        }

        Info info(final boolean verified, final long nanos)
        {
            final List<ProcessInfo> ps = new ArrayList<>();
            for (final ProcRec p : procs)
            {
                ps.add(new ProcessInfo(p.id, p.pgd, p.vmas.size(), p.rss.clone(), p.pinAddr.length, p.hasPinned));
            }
            return new Info(file, version, config, fileBytes, created, Collections.unmodifiableMap(meta), List.copyOf(sections),
                List.copyOf(ps), files.size(), freePages, highWater - freeSlots.length, swapUsed, verified, nanos);
        }

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
    }

    private record FileRec(int id, boolean shmem, long sizePages, String name, long[] index, long[] pfn)
    {
    }

    private record VmaRec(long start, long end, int flags, int fileId, long pgoff, long pageProt, boolean hasAnonVma)
    {
    }

    private record ProcRec(int id, boolean hasPinned, long pgd, long[] rss, long[] pinAddr, long[] pinPfn, List<VmaRec> vmas)
    {
    }

    private static Parsed parse(final Opened o, final boolean bulk) throws SnapshotFormatException
    {
        final MemorySegment seg = o.seg();
        final Parsed p = new Parsed();
        p.file = o.file;
        p.seg = seg;
        if (seg.get(Bin.LONG, 0) != MAGIC)
        {
            throw o.bad(Kind.NOT_A_SNAPSHOT, "not a forksim snapshot (magic is " + describeMagic(seg) + ", expected \"FORKSIM\\0\")");
        }
        if (o.size < HEADER_BYTES)
        {
            throw o.bad(Kind.TRUNCATED, "truncated: " + o.size + " bytes, shorter than the " + HEADER_BYTES + "-byte header");
        }
        p.version = seg.get(Bin.INT, 8);
        if (p.version != FORMAT_VERSION)
        {
            throw o.bad(Kind.VERSION, "format version " + Integer.toUnsignedString(p.version) + ", this forksim reads version "
                + FORMAT_VERSION + " (save the snapshot again)");
        }
        final int headerCrc = Bin.crc32c(seg, 0, HEADER_CRC_AT);
        if (seg.get(Bin.INT, HEADER_CRC_AT) != headerCrc)
        {
            throw o.bad(Kind.CHECKSUM, String.format("corrupt header (CRC32C %08x, stored %08x)", headerCrc,
                seg.get(Bin.INT, HEADER_CRC_AT)));
        }
        if (seg.get(Bin.INT, 12) != HEADER_BYTES)
        {
            throw o.bad(Kind.INCONSISTENT, "header length " + seg.get(Bin.INT, 12) + ", expected " + HEADER_BYTES);
        }
        p.fileBytes = seg.get(Bin.LONG, 16);
        if (p.fileBytes != o.size)
        {
            throw o.bad(Kind.TRUNCATED, (o.size < p.fileBytes ? "truncated: " : "has trailing bytes: ") + o.size
                + " bytes, the header says " + p.fileBytes);
        }
        final int archCode = seg.get(Bin.INT, 24);
        final int flags = seg.get(Bin.INT, 28);
        if (archCode != ARCH_X86_64 && archCode != ARCH_ARM64)
        {
            throw o.bad(Kind.INCONSISTENT, "unknown arch code " + archCode);
        }
        if ((flags & ~(FLAG_TLBI_RANGE | FLAG_CONTPTE_BASIC | FLAG_CONCURRENT)) != 0)
        {
            throw o.bad(Kind.INCONSISTENT, "unknown header flags 0x" + Integer.toHexString(flags));
        }
        try
        {
            p.config = new Machine.Config(ArchVariant.of(archCode == ARCH_X86_64 ? "x86_64" : "arm64",
                (flags & FLAG_CONTPTE_BASIC) != 0), seg.get(Bin.LONG, 32), seg.get(Bin.LONG, 40),
                (flags & FLAG_TLBI_RANGE) != 0, (flags & FLAG_CONCURRENT) != 0);
        }
        catch (final IllegalArgumentException e)
        {
            throw o.bad(Kind.INCONSISTENT, "bad machine configuration: " + e.getMessage());
        }
        p.created = seg.get(Bin.LONG, 48);
        final Sec[] secs = Sec.values();
        final int count = seg.get(Bin.INT, 56);
        if (count != secs.length)
        {
            throw o.bad(Kind.INCONSISTENT, count + " sections, expected " + secs.length);
        }
        p.secOff = new long[secs.length];
        p.secLen = new long[secs.length];
        long expect = HEADER_BYTES;
        for (int i = 0; i < secs.length; i++)
        {
            final long e = SECTION_TABLE + (long)i * SECTION_ENTRY;
            final int id = seg.get(Bin.INT, e);
            final long off = seg.get(Bin.LONG, e + 8);
            final long len = seg.get(Bin.LONG, e + 16);
            if (id != secs[i].id)
            {
                throw o.bad(Kind.INCONSISTENT, "section " + i + " has id " + id + ", expected " + secs[i].id + " (" + secs[i].label + ")");
            }
            if (off != expect || len < 0 || len > p.fileBytes - off || (len & 7) != 0)
            {
                throw o.bad(Kind.INCONSISTENT, "section " + secs[i].label + " at " + off + "+" + len
                    + " does not follow the previous one at " + expect + " inside the file of " + p.fileBytes + " bytes");
            }
            p.secOff[i] = off;
            p.secLen[i] = len;
            p.sections.add(new Section(secs[i].label, off, len, seg.get(Bin.INT, e + 4)));
            expect = off + len;
        }
        if (((expect + FILE_ALIGN - 1) & -FILE_ALIGN) != p.fileBytes
            || MemorySegment.mismatch(seg, expect, p.fileBytes, MemorySegment.ofArray(new byte[(int)FILE_ALIGN]), 0, p.fileBytes - expect) >= 0)
        {
            throw o.bad(Kind.INCONSISTENT, "sections end at " + expect + ", the file at " + p.fileBytes
                + " (expected the end rounded up to " + FILE_ALIGN + " bytes, zero-filled)");
        }
        for (int i = 0; i < secs.length; i++)
        {
            if (!bulk && secs[i].bulk())
            {
                continue;
            }
            final int crc = Bin.crc32c(seg, p.secOff[i], p.secLen[i]);
            if (crc != p.sections.get(i).crc32c())
            {
                throw o.bad(Kind.CHECKSUM, String.format("corrupt section %s (%d bytes at offset %d: CRC32C %08x, stored %08x)",
                    secs[i].label, p.secLen[i], p.secOff[i], crc, p.sections.get(i).crc32c()));
            }
        }
        parseMeta(p, in(p, Sec.META));
        parseMachine(p, in(p, Sec.MACHINE));
        parseFiles(p, in(p, Sec.FILES));
        parseProcesses(p, in(p, Sec.PROCESSES));
        if (bulk)
        {
            p.records = SegmentCodec.parse(in(p, Sec.RECORDS), seg, PageDescriptor.recordsLength(p.nrPages), PageDescriptor.RECORD_LENGTH);
            p.tokens = SegmentCodec.parse(in(p, Sec.TOKENS), seg, PageDescriptor.tokensLength(p.nrPages), PageDescriptor.TOKEN_LENGTH);
            p.pae = SegmentCodec.parse(in(p, Sec.PAE), seg, PageDescriptor.anonExclusiveLength(p.nrPages),
                PageDescriptor.ANON_EXCLUSIVE_LENGTH);
            final Bin.In t = in(p, Sec.TABLES);
            p.tablesInUse = t.getLong("table count");
            if (p.tablesInUse != p.highWater - p.freeSlots.length)
            {
                throw t.bad(p.tablesInUse + " tables stored, but " + (p.highWater - p.freeSlots.length) + " slots are in use");
            }
            p.tablesData = t.skip(p.tablesInUse * TableStore.TABLE_BYTES, "table bytes");
            t.expectEnd();
            p.swapCounts = SegmentCodec.parse(in(p, Sec.SWAP_COUNTS), seg, p.swapSlots * 4, 4);
            p.swapTokens = SegmentCodec.parse(in(p, Sec.SWAP_TOKENS), seg, p.swapSlots * 8, 8);
            p.swapCache = SegmentCodec.parse(in(p, Sec.SWAP_CACHE), seg, p.swapSlots * 8, 8);
            p.bulkParsed = true;
        }
        return p;
    }

    private static String describeMagic(final MemorySegment seg)
    {
        final StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < 8; i++)
        {
            final int b = seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 0xFF;
            sb.append(b >= 0x20 && b < 0x7F && b != '"' && b != '\\' ? String.valueOf((char)b) : String.format("\\x%02x", b));
        }
        return sb.append('"').toString();
    }

    private static Bin.In in(final Parsed p, final Sec s)
    {
        return new Bin.In(p.seg, p.secOff[s.ordinal()], p.secLen[s.ordinal()], p.file, s.label);
    }

    private static void parseMeta(final Parsed p, final Bin.In in) throws SnapshotFormatException
    {
        final int n = in.getInt("entry count");
        in.getInt("reserved");
        if (n < 0 || n > 10_000)
        {
            throw in.bad("entry count " + n + " is out of range 0..10000");
        }
        for (int i = 0; i < n; i++)
        {
            final String k = in.getString("key");
            p.meta.put(k, in.getString("value"));
        }
        in.expectEnd();
    }

    private static void parseMachine(final Parsed p, final Bin.In in) throws SnapshotFormatException
    {
        p.nrPages = in.getLong("nrPages");
        if (p.nrPages != p.config.ramBytes() >>> Arch.PAGE_SHIFT)
        {
            throw in.bad("nrPages " + p.nrPages + " does not match the header's RAM of " + p.config.ramBytes() + " bytes");
        }
        p.swapSlots = in.getLong("swap slots");
        if (p.swapSlots != Math.max(2, p.config.swapBytes() >>> Arch.PAGE_SHIFT))
        {
            throw in.bad("swap slots " + p.swapSlots + " do not match the header's swap of " + p.config.swapBytes() + " bytes");
        }
        final int nextMmId = in.getInt("nextMmId");
        final int nextFileId = in.getInt("nextFileId");
        final long nextToken = in.getLong("nextToken");
        final int nextShmemId = in.getInt("nextShmemId");
        in.getInt("reserved");
        if (nextMmId < 1 || nextMmId > 65535 || nextFileId < 0 || nextShmemId < 0 || nextToken < 1)
        {
            throw in.bad("machine counters out of range: nextMmId " + nextMmId + ", nextFileId " + nextFileId + ", nextToken "
                + nextToken + ", nextShmemId " + nextShmemId);
        }
        p.counters = new Machine.Counters(nextMmId, nextToken, nextFileId, nextShmemId);
        p.freeHead = new int[PhysMem.MAX_ORDER + 1];
        for (int o = 0; o <= PhysMem.MAX_ORDER; o++)
        {
            p.freeHead[o] = in.getInt("free list head");
        }
        in.getInt("reserved");
        p.freeBlocks = new long[PhysMem.MAX_ORDER + 1];
        for (int o = 0; o <= PhysMem.MAX_ORDER; o++)
        {
            p.freeBlocks[o] = in.getCount("free blocks of order " + o, p.nrPages >>> o);
        }
        p.freePages = in.getCount("free pages", p.nrPages - 1);
        p.highWater = in.getInt("table high-water mark");
        final int nFree = in.getInt("free table slots");
        if (p.highWater < 0 || nFree < 0 || nFree > p.highWater || p.highWater > p.nrPages)
        {
            throw in.bad("table high-water mark " + p.highWater + " with " + nFree + " free slots");
        }
        p.freeSlots = new int[nFree];
        for (int i = 0; i < nFree; i++)
        {
            p.freeSlots[i] = in.getInt("free table slot");
        }
        in.skipPad("free table slots");
        p.swapCursor = in.getLong("swap cursor");
        p.swapUsed = in.getLong("swap used");
        if (p.swapCursor < 1 || p.swapCursor > p.swapSlots || p.swapUsed < 0 || p.swapUsed > p.swapSlots - 1)
        {
            throw in.bad("swap cursor " + p.swapCursor + " / used " + p.swapUsed + " out of range for " + p.swapSlots + " slots");
        }
        in.expectEnd();
    }

    private static void parseFiles(final Parsed p, final Bin.In in) throws SnapshotFormatException
    {
        final int n = in.getInt("file count");
        in.getInt("reserved");
        if (n < 0 || n > 1_000_000)
        {
            throw in.bad("file count " + n + " is out of range");
        }
        for (int i = 0; i < n; i++)
        {
            final int id = in.getInt("file id");
            final int shmem = in.getInt("shmem flag");
            final long size = in.getLong("file size");
            final String name = in.getString("file name");
            final long cached = in.getCount("cached pages of " + name, Math.min(p.nrPages, in.remaining() / 16));
            final long[] idx = new long[(int)cached];
            final long[] pfn = new long[(int)cached];
            for (int c = 0; c < cached; c++)
            {
                idx[c] = in.getLong("page index");
                pfn[c] = in.getLong("page pfn");
            }
            if ((shmem & ~1) != 0 || size <= 0)
            {
                throw in.bad("file " + name + " has shmem flag " + shmem + " and " + size + " pages");
            }
            p.files.add(new FileRec(id, shmem == 1, size, name, idx, pfn));
        }
        in.expectEnd();
    }

    private static void parseProcesses(final Parsed p, final Bin.In in) throws SnapshotFormatException
    {
        final int n = in.getInt("process count");
        in.getInt("reserved");
        if (n < 0 || n > 65535)
        {
            throw in.bad("process count " + n + " is out of range 0..65535");
        }
        for (int i = 0; i < n; i++)
        {
            final int id = in.getInt("mm id");
            final int pinned = in.getInt("hasPinned");
            final long pgd = in.getLong("pgd");
            final long[] rss = new long[4];
            for (int c = 0; c < 4; c++)
            {
                rss[c] = in.getCount("rss counter " + c + " of mm#" + id, 1L << 40);
            }
            final int pins = (int)in.getCount("pin count of mm#" + id, in.remaining() / 16);
            final long[] pinAddr = new long[pins];
            final long[] pinPfn = new long[pins];
            for (int c = 0; c < pins; c++)
            {
                pinAddr[c] = in.getLong("pin address");
                pinPfn[c] = in.getLong("pin pfn");
            }
            final int nv = (int)in.getCount("vma count of mm#" + id, in.remaining() / 48);
            final List<VmaRec> vmas = new ArrayList<>(nv);
            for (int c = 0; c < nv; c++)
            {
                final long start = in.getLong("vma start");
                final long end = in.getLong("vma end");
                final int flags = in.getInt("vma flags");
                final int fileId = in.getInt("vma file id");
                final long pgoff = in.getLong("vma pgoff");
                final long prot = in.getLong("vma page prot");
                final int anon = in.getInt("vma anon_vma flag");
                in.getInt("reserved");
                if ((anon & ~1) != 0)
                {
                    throw in.bad("vma of mm#" + id + " has anon_vma flag " + anon);
                }
                vmas.add(new VmaRec(start, end, flags, fileId, pgoff, prot, anon == 1));
            }
            if ((pinned & ~1) != 0)
            {
                throw in.bad("mm#" + id + " has hasPinned flag " + pinned);
            }
            p.procs.add(new ProcRec(id, pinned == 1, pgd, rss, pinAddr, pinPfn, vmas));
        }
        in.expectEnd();
    }

    // ================================================================ validation (before anything is built)

    private static void validate(final Parsed p) throws SnapshotFormatException
    {
        final long nr = p.nrPages;
        // Allocator: walk every free list through the saved memmap.
        long pages = 0;
        for (int o = 0; o <= PhysMem.MAX_ORDER; o++)
        {
            long count = 0;
            long prev = PageDescriptor.NIL;
            long pfn = p.freeHead[o];
            while (pfn != PageDescriptor.NIL)
            {
                if (++count > p.freeBlocks[o])
                {
                    throw p.bad("free list of order " + o + " is longer than its count " + p.freeBlocks[o]);
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
            if (count != p.freeBlocks[o])
            {
                throw p.bad("free list of order " + o + " has " + count + " blocks, its count says " + p.freeBlocks[o]);
            }
            pages += count << o;
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
            if (fileById.put(f.id, f) != null || f.id < 0 || f.id >= p.counters.nextFileId())
            {
                throw p.bad("file id " + f.id + " of " + f.name + " is used twice or not below nextFileId " + p.counters.nextFileId());
            }
            for (int c = 0; c < f.pfn.length; c++)
            {
                if (f.index[c] < 0 || f.index[c] >= f.sizePages || (c > 0 && f.index[c] <= f.index[c - 1]))
                {
                    throw p.bad("page cache of " + f.name + ": page index " + f.index[c] + " unordered or beyond " + f.sizePages);
                }
                if (f.pfn[c] <= 0 || f.pfn[c] >= nr || (p.flags(f.pfn[c]) & PageDescriptor.PG_FILE) == 0)
                {
                    throw p.bad("page cache of " + f.name + " holds pfn " + f.pfn[c] + ", which is not a page-cache page");
                }
            }
        }
        // Processes and their page-table trees.
        final Arch arch = p.config.arch().create(p.config.tlbiRange(), null);
        final BitSet tableSeen = new BitSet();
        final int[] sortedFree = p.freeSlots.clone();
        Arrays.sort(sortedFree);
        final Set<Integer> ids = new HashSet<>();
        for (final ProcRec pr : p.procs)
        {
            if (pr.id < 1 || pr.id > 65535 || !ids.add(pr.id))
            {
                throw p.bad("mm id " + pr.id + " is out of range 1..65535 or used twice");
            }
            checkTableTree(p, arch, pr, pr.pgd, 0, tableSeen, freeSlot, sortedFree);
            long prevEnd = 0;
            for (final VmaRec v : pr.vmas)
            {
                if (v.start < prevEnd || v.end <= v.start || v.end > PageTables.TASK_SIZE
                    || ((v.start | v.end) & (Arch.PAGE_SIZE - 1)) != 0)
                {
                    throw p.bad(String.format("vma %x-%x of mm#%d is misaligned, empty, beyond TASK_SIZE or overlaps the previous one",
                        v.start, v.end, pr.id));
                }
                if (v.fileId != -1 && !fileById.containsKey(v.fileId))
                {
                    throw p.bad(String.format("vma %x-%x of mm#%d maps file id %d, which is not saved", v.start, v.end, pr.id, v.fileId));
                }
                prevEnd = v.end;
            }
            for (int c = 0; c < pr.pinPfn.length; c++)
            {
                if (pr.pinPfn[c] <= 0 || pr.pinPfn[c] >= nr || (pr.pinAddr[c] & (Arch.PAGE_SIZE - 1)) != 0
                    || p.refcount(pr.pinPfn[c] & -(1L << (p.flags(pr.pinPfn[c]) & PageDescriptor.ORDER_MASK))) <= 0)
                {
                    throw p.bad(String.format("pin of mm#%d at 0x%x holds pfn %d, which is not an allocated page",
                        pr.id, pr.pinAddr[c], pr.pinPfn[c]));
                }
            }
        }
        // Swap device.
        final long[] used = {0};
        p.swapCounts.forEachNonZero(at ->
        {
            if (at != 0)
            {
                used[0]++;
            }
        });
        if (p.swapCounts.getInt(0) != 0 || used[0] != p.swapUsed)
        {
            throw p.bad(used[0] + " swap slots have a count (slot 0: " + p.swapCounts.getInt(0) + "), the device's count says "
                + p.swapUsed);
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

    /** Checks the table page {@code pfn} at {@code level} (0 = PGD) and, above the PTE level, the tables it links. */
    private static void checkTableTree(final Parsed p, final Arch arch, final ProcRec pr, final long pfn, final int level,
        final BitSet seen, final BitSet freeSlot, final int[] sortedFree) throws SnapshotFormatException
    {
        if (pfn <= 0 || pfn >= p.nrPages || (p.flags(pfn) & PageDescriptor.PG_TABLE) == 0)
        {
            throw p.bad("mm#" + pr.id + ": level-" + level + " table at pfn " + pfn + " is not a page-table page"
                + (pfn > 0 && pfn < p.nrPages ? " (flags 0x" + Integer.toHexString(p.flags(pfn)) + ")" : ""));
        }
        final int slot = p.mapcount(pfn);
        if (slot < 0 || slot >= p.highWater || freeSlot.get(slot))
        {
            throw p.bad("mm#" + pr.id + ": table at pfn " + pfn + " uses slot " + slot + ", which is free or beyond the high-water mark "
                + p.highWater);
        }
        if (seen.get((int)pfn))
        {
            throw p.bad("mm#" + pr.id + ": table at pfn " + pfn + " is linked twice");
        }
        seen.set((int)pfn);
        if (level == 3)
        {
            return;
        }
        // rank of the slot among the used slots = its position in the tables section
        int freeBelow = Arrays.binarySearch(sortedFree, slot);
        freeBelow = freeBelow < 0 ? -freeBelow - 1 : freeBelow;
        final long base = p.tablesData + (long)(slot - freeBelow) * TableStore.TABLE_BYTES;
        for (int i = 0; i < TableStore.ENTRIES; i++)
        {
            final long e = p.seg.get(Bin.LONG, base + 8L * i);
            if (e == 0)
            {
                continue;
            }
            if (!arch.tableEntryPresent(e))
            {
                throw p.bad(String.format("mm#%d: entry %d of the level-%d table at pfn %d is 0x%x, not a table entry",
                    pr.id, i, level, pfn, e));
            }
            checkTableTree(p, arch, pr, arch.tableEntryPfn(e), level + 1, seen, freeSlot, sortedFree);
        }
    }

    // ================================================================ build

    private static Machine build(final Parsed p) throws SnapshotFormatException
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
            final PhysMem phys = PhysMem.restore(memmap, new PhysMem.State(p.freeHead, p.freeBlocks, p.freePages));
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
                    for (int c = 0; c < f.pfn.length; c++)
                    {
                        cache.put(f.index[c], f.pfn[c]);
                    }
                    files.put(f.id, m.restoreFile(f.name, f.id, f.sizePages, f.shmem, cache));
                }
                for (final ProcRec pr : p.procs)
                {
                    final List<Mm.Pin> pins = new ArrayList<>();
                    for (int c = 0; c < pr.pinPfn.length; c++)
                    {
                        pins.add(new Mm.Pin(pr.pinAddr[c], pr.pinPfn[c]));
                    }
                    final List<Machine.SavedVma> vmas = new ArrayList<>();
                    for (final VmaRec v : pr.vmas)
                    {
                        vmas.add(new Machine.SavedVma(v.start, v.end, v.flags, v.fileId < 0 ? null : files.get(v.fileId), v.pgoff,
                            v.hasAnonVma, v.pageProt));
                    }
                    m.restoreProcess(pr.id, pr.pgd, pr.hasPinned, pr.rss, pins, vmas);
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

    private static void restoreTables(final Parsed p, final TableStore store)
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
            MemorySegment.copy(p.seg, at, store.chunk(s), TableStore.offset(s), bytes);
            at += bytes;
            s = e;
        }
    }
}
