package io.forksim.snapshot;

import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.SwapSpace;
import io.forksim.mm.Vma;
import io.forksim.pgtable.TableStore;
import io.forksim.snapshot.SnapshotFormat.SectionId;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.PointerBytesStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.forksim.snapshot.SnapshotFormat.FILE_ALIGN;
import static io.forksim.snapshot.SnapshotFormat.FORMAT_VERSION;
import static io.forksim.snapshot.SnapshotFormat.HEADER_BYTES;

/**
 * Writes a whole {@link Machine} to a snapshot file in {@link SnapshotFormat}. The small sections (meta, machine,
 * files, processes) are encoded first into Chronicle heap {@link Bytes}, so that every section's length, and the
 * file's, is known before the file is created; the file is then mapped with {@link SnapshotMapping} and each section
 * is written through the file's Chronicle {@link Bytes} bounded to the section ({@code writePositionRemaining}): a
 * section that would run over its planned length fails instead of overwriting the next. The big sections are copied
 * from the machine's off-heap segments in place. The file is written under a temporary name next to the target and
 * renamed over it only when complete.
 */
final class SnapshotWriter
{
    /** Writes one section's bytes at the write position of {@code out}, which is bounded to the section. */
    @FunctionalInterface
    private interface SectionBody
    {
        void write(Bytes<?> out);
    }

    private SnapshotWriter()
    {
    }

    /**
     * Writes the whole state of {@code m} with the string metadata {@code meta} to {@code file}, replacing it atomically
     * when complete. Precondition: {@code m} is quiescent (no operation runs on it meanwhile); it is not changed.
     *
     * @return what was written, with the time it took
     * @throws IOException if the file cannot be written; {@code file} is then unchanged
     */
    static Snapshot.Info save(final Machine m, final Path file, final Map<String, String> meta) throws IOException
    {
        final long t0 = System.nanoTime();
        final Machine.Config cfg = m.config();
        final MemMap memmap = m.memmap();
        final TableStore store = m.tableStore();
        final SwapSpace swap = m.swap();
        final PhysMem.State phys = m.phys().exportState();
        final int highWater = store.highWater();
        final int[] freeSlots = store.freeSlotStack();
        final List<SimFile> files = m.files();
        final List<Mm> procs = m.processes();

        final Path target = file.toAbsolutePath();
        final Path dir = target.getParent();
        if (dir != null && !Files.isDirectory(dir))
        {
            throw new NoSuchFileException(dir.toString(), null, "directory of snapshot " + file + " does not exist");
        }

        final List<Bytes<?>> heap = new ArrayList<>();
        try
        {
            // Small sections, encoded on the heap.
            final Bytes<?> metaOut = track(heap, encodeMeta(meta));
            final Bytes<?> machineOut = track(heap, encodeMachine(m, phys, highWater, freeSlots));
            final Bytes<?> filesOut = track(heap, encodeFiles(files));
            final Bytes<?> procOut = track(heap, encodeProcesses(procs));

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

            // In SectionId order.
            final long[] lengths = {
                metaOut.readRemaining(), machineOut.readRemaining(), filesOut.readRemaining(), procOut.readRemaining(),
                records.encodedBytes(), tokens.encodedBytes(), pae.encodedBytes(),
                Long.BYTES + tablesInUse * TableStore.TABLE_BYTES,
                swapCounts.encodedBytes(), swapTokens.encodedBytes(), swapCache.encodedBytes()};
            final SectionBody[] bodies = {
                o -> o.write(metaOut), o -> o.write(machineOut), o -> o.write(filesOut), o -> o.write(procOut),
                o -> SegmentCodec.write(records, memmap.records(), o),
                o -> SegmentCodec.write(tokens, memmap.tokens(), o),
                o -> SegmentCodec.write(pae, memmap.anonExclusive(), o),
                o -> writeTables(store, highWater, free, tablesInUse, o),
                o -> SegmentCodec.write(swapCounts, swap.countsSegment(), o),
                o -> SegmentCodec.write(swapTokens, swap.tokensSegment(), o),
                o -> SegmentCodec.write(swapCache, swap.cacheSegment(), o)};
            final SectionId[] secs = SectionId.ALL;
            final long[] offsets = new long[secs.length];
            long dataEnd = HEADER_BYTES;
            for (int i = 0; i < secs.length; i++)
            {
                offsets[i] = dataEnd;
                dataEnd += lengths[i];
            }
            final long total = (dataEnd + FILE_ALIGN - 1) & -(long)FILE_ALIGN;

            final Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid()
                + "-" + Long.toHexString(System.nanoTime()));
            final int[] crcs = new int[secs.length];
            final long created = System.currentTimeMillis();
            boolean done = false;
            try
            {
                try (SnapshotMapping out = SnapshotMapping.create(tmp, total))
                {
                    final Bytes<?> b = out.bytes();
                    for (int i = 0; i < secs.length; i++)
                    {
                        b.writePositionRemaining(offsets[i], lengths[i]);
                        bodies[i].write(b);
                        expectAt(b, offsets[i] + lengths[i], secs[i].label);
                        crcs[i] = out.crc32c(offsets[i], lengths[i]);
                    }
                    out.store().zeroOut(dataEnd, total);
                    b.writePositionRemaining(0, HEADER_BYTES);
                    writeHeader(out, cfg, total, created, offsets, lengths, crcs);
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
            final List<Snapshot.Section> sections = new ArrayList<>();
            for (int i = 0; i < secs.length; i++)
            {
                sections.add(new Snapshot.Section(secs[i].label, offsets[i], lengths[i], crcs[i]));
            }
            final List<Snapshot.ProcessInfo> pinfo = new ArrayList<>();
            for (final Mm p : procs)
            {
                pinfo.add(new Snapshot.ProcessInfo(p.id(), p.pgd(), p.vmas().size(),
                    new long[] {p.rss(0), p.rss(1), p.rss(2), p.rss(3)}, p.pins().size(), p.hasPinned()));
            }
            return new Snapshot.Info(target, FORMAT_VERSION, cfg, total, created, Collections.unmodifiableMap(new TreeMap<>(meta)),
                List.copyOf(sections), List.copyOf(pinfo), files.size(), phys.freePages(), (int)tablesInUse, swap.used(), true,
                System.nanoTime() - t0);
        }
        finally
        {
            for (final Bytes<?> h : heap)
            {
                h.releaseLast();
            }
        }
    }

    private static Bytes<?> track(final List<Bytes<?>> heap, final Bytes<?> b)
    {
        heap.add(b);
        return b;
    }

    private static void expectAt(final Bytes<?> out, final long position, final String what)
    {
        if (out.writePosition() != position)
        {
            throw new IllegalStateException("snapshot " + what + " ends at " + out.writePosition() + ", planned " + position);
        }
    }

    private static Bytes<?> encodeMeta(final Map<String, String> meta)
    {
        final Bytes<?> out = Bytes.allocateElasticOnHeap(256);
        out.writeInt(meta.size()).writeInt(0);
        for (final Map.Entry<String, String> e : new TreeMap<>(meta).entrySet())
        {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
        return out;
    }

    private static Bytes<?> encodeMachine(final Machine m, final PhysMem.State phys, final int highWater, final int[] freeSlots)
    {
        final Machine.Counters counters = m.counters();
        final SwapSpace swap = m.swap();
        final Bytes<?> out = Bytes.allocateElasticOnHeap(256 + 4 * freeSlots.length);
        out.writeLong(m.memmap().nrPages()).writeLong(swap.slots());
        out.writeInt(counters.nextMmId()).writeInt(counters.nextFileId()).writeLong(counters.nextToken());
        out.writeInt(counters.nextShmemId()).writeInt(0);
        for (final int h : phys.freeHead())
        {
            out.writeInt(h);
        }
        out.writeInt(Math.toIntExact(phys.deferredBlocks()));
        for (final long b : phys.freeBlocks())
        {
            out.writeLong(b);
        }
        out.writeLong(phys.freePages());
        out.writeInt(highWater).writeInt(freeSlots.length);
        for (final int s : freeSlots)
        {
            out.writeInt(s);
        }
        pad(out);
        out.writeLong(swap.cursor()).writeLong(swap.used());
        return out;
    }

    private static Bytes<?> encodeFiles(final List<SimFile> files)
    {
        final Bytes<?> out = Bytes.allocateElasticOnHeap(256);
        out.writeInt(files.size()).writeInt(0);
        for (final SimFile f : files)
        {
            out.writeInt(f.id()).writeInt(f.isShmem() ? 1 : 0).writeLong(f.sizePages());
            writeString(out, f.name());
            final Map<Long, Long> cache = f.pageCacheView();
            out.writeLong(cache.size());
            for (final Map.Entry<Long, Long> e : cache.entrySet())
            {
                out.writeLong(e.getKey()).writeLong(e.getValue());
            }
        }
        return out;
    }

    private static Bytes<?> encodeProcesses(final List<Mm> procs)
    {
        final Bytes<?> out = Bytes.allocateElasticOnHeap(256);
        out.writeInt(procs.size()).writeInt(0);
        for (final Mm p : procs)
        {
            out.writeInt(p.id()).writeInt(p.hasPinned() ? 1 : 0).writeLong(p.pgd());
            for (int i = 0; i < SnapshotFormat.RSS_COUNTERS; i++)
            {
                out.writeLong(p.rss(i));
            }
            final List<Mm.Pin> pins = p.pins();
            out.writeLong(pins.size());
            for (final Mm.Pin pin : pins)
            {
                out.writeLong(pin.addr()).writeLong(pin.pfn());
            }
            final List<Vma> vmas = p.vmas();
            out.writeLong(vmas.size());
            for (final Vma v : vmas)
            {
                out.writeLong(v.start()).writeLong(v.end()).writeInt(v.flags()).writeInt(v.file() == null ? -1 : v.file().id());
                out.writeLong(v.pgoff()).writeLong(v.pageProt()).writeInt(v.hasAnonVma() ? 1 : 0).writeInt(0);
            }
        }
        return out;
    }

    /** A string: u32 byte length, the UTF-8 bytes, pad. */
    private static void writeString(final Bytes<?> out, final String s)
    {
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > SnapshotFormat.MAX_STRING)
        {
            throw new IllegalArgumentException("string of " + b.length + " bytes is too long for a snapshot: "
                + s.substring(0, 40) + "...");
        }
        out.writeInt(b.length).write(b);
        pad(out);
    }

    /** Zero bytes up to the next multiple of 8 (a heap section starts at 0). */
    private static void pad(final Bytes<?> out)
    {
        while ((out.writePosition() & 7) != 0)
        {
            out.writeByte((byte)0);
        }
    }

    /** The page-tables section: u64 count, then the 4 KiB of every used slot in slot order, one copy per run in a chunk. */
    private static void writeTables(final TableStore store, final int highWater, final BitSet free, final long inUse,
        final Bytes<?> out)
    {
        out.writeLong(inUse);
        final PointerBytesStore run = BytesStore.nativePointer();
        try
        {
            int s = 0;
            while (s < highWater)
            {
                if (free.get(s))
                {
                    s++;
                    continue;
                }
                int e = s + 1;
                while (e < highWater && !free.get(e) && (e >>> TableStore.CHUNK_SHIFT) == (s >>> TableStore.CHUNK_SHIFT))
                {
                    e++;
                }
                final long bytes = (long)(e - s) * TableStore.TABLE_BYTES;
                run.set(store.chunk(s).asSlice(TableStore.offset(s), bytes).address(), bytes);
                out.write(run);
                s = e;
            }
        }
        finally
        {
            run.releaseLast();
        }
    }

    /**
     * Writes the header with its section table, and last its CRC32C. Precondition: the write position of
     * {@code file}'s bytes is 0, bounded to the header, and every section is written.
     */
    private static void writeHeader(final SnapshotMapping file, final Machine.Config cfg, final long total, final long created,
        final long[] offsets, final long[] lengths, final int[] crcs)
    {
        final Bytes<?> out = file.bytes();
        out.writeLong(SnapshotFormat.MAGIC).writeInt(FORMAT_VERSION).writeInt(HEADER_BYTES).writeLong(total);
        out.writeInt(SnapshotFormat.archCode(cfg)).writeInt(SnapshotFormat.flags(cfg));
        out.writeLong(cfg.ramBytes()).writeLong(cfg.swapBytes()).writeLong(created);
        out.writeInt(SectionId.ALL.length).writeInt(0);
        expectAt(out, SnapshotFormat.H_SECTION_TABLE, "header");
        for (final SectionId s : SectionId.ALL)
        {
            final int i = s.ordinal();
            out.writeInt(s.id).writeInt(crcs[i]).writeLong(offsets[i]).writeLong(lengths[i]).writeLong(0L);
        }
        while (out.writePosition() < SnapshotFormat.H_CRC)
        {
            out.writeInt(0);
        }
        out.writeInt(file.crc32c(0, SnapshotFormat.H_CRC));
        expectAt(out, HEADER_BYTES, "header");
    }
}
