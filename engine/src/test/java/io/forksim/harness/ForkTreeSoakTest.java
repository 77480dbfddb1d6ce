package io.forksim.harness;

import io.forksim.fork.StrategyChoice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Soak: bigger trees (32 MiB zygote, 8 subtrees, depth 3, 4 threads on however many cores there are, 20k ops,
 * several seeds) on both arches, every strategy and orders 0/4/9. Minutes; run with {@code -Psoak}.
 */
@Tag("soak")
class ForkTreeSoakTest
{
    static Stream<Arguments> configs()
    {
        final List<Arguments> out = new ArrayList<>();
        for (final String arch : new String[] {"x86_64", "arm64"})
        {
            final List<StrategyChoice> ss = new ArrayList<>(List.of(StrategyChoice.LEGACY, StrategyChoice.ARCH_BATCH, StrategyChoice.FOLIO_BATCH));
            if (arch.equals("arm64"))
            {
                ss.add(StrategyChoice.CONTPTE_BASIC);
            }
            for (final StrategyChoice s : ss)
            {
                for (final int order : new int[] {0, 4, 9})
                {
                    for (final long seed : new long[] {1, 2})
                    {
                        out.add(Arguments.of(arch, s, order, seed));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} order-{2} seed {3}")
    @MethodSource("configs")
    void bigTreeStaysConsistent(final String arch, final StrategyChoice s, final int order, final long seed)
    {
        final ForkTree.Config c = new ForkTree.Config(8, 3, 32L << 20, order, arch, s, 4, 20_000, 0, 0, 6, seed,
            new ForkTree.Mix(55, 20, 13, 12));
        final ForkTree.Result r = ForkTree.run(c, null);
        assertThat(r.failures()).isEmpty();
        assertThat(r.violations()).isEmpty();
        assertThat(r.leaks()).isEmpty();
        assertThat(r.runEvents().foliosFreed).isEqualTo(r.runEvents().foliosAllocated);
        assertThat(r.runEvents().ptPagesFree).as("table pages freed = allocated").isEqualTo(r.runEvents().ptPagesAlloc);
        assertThat(r.total().forks).isGreaterThan(100);
    }

    /**
     * Fork-heavy small trees, 8 seeds per configuration: two threads forking and exiting at once as often as
     * possible, and every table page and folio counted exactly once over the whole run.
     */
    @ParameterizedTest(name = "{0} {1} order-{2}")
    @MethodSource("io.forksim.harness.ForkTreeTest#configs")
    void forkHeavyTreesBalanceTheirTableCounts(final String arch, final StrategyChoice s, final int order)
    {
        for (long seed = 1; seed <= 8; seed++)
        {
            final ForkTree.Config c = new ForkTree.Config(4, 2, 2L << 20, order, arch, s, 2, 2000, 0, 0, 4, seed,
                new ForkTree.Mix(20, 10, 35, 35));
            final ForkTree.Result r = ForkTree.run(c, null);
            assertThat(r.ok()).as("seed %d: %s %s %s", seed, r.failures(), r.violations(), r.leaks()).isTrue();
            assertThat(r.runEvents().ptPagesFree).as("seed %d: table pages freed = allocated", seed)
                .isEqualTo(r.runEvents().ptPagesAlloc);
            assertThat(r.runEvents().foliosFreed).as("seed %d: folios freed = allocated", seed)
                .isEqualTo(r.runEvents().foliosAllocated);
        }
    }
}
