package io.forksim.harness;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Pinning the calling thread to one CPU and giving it its mask back. */
class CpuAffinityTest
{
    @Test
    void aPinnedThreadGetsItsPreviousMaskBack()
    {
        final int before = Runtime.getRuntime().availableProcessors();
        final Optional<CpuAffinity.Pin> pin = CpuAffinity.pinToLastAllowedCpu();
        if (before < 2)
        {
            // nothing to pin on one CPU
            assertThat(pin).isEmpty();
            return;
        }
        assertThat(pin).isPresent();
        try
        {
            assertThat(pin.get().cpu()).isBetween(0, 1023);
            // the JVM counts the CPUs of the calling thread's mask
            assertThat(Runtime.getRuntime().availableProcessors()).isEqualTo(1);
        }
        finally
        {
            pin.get().close();
        }
        assertThat(Runtime.getRuntime().availableProcessors()).isEqualTo(before);
    }
}
