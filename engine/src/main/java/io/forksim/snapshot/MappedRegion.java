package io.forksim.snapshot;

import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.bytes.MappedFile;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.io.BackgroundResourceReleaser;
import net.openhft.chronicle.core.io.ReferenceOwner;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A whole snapshot file mapped into memory by chronicle-bytes ({@link MappedFile#ofSingle}: one mapping, no
 * chunking), seen as a {@link MemorySegment} so that sections move with bulk {@link MemorySegment#copy} between the
 * simulator's off-heap segments and the file.
 *
 * <p>The segment wraps the address chronicle's {@link MappedBytesStore} hands out ({@code addressForRead/Write(0)})
 * and is valid only until {@link #close()}, which releases the store and the mapped file; nothing may keep it.
 * Single-threaded, like the chronicle objects under it.
 */
final class MappedRegion implements AutoCloseable
{
    static
    {
        // chronicle-core logs through slf4j; without a binding slf4j prints two warning lines on stderr.
        if (System.getProperty("slf4j.internal.verbosity") == null)
        {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
    }

    private final ReferenceOwner owner;
    private final MappedFile file;
    private final MappedBytesStore store;
    private final MemorySegment segment;
    private boolean closed;

    private MappedRegion(final ReferenceOwner owner, final MappedFile file, final MappedBytesStore store, final MemorySegment segment)
    {
        this.owner = owner;
        this.file = file;
        this.store = store;
        this.segment = segment;
    }

    /**
     * Creates (or truncates) {@code path} to exactly {@code length} bytes and maps it read-write. {@code length} must
     * be a multiple of 4096: chronicle rounds a file it creates up to the page size.
     */
    static MappedRegion create(final Path path, final long length) throws IOException
    {
        if ((length & 4095) != 0)
        {
            throw new IllegalArgumentException("mapped file length " + length + " is not a multiple of 4096");
        }
        java.nio.file.Files.deleteIfExists(path);
        return open(path, length, false);
    }

    /** Maps the first {@code length} bytes of {@code path} read-only (the caller checked the file's size). */
    static MappedRegion openReadOnly(final Path path, final long length) throws IOException
    {
        return open(path, length, true);
    }

    private static MappedRegion open(final Path path, final long length, final boolean readOnly) throws IOException
    {
        final ReferenceOwner owner = ReferenceOwner.temporary("forksim-snapshot");
        final MappedFile mf;
        try
        {
            mf = MappedFile.ofSingle(path.toFile(), length, readOnly);
        }
        catch (final RuntimeException e)
        {
            throw new IOException("cannot map " + path + ": " + e.getMessage(), e);
        }
        MappedBytesStore bs = null;
        try
        {
            mf.syncMode(SyncMode.NONE);   // a cache file: the page cache writes it back; the checksums catch a torn one
            bs = mf.acquireByteStore(owner, 0);
            if (bs.start() != 0 || bs.safeLimit() < length)
            {
                throw new IOException("chronicle mapped " + bs.start() + ".." + bs.safeLimit() + " of " + path
                    + ", expected 0.." + length);
            }
            final long address = readOnly ? bs.addressForRead(0) : bs.addressForWrite(0);
            return new MappedRegion(owner, mf, bs, MemorySegment.ofAddress(address).reinterpret(length));
        }
        catch (final IOException | RuntimeException | Error e)
        {
            release(owner, mf, bs);
            throw e;
        }
    }

    /** The mapped bytes; valid until {@link #close()}. */
    MemorySegment segment()
    {
        return segment;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            release(owner, file, store);
        }
    }

    /**
     * Releases our reservation of the store, the file, and the file's own reservation of its store: a single mapped
     * file keeps that one unless {@code -DmappedFile.retain}, and the mapping would then live until the store is
     * garbage collected. Chronicle unmaps on its background releaser thread; this waits for it, so that the file is
     * unmapped when it returns.
     */
    private static void release(final ReferenceOwner owner, final MappedFile file, final MappedBytesStore store)
    {
        try
        {
            if (store != null)
            {
                store.release(owner);
            }
        }
        finally
        {
            try
            {
                file.releaseLast();
                if (store != null && store.refCount() > 0)
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
