package io.forksim.mm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The child-mm hooks of fork() are for io.forksim.fork only. */
class ForkHooksTest
{
    @Test
    void aCallerOutsideTheForkPackageIsRefused()
    {
        IllegalCallerException refused = null;
        try
        {
            ForkHooks.forFork();   // called from io.forksim.mm
        }
        catch (final IllegalCallerException e)
        {
            refused = e;
        }
        assertThat(refused).isNotNull();
        assertThat(refused.getMessage()).isEqualTo("ForkHooks are internal to io.forksim.fork, not for io.forksim.mm.ForkHooksTest");
    }
}
