package io.forksim.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** forksim kernel's bad input: one line naming the value, exit 2. */
class KernelCommandTest
{
    @Test
    void aHostWithoutThpSysfsGetsOneLineAndExit2()
    {
        final Cli c = Cli.run("kernel", "--sysfs-root=/nonexistent/thp", "--size=2M");
        assertThat(c.code()).as(c.toString()).isEqualTo(2);
        assertThat(c.errLines()).containsExactly("forksim kernel: no transparent-hugepage sysfs at /nonexistent/thp"
            + " (needs Linux with CONFIG_TRANSPARENT_HUGEPAGE)");
    }

    @Test
    void aSizeThatIsNotAMultipleOf2MiBIsRefused()
    {
        final Cli c = Cli.run("kernel", "--size=3M");
        assertThat(c.code()).isEqualTo(2);
        assertThat(c.errLines()).containsExactly("forksim kernel: Invalid value for option '--size': 3145728 bytes (a positive multiple of 2 MiB)");
    }

    @Test
    void anUnknownShapeIsRefused()
    {
        final Cli c = Cli.run("kernel", "--shapes=order-0,order-12", "--sysfs-root=" + io.forksim.host.ThpSysfs.DEFAULT_ROOT);
        assertThat(c.code()).isEqualTo(2);
        assertThat(c.errLines()).hasSize(1);
        assertThat(c.errLines()[0]).startsWith("forksim kernel: ");
    }
}
