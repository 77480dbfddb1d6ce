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

import java.util.concurrent.TimeUnit;

/**
 * Write faults after fork(): one op = one write fault on every page of {@code size} (64 MiB = 16,384 faults),
 * so ns per page = ns per fault.
 *
 * <ul>
 *   <li>{@code fault=cow-copy}: the child writes; every page is still mapped by the parent, so each fault
 *       copies one page ({@code wp_page_copy}; a PTE-mapped large folio is copied a page at a time). On arm64
 *       the first fault in a CONT block of the child unfolds it.</li>
 *   <li>{@code fault=reuse}: the child has exited (untimed), the parent writes: its PTEs are still
 *       write-protected but it is the only mapper again, so each fault reuses the page in place
 *       ({@code wp_page_reuse}; for large folios the 6.15+ exclusive-folio rule).</li>
 * </ul>
 * The fork (folio-batch) happens in a {@code @Setup(Level.Invocation)}, the child's exit and the parent's
 * restore ({@link ProcessCheckpoint}) in a {@code @TearDown(Level.Invocation)}: every op starts from the
 * same freshly forked state (one op is milliseconds; see {@link ForkBench} on Level.Invocation).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 20)
@Measurement(iterations = 40)
@Fork(2)
@State(Scope.Thread)
public class CowFaultBench
{
    @Param({"x86_64", "arm64"})
    public String arch;

    @Param({"0", "4", "9"})
    public int order;

    @Param({"cow-copy", "reuse"})
    public String fault;

    @Param({"64M"})
    public String size;

    private Machine machine;
    private Mm parent;
    private ProcessCheckpoint checkpoint;
    private long bytes;
    private boolean copy;
    private Mm child;
    private Mm writer;

    @Setup(Level.Trial)
    public void setUpParent()
    {
        if (!fault.equals("cow-copy") && !fault.equals("reuse"))
        {
            throw new IllegalArgumentException("fault must be cow-copy or reuse, not " + fault);
        }
        bytes = BenchSupport.parseSize(size);
        copy = fault.equals("cow-copy");
        machine = new Machine(BenchSupport.machineConfig(arch, false, BenchSupport.ramFor(bytes, 1)));
        parent = PopulatedParent.populate(machine, bytes, order);
        checkpoint = ProcessCheckpoint.capture(parent);
    }

    @Setup(Level.Invocation)
    public void forkChild()
    {
        child = io.forksim.fork.Fork.fork(parent, Strategy.FOLIO_BATCH);
        if (copy)
        {
            writer = child;
        }
        else
        {
            child.exit();
            child = null;
            writer = parent;
        }
    }

    @TearDown(Level.Invocation)
    public void exitAndRestore()
    {
        if (child != null)
        {
            child.exit();
            child = null;
        }
        checkpoint.restore();
    }

    @TearDown(Level.Trial)
    public void tearDownParent()
    {
        checkpoint.close();
        parent.exit();
        machine.close();
    }

    @Benchmark
    public long writeFaults()
    {
        final Mm mm = writer;
        long acc = 0;
        for (long va = BenchSupport.VA, end = BenchSupport.VA + bytes; va < end; va += 4096)
        {
            acc += mm.fault(va, true).ordinal();
        }
        return acc;
    }
}
