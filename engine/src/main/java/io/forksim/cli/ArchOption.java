package io.forksim.cli;

import picocli.CommandLine.Option;

/** {@code --arch ARCH}: the one simulated architecture of a command that builds one kind of machine ({@code @Mixin}). */
public final class ArchOption
{
    @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "x86_64", converter = Converters.ArchConverter.class,
        description = "x86_64 or arm64 (default: ${DEFAULT-VALUE}).")
    String arch;

    /** "x86_64" or "arm64". */
    public String arch()
    {
        return arch;
    }
}
