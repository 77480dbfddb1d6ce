package io.forksim.cli;

import io.forksim.harness.Progress;
import picocli.CommandLine.Option;

/** {@code --no-progress}, a {@code @Mixin} of the commands that show a progress bar or progress lines on stderr. */
public final class ProgressOption
{
    @Option(names = "--no-progress", description = "No progress output on stderr.")
    boolean off;

    /** A bar on a terminal, lines when stderr is not one, nothing with {@code --no-progress}. */
    public Progress.Mode mode()
    {
        return Progress.chooseMode(off);
    }

    public boolean off()
    {
        return off;
    }
}
