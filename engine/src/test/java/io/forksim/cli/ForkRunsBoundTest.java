package io.forksim.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A worker keeps every timed fork's time until its runs end: runs x iterations is bounded, and the bound named. */
class ForkRunsBoundTest
{
    @Test
    void moreThanAMillionTimedForksPerConfigurationAreRefusedInOneLine()
    {
        final Cli r = Cli.run("fork", "--size", "2M", "--runs", "1001", "--iterations", "1000", "--no-kernel",
            "--no-progress", "--no-counters", "--in-process");
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines()).contains("forksim fork: Invalid values for options '--runs' and '--iterations': 1001 x 1000"
            + " timed forks per configuration (at most 1000000)");
    }

    @Test
    void theBoundHoldsForThePmdMappedOrdersDefaultIterationsAndTheMessageSaysTheyAreTheDefault()
    {
        // 1700 x 100 forks per run of order 0 are allowed, 1700 x 600 of 9pmd are not
        final Cli r = Cli.run("fork", "--size", "2M", "--orders", "0,9pmd", "--runs", "1700", "--no-kernel",
            "--no-progress", "--no-counters", "--in-process");
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines()).contains("forksim fork: Invalid values for options '--runs' and '--iterations': 1700 x 600"
            + " (the default for 9pmd) timed forks per configuration (at most 1000000)");
    }
}
