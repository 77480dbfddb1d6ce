package io.forksim.snapshot;

import io.forksim.snapshot.SnapshotFormatException.Kind;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/** Little-endian encoding helpers of the snapshot format: layouts, padding, CRC32C, a writer and a checked reader. */
final class Bin
{
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Longest string (file names, metadata) the format accepts, in UTF-8 bytes. */
    static final int MAX_STRING = 1 << 20;

    private Bin()
    {
    }

    static long pad8(final long n)
    {
        return (n + 7) & ~7L;
    }

    /** CRC32C of {@code [off, off + len)} of a native segment (the JDK's intrinsic on direct buffers). */
    static int crc32c(final MemorySegment seg, final long off, final long len)
    {
        final CRC32C c = new CRC32C();
        long o = off;
        long left = len;
        while (left > 0)
        {
            final int n = (int)Math.min(left, 1L << 30);
            c.update(seg.asSlice(o, n).asByteBuffer());
            o += n;
            left -= n;
        }
        return (int)c.getValue();
    }

    /** A growable little-endian byte buffer for the small sections. */
    static final class Out
    {
        private byte[] buf = new byte[256];
        private int len;
        private MemorySegment view = MemorySegment.ofArray(buf);

        private void room(final int n)
        {
            if (len + n > buf.length)
            {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
                view = MemorySegment.ofArray(buf);
            }
        }

        Out putInt(final int v)
        {
            room(4);
            view.set(INT, len, v);
            len += 4;
            return this;
        }

        Out putLong(final long v)
        {
            room(8);
            view.set(LONG, len, v);
            len += 8;
            return this;
        }

        /** u32 byte length, the UTF-8 bytes, zero padding to 8. */
        Out putString(final String s)
        {
            final byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > MAX_STRING)
            {
                throw new IllegalArgumentException("string of " + b.length + " bytes is too long for a snapshot: "
                    + s.substring(0, 40) + "...");
            }
            putInt(b.length);
            room(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
            return pad8();
        }

        Out pad8()
        {
            final int p = (int)(Bin.pad8(len) - len);
            room(p);
            len += p;   // the array is zero there
            return this;
        }

        int length()
        {
            return len;
        }

        /** The bytes written, as a heap segment view (no copy). */
        MemorySegment segment()
        {
            return view.asSlice(0, len);
        }
    }

    /** A bounds-checked little-endian reader over one section of the mapped file. */
    static final class In
    {
        private final MemorySegment seg;
        private final Path file;
        private final String section;
        private final long end;
        private long pos;

        In(final MemorySegment seg, final long pos, final long len, final Path file, final String section)
        {
            this.seg = seg;
            this.pos = pos;
            this.end = pos + len;
            this.file = file;
            this.section = section;
        }

        SnapshotFormatException bad(final String what)
        {
            return new SnapshotFormatException(file, Kind.INCONSISTENT, "section " + section + ": " + what);
        }

        private void need(final long n, final String what) throws SnapshotFormatException
        {
            if (n < 0 || n > end - pos)
            {
                throw bad(what + " runs past the end of the section (" + n + " bytes needed at offset " + pos + ", "
                    + (end - pos) + " left)");
            }
        }

        long pos()
        {
            return pos;
        }

        long remaining()
        {
            return end - pos;
        }

        int getInt(final String what) throws SnapshotFormatException
        {
            need(4, what);
            final int v = seg.get(INT, pos);
            pos += 4;
            return v;
        }

        long getLong(final String what) throws SnapshotFormatException
        {
            need(8, what);
            final long v = seg.get(LONG, pos);
            pos += 8;
            return v;
        }

        /** A count that must lie in {@code [0, max]}. */
        long getCount(final String what, final long max) throws SnapshotFormatException
        {
            final long v = getLong(what);
            if (v < 0 || v > max)
            {
                throw bad(what + " " + v + " is out of range 0.." + max);
            }
            return v;
        }

        String getString(final String what) throws SnapshotFormatException
        {
            final int n = getInt(what + " length");
            if (n < 0 || n > MAX_STRING)
            {
                throw bad(what + " length " + n + " is out of range 0.." + MAX_STRING);
            }
            need(n, what);
            final byte[] b = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            pos += n;
            skipPad(what);
            return new String(b, StandardCharsets.UTF_8);
        }

        /** Skips {@code n} bytes and the padding to 8 after them; returns where they start. */
        long skip(final long n, final String what) throws SnapshotFormatException
        {
            need(n, what);
            final long at = pos;
            pos += n;
            skipPad(what);
            return at;
        }

        void skipPad(final String what) throws SnapshotFormatException
        {
            final long p = Bin.pad8(pos) - pos;
            need(p, what + " padding");
            pos += p;
        }

        void expectEnd() throws SnapshotFormatException
        {
            if (pos != end)
            {
                throw bad((end - pos) + " unexpected bytes at the end of the section");
            }
        }
    }
}
