package io.forksim.snapshot;

import net.openhft.chronicle.bytes.BytesStore;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.forksim.snapshot.SnapshotFormat.CODEC_DENSE;
import static io.forksim.snapshot.SnapshotFormat.CODEC_INDEX_BYTES;

/**
 * One off-heap segment as stored in a mapped snapshot by {@link SegmentCodec}, parsed and validated
 * ({@link SegmentCodec#parse}): where each run's payload lies in the file. Reads the segment's values in place, visits
 * its non-zero elements, and restores it into a fresh segment. Valid while the file's {@link SnapshotMapping} is open.
 */
final class StoredSegment
{
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private final BytesStore<?, ?> file;
    final long segmentBytes;
    final int elem;
    private final long[] off;
    private final long[] n;
    private final byte[] kind;
    private final long[] data;
    private final int runs;

    /** Preconditions: the runs passed {@link SegmentCodec#parse}'s checks (ordered, in bounds, payloads in the file). */
    StoredSegment(final BytesStore<?, ?> file, final long segmentBytes, final int elem, final long[] off, final long[] n,
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

    /**
     * The {@code width}-byte little-endian value at byte {@code at} of the segment (0 where not stored).
     * Preconditions: {@code width} is 4 or 8, and the value lies inside one element of the segment.
     */
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
        if (kind[r] == CODEC_DENSE)
        {
            if (rel + width > n[r])
            {
                return 0;
            }
            return read(data[r] + rel, width);
        }
        final long idx = rel / elem;
        final int stride = CODEC_INDEX_BYTES + elem;
        long a = 0;
        long b = n[r] - 1;
        while (a <= b)
        {
            final long mid = (a + b) >>> 1;
            final long e = data[r] + mid * stride;
            final int i = file.readInt(e);
            if (i == idx)
            {
                return read(e + CODEC_INDEX_BYTES + (rel - idx * elem), width);
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
        return (int)get(at, Integer.BYTES);
    }

    private long read(final long fileAt, final int width)
    {
        return width == Integer.BYTES ? file.readInt(fileAt) : file.readLong(fileAt);
    }

    private boolean isZero(final long fileAt)
    {
        return switch (elem)
        {
            case 1 -> file.readByte(fileAt) == 0;
            case 4 -> file.readInt(fileAt) == 0;
            case 8 -> file.readLong(fileAt) == 0;
            default -> file.readLong(fileAt) == 0 && file.readLong(fileAt + 8) == 0;
        };
    }

    /** File offset of the first non-zero element in {@code [from, end)} of the file, or -1 (element-aligned {@code from}). */
    private long nextNonZero(final long from, final long end)
    {
        long p = from;
        while (p < end)
        {
            if (elem <= Long.BYTES && p + Long.BYTES <= end && file.readLong(p) == 0)
            {
                p += Long.BYTES;    // 8 zero bytes: whole elements of 1, 4 or 8 bytes
                continue;
            }
            if (!isZero(p))
            {
                return p;
            }
            p += elem;
        }
        return -1;
    }

    /** Calls {@code v} with the segment byte offset of every stored non-zero element, in ascending order. */
    void forEachNonZero(final ElementVisitor v)
    {
        for (int r = 0; r < runs; r++)
        {
            if (kind[r] == CODEC_DENSE)
            {
                final long end = data[r] + n[r];
                long e = nextNonZero(data[r], end);
                while (e >= 0)
                {
                    v.element(off[r] + (e - data[r]));
                    e = nextNonZero(e + elem, end);
                }
            }
            else
            {
                for (long i = 0; i < n[r]; i++)
                {
                    final long e = data[r] + i * (CODEC_INDEX_BYTES + elem);
                    if (!isZero(e + CODEC_INDEX_BYTES))
                    {
                        v.element(off[r] + (long)file.readInt(e) * elem);
                    }
                }
            }
        }
    }

    /**
     * Copies every stored byte into {@code target}. Precondition: {@code target} is native memory of
     * {@link #segmentBytes}, all zero.
     */
    void restoreInto(final MemorySegment target)
    {
        if (!target.isNative() || target.byteSize() != segmentBytes)
        {
            throw new IllegalArgumentException("target of " + target.byteSize() + " bytes (native " + target.isNative()
                + ") for a stored segment of " + segmentBytes);
        }
        for (int r = 0; r < runs; r++)
        {
            if (kind[r] == CODEC_DENSE)
            {
                file.nativeRead(data[r], target.asSlice(off[r], n[r]).address(), n[r]);
            }
            else
            {
                for (long i = 0; i < n[r]; i++)
                {
                    final long e = data[r] + i * (CODEC_INDEX_BYTES + elem);
                    copyElement(e + CODEC_INDEX_BYTES, target, off[r] + (long)file.readInt(e) * elem);
                }
            }
        }
    }

    private void copyElement(final long fileAt, final MemorySegment target, final long at)
    {
        switch (elem)
        {
            case 1 -> target.set(ValueLayout.JAVA_BYTE, at, file.readByte(fileAt));
            case 4 -> target.set(INT, at, file.readInt(fileAt));
            case 8 -> target.set(LONG, at, file.readLong(fileAt));
            default ->
            {
                target.set(LONG, at, file.readLong(fileAt));
                target.set(LONG, at + 8, file.readLong(fileAt + 8));
            }
        }
    }

    @FunctionalInterface
    interface ElementVisitor
    {
        void element(long byteOffset);
    }
}
