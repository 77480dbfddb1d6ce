package io.forksim.model;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model-based test for as long as asked: {@code ./forksim test} does not run it;
 * {@code mvn -Psoak test -Dtest=ModelSoakTest -Dforksim.soak.minutes=30} does (default 5 minutes). Seeds are drawn
 * from {@code -Dforksim.soak.seed} (default: the clock; printed), sequences are longer (400 to 1200 ops), and the
 * three machine kinds take turns. Stops at the first failure, which it reports shrunk (see {@link ModelBasedTest}).
 */
@Tag("soak")
class ModelSoakTest
{
    @Test
    void soak()
    {
        final double minutes = Double.parseDouble(System.getProperty("forksim.soak.minutes", "5"));
        final long base = Long.decode(System.getProperty("forksim.soak.seed", Long.toString(System.nanoTime() & 0xffff_ffffL)));
        final long deadline = System.currentTimeMillis() + (long)(minutes * 60_000);
        final Explorer ex = Explorer.create();
        final List<String> failures = new ArrayList<>();
        final java.util.Random lengths = new java.util.Random(base);
        long seed = base;
        int i = 0;
        System.out.printf("model soak: %.1f minutes from seed 0x%x%n", minutes, base);
        while (System.currentTimeMillis() < deadline && failures.isEmpty())
        {
            final String arch = i % 5 < 2 ? "x86_64" : "arm64";
            final boolean basic = i % 5 == 4;
            final int length = 400 + lengths.nextInt(800);
            final String f = ex.explore(Explorer.setupFor(arch, basic, seed), seed, length, 120_000);
            if (f != null)
            {
                failures.add("(soak seed 0x" + Long.toHexString(seed) + " on " + arch + (basic ? " contpte-basic" : "")
                    + "; rerun it with -Dforksim.model.seed=0x" + Long.toHexString(seed) + " -Dforksim.model.arch=" + arch
                    + " -Dforksim.model.basic=" + basic + " -Dforksim.model.length=" + length + ")\n" + f);
            }
            seed++;
            i++;
        }
        System.out.printf("model soak: %d sequences, %d steps, %d pages swapped out, %d swapped in; outcomes %s%n",
            ex.runs, ex.steps, ex.swappedOut, ex.swappedIn, ex.stats);
        assertThat(failures).isEmpty();
    }
}
