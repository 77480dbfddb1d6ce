package io.forksim.cli;

import io.forksim.fork.StrategyChoice;
import picocli.CommandLine.Option;

/** {@code --strategy STRATEGY}: the one copy strategy of a command's forks ({@code @Mixin}). */
public final class StrategyOption
{
    @Option(names = "--strategy", paramLabel = "STRATEGY", defaultValue = "folio-batch",
        converter = Converters.StrategyConverter.class,
        description = "Fork copy strategy: legacy, arch-batch, folio-batch, contpte-basic (arm64 only) (default:"
            + " ${DEFAULT-VALUE}).")
    StrategyChoice strategy;

    public StrategyChoice strategy()
    {
        return strategy;
    }
}
