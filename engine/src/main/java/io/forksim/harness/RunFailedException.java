package io.forksim.harness;

/**
 * A run could not produce its results (a worker JVM failed or returned none). The command line reports it as one
 * line and exits 1, like a failed check.
 */
public final class RunFailedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public RunFailedException(final String message)
    {
        super(message);
    }
}
