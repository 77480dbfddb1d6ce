package io.forksim.bench;

import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The benchmark states driven by hand, small: each invocation must see the same state (the point of the
 * per-invocation fixtures), and the hand-specialised PteBatchBench loops must do exactly what the engine's
 * Arch-dispatched ones do.
 */
class BenchStatesTest
{
    static Stream<Arguments> configsAndOrders()
    {
        final List<Arguments> out = new ArrayList<>();
        for (final String c : BenchSupport.CONFIGS)
        {
            for (final int order : new int[] {0, 4, 9})
            {
                out.add(Arguments.of(c, order));
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("configsAndOrders")
    void freshModeForksTheSameParentEveryInvocation(final String config, final int order)
    {
        final ForkBench b = new ForkBench();
        b.config = config;
        b.order = order;
        b.size = "4M";
        b.mode = "fresh";
        b.setUp(false);
        try
        {
            Events previous = null;
            for (int i = 0; i < 3; i++)
            {
                b.forkBeforeTeardown();
                final Events before = b.machine().events().copy();
                assertThat(b.fork()).isNotNull();
                final Events perFork = b.machine().events().minus(before);
                b.exitAndRestore();
                assertThat(perFork.ptPagesAlloc).isPositive();
                if (previous != null)
                {
                    assertThat(perFork).as("fork %d of %s order %d", i, config, order).isEqualTo(previous);
                }
                previous = perFork;
            }
        }
        finally
        {
            b.tearDownParent();
        }
    }

    /**
     * What {@code -prof gc} cannot separate in single-shot mode (it also counts JMH's per-iteration bookkeeping and
     * the untimed fixtures): the fork itself allocates nothing per PTE (and, once the tear-down's mmdrop has filled the
     * machine's slab caches, nothing at all). Measured with the thread's allocation counter around fork() alone.
     */
    @ParameterizedTest
    @ValueSource(strings = {"x86_64:legacy", "x86_64:folio-batch", "arm64:arch-batch"})
    void forkAllocatesNothingPerPte(final String config)
    {
        final long small = forkAllocation(config, "8M");
        final long large = forkAllocation(config, "64M");
        // 64M has 14336 more PTEs than 8M: one byte per PTE would already show as 14 KiB
        assertThat(large).as("bytes per fork at 64M vs %d at 8M", small).isLessThan(small + 2048);
        assertThat(large).isLessThan(16 * 1024);
        assertThat(small).as("bytes per fork at 8M after the slab caches filled").isZero();
        assertThat(large).as("bytes per fork at 64M after the slab caches filled").isZero();
    }

    private static long forkAllocation(final String config, final String size)
    {
        final com.sun.management.ThreadMXBean tm = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final ForkBench b = new ForkBench();
        b.config = config;
        b.order = 0;
        b.size = size;
        b.mode = "fresh";
        b.setUp(false);
        try
        {
            long min = Long.MAX_VALUE;
            for (int i = 0; i < 30; i++)
            {
                final long t0 = tm.getCurrentThreadAllocatedBytes();
                b.fork();
                final long t1 = tm.getCurrentThreadAllocatedBytes();
                b.exitAndRestore();
                min = Math.min(min, t1 - t0);
            }
            return min;
        }
        finally
        {
            b.tearDownParent();
        }
    }

    @Test
    void reuseModeDoesLessAfterTheFirstFork()
    {
        final ForkBench b = new ForkBench();
        b.config = "x86_64:legacy";
        b.order = 0;
        b.size = "4M";
        b.mode = "reuse";
        b.setUp(false);
        try
        {
            final Events e0 = b.machine().events().copy();
            b.fork();
            b.exitAndRestore();
            final Events first = b.machine().events().minus(e0);
            final Events e1 = b.machine().events().copy();
            b.fork();
            b.exitAndRestore();
            final Events second = b.machine().events().minus(e1);
            // the first fork write-protects every parent PTE, the second finds them read-only
            assertThat(first.pteAtomic).isPositive();
            assertThat(second.pteAtomic).isLessThan(first.pteAtomic);
        }
        finally
        {
            b.tearDownParent();
        }
    }

    @Test
    void teardownMethodForksInTheSetup()
    {
        final ForkBench b = new ForkBench();
        b.config = "arm64:folio-batch";
        b.order = 4;
        b.size = "4M";
        b.mode = "fresh";
        b.setUp(true);
        try
        {
            for (int i = 0; i < 2; i++)
            {
                b.forkBeforeTeardown();
                b.teardown();
                b.exitAndRestore();
            }
            assertThat(b.machine().processes()).hasSize(1);
        }
        finally
        {
            b.tearDownParent();
        }
    }

    @Test
    void invalidConfigsFailFastNamingTheValue()
    {
        assertThatThrownBy(() -> BenchSupport.ArchStrategy.parse("x86_64:contpte-basic")).hasMessageContaining("x86_64:contpte-basic")
            .hasMessageContaining("only on arm64");
        assertThatThrownBy(() -> BenchSupport.ArchStrategy.parse("riscv:legacy")).hasMessageContaining("riscv");
        assertThatThrownBy(() -> BenchSupport.ArchStrategy.parse("legacy")).hasMessageContaining("arch:strategy");
        assertThat(BenchSupport.ArchStrategy.parse("arm64:contpte-basic").strategy().cliName()).isEqualTo("contpte-basic");
    }

    @Test
    void sizes()
    {
        assertThat(BenchSupport.parseSize("1G")).isEqualTo(1L << 30);
        assertThat(BenchSupport.parseSize("64M")).isEqualTo(64L << 20);
        assertThat(BenchSupport.parseSize("2MiB")).isEqualTo(2L << 20);
        assertThatThrownBy(() -> BenchSupport.parseSize("3K")).hasMessageContaining("2 MiB");
        assertThatThrownBy(() -> BenchSupport.parseSize("x")).hasMessageContaining("not a size");
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void specialisedPteBatchDoesWhatTheEngineDoes(final String arch)
    {
        for (final int order : new int[] {0, 4, 9})
        {
            final PteBatchBench spec = pteBatch(arch, order, "specialised");
            final PteBatchBench disp = pteBatch(arch, order, "arch");
            try
            {
                final Events e0 = spec.events().copy();
                final long a = spec.scan();
                final Events es = spec.events().minus(e0);
                final Events e1 = disp.events().copy();
                final long b = disp.scan();
                final Events ed = disp.events().minus(e1);
                assertThat(a).as("%s order %d result", arch, order).isEqualTo(b);
                assertThat(es).as("%s order %d events", arch, order).isEqualTo(ed);
                assertThat(es.ptepGet).isPositive();
                if (arch.equals("arm64") && order >= 4)
                {
                    assertThat(es.gather).as("contpte gathers").isPositive();
                }
            }
            finally
            {
                spec.tearDown();
                disp.tearDown();
            }
        }
    }

    private static PteBatchBench pteBatch(final String arch, final int order, final String dispatch)
    {
        final PteBatchBench b = new PteBatchBench();
        b.arch = arch;
        b.order = order;
        b.dispatch = dispatch;
        b.size = "4M";
        b.setUp();
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"engine", "confined"})
    void loopBaselineLoopsAgree(final String arena)
    {
        final LoopBaseline l = new LoopBaseline();
        l.order = 9;
        l.size = "4M";
        l.arena = arena;
        l.setUp();
        try
        {
            l.perPte();
            l.restoreWritable();
            l.batched();
            l.restoreWritable();
        }
        finally
        {
            l.tearDown();
        }
    }
}
