package io.forksim.cli;

import picocli.CommandLine.Option;

/** {@code --[no-]tlbi-range}: whether arm64 machines have FEAT_TLBIRANGE ({@code @Mixin}). */
public final class TlbiRangeOption
{
    @Option(names = "--tlbi-range", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "arm64 machines have FEAT_TLBIRANGE: a 64 KiB block costs one TLBI by range instead of 16 by VA"
            + " (default: on).")
    boolean tlbiRange;

    public boolean tlbiRange()
    {
        return tlbiRange;
    }
}
