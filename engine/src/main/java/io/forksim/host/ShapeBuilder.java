package io.forksim.host;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Builds a {@link Shape} in a {@link HostRegion} and verifies that the memory came out as asked (see {@link Shape} for
 * how each is built and checked). Where this process can read page flags (root), the folios behind the region are
 * counted exactly ({@link FolioCensus}); otherwise the global THP statistics and smaps stand in, which another
 * process's THP faults at the same moment can disturb. A shape that did not is reported "not built" with the reason and the setting that
 * would enable it; it is never timed.
 *
 * <p>After building, large-folio shapes get MADV_NOHUGEPAGE (order-9-pmd excepted) so that khugepaged does not collapse
 * them into PMD mappings while they are timed; that changes no PTE and no folio.
 */
public final class ShapeBuilder
{
    /** The outcome of building: built (with what verified it) or not (with why and what would enable it). */
    public record Outcome(boolean built, boolean folioOrderVerified, String evidence, String reason, String enableHint)
    {
        static Outcome ok(final boolean folioOrderVerified, final String evidence)
        {
            return new Outcome(true, folioOrderVerified, evidence, null, null);
        }

        static Outcome notBuilt(final String reason, final String enableHint)
        {
            return new Outcome(false, false, null, reason, enableHint);
        }
    }

    private ShapeBuilder()
    {
    }

    /** Whether the current settings let a MADV_HUGEPAGE region get the shape's folio size: null if so, else why not. */
    public static Outcome precheck(final Shape shape, final ThpSysfs sysfs)
    {
        if (!shape.needsThp())
        {
            return null;
        }
        final int kb = shape.folioKb();
        final List<Integer> sizes = sysfs.anonSizesKb();
        final String file = sysfs.root().resolve(ThpSysfs.enabledFile(kb)).toString();
        if (!sizes.contains(kb))
        {
            return Outcome.notBuilt("this kernel offers no anon " + kb + " KiB THP (no " + file + ")", "none");
        }
        if (!sysfs.allowedWithMadvise(kb))
        {
            return Outcome.notBuilt(file + " is " + sysfs.selected(ThpSysfs.enabledFile(kb))
                + (sysfs.selected(ThpSysfs.enabledFile(kb)).equals("inherit") ? " and enabled is never" : ""),
                "echo madvise > " + file + " (or run with --configure-thp)");
        }
        for (final int larger : sizes)
        {
            if (larger > kb && sysfs.allowedWithMadvise(larger))
            {
                final String lf = sysfs.root().resolve(ThpSysfs.enabledFile(larger)).toString();
                return Outcome.notBuilt("a larger size is enabled too: " + lf + " is " + sysfs.selected(ThpSysfs.enabledFile(larger))
                    + " (the fault would take " + larger + " KiB folios first)", "echo never > " + lf + " (or run with --configure-thp)");
            }
        }
        return null;
    }

    /**
     * Builds and verifies {@code shape} in {@code region} (freshly mapped, untouched).
     *
     * @throws HostException when a host call fails
     */
    public static Outcome build(final Shape shape, final HostRegion region, final ThpSysfs sysfs)
    {
        final Outcome pre = precheck(shape, sysfs);
        if (pre != null)
        {
            return pre;
        }
        final long start = region.start();
        final long len = region.len();
        if (shape.kind() == Shape.Kind.PMD_MAPPED_THP_HALF && len % (2 * HostRegion.PMD_SIZE) != 0)
        {
            return Outcome.notBuilt(shape.name() + " maps every other 2 MiB: the size " + len + " is not a multiple of 4 MiB",
                "--size a multiple of 4 MiB");
        }
        final List<Integer> sizes = sysfs.anonSizesKb();
        final long[] allocBefore = sysfs.stats("anon_fault_alloc");
        final long nrAnonPmdBefore = sysfs.stat(ThpSysfs.PMD_KB, "nr_anon");
        final long splitPmdBefore = sysfs.stat(ThpSysfs.PMD_KB, "split");
        LibC.madvise(start, len, shape.needsThp() ? LibC.MADV_HUGEPAGE : LibC.MADV_NOHUGEPAGE);
        final MemorySegment m = region.segment();
        switch (shape.kind())
        {
            case ZERO ->
            {
                // one write and its MADV_DONTNEED give the VMA an anon_vma (fork copies no page table of a VMA
                // without one); then every page is read: every PTE maps the zero page
                m.set(ValueLayout.JAVA_BYTE, 0, (byte)1);
                LibC.madvise(start, HostRegion.PAGE, LibC.MADV_DONTNEED);
                readEvery(m, HostRegion.PAGE);
            }
            case ZERO_HALF ->
            {
                m.set(ValueLayout.JAVA_BYTE, 0, (byte)1);
                LibC.madvise(start, HostRegion.PAGE, LibC.MADV_DONTNEED);
                readEvery(m, 2 * HostRegion.PAGE);
            }
            case SPARSE, SPARSE16 -> writeEvery(m, shape.sparseStride());
            case ORDER0_HALF -> writeEvery(m, 2 * HostRegion.PAGE);
            case PMD_MAPPED_THP_HALF -> writeEvery(m, 2 * HostRegion.PMD_SIZE);
            default -> writeEvery(m, HostRegion.PAGE);
        }
        final Smaps built = Smaps.of(start);
        final long[] allocAfter = sysfs.stats("anon_fault_alloc");
        final StringBuilder deltas = new StringBuilder();
        long otherAllocs = 0;
        long ownAlloc = 0;
        for (int i = 0; i < sizes.size(); i++)
        {
            final long d = allocAfter[i] - allocBefore[i];
            if (sizes.get(i) == shape.folioKb() && shape.needsThp())
            {
                ownAlloc = d;
            }
            else
            {
                otherAllocs += d;
            }
            if (d != 0)
            {
                deltas.append(deltas.isEmpty() ? "" : ", ").append(sizes.get(i)).append("K +").append(d);
            }
        }
        final String faults = "anon_fault_alloc deltas {" + deltas + "}";
        final String smaps = "Rss " + (built.rssBytes() >> 10) + " kB, AnonHugePages " + (built.anonHugeBytes() >> 10) + " kB";
        if (built.end() - built.start() != len)
        {
            return Outcome.notBuilt("the region's VMA is " + (built.end() - built.start()) + " bytes, not " + len, "none");
        }
        final long pages = region.pages();
        final boolean exact = FolioCensus.available();
        switch (shape.kind())
        {
            case ORDER0, ORDER0_RO ->
            {
                if (exact)
                {
                    final FolioCensus c = FolioCensus.of(start, len, 0);
                    if (!c.isAll(pages, 0) || built.anonHugeBytes() != 0)
                    {
                        return Outcome.notBuilt("order-0 memory did not come out as asked: " + c.describe(0) + "; " + smaps, "none");
                    }
                    protectIfAsked(shape, start, len);
                    return Outcome.ok(true, smaps + ", " + c.describe(0));
                }
                if (built.anonHugeBytes() != 0 || otherAllocs != 0 || built.rssBytes() != len)
                {
                    return Outcome.notBuilt("order-0 memory did not come out as asked: " + smaps + ", " + faults
                        + " (global counters: another process's THP faults count too)", "none");
                }
                protectIfAsked(shape, start, len);
                return Outcome.ok(true, smaps + ", no large-folio fault");
            }
            case SPARSE, SPARSE16 ->
            {
                final long want = len / shape.sparseStride();
                final FolioCensus c = exact ? FolioCensus.of(start, len, 0) : null;
                if (built.rssBytes() != want * HostRegion.PAGE || built.anonHugeBytes() != 0
                    || (c != null && (c.present() != want || c.order0() != want)))
                {
                    return Outcome.notBuilt("sparse memory: " + smaps + (c == null ? "" : ", " + c.describe(0)) + ", expected Rss "
                        + (want * HostRegion.PAGE >> 10) + " kB", "none");
                }
                return Outcome.ok(c != null, smaps + " (one page per " + (shape.sparseStride() >> 10) + " KiB)"
                    + (c == null ? "" : ", " + c.describe(0)));
            }
            case ZERO ->
            {
                final FolioCensus c = exact ? FolioCensus.of(start, len, 0) : null;
                if (built.rssBytes() != 0 || built.anonHugeBytes() != 0 || (c != null && c.zeroPage() != pages))
                {
                    return Outcome.notBuilt("read faults did not map the zero page: " + smaps + (c == null ? "" : ", " + c.describe(0))
                        + " (use_zero_page: " + sysfs.read("use_zero_page") + ")", "echo 1 > " + sysfs.root().resolve("use_zero_page"));
                }
                return Outcome.ok(c != null, smaps + " (every page read: the zero page)" + (c == null ? "" : ", " + c.describe(0)));
            }
            case ORDER0_HALF ->
            {
                final FolioCensus c = exact ? FolioCensus.of(start, len, 0) : null;
                if (built.rssBytes() != len / 2 || built.anonHugeBytes() != 0 || (c != null ? c.present() != pages / 2
                    || c.order0() != pages / 2 : otherAllocs != 0))
                {
                    return Outcome.notBuilt("order-0 memory on every other page did not come out: " + smaps
                        + (c == null ? ", " + faults : ", " + c.describe(0)) + ", expected Rss " + (len / 2 >> 10) + " kB", "none");
                }
                return Outcome.ok(c != null || otherAllocs == 0, smaps + " (every other page written)" + (c == null ? "" : ", " + c.describe(0)));
            }
            case ZERO_HALF ->
            {
                final FolioCensus c = exact ? FolioCensus.of(start, len, 0) : null;
                if (built.rssBytes() != 0 || built.anonHugeBytes() != 0 || (c != null && (c.zeroPage() != pages / 2 || c.present() != pages / 2)))
                {
                    return Outcome.notBuilt("read faults on every other page did not map the zero page: " + smaps
                        + (c == null ? "" : ", " + c.describe(0)) + " (use_zero_page: " + sysfs.read("use_zero_page") + ")",
                        "echo 1 > " + sysfs.root().resolve("use_zero_page"));
                }
                return Outcome.ok(c != null, smaps + " (every other page read: the zero page)" + (c == null ? "" : ", " + c.describe(0)));
            }
            case PMD_MAPPED_THP_HALF ->
            {
                if (built.anonHugeBytes() != len / 2 || built.rssBytes() != len / 2)
                {
                    return Outcome.notBuilt("PMD THP in every other 2 MiB did not come out: " + smaps + ", " + faults
                        + ", expected AnonHugePages " + (len / 2 >> 10) + " kB", "check " + sysfs.root().resolve("defrag") + " and free memory");
                }
                return Outcome.ok(true, smaps + ", " + faults);
            }
            case MTHP ->
            {
                final long want = len / (shape.folioKb() * 1024L);
                final FolioCensus c = exact ? FolioCensus.of(start, len, shape.order()) : null;
                if (built.anonHugeBytes() != 0 || built.rssBytes() != len || (c != null ? !c.isAll(pages, shape.order()) : ownAlloc < want))
                {
                    return Outcome.notBuilt(shape.folioKb() + " KiB folios did not come out: " + (c == null ? "" : c.describe(shape.order()) + ", ")
                        + faults + ", expected +" + want + " of " + shape.folioKb() + "K; " + smaps,
                        "check " + sysfs.root().resolve("defrag") + " and free memory");
                }
                LibC.madvise(start, len, LibC.MADV_NOHUGEPAGE);
                return Outcome.ok(true, (c == null ? "" : c.describe(shape.order()) + ", ") + faults + " (expected +" + want + "), " + smaps);
            }
            case PMD_MAPPED_THP ->
            {
                if (built.anonHugeBytes() != len)
                {
                    return Outcome.notBuilt("PMD THP did not come out: " + smaps + ", " + faults,
                        "check " + sysfs.root().resolve("defrag") + " and free memory");
                }
                return Outcome.ok(true, smaps + ", " + faults);
            }
            case PTE_MAPPED_THP, PTE_MAPPED_THP_HALF, PTE_MAPPED_THP_HOLES16, PTE_MAPPED_THP_HOLES4 ->
            {
                if (built.anonHugeBytes() != len)
                {
                    return Outcome.notBuilt("PMD THP did not come out before the split: " + smaps + ", " + faults,
                        "check " + sysfs.root().resolve("defrag") + " and free memory");
                }
                for (long o = 0; o < len; o += HostRegion.PMD_SIZE)
                {
                    LibC.mprotect(start + o, HostRegion.PAGE, LibC.PROT_READ);
                    LibC.mprotect(start + o, HostRegion.PAGE, LibC.PROT_READ | LibC.PROT_WRITE);
                }
                LibC.madvise(start, len, LibC.MADV_NOHUGEPAGE);
                final Smaps split = Smaps.of(start);
                final long nrAnon = sysfs.stat(ThpSysfs.PMD_KB, "nr_anon") - nrAnonPmdBefore;
                final long splits = sysfs.stat(ThpSysfs.PMD_KB, "split") - splitPmdBefore;
                final long want = len / HostRegion.PMD_SIZE;
                final FolioCensus c = exact ? FolioCensus.of(start, len, Shape.PMD_ORDER) : null;
                final String after = "after the PMD split: Rss " + (split.rssBytes() >> 10) + " kB, AnonHugePages "
                    + (split.anonHugeBytes() >> 10) + " kB, " + (c != null ? c.describe(Shape.PMD_ORDER)
                    : "2048K nr_anon +" + nrAnon + " (expected +" + want + "), split +" + splits + " (global counters)");
                if (split.end() - split.start() != len || split.anonHugeBytes() != 0 || split.rssBytes() != len
                    || (c != null ? !c.isAll(pages, Shape.PMD_ORDER) : splits != 0 || (nrAnonPmdBefore >= 0 && nrAnon < want)))
                {
                    return Outcome.notBuilt("PTE-mapped 2 MiB folios did not come out: " + after, "none");
                }
                if (shape.holeStride() != 0)
                {
                    return zapHoles(shape, start, len, pages, exact, faults + "; " + after, sysfs, splitPmdBefore);
                }
                return Outcome.ok(c != null || nrAnonPmdBefore >= 0, faults + "; " + after);
            }
            default -> throw new IllegalStateException("unhandled shape kind " + shape.kind());
        }
    }

    /**
     * order-9-pte-half and the order-9-pte-holes shapes: MADV_DONTNEED of one page per {@link Shape#holeStride()} of the
     * PTE-mapped 2 MiB folios. A zap of some PTEs of a large folio splits nothing (the folio only goes on the
     * deferred split queue), so each folio keeps its 512 pages and every hole ends a folio batch.
     *
     * <p>Precondition: {@code [start, start + len)} is PTE-mapped 2 MiB folios, verified.
     */
    private static Outcome zapHoles(final Shape shape, final long start, final long len, final long pages, final boolean exact,
        final String before, final ThpSysfs sysfs, final long splitPmdBefore)
    {
        for (long o = shape.holeOffset(); o < len; o += shape.holeStride())
        {
            LibC.madvise(start + o, HostRegion.PAGE, LibC.MADV_DONTNEED);
        }
        final long mapped = len - len / shape.holeStride() * HostRegion.PAGE;
        final Smaps z = Smaps.of(start);
        final FolioCensus c = exact ? FolioCensus.of(start, len, Shape.PMD_ORDER) : null;
        final long splits = sysfs.stat(ThpSysfs.PMD_KB, "split") - splitPmdBefore;
        final String after = "after MADV_DONTNEED of one page per " + (shape.holeStride() >> 10) + " KiB: Rss " + (z.rssBytes() >> 10)
            + " kB, AnonHugePages " + (z.anonHugeBytes() >> 10) + " kB, "
            + (c != null ? c.describe(Shape.PMD_ORDER) : "2048K split +" + splits + " (global counter)");
        if (z.end() - z.start() != len || z.rssBytes() != mapped || z.anonHugeBytes() != 0
            || (c != null ? !c.isHoled(mapped / HostRegion.PAGE, len / HostRegion.PMD_SIZE) : splits != 0))
        {
            return Outcome.notBuilt("2 MiB folios with holes did not come out: " + after, "none");
        }
        return Outcome.ok(c != null, before + "; " + after);
    }

    private static void protectIfAsked(final Shape shape, final long start, final long len)
    {
        if (shape.kind() == Shape.Kind.ORDER0_RO)
        {
            LibC.mprotect(start, len, LibC.PROT_READ);
        }
    }

    private static void writeEvery(final MemorySegment m, final long stride)
    {
        for (long o = 0; o < m.byteSize(); o += stride)
        {
            m.set(ValueLayout.JAVA_BYTE, o, (byte)1);
        }
    }

    private static volatile long sink;

    private static void readEvery(final MemorySegment m, final long stride)
    {
        long s = 0;
        for (long o = 0; o < m.byteSize(); o += stride)
        {
            s += m.get(ValueLayout.JAVA_BYTE, o);
        }
        sink = s;
    }
}
