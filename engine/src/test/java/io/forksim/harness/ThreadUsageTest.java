package io.forksim.harness;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;

/** The measuring thread's page faults and preemptions, read with getrusage(RUSAGE_THREAD). */
class ThreadUsageTest
{
    @Test
    void touchingFreshOffHeapPagesCountsTheirFaults()
    {
        if (!ThreadUsage.available())
        {
            return;
        }
        try (ThreadUsage u = new ThreadUsage(); Arena a = Arena.ofConfined())
        {
            // 64 MiB of fresh memory: allocate() zeroes it (the first touch), then every page is written once more
            u.sample();
            final long before = u.faults();
            final MemorySegment m = a.allocate(64L << 20, 4096);
            for (long off = 0; off < m.byteSize(); off += 4096)
            {
                m.set(ValueLayout.JAVA_BYTE, off, (byte)1);
            }
            u.sample();
            // at least one fault per 2 MiB even with transparent huge pages
            assertThat(u.faults() - before).isGreaterThanOrEqualTo(32);
        }
    }

    @Test
    void theCountersNeverGoBackwards()
    {
        if (!ThreadUsage.available())
        {
            return;
        }
        try (ThreadUsage u = new ThreadUsage())
        {
            u.sample();
            final long before = u.preemptions();
            u.sample();
            assertThat(u.preemptions()).isGreaterThanOrEqualTo(before);
        }
    }
}
