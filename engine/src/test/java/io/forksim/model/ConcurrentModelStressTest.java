package io.forksim.model;

import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.forksim.model.Op.ANON;
import static io.forksim.model.Op.PROT_R;
import static io.forksim.model.Op.PROT_W;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Concurrency stress for the soak profile: the model-based sequences of {@link ModelBasedTest} (munmap, mprotect,
 * madvise with swap-out, mremap, populate, faults, pins and DMA, fork under every strategy, exit, new processes,
 * hostile arguments) run by several threads at once on one concurrent machine ({@code Config.withConcurrent}).
 * Every thread owns a subtree forked from one shared zygote whose memory (order-0, 64 KiB and 2 MiB folios, some
 * already COW-shared) all subtrees keep mapping, so the threads meet on the zygote's folios (refcounts, mapcounts,
 * MM-ID slots, PAE bits), the allocator, the table store, the swap device and the process list. Each thread checks
 * its own processes against its own copy of the model after every step; at quiescence the invariant checker runs,
 * the zygote must still read what it wrote, and after everything exits nothing may leak.
 *
 * <p>Within the engine's concurrency model (io.forksim.harness.ForkTree): one thread per process, and mappings
 * private and anonymous (page caches and shmem files shared across threads are outside it). Run with
 * {@code mvn -Psoak test -Dtest=ConcurrentModelStressTest -Dforksim.soak.minutes=N} (default 2 minutes per arch,
 * {@code -Dforksim.stress.threads=T}, default 4).
 */
@Tag("soak")
class ConcurrentModelStressTest
{
    static final long A = 0x3fc0_0000L;

    @Test
    void x86_64()
    {
        soak("x86_64");
    }

    @Test
    void arm64()
    {
        soak("arm64");
    }

    private static void soak(final String arch)
    {
        final double minutes = Double.parseDouble(System.getProperty("forksim.soak.minutes", "2"));
        final int threads = Integer.getInteger("forksim.stress.threads", 4);
        final long deadline = System.currentTimeMillis() + (long)(minutes * 60_000);
        long round = Long.decode(System.getProperty("forksim.soak.seed", Long.toString(System.nanoTime() & 0xffff_ffffL)));
        System.out.printf("concurrent model stress on %s: %d threads, %.1f minutes, seeds from 0x%x%n", arch, threads, minutes, round);
        long steps = 0;
        int rounds = 0;
        while (System.currentTimeMillis() < deadline)
        {
            steps += round(arch, threads, round++, 300 + (int)(round % 400));
            rounds++;
        }
        System.out.printf("concurrent model stress on %s: %d rounds, %d steps%n", arch, rounds, steps);
    }

    /** One machine, one zygote, {@code threads} threads of {@code length} ops each. Returns the steps run. */
    static long round(final String arch, final int threads, final long seed, final int length)
    {
        final ModelRun.Setup setup = ModelRun.Setup.of(arch, false, 64L << 20, 8L << 20);
        try (ModelRun zygote = new ModelRun(setup, true))
        {
            final Machine m = zygote.m;
            // the zygote, built and checked single-threaded: every folio size, partly COW-shared already
            final List<Op> build = List.of(
                Op.mmap(0, A, 8L << 20, PROT_R | PROT_W, false, ANON, 0),
                Op.populate(0, A, 2L << 20, 9),
                Op.populate(0, A + (2L << 20), 1L << 20, 4),
                Op.populate(0, A + (3L << 20), 256 << 12, 0),
                Op.fork(0, Strategy.FOLIO_BATCH),
                Op.write(1, A + (3L << 20), 0x2000),
                Op.exit(1),
                Op.write(0, A + 5 * 4096, 0x2001));
            for (int i = 0; i < build.size(); i++)
            {
                assertThat(zygote.step(i, build.get(i))).isNull();
            }
            final Mm zmm = zygote.mms.get(0);
            final RefModel.MProc zmodel = zygote.model.procs.get(0);
            final List<Strategy> strategies = List.of(Strategy.LEGACY, Strategy.ARCH_BATCH, Strategy.FOLIO_BATCH);
            // one subtree per thread, forked here (forks of the zygote write-protect its PTEs: one at a time)
            final List<ModelRun> runs = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final RefModel model = new RefModel(false, 0);
                model.procs.add(RefModel.copyOf(zmodel, 0));
                final Mm root = Fork.fork(zmm, strategies.get(t % 3));
                model.apply(Op.fork(0, strategies.get(t % 3)));
                runs.add(ModelRun.attach(setup, m, model, List.of(zmm, root), 1));
            }
            final List<String> failures = Collections.synchronizedList(new ArrayList<>());
            final AtomicBoolean stop = new AtomicBoolean();
            final long[] steps = new long[threads];
            final List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int ti = t;
                ts.add(Thread.ofPlatform().name("stress-" + t).start(() ->
                {
                    final ModelRun r = runs.get(ti);
                    final Gen g = new Gen(seed * 31 + ti, true, false, 1);
                    final List<Op> ops = new ArrayList<>();
                    try
                    {
                        for (int i = 0; i < length && !stop.get(); i++)
                        {
                            final Op op = g.next(r.model);
                            ops.add(op);
                            final ModelRun.Failure f = r.step(i, op);
                            steps[ti]++;
                            if (f != null)
                            {
                                failures.add(report(arch, seed, ti, ops, f));
                                stop.set(true);
                            }
                        }
                    }
                    catch (final Throwable e)
                    {
                        failures.add(report(arch, seed, ti, ops, new ModelRun.Failure(ops.size() - 1, "thread died",
                            ModelRun.stackTrace(e))));
                        stop.set(true);
                    }
                }));
            }
            for (final Thread t : ts)
            {
                try
                {
                    t.join();
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
            assertThat(failures).as("concurrent stress on %s, seed 0x%x", arch, seed).isEmpty();
            // quiescence: the whole machine is consistent, every thread's processes and the zygote read as modelled
            assertThat(InvariantChecker.violations(m)).as("invariants at quiescence, seed 0x%x", seed).isEmpty();
            for (final ModelRun r : runs)
            {
                assertThat(r.compare()).isEmpty();
            }
            // the threads took tokens from the machine's counter and their processes are still alive
            zygote.model.nextToken = m.counters().nextToken();
            assertThat(zygote.compare().stream().filter(s -> !s.startsWith("engine has")).toList())
                .as("the zygote after the threads").isEmpty();
            for (final ModelRun r : runs)
            {
                assertThat(r.teardown(length)).isNull();
            }
            assertThat(zygote.teardown(build.size())).as("teardown and leak check").isNull();
            long total = 0;
            for (final long s : steps)
            {
                total += s;
            }
            return total;
        }
    }

    private static String report(final String arch, final long seed, final int thread, final List<Op> ops, final ModelRun.Failure f)
    {
        final StringBuilder sb = new StringBuilder("thread " + thread + " on " + arch + " (round seed 0x" + Long.toHexString(seed)
            + "; the other threads' ops interleave, so this listing alone may not reproduce it): " + f.kind() + " at step "
            + f.step() + "\n  " + f.detail() + "\n");
        final int from = Math.max(0, ops.size() - 40);
        for (int i = from; i < ops.size(); i++)
        {
            sb.append(String.format("    /* %3d */ %s%n", i, ops.get(i)));
        }
        return sb.toString();
    }
}
