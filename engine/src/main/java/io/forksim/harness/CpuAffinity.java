package io.forksim.harness;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The calling thread's CPU affinity on Linux, through FFM ({@code sched_getaffinity}/{@code sched_setaffinity} of
 * glibc with pid 0 = the calling thread). The fork harness pins its measuring thread to one CPU so that the
 * scheduler cannot move it between the cores in the middle of a run (a migration leaves the caches and the TLB
 * behind); JIT compiler and GC threads keep every CPU. {@link Pin#close} gives the thread its previous mask back.
 *
 * <p>{@code cpu_set_t} is a bit mask, one bit per CPU, 1024 bits (128 bytes) in glibc:
 * <pre>
 *  byte 0                byte 1                    byte 127
 * +----------------------+---------------------+ ... +------------------------+
 * | cpu7 ........... cpu0 | cpu15 ........ cpu8 |     | cpu1023 ....... cpu1016 |
 * +----------------------+---------------------+ ... +------------------------+
 * </pre>
 */
public final class CpuAffinity
{
    static final int SET_BYTES = 128;

    private static final MethodHandle GET;
    private static final MethodHandle SET;
    private static final MethodHandle GETTID;

    static
    {
        MethodHandle g = null;
        MethodHandle s = null;
        MethodHandle t = null;
        try
        {
            final Linker linker = Linker.nativeLinker();
            final SymbolLookup libc = linker.defaultLookup();
            final FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
            final Optional<MemorySegment> gs = libc.find("sched_getaffinity");
            final Optional<MemorySegment> ss = libc.find("sched_setaffinity");
            if (gs.isPresent() && ss.isPresent())
            {
                g = linker.downcallHandle(gs.get(), fd);
                s = linker.downcallHandle(ss.get(), fd);
            }
            final Optional<MemorySegment> ts = libc.find("gettid");
            if (ts.isPresent())
            {
                t = linker.downcallHandle(ts.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            }
        }
        catch (final RuntimeException | LinkageError e)
        {
            // not Linux/glibc: pinning is unavailable, the harness runs unpinned and says so
        }
        GET = g;
        SET = s;
        GETTID = t;
    }

    private CpuAffinity()
    {
    }

    /** A pinned thread's previous mask; closing restores it. */
    public static final class Pin implements AutoCloseable
    {
        private final byte[] previous;
        private final int cpu;

        Pin(final byte[] previous, final int cpu)
        {
            this.previous = previous;
            this.cpu = cpu;
        }

        /** The CPU the thread is pinned to. */
        public int cpu()
        {
            return cpu;
        }

        /** Restores the thread's previous mask; must be called on the pinned thread. */
        @Override
        public void close()
        {
            try (Arena a = Arena.ofConfined())
            {
                final MemorySegment m = a.allocate(SET_BYTES);
                MemorySegment.copy(previous, 0, m, ValueLayout.JAVA_BYTE, 0, SET_BYTES);
                set(m);
            }
        }
    }

    /**
     * Pins the calling thread to the highest-numbered CPU it may run on now.
     *
     * @return the pin (close it on the same thread), or empty when affinity is unavailable or the thread may run
     *         on one CPU only (nothing to pin)
     */
    public static Optional<Pin> pinToLastAllowedCpu()
    {
        if (GET == null)
        {
            return Optional.empty();
        }
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment m = a.allocate(SET_BYTES);
            if ((int)GET.invokeExact(0, (long)SET_BYTES, m) != 0)
            {
                return Optional.empty();
            }
            final byte[] previous = m.toArray(ValueLayout.JAVA_BYTE);
            int last = -1;
            int count = 0;
            for (int cpu = 0; cpu < SET_BYTES * 8; cpu++)
            {
                if ((previous[cpu >>> 3] & (1 << (cpu & 7))) != 0)
                {
                    last = cpu;
                    count++;
                }
            }
            if (count < 2)
            {
                return Optional.empty();
            }
            m.fill((byte)0);
            m.set(ValueLayout.JAVA_BYTE, last >>> 3, (byte)(1 << (last & 7)));
            if (!set(m))
            {
                return Optional.empty();
            }
            return Optional.of(new Pin(previous, last));
        }
        catch (final Throwable t)
        {
            return Optional.empty();
        }
    }

    /**
     * The other threads of this JVM, moved off one CPU: their previous masks; closing gives each thread that still
     * exists its mask back.
     */
    public static final class Moved implements AutoCloseable
    {
        private final java.util.Map<Integer, byte[]> previous;

        Moved(final java.util.Map<Integer, byte[]> previous)
        {
            this.previous = previous;
        }

        /** How many threads were moved. */
        public int threads()
        {
            return previous.size();
        }

        @Override
        public void close()
        {
            try (Arena a = Arena.ofConfined())
            {
                final MemorySegment m = a.allocate(SET_BYTES);
                for (final java.util.Map.Entry<Integer, byte[]> e : previous.entrySet())
                {
                    MemorySegment.copy(e.getValue(), 0, m, ValueLayout.JAVA_BYTE, 0, SET_BYTES);
                    set(e.getKey(), m); // a thread that has exited since is gone with its mask
                }
            }
        }
    }

    /**
     * Takes {@code cpu} out of the affinity mask of every other thread of this JVM (JIT compiler, GC, the stderr
     * and stdout pumps, ...), so that none of them preempts the measuring thread pinned there; threads they start
     * later inherit the reduced mask. A thread whose mask holds {@code cpu} only is left alone. Call it from the
     * pinned thread (which keeps its own mask).
     *
     * @param cpu a CPU this thread is pinned to, 0..1023
     * @return the moved threads (close to restore them), or empty when affinity or {@code /proc/self/task} is
     *         unavailable
     */
    public static Optional<Moved> moveOtherThreadsOff(final int cpu)
    {
        if (GET == null || GETTID == null || cpu < 0 || cpu >= SET_BYTES * 8)
        {
            return Optional.empty();
        }
        final java.util.Map<Integer, byte[]> previous = new java.util.LinkedHashMap<>();
        try (Arena a = Arena.ofConfined();
             java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task")))
        {
            final int self = (int)GETTID.invokeExact();
            final MemorySegment m = a.allocate(SET_BYTES);
            for (final java.nio.file.Path task : (Iterable<java.nio.file.Path>)tasks::iterator)
            {
                final int tid = Integer.parseInt(task.getFileName().toString());
                if (tid == self || (int)GET.invokeExact(tid, (long)SET_BYTES, m) != 0)
                {
                    continue;
                }
                final byte[] old = m.toArray(ValueLayout.JAVA_BYTE);
                final byte bit = (byte)(1 << (cpu & 7));
                if ((old[cpu >>> 3] & bit) == 0)
                {
                    continue;
                }
                m.set(ValueLayout.JAVA_BYTE, cpu >>> 3, (byte)(old[cpu >>> 3] & ~bit));
                if (!isEmpty(m) && set(tid, m))
                {
                    previous.put(tid, old);
                }
            }
            return Optional.of(new Moved(previous));
        }
        catch (final Throwable t)
        {
            new Moved(previous).close();
            return Optional.empty();
        }
    }

    private static boolean isEmpty(final MemorySegment mask)
    {
        for (long i = 0; i < SET_BYTES; i++)
        {
            if (mask.get(ValueLayout.JAVA_BYTE, i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static boolean set(final MemorySegment mask)
    {
        return set(0, mask);
    }

    private static boolean set(final int tid, final MemorySegment mask)
    {
        try
        {
            return (int)SET.invokeExact(tid, (long)SET_BYTES, mask) == 0;
        }
        catch (final Throwable t)
        {
            return false;
        }
    }
}
