package io.forksim.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The host the simulation runs on, for report headers: CPU model, cores, JDK. */
public record MachineInfo(String cpu, int cores, String jdk)
{
    public static MachineInfo current()
    {
        return new MachineInfo(cpuModel(), Runtime.getRuntime().availableProcessors(),
            System.getProperty("java.vm.vendor", "?") + " " + Runtime.version());
    }

    static String cpuModel()
    {
        try
        {
            final List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (final String l : lines)
            {
                // x86: "model name"; arm64: "CPU part"/"Hardware" rarely give a name, so fall back to os.arch
                if (l.startsWith("model name") && l.indexOf(':') > 0)
                {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        }
        catch (final IOException | RuntimeException e)
        {
            // not Linux: fall through
        }
        return System.getProperty("os.arch", "unknown CPU");
    }
}
