package io.forksim.bench;

import io.forksim.harness.BenchOptions;
import io.forksim.harness.JvmFlags;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BenchMainTest
{
    @Test
    void reportModeGatesAnExistingFile() throws URISyntaxException
    {
        final Output regression = new Output();
        assertThat(BenchMain.run(reportOnly(fixture("fork-regression.json"), null), regression.out, regression.err)).isEqualTo(1);
        assertThat(regression.out()).contains("| x86_64").contains("FAIL");
        assertThat(regression.err()).contains("REGRESSION").contains("config=x86_64:arch-batch order=0");

        final Output pass = new Output();
        assertThat(BenchMain.run(reportOnly(fixture("fork-pass.json"), null), pass.out, pass.err)).isZero();
        assertThat(pass.out()).contains("gate: ok");

        final Output base = new Output();
        assertThat(BenchMain.run(reportOnly(fixture("current-vs-baseline.json"), fixture("baseline.json")), base.out, base.err))
            .isEqualTo(1);
        assertThat(base.err()).contains("REGRESSION");
    }

    @Test
    void theOptionsArriveAsOneJsonArgument() throws URISyntaxException
    {
        final BenchOptions o = reportOnly(fixture("fork-pass.json"), null);
        final Output pass = new Output();
        assertThat(BenchMain.run(new String[] {BenchOptions.ARGUMENT, o.toJson()}, pass.out, pass.err)).isZero();
        assertThat(pass.out()).contains("gate: ok");
    }

    @Test
    void badOptionsJsonExits2NamingTheValue()
    {
        final Output bad = new Output();
        final String json = BenchOptions.defaults().toJson().replace("\"tolerance\":0.05", "\"tolerance\":20.0");
        assertThat(BenchMain.run(new String[] {BenchOptions.ARGUMENT, json}, bad.out, bad.err)).isEqualTo(2);
        assertThat(bad.err()).contains("--tolerance must be a percentage between 0 and 1000, not 2000.0");

        final Output extra = new Output();
        assertThat(BenchMain.run(new String[] {BenchOptions.ARGUMENT, "{}", "-f"}, extra.out, extra.err)).isEqualTo(2);
        assertThat(extra.err()).contains("takes one JSON argument");
    }

    @Test
    void forksimOptionsOnTheJarAloneExit2PointingAtTheCommand()
    {
        final Output o = new Output();
        assertThat(BenchMain.run(new String[] {"--seed-table"}, o.out, o.err)).isEqualTo(2);
        assertThat(o.err()).contains("unknown option --seed-table").contains("./forksim bench");
    }

    @Test
    void aMissingResultFileExits2NamingIt()
    {
        final Output o = new Output();
        assertThat(BenchMain.run(reportOnly(Path.of("/nonexistent-forksim.json"), null), o.out, o.err)).isEqualTo(2);
        assertThat(o.err()).contains("/nonexistent-forksim.json");
    }

    @Test
    void roundsRotateTheConfigurationsOnePerRound()
    {
        final List<String> c = List.of("a", "b", "c");
        assertThat(Rounds.rotate(c, 0)).containsExactly("a", "b", "c");
        assertThat(Rounds.rotate(c, 1)).containsExactly("b", "c", "a");
        assertThat(Rounds.rotate(c, 5)).containsExactly("c", "a", "b");
        assertThat(Rounds.declaredConfigs()).startsWith("x86_64:legacy").contains("arm64:contpte-basic");
    }

    @Test
    void jvmFlagsComeFromTheEngineResource()
    {
        assertThat(JvmFlags.fromClasspath()).contains("--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED");
    }

    @Test
    void perfProbeAnswers()
    {
        final PerfEvents.Probe p = PerfEvents.probe();
        assertThat(p.asyncEvent()).isIn("cpu", "ctimer");
        assertThat(p.describe()).startsWith("perf events:");
    }

    private static BenchOptions reportOnly(final Path report, final Path baseline)
    {
        return new BenchOptions(false, null, null, baseline, BenchOptions.DEFAULT_TOLERANCE, null, report, true, List.of());
    }

    private static Path fixture(final String name) throws URISyntaxException
    {
        return Path.of(BenchMainTest.class.getResource("/jmh/" + name).toURI());
    }

    /** Captured stdout and stderr of one run. */
    private static final class Output
    {
        final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

        String out()
        {
            return outBytes.toString(StandardCharsets.UTF_8);
        }

        String err()
        {
            return errBytes.toString(StandardCharsets.UTF_8);
        }
    }
}
