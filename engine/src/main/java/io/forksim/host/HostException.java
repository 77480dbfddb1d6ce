package io.forksim.host;

/** A host call failed or the host lacks what {@code forksim kernel} needs; the message is one line naming the value. */
public final class HostException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public HostException(final String message)
    {
        super(message);
    }
}
