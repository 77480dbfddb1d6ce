package io.forksim.snapshot;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Encoding of one big off-heap segment (memmap records, tokens and PageAnonExclusive bytes, swap map) in a snapshot
 * section, skipping what was never touched. The segment is cut into {@link #BLOCK} = 64 KiB blocks:
 * <ul>
 *   <li>an all-zero block is not stored at all (a lazily committed memmap stays uncommitted on load);</li>
 *   <li>a block with at most {@link #SPARSE_MAX} non-zero elements is stored as a SPARSE run: (u32 element index in
 *       the block, element bytes) per non-zero element (the free-list heads of an idle part of the memmap);</li>
 *   <li>other blocks are DENSE; consecutive dense blocks form one run, copied with one {@link MemorySegment#copy}.</li>
 * </ul>
 * <pre>
 *   section  := u64 segmentBytes, u32 elementBytes, u32 blockBytes, u64 runCount, u64 0, run*
 *   run      := u64 offset, u64 n, u32 kind (1 DENSE, 2 SPARSE), u32 0, payload (zero-padded to 8)
 *   DENSE    : n = byte length, payload = the bytes of [offset, offset + n)
 *   SPARSE   : offset = block start, n = entries, payload = n x (u32 index, element bytes), indexes ascending
 * </pre>
 * Runs are in ascending, non-overlapping offset order. Elements are 1, 4, 8 or 16 bytes; a zero element is one
 * whose bytes are all zero.
 */
final class SegmentCodec
{
    static final long BLOCK = 64 << 10;
    static final int SPARSE_MAX = 128;
    static final int DENSE = 1;
    static final int SPARSE = 2;
    static final int HEADER_BYTES = 32;
    static final int RUN_HEADER_BYTES = 24;

    private static final MemorySegment ZERO = MemorySegment.ofArray(new long[(int)(BLOCK / 8)]);
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
        long denseBytes;
        long sparseEntries;

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
            long b = HEADER_BYTES + (long)runs * RUN_HEADER_BYTES;
            for (int r = 0; r < runs; r++)
            {
                b += Bin.pad8(kind[r] == DENSE ? n[r] : n[r] * (4 + elem));
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

    /** Finds the zero, sparse and dense blocks of {@code seg}. */
    static Plan scan(final MemorySegment seg, final int elem)
    {
        final long size = seg.byteSize();
        final Plan p = new Plan(size, elem);
        for (long off = 0; off < size; off += BLOCK)
        {
            final long end = Math.min(size, off + BLOCK);
            final long first = nextNonZero(seg, off, end, elem);
            if (first < 0)
            {
                continue;
            }
            final int count = countNonZero(seg, first, end, elem, SPARSE_MAX);
            if (count <= SPARSE_MAX)
            {
                p.add(SPARSE, off, count);
                p.sparseEntries += count;
            }
            else if (p.runs > 0 && p.kind[p.runs - 1] == DENSE && p.off[p.runs - 1] + p.n[p.runs - 1] == off)
            {
                p.n[p.runs - 1] += end - off;
                p.denseBytes += end - off;
            }
            else
            {
                p.add(DENSE, off, end - off);
                p.denseBytes += end - off;
            }
        }
        return p;
    }

    /** Writes the section for {@code plan} of {@code seg} at {@code pos} of {@code out}; returns the end position. */
    static long write(final Plan plan, final MemorySegment seg, final MemorySegment out, final long pos)
    {
        final int elem = plan.elem;
        long at = pos;
        out.set(Bin.LONG, at, plan.segmentBytes);
        out.set(Bin.INT, at + 8, elem);
        out.set(Bin.INT, at + 12, (int)BLOCK);
        out.set(Bin.LONG, at + 16, plan.runs);
        out.set(Bin.LONG, at + 24, 0L);
        at += HEADER_BYTES;
        for (int r = 0; r < plan.runs; r++)
        {
            final long off = plan.off[r];
            final long n = plan.n[r];
            out.set(Bin.LONG, at, off);
            out.set(Bin.LONG, at + 8, n);
            out.set(Bin.INT, at + 16, plan.kind[r]);
            out.set(Bin.INT, at + 20, 0);
            at += RUN_HEADER_BYTES;
            final long payload;
            if (plan.kind[r] == DENSE)
            {
                MemorySegment.copy(seg, off, out, at, n);
                payload = n;
            }
            else
            {
                final long end = Math.min(plan.segmentBytes, off + BLOCK);
                long e = nextNonZero(seg, off, end, elem);
                long w = at;
                for (long i = 0; i < n; i++)
                {
                    out.set(Bin.INT, w, (int)((e - off) / elem));
                    MemorySegment.copy(seg, e, out, w + 4, elem);
                    w += 4 + elem;
                    e = i + 1 < n ? nextNonZero(seg, e + elem, end, elem) : -1;
                }
                payload = n * (4 + elem);
            }
            final long padded = Bin.pad8(payload);
            if (padded != payload)
            {
                out.asSlice(at + payload, padded - payload).fill((byte)0);
            }
            at += padded;
        }
        return at;
    }

    /** A parsed, validated section: where each run's payload lies in the file. */
    static final class Decoded
    {
        final MemorySegment file;
        final long segmentBytes;
        final int elem;
        final long[] off;
        final long[] n;
        final byte[] kind;
        final long[] data;
        final int runs;

        private Decoded(final MemorySegment file, final long segmentBytes, final int elem, final long[] off, final long[] n,
            final byte[] kind, final long[] data, final int runs)
        {
            this.file = file;
            this.segmentBytes = segmentBytes;
            this.elem = elem;
            this.off = off;
            this.n = n;
            this.kind = kind;
            this.data = data;
            this.runs = runs;
        }

        /** The {@code width}-byte (4 or 8) little-endian value at byte {@code at} of the segment (0 where not stored). */
        long get(final long at, final int width)
        {
            int lo = 0;
            int hi = runs - 1;
            int r = -1;
            while (lo <= hi)
            {
                final int mid = (lo + hi) >>> 1;
                if (off[mid] <= at)
                {
                    r = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            if (r < 0)
            {
                return 0;
            }
            final long rel = at - off[r];
            if (kind[r] == DENSE)
            {
                if (rel + width > n[r])
                {
                    return 0;
                }
                return read(data[r] + rel, width);
            }
            final long idx = rel / elem;
            final int stride = 4 + elem;
            long a = 0;
            long b = n[r] - 1;
            while (a <= b)
            {
                final long mid = (a + b) >>> 1;
                final long e = data[r] + mid * stride;
                final int i = file.get(Bin.INT, e);
                if (i == idx)
                {
                    return read(e + 4 + (rel - idx * elem), width);
                }
                if (i < idx)
                {
                    a = mid + 1;
                }
                else
                {
                    b = mid - 1;
                }
            }
            return 0;
        }

        int getInt(final long at)
        {
            return (int)get(at, 4);
        }

        private long read(final long fileAt, final int width)
        {
            return width == 4 ? file.get(Bin.INT, fileAt) : file.get(Bin.LONG, fileAt);
        }

        /** Calls {@code v} with the byte offset of every stored non-zero element. */
        void forEachNonZero(final ElementVisitor v)
        {
            for (int r = 0; r < runs; r++)
            {
                if (kind[r] == DENSE)
                {
                    final long end = data[r] + n[r];
                    long e = nextNonZero(file, data[r], end, elem);
                    while (e >= 0)
                    {
                        v.element(off[r] + (e - data[r]));
                        e = nextNonZero(file, e + elem, end, elem);
                    }
                }
                else
                {
                    for (long i = 0; i < n[r]; i++)
                    {
                        final long e = data[r] + i * (4 + elem);
                        if (!isZero(file, e + 4, elem))
                        {
                            v.element(off[r] + (long)file.get(Bin.INT, e) * elem);
                        }
                    }
                }
            }
        }

        /** Copies every stored byte into {@code target} (a fresh, all-zero segment of {@link #segmentBytes}). */
        void restoreInto(final MemorySegment target)
        {
            for (int r = 0; r < runs; r++)
            {
                if (kind[r] == DENSE)
                {
                    MemorySegment.copy(file, data[r], target, off[r], n[r]);
                }
                else
                {
                    for (long i = 0; i < n[r]; i++)
                    {
                        final long e = data[r] + i * (4 + elem);
                        MemorySegment.copy(file, e + 4, target, off[r] + (long)file.get(Bin.INT, e) * elem, elem);
                    }
                }
            }
        }

        long storedBytes()
        {
            long b = 0;
            for (int r = 0; r < runs; r++)
            {
                b += kind[r] == DENSE ? n[r] : n[r] * elem;
            }
            return b;
        }
    }

    @FunctionalInterface
    interface ElementVisitor
    {
        void element(long byteOffset);
    }

    /**
     * Parses and validates a section written by {@link #write}: sizes, run order, bounds, entry indexes.
     *
     * @throws SnapshotFormatException naming the section and the offending value
     */
    static Decoded parse(final Bin.In in, final MemorySegment file, final long expectSegmentBytes, final int expectElem)
        throws SnapshotFormatException
    {
        final long segBytes = in.getLong("segment length");
        if (segBytes != expectSegmentBytes)
        {
            throw in.bad("segment length " + segBytes + ", expected " + expectSegmentBytes + " for the machine's size");
        }
        final int elem = in.getInt("element size");
        final int block = in.getInt("block size");
        if (elem != expectElem || block != BLOCK)
        {
            throw in.bad("element/block size " + elem + "/" + block + ", expected " + expectElem + "/" + BLOCK);
        }
        final long runs = in.getCount("run count", (segBytes + BLOCK - 1) / BLOCK);
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
            if (k == DENSE)
            {
                if (n[r] <= 0 || n[r] % elem != 0 || n[r] > segBytes - off[r])
                {
                    throw in.bad("dense run " + r + " at offset " + off[r] + " has bad length " + n[r]);
                }
                data[r] = in.skip(n[r], "dense run " + r);
                prevEnd = off[r] + n[r];
            }
            else if (k == SPARSE)
            {
                final long blockEnd = Math.min(segBytes, off[r] + BLOCK);
                final long elems = (blockEnd - off[r]) / elem;
                if (off[r] % BLOCK != 0 || n[r] <= 0 || n[r] > elems)
                {
                    throw in.bad("sparse run " + r + " at offset " + off[r] + " has bad entry count " + n[r]);
                }
                data[r] = in.skip(n[r] * (4 + elem), "sparse run " + r);
                long prevIdx = -1;
                for (long i = 0; i < n[r]; i++)
                {
                    final int idx = file.get(Bin.INT, data[r] + i * (4 + elem));
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
        return new Decoded(file, segBytes, elem, off, n, kind, data, nr);
    }
}
