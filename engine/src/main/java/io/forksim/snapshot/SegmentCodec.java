package io.forksim.snapshot;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.PointerBytesStore;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static io.forksim.snapshot.SnapshotFormat.CODEC_BLOCK;
import static io.forksim.snapshot.SnapshotFormat.CODEC_DENSE;
import static io.forksim.snapshot.SnapshotFormat.CODEC_HEADER_BYTES;
import static io.forksim.snapshot.SnapshotFormat.CODEC_INDEX_BYTES;
import static io.forksim.snapshot.SnapshotFormat.CODEC_RUN_HEADER_BYTES;
import static io.forksim.snapshot.SnapshotFormat.CODEC_SPARSE;
import static io.forksim.snapshot.SnapshotFormat.CODEC_SPARSE_MAX;

/**
 * Encoding of one big off-heap segment (memmap records, tokens and PageAnonExclusive bytes, swap map) as a snapshot
 * section that skips what was never touched: {@link #scan} finds the all-zero, sparse and dense blocks, {@link #write}
 * stores them, {@link #parse} reads and validates a stored section into a {@link StoredSegment}. The layout (section
 * header, runs, SPARSE entries) is documented with {@link SnapshotFormat}. An all-zero block is not stored at all, so
 * a lazily committed memmap stays uncommitted on load; a block of at most {@value SnapshotFormat#CODEC_SPARSE_MAX}
 * non-zero elements (the free-list heads of an idle part of the memmap) is a SPARSE run; other blocks are DENSE, and
 * consecutive dense blocks form one run, copied in one piece. Elements are 1, 4, 8 or 16 bytes; a zero element is one
 * whose bytes are all zero.
 */
final class SegmentCodec
{
    private static final MemorySegment ZERO = MemorySegment.ofArray(new long[CODEC_BLOCK / 8]);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private SegmentCodec()
    {
    }

    /** The runs of one segment, found by {@link #scan}; {@link #write} stores them. */
    static final class Plan
    {
        final long segmentBytes;
        final int elem;
        long[] off = new long[64];
        long[] n = new long[64];
        byte[] kind = new byte[64];
        int runs;

        Plan(final long segmentBytes, final int elem)
        {
            this.segmentBytes = segmentBytes;
            this.elem = elem;
        }

        private void add(final int k, final long o, final long count)
        {
            if (runs == off.length)
            {
                off = Arrays.copyOf(off, runs * 2);
                n = Arrays.copyOf(n, runs * 2);
                kind = Arrays.copyOf(kind, runs * 2);
            }
            off[runs] = o;
            n[runs] = count;
            kind[runs] = (byte)k;
            runs++;
        }

        /** Bytes of the encoded section. */
        long encodedBytes()
        {
            long b = CODEC_HEADER_BYTES + (long)runs * CODEC_RUN_HEADER_BYTES;
            for (int r = 0; r < runs; r++)
            {
                b += SnapshotFormat.pad8(kind[r] == CODEC_DENSE ? n[r] : n[r] * (CODEC_INDEX_BYTES + elem));
            }
            return b;
        }
    }

    private static boolean isZero(final MemorySegment s, final long at, final int elem)
    {
        return switch (elem)
        {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, at) == 0;
            case 4 -> s.get(INT, at) == 0;
            case 8 -> s.get(LONG, at) == 0;
            default -> s.get(LONG, at) == 0 && s.get(LONG, at + 8) == 0;
        };
    }

    /** Offset of the first non-zero element in {@code [from, end)}, or -1. */
    private static long nextNonZero(final MemorySegment s, final long from, final long end, final int elem)
    {
        if (from >= end)
        {
            return -1;
        }
        final long m = MemorySegment.mismatch(s, from, end, ZERO, 0, end - from);
        return m < 0 ? -1 : from + (m & -(long)elem);
    }

    /** Non-zero elements of the block {@code [off, end)} starting at {@code first}, counting up to {@code limit + 1}. */
    private static int countNonZero(final MemorySegment s, final long first, final long end, final int elem, final int limit)
    {
        int count = 0;
        long pos = first;
        while (pos >= 0)
        {
            if (++count > limit)
            {
                return count;
            }
            pos += elem;
            if (pos >= end)
            {
                break;
            }
            if (isZero(s, pos, elem))
            {
                pos = nextNonZero(s, pos, end, elem);
            }
        }
        return count;
    }

    /** Finds the zero, sparse and dense blocks of {@code seg}, whose elements are {@code elem} (1, 4, 8 or 16) bytes. */
    static Plan scan(final MemorySegment seg, final int elem)
    {
        final long size = seg.byteSize();
        final Plan p = new Plan(size, elem);
        for (long off = 0; off < size; off += CODEC_BLOCK)
        {
            final long end = Math.min(size, off + CODEC_BLOCK);
            final long first = nextNonZero(seg, off, end, elem);
            if (first < 0)
            {
                continue;
            }
            final int count = countNonZero(seg, first, end, elem, CODEC_SPARSE_MAX);
            if (count <= CODEC_SPARSE_MAX)
            {
                p.add(CODEC_SPARSE, off, count);
            }
            else if (p.runs > 0 && p.kind[p.runs - 1] == CODEC_DENSE && p.off[p.runs - 1] + p.n[p.runs - 1] == off)
            {
                p.n[p.runs - 1] += end - off;
            }
            else
            {
                p.add(CODEC_DENSE, off, end - off);
            }
        }
        return p;
    }

    /**
     * Writes the section for {@code plan} of {@code seg} at the write position of {@code out}, which Chronicle bounds to
     * the section. Preconditions: {@code plan} is {@link #scan}'s of {@code seg}, unchanged since; {@code seg} is native
     * memory (DENSE runs are copied from its address).
     */
    static void write(final Plan plan, final MemorySegment seg, final Bytes<?> out)
    {
        if (!seg.isNative())
        {
            throw new IllegalArgumentException("segment of " + seg.byteSize() + " bytes is not native memory");
        }
        final int elem = plan.elem;
        out.writeLong(plan.segmentBytes).writeInt(elem).writeInt(CODEC_BLOCK).writeLong(plan.runs).writeLong(0L);
        final PointerBytesStore dense = BytesStore.nativePointer();
        try
        {
            for (int r = 0; r < plan.runs; r++)
            {
                final long off = plan.off[r];
                final long n = plan.n[r];
                out.writeLong(off).writeLong(n).writeInt(plan.kind[r]).writeInt(0);
                final long payload;
                if (plan.kind[r] == CODEC_DENSE)
                {
                    dense.set(seg.asSlice(off, n).address(), n);
                    out.write(dense);
                    payload = n;
                }
                else
                {
                    final long end = Math.min(plan.segmentBytes, off + CODEC_BLOCK);
                    long e = nextNonZero(seg, off, end, elem);
                    for (long i = 0; i < n; i++)
                    {
                        out.writeInt((int)((e - off) / elem));
                        writeElement(seg, e, elem, out);
                        e = i + 1 < n ? nextNonZero(seg, e + elem, end, elem) : -1;
                    }
                    payload = n * (CODEC_INDEX_BYTES + elem);
                }
                for (long p = payload; p < SnapshotFormat.pad8(payload); p++)
                {
                    out.writeByte((byte)0);
                }
            }
        }
        finally
        {
            dense.releaseLast();
        }
    }

    private static void writeElement(final MemorySegment s, final long at, final int elem, final Bytes<?> out)
    {
        switch (elem)
        {
            case 1 -> out.writeByte(s.get(ValueLayout.JAVA_BYTE, at));
            case 4 -> out.writeInt(s.get(INT, at));
            case 8 -> out.writeLong(s.get(LONG, at));
            default ->
            {
                out.writeLong(s.get(LONG, at));
                out.writeLong(s.get(LONG, at + 8));
            }
        }
    }

    /**
     * Parses and validates a section written by {@link #write}: sizes, run order, bounds, entry indexes.
     *
     * @param in   the section, from its start
     * @param file the mapped file's bytes, for the payloads (offsets are file offsets)
     * @throws SnapshotFormatException naming the section and the offending value
     */
    static StoredSegment parse(final SectionReader in, final BytesStore<?, ?> file, final long expectSegmentBytes,
        final int expectElem) throws SnapshotFormatException
    {
        final long segBytes = in.getLong("segment length");
        if (segBytes != expectSegmentBytes)
        {
            throw in.bad("segment length " + segBytes + ", expected " + expectSegmentBytes + " for the machine's size");
        }
        final int elem = in.getInt("element size");
        final int block = in.getInt("block size");
        if (elem != expectElem || block != CODEC_BLOCK)
        {
            throw in.bad("element/block size " + elem + "/" + block + ", expected " + expectElem + "/" + CODEC_BLOCK);
        }
        final long runs = in.getCount("run count", (segBytes + CODEC_BLOCK - 1) / CODEC_BLOCK);
        in.getLong("reserved");
        final int nr = (int)runs;
        final long[] off = new long[nr];
        final long[] n = new long[nr];
        final byte[] kind = new byte[nr];
        final long[] data = new long[nr];
        long prevEnd = 0;
        for (int r = 0; r < nr; r++)
        {
            off[r] = in.getLong("run offset");
            n[r] = in.getLong("run length");
            final int k = in.getInt("run kind");
            in.getInt("reserved");
            if (off[r] < prevEnd || off[r] % elem != 0 || off[r] >= segBytes)
            {
                throw in.bad("run " + r + " at offset " + off[r] + " is unordered, misaligned or out of range 0.." + segBytes);
            }
            if (k == CODEC_DENSE)
            {
                if (n[r] <= 0 || n[r] % elem != 0 || n[r] > segBytes - off[r])
                {
                    throw in.bad("dense run " + r + " at offset " + off[r] + " has bad length " + n[r]);
                }
                data[r] = in.skip(n[r], "dense run " + r);
                prevEnd = off[r] + n[r];
            }
            else if (k == CODEC_SPARSE)
            {
                final long blockEnd = Math.min(segBytes, off[r] + CODEC_BLOCK);
                final long elems = (blockEnd - off[r]) / elem;
                if (off[r] % CODEC_BLOCK != 0 || n[r] <= 0 || n[r] > elems)
                {
                    throw in.bad("sparse run " + r + " at offset " + off[r] + " has bad entry count " + n[r]);
                }
                data[r] = in.skip(n[r] * (CODEC_INDEX_BYTES + elem), "sparse run " + r);
                long prevIdx = -1;
                for (long i = 0; i < n[r]; i++)
                {
                    final int idx = file.readInt(data[r] + i * (CODEC_INDEX_BYTES + elem));
                    if (idx <= prevIdx || idx >= elems)
                    {
                        throw in.bad("sparse run " + r + " entry " + i + " has index " + idx + " (unordered or beyond " + elems + ")");
                    }
                    prevIdx = idx;
                }
                prevEnd = blockEnd;
            }
            else
            {
                throw in.bad("run " + r + " has unknown kind " + k);
            }
            kind[r] = (byte)k;
        }
        in.expectEnd();
        return new StoredSegment(file, segBytes, elem, off, n, kind, data, nr);
    }
}
