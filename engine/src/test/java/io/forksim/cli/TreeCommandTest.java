package io.forksim.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code forksim tree} end to end: a small run reports throughput and passes its checks; bad values exit 2 naming them. */
class TreeCommandTest
{
    /** Runs {@code forksim tree ARGS} with forksim's error handling (registers the command if Main does not yet). */
    static Cli tree(final String... args)
    {
        final ByteArrayOutputStream o = new ByteArrayOutputStream();
        final ByteArrayOutputStream e = new ByteArrayOutputStream();
        final int code;
        try (PrintStream out = new PrintStream(o, true, StandardCharsets.UTF_8);
             PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8))
        {
            final CommandLine cl = Main.commandLine(out, err, false);
            if (!cl.getSubcommands().containsKey("tree"))
            {
                cl.addSubcommand(new TreeCommand());
                // picocli hands the streams only to subcommands added before setOut/setErr
                cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
                cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
            }
            final String[] full = new String[args.length + 1];
            full[0] = "tree";
            System.arraycopy(args, 0, full, 1, args.length);
            code = cl.execute(full);
        }
        return new Cli(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aSmallTreeReportsThroughputAndPassesItsChecks()
    {
        final Cli r = tree("--children", "3", "--depth", "2", "--size", "4M", "--order", "4", "--arch", "arm64",
            "--threads", "2", "--ops", "300", "--no-progress");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("3 subtrees (depth 2, <= 4 processes each) of a 4 MiB zygote (order-4 folios), arm64 folio-batch, 2 threads");
        assertThat(r.out()).containsPattern("forks +[0-9,]+ +[0-9,]+");
        assertThat(r.out()).containsPattern("faults +[0-9,]+ +[0-9,]+");
        assertThat(r.out()).contains("ns/page inside fork");
        assertThat(r.out()).contains("invariants and contents at quiescence").contains(": ok");
        assertThat(r.out()).contains("leaks after every process exited: none");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void badValuesExitTwoNamingThem()
    {
        Cli r = tree("--order", "10", "--ops", "10");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("'--order': 10");
        r = tree("--strategy", "contpte-basic", "--ops", "10");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("contpte-basic").contains("arm64");
        r = tree("--ops", "10", "--seconds", "1");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--ops or --seconds");
        r = tree("--size", "12K", "--order", "2", "--ops", "10");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("'--size': 12 KiB");
        r = tree("--mix", "1,2,3", "--ops", "10");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("'--mix'");
        assertThat(r.err().lines().count()).isEqualTo(1);
    }
}
