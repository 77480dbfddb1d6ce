package io.forksim.harness;

import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.ProcessCheckpoint;
import io.forksim.mm.VmFlags;

/**
 * The fork parent the fork workloads measure ({@code forksim fork}, the JMH {@code ForkBench}): on its own machine,
 * one process with one private anonymous read/write VMA of {@code sizeBytes} at {@link #BASE_VA}, populated with
 * folios of one order, and the {@link ProcessCheckpoint} that makes it freshly populated again after a fork.
 * Closing it closes the checkpoint and the machine.
 */
public record PopulatedParent(Machine machine, Mm parent, ProcessCheckpoint checkpoint) implements AutoCloseable
{
    /** Where the parent's region starts: 1 TiB, aligned to every table level below the PGD. */
    public static final long BASE_VA = 1L << 40;

    /**
     * A new machine of {@code config} with a populated parent and its checkpoint.
     *
     * <p>Preconditions: {@code sizeBytes} is a positive multiple of the order-{@code order} folio size and fits
     * {@code config}'s RAM with the parent's page tables. On any failure the machine is closed before the exception
     * leaves.
     */
    public static PopulatedParent build(final Machine.Config config, final long sizeBytes, final int order)
    {
        final Machine machine = new Machine(config);
        try
        {
            final Mm parent = populate(machine, sizeBytes, order);
            return new PopulatedParent(machine, parent, ProcessCheckpoint.capture(parent));
        }
        catch (final RuntimeException | Error e)
        {
            machine.close();
            throw e;
        }
    }

    /**
     * A new process on {@code machine} with one private anonymous read/write VMA of {@code sizeBytes} at
     * {@link #BASE_VA}, populated with order-{@code order} folios (no checkpoint: for benchmarks that measure
     * something other than fork on the same parent).
     *
     * <p>Preconditions: as {@link #build}; {@code machine} has no mapping at {@code [BASE_VA, BASE_VA + sizeBytes)}
     * in a new process (always true).
     */
    public static Mm populate(final Machine machine, final long sizeBytes, final int order)
    {
        final Mm parent = machine.newProcess();
        parent.mmap(BASE_VA, sizeBytes, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
        parent.populate(BASE_VA, sizeBytes, order);
        return parent;
    }

    @Override
    public void close()
    {
        checkpoint.close();
        machine.close();
    }
}
