package io.forksim.bench;

import io.forksim.harness.FloorLoop;
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

import java.util.concurrent.TimeUnit;

/**
 * The FFM floor ({@link FloorLoop}: the least work of a fork PTE copy, as a flat loop over FFM segments) as a JMH
 * benchmark, so that forksim's ns per page sits next to the least a fork PTE copy can cost in Java, in the same run
 * on the same machine. The loops are the engine's {@link FloorLoop}, the one copy that {@code forksim fork} also
 * times in every worker JVM.
 *
 * <p>Like fork, the loop is not steady-state (it clears the parent's write bits): a per-invocation
 * teardown sets them again, outside the measurement.
 * SingleShotTime like {@link ForkBench}: one op is a pass over 1 GiB (262,144 PTEs).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 50)
@Measurement(iterations = 100)
@Fork(2)
@State(Scope.Thread)
public class LoopBaseline
{
    @Param({"0", "9"})
    public int order;

    @Param({"1G"})
    public String size;

    /**
     * Where the three segments come from: {@code engine} (the default), mapped as the engine's memmap and tables
     * ({@link io.forksim.harness.FloorPlacement#engine}: transparent huge pages), as {@code forksim fork}'s workers time it; or a
     * Java arena on 4 KiB pages, {@code confined}, {@code shared} or {@code global}. The loops read and write through
     * absolute addresses, so the arena's kind no longer reaches them; comparing {@code engine} with {@code confined}
     * shows what 4 KiB pages cost the floor.
     */
    @Param({"engine"})
    public String arena;

    private FloorLoop loop;

    @Setup(Level.Trial)
    public void setUp()
    {
        final long n = BenchSupport.pages(BenchSupport.parseSize(size));
        loop = FloorLoop.allocate(BenchSupport.floorPlacement(this.arena), n);
    }

    @TearDown(Level.Invocation)
    public void restoreWritable()
    {
        loop.restoreWritable();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        loop.close();
    }

    @Benchmark
    public long perPte()
    {
        return loop.perPte(order);
    }

    @Benchmark
    public void batched()
    {
        loop.batched(order);
    }
}
