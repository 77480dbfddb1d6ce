package io.forksim.bench;

import io.forksim.fork.Strategy;
import io.forksim.harness.PopulatedParent;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.ProcessCheckpoint;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.util.concurrent.TimeUnit;

/**
 * fork() of a process with {@code size} (1 GiB) of populated anonymous memory, the linux-mm thread's
 * microbenchmark: one measured operation = one {@code io.forksim.fork.Fork.fork(parent, strategy)}.
 *
 * <h2>Why per-invocation fixtures (JMHSample_38)</h2>
 * fork() is not steady-state. The first fork write-protects every parent PTE, clears PageAnonExclusive,
 * raises refcounts and mapcounts and, on arm64 legacy, unfolds every contpte block; a second fork of the
 * same parent does less work (nothing left to write-protect or unfold). Like sorting an already-sorted
 * array in JMHSample_38, a loop over the same parent would measure the cheap case. So each measured fork
 * sees the parent in its freshly populated state: the child's exit and the parent's restore
 * ({@link ProcessCheckpoint#restore()}, two {@code MemorySegment.copy} runs per table and folio run) happen
 * in a {@code @TearDown(Level.Invocation)}, outside the measurement. The parent is the {@link PopulatedParent} that
 * {@code forksim fork} measures too.
 *
 * <p>{@code Level.Invocation} is legal here ("HERE BE DRAGONS": only for invocations well above a
 * millisecond): a 1 GiB fork copies 512 PTE tables and takes milliseconds, so the fixture's timestamps are
 * noise. The benchmark runs in {@code SingleShotTime} mode by default, where every iteration is exactly one
 * invocation and JMH times only the call (the seed table: 8 forks x 100 iterations = the thread's 8 runs of
 * 100 forks). Prefer {@code -bm ss}; {@code avgt} works too because the fixtures are per invocation.
 *
 * <h2>The two benchmark methods</h2>
 * <ul>
 *   <li>{@link #fork}: the fork alone (child exit and parent restore untimed, after it).</li>
 *   <li>{@link #teardown}: the child's exit alone (zap of the child's page tables, folio puts, table
 *       frees); the fork happens untimed before it, the parent restore untimed after it. This is the
 *       "teardown time" the main job reports next to the fork.</li>
 * </ul>
 *
 * <h2>Parameters</h2>
 * {@code config} = arch:strategy, only valid pairs (see {@link BenchSupport}); {@code order} of the
 * PTE-mapped folios (0 = 4 KiB, 4 = 64 KiB = one contpte block, 9 = 2 MiB); {@code size}; {@code mode}
 * {@code fresh} (restore the parent after each fork, the default) or {@code reuse} (the main job's
 * {@code --reuse-parent}: fork the same parent again and again, a true tight loop as in the kernel
 * benchmark; after the first fork the parent is write-protected and, on arm64 legacy, unfolded).
 *
 * <p>Each JMH fork is a fresh JVM that creates one machine of one arch and runs one strategy, so the
 * engine's {@code Arch} call sites stay monomorphic as in a real run. The report turns the score into ns per
 * 4 KiB page ({@code score / (size / 4096)}).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 30)
@Measurement(iterations = 50)
@Fork(2)
@State(Scope.Thread)
public class ForkBench
{
    @Param({
        "x86_64:legacy", "x86_64:arch-batch", "x86_64:folio-batch",
        "arm64:legacy", "arm64:arch-batch", "arm64:folio-batch", "arm64:contpte-basic",
    })
    public String config;

    @Param({"0", "4", "9"})
    public int order;

    @Param({"1G"})
    public String size;

    @Param({"fresh", "reuse"})
    public String mode;

    private PopulatedParent populated;
    private Mm parent;
    private ProcessCheckpoint checkpoint;
    private Strategy strategy;
    private boolean fresh;
    private boolean measuringTeardown;
    private Mm child;

    /** The machine (tests read its events). */
    Machine machine()
    {
        return populated.machine();
    }

    @Setup(Level.Trial)
    public void setUpParent(final BenchmarkParams params)
    {
        setUp(params.getBenchmark().endsWith(".teardown"));
    }

    /** The trial setup; {@code teardownMethod}: the measured method is {@link #teardown} (fork before each op). */
    void setUp(final boolean teardownMethod)
    {
        final BenchSupport.ArchStrategy as = BenchSupport.ArchStrategy.parse(config);
        if (!mode.equals("fresh") && !mode.equals("reuse"))
        {
            throw new IllegalArgumentException("mode must be fresh or reuse, not " + mode);
        }
        final long bytes = BenchSupport.parseSize(size);
        strategy = as.strategy().strategy();
        fresh = mode.equals("fresh");
        measuringTeardown = teardownMethod;
        populated = PopulatedParent.build(as.machineConfig(BenchSupport.ramFor(bytes, 0)), bytes, order);
        parent = populated.parent();
        checkpoint = populated.checkpoint();
    }

    @Setup(Level.Invocation)
    public void forkBeforeTeardown()
    {
        if (measuringTeardown)
        {
            child = io.forksim.fork.Fork.fork(parent, strategy);
        }
    }

    @TearDown(Level.Invocation)
    public void exitAndRestore()
    {
        if (child != null)
        {
            if (!child.exited())
            {
                child.exit();
            }
            child.mmdrop();   // the mm and its VMAs go back to the machine's slab caches for the next fork
            child = null;
        }
        if (fresh)
        {
            checkpoint.restore();
        }
    }

    @TearDown(Level.Trial)
    public void tearDownParent()
    {
        if (child != null)
        {
            child.exit();
            child = null;
        }
        parent.exit();
        populated.close();
    }

    /** One fork of the parent (freshly populated in mode {@code fresh}). Returns the child so it is not dead code. */
    @Benchmark
    public Mm fork()
    {
        child = io.forksim.fork.Fork.fork(parent, strategy);
        return child;
    }

    /** The child's exit after one fork (the fork itself untimed). */
    @Benchmark
    public void teardown()
    {
        child.exit();
    }
}
