package io.forksim.snapshot;

import io.forksim.cli.Main;
import io.forksim.cli.ScaleCommand;
import io.forksim.cli.SnapshotCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code forksim snapshot save|info|check} and a small {@code forksim scale}, through the real command line. */
class SnapshotCliTest
{
    @TempDir
    Path dir;

    record Run(int code, String out, String err)
    {
    }

    static Run run(final String... args)
    {
        final ByteArrayOutputStream o = new ByteArrayOutputStream();
        final ByteArrayOutputStream e = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(o, true, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8);
        final CommandLine cl = Main.commandLine(out, err, false);
        // until the lead registers them in Main.SUBCOMMANDS
        if (!cl.getSubcommands().containsKey("snapshot"))
        {
            cl.addSubcommand(new SnapshotCommand());
        }
        if (!cl.getSubcommands().containsKey("scale"))
        {
            cl.addSubcommand(new ScaleCommand());
        }
        cl.setOut(new java.io.PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        final int code = cl.execute(args);
        out.flush();
        err.flush();
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void saveInfoCheck() throws Exception
    {
        final Path f = dir.resolve("p.snap");
        final Run save = run("snapshot", "save", f.toString(), "--arch", "arm64", "--size", "64M", "--order", "4", "--ram", "256M");
        assertThat(save.code()).as(save.err()).isZero();
        assertThat(save.out()).contains("saved " + f.toAbsolutePath(), "memmap-records", "page-tables");

        final Run info = run("snapshot", "info", f.toString());
        assertThat(info.code()).as(info.err()).isZero();
        assertThat(info.out()).contains("format version 4", "machine: arm64 tlbi-range, 256 MiB of RAM", "1 process",
            "mm#1", "anon 16,384", "meta fork.order = 4", "meta fork.size-bytes = " + (64L << 20),
            "verified: every checksum and the state's consistency");

        final Run check = run("snapshot", "check", f.toString());
        assertThat(check.code()).as(check.err()).isZero();
        assertThat(check.out()).contains("invariants hold", "fork of mm#1 (folio-batch)", "nothing leaked");

        // the saved setup is exactly what fork --snapshot looks for
        final SnapshotCache.Loaded l = SnapshotCache.loadOrCreate(f, io.forksim.mm.Machine.Config.of("arm64", 256L << 20),
            1L << 40, 64L << 20, 4, s -> { });
        try (l)
        {
            assertThat(l.reused()).isTrue();
        }
    }

    @Test
    void saveOrder9pmdWritesPmdLeavesThatInfoCheckAndTheForkCacheAccept() throws Exception
    {
        final Path f = dir.resolve("pmd.snap");
        final Run save = run("snapshot", "save", f.toString(), "--arch", "x86_64", "--size", "16M", "--order", "9pmd", "--ram", "256M");
        assertThat(save.code()).as(save.err()).isZero();
        assertThat(save.err()).contains("16 MiB of order-9 folios (pmd-mapped, x86_64");

        final Run info = run("snapshot", "info", f.toString());
        assertThat(info.code()).as(info.err()).isZero();
        assertThat(info.out()).contains("anon 4,096", "meta fork.order = 9", "meta fork.mapping = pmd",
            "verified: every checksum and the state's consistency");

        final Run check = run("snapshot", "check", f.toString());
        assertThat(check.code()).as(check.err()).isZero();
        assertThat(check.out()).contains("invariants hold", "nothing leaked");

        final SnapshotCache.Loaded l = SnapshotCache.loadOrCreate(f, io.forksim.mm.Machine.Config.of("x86_64", 256L << 20),
            1L << 40, 16L << 20, 9, io.forksim.mm.FolioMapping.PMD, s -> { });
        try (l)
        {
            assertThat(l.reused()).isTrue();
            assertThat(io.forksim.arch.PmdOps.of(l.machine().arch()).pmdTransHuge(l.parent().peekPmd(1L << 40))).isTrue();
        }

        final Run bad = run("snapshot", "save", dir.resolve("x.snap").toString(), "--size", "3M", "--order", "9pmd");
        assertThat(bad.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(bad.err()).contains("Invalid --order 9pmd / --size 3 MiB", "2 MiB");
        final Run badOrder = run("snapshot", "save", dir.resolve("y.snap").toString(), "--order", "4pmd");
        assertThat(badOrder.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(badOrder.err()).contains("4pmd");
        assertThat(Files.exists(dir.resolve("x.snap")) || Files.exists(dir.resolve("y.snap"))).isFalse();
    }

    @Test
    void aBadFileIsOneLineAndExit2() throws Exception
    {
        final Path f = dir.resolve("bad.snap");
        Files.writeString(f, "hello, world");
        for (final String cmd : new String[] {"info", "check"})
        {
            final Run r = run("snapshot", cmd, f.toString());
            assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
            assertThat(r.err().strip()).isEqualTo("forksim snapshot " + cmd + ": snapshot " + f
                + ": not a forksim snapshot (magic is \"hello, w\", expected \"FORKSIM\\0\")");
        }
        final Run missing = run("snapshot", "info", dir.resolve("none.snap").toString());
        assertThat(missing.code()).isEqualTo(Main.EXIT_FAILED);
        assertThat(missing.err()).contains("none.snap").doesNotContain("\tat ");
    }

    @Test
    void smallScaleRun()
    {
        final Run r = run("scale", "--size", "64M", "--order", "9", "--baseline", "16M", "--baseline-forks", "2", "--forks", "2",
            "--no-progress", "--check");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("forksim scale: x86_64, order-9 folios (2 MiB each), folio-batch", "populate rate",
            "fork, repeated", "child tear-down", "off-heap reserved", "per populated page", "peak RSS");
        final Run bad = run("scale", "--size", "3M", "--order", "9");
        assertThat(bad.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(bad.err()).contains("3 MiB", "order-9");
    }
}
