package io.forksim.cli;

import picocli.CommandLine.Option;

/**
 * {@code --debug}, a {@code @Mixin} of every command: errors print their stack trace. {@link Main} reads the flag from
 * the arguments itself; a command that starts a child JVM passes it on.
 */
public final class DebugOption
{
    @Option(names = "--debug", description = "Print stack traces of errors.")
    boolean enabled;

    public boolean enabled()
    {
        return enabled;
    }
}
