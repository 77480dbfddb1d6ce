package io.forksim.snapshot;

import io.forksim.arch.Arch;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.pgtable.TableStore;
import io.forksim.snapshot.SnapshotFormat.SectionId;
import io.forksim.snapshot.SnapshotFormatException.Kind;
import io.forksim.snapshot.ParsedSnapshot.FileRec;
import io.forksim.snapshot.ParsedSnapshot.ProcRec;
import io.forksim.snapshot.ParsedSnapshot.VmaRec;
import net.openhft.chronicle.bytes.BytesStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.forksim.snapshot.SnapshotFormat.FILE_ALIGN;
import static io.forksim.snapshot.SnapshotFormat.FORMAT_VERSION;
import static io.forksim.snapshot.SnapshotFormat.HEADER_BYTES;

/**
 * Opens a snapshot file and parses it into a {@link ParsedSnapshot}, checking each structure on its own: the file's
 * size against its header (truncation), magic, version, the header's CRC32C and, of the sections asked for, theirs;
 * the section table; every field's bounds and ranges. The whole-state consistency is {@link SnapshotValidator}'s.
 * Every problem is one {@link SnapshotFormatException} naming the file and the problem. The layouts are
 * {@link SnapshotFormat}'s.
 */
final class SnapshotReader
{
    private SnapshotReader()
    {
    }

    /**
     * Maps {@code file} read-only after the checks that need no mapping.
     *
     * @throws NoSuchFileException naming {@code file} if it does not exist
     * @throws SnapshotFormatException if it is not a regular file or shorter than the magic
     */
    static SnapshotMapping open(final Path file) throws IOException
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
        if (size < SnapshotFormat.MAGIC_BYTES)
        {
            throw new SnapshotFormatException(file, Kind.NOT_A_SNAPSHOT, "not a forksim snapshot (" + size
                + " bytes, shorter than the magic \"FORKSIM\\0\")");
        }
        return SnapshotMapping.openReadOnly(file, size);
    }

    /**
     * Parses the header and the small sections of the mapped file and, with {@code bulk}, verifies the big sections'
     * checksums and parses them too.
     */
    static ParsedSnapshot parse(final SnapshotMapping m, final boolean bulk) throws SnapshotFormatException
    {
        final ParsedSnapshot p = new ParsedSnapshot(m.path(), m.store());
        parseHeader(m, p, bulk);
        parseMeta(p, section(m, p, SectionId.META));
        parseMachine(p, section(m, p, SectionId.MACHINE));
        parseFiles(p, section(m, p, SectionId.FILES));
        parseProcesses(p, section(m, p, SectionId.PROCESSES));
        if (bulk)
        {
            final BytesStore<?, ?> store = m.store();
            p.records = SegmentCodec.parse(section(m, p, SectionId.RECORDS), store, PageDescriptor.recordsLength(p.nrPages),
                PageDescriptor.RECORD_LENGTH);
            p.tokens = SegmentCodec.parse(section(m, p, SectionId.TOKENS), store, PageDescriptor.tokensLength(p.nrPages),
                PageDescriptor.TOKEN_LENGTH);
            p.pae = SegmentCodec.parse(section(m, p, SectionId.PAE), store, PageDescriptor.anonExclusiveLength(p.nrPages),
                PageDescriptor.ANON_EXCLUSIVE_LENGTH);
            final SectionReader t = section(m, p, SectionId.TABLES);
            p.tablesInUse = t.getLong("table count");
            if (p.tablesInUse != p.highWater - p.freeSlots.length)
            {
                throw t.bad(p.tablesInUse + " tables stored, but " + (p.highWater - p.freeSlots.length) + " slots are in use");
            }
            p.tablesData = t.skip(p.tablesInUse * TableStore.TABLE_BYTES, "table bytes");
            t.expectEnd();
            p.swapCounts = SegmentCodec.parse(section(m, p, SectionId.SWAP_COUNTS), store, p.swapSlots * 4, 4);
            p.swapTokens = SegmentCodec.parse(section(m, p, SectionId.SWAP_TOKENS), store, p.swapSlots * 8, 8);
            p.swapCache = SegmentCodec.parse(section(m, p, SectionId.SWAP_CACHE), store, p.swapSlots * 8, 8);
            p.bulkParsed = true;
        }
        return p;
    }

    private static SectionReader section(final SnapshotMapping m, final ParsedSnapshot p, final SectionId s)
    {
        return new SectionReader(m, p.secOff[s.ordinal()], p.secLen[s.ordinal()], s.label);
    }

    private static SnapshotFormatException bad(final SnapshotMapping m, final Kind kind, final String what)
    {
        return new SnapshotFormatException(m.path(), kind, what);
    }

    private static void parseHeader(final SnapshotMapping m, final ParsedSnapshot p, final boolean bulk)
        throws SnapshotFormatException
    {
        final BytesStore<?, ?> h = m.store();
        final long size = m.length();
        if (h.readLong(0) != SnapshotFormat.MAGIC)
        {
            throw bad(m, Kind.NOT_A_SNAPSHOT, "not a forksim snapshot (magic is " + describeMagic(h) + ", expected \"FORKSIM\\0\")");
        }
        if (size < HEADER_BYTES)
        {
            throw bad(m, Kind.TRUNCATED, "truncated: " + size + " bytes, shorter than the " + HEADER_BYTES + "-byte header");
        }
        p.version = h.readInt(SnapshotFormat.H_VERSION);
        if (p.version != FORMAT_VERSION)
        {
            throw bad(m, Kind.VERSION, "format version " + Integer.toUnsignedString(p.version) + ", this forksim reads version "
                + FORMAT_VERSION + " (save the snapshot again)");
        }
        final int headerCrc = m.crc32c(0, SnapshotFormat.H_CRC);
        if (h.readInt(SnapshotFormat.H_CRC) != headerCrc)
        {
            throw bad(m, Kind.CHECKSUM, String.format("corrupt header (CRC32C %08x, stored %08x)", headerCrc,
                h.readInt(SnapshotFormat.H_CRC)));
        }
        if (h.readInt(SnapshotFormat.H_HEADER_LENGTH) != HEADER_BYTES)
        {
            throw bad(m, Kind.INCONSISTENT, "header length " + h.readInt(SnapshotFormat.H_HEADER_LENGTH) + ", expected " + HEADER_BYTES);
        }
        p.fileBytes = h.readLong(SnapshotFormat.H_FILE_LENGTH);
        if (p.fileBytes != size)
        {
            throw bad(m, Kind.TRUNCATED, (size < p.fileBytes ? "truncated: " : "has trailing bytes: ") + size
                + " bytes, the header says " + p.fileBytes);
        }
        final int archCode = h.readInt(SnapshotFormat.H_ARCH);
        final int flags = h.readInt(SnapshotFormat.H_FLAGS);
        if (archCode != SnapshotFormat.ARCH_X86_64 && archCode != SnapshotFormat.ARCH_ARM64)
        {
            throw bad(m, Kind.INCONSISTENT, "unknown arch code " + archCode);
        }
        if ((flags & ~SnapshotFormat.KNOWN_FLAGS) != 0)
        {
            throw bad(m, Kind.INCONSISTENT, "unknown header flags 0x" + Integer.toHexString(flags));
        }
        try
        {
            p.config = SnapshotFormat.config(archCode, flags, h.readLong(SnapshotFormat.H_RAM), h.readLong(SnapshotFormat.H_SWAP));
        }
        catch (final IllegalArgumentException e)
        {
            throw bad(m, Kind.INCONSISTENT, "bad machine configuration: " + e.getMessage());
        }
        p.created = h.readLong(SnapshotFormat.H_CREATED);
        final SectionId[] secs = SectionId.ALL;
        final int count = h.readInt(SnapshotFormat.H_SECTION_COUNT);
        if (count != secs.length)
        {
            throw bad(m, Kind.INCONSISTENT, count + " sections, expected " + secs.length);
        }
        p.secOff = new long[secs.length];
        p.secLen = new long[secs.length];
        long expect = HEADER_BYTES;
        for (final SectionId s : secs)
        {
            final int e = s.entryOffset();
            final int id = h.readInt(e + SnapshotFormat.E_ID);
            final long off = h.readLong(e + SnapshotFormat.E_OFFSET);
            final long len = h.readLong(e + SnapshotFormat.E_LENGTH);
            if (id != s.id)
            {
                throw bad(m, Kind.INCONSISTENT, "section " + s.ordinal() + " has id " + id + ", expected " + s.id + " (" + s.label + ")");
            }
            if (off != expect || len < 0 || len > p.fileBytes - off || (len & 7) != 0)
            {
                throw bad(m, Kind.INCONSISTENT, "section " + s.label + " at " + off + "+" + len
                    + " does not follow the previous one at " + expect + " inside the file of " + p.fileBytes + " bytes");
            }
            p.secOff[s.ordinal()] = off;
            p.secLen[s.ordinal()] = len;
            p.sections.add(new Snapshot.Section(s.label, off, len, h.readInt(e + SnapshotFormat.E_CRC)));
            expect = off + len;
        }
        if (((expect + FILE_ALIGN - 1) & -FILE_ALIGN) != p.fileBytes || !zero(h, expect, p.fileBytes))
        {
            throw bad(m, Kind.INCONSISTENT, "sections end at " + expect + ", the file at " + p.fileBytes
                + " (expected the end rounded up to " + FILE_ALIGN + " bytes, zero-filled)");
        }
        for (final SectionId s : secs)
        {
            if (!bulk && s.bulk())
            {
                continue;
            }
            final int i = s.ordinal();
            final int crc = m.crc32c(p.secOff[i], p.secLen[i]);
            if (crc != p.sections.get(i).crc32c())
            {
                throw bad(m, Kind.CHECKSUM, String.format("corrupt section %s (%d bytes at offset %d: CRC32C %08x, stored %08x)",
                    s.label, p.secLen[i], p.secOff[i], crc, p.sections.get(i).crc32c()));
            }
        }
    }

    /** Whether the file bytes {@code [from, to)} are all zero. Precondition: the range lies inside the file. */
    private static boolean zero(final BytesStore<?, ?> f, final long from, final long to)
    {
        for (long at = from; at < to; at++)
        {
            if (f.readByte(at) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static String describeMagic(final BytesStore<?, ?> f)
    {
        final StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < SnapshotFormat.MAGIC_BYTES; i++)
        {
            final int b = f.readUnsignedByte(i);
            sb.append(b >= 0x20 && b < 0x7F && b != '"' && b != '\\' ? String.valueOf((char)b) : String.format("\\x%02x", b));
        }
        return sb.append('"').toString();
    }

    private static void parseMeta(final ParsedSnapshot p, final SectionReader in) throws SnapshotFormatException
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

    private static void parseMachine(final ParsedSnapshot p, final SectionReader in) throws SnapshotFormatException
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
        p.deferredBlocks = in.getInt("deferred max-order blocks");
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

    private static void parseFiles(final ParsedSnapshot p, final SectionReader in) throws SnapshotFormatException
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
            final long cached = in.getCount("cached pages of " + name, Math.min(p.nrPages, in.remaining() / SnapshotFormat.PAIR_BYTES));
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

    private static void parseProcesses(final ParsedSnapshot p, final SectionReader in) throws SnapshotFormatException
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
            final long[] rss = new long[SnapshotFormat.RSS_COUNTERS];
            for (int c = 0; c < rss.length; c++)
            {
                rss[c] = in.getCount("rss counter " + c + " of mm#" + id, 1L << 40);
            }
            final int pins = (int)in.getCount("pin count of mm#" + id, in.remaining() / SnapshotFormat.PAIR_BYTES);
            final long[] pinAddr = new long[pins];
            final long[] pinPfn = new long[pins];
            for (int c = 0; c < pins; c++)
            {
                pinAddr[c] = in.getLong("pin address");
                pinPfn[c] = in.getLong("pin pfn");
            }
            final int nv = (int)in.getCount("vma count of mm#" + id, in.remaining() / SnapshotFormat.VMA_BYTES);
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
}
