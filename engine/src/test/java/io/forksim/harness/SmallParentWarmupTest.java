package io.forksim.harness;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The small parent's warm-up forks enough for C2 to compile both the per-entry loops (80,000 entries) and the
 * per-folio paths (20,000 folios) of every strategy, and at least 30 times.
 */
class SmallParentWarmupTest
{
    @Test
    void orderZeroForksThirtyTimesItsEightThousandPtes()
    {
        assertThat(SmallParentWarmup.forks(0)).isEqualTo(30);
    }

    @Test
    void largeFoliosForkUntilTwentyThousandFoliosWereCopied()
    {
        // 32 MiB of order-4 folios: 512 folios a fork; of order-9 folios: 16
        assertThat(SmallParentWarmup.forks(4)).isEqualTo(40);
        assertThat(SmallParentWarmup.forks(9)).isEqualTo(1250);
    }

    @Test
    void aPmdMappedParentForksUntilEightyThousandPmdsWereCopied()
    {
        assertThat(SmallParentWarmup.forks(FolioOrder.PMD_9)).isEqualTo(5000);
    }
}
