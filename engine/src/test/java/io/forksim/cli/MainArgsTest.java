package io.forksim.cli;

import io.forksim.fork.StrategyChoice;
import io.forksim.harness.ForkPlan;
import io.forksim.harness.Units;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Option parsing, defaults and bad input: one line naming the value, exit 2, no stack trace. */
class MainArgsTest
{
    /** Parses fork options the way the command line does and validates them into a plan. */
    private static ForkPlan plan(final String... args)
    {
        final ForkCommand c = new ForkCommand();
        final CommandLine cl = new CommandLine(c);
        cl.parseArgs(args);
        return c.plan();
    }

    @Test
    void defaultsAreTheThreadsExperiment()
    {
        final ForkPlan p = plan();
        assertThat(p.sizeBytes()).isEqualTo(1L << 30);
        assertThat(p.pages()).isEqualTo(262_144);
        assertThat(p.orders()).containsExactly(0, 4, 9, io.forksim.harness.FolioOrder.PMD_9);
        assertThat(p.archs()).containsExactly("x86_64", "arm64");
        assertThat(p.strategies()).containsExactly(StrategyChoice.LEGACY, StrategyChoice.ARCH_BATCH, StrategyChoice.FOLIO_BATCH);
        assertThat(p.runs()).isEqualTo(8);
        assertThat(p.iterations()).isEqualTo(100);
        assertThat(p.ramBytes()).isEqualTo(4L << 30);   // max(4G, 2.5 x 1G rounded up to 1G = 3G)
        assertThat(p.reuseParent()).isFalse();
        assertThat(p.verify()).isFalse();
        assertThat(p.tlbiRange()).isTrue();
        assertThat(p.warmup()).isEqualTo(8);            // ceil(2M / 262,144)
        assertThat(p.steps()).isEqualTo(2 * 4 * 3 * 8);
        // 2 arches x 3 strategies x 8 runs: 100 forks per run of orders 0, 4 and 9, 600 of 9pmd
        assertThat(p.timedForks()).isEqualTo(2 * 3 * 8 * (3 * 100 + 600));
    }

    @Test
    void withoutIterationsThePmdMappedOrderGetsSixHundredForksPerRunAndTheOthersOneHundred()
    {
        final ForkPlan p = plan("--orders", "0,9pmd,9");
        assertThat(p.iterationsFor(0)).isEqualTo(100);
        assertThat(p.iterationsFor(9)).isEqualTo(100);
        assertThat(p.iterationsFor(io.forksim.harness.FolioOrder.PMD_9)).isEqualTo(600);
        // a worker's plan of one order carries that order's count
        assertThat(p.forArchAndOrder("arm64", io.forksim.harness.FolioOrder.PMD_9).iterations()).isEqualTo(600);
        assertThat(p.forArchAndOrder("arm64", 9).iterations()).isEqualTo(100);
    }

    @Test
    void givenIterationsApplyToEveryOrderThePmdMappedOneToo()
    {
        final ForkPlan p = plan("--orders", "0,9pmd", "--iterations", "40");
        assertThat(p.iterationsFor(0)).isEqualTo(40);
        assertThat(p.iterationsFor(io.forksim.harness.FolioOrder.PMD_9)).isEqualTo(40);
        assertThat(p.forArchAndOrder("x86_64", io.forksim.harness.FolioOrder.PMD_9).iterations()).isEqualTo(40);
        assertThat(p.timedForks()).isEqualTo(2 * 3 * 8 * (40 + 40));
    }

    @Test
    void givenValuesReplaceTheDefaults()
    {
        final ForkPlan p = plan("--size", "16M", "--orders", "9,0", "--arch", "aarch64", "--strategy",
            "folio-batch,contpte-basic", "--runs", "2", "--iterations", "3", "--reuse-parent", "--warmup", "0",
            "--no-tlbi-range");
        assertThat(p.sizeBytes()).isEqualTo(16L << 20);
        assertThat(p.orders()).containsExactly(9, 0);
        assertThat(p.archs()).containsExactly("arm64");
        assertThat(p.strategies()).containsExactly(StrategyChoice.FOLIO_BATCH, StrategyChoice.CONTPTE_BASIC);
        assertThat(p.runs()).isEqualTo(2);
        assertThat(p.iterations()).isEqualTo(3);
        assertThat(p.reuseParent()).isTrue();
        assertThat(p.warmup()).isZero();
        assertThat(p.tlbiRange()).isFalse();
        assertThat(p.modeName()).isEqualTo("reuse-parent");
    }

    @Test
    void ramDefaultGrowsWithTheSize()
    {
        assertThat(plan("--size", "2G").ramBytes()).isEqualTo(5L << 30);     // 2.5 x 2G
        assertThat(plan("--size", "3G").ramBytes()).isEqualTo(8L << 30);     // 7.5G rounded up to 8G
        assertThat(plan("--size", "64M").ramBytes()).isEqualTo(4L << 30);    // at least 4G
        assertThat(plan("--size", "16M", "--ram", "64M").ramBytes()).isEqualTo(64L << 20);
    }

    @Test
    void duplicatesAreDropped()
    {
        final ForkPlan p = plan("--orders", "0,0,9", "--arch", "x86_64,x86-64", "--strategy", "legacy,legacy");
        assertThat(p.orders()).containsExactly(0, 9);
        assertThat(p.archs()).containsExactly("x86_64");
        assertThat(p.strategies()).containsExactly(StrategyChoice.LEGACY);
    }

    @ParameterizedTest
    @CsvSource({"16M,16777216", "1G,1073741824", "1g,1073741824", "2T,2199023255552", "4096,4096", "64K,65536",
        "1.5G,1610612736", "16MiB,16777216", "8 M,8388608"})
    void sizes(final String text, final long bytes)
    {
        assertThat(Units.parseSize(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @CsvSource({"12X", "G", "-1G", "1.1K", "lots", "99999999999T"})
    void notSizes(final String text)
    {
        assertThatThrownBy(() -> Units.parseSize(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(text);
    }

    @Test
    void noCommandMeansFork()
    {
        assertThat(Main.withDefaultCommand(new String[0])).containsExactly("fork");
        assertThat(Main.withDefaultCommand(new String[] {"--size", "16M"})).containsExactly("fork", "--size", "16M");
        assertThat(Main.withDefaultCommand(new String[] {"--help"})).containsExactly("--help");
        assertThat(Main.withDefaultCommand(new String[] {"stat", "--once"})).containsExactly("stat", "--once");
    }

    /** Each bad value: exit 2, exactly one line on stderr that names the value, nothing on stdout, no stack trace. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--size 12X                              | 12X",
        "--size 1M                               | 1 MiB",           // not a multiple of the order-9 folio (2 MiB)
        "--size 6K --orders 0                    | 6144",            // not a page multiple
        "--size 256T                             | 256 TiB",
        "--orders 12                             | 12",
        "--orders 9,8pmd                         | 8pmd",
        "--orders 0,x                            | x",
        "--arch sparc                            | sparc",
        "--strategy fast                         | fast",
        "--strategy contpte-basic                | x86_64",          // arm64 only: names the conflict
        "--runs 0                                | 0",
        "--iterations -5                         | -5",
        "--ram 1G                                | 1 GiB",           // too small for --size 1G
        "--ram 5K --size 16M                     | 5 KiB",
        "--json /nonexistent-dir/x.json          | /nonexistent-dir",
        "--bogus                                 | --bogus",
        "--size                                  | --size",          // missing value
        "--warmup -1                             | -1",
        "stat --interval 1                       | 1",
        "stat --what                             | --what",
        "frobnicate                              | frobnicate"})
    void badInput(final String args, final String named)
    {
        final Cli r = Cli.run(args.trim().split("\\s+"));
        assertThat(r.code()).as(r.toString()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.errLines()).as(r.toString()).hasSize(1);
        assertThat(r.errLines()[0]).as(r.toString()).startsWith("forksim").contains(named);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void contpteBasicConflictNamesBothSides()
    {
        final Cli r = Cli.run("fork", "--arch", "x86_64,arm64", "--strategy", "contpte-basic");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("contpte-basic").contains("arm64").contains("x86_64");
    }

    @Test
    void debugAddsTheStackTrace()
    {
        final Cli r = Cli.run("fork", "--orders", "12", "--debug");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("12").contains("\tat ");
    }

    @Test
    void helpEverywhere()
    {
        for (final List<String> args : List.of(List.of("--help"), List.of("fork", "--help"), List.of("stat", "--help"),
            List.of("-h")))
        {
            final Cli r = Cli.run(args.toArray(String[]::new));
            assertThat(r.code()).as(args.toString()).isZero();
            assertThat(r.out()).as(args.toString()).contains("Usage: forksim");
        }
        final Cli top = Cli.run("--help");
        assertThat(top.out()).contains("fork").contains("stat");
        final Cli fork = Cli.run("fork", "--help");
        assertThat(fork.out()).contains("--size").contains("--orders").contains("--arch").contains("--strategy")
            .contains("--runs").contains("--iterations").contains("--ram").contains("--reuse-parent").contains("--json")
            .contains("--verify").contains("--no-progress").contains("--in-process").contains("--debug")
            .doesNotContain("--worker");
    }

    @Test
    void versionPrints()
    {
        final Cli r = Cli.run("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("forksim ");
    }
}
