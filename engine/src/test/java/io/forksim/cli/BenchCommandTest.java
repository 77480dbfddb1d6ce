package io.forksim.cli;

import io.forksim.harness.BenchOptions;
import io.forksim.harness.BenchOptions.Profile;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchCommandTest
{
    @Test
    void theCommandLineIsParsedOnceIntoOptions()
    {
        final BenchOptions o = parse("--seed-table", "--profile", "async", "--event", "ctimer", "--json", "out.json", "--no-gate",
            "--", "-f", "1", "ForkBench");
        assertThat(o).isEqualTo(new BenchOptions(true, Profile.async, "ctimer", null, 0.05, Path.of("out.json").toAbsolutePath(), null,
            false, List.of("-f", "1", "ForkBench")));
    }

    @Test
    void withoutOptionsItIsTheQuickGateSet()
    {
        assertThat(parse()).isEqualTo(BenchOptions.defaults());
    }

    @Test
    void toleranceIsGivenInPercent()
    {
        assertThat(parse("--tolerance", "2.5").tolerance()).isEqualTo(0.025);
    }

    @Test
    void theChildGetsTheEnginesFlagsAndTheOptionsAsOneJsonArgument()
    {
        final BenchOptions o = parse("--seed-table");
        final List<String> cmd = BenchCommand.command(Path.of("/x/benchmarks.jar"), o);
        assertThat(cmd).contains("--enable-native-access=ALL-UNNAMED");
        assertThat(cmd.subList(cmd.size() - 4, cmd.size())).containsExactly("-jar", "/x/benchmarks.jar", BenchOptions.ARGUMENT, o.toJson());
        assertThat(BenchOptions.fromJson(cmd.getLast())).isEqualTo(o);
    }

    @Test
    void badValuesExit2NamingThem()
    {
        assertThatThrownBy(() -> parse("--event", "cpu")).isInstanceOf(CommandLine.ParameterException.class)
            .hasMessage("--event needs --profile async");
        assertThatThrownBy(() -> parse("--tolerance", "1000")).hasMessage("--tolerance must be a percentage between 0 and 1000, not 1000.0");
        assertThatThrownBy(() -> parse("--baseline", "/nonexistent-forksim.json")).hasMessage("--baseline file not readable: /nonexistent-forksim.json");
        assertThat(Cli.run("bench", "--profile", "perf").code()).isEqualTo(2);
    }

    private static BenchOptions parse(final String... args)
    {
        final BenchCommand c = new BenchCommand();
        new CommandLine(c).parseArgs(args);
        return c.options();
    }
}
