package io.forksim.harness;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The calling thread's page faults and involuntary context switches, from {@code getrusage(RUSAGE_THREAD)} (Linux,
 * glibc) through FFM into a segment allocated once: the fork harness reads them just before and just after each timed
 * fork (outside the timed section) to attribute slow forks to first-touch page faults of off-heap memory or to
 * preemption by other work on the machine. Allocates nothing per {@link #sample}.
 *
 * <p>The fields read from {@code struct rusage} (x86-64 and arm64 Linux, 8-byte longs):
 * <pre>
 *  offset   0        16       32         64          72          80      128        136         144
 *          +--------+--------+-- ... --+-----------+-----------+-- ... --+----------+-----------+
 *          | utime  | stime  | maxrss..| ru_minflt | ru_majflt | nswap.. | ru_nvcsw | ru_nivcsw |
 *          +--------+--------+-- ... --+-----------+-----------+-- ... --+----------+-----------+
 * </pre>
 */
public final class ThreadUsage implements AutoCloseable
{
    static final int RUSAGE_THREAD = 1;
    /** {@code sizeof(struct rusage)}: two timevals and 14 longs. */
    static final int RUSAGE_BYTES = 144;
    static final long MINFLT = 64;
    static final long MAJFLT = 72;
    static final long NIVCSW = 136;

    private static final MethodHandle GETRUSAGE;

    static
    {
        MethodHandle h = null;
        try
        {
            final Linker linker = Linker.nativeLinker();
            h = linker.defaultLookup().find("getrusage").map(a -> linker.downcallHandle(a,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS))).orElse(null);
        }
        catch (final RuntimeException | LinkageError e)
        {
            // not Linux/glibc: no attribution, the report says n/a
        }
        GETRUSAGE = System.getProperty("os.name", "").startsWith("Linux") ? h : null;
    }

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment usage = arena.allocate(RUSAGE_BYTES, 8);
    private long faults;
    private long preemptions;

    /** Whether {@link #sample} reads real values (false: every value stays 0). */
    public static boolean available()
    {
        return GETRUSAGE != null;
    }

    /**
     * Reads the calling thread's counters; then {@link #faults()} and {@link #preemptions()} hold them. Must be called
     * on the thread that created this object.
     */
    public void sample()
    {
        if (GETRUSAGE == null)
        {
            return;
        }
        try
        {
            if ((int)GETRUSAGE.invokeExact(RUSAGE_THREAD, usage) == 0)
            {
                faults = usage.get(ValueLayout.JAVA_LONG, MINFLT) + usage.get(ValueLayout.JAVA_LONG, MAJFLT);
                preemptions = usage.get(ValueLayout.JAVA_LONG, NIVCSW);
            }
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("getrusage failed", t);
        }
    }

    /** Minor plus major page faults of the thread so far, at the last {@link #sample}. */
    public long faults()
    {
        return faults;
    }

    /** Involuntary context switches of the thread so far (the scheduler took the CPU away), at the last sample. */
    public long preemptions()
    {
        return preemptions;
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
