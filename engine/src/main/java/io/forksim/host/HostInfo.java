package io.forksim.host;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * What shapes the host kernel's fork() costs: the kernel release, the THP settings, the CPU, whether the kernel runs
 * virtualized (the {@code hypervisor} CPU flag) and the kernel options that change fork's work, read from
 * {@code /proc/config.gz} when it is readable: {@code CONFIG_PARAVIRT_XXL} (page-table writes through paravirt ops)
 * and {@code CONFIG_PAGE_MAPCOUNT} (a per-page mapcount atomic for every page of a large folio).
 *
 * @param kernelRelease {@code /proc/sys/kernel/osrelease}
 * @param thp the THP settings ({@link ThpSysfs#describe()})
 * @param cpuModel the first {@code model name} of {@code /proc/cpuinfo}
 * @param cpus online CPUs seen by this JVM
 * @param hypervisor the {@code hypervisor} CPU flag
 * @param kernelConfig the fork-relevant options of {@code /proc/config.gz} (option = value, "unset" when not set);
 *     empty when the file is not readable
 */
public record HostInfo(
    @JsonProperty("kernel_release") String kernelRelease,
    @JsonProperty("thp") String thp,
    @JsonProperty("cpu_model") String cpuModel,
    @JsonProperty("cpus") int cpus,
    @JsonProperty("hypervisor") boolean hypervisor,
    @JsonProperty("kernel_config") Map<String, String> kernelConfig)
{
    /** The /proc/config.gz options reported. */
    public static final String[] CONFIG_OPTIONS = {"CONFIG_PARAVIRT_XXL", "CONFIG_PAGE_MAPCOUNT", "CONFIG_PREEMPT_DYNAMIC",
        "CONFIG_MITIGATION_PAGE_TABLE_ISOLATION"};

    /** Reads this host's description. */
    public static HostInfo read(final ThpSysfs sysfs)
    {
        final String release = readFirstLine(Path.of("/proc/sys/kernel/osrelease"));
        String model = "unknown";
        boolean hv = false;
        try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/cpuinfo"), StandardCharsets.US_ASCII))
        {
            String line;
            boolean haveModel = false;
            boolean haveFlags = false;
            while ((line = r.readLine()) != null && !(haveModel && haveFlags))
            {
                if (!haveModel && line.startsWith("model name"))
                {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    haveModel = true;
                }
                else if (!haveFlags && line.startsWith("flags"))
                {
                    hv = (" " + line.substring(line.indexOf(':') + 1) + " ").contains(" hypervisor ");
                    haveFlags = true;
                }
            }
        }
        catch (final IOException e)
        {
            model = "unreadable /proc/cpuinfo";
        }
        return new HostInfo(release, sysfs.unavailableReason() == null ? sysfs.describe() : "unavailable", model,
            Runtime.getRuntime().availableProcessors(), hv, kernelConfig(Path.of("/proc/config.gz")));
    }

    /** The options of {@link #CONFIG_OPTIONS} in a gzip'd kernel config; empty when it cannot be read. */
    static Map<String, String> kernelConfig(final Path configGz)
    {
        final Map<String, String> out = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(configGz)),
            StandardCharsets.US_ASCII)))
        {
            final Map<String, String> all = new LinkedHashMap<>();
            String line;
            while ((line = r.readLine()) != null)
            {
                final int eq = line.indexOf('=');
                if (line.startsWith("CONFIG_") && eq > 0)
                {
                    all.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            for (final String o : CONFIG_OPTIONS)
            {
                out.put(o, all.getOrDefault(o, "unset"));
            }
        }
        catch (final IOException e)
        {
            return Map.of();
        }
        return out;
    }

    private static String readFirstLine(final Path p)
    {
        try
        {
            return Files.readString(p, StandardCharsets.US_ASCII).trim();
        }
        catch (final IOException e)
        {
            return "unknown";
        }
    }

    /** One line for the text report. */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder("Linux " + kernelRelease + ", " + cpuModel + " (" + cpus + " CPUs"
            + (hypervisor ? ", virtualized: hypervisor flag set" : ", no hypervisor flag") + ")");
        if (kernelConfig.isEmpty())
        {
            sb.append(", /proc/config.gz not readable");
        }
        else
        {
            kernelConfig.forEach((k, v) -> sb.append(", ").append(k).append('=').append(v));
        }
        return sb.toString();
    }
}
