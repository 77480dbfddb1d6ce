package io.forksim.harness;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Pinning the calling thread to one CPU, moving the JVM's other threads off it, and giving both their masks back. */
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

    /** The CPUs a thread of this process may run on, as the kernel lists them ("0-1", "0"). */
    private static String allowed(final int tid) throws Exception
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/task/" + tid + "/status")))
        {
            if (line.startsWith("Cpus_allowed_list:"))
            {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        throw new IllegalStateException("no Cpus_allowed_list for thread " + tid);
    }

    @Test
    void anotherThreadLeavesThePinnedCpuAndComesBack() throws Exception
    {
        if (Runtime.getRuntime().availableProcessors() != 2 || !Files.isDirectory(Path.of("/proc/self/task")))
        {
            return; // the exact masks below are those of a 2-CPU Linux machine like the one the timings come from
        }
        final AtomicInteger tid = new AtomicInteger();
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch done = new CountDownLatch(1);
        final Thread other = Thread.ofPlatform().start(() ->
        {
            try
            {
                tid.set(Integer.parseInt(Path.of("/proc/thread-self").toRealPath().getFileName().toString()));
                started.countDown();
                done.await();
            }
            catch (final InterruptedException | java.io.IOException e)
            {
                started.countDown();
            }
        });
        started.await();
        final String before = allowed(tid.get());
        final CpuAffinity.Pin pin = CpuAffinity.pinToLastAllowedCpu().orElseThrow();
        try
        {
            final CpuAffinity.Moved moved = CpuAffinity.moveOtherThreadsOff(pin.cpu()).orElseThrow();
            assertThat(before).isEqualTo("0-1");
            assertThat(pin.cpu()).isEqualTo(1);
            assertThat(moved.threads()).isPositive();
            assertThat(allowed(tid.get())).isEqualTo("0");
            moved.close();
            assertThat(allowed(tid.get())).isEqualTo("0-1");
        }
        finally
        {
            pin.close();
            done.countDown();
            other.join();
        }
    }
}
