package io.forksim.mem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Off-heap arenas on a 64 MiB mapping: 2 MiB alignment and transparent huge pages when asked for (skipped, with the
 * reason, where the host gives none), none when not, and commit ahead of use.
 */
class OffHeapArenaTest
{
    private static final long SIZE = 64L << 20;

    private static void assumeThp()
    {
        final String why = !OffHeapArena.nativeMappings() ? "no native mmap on this platform"
            : "transparent huge pages are '" + OffHeapArena.thpMode() + "' on this host";
        if (!OffHeapArena.thpUsable())
        {
            System.out.println("OffHeapArenaTest: skipped, " + why);
        }
        Assumptions.assumeTrue(OffHeapArena.thpUsable(), why);
    }

    /**
     * Skips unless the host backed each of {@code segs} with some huge pages. The advice is the engine's part and is asserted
     * (VmFlags {@code hg}); the grant is the host's, which finds no free 2 MiB block when its memory is fragmented
     * (seen on this 2-core VM with several JVMs building at once): then the test is skipped with that reason.
     */
    private static void assumeGranted(final MemorySegment... segs) throws java.io.IOException
    {
        boolean granted = true;
        for (final MemorySegment seg : segs)
        {
            assertThat(vmFlags(seg)).as("madvise(MADV_HUGEPAGE) applied").contains(" hg");
            granted &= OffHeapArena.anonHugePagesBytes(seg) > 0;
        }
        if (!granted)
        {
            final String why = "the host granted no huge page for an advised, committed range (no free 2 MiB block?)";
            System.out.println("OffHeapArenaTest: skipped, " + why);
            Assumptions.abort(why);
        }
    }

    /** The VmFlags line of the /proc/self/smaps entry that holds {@code seg}'s first byte. */
    private static String vmFlags(final MemorySegment seg) throws java.io.IOException
    {
        final long at = seg.address();
        boolean inside = false;
        for (final String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps")))
        {
            final int dash = line.indexOf('-');
            if (dash > 0 && line.indexOf(' ') > dash && line.substring(0, dash).matches("[0-9a-f]+"))
            {
                final long lo = Long.parseUnsignedLong(line.substring(0, dash), 16);
                final long hi = Long.parseUnsignedLong(line.substring(dash + 1, line.indexOf(' ')), 16);
                inside = at >= lo && at < hi;
            }
            else if (inside && line.startsWith("VmFlags:"))
            {
                return line;
            }
        }
        return "";
    }

    @Test
    void aHugePageArenaAlignsTo2MiBAndTheHostBacksItWithHugePagesOnceCommitted() throws java.io.IOException
    {
        assumeThp();
        try (OffHeapArena a = new OffHeapArena(true))
        {
            final MemorySegment seg = a.allocateZeroed(SIZE, "a test mapping");
            assertThat(seg.byteSize()).isEqualTo(SIZE);
            assertThat(seg.address() % OffHeapArena.HUGE_PAGE).isZero();
            assertThat(OffHeapArena.anonHugePagesBytes(seg)).isZero();
            OffHeapArena.commit(seg, 0, SIZE);
            assumeGranted(seg);
            // defrag may fail to find a free 2 MiB block for some; most of 32 must be huge
            assertThat(OffHeapArena.anonHugePagesBytes(seg)).isGreaterThanOrEqualTo(SIZE / 2);
            assertThat(seg.get(ValueLayout.JAVA_LONG, SIZE - 8)).isZero();
        }
    }

    @Test
    void anArenaWithoutHugePagesGetsNone()
    {
        Assumptions.assumeTrue(OffHeapArena.nativeMappings(), "no native mmap on this platform");
        try (OffHeapArena a = new OffHeapArena(false))
        {
            final MemorySegment seg = a.allocateZeroed(SIZE, "a test mapping");
            OffHeapArena.commit(seg, 0, SIZE);
            assertThat(OffHeapArena.anonHugePagesBytes(seg)).isZero();
        }
    }

    @Test
    void commitMakesTheRangeResidentAndKeepsItsContents()
    {
        Assumptions.assumeTrue(OffHeapArena.nativeMappings(), "no native mmap on this platform");
        try (OffHeapArena a = new OffHeapArena(false))
        {
            final MemorySegment seg = a.allocateZeroed(SIZE, "a test mapping");
            seg.set(ValueLayout.JAVA_LONG, 4096, 0x1234_5678L);
            final long before = OffHeapArena.residentBytes(seg);
            OffHeapArena.commit(seg, 4096, SIZE - 8192);
            final long after = OffHeapArena.residentBytes(seg);
            assertThat(after - before).isEqualTo(SIZE - 3 * 4096);   // the page written before was resident already
            assertThat(seg.get(ValueLayout.JAVA_LONG, 4096)).isEqualTo(0x1234_5678L);
            assertThat(seg.get(ValueLayout.JAVA_LONG, 0)).isZero();
        }
    }

    @Test
    void aCommitOutsideTheSegmentIsRefused()
    {
        try (OffHeapArena a = new OffHeapArena(false))
        {
            final MemorySegment seg = a.allocateZeroed(1L << 20, "a test mapping");
            assertThatThrownBy(() -> OffHeapArena.commit(seg, 4096, 1L << 20)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> a.allocateZeroed(0, "an empty mapping"))
                .hasMessage("off-heap mapping of 0 bytes for an empty mapping");
        }
    }

    @Test
    void aMachineOnHugePagesGetsThemForItsTablesTokensAndRecordsAndFreeMemoryCommitsNoRecords() throws java.io.IOException
    {
        assumeThp();
        // 4 GiB of RAM: 16 MiB of records, 8 MiB of tokens
        final io.forksim.mm.Machine.Config config = io.forksim.mm.Machine.Config.of("x86_64", 4L << 30);
        try (io.forksim.mm.Machine m = new io.forksim.mm.Machine(config))
        {
            assertThat(config.hugePages()).isTrue();
            final io.forksim.mm.Mm p = m.newProcess();
            p.mmap(1L << 40, SIZE, io.forksim.mm.VmFlags.VM_READ | io.forksim.mm.VmFlags.VM_WRITE, false, null, 0);
            p.populate(1L << 40, SIZE, 0);                           // 16,384 pages: 128 KiB of tokens, 33 tables
            m.tableStore().ensureCommitted(m.tableStore().slotsInUse());
            assumeGranted(m.memmap().tokens(), m.tableStore().chunk(0));
            assertThat(OffHeapArena.anonHugePagesBytes(m.memmap().tokens())).isGreaterThan(0);
            assertThat(OffHeapArena.anonHugePagesBytes(m.tableStore().chunk(0))).isGreaterThan(0);
            assertThat(OffHeapArena.anonHugePagesBytes(m.memmap().records())).isGreaterThan(0);
            // the zero page's record and the top of RAM the populate took: two of the eight huge pages
            assertThat(OffHeapArena.residentBytes(m.memmap().records())).isLessThanOrEqualTo(4L << 20);
        }
        try (io.forksim.mm.Machine m = new io.forksim.mm.Machine(config.withHugePages(false)))
        {
            final io.forksim.mm.Mm p = m.newProcess();
            p.mmap(1L << 40, SIZE, io.forksim.mm.VmFlags.VM_READ | io.forksim.mm.VmFlags.VM_WRITE, false, null, 0);
            p.populate(1L << 40, SIZE, 0);
            assertThat(m.memmap().hugePages()).isFalse();
            assertThat(m.tableStore().hugePages()).isFalse();
            assertThat(OffHeapArena.anonHugePagesBytes(m.memmap().tokens())).isZero();
            assertThat(OffHeapArena.anonHugePagesBytes(m.memmap().records())).isZero();
            assertThat(OffHeapArena.anonHugePagesBytes(m.tableStore().chunk(0))).isZero();
        }
    }
}
