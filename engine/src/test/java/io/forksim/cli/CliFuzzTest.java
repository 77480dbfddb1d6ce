package io.forksim.cli;

import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.snapshot.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line fed hostile and random arguments (issue 8): sizes that are not sizes ({@code -1G}, {@code NaN},
 * {@code 99999999T}, {@code 0}, {@code 1e9}, ...), numbers out of range or not numbers, unknown arch and strategy
 * names, orders out of range, empty lists, unknown options and commands, missing values, in both the
 * {@code --opt value} and the {@code --opt=value} form, one at a time and in random combinations; and snapshot files
 * that are truncated, bit-flipped, empty, garbage, a directory or missing. Every run must exit 2 (1 for an
 * unreadable file) with exactly one line on stderr naming the value (or the option / file), nothing on stdout and
 * no stack trace. Each valid part of an argument list is cheap ({@code --size 4M}, one run of one iteration, in
 * process), so a value wrongly accepted shows up as exit 0 instead of a long benchmark.
 *
 * <p>Commands not yet registered in {@link Main#SUBCOMMANDS} ({@code tree}, {@code snapshot}) are added to the
 * command tree here, so their input checks are fuzzed too.
 */
class CliFuzzTest
{
    record Run(String[] args, int code, String out, String err)
    {
        String[] errLines()
        {
            return err.lines().filter(l -> !l.isBlank()).toArray(String[]::new);
        }

        @Override
        public String toString()
        {
            return "forksim " + String.join(" ", Arrays.stream(args).map(a -> a.isEmpty() || a.contains(" ") ? "'" + a + "'" : a)
                .toList()) + "\n  exit " + code + "\n  stdout: " + out + "\n  stderr: " + err;
        }
    }

    static Run run(final String... args)
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
            }
            if (!cl.getSubcommands().containsKey("snapshot"))
            {
                cl.addSubcommand(new SnapshotCommand());
            }
            // picocli hands the streams and settings down only to subcommands present when they are set
            cl.setOut(new java.io.PrintWriter(out, true, StandardCharsets.UTF_8));
            cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
            cl.setCaseInsensitiveEnumValuesAllowed(true);
            code = cl.execute(Main.withDefaultCommand(args));
        }
        return new Run(args, code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** Exit {@code code}, one stderr line naming one of {@code named} (case-insensitive), no stdout, no stack trace. */
    static void assertRefused(final Run r, final int code, final List<String> named)
    {
        assertThat(r.code()).as(r.toString()).isEqualTo(code);
        assertThat(r.errLines()).as(r.toString()).hasSize(1);
        assertThat(r.errLines()[0]).as(r.toString()).startsWith("forksim");
        final String line = r.errLines()[0].toLowerCase(Locale.ROOT);
        assertThat(named.stream().anyMatch(n -> line.contains(n.toLowerCase(Locale.ROOT))))
            .as("the error line names one of %s: %s", named, r).isTrue();
        assertThat(r.err()).as(r.toString()).doesNotContain("\tat ").doesNotContain("Exception:").doesNotContain("Caused by");
        assertThat(r.out()).as(r.toString()).isEmpty();
    }

    // ------------------------------------------------------------------ fork (the main command)

    /** A valid and cheap fork: every hostile value below is rejected whatever the other options are. */
    static final Map<String, String> FORK_BASE = new LinkedHashMap<>();
    static final Map<String, List<String>> FORK_HOSTILE = new LinkedHashMap<>();

    static
    {
        FORK_BASE.put("--size", "4M");
        FORK_BASE.put("--orders", "0");
        FORK_BASE.put("--arch", "x86_64");
        FORK_BASE.put("--strategy", "legacy");
        FORK_BASE.put("--runs", "1");
        FORK_BASE.put("--iterations", "1");
        FORK_BASE.put("--warmup", "0");
        FORK_HOSTILE.put("--size", List.of("-1G", "NaN", "99999999T", "0", "", " ", "1.5", "G", "1GG", "0x10", "3K", "6K",
            "1.0000001M", "-0", "9223372036854775807", "8E", "1e9", "Infinity", "1,5G", "256T", "-4096", "18446744073709551616"));
        FORK_HOSTILE.put("--orders", List.of("-1", "10", "64", "", ",", ",,", "a", "0,99", "1.5", "2147483648", "0;4", "-2147483648"));
        FORK_HOSTILE.put("--arch", List.of("sparc", "", ",", "riscv", "ARM", "x86_64,sparc", "x86-65", "null"));
        FORK_HOSTILE.put("--strategy", List.of("fast", "", ",", "folio_batch", "legacy,,folio-batch", "LEGACY2", "null",
            "contpte"));
        FORK_HOSTILE.put("--runs", List.of("0", "-1", "2147483648", "abc", "1.5", "", "NaN", "-2147483648"));
        FORK_HOSTILE.put("--iterations", List.of("0", "-5", "99999999999", "x", "", "1e3"));
        FORK_HOSTILE.put("--warmup", List.of("-1", "abc", "2147483648", "-2147483648", ""));
        FORK_HOSTILE.put("--ram", List.of("-1G", "0", "1K", "99999999T", "NaN", "4097", "2M", "9T", "", "1.5K"));
        FORK_HOSTILE.put("--json", List.of("/nonexistent-forksim-dir/x.json"));
    }

    /** What an error line may name for a hostile value: the value itself, or the option for a blank one. */
    static List<String> named(final String option, final String value)
    {
        final List<String> n = new ArrayList<>();
        if (!value.isBlank())
        {
            n.add(value);
            n.add(value.replace(",", ", "));    // picocli prints a split list as [a, b]
        }
        n.add(option);
        return n;
    }

    static String[] forkArgs(final Map<String, String> values, final Random r)
    {
        final List<String[]> pairs = new ArrayList<>();
        values.forEach((k, v) -> pairs.add(new String[] {k, v}));
        java.util.Collections.shuffle(pairs, r);
        final List<String> a = new ArrayList<>();
        if (r.nextBoolean())
        {
            a.add("fork");
        }
        for (final String[] p : pairs)
        {
            if (r.nextBoolean())
            {
                a.add(p[0] + "=" + p[1]);
            }
            else
            {
                a.add(p[0]);
                a.add(p[1]);
            }
        }
        a.addAll(List.of("--in-process", "--no-progress", "--no-counters"));
        if (!a.getFirst().equals("fork"))
        {
            a.addFirst("fork");
        }
        return a.toArray(String[]::new);
    }

    @Test
    void forkOneHostileValueAtATime()
    {
        final Random r = new Random(0xC11);
        for (final Map.Entry<String, List<String>> e : FORK_HOSTILE.entrySet())
        {
            for (final String v : e.getValue())
            {
                final Map<String, String> values = new LinkedHashMap<>(FORK_BASE);
                values.put(e.getKey(), v);
                assertRefused(run(forkArgs(values, r)), Main.EXIT_USAGE, named(e.getKey(), v));
            }
        }
    }

    @Test
    void forkRandomCombinationsOfHostileValues()
    {
        final Random r = new Random(0xC12);
        for (int i = 0; i < 80; i++)
        {
            final Map<String, String> values = new LinkedHashMap<>(FORK_BASE);
            final List<String> names = new ArrayList<>();
            final List<String> keys = new ArrayList<>(FORK_HOSTILE.keySet());
            do
            {
                for (final String k : keys)
                {
                    if (r.nextInt(4) == 0)
                    {
                        final List<String> pool = FORK_HOSTILE.get(k);
                        final String v = pool.get(r.nextInt(pool.size()));
                        values.put(k, v);
                        names.addAll(named(k, v));
                    }
                }
            }
            while (names.isEmpty());
            assertRefused(run(forkArgs(values, r)), Main.EXIT_USAGE, names);
        }
    }

    @Test
    void junkArguments()
    {
        final String[][] junk = {
            {"--bogus"}, {"fork", "--size"}, {"fork", "--orders"}, {"fork", "extra"}, {"frobnicate"}, {"fork", "--size", "4M", "--size", "8M"},
            {"fork", "-"}, {"fork", "--size=4M", "--", "x"}, {"", "--size", "4M"}, {"fork", "-x"}, {"stat", "--interval", "1"},
            {"stat", "--interval", "-1"}, {"stat", "--interval", "3600001"}, {"stat", "--interval", "x"}, {"stat", "--interval",
                "9223372036854775808"}, {"stat", "--what"}, {"stat", "extra"}, {"bench", "--tolerance", "abc"}, {"bench", "--profile",
                "perf"}, {"bench", "--bogus"}, {"tree", "--children", "0"}, {"tree", "--depth", "-1"}, {"tree", "--order", "10"},
            {"tree", "--size", "NaN"}, {"tree", "--threads", "0"}, {"tree", "--ops", "0"}, {"tree", "--seconds", "NaN"},
            {"tree", "--seconds", "-1"}, {"tree", "--mix", "1,2"}, {"tree", "--mix", "0,0,0,0"}, {"tree", "--mix", "-1,1,1,1"},
            {"tree", "--arch", "sparc"}, {"tree", "--strategy", "contpte-basic"}, {"tree", "--ram", "-1G"}, {"tree", "--max-procs", "0"},
            {"tree", "--seed", "x"}, {"snapshot"}, {"snapshot", "frob"}, {"snapshot", "save"}, {"snapshot", "save", "/tmp/x.snap",
                "--order", "10"}, {"snapshot", "save", "/tmp/x.snap", "--size", "-1G"}, {"snapshot", "info"},
            {"snapshot", "check", "f", "--strategy", "fast"}};
        for (final String[] a : junk)
        {
            final Run r = run(a);
            final List<String> names = new ArrayList<>();
            for (final String s : a)
            {
                if (!s.isBlank())
                {
                    names.add(s);
                }
            }
            names.addAll(List.of("missing", "unmatched", "specified only once"));
            assertRefused(r, Main.EXIT_USAGE, names);
        }
    }

    // ------------------------------------------------------------------ snapshot files

    @Test
    void corruptSnapshotFiles(@TempDir final Path dir) throws IOException
    {
        final Path good = dir.resolve("good.snap");
        try (Machine m = new Machine(Machine.Config.of("arm64", 8L << 20).withSwap(1L << 20)))
        {
            final Mm p = m.newProcess();
            p.mmap(1L << 30, 4L << 20, 3, false, null, 0);
            p.populate(1L << 30, 2L << 20, 9);
            p.populate((1L << 30) + (2L << 20), 64 << 12, 4);
            p.madvise((1L << 30) + (2L << 20), 16 << 12, Advice.PAGEOUT);
            p.pin((1L << 30) + (3L << 20));
            Fork.fork(p, Strategy.FOLIO_BATCH);
            Snapshot.save(m, good);
        }
        assertThat(run("snapshot", "check", good.toString()).code()).isZero();
        final byte[] bytes = Files.readAllBytes(good);
        final Random r = new Random(0x5AA);
        final List<Path> bad = new ArrayList<>();
        for (int i = 0; i < 12; i++)
        {
            final Path t = dir.resolve("truncated" + i + ".snap");
            final int len = i == 0 ? 0 : i == 1 ? 7 : i == 2 ? 4096 : i == 3 ? bytes.length - 1 : r.nextInt(bytes.length);
            Files.write(t, Arrays.copyOf(bytes, len));
            bad.add(t);
        }
        for (int i = 0; i < 16; i++)
        {
            final Path f = dir.resolve("flipped" + i + ".snap");
            final byte[] b = bytes.clone();
            // the header, then anywhere
            final int at = i < 8 ? r.nextInt(Math.min(4096, b.length)) : r.nextInt(b.length);
            b[at] ^= (byte)(1 << r.nextInt(8));
            Files.write(f, b);
            bad.add(f);
        }
        final Path garbage = dir.resolve("garbage.snap");
        final byte[] g = new byte[bytes.length];
        r.nextBytes(g);
        Files.write(garbage, g);
        bad.add(garbage);
        final Path appended = dir.resolve("appended.snap");
        final byte[] ap = Arrays.copyOf(bytes, bytes.length + 100);
        Files.write(appended, ap);
        bad.add(appended);
        bad.add(Files.createDirectory(dir.resolve("a-directory.snap")));
        for (final Path f : bad)
        {
            for (final String cmd : List.of("info", "check"))
            {
                final Run run = run("snapshot", cmd, f.toString());
                assertRefused(run, Main.EXIT_USAGE, List.of(f.getFileName().toString()));
            }
            // the API: one SnapshotFormatException, nothing else
            try (Machine m = Snapshot.load(f))
            {
                throw new AssertionError(f + " loaded: " + m);
            }
            catch (final io.forksim.snapshot.SnapshotFormatException e)
            {
                assertThat(e.getMessage()).as(e.toString()).contains(f.getFileName().toString()).doesNotContain("\n");
            }
        }
        final Run missing = run("snapshot", "info", dir.resolve("missing.snap").toString());
        assertThat(missing.code()).as(missing.toString()).isIn(Main.EXIT_FAILED, Main.EXIT_USAGE);
        assertThat(missing.errLines()).as(missing.toString()).hasSize(1);
        assertThat(missing.errLines()[0]).contains("missing.snap");
        assertThat(missing.err()).doesNotContain("\tat ");
    }
}
