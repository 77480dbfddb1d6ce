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

    static
    {
        MethodHandle g = null;
        MethodHandle s = null;
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
        }
        catch (final RuntimeException | LinkageError e)
        {
            // not Linux/glibc: pinning is unavailable, the harness runs unpinned and says so
        }
        GET = g;
        SET = s;
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

    private static boolean set(final MemorySegment mask)
    {
        try
        {
            return (int)SET.invokeExact(0, (long)SET_BYTES, mask) == 0;
        }
        catch (final Throwable t)
        {
            return false;
        }
    }
}
