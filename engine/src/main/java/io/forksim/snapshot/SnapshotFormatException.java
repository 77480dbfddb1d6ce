package io.forksim.snapshot;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A snapshot file that cannot be loaded: truncated, corrupt (a checksum does not match), not a forksim snapshot
 * (wrong magic), written by another format version, or internally inconsistent. The message names the file and
 * what is wrong, in one line. When {@link Snapshot#load} throws it, no machine was built and nothing stays open.
 */
public final class SnapshotFormatException extends IOException
{
    private static final long serialVersionUID = 1L;

    /** What kind of problem, for callers that react differently (e.g. never overwrite a foreign file). */
    public enum Kind
    {
        /** Not a forksim snapshot at all (wrong magic, or shorter than the magic). */
        NOT_A_SNAPSHOT,
        /** A forksim snapshot of another format version. */
        VERSION,
        /** Shorter or longer than its header says. */
        TRUNCATED,
        /** A checksum does not match. */
        CHECKSUM,
        /** Well-formed bytes that do not describe a consistent machine. */
        INCONSISTENT
    }

    private final Path file;
    private final Kind kind;

    public SnapshotFormatException(final Path file, final Kind kind, final String what)
    {
        super("snapshot " + file + ": " + what);
        this.file = file;
        this.kind = kind;
    }

    public SnapshotFormatException(final Path file, final Kind kind, final String what, final Throwable cause)
    {
        super("snapshot " + file + ": " + what, cause);
        this.file = file;
        this.kind = kind;
    }

    public Path file()
    {
        return file;
    }

    public Kind kind()
    {
        return kind;
    }
}
