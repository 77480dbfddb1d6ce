package io.forksim.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code forksim fork --verify}: the cross-strategy comparison and the invariant checks pass on every order. */
class VerifyRunTest
{
    @Test
    void verifyRunExitsZero()
    {
        final Cli r = Cli.run("fork", "--size", "4M", "--orders", "0,4,9", "--runs", "1", "--iterations", "1", "--warmup", "0",
            "--in-process", "--no-progress", "--no-counters", "--verify");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("verify: every strategy's parent and child page tables and folio metadata equal legacy's");
    }
}
