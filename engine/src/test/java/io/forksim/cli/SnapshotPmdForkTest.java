package io.forksim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code forksim fork --size 64M --orders 9pmd --runs 1 --iterations 2 --snapshot DIR} twice: the first run populates
 * the PMD-mapped parents and saves them, the second (through worker JVMs) loads them; PTE-mapped order 9 gets a file
 * of its own.
 */
class SnapshotPmdForkTest
{
    @TempDir
    Path dir;

    private static Cli fork(final Path snaps, final Path json, final String orders, final String... more)
    {
        final List<String> args = new java.util.ArrayList<>(List.of("fork", "--size", "64M", "--orders", orders, "--runs", "1",
            "--iterations", "2", "--snapshot", snaps.toString(), "--no-progress", "--no-counters", "--no-kernel",
            "--json", json.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    private static List<String> parents(final Path json) throws Exception
    {
        final JsonNode root = new ObjectMapper().readTree(json.toFile());
        return StreamSupport.stream(root.get("snapshot_parents").spliterator(), false)
            .map(p -> p.get("arch").asText() + " " + p.get("order").asInt() + " " + p.get("mapping").asText() + " "
                + p.get("origin").asText() + " " + Path.of(p.get("file").asText()).getFileName())
            .toList();
    }

    @Test
    void pmdMappedParentsAreCreatedThenReusedAndPteMappedOrder9HasItsOwnFile() throws Exception
    {
        final Path snaps = Files.createDirectory(dir.resolve("snaps")).toAbsolutePath();
        final Path json = dir.resolve("r.json");

        final Cli first = fork(snaps, json, "9pmd", "--in-process");
        assertThat(first.code()).as(first.toString()).isZero();
        assertThat(first.out()).contains("parents (--snapshot):",
            "  x86_64 order-9pmd: created " + snaps.resolve("forksim-x86_64-64M-o9pmd.snap") + " (does not exist yet); populated and saved in ",
            "  arm64 order-9pmd: created " + snaps.resolve("forksim-arm64-64M-o9pmd.snap") + " (does not exist yet); populated and saved in ");
        assertThat(parents(json)).containsExactly("x86_64 9 pmd created forksim-x86_64-64M-o9pmd.snap",
            "arm64 9 pmd created forksim-arm64-64M-o9pmd.snap");

        final Cli second = fork(snaps, json, "9pmd");
        assertThat(second.code()).as(second.toString()).isZero();
        assertThat(second.out()).containsPattern("  x86_64 order-9pmd: reused "
            + java.util.regex.Pattern.quote(snaps.resolve("forksim-x86_64-64M-o9pmd.snap").toString()) + ", loaded in \\d+\\.\\d\\d s");
        assertThat(parents(json)).containsExactly("x86_64 9 pmd reused forksim-x86_64-64M-o9pmd.snap",
            "arm64 9 pmd reused forksim-arm64-64M-o9pmd.snap");

        final Cli both = fork(snaps, json, "9,9pmd", "--arch", "x86_64", "--in-process");
        assertThat(both.code()).as(both.toString()).isZero();
        assertThat(parents(json)).containsExactly("x86_64 9 pte created forksim-x86_64-64M-o9.snap",
            "x86_64 9 pmd reused forksim-x86_64-64M-o9pmd.snap");
        try (var files = Files.list(snaps))
        {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
                "forksim-arm64-64M-o9pmd.snap", "forksim-x86_64-64M-o9.snap", "forksim-x86_64-64M-o9pmd.snap");
        }
    }
}
