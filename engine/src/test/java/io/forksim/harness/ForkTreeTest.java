package io.forksim.harness;

import io.forksim.fork.StrategyChoice;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Small concurrent fork trees (8 MiB zygote, 2 threads, depth 2, a few hundred ops) on both arches, every
 * strategy, order-0 and large folios: the invariant checker and the content check pass at quiescence, nothing
 * leaks after every process exited, and the per-thread events summed at the end balance exactly.
 */
class ForkTreeTest
{
    static final long SIZE = 8L << 20;

    static ForkTree.Config small(final String arch, final StrategyChoice s, final int order, final int threads, final long ops,
        final long seed)
    {
        return new ForkTree.Config(4, 2, SIZE, order, arch, s, threads, ops, 0, 0, 4, seed, ForkTree.Mix.DEFAULT);
    }

    static Stream<Arguments> configs()
    {
        final List<Arguments> out = new ArrayList<>();
        for (final String arch : new String[] {"x86_64", "arm64"})
        {
            for (final StrategyChoice s : new StrategyChoice[] {StrategyChoice.LEGACY, StrategyChoice.ARCH_BATCH, StrategyChoice.FOLIO_BATCH})
            {
                for (final int order : new int[] {0, 4, 9})
                {
                    out.add(Arguments.of(arch, s, order));
                }
            }
        }
        out.add(Arguments.of("arm64", StrategyChoice.CONTPTE_BASIC, 4));
        out.add(Arguments.of("arm64", StrategyChoice.CONTPTE_BASIC, 9));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} order-{2}")
    @MethodSource("configs")
    void smallTreeIsConsistentAtQuiescenceAndLeaksNothing(final String arch, final StrategyChoice s, final int order)
    {
        final ForkTree.Result r = ForkTree.run(small(arch, s, order, 2, 400, 42), null);
        assertThat(r.failures()).as("worker failures").isEmpty();
        assertThat(r.violations()).as("invariants and contents at quiescence").isEmpty();
        assertThat(r.leaks()).as("leaks after every exit").isEmpty();
        assertThat(r.perWorker()).hasSize(2);
        assertThat(r.total().ops).isEqualTo(400);
        assertThat(r.total().forks).isGreaterThanOrEqualTo(4);
        assertThat(r.total().writes).isPositive();
        assertThat(r.total().reads).isPositive();
        assertThat(r.total().contentMismatches).isZero();
        final Events run = r.runEvents();
        assertThat(run.foliosFreed).as("folios freed = allocated").isEqualTo(run.foliosAllocated);
        assertThat(run.ptPagesFree).as("table pages freed = allocated").isEqualTo(run.ptPagesAlloc);
        // every write either COW-copied, reused, or hit an already writable page; each COW is one fault
        assertThat(r.opEvents().cowCopies + r.opEvents().cowReuses).isLessThanOrEqualTo(r.opEvents().faults);
        assertThat(r.opEvents().faults).isLessThanOrEqualTo(r.total().writes + r.total().reads);
    }

    @Test
    void oneThreadIsDeterministic()
    {
        final ForkTree.Result a = ForkTree.run(small("x86_64", StrategyChoice.FOLIO_BATCH, 4, 1, 300, 7), null);
        final ForkTree.Result b = ForkTree.run(small("x86_64", StrategyChoice.FOLIO_BATCH, 4, 1, 300, 7), null);
        assertThat(a.ok()).isTrue();
        assertThat(b.runEvents()).isEqualTo(a.runEvents());
        assertThat(b.total().forks).isEqualTo(a.total().forks);
        assertThat(b.total().exits).isEqualTo(a.total().exits);
        assertThat(b.total().forkPages).isEqualTo(a.total().forkPages);
    }

    @Test
    void durationModeRunsUntilTheDeadline()
    {
        final ForkTree.Config c = new ForkTree.Config(2, 2, 4L << 20, 0, "x86_64", StrategyChoice.FOLIO_BATCH, 2, 0,
            200_000_000L, 0, 3, 1, ForkTree.Mix.DEFAULT);
        final ForkTree.Result r = ForkTree.run(c, null);
        assertThat(r.ok()).as("%s %s %s", r.violations(), r.leaks(), r.failures()).isTrue();
        assertThat(r.wallNanos()).isGreaterThanOrEqualTo(200_000_000L);
        assertThat(r.total().ops).isPositive();
    }

    @Test
    void tightRamRunsOutCleanly()
    {
        // 4 subtrees of up to 4 processes that each may COW all of 8 MiB, in 12 MiB of RAM and no voluntary exits:
        // faults and forks fail, unwind, and the workload relieves the pressure by exiting processes
        final ForkTree.Config c = new ForkTree.Config(4, 2, SIZE, 0, "x86_64", StrategyChoice.FOLIO_BATCH, 2, 3000, 0, 12L << 20, 4, 3,
            new ForkTree.Mix(80, 0, 20, 0));
        final ForkTree.Result r = ForkTree.run(c, null);
        assertThat(r.failures()).isEmpty();
        assertThat(r.violations()).isEmpty();
        assertThat(r.leaks()).isEmpty();
        assertThat(r.total().ooms).isPositive();
    }

    @Test
    void configRejectsBadValuesNamingThem()
    {
        assertThatThrownBy(() -> small("x86_64", StrategyChoice.CONTPTE_BASIC, 4, 2, 10, 1))
            .hasMessageContaining("contpte-basic").hasMessageContaining("x86_64");
        assertThatThrownBy(() -> new ForkTree.Config(2, 2, 4096 * 3, 2, "x86_64", StrategyChoice.LEGACY, 1, 10, 0, 0, 2, 1, null))
            .hasMessageContaining("12288").hasMessageContaining("order-2");
        assertThatThrownBy(() -> new ForkTree.Config(0, 2, SIZE, 0, "x86_64", StrategyChoice.LEGACY, 1, 10, 0, 0, 2, 1, null))
            .hasMessageContaining("children 0");
        assertThatThrownBy(() -> new ForkTree.Config(2, 2, SIZE, 0, "x86_64", StrategyChoice.LEGACY, 1, 0, 0, 0, 2, 1, null))
            .hasMessageContaining("op count or duration");
        assertThatThrownBy(() -> new ForkTree.Mix(0, 0, 0, 0)).hasMessageContaining("positive sum");
    }
}
