package io.forksim.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchMainTest
{
    @Test
    void forksimOptionsThenJmhArgs()
    {
        final BenchMain.Options o = BenchMain.parse(new String[] {"--seed-table", "--profile", "async", "--", "-f", "1", "ForkBench"});
        assertThat(o.forksimMode()).isTrue();
        assertThat(o.seedTable()).isTrue();
        assertThat(o.profile()).isEqualTo("async");
        assertThat(o.jmhArgs()).containsExactly("-f", "1", "ForkBench");
    }

    @Test
    void jmhArgsAloneMeanPlainJmh()
    {
        final BenchMain.Options o = BenchMain.parse(new String[] {"ForkBench", "-f", "1", "-p", "order=0"});
        assertThat(o.forksimMode()).isFalse();
        assertThat(o.jmhArgs()).containsExactly("ForkBench", "-f", "1", "-p", "order=0");
    }

    @Test
    void badOptionsNameTheValue()
    {
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--profile", "perf"})).hasMessageContaining("perf");
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--profile"})).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--bogus"})).hasMessageContaining("--bogus");
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--baseline", "/nonexistent.json"})).hasMessageContaining("/nonexistent.json");
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--tolerance", "x"})).hasMessageContaining("percentage");
        assertThat(BenchMain.parse(new String[] {"--tolerance", "2.5%"}).tolerance()).isEqualTo(0.025);
    }

    @Test
    void reportModeGatesAnExistingFile() throws URISyntaxException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int rc = BenchMain.run(new String[] {"--report", fixture("fork-regression.json").toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("| x86_64").contains("FAIL");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("REGRESSION").contains("config=x86_64:arch-batch order=0");

        final ByteArrayOutputStream out2 = new ByteArrayOutputStream();
        final int ok = BenchMain.run(new String[] {"--report", fixture("fork-pass.json").toString()},
            new PrintStream(out2, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(ok).isZero();
        assertThat(out2.toString(StandardCharsets.UTF_8)).contains("gate: ok");

        final int base = BenchMain.run(new String[] {"--report", fixture("current-vs-baseline.json").toString(), "--baseline",
            fixture("baseline.json").toString()}, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(base).isEqualTo(1);
    }

    @Test
    void usageErrorsExit2()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int rc = BenchMain.run(new String[] {"--profile", "perf"}, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--profile must be async or gc, not perf");
    }

    @Test
    void roundsRotateTheConfigurationsOnePerRound()
    {
        final List<String> c = List.of("a", "b", "c");
        assertThat(BenchMain.rotate(c, 0)).containsExactly("a", "b", "c");
        assertThat(BenchMain.rotate(c, 1)).containsExactly("b", "c", "a");
        assertThat(BenchMain.rotate(c, 5)).containsExactly("c", "a", "b");
        assertThat(BenchMain.declaredConfigs()).startsWith("x86_64:legacy").contains("arm64:contpte-basic");
    }

    @Test
    void jvmFlagsComeFromTheEngineResource()
    {
        final List<String> flags = JvmFlags.fromClasspath();
        assertThat(flags).contains("--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED");
        assertThat(JvmFlags.parse("${forksim.jvm.flags}")).isEmpty();
        assertThat(JvmFlags.parse(" -a  -b\n")).containsExactly("-a", "-b");
    }

    @Test
    void perfProbeAnswers()
    {
        final PerfEvents.Probe p = PerfEvents.probe();
        assertThat(p.asyncEvent()).isIn("cpu", "ctimer");
        assertThat(p.describe()).startsWith("perf events:");
    }

    private static Path fixture(final String name) throws URISyntaxException
    {
        return Path.of(BenchMainTest.class.getResource("/jmh/" + name).toURI());
    }
}
