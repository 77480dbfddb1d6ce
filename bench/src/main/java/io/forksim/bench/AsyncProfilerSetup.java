package io.forksim.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Where async-profiler's library is, and which flame graphs a profiled run left. */
final class AsyncProfilerSetup
{
    private AsyncProfilerSetup()
    {
    }

    /**
     * The async-profiler library for this platform, unpacked by the bench build next to the benchmarks jar:
     * {@code target/async-profiler/linux-x64/libasyncProfiler.so} (or {@code linux-arm64}).
     *
     * @throws IllegalStateException on another platform, or when the library is not there (naming the path)
     */
    static Path library()
    {
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        final String arch = System.getProperty("os.arch", "");
        final String platform;
        if (os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")))
        {
            platform = "linux-x64";
        }
        else if (os.contains("linux") && arch.equals("aarch64"))
        {
            platform = "linux-arm64";
        }
        else
        {
            throw new IllegalStateException("async-profiler is unpacked for linux-x64 and linux-arm64 only, not " + os + "/" + arch);
        }
        final Path dir;
        try
        {
            final Path jar = Path.of(AsyncProfilerSetup.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // target/benchmarks.jar -> target/; target/classes (IDE, tests) -> target/
            dir = jar.getParent();
        }
        catch (final URISyntaxException e)
        {
            throw new IllegalStateException(e);
        }
        final Path lib = dir.resolve("async-profiler").resolve(platform).resolve("libasyncProfiler.so").toAbsolutePath();
        if (!Files.isReadable(lib))
        {
            throw new IllegalStateException("async-profiler library not found at " + lib
                + " (the bench build unpacks it: mvn -f bench/pom.xml package, or ./forksim bench)");
        }
        return lib;
    }

    /** Prints the paths of the HTML flame graphs under {@code dir}, or that there are none. */
    static void printFlameGraphs(final Path dir, final PrintStream out) throws IOException
    {
        final List<Path> html;
        try (Stream<Path> s = Files.walk(dir))
        {
            html = s.filter(p -> p.toString().endsWith(".html")).sorted().toList();
        }
        out.println();
        if (html.isEmpty())
        {
            out.println("forksim bench: no flame graph was written under " + dir + " (see the profiler output above)");
            return;
        }
        out.println("forksim bench: flame graphs (" + html.size() + "):");
        for (final Path p : html)
        {
            out.println("  " + p);
        }
    }
}
