package io.forksim.mm;

import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.THP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PMD-mapped THP and a PTE-mapped order-9 folio must look the same to the processes using them: the same random
 * sequence of forks, writes, pins, partial munmap / mprotect / DONTNEED / PAGEOUT, mremap and exits runs on two
 * machines, one populated with {@link FolioMapping#PMD}, the other with {@link FolioMapping#PTE}; after every step
 * every live process reads the same content everywhere (or faults the same way) and both machines pass the
 * invariant checker. At the end everything exits and no page, table or swap slot leaks.
 */
class HugePmdTwinTest
{
    static final long SIZE = 4 * THP;

    static Stream<Arguments> seeds()
    {
        final List<Arguments> out = new ArrayList<>();
        for (final String arch : new String[] {"x86_64", "arm64"})
        {
            for (final long seed : new long[] {1, 2, 3, 8})   // 8 found the late MM-ID slot of a third process
            {
                out.add(Arguments.of(arch, seed));
            }
        }
        return out.stream();
    }

    /** One machine and its processes, driven by the shared op sequence. */
    static final class Twin
    {
        final Machine m;
        final List<Mm> procs = new ArrayList<>();
        final long initialFree;

        Twin(final String arch, final FolioMapping mapping)
        {
            m = new Machine(Machine.Config.of(arch, 128L << 20).withSwap(32L << 20));
            initialFree = m.phys().freePageCount();
            final Mm p = m.newProcess();
            p.mmap(A, SIZE, RW, false, null, 0);
            p.populate(A, SIZE, 9, mapping);
            procs.add(p);
        }

        /** Runs one op; returns what it observed ("ok", an exception class, a token). */
        String run(final int kind, final int pi, final long a, final long len, final long x)
        {
            final Mm p = procs.get(pi);
            try
            {
                switch (kind)
                {
                    case 0 -> procs.add(Fork.fork(p, Strategy.values()[(int)(x % 3)]));
                    case 1 -> p.write(a, x);
                    case 2 -> p.munmap(a, len);
                    case 3 -> p.mprotect(a, len, (x & 1) == 0 ? R : RW);
                    case 4 -> p.madvise(a, len, Advice.DONTNEED);
                    case 5 -> p.madvise(a, len, Advice.PAGEOUT);
                    case 6 -> p.pin(a);
                    case 7 -> p.unpin(a);
                    case 8 -> p.mremap(a, len, Fixtures.B + (x % 4) * THP + ((x & 4) == 0 ? 0 : 16 * PAGE));
                    case 9 ->
                    {
                        if (procs.size() > 1)
                        {
                            procs.remove(pi).exit();
                        }
                    }
                    default -> p.fault(a, (x & 1) != 0);
                }
                return "ok";
            }
            catch (final RuntimeException e)
            {
                return e.getClass().getSimpleName();
            }
        }

        /** What every process reads at every page of the windows: a token, or SEGV. */
        List<String> view()
        {
            final List<String> out = new ArrayList<>();
            for (final Mm p : procs)
            {
                for (final long base : new long[] {A, Fixtures.B})
                {
                    for (long va = base; va < base + SIZE + 32 * PAGE; va += PAGE)
                    {
                        final Vma v = p.findVma(va);
                        if (v == null || (v.flags() & (VmFlags.VM_READ | VmFlags.VM_WRITE)) == 0)
                        {
                            continue;
                        }
                        out.add(Long.toHexString(va) + "=" + p.read(va));
                    }
                }
            }
            return out;
        }
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("seeds")
    void pmdAndPteMappedThpsLookTheSameThroughAnySequence(final String arch, final long seed)
    {
        final Twin pmd = new Twin(arch, FolioMapping.PMD);
        final Twin pte = new Twin(arch, FolioMapping.PTE);
        try
        {
            final SplittableRandom rnd = new SplittableRandom(seed);
            final List<String> log = new ArrayList<>();
            for (int step = 0; step < 40; step++)
            {
                final int kind = rnd.nextInt(11);
                final int pi = rnd.nextInt(pmd.procs.size());
                final long base = rnd.nextInt(4) == 0 ? Fixtures.B : A;
                final long a = base + (long)rnd.nextInt((int)(SIZE / PAGE)) * PAGE;
                final long len = rnd.nextInt(3) == 0 ? THP : (1 + rnd.nextInt(40)) * PAGE;
                final long x = 1 + rnd.nextInt(1 << 20);
                final String r1 = pmd.run(kind, pi, a, len, x);
                final String r2 = pte.run(kind, pi, a, len, x);
                log.add("op " + kind + " mm" + pi + " 0x" + Long.toHexString(a) + "+" + len + " x" + x + " -> " + r1);
                assertThat(r1).as("result of %s", log).isEqualTo(r2);
                assertThat(InvariantChecker.violations(pmd.m)).as("PMD machine after %s", log).isEmpty();
                assertThat(InvariantChecker.violations(pte.m)).as("PTE machine after %s", log).isEmpty();
                assertThat(pmd.view()).as("view after %s", log).isEqualTo(pte.view());
            }
            for (final Twin t : new Twin[] {pmd, pte})
            {
                for (final Mm p : t.procs)
                {
                    while (!p.pins().isEmpty())
                    {
                        p.unpin(p.pins().get(p.pins().size() - 1).addr());
                    }
                    p.exit();
                }
                assertThat(InvariantChecker.leaks(t.m, t.initialFree)).as("leaks after %s", log).isEmpty();
            }
        }
        finally
        {
            pmd.m.close();
            pte.m.close();
        }
    }
}
