package io.forksim.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --configure-thp against a fake sysfs directory of the kernel's shape. */
class ThpConfiguratorTest
{
    @TempDir
    Path dir;

    private ThpSysfs fakeSysfs() throws IOException
    {
        final Path root = dir.resolve("transparent_hugepage");
        Files.createDirectories(root);
        Files.writeString(root.resolve("enabled"), "always [madvise] never\n");
        Files.writeString(root.resolve("defrag"), "always defer defer+madvise [madvise] never\n");
        for (final int kb : new int[] {16, 64, 2048})
        {
            final Path d = root.resolve("hugepages-" + kb + "kB");
            Files.createDirectories(d.resolve("stats"));
            Files.writeString(d.resolve("enabled"), kb == 2048 ? "always [inherit] madvise never\n" : "always inherit madvise [never]\n");
            Files.writeString(d.resolve("stats/anon_fault_alloc"), "0\n");
        }
        // a shmem-only size: no enabled file, not an anon size
        Files.createDirectories(root.resolve("hugepages-8kB/stats"));
        return new ThpSysfs(root);
    }

    @Test
    void enablingOneSizeSavesTheOriginalsFirstAndRestoreWritesThemBack() throws IOException
    {
        final ThpSysfs s = fakeSysfs();
        final Path saved = dir.resolve("saved.properties");
        assertThat(s.anonSizesKb()).containsExactly(16, 64, 2048);
        try (ThpConfigurator c = new ThpConfigurator(s, saved))
        {
            c.enableOnly(64);
            assertThat(Files.exists(saved)).isTrue();
            assertThat(s.selected("hugepages-16kB/enabled")).isEqualTo("never");
            assertThat(s.selected("hugepages-64kB/enabled")).isEqualTo("madvise");
            assertThat(s.selected("hugepages-2048kB/enabled")).isEqualTo("never");
            c.enableOnly(2048);
            assertThat(s.selected("hugepages-64kB/enabled")).isEqualTo("never");
            assertThat(s.selected("hugepages-2048kB/enabled")).isEqualTo("madvise");
        }
        assertThat(s.selected("hugepages-16kB/enabled")).isEqualTo("never");
        assertThat(s.selected("hugepages-64kB/enabled")).isEqualTo("never");
        assertThat(s.selected("hugepages-2048kB/enabled")).isEqualTo("inherit");
        assertThat(Files.exists(saved)).isFalse();
    }

    @Test
    void aRunThatDiedIsRestoredAtTheNextStart() throws IOException
    {
        final ThpSysfs s = fakeSysfs();
        final Path saved = dir.resolve("saved.properties");
        final ThpConfigurator crashed = new ThpConfigurator(s, saved);
        crashed.enableOnly(16);
        crashed.abandonForTest(); // the JVM was killed: nothing restored, the file stays
        assertThat(s.selected("hugepages-16kB/enabled")).isEqualTo("madvise");
        assertThat(s.selected("hugepages-2048kB/enabled")).isEqualTo("never");

        final String msg = new ThpConfigurator(s, saved).restoreLeftover();
        assertThat(msg).isEqualTo("restored 3 THP settings saved by a run that did not finish (" + saved + "): "
            + "{hugepages-16kB/enabled=never, hugepages-2048kB/enabled=inherit, hugepages-64kB/enabled=never}");
        assertThat(s.selected("hugepages-16kB/enabled")).isEqualTo("never");
        assertThat(s.selected("hugepages-2048kB/enabled")).isEqualTo("inherit");
        assertThat(Files.exists(saved)).isFalse();
        assertThat(new ThpConfigurator(s, saved).restoreLeftover()).isNull();
    }

    @Test
    void aSizeTheKernelDoesNotOfferChangesNothing() throws IOException
    {
        final ThpSysfs s = fakeSysfs();
        final Path saved = dir.resolve("saved.properties");
        try (ThpConfigurator c = new ThpConfigurator(s, saved))
        {
            assertThatThrownBy(() -> c.enableOnly(32)).isInstanceOf(HostException.class)
                .hasMessage("no anon THP size 32 KiB under " + s.root());
        }
        assertThat(Files.exists(saved)).isFalse();
        assertThat(s.selected("hugepages-2048kB/enabled")).isEqualTo("inherit");
    }

    @Test
    void thePrecheckNamesTheFileAndTheValueThatWouldEnableAShape() throws IOException
    {
        final ThpSysfs s = fakeSysfs();
        final ShapeBuilder.Outcome o = ShapeBuilder.precheck(Shape.mthp(4), s);
        assertThat(o.built()).isFalse();
        assertThat(o.reason()).isEqualTo(s.root() + "/hugepages-64kB/enabled is never");
        assertThat(o.enableHint()).isEqualTo("echo madvise > " + s.root() + "/hugepages-64kB/enabled (or run with --configure-thp)");
        Files.writeString(s.root().resolve("hugepages-64kB/enabled"), "always inherit [madvise] never\n");
        final ShapeBuilder.Outcome larger = ShapeBuilder.precheck(Shape.mthp(4), s);
        assertThat(larger.reason()).isEqualTo("a larger size is enabled too: " + s.root() + "/hugepages-2048kB/enabled is inherit"
            + " (the fault would take 2048 KiB folios first)");
        assertThat(ShapeBuilder.precheck(Shape.ORDER_9_PTE, s)).isNull();
        assertThat(ShapeBuilder.precheck(Shape.ORDER_0, s)).isNull();
        assertThat(s.describe()).isEqualTo("enabled madvise, defrag madvise, per size 16K never 64K madvise 2048K inherit");
    }
}
