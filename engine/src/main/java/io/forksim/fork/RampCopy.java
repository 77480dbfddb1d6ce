package io.forksim.fork;

import io.forksim.mem.RawMemory;

/**
 * The pass over a batch's raw ramp that {@link FusedPteBatch} and {@link LargeAnonRun} make: from a source entry on,
 * while each entry equals the ramp (the head entry, then one page's step of the PFN field more per entry), the parent's
 * entry becomes itself plus a constant if the batch write-protects it ({@code wrprotect_ptes}) and the child's entry,
 * a constant distance on in the destination table, the parent's plus another constant ({@code set_ptes}). The constants
 * are the batch's: {@link #set} them when the head entry's bits change. One per {@link CopyContext}, reused.
 *
 * <p>Why an object of its own with {@link #copy} kept out of line ({@code CompileCommand=dontinline} in the parent POM):
 * compiled alone, the loop keeps the step, both offsets and the tables' distance in registers (loaded from this object
 * once per call). Inlined into {@link LargeAnonRun#copy}, which carries more state across batches, C2 left them on
 * the stack and read them per entry; passed as arguments, the ones past the sixth stayed in their stack slots and were
 * read per entry too (timing.md, "Order-4 on x86_64 against the batched floor"). One call per batch costs less. The
 * loop runs over an int byte offset to a bound tested with {@code !=}: C2 does not make it a counted loop (split into
 * pre-, main- and post-loops, a fixed cost per call), and its accesses, at {@link RawMemory#at} of the two tables'
 * entries, carry no bounds check.
 */
final class RampCopy
{
    private long step;
    private boolean wp;
    private long toParent;
    private long toChild;
    private long delta;

    /**
     * The batch's constants: {@code step} per entry of the PFN field, whether the parent's entries are write-protected,
     * the parent's new entry and the child's entry as offsets from the parent's old one, and the destination entry's
     * distance in bytes from the source entry.
     */
    void set(final long step, final boolean wp, final long toParent, final long toChild, final long delta)
    {
        this.step = step;
        this.wp = wp;
        this.toParent = toParent;
        this.toChild = toChild;
        this.delta = delta;
    }

    /**
     * Copies from the source entry at absolute address {@code a0} while the address is not {@code end} and the entry
     * equals the ramp ({@code raw0} at {@code a0}). Counts nothing.
     *
     * <p>Precondition: {@link #set} for this batch; {@code end - a0} is a non-negative multiple of 8 below 2^31 (a
     * table is 4 KiB); the entries {@code [a0, end)} lie inside the source table and those {@code delta} bytes on
     * inside the destination table.
     *
     * @return the address of the first entry not copied: {@code end}, or the entry that differed from the ramp
     */
    long copy(final long a0, final long end, final long raw0)
    {
        final long step = this.step;
        final boolean wp = this.wp;
        final long toParent = this.toParent;
        final long toChild = this.toChild;
        final long delta = this.delta;
        final long src = RawMemory.bounded(a0);
        final long dst = RawMemory.bounded(a0 + delta);
        final int bytes = (int)(end - a0);
        long raw = raw0;
        int o = 0;
        while (o != bytes)
        {
            final long p = RawMemory.getLong(RawMemory.at(src, o));
            if (p != raw)
            {
                break;
            }
            if (wp)
            {
                RawMemory.setLong(RawMemory.at(src, o), p + toParent);
            }
            RawMemory.setLong(RawMemory.at(dst, o), p + toChild);
            raw += step;
            o += 8;
        }
        return a0 + o;
    }
}
