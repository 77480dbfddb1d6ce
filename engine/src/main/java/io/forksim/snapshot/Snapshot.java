package io.forksim.snapshot;

import io.forksim.mm.Machine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Saves a whole simulated {@link Machine} to a file and loads it back: memmap, buddy allocator, page-table pages,
 * swap device, files with their page caches, processes with their VMAs and pins, and the machine's counters. A
 * populated 64 GiB setup is reused across runs in seconds instead of being populated again.
 *
 * <p>The file format is {@link SnapshotFormat}'s (version {@value #FORMAT_VERSION}): a header with a CRC32C of every
 * section, then the sections. The file is mapped with Chronicle Bytes ({@link SnapshotMapping}); {@link SnapshotWriter}
 * writes it, {@link SnapshotReader} parses it, {@link SnapshotValidator} checks the state it describes and
 * {@link SnapshotBuilder} builds the machine. Machine-wide {@link io.forksim.stats.Events} are not state and are not
 * saved: a loaded machine starts at zero.
 *
 * <h2>Loading validates before it builds</h2>
 * {@link #load} checks, before it allocates any part of a machine: the file's size against its header (truncation),
 * magic, version, the header's and every section's CRC32C, every structure's bounds, and the consistency of the
 * state: free lists walked through the saved memmap (flags, links, counts), each process's page-table tree down to
 * its PTE tables (every table page {@code PG_TABLE}, with a slot in use, referenced once), its PMD leaves (PMD-mapped
 * THPs) with the PTE tables deposited for them (the deposit lists live in the memmap's aux slots), ids, VMAs, files,
 * page and swap caches, swap counts. Any problem throws one {@link SnapshotFormatException} naming the file and the problem;
 * then nothing was built and the mapping is closed. A file of another format version is refused with a
 * {@link SnapshotFormatException.Kind#VERSION} error. Saving writes a temporary file next to the target and renames it
 * over the target only when complete, so a failed save leaves an existing snapshot as it was.
 *
 * <p>Saving reads a quiescent machine (no operation may run on it meanwhile) and does not change it.
 */
public final class Snapshot
{
    static
    {
        // Before any Chronicle class loads (this facade is the package's only way in): chronicle-core logs through
        // slf4j, and without a binding slf4j prints warning lines on stderr.
        if (System.getProperty("slf4j.internal.verbosity") == null)
        {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
    }

    public static final int FORMAT_VERSION = SnapshotFormat.FORMAT_VERSION;
    public static final int HEADER_BYTES = SnapshotFormat.HEADER_BYTES;

    private Snapshot()
    {
    }

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
        return SnapshotWriter.save(m, file, meta);
    }

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
        try (SnapshotMapping m = SnapshotReader.open(file))
        {
            final ParsedSnapshot p = SnapshotReader.parse(m, verifyAll);
            if (verifyAll)
            {
                SnapshotValidator.validate(p);
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
        try (SnapshotMapping m = SnapshotReader.open(file))
        {
            final ParsedSnapshot p = SnapshotReader.parse(m, true);
            SnapshotValidator.validate(p);
            return SnapshotBuilder.build(p);
        }
    }
}
