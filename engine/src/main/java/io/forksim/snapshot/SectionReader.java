package io.forksim.snapshot;

import io.forksim.snapshot.SnapshotFormatException.Kind;
import net.openhft.chronicle.bytes.Bytes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads the fields of one section of a mapped snapshot in order, through the file's Chronicle {@link Bytes} bounded
 * to the section ({@code readPositionRemaining}). Every read names the field it reads: a field that runs past the end
 * of the section, a count out of range or bytes left over become one {@link SnapshotFormatException} naming the file,
 * the section and the field. Chronicle's own bounds check stays behind this one.
 *
 * <p>The reader repositions the file's shared {@link Bytes}: only the most recently made reader of a file may be used.
 */
final class SectionReader
{
    private final Bytes<?> in;
    private final Path file;
    private final String section;
    private final long start;

    /** Preconditions: {@code [offset, offset + length)} lies inside the mapping of {@code mapping}. */
    SectionReader(final SnapshotMapping mapping, final long offset, final long length, final String section)
    {
        this.in = mapping.bytes();
        this.file = mapping.path();
        this.section = section;
        this.start = offset;
        in.readPositionRemaining(offset, length);
    }

    SnapshotFormatException bad(final String what)
    {
        return new SnapshotFormatException(file, Kind.INCONSISTENT, "section " + section + ": " + what);
    }

    private void need(final long n, final String what) throws SnapshotFormatException
    {
        if (n < 0 || n > in.readRemaining())
        {
            throw bad(what + " runs past the end of the section (" + n + " bytes needed at offset " + in.readPosition() + ", "
                + in.readRemaining() + " left)");
        }
    }

    /** File offset of the next field. */
    long position()
    {
        return in.readPosition();
    }

    long remaining()
    {
        return in.readRemaining();
    }

    int getInt(final String what) throws SnapshotFormatException
    {
        need(Integer.BYTES, what);
        return in.readInt();
    }

    long getLong(final String what) throws SnapshotFormatException
    {
        need(Long.BYTES, what);
        return in.readLong();
    }

    /** A u64 count that must lie in {@code [0, max]}. */
    long getCount(final String what, final long max) throws SnapshotFormatException
    {
        final long v = getLong(what);
        if (v < 0 || v > max)
        {
            throw bad(what + " " + v + " is out of range 0.." + max);
        }
        return v;
    }

    /** A string: u32 length, UTF-8 bytes, pad. */
    String getString(final String what) throws SnapshotFormatException
    {
        final int n = getInt(what + " length");
        if (n < 0 || n > SnapshotFormat.MAX_STRING)
        {
            throw bad(what + " length " + n + " is out of range 0.." + SnapshotFormat.MAX_STRING);
        }
        need(n, what);
        final byte[] b = new byte[n];
        in.read(b);
        skipPad(what);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Skips {@code n} bytes and the pad after them; returns the file offset where they start. */
    long skip(final long n, final String what) throws SnapshotFormatException
    {
        need(n, what);
        final long at = in.readPosition();
        in.readSkip(n);
        skipPad(what);
        return at;
    }

    /** Skips the zero padding to the next multiple of 8 from the start of the section. */
    void skipPad(final String what) throws SnapshotFormatException
    {
        final long rel = in.readPosition() - start;
        final long p = SnapshotFormat.pad8(rel) - rel;
        need(p, what + " padding");
        in.readSkip(p);
    }

    void expectEnd() throws SnapshotFormatException
    {
        if (in.readRemaining() != 0)
        {
            throw bad(in.readRemaining() + " unexpected bytes at the end of the section");
        }
    }
}
