package io.forksim.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code /proc/self/smaps} entry of one VMA: its range, {@code Rss} and {@code AnonHugePages} (PMD-mapped THP).
 *
 * @param start the VMA's start address
 * @param end its end address
 * @param rssBytes resident bytes (the zero page is not counted)
 * @param anonHugeBytes bytes mapped by PMD-mapped anon THPs
 */
public record Smaps(long start, long end, long rssBytes, long anonHugeBytes)
{
    public static final Path SELF = Path.of("/proc/self/smaps");

    /**
     * The entry of the VMA that starts at {@code start}.
     *
     * @throws HostException when there is no such VMA or smaps cannot be read
     */
    public static Smaps of(final long start)
    {
        final String head = Long.toHexString(start) + "-";
        try (BufferedReader r = Files.newBufferedReader(SELF, StandardCharsets.US_ASCII))
        {
            String line;
            boolean in = false;
            long end = 0;
            long rss = -1;
            long huge = -1;
            while ((line = r.readLine()) != null)
            {
                if (!in)
                {
                    if (line.startsWith(head))
                    {
                        in = true;
                        end = Long.parseUnsignedLong(line.substring(head.length(), line.indexOf(' ')), 16);
                    }
                    continue;
                }
                if (line.startsWith("Rss:"))
                {
                    rss = kb(line);
                }
                else if (line.startsWith("AnonHugePages:"))
                {
                    huge = kb(line);
                }
                else if (line.startsWith("VmFlags:"))
                {
                    break;
                }
            }
            if (!in || rss < 0 || huge < 0)
            {
                throw new HostException("no VMA at 0x" + Long.toHexString(start) + " with Rss and AnonHugePages in " + SELF);
            }
            return new Smaps(start, end, rss << 10, huge << 10);
        }
        catch (final IOException e)
        {
            throw new HostException("cannot read " + SELF + ": " + e.getMessage());
        }
    }

    private static long kb(final String line)
    {
        final String[] f = line.trim().split("\\s+");
        return Long.parseLong(f[1]);
    }
}
