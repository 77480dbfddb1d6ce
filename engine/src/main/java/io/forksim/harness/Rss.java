package io.forksim.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The JVM's resident memory, from /proc/self/status (0 where that does not exist). */
final class Rss
{
    private Rss()
    {
    }

    static long current()
    {
        return field("VmRSS:");
    }

    static long peak()
    {
        return field("VmHWM:");
    }

    static String loadAverage()
    {
        try
        {
            final String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        }
        catch (final IOException | RuntimeException e)
        {
            return "n/a";
        }
    }

    static long hostRam()
    {
        try
        {
            for (final String l : Files.readAllLines(Path.of("/proc/meminfo")))
            {
                if (l.startsWith("MemTotal:"))
                {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        }
        catch (final IOException | RuntimeException e)
        {
            // not Linux
        }
        return 0;
    }

    /** Resets the peak RSS ({@code echo 5 > /proc/self/clear_refs}); false where that is not possible. */
    static boolean resetPeak()
    {
        try
        {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        }
        catch (final IOException | RuntimeException e)
        {
            return false;
        }
    }

    private static long field(final String name)
    {
        try
        {
            for (final String l : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (l.startsWith(name))
                {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        }
        catch (final IOException | RuntimeException e)
        {
            // not Linux
        }
        return 0;
    }
}
