package io.forksim.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether this process may open perf events, decided by trying: {@code perf_event_open(2)} through FFM for
 * the hardware cycles counter and the software cpu-clock, user space only, on this thread, closed at once,
 * plus {@code /proc/sys/kernel/perf_event_paranoid}. async-profiler's {@code cpu} engine is chosen only when
 * perf events are fully usable; otherwise (a VM without a PMU, {@code perf_event_paranoid} 2 or more, a
 * seccomp filter) the bench command uses {@code ctimer}, which needs only {@code timer_create}.
 */
public final class PerfEvents
{
    private static final int PERF_TYPE_HARDWARE = 0;
    private static final int PERF_TYPE_SOFTWARE = 1;
    private static final long PERF_COUNT_HW_CPU_CYCLES = 0;
    private static final long PERF_COUNT_SW_CPU_CLOCK = 0;
    /** disabled (bit 0) | exclude_kernel (bit 5) | exclude_hv (bit 6). */
    private static final long ATTR_FLAGS = 1L | (1L << 5) | (1L << 6);
    /** PERF_ATTR_SIZE_VER0: the first 64 bytes of struct perf_event_attr, understood by every kernel. */
    private static final int ATTR_SIZE = 64;

    /** What the probe found. {@code detail} explains a failure (errno text or why the probe could not run). */
    public record Probe(boolean cycles, boolean cpuClock, Optional<Integer> paranoid, String detail)
    {
        /**
         * The async-profiler event to use: {@code cpu} (perf_events, with kernel stacks) when perf events open and
         * {@code perf_event_paranoid <= 1}; otherwise {@code ctimer} ({@code timer_create}: works in containers and
         * VMs, no file descriptors, no kernel stacks). With paranoid 2 a user-only cpu-clock may still open, but
         * it gives nothing ctimer does not, and hardware events (cycles) are absent on PMU-less VMs.
         */
        public String asyncEvent()
        {
            return cpuClock && paranoid.orElse(3) <= 1 ? "cpu" : "ctimer";
        }

        public String describe()
        {
            return String.format(Locale.ROOT, "perf events: cycles %s, cpu-clock %s, perf_event_paranoid=%s%s",
                cycles ? "yes" : "no", cpuClock ? "yes" : "no", paranoid.map(String::valueOf).orElse("?"),
                detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    private PerfEvents()
    {
    }

    @SuppressWarnings("restricted")
    public static Probe probe()
    {
        final Optional<Integer> paranoid = readParanoid();
        final long nr = syscallNumber();
        if (nr < 0 || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"))
        {
            return new Probe(false, false, paranoid, "not Linux x86_64/aarch64");
        }
        try
        {
            final Linker linker = Linker.nativeLinker();
            final StructLayout capture = Linker.Option.captureStateLayout();
            final VarHandle errnoHandle = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
            final MethodHandle syscall = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
            final MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment state = arena.allocate(capture);
                final StringBuilder why = new StringBuilder();
                final boolean cycles = open(syscall, close, arena, state, errnoHandle, nr, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, "cycles", why);
                final boolean clock = open(syscall, close, arena, state, errnoHandle, nr, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, "cpu-clock", why);
                return new Probe(cycles, clock, paranoid, why.toString());
            }
        }
        catch (final Throwable t)
        {
            return new Probe(false, false, paranoid, "probe failed: " + t);
        }
    }

    private static boolean open(final MethodHandle syscall, final MethodHandle close, final Arena arena, final MemorySegment state,
        final VarHandle errnoHandle, final long nr, final int type, final long config, final String name, final StringBuilder why) throws Throwable
    {
        final MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
        attr.set(ValueLayout.JAVA_INT, 0, type);
        attr.set(ValueLayout.JAVA_INT, 4, ATTR_SIZE);
        attr.set(ValueLayout.JAVA_LONG, 8, config);
        attr.set(ValueLayout.JAVA_LONG, 40, ATTR_FLAGS);
        // perf_event_open(attr, pid = 0 (this thread), cpu = -1 (any), group_fd = -1, flags = 0);
        // glibc's syscall() reads every argument as a long, so all are passed as longs.
        final long fd = (long)syscall.invokeExact(state, nr, attr, 0L, -1L, -1L, 0L);
        if (fd >= 0)
        {
            final int ignored = (int)close.invokeExact((int)fd);
            return true;
        }
        final int errno = (int)errnoHandle.get(state, 0L);
        why.append(why.isEmpty() ? "" : ", ").append(name).append(": errno ").append(errno).append(errnoName(errno));
        return false;
    }

    private static String errnoName(final int errno)
    {
        return switch (errno)
        {
            case 1 -> " EPERM";
            case 2 -> " ENOENT (no such event: no PMU)";
            case 13 -> " EACCES (perf_event_paranoid)";
            case 19 -> " ENODEV";
            case 38 -> " ENOSYS (blocked by seccomp?)";
            case 95 -> " EOPNOTSUPP";
            default -> "";
        };
    }

    private static long syscallNumber()
    {
        return switch (System.getProperty("os.arch", ""))
        {
            case "amd64", "x86_64" -> 298;
            case "aarch64", "arm64" -> 241;
            default -> -1;
        };
    }

    private static Optional<Integer> readParanoid()
    {
        try
        {
            return Optional.of(Integer.parseInt(Files.readString(Path.of("/proc/sys/kernel/perf_event_paranoid")).trim()));
        }
        catch (final IOException | NumberFormatException | SecurityException e)
        {
            return Optional.empty();
        }
    }
}
