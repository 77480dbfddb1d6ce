package io.forksim.snapshot;

/**
 * Where {@link SnapshotCache#loadOrCreate} got the populated fork parent from. The JSON report and the human report
 * use {@link #word()}.
 */
public enum ParentOrigin
{
    /** Loaded from the snapshot file, which held exactly this setup. */
    REUSED("reused"),
    /** The file did not exist: populated, then saved there. */
    CREATED("created"),
    /**
     * The file held a valid snapshot of something else (another machine, setup or format version): populated and
     * saved over it.
     */
    RECREATED_STALE("recreated-stale"),
    /** The file was a forksim snapshot that could not be loaded (truncated, a checksum, inconsistent): replaced. */
    RECREATED_CORRUPT("recreated-corrupt");

    private final String word;

    ParentOrigin(final String word)
    {
        this.word = word;
    }

    /** The lower-case name the reports use: reused, created, recreated-stale, recreated-corrupt. */
    public String word()
    {
        return word;
    }

    /** The origin whose {@link #word()} is {@code word}; precondition: it is one of the four. */
    public static ParentOrigin ofWord(final String word)
    {
        for (final ParentOrigin o : values())
        {
            if (o.word.equals(word))
            {
                return o;
            }
        }
        throw new IllegalArgumentException("no parent origin named '" + word + "'");
    }
}
