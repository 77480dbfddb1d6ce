package io.forksim.bench;

import io.forksim.harness.Arm64FloorLoop;
import io.forksim.harness.FloorLoop;
import io.forksim.harness.FloorPlacement;
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
 * What arm64's order-0 fork PTE copy must do beyond the per-PTE floor, as kernel work and not as simulator overhead:
 * {@code work=floor} is the per-PTE {@link FloorLoop}, {@code work=arm64-6.18} the {@link Arm64FloorLoop} (the same
 * loop on arm64 entries with the per-PTE steps of Linux 6.18's arm64 wrappers: {@code pte_wrprotect}'s dirty move,
 * {@code ptep_get}'s CONT test, {@code wrprotect_ptes(nr = 1)}'s own read, {@code set_ptes(nr = 1)}'s probe of the
 * child entry, {@code contpte_try_fold}'s filter with its folio-size read for one PTE in 16). Both are the engine's
 * classes, the ones {@code forksim fork}'s arm64 workers time next to the strategies ("x floor", "x arm64 floor").
 * The difference is the part of arm64's gap to the floor that a faithful model must keep. {@code order} above 0 runs the
 * batched loops of both: {@link FloorLoop#batched} and the batched {@link Arm64FloorLoop} (per batch of a large folio
 * what 6.18's arm64 does: {@code ptep_get}'s contpte gather per block, {@code pte_batch_hint}'s skip,
 * {@code contpte_wrprotect_ptes}, {@code contpte_set_ptes}), the ones the workers time at orders 1-9.
 *
 * <p>SingleShotTime: one op is a pass over 1 GiB; the parent's entries are made writable again outside the
 * measurement, as {@link LoopBaseline} does. {@code arena}: as {@link LoopBaseline#arena} ({@code engine}, the
 * default, maps the data as the engine's memmap and tables; {@code confined} etc. on 4 KiB pages).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 50)
@Measurement(iterations = 100)
@Fork(2)
@State(Scope.Thread)
public class Arm64FloorBench
{
    @Param({"floor", "arm64-6.18"})
    public String work;

    @Param({"1G"})
    public String size;

    /** The folio order: 0 per-PTE, 1..9 batched (the size a multiple of the folio). */
    @Param({"0"})
    public int order;

    /** Where the data lives: {@code engine} (default), {@code confined}, {@code shared} or {@code global}. */
    @Param({"engine"})
    public String arena;

    private FloorLoop floor;
    private Arm64FloorLoop arm64;

    @Setup(Level.Trial)
    public void setUp()
    {
        final long n = BenchSupport.pages(BenchSupport.parseSize(size));
        if (!work.equals("floor") && !work.equals("arm64-6.18"))
        {
            throw new IllegalArgumentException("work must be floor or arm64-6.18, not " + work);
        }
        if (order < 0 || order > 9)
        {
            throw new IllegalArgumentException("order must be 0..9, not " + order);
        }
        final FloorPlacement where = BenchSupport.floorPlacement(arena);
        if (work.equals("floor"))
        {
            floor = FloorLoop.allocate(where, n);
        }
        else
        {
            arm64 = Arm64FloorLoop.allocate(where, n, order);
        }
    }

    /** Makes the parent's entries writable again: the state before a pass. Not timed. */
    @TearDown(Level.Invocation)
    public void restore()
    {
        if (floor != null)
        {
            floor.restoreWritable();
        }
        else
        {
            arm64.restoreWritable();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (floor != null)
        {
            floor.close();
        }
        else
        {
            arm64.close();
        }
    }

    /** One pass: per-PTE at order 0, batched above (the name stays for the seed table and old results). */
    @Benchmark
    public long perPte()
    {
        if (floor == null)
        {
            return arm64.pass();
        }
        if (order == 0)
        {
            return floor.perPte(0);
        }
        floor.batched(order);
        return order;
    }
}
