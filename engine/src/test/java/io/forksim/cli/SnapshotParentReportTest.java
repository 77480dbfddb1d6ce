package io.forksim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code fork --snapshot FILE}: the report and the JSON say where the parent came from and how long that took. */
class SnapshotParentReportTest
{
    @TempDir
    Path dir;

    private Cli fork(final Path snap, final Path json, final String... mode)
    {
        final String[] base = {"fork", "--size", "4M", "--orders", "0", "--arch", "x86_64", "--strategy", "legacy",
            "--runs", "1", "--iterations", "1", "--warmup", "0", "--no-progress", "--no-counters",
            "--snapshot", snap.toString(), "--json", json.toString()};
        final String[] args = new String[base.length + mode.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(mode, 0, args, base.length, mode.length);
        return Cli.run(args);
    }

    private static JsonNode parent(final Path json) throws Exception
    {
        final JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertThat(root.get("snapshot_parents")).hasSize(1);
        return root.get("snapshot_parents").get(0);
    }

    @Test
    void aMissingFileIsCreatedThenReusedAndATruncatedOneIsRecreatedAsCorrupt() throws Exception
    {
        final Path snap = dir.resolve("p.snap").toAbsolutePath();
        final Path json = dir.resolve("r.json");

        final Cli first = fork(snap, json, "--in-process");
        assertThat(first.code()).as(first.toString()).isZero();
        assertThat(first.out()).contains("parents (--snapshot):",
            "  x86_64 order-0: created " + snap + " (does not exist yet); populated and saved in ");
        JsonNode p = parent(json);
        assertThat(p.get("origin").asText()).isEqualTo("created");
        assertThat(p.get("reason").asText()).isEqualTo("does not exist yet");
        assertThat(p.get("file").asText()).isEqualTo(snap.toString());
        assertThat(p.get("arch").asText()).isEqualTo("x86_64");
        assertThat(p.get("order").asInt()).isZero();
        assertThat(p.get("contpte_basic").asBoolean()).isFalse();
        assertThat(p.get("save_error").isNull()).isTrue();

        // a worker JVM sends its parent's source as a JSON line
        final Cli second = fork(snap, json);
        assertThat(second.code()).as(second.toString()).isZero();
        assertThat(second.out()).containsPattern("  x86_64 order-0: reused " + java.util.regex.Pattern.quote(snap.toString())
            + ", loaded in \\d+\\.\\d\\d s");
        p = parent(json);
        assertThat(p.get("origin").asText()).isEqualTo("reused");
        assertThat(p.get("reason").isNull()).isTrue();
        assertThat(p.get("seconds").asDouble()).isPositive();

        try (RandomAccessFile f = new RandomAccessFile(snap.toFile(), "rw"))
        {
            f.setLength(f.length() - 4096);
        }
        final Cli third = fork(snap, json, "--in-process");
        assertThat(third.code()).as(third.toString()).isZero();
        assertThat(third.out()).contains("  x86_64 order-0: recreated " + snap + ": the file was corrupt (truncated");
        p = parent(json);
        assertThat(p.get("origin").asText()).isEqualTo("recreated-corrupt");
        assertThat(p.get("reason").asText()).contains("truncated");
        assertThat(Files.size(snap)).isGreaterThan(4096);
    }

    @Test
    void withoutSnapshotThereIsNoParentSection() throws Exception
    {
        final Path json = dir.resolve("r.json");
        final Cli r = Cli.run("fork", "--size", "2M", "--orders", "0", "--arch", "x86_64", "--strategy", "legacy",
            "--runs", "1", "--iterations", "1", "--warmup", "0", "--in-process", "--no-progress", "--no-counters",
            "--json", json.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).doesNotContain("parents (--snapshot)");
        assertThat(new ObjectMapper().readTree(json.toFile()).has("snapshot_parents")).isFalse();
    }
}
