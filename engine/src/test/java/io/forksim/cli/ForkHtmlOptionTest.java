package io.forksim.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code fork --html FILE}: the page is written after the run; a bad FILE is one line and exit 2, before any work. */
class ForkHtmlOptionTest
{
    @TempDir
    Path dir;

    @Test
    void aSmallRunWritesTheChartPage() throws Exception
    {
        final Path page = dir.resolve("fork.html");
        final Cli r = Cli.run("fork", "--size", "2M", "--orders", "0,9", "--arch", "x86_64", "--strategy", "legacy,folio-batch",
            "--runs", "2", "--iterations", "1", "--warmup", "0", "--in-process", "--no-progress", "--no-counters",
            "--html", page.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("html report: " + page.toAbsolutePath());
        final String html = Files.readString(page);
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"")
            .contains(">order-0 (4 KiB)</text>", ">order-9 (2 MiB)</text>", ">legacy</text>", ">folio-batch</text>")
            .doesNotContain("arm64");
        assertThat(html.split("<rect class=\"bar\"", -1)).hasSize(1 + 4);
    }

    @Test
    void aMissingDirectoryIsOneLineAndExit2() throws Exception
    {
        final Path page = dir.resolve("no/such/dir/fork.html");
        final Cli r = Cli.run("fork", "--size", "2M", "--runs", "1", "--iterations", "1", "--in-process", "--no-progress",
            "--no-counters", "--html", page.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines()[0]).contains("Invalid value for option '--html': " + page, "does not exist");
        final Cli d = Cli.run("fork", "--size", "2M", "--runs", "1", "--iterations", "1", "--in-process", "--no-progress",
            "--no-counters", "--html", dir.toString());
        assertThat(d.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(d.err()).contains("is a directory");
    }
}
