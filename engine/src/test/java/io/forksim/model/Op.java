package io.forksim.model;

import io.forksim.fork.Strategy;
import io.forksim.mm.Advice;

import java.util.ArrayList;
import java.util.List;

/**
 * One step of a random operation sequence, self-contained so that a sequence can be replayed and shrunk.
 *
 * <p>{@code p} is a process by creation order: process 0 is created by the setup, every successful fork or
 * {@link K#NEWPROC} creates the next one. An op naming a process that does not exist (possible after
 * shrinking) is skipped. The meaning of {@code a..f} depends on the kind (see the factories); {@link #toString()}
 * prints the factory call, so a failure listing can be pasted back into a test:
 * {@code ModelRun.replay(Setup.of(...), List.of(...))}.
 */
public record Op(K k, int p, long a, long b, long c, long d, long e, long f)
{
    public enum K
    {
        MMAP, MUNMAP, MPROTECT, MADVISE, MREMAP, POPULATE, FAULT, READ, WRITE, PIN, UNPIN, DMA, FORK, EXIT, NEWPROC, OOM_AFTER
    }

    public static final int PROT_R = 1;
    public static final int PROT_W = 2;
    public static final int PROT_X = 4;
    public static final long ANON = -1;

    /** mmap(addr, len, prot, shared, file index or {@link #ANON}, file offset). */
    public static Op mmap(final int p, final long addr, final long len, final long prot, final boolean shared, final long file,
        final long off)
    {
        return new Op(K.MMAP, p, addr, len, prot, shared ? 1 : 0, file, off);
    }

    public static Op munmap(final int p, final long addr, final long len)
    {
        return new Op(K.MUNMAP, p, addr, len, 0, 0, 0, 0);
    }

    public static Op mprotect(final int p, final long addr, final long len, final long prot)
    {
        return new Op(K.MPROTECT, p, addr, len, prot, 0, 0, 0);
    }

    /** madvise; {@code advice} null is passed as null (rejected). PAGEOUT is the swap-out. */
    public static Op madvise(final int p, final long addr, final long len, final Advice advice)
    {
        return new Op(K.MADVISE, p, addr, len, advice == null ? -1 : advice.ordinal(), 0, 0, 0);
    }

    public static Op mremap(final int p, final long oldAddr, final long len, final long newAddr)
    {
        return new Op(K.MREMAP, p, oldAddr, len, newAddr, 0, 0, 0);
    }

    public static Op populate(final int p, final long addr, final long len, final long order)
    {
        return new Op(K.POPULATE, p, addr, len, order, 0, 0, 0);
    }

    /** populate(addr, len, 9, FolioMapping.PMD): PMD-mapped order-9 THPs. */
    public static Op populatePmd(final int p, final long addr, final long len)
    {
        return new Op(K.POPULATE, p, addr, len, 9, 1, 0, 0);
    }

    /** Whether a POPULATE asks for PMD-mapped THPs. */
    public boolean pmdMapped()
    {
        return k == K.POPULATE && d != 0;
    }

    public static Op fault(final int p, final long addr, final boolean write)
    {
        return new Op(K.FAULT, p, addr, 0, write ? 1 : 0, 0, 0, 0);
    }

    /** A user load; of a swapped-out page it is the swap-in. */
    public static Op read(final int p, final long addr)
    {
        return new Op(K.READ, p, addr, 0, 0, 0, 0, 0);
    }

    public static Op write(final int p, final long addr, final long token)
    {
        return new Op(K.WRITE, p, addr, 0, token, 0, 0, 0);
    }

    public static Op pin(final int p, final long addr)
    {
        return new Op(K.PIN, p, addr, 0, 0, 0, 0, 0);
    }

    public static Op unpin(final int p, final long addr)
    {
        return new Op(K.UNPIN, p, addr, 0, 0, 0, 0, 0);
    }

    /**
     * A device writes {@code token} into the page behind pin number {@code pinIndex} of process p (oldest first)
     * (what the pin is for: DMA). Not an API call: it stores the token into the pinned PFN; skipped if there is no
     * such pin.
     */
    public static Op dma(final int p, final long pinIndex, final long token)
    {
        return new Op(K.DMA, p, 0, 0, pinIndex, token, 0, 0);
    }

    /** fork(p, strategy); null is passed as null (rejected). */
    public static Op fork(final int p, final Strategy s)
    {
        return new Op(K.FORK, p, 0, 0, s == null ? -1 : s.ordinal(), 0, 0, 0);
    }

    public static Op exit(final int p)
    {
        return new Op(K.EXIT, p, 0, 0, 0, 0, 0, 0);
    }

    /** Machine.newProcess(): an empty process. */
    public static Op newProcess()
    {
        return new Op(K.NEWPROC, -1, 0, 0, 0, 0, 0, 0);
    }

    /**
     * Failure injection for the next op only: its first {@code n} page allocations succeed, every later one fails
     * as if simulated RAM were exhausted ({@code PhysMem.failAllocationsAfter}). Not an operation of its own.
     */
    public static Op oomAfter(final long n)
    {
        return new Op(K.OOM_AFTER, -1, 0, 0, n, 0, 0, 0);
    }

    Advice advice()
    {
        return c < 0 || c >= Advice.values().length ? null : Advice.values()[(int)c];
    }

    Strategy strategy()
    {
        return c < 0 || c >= Strategy.values().length ? null : Strategy.values()[(int)c];
    }

    /** Whether the operation may allocate simulated RAM (and so may fail with OutOfSimulatedMemoryException). */
    boolean mayAllocate()
    {
        return switch (k)
        {
            case MREMAP, POPULATE, FAULT, READ, WRITE, PIN, FORK, NEWPROC -> true;
            default -> false;
        };
    }

    static String hex(final long v)
    {
        if (v == Long.MIN_VALUE)
        {
            return "Long.MIN_VALUE";
        }
        if (v == Long.MAX_VALUE)
        {
            return "Long.MAX_VALUE";
        }
        return v < 0 ? "-0x" + Long.toHexString(-v) + "L" : "0x" + Long.toHexString(v) + "L";
    }

    static String prot(final long prot)
    {
        if (prot < 0 || prot > 7)
        {
            return hex(prot);
        }
        final List<String> s = new ArrayList<>();
        if ((prot & PROT_R) != 0)
        {
            s.add("PROT_R");
        }
        if ((prot & PROT_W) != 0)
        {
            s.add("PROT_W");
        }
        if ((prot & PROT_X) != 0)
        {
            s.add("PROT_X");
        }
        return s.isEmpty() ? "0" : String.join(" | ", s);
    }

    @Override
    public String toString()
    {
        return switch (k)
        {
            case MMAP -> "mmap(" + p + ", " + hex(a) + ", " + hex(b) + ", " + prot(c) + ", " + (d != 0) + ", "
                + (e < 0 ? "ANON" : Long.toString(e)) + ", " + hex(f) + ")";
            case MUNMAP -> "munmap(" + p + ", " + hex(a) + ", " + hex(b) + ")";
            case MPROTECT -> "mprotect(" + p + ", " + hex(a) + ", " + hex(b) + ", " + prot(c) + ")";
            case MADVISE -> "madvise(" + p + ", " + hex(a) + ", " + hex(b) + ", " + (advice() == null ? "null" : "Advice." + advice()) + ")";
            case MREMAP -> "mremap(" + p + ", " + hex(a) + ", " + hex(b) + ", " + hex(c) + ")";
            case POPULATE -> d != 0 && c == 9 ? "populatePmd(" + p + ", " + hex(a) + ", " + hex(b) + ")"
                : d != 0 ? "new Op(Op.K.POPULATE, " + p + ", " + hex(a) + ", " + hex(b) + ", " + c + ", 1, 0, 0)"
                : "populate(" + p + ", " + hex(a) + ", " + hex(b) + ", " + c + ")";
            case FAULT -> "fault(" + p + ", " + hex(a) + ", " + (c != 0) + ")";
            case READ -> "read(" + p + ", " + hex(a) + ")";
            case WRITE -> "write(" + p + ", " + hex(a) + ", " + hex(c) + ")";
            case PIN -> "pin(" + p + ", " + hex(a) + ")";
            case UNPIN -> "unpin(" + p + ", " + hex(a) + ")";
            case DMA -> "dma(" + p + ", " + c + ", " + hex(d) + ")";
            case FORK -> "fork(" + p + ", " + (strategy() == null ? "null" : "Strategy." + strategy()) + ")";
            case EXIT -> "exit(" + p + ")";
            case NEWPROC -> "newProcess()";
            case OOM_AFTER -> "oomAfter(" + c + ")";
        };
    }

    /** Simpler variants of this op, for the shrinker (each differs in one argument). */
    List<Op> simpler()
    {
        final List<Op> out = new ArrayList<>();
        if (p > 0)
        {
            out.add(new Op(k, 0, a, b, c, d, e, f)); // the processes before it may then go
            out.add(new Op(k, p - 1, a, b, c, d, e, f));
        }
        switch (k)
        {
            case MMAP ->
            {
                if (b > 4096 && b % 4096 == 0)
                {
                    out.add(new Op(k, p, a, 4096, c, d, e, f));
                }
                if (c != 3 && c >= 0 && c <= 7)
                {
                    out.add(new Op(k, p, a, b, 3, d, e, f));
                }
                if (e >= 0)
                {
                    out.add(new Op(k, p, a, b, c, d, ANON, 0));
                }
                if (d != 0)
                {
                    out.add(new Op(k, p, a, b, c, 0, e, f));
                }
                if (f != 0 && e >= 0)
                {
                    out.add(new Op(k, p, a, b, c, d, e, 0));
                }
            }
            case MUNMAP, MPROTECT, MADVISE, MREMAP ->
            {
                if (b > 4096 && b % 4096 == 0)
                {
                    out.add(new Op(k, p, a, b / 2 & -4096L, c, d, e, f));
                    out.add(new Op(k, p, a, 4096, c, d, e, f));
                }
            }
            case POPULATE ->
            {
                if (d != 0)
                {
                    out.add(new Op(k, p, a, b, c, 0, e, f));
                }
                if (c > 0 && c <= 9)
                {
                    out.add(new Op(k, p, a, b, 0, d, e, f));
                    out.add(new Op(k, p, a, b, c - 1, d, e, f));
                }
                if (c >= 0 && c <= 9 && b > (4096L << c) && b % (4096L << c) == 0)
                {
                    out.add(new Op(k, p, a, 4096L << c, c, d, e, f));
                }
            }
            case FORK ->
            {
                if (c > 0)
                {
                    out.add(new Op(k, p, a, b, Strategy.LEGACY.ordinal(), d, e, f));
                }
            }
            case FAULT ->
            {
                if (c != 0)
                {
                    out.add(new Op(k, p, a, b, 0, d, e, f));
                }
            }
            case OOM_AFTER ->
            {
                if (c > 0)
                {
                    out.add(new Op(k, p, a, b, c - 1, d, e, f));
                }
            }
            default ->
            {
            }
        }
        return out;
    }
}
