package io.forksim.bench;

import io.forksim.harness.PopulatedParent;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
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
 * munmap() or exit() of {@code size} (1 GiB) of populated anonymous memory: Hildenbrand's zap benchmark
 * (anchors §B.2: munmap of 1 GiB, order-0 58 ms unchanged by batching, PTE-mapped 2 MiB folios -58%).
 *
 * <p>{@code zap=batched} is Linux 6.9+'s {@code zap_present_ptes} (folio_pte_batch, one rmap/refcount update
 * and one TLB-gather entry per batch); {@code zap=per-pte} is the 6.8 loop, one PTE at a time. Both leave the
 * same state. The process owns its folios exclusively, so the zap frees them: for order-0 the buddy frees
 * dominate, as in the kernel.
 *
 * <p>Each measured op destroys its input, so a new process is mapped and populated in a
 * {@code @Setup(Level.Invocation)} (untimed; legal because one op is milliseconds, see {@link ForkBench});
 * after a munmap the now empty process exits in the per-invocation teardown. SingleShotTime: one iteration =
 * one zap.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 15)
@Measurement(iterations = 30)
@Fork(2)
@State(Scope.Thread)
public class ZapBench
{
    @Param({"x86_64", "arm64"})
    public String arch;

    @Param({"0", "4", "9"})
    public int order;

    @Param({"batched", "per-pte"})
    public String zap;

    @Param({"munmap", "exit"})
    public String op;

    @Param({"1G"})
    public String size;

    private Machine machine;
    private long bytes;
    private boolean batched;
    private boolean munmap;
    private Mm mm;

    @Setup(Level.Trial)
    public void setUpMachine()
    {
        if (!zap.equals("batched") && !zap.equals("per-pte"))
        {
            throw new IllegalArgumentException("zap must be batched or per-pte, not " + zap);
        }
        if (!op.equals("munmap") && !op.equals("exit"))
        {
            throw new IllegalArgumentException("op must be munmap or exit, not " + op);
        }
        bytes = BenchSupport.parseSize(size);
        batched = zap.equals("batched");
        munmap = op.equals("munmap");
        machine = new Machine(BenchSupport.machineConfig(arch, false, BenchSupport.ramFor(bytes, 0)));
    }

    @Setup(Level.Invocation)
    public void populate()
    {
        mm = PopulatedParent.populate(machine, bytes, order);
    }

    @TearDown(Level.Invocation)
    public void exitEmpty()
    {
        if (mm != null && !mm.exited())
        {
            mm.exit();
        }
        mm = null;
    }

    @TearDown(Level.Trial)
    public void tearDownMachine()
    {
        machine.close();
    }

    @Benchmark
    public void zap()
    {
        if (munmap)
        {
            mm.munmap(BenchSupport.VA, bytes, batched);
        }
        else
        {
            mm.exit(batched);
        }
    }
}
