package io.forksim.host;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The FFM fork path on this host: 8 MiB of order-0 memory built, verified and timed (no time is asserted). */
class ForkPathTest
{
    private static final ThpSysfs SYSFS = new ThpSysfs(ThpSysfs.DEFAULT_ROOT);

    @BeforeAll
    static void needsForkAndSysfs()
    {
        final String why = KernelWorker.unavailableReason(SYSFS);
        if (why != null)
        {
            System.out.println("ForkPathTest skipped: " + why);
        }
        assumeTrue(why == null, why);
    }

    @Test
    void order0At8MiBIsBuiltVerifiedAndTimed()
    {
        final KernelShapeResult r = KernelWorker.measure(Shape.ORDER_0, 8L << 20, 2, 5, SYSFS, Children.DEFAULT_TIMEOUT_NS, 20);
        assertThat(r.built()).as(r.toString()).isTrue();
        assertThat(r.folioOrderVerified()).isTrue();
        assertThat(r.evidence()).isEqualTo(FolioCensus.available()
            ? "Rss 8192 kB, AnonHugePages 0 kB, kpageflags: 2048 present, 0 large-folio heads, 0 in large folios, 2048 order-0, 0 zero page"
            : "Rss 8192 kB, AnonHugePages 0 kB, no large-folio fault");
        assertThat(r.runs()).isEqualTo(2);
        assertThat(r.iterations()).isEqualTo(5);
        assertThat(r.nsPerPage()).isFinite();
        assertThat(r.baselineMs()).isPositive();
        assertThat(r.droppedSamples()).isBetween(0L, 20L);
    }

    @Test
    void theHalfShapesOfOrder0AndTheZeroPageAreBuiltVerifiedAndTimed()
    {
        for (final Shape s : java.util.List.of(Shape.ORDER_0_HALF, Shape.ZERO_HALF))
        {
            final KernelShapeResult r = KernelWorker.measure(s, 8L << 20, 1, 2, SYSFS, Children.DEFAULT_TIMEOUT_NS, 0);
            assertThat(r.built()).as(r.toString()).isTrue();
            assertThat(r.nsPerPage()).isFinite();
        }
    }

    @Test
    void theHalfAndHoledShapesOf2MiBThpAreBuiltVerifiedAndTimedWhere2MiBThpIsEnabled()
    {
        final boolean pmd = SYSFS.allowedWithMadvise(ThpSysfs.PMD_KB);
        if (!pmd)
        {
            System.out.println("ForkPathTest: 2 MiB THP half shapes skipped: " + ThpSysfs.DEFAULT_ROOT
                + "/hugepages-2048kB/enabled does not allow madvise");
        }
        assumeTrue(pmd, "2 MiB THP not allowed with madvise");
        final java.util.Map<Shape, String> evidence = java.util.Map.of(
            Shape.ORDER_9_PTE_HALF, "after MADV_DONTNEED of one page per 8 KiB: Rss 4096 kB, AnonHugePages 0 kB",
            Shape.ORDER_9_PTE_HOLES16, "after MADV_DONTNEED of one page per 64 KiB: Rss 7680 kB, AnonHugePages 0 kB",
            Shape.ORDER_9_PTE_HOLES4, "after MADV_DONTNEED of one page per 16 KiB: Rss 6144 kB, AnonHugePages 0 kB",
            Shape.ORDER_9_PMD_HALF, "Rss 4096 kB, AnonHugePages 4096 kB");
        for (final Shape s : evidence.keySet())
        {
            final KernelShapeResult r = KernelWorker.measure(s, 8L << 20, 1, 2, SYSFS, Children.DEFAULT_TIMEOUT_NS, 0);
            final boolean noThp = !r.built() && r.notBuiltReason().startsWith("PMD THP");
            if (noThp)
            {
                System.out.println("ForkPathTest: " + s.name() + " skipped: " + r.notBuiltReason());
            }
            assumeTrue(!noThp, "no 2 MiB THP came out");
            assertThat(r.built()).as(r.toString()).isTrue();
            assertThat(r.evidence()).as(s.name()).contains(evidence.get(s));
        }
    }

    @Test
    void anMthpSizeThatIsNotEnabledIsNotBuiltAndSaysWhichFileWouldEnableIt()
    {
        final int kb = 64;
        assumeTrue(SYSFS.anonSizesKb().contains(kb) && !SYSFS.allowedWithMadvise(kb), "64K mTHP is enabled on this host");
        final KernelShapeResult r = KernelWorker.measure(Shape.mthp(4), 8L << 20, 1, 1, SYSFS, Children.DEFAULT_TIMEOUT_NS, 0);
        assertThat(r.built()).isFalse();
        assertThat(r.notBuiltReason()).startsWith(ThpSysfs.DEFAULT_ROOT + "/hugepages-64kB/enabled is ");
        assertThat(r.enableHint()).isEqualTo("echo madvise > " + ThpSysfs.DEFAULT_ROOT + "/hugepages-64kB/enabled (or run with --configure-thp)");
        assertThat(r.runs()).isEqualTo(0);
    }
}
