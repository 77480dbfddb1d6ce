package io.forksim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The default mode: one worker JVM per arch and order, results back as JSON lines, progress as [k/N] lines. */
class WorkerJvmTest
{
    @Test
    void oneWorkerPerArchAndOrder(@TempDir final Path dir) throws Exception
    {
        final Path json = dir.resolve("w.json");
        final Cli r = Cli.run("fork", "--size", "2M", "--orders", "0,9", "--runs", "2", "--iterations", "1", "--warmup", "0",
            "--no-counters", "--json", json.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        // plain progress lines (stderr is not a terminal here), numbered across the four workers
        assertThat(r.err()).contains("[1/24] x86_64 order-0").contains("[24/24] arm64 order-9");
        assertThat(r.out()).contains("one worker JVM per arch and order");
        final JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertThat(root.get("results")).hasSize(12);
        assertThat(root.get("results").get(0).get("events_per_fork").get("ptep_get").asLong()).isEqualTo(512);
    }
}
