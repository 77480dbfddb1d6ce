package io.forksim.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The folios that back a region, read from the kernel's own page flags: {@code /proc/self/pagemap} gives each page's
 * PFN and {@code /proc/kpageflags} each PFN's flags (both need root for PFNs). Unlike the global THP statistics, this
 * sees only the region, so other processes allocating THPs at the same time do not disturb it.
 * <pre>
 *   pagemap entry (8 bytes per virtual page)          kpageflags entry (8 bytes per PFN), bits used here
 *   63  62  61   60..57  56  55  54 ........ 0          15 COMPOUND_HEAD   16 COMPOUND_TAIL   22 THP
 *   +---+---+---+-------+---+---+--------------+        24 ZERO_PAGE
 *   | P | S |F/A| (0)   |EXC|SD |  PFN[54:0]   |
 *   +---+---+---+-------+---+---+--------------+
 * </pre>
 * A folio of order N is a head page followed by 2^N − 1 tail pages at consecutive PFNs, the head's PFN a multiple
 * of 2^N; an order-0 page is neither head nor tail.
 *
 * @param present pages present
 * @param zeroPage pages that map the shared zero page
 * @param heads compound heads (large folios whose head page is in the region)
 * @param order0 present pages that are neither head nor tail (nor the zero page)
 * @param misaligned heads whose PFN is not a multiple of the folio size asked about, or whose tail run in the
 *     region is not 2^N − 1 consecutive PFNs
 * @param largePages present pages of a large folio (heads and tails)
 */
public record FolioCensus(long present, long zeroPage, long heads, long order0, long misaligned, long largePages)
{
    public static final Path PAGEMAP = Path.of("/proc/self/pagemap");
    public static final Path KPAGEFLAGS = Path.of("/proc/kpageflags");
    private static final long PM_PRESENT = 1L << 63;
    private static final long PM_PFN = (1L << 55) - 1;
    private static final long KPF_HEAD = 1L << 15;
    private static final long KPF_TAIL = 1L << 16;
    private static final long KPF_ZERO = 1L << 24;

    /** Whether this process can read PFNs and page flags (root). */
    public static boolean available()
    {
        return Files.isReadable(KPAGEFLAGS) && Files.isReadable(PAGEMAP);
    }

    /**
     * Counts the folios behind {@code [start, start + len)}, checking heads against folios of {@code order}.
     *
     * @throws HostException when pagemap or kpageflags cannot be read, or hides the PFNs (not root)
     */
    public static FolioCensus of(final long start, final long len, final int order)
    {
        final int pages = (int)(len / HostRegion.PAGE);
        final long[] pfn = new long[pages];
        final boolean[] present = new boolean[pages];
        try (FileChannel pm = FileChannel.open(PAGEMAP, StandardOpenOption.READ);
             FileChannel kf = FileChannel.open(KPAGEFLAGS, StandardOpenOption.READ))
        {
            final ByteBuffer b = ByteBuffer.allocate(pages * 8).order(ByteOrder.nativeOrder());
            readFully(pm, b, start / HostRegion.PAGE * 8);
            long anyPfn = 0;
            for (int i = 0; i < pages; i++)
            {
                final long e = b.getLong(i * 8);
                present[i] = (e & PM_PRESENT) != 0;
                pfn[i] = e & PM_PFN;
                anyPfn |= present[i] ? pfn[i] : 0;
            }
            final long[] flags = new long[pages];
            final ByteBuffer one = ByteBuffer.allocate(8 * 512).order(ByteOrder.nativeOrder());
            for (int i = 0; i < pages; )
            {
                if (!present[i])
                {
                    i++;
                    continue;
                }
                int run = 1;
                while (i + run < pages && run < 512 && present[i + run] && pfn[i + run] == pfn[i] + run)
                {
                    run++;
                }
                one.clear().limit(run * 8);
                readFully(kf, one, pfn[i] * 8);
                for (int k = 0; k < run; k++)
                {
                    flags[i + k] = one.getLong(k * 8);
                }
                i += run;
            }
            long nPresent = 0;
            long zero = 0;
            long heads = 0;
            long order0 = 0;
            long misaligned = 0;
            long large = 0;
            final long nr = 1L << order;
            for (int i = 0; i < pages; i++)
            {
                if (!present[i])
                {
                    continue;
                }
                if (anyPfn == 0)
                {
                    throw new HostException(PAGEMAP + " shows no PFNs (needs root, CAP_SYS_ADMIN)");
                }
                nPresent++;
                final long f = flags[i];
                if ((f & KPF_ZERO) != 0)
                {
                    zero++;
                }
                else if ((f & KPF_HEAD) != 0)
                {
                    heads++;
                    large++;
                    boolean ok = (pfn[i] & (nr - 1)) == 0 && i + nr <= pages;
                    for (int k = 1; ok && k < nr; k++)
                    {
                        ok = present[i + k] && pfn[i + k] == pfn[i] + k && (flags[i + k] & KPF_TAIL) != 0;
                    }
                    misaligned += ok ? 0 : 1;
                }
                else if ((f & KPF_TAIL) == 0)
                {
                    order0++;
                }
                else
                {
                    large++;
                }
            }
            return new FolioCensus(nPresent, zero, heads, order0, misaligned, large);
        }
        catch (final IOException e)
        {
            throw new HostException("cannot read " + PAGEMAP + " / " + KPAGEFLAGS + ": " + e.getMessage());
        }
    }

    private static void readFully(final FileChannel ch, final ByteBuffer b, final long pos) throws IOException
    {
        long p = pos;
        while (b.hasRemaining())
        {
            final int n = ch.read(b, p);
            if (n <= 0)
            {
                throw new IOException("short read at offset " + p);
            }
            p += n;
        }
    }

    /** Whether the region is exactly {@code pages} present pages in folios of {@code order}. */
    public boolean isAll(final long pages, final int order)
    {
        if (order == 0)
        {
            return present == pages && order0 == pages && heads == 0 && zeroPage == 0;
        }
        return present == pages && heads == pages >> order && misaligned == 0 && order0 == 0 && zeroPage == 0;
    }

    /**
     * Whether the region is {@code present} present pages, each a page of a large folio, with {@code heads} folio
     * heads among them (folios with holes: their heads are present, some tails are not).
     */
    public boolean isHoled(final long present, final long heads)
    {
        return this.present == present && largePages == present && this.heads == heads && order0 == 0 && zeroPage == 0;
    }

    /** "kpageflags: 262144 present, 512 large-folio heads (0 not a whole aligned order-9 folio), 262144 in large folios, 0 order-0, 0 zero page". */
    public String describe(final int order)
    {
        return "kpageflags: " + present + " present, " + heads + " large-folio heads" + (order > 0 ? " (" + misaligned
            + " not a whole aligned order-" + order + " folio)" : "") + ", " + largePages + " in large folios, " + order0 + " order-0, "
            + zeroPage + " zero page";
    }
}
