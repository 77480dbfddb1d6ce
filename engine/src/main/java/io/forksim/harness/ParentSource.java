package io.forksim.harness;

import io.forksim.snapshot.ParentOrigin;
import io.forksim.snapshot.SnapshotCache;

/**
 * Where the populated parent of one configuration came from under {@code forksim fork --snapshot}: reused from its
 * snapshot file, or populated and saved because the file was missing, stale (another setup, machine or format
 * version) or corrupt (truncated, a checksum, inconsistent), and how long that took. A worker JVM sends it to its
 * parent as a JSON line ({@link JsonReport#parentLine}); {@link ParentReport} prints it.
 *
 * @param arch         x86_64 or arm64
 * @param order        the {@link FolioOrder} code of the parent's folios (order, and PMD-mapped or not)
 * @param contpteBasic whether this is contpte-basic's own arm64 machine
 * @param file         the snapshot file
 * @param origin       {@link ParentOrigin#word()}: reused, created, recreated-stale or recreated-corrupt
 * @param reason       why the file was not reused, or null when it was
 * @param nanos        time to load the file, or to check it, populate and save
 * @param saveError    why saving failed (the run went on without it), or null
 */
public record ParentSource(String arch, int order, boolean contpteBasic, String file, String origin, String reason,
    long nanos, String saveError)
{
    /** The source of a parent {@link SnapshotCache#loadOrCreate} returned. */
    public static ParentSource of(final String arch, final int order, final boolean contpteBasic, final SnapshotCache.Loaded l)
    {
        return new ParentSource(arch, order, contpteBasic, l.file().toString(), l.origin().word(), l.reason(), l.nanos(),
            l.saveError());
    }

    /** {@link #origin} as the enum. */
    public ParentOrigin parentOrigin()
    {
        return ParentOrigin.ofWord(origin);
    }
}
