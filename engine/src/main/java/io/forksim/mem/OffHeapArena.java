package io.forksim.mem;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The engine's large off-heap memory (the memmap's segments, the table store's chunks): zeroed, lazily committed
 * anonymous private mappings ({@code mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)} through the FFM linker),
 * unmapped when this arena closes.
 *
 * <p><b>Huge pages.</b> An arena built with {@code hugePages = true} aligns each mapping of 2 MiB or more to 2 MiB
 * (it maps 2 MiB more and unmaps the misaligned head and tail) and asks for transparent huge pages with
 * {@code madvise(MADV_HUGEPAGE)}: on a host whose {@code /sys/kernel/mm/transparent_hugepage/enabled} is
 * {@code madvise} or {@code always}, the first touch of each 2 MiB then faults in one huge page, which costs less
 * per byte than 512 small faults and covers 2 MiB with one TLB entry. Whether the host granted them shows in
 * {@link #anonHugePagesBytes()} ({@code AnonHugePages} of the process). With {@code hugePages = false} the mappings
 * are 4 KiB-aligned and advised {@code MADV_NOHUGEPAGE}, so that the comparison holds on an {@code always} host too.
 *
 * <p><b>Commit.</b> {@link #commit} faults a range in ahead of use ({@code madvise(MADV_POPULATE_WRITE)}, Linux 5.14+;
 * elsewhere a write of zero to every 4 KiB page), so that a timed operation that writes it later pays no page faults.
 *
 * <p>Where the Linux calls are unavailable (another OS or arch, native access denied) the memory comes from
 * {@link Arena#allocate} (zeroed eagerly, no advice) and {@link #commit} writes every page.
 */
public final class OffHeapArena implements AutoCloseable
{
    /** The base page size this arena assumes (x86-64, arm64 with 4 KiB pages). */
    public static final long PAGE = 4096;
    /** The PMD-sized transparent huge page of x86-64 and arm64 (4 KiB granule). */
    public static final long HUGE_PAGE = 2L << 20;

    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;   // x86-64, arm64, riscv64 (asm-generic)
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MADV_HUGEPAGE = 14;
    private static final int MADV_NOHUGEPAGE = 15;
    private static final int MADV_POPULATE_WRITE = 23;

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static
    {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        final String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")
            && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64") || arch.equals("riscv64")))
        {
            try
            {
                final Linker linker = Linker.nativeLinker();
                mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(linker.defaultLookup().find("madvise").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT));
                MemorySegment.NULL.reinterpret(0); // restricted: fails here if native access is denied
            }
            catch (final RuntimeException | LinkageError e)
            {
                mmap = null;
                munmap = null;
                madvise = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private final Arena arena = Arena.ofShared();
    private final boolean hugePages;
    private boolean closed;

    /** @param hugePages align mappings to 2 MiB and advise {@code MADV_HUGEPAGE} (else {@code MADV_NOHUGEPAGE}) */
    public OffHeapArena(final boolean hugePages)
    {
        this.hugePages = hugePages;
    }

    /** Whether this arena asks for transparent huge pages. */
    public boolean hugePages()
    {
        return hugePages;
    }

    /** Whether mappings come from {@code mmap} (Linux); false: from {@link Arena#allocate}. */
    public static boolean nativeMappings()
    {
        return MMAP != null;
    }

    /**
     * Zeroed off-heap memory of {@code bytes}, lazily committed where {@link #nativeMappings()}, valid until this
     * arena closes.
     *
     * @param what names the memory in the error message (e.g. "the memmap's records")
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @throws OutOfMemoryError naming {@code bytes} and {@code what} if the host refuses the mapping
     */
    public MemorySegment allocateZeroed(final long bytes, final String what)
    {
        return allocateZeroed(bytes, what, true);
    }

    /**
     * As {@link #allocateZeroed(long, String)}, with huge pages only if this arena has them and {@code huge}: a mapping
     * that is touched sparsely (one line per 2 MiB would commit every huge page) asks for small pages with
     * {@code huge = false} and gets {@code MADV_NOHUGEPAGE}.
     */
    public MemorySegment allocateZeroed(final long bytes, final String what, final boolean huge)
    {
        return map(bytes, what, hugePages && huge);
    }

    private MemorySegment map(final long bytes, final String what, final boolean advised)
    {
        if (bytes <= 0)
        {
            throw new IllegalArgumentException("off-heap mapping of " + bytes + " bytes for " + what);
        }
        final boolean huge = advised && bytes >= HUGE_PAGE;
        if (MMAP == null)
        {
            return arena.allocate(bytes, huge ? HUGE_PAGE : PAGE);
        }
        final long length = (bytes + PAGE - 1) & -PAGE;
        final long mapped = huge ? length + HUGE_PAGE : length;
        final MemorySegment p;
        try
        {
            p = (MemorySegment)MMAP.invokeExact(MemorySegment.NULL, mapped, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("mmap of " + mapped + " bytes for " + what + " failed", t);
        }
        if (p.address() == -1L || p.address() == 0L)
        {
            throw new OutOfMemoryError("mmap of " + mapped + " bytes for " + what + " failed");
        }
        long start = p.address();
        if (huge)
        {
            final long aligned = (start + HUGE_PAGE - 1) & -HUGE_PAGE;
            if (aligned > start)
            {
                unmap(start, aligned - start);
            }
            final long tail = start + mapped - (aligned + length);
            if (tail > 0)
            {
                unmap(aligned + length, tail);
            }
            start = aligned;
        }
        final MemorySegment seg = MemorySegment.ofAddress(start);
        advise(seg, length, advised ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);   // best effort: a host without THP says EINVAL
        final long base = start;
        return seg.reinterpret(bytes, arena, s -> unmap(base, length));
    }

    /**
     * Commits {@code seg[offset, offset + bytes)} ahead of use: after this call, writes to the range take no page
     * fault (unless the host reclaims it). The range is widened to whole 4 KiB pages.
     *
     * <p>Precondition: {@code seg} is writable and no other thread writes the range meanwhile (the fallback rewrites
     * one byte of each page with the value it reads).
     *
     * @throws IndexOutOfBoundsException if the range is not inside {@code seg}
     */
    public static void commit(final MemorySegment seg, final long offset, final long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }
        java.util.Objects.checkFromIndexSize(offset, bytes, seg.byteSize());
        if (MADVISE != null)
        {
            final long from = (seg.address() + offset) & -PAGE;
            final long to = (seg.address() + offset + bytes + PAGE - 1) & -PAGE;
            if (advise(MemorySegment.ofAddress(from), to - from, MADV_POPULATE_WRITE) == 0)
            {
                return;
            }
        }
        // fallback: one write per page, of the byte it holds
        final long end = offset + bytes;
        for (long o = offset; o < end; o = o - ((seg.address() + o) & (PAGE - 1)) + PAGE)
        {
            seg.set(ValueLayout.JAVA_BYTE, o, seg.get(ValueLayout.JAVA_BYTE, o));
        }
    }

    private static int advise(final MemorySegment addr, final long length, final int advice)
    {
        if (MADVISE == null)
        {
            return -1;
        }
        try
        {
            return (int)MADVISE.invokeExact(addr, length, advice);
        }
        catch (final Throwable t)
        {
            return -1;
        }
    }

    private static void unmap(final long address, final long bytes)
    {
        final int rc;
        try
        {
            rc = (int)MUNMAP.invokeExact(MemorySegment.ofAddress(address), bytes);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("munmap of " + bytes + " bytes at 0x" + Long.toHexString(address) + " failed", t);
        }
        if (rc != 0)
        {
            throw new IllegalStateException("munmap of " + bytes + " bytes at 0x" + Long.toHexString(address) + " failed");
        }
    }

    /**
     * The host's transparent-huge-page mode: the bracketed word of {@code /sys/kernel/mm/transparent_hugepage/enabled}
     * ({@code always}, {@code madvise} or {@code never}), or {@code "unavailable"} where the file does not exist.
     */
    public static String thpMode()
    {
        try
        {
            final String s = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
            final int a = s.indexOf('[');
            final int b = s.indexOf(']');
            return a >= 0 && b > a ? s.substring(a + 1, b) : s.trim();
        }
        catch (final IOException | RuntimeException e)
        {
            return "unavailable";
        }
    }

    /** Whether an arena with huge pages can get them here: native mappings and a THP mode of madvise or always. */
    public static boolean thpUsable()
    {
        final String mode = thpMode();
        return MMAP != null && (mode.equals("madvise") || mode.equals("always"));
    }

    /**
     * Bytes of this process's anonymous memory that the host maps with transparent huge pages: {@code AnonHugePages}
     * of {@code /proc/self/smaps_rollup}; -1 where that file does not exist.
     */
    public static long anonHugePagesBytes()
    {
        return kibField(Path.of("/proc/self/smaps_rollup"), "AnonHugePages:");
    }

    /**
     * Bytes of {@code seg} that the host maps with transparent huge pages: the {@code AnonHugePages} of the
     * {@code /proc/self/smaps} entries that overlap the segment's range; -1 where that file does not exist.
     */
    public static long anonHugePagesBytes(final MemorySegment seg)
    {
        return smapsField(seg, "AnonHugePages:");
    }

    /**
     * Resident bytes of {@code seg}: the {@code Rss} of the {@code /proc/self/smaps} entries that overlap the segment's
     * range; -1 where that file does not exist.
     */
    public static long residentBytes(final MemorySegment seg)
    {
        return smapsField(seg, "Rss:");
    }

    private static long smapsField(final MemorySegment seg, final String field)
    {
        final long from = seg.address();
        final long to = from + seg.byteSize();
        try (var lines = Files.lines(Path.of("/proc/self/smaps")))
        {
            long total = 0;
            boolean inside = false;
            for (final String l : (Iterable<String>)lines::iterator)
            {
                final int dash = l.indexOf('-');
                final int sp = l.indexOf(' ');
                if (dash > 0 && sp > dash && isHex(l, 0, dash) && isHex(l, dash + 1, sp))
                {
                    final long s = Long.parseUnsignedLong(l.substring(0, dash), 16);
                    final long e = Long.parseUnsignedLong(l.substring(dash + 1, sp), 16);
                    inside = s < to && e > from;
                }
                else if (inside && l.startsWith(field))
                {
                    total += Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return total;
        }
        catch (final IOException | RuntimeException e)
        {
            return -1;
        }
    }

    private static boolean isHex(final String s, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (Character.digit(s.charAt(i), 16) < 0)
            {
                return false;
            }
        }
        return true;
    }

    /** The host's {@code MemAvailable} in bytes ({@code /proc/meminfo}); -1 where it is not known. */
    public static long hostMemAvailable()
    {
        return kibField(Path.of("/proc/meminfo"), "MemAvailable:");
    }

    private static long kibField(final Path file, final String name)
    {
        try
        {
            for (final String l : Files.readAllLines(file))
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
        return -1;
    }

    /** Unmaps every mapping of this arena. Idempotent; the segments must not be used afterwards. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            arena.close();
        }
    }
}
