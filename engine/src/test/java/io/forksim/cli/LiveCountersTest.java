package io.forksim.cli;

import io.forksim.harness.LiveCounters;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Agrona counters over a mapped file: written by fork (and its workers), read by 'forksim stat'. */
class LiveCountersTest
{
    private static Map<String, Long> byLabel(final LiveCounters.Reader r)
    {
        final Map<String, Long> m = new HashMap<>();
        r.counters().forEach((id, label) -> m.put(label, r.counters().getCounterValue(id)));
        return m;
    }

    @Test
    void publishAttachAndRead(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("sub/counters.dat");
        final long[] ev = new long[Events.NAMES.length];
        ev[0] = 4096;
        ev[4] = 8;
        try (LiveCounters c = LiveCounters.create(file, 10))
        {
            c.setConfig("x86_64 order-9 folio-batch run 1/2", 1);
            c.onFork(ev, 12345, 1);
            c.onFork(ev, 23456, 2);
            // a worker JVM attaches to the same file and goes on counting
            try (LiveCounters w = LiveCounters.attach(file))
            {
                w.setConfig("arm64 order-0 legacy run 2/2", 2);
                w.onFork(ev, 34567, 3);
            }
        }
        try (LiveCounters.Reader r = LiveCounters.Reader.open(file).orElseThrow())
        {
            assertThat(r.alive()).isTrue();
            assertThat(r.pid()).isEqualTo(ProcessHandle.current().pid());
            final Map<String, Long> m = byLabel(r);
            assertThat(m).containsEntry("last fork: ptep_get", 4096L)
                .containsEntry("all timed forks: ptep_get", 3 * 4096L)
                .containsEntry("all timed forks: batches", 24L)
                .containsEntry("forks done (timed)", 3L)
                .containsEntry("forks planned (timed)", 10L)
                .containsEntry("last fork ns", 34567L)
                .containsEntry("iteration of the current run", 3L)
                .containsEntry("run of the current configuration", 2L)
                .containsEntry("config: arm64 order-0 legacy run 2/2", 0L);
        }
        final Cli stat = Cli.run("stat", "--once", "--counters", file.toString());
        assertThat(stat.code()).as(stat.toString()).isZero();
        assertThat(stat.out()).contains("simulation running: pid " + ProcessHandle.current().pid())
            .contains("config: arm64 order-0 legacy run 2/2")
            .contains("all timed forks: ptep_get").contains("12,288");
    }

    @Test
    void statSaysWhenNothingRuns(@TempDir final Path dir) throws Exception
    {
        final Cli none = Cli.run("stat", "--once", "--counters", dir.resolve("missing.dat").toString());
        assertThat(none.code()).isEqualTo(Main.EXIT_FAILED);
        assertThat(none.out()).contains("no simulation is running").contains("missing.dat");

        // a file left by a process that has exited: shown, but clearly as not running
        final Path file = dir.resolve("old.dat");
        try (LiveCounters c = LiveCounters.create(file, 1))
        {
            c.onFork(new long[Events.NAMES.length], 1, 1);
        }
        final Process p = new ProcessBuilder("true").start();
        p.waitFor();
        final long deadPid = p.pid();
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE))
        {
            final java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder());
            b.putLong(0, deadPid);
            ch.write(b, LiveCounters.PID_OFFSET);
        }
        final Cli old = Cli.run("stat", "--once", "--counters", file.toString());
        assertThat(old.code()).isZero();
        assertThat(old.out()).contains("no simulation is running: pid " + deadPid + " has exited");
    }

    @Test
    void aWarmUpForkShowsAsTheLastForkButIsNotCounted(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("c.dat");
        final long[] timed = new long[Events.NAMES.length];
        timed[0] = 512;
        final long[] warm = new long[Events.NAMES.length];
        warm[0] = 7;
        try (LiveCounters c = LiveCounters.create(file, 10))
        {
            c.onFork(timed, 100, 1);
            c.onFork(warm, 200, 0);
        }
        try (LiveCounters.Reader r = LiveCounters.Reader.open(file).orElseThrow())
        {
            assertThat(byLabel(r)).containsEntry("forks done (timed)", 1L).containsEntry("all timed forks: ptep_get", 512L)
                .containsEntry("last fork: ptep_get", 7L).containsEntry("last fork ns", 200L)
                .containsEntry("iteration of the current run", 0L);
        }
    }

    @Test
    void aForkRunPublishesEveryTimedFork(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("c.dat");
        final Cli r = Cli.run("fork", "--size", "2M", "--orders", "9", "--arch", "x86_64", "--strategy", "legacy,folio-batch",
            "--runs", "2", "--iterations", "3", "--warmup", "1", "--in-process", "--no-progress", "--counters", file.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        try (LiveCounters.Reader rd = LiveCounters.Reader.open(file).orElseThrow())
        {
            final Map<String, Long> m = byLabel(rd);
            assertThat(m).containsEntry("forks done (timed)", 12L).containsEntry("forks planned (timed)", 12L)
                .containsEntry("config: done", 0L);
            // 2 MiB = 512 PTEs, read once per PTE on x86 by both strategies; 6 timed forks each
            assertThat(m).containsEntry("all timed forks: ptep_get", 12 * 512L);
            // legacy: 512 batches per fork, folio-batch: 1
            assertThat(m).containsEntry("all timed forks: batches", 6 * 512L + 6);
        }
    }
}
