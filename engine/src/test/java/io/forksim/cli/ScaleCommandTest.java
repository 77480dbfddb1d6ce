package io.forksim.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.forksim.mem.OffHeapArena;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code forksim scale}: the report's huge-page, commit and bandwidth-floor lines, and the host-memory check up front. */
class ScaleCommandTest
{
    @Test
    void aSmallRunReportsHugePagesTheCommitAndTheFloor()
    {
        final Cli r = Cli.run("scale", "--size", "64M", "--order", "0", "--baseline", "16M", "--baseline-forks", "2",
            "--forks", "2", "--no-progress");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("huge pages (THP " + OffHeapArena.thpMode() + ")", "asked for",
            "commit before fork 1", "(140 KiB of child page tables)",
            "bytes a fork touches", "132 KiB (33.0 B/page)", "528 KiB (33.0 B/page)",
            "bandwidth floor (FFM)", "loop over 16,384 pages' worth", "fork / floor, cpu",
            // 64 MiB's checkpoint is small: its fresh fork is timed 5 times; repeated: 2 baseline batches of 2, 1 large
            "medians of 2 / 5", "medians of 4 / 1");
    }

    @Test
    void withoutHugePagesTheReportSaysSo()
    {
        final Cli r = Cli.run("scale", "--size", "16M", "--order", "9", "--baseline", "16M", "--baseline-forks", "1",
            "--forks", "1", "--no-progress", "--no-huge-pages");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("off (--no-huge-pages)");
    }

    @Test
    void aRunTheHostCannotHoldIsRefusedBeforeItStarts()
    {
        final long available = OffHeapArena.hostMemAvailable();
        Assumptions.assumeTrue(available > 0 && available < (100L << 30), "MemAvailable unknown or above 100 GiB");
        final Cli r = Cli.run("scale", "--size", "4T", "--order", "9", "--ram", "8T", "--no-progress");
        assertThat(r.code()).as(r.toString()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines()[0]).contains("Invalid size 4 TiB: the run needs about", "of host memory, the host has",
            "available");
        assertThat(r.out()).isEmpty();
    }
}
