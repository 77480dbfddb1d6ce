package io.forksim.host;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The reaping path: children of this (test) JVM forked through FFM. */
class ChildrenTest
{
    @BeforeAll
    static void needsFork()
    {
        final String why = KernelWorker.unavailableReason(new ThpSysfs(ThpSysfs.DEFAULT_ROOT));
        if (why != null)
        {
            System.out.println("ChildrenTest skipped: " + why);
        }
        assumeTrue(why == null, why);
    }

    @Test
    void aChildThatExitsIsReapedAndNotCounted()
    {
        try (Children c = new Children(Children.DEFAULT_TIMEOUT_NS * 10))
        {
            final int pid = c.fork(LibC.ChildAction.EXIT);
            assertThat(c.reap(pid)).isTrue();
            assertThat(c.killed()).isEqualTo(0);
            assertThat(c.outstanding()).isEqualTo(0);
        }
    }

    @Test
    void aChildThatDoesNotExitIsKilledReapedAndCounted()
    {
        try (Children c = new Children(200_000_000L))
        {
            final int pid = c.fork(LibC.ChildAction.HANG);
            assertThat(c.reap(pid)).isFalse();
            assertThat(c.killed()).isEqualTo(1);
            assertThat(c.outstanding()).isEqualTo(0);
            // reaped: no such process any more (not even a zombie)
            assertThat(LibC.kill(pid, 0)).isEqualTo(-3);
        }
    }

    @Test
    void closingKillsAndReapsEveryOutstandingChild()
    {
        final int pid;
        try (Children c = new Children(Children.DEFAULT_TIMEOUT_NS))
        {
            pid = c.fork(LibC.ChildAction.HANG);
            assertThat(c.outstanding()).isEqualTo(1);
        }
        assertThat(LibC.kill(pid, 0)).isEqualTo(-3);
    }
}
