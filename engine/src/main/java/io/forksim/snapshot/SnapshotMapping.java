package io.forksim.snapshot;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.bytes.MappedFile;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.io.BackgroundResourceReleaser;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * A whole snapshot file mapped by Chronicle Bytes ({@link MappedBytes#singleMappedBytes}: one mapping, no chunks).
 * {@link #bytes()} is the streaming view (bounded per section with {@code readPositionRemaining} /
 * {@code writePositionRemaining}); {@link #store()} is the random-access view of the same bytes, offset 0 = the start
 * of the file. Both are valid only until {@link #close()}, which unmaps the file; nothing may keep them.
 * Single-threaded, like the Chronicle objects under it.
 */
final class SnapshotMapping implements AutoCloseable
{
    /** CRC32C works on ByteBuffers, whose length is an int: longer ranges are fed in pieces of this. */
    private static final long CRC_PIECE = 1L << 30;

    private final Path path;
    private final MappedBytes bytes;
    private final MappedFile file;
    private final BytesStore<?, ?> store;
    private final long length;
    private boolean closed;

    private SnapshotMapping(final Path path, final MappedBytes bytes, final long length)
    {
        this.path = path;
        this.bytes = bytes;
        this.file = bytes.mappedFile();
        this.store = bytes.bytesStore();
        this.length = length;
    }

    /**
     * Creates (or truncates) {@code path} to exactly {@code length} zero bytes and maps it read-write. Precondition:
     * {@code length} is a positive multiple of {@link SnapshotFormat#FILE_ALIGN} (Chronicle rounds a file it creates up
     * to the page size).
     */
    static SnapshotMapping create(final Path path, final long length) throws IOException
    {
        if (length <= 0 || length % SnapshotFormat.FILE_ALIGN != 0)
        {
            throw new IllegalArgumentException("mapped file length " + length + " is not a positive multiple of "
                + SnapshotFormat.FILE_ALIGN);
        }
        Files.deleteIfExists(path);
        return open(path, length, false);
    }

    /**
     * Maps the first {@code length} bytes of {@code path} read-only. Precondition: {@code length} is at least 1 and at
     * most the file's size (the caller checked it); reads stay below {@code length}.
     */
    static SnapshotMapping openReadOnly(final Path path, final long length) throws IOException
    {
        return open(path, length, true);
    }

    private static SnapshotMapping open(final Path path, final long length, final boolean readOnly) throws IOException
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new IOException("snapshot files are little-endian; this platform is " + ByteOrder.nativeOrder());
        }
        final MappedBytes mb;
        try
        {
            mb = MappedBytes.singleMappedBytes(path.toFile(), length, readOnly);
        }
        catch (final IOException | RuntimeException e)
        {
            throw new IOException("cannot map " + path + ": " + e.getMessage(), e);
        }
        final SnapshotMapping m = new SnapshotMapping(path, mb, length);
        try
        {
            m.file.syncMode(SyncMode.NONE);   // a cache file: the page cache writes it back; the checksums catch a torn one
            if (m.store.start() != 0 || m.store.capacity() < length)
            {
                throw new IOException("chronicle mapped " + m.store.start() + ".." + m.store.capacity() + " of " + path
                    + ", expected 0.." + length);
            }
            if (readOnly)
            {
                mb.readLimit(length);
            }
            else
            {
                mb.writeLimit(length);
            }
            return m;
        }
        catch (final IOException | RuntimeException | Error e)
        {
            m.close();
            throw e;
        }
    }

    /** The streaming view of the mapped bytes (positions are file offsets). */
    MappedBytes bytes()
    {
        return bytes;
    }

    /** The random-access view of the mapped bytes (offsets are file offsets). */
    BytesStore<?, ?> store()
    {
        return store;
    }

    /** The mapped length (the file's length when it was opened). */
    long length()
    {
        return length;
    }

    Path path()
    {
        return path;
    }

    /** CRC32C of the file bytes {@code [offset, offset + len)} (the JDK's intrinsic on a direct buffer). */
    int crc32c(final long offset, final long len)
    {
        if (offset < 0 || len < 0 || len > length - offset)
        {
            throw new IndexOutOfBoundsException("CRC32C of " + offset + "+" + len + " beyond " + length + " bytes of " + path);
        }
        final CRC32C c = new CRC32C();
        long o = offset;
        long left = len;
        while (left > 0)
        {
            final int n = (int)Math.min(left, CRC_PIECE);
            c.update(MemorySegment.ofAddress(store.addressForRead(o)).reinterpret(n).asByteBuffer());
            o += n;
            left -= n;
        }
        return (int)c.getValue();
    }

    /**
     * Releases the bytes and the file, and the file's own reservation of its store, which a single mapped file keeps
     * (unless {@code -DmappedFile.retain}): the mapping would otherwise live until the store is garbage collected.
     * Chronicle unmaps on its background releaser thread; this waits for it, so that the file is unmapped when it
     * returns.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            bytes.releaseLast();
        }
        finally
        {
            try
            {
                if (store.refCount() > 0)
                {
                    store.release(file);
                }
            }
            finally
            {
                BackgroundResourceReleaser.releasePendingResources();
            }
        }
    }
}
