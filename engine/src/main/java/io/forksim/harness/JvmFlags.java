package io.forksim.harness;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one reader of the JVM flags the engine needs ({@code --enable-native-access}, the add-opens/add-exports of
 * Agrona and Chronicle, {@code --sun-misc-unsafe-memory-access=allow}, the C2 settings): one definition in the
 * parent POM ({@code forksim.jvm.flags}), filtered into the {@code forksim-jvm.flags} resource of the engine jar,
 * which the benchmarks jar contains too. {@code forksim bench} starts its child JVM with them and the bench jar
 * appends them to every JMH fork; the launcher script reads the same file, so every JVM runs with the same flags.
 */
public final class JvmFlags
{
    public static final String RESOURCE = "forksim-jvm.flags";

    private JvmFlags()
    {
    }

    /** The flags from the classpath resource; empty if it is missing or was not filtered by Maven. */
    public static List<String> fromClasspath()
    {
        try (InputStream in = JvmFlags.class.getClassLoader().getResourceAsStream(RESOURCE))
        {
            if (in == null)
            {
                return List.of();
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        catch (final IOException e)
        {
            throw new IllegalStateException("cannot read " + RESOURCE + " from the classpath", e);
        }
    }

    /** Whitespace-separated flags; an unfiltered {@code ${...}} placeholder yields nothing. */
    public static List<String> parse(final String text)
    {
        final List<String> out = new ArrayList<>();
        for (final String f : text.trim().split("\\s+"))
        {
            if (!f.isEmpty() && !f.startsWith("${"))
            {
                out.add(f);
            }
        }
        return out;
    }

    /**
     * The flags a JMH fork must get appended: those not already among the host JVM's input arguments
     * (JMH forks inherit the host's arguments unless {@code -jvmArgs} replaces them).
     */
    public static List<String> missingFromHost(final List<String> flags, final boolean hostArgsInherited)
    {
        if (!hostArgsInherited)
        {
            return flags;
        }
        final List<String> host = ManagementFactory.getRuntimeMXBean().getInputArguments();
        final List<String> out = new ArrayList<>();
        for (final String f : flags)
        {
            if (!host.contains(f))
            {
                out.add(f);
            }
        }
        return out;
    }
}
