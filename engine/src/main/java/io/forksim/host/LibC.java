package io.forksim.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;

/**
 * The C library calls {@code forksim kernel} makes on the host, as FFM downcalls (no native library of forksim's own):
 * {@code mmap}, {@code munmap}, {@code madvise}, {@code mprotect}, {@code fork}, {@code waitpid}, {@code _exit},
 * {@code kill} (and {@code abs}, {@code sleep}: see {@link #forkChild}). Calls that can fail capture {@code errno}, and a failure throws
 * {@link HostException} naming the call, its arguments and the errno.
 *
 * <p>{@code fork}, {@code _exit}, {@code abs} and {@code sleep} are linked with {@code Linker.Option.critical(false)}: such a
 * downcall makes no thread-state transition and no safepoint poll, so the child (a copy of the JVM with only the
 * calling thread) goes from {@code fork}'s return to {@code _exit(0)} without waiting for JVM threads that exist
 * only in the parent. {@link #forkChild} is the only code the child runs.
 *
 * <p>The constants are Linux's generic values, the same on x86_64 and arm64.
 */
public final class LibC
{
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_DONTFORK = 10;
    public static final int MADV_DOFORK = 11;
    public static final int MADV_HUGEPAGE = 14;
    public static final int MADV_NOHUGEPAGE = 15;
    public static final int WNOHANG = 1;
    public static final int SIGKILL = 9;
    public static final int ECHILD = 10;

    /** What the child does after {@code fork}: {@code _exit(0)}, or (tests of the reaping path only) sleep 11 days. */
    public enum ChildAction
    {
        EXIT,
        HANG
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");

    private static final MethodHandle MMAP = errnoCall("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = errnoCall("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
        ValueLayout.JAVA_LONG));
    private static final MethodHandle MADVISE = errnoCall("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MPROTECT = errnoCall("mprotect", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle WAITPID = errnoCall("waitpid", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
        ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle KILL = errnoCall("kill", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT));
    private static final MethodHandle FORK = criticalCall("fork", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    /*
     * After fork, parent and child make the same call, through one call site and one (int)int descriptor: abs(0) in
     * the parent, _exit(0) in the child (sleep(1000000) for HANG). The parent's calls link that call site and its
     * lambda forms, so the child finds them linked: a call site first executed in the child would resolve and spin
     * classes there, and wait forever on a lock whose owner exists only in the parent. (_exit never returns; declaring
     * it int-returning changes nothing in the call.)
     */
    private static final FunctionDescriptor INT_INT = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final MethodHandle EXIT = criticalCall("_exit", INT_INT);
    private static final MethodHandle SLEEP = criticalCall("sleep", INT_INT);
    private static final MethodHandle ABS = criticalCall("abs", INT_INT);

    private LibC()
    {
    }

    /** Null when every call resolves (a Linux C library); otherwise the one line that says which symbol is missing. */
    public static String unavailableReason()
    {
        if (MMAP == null || MUNMAP == null || MADVISE == null || MPROTECT == null || WAITPID == null || KILL == null
            || FORK == null || EXIT == null || SLEEP == null || ABS == null)
        {
            return "this host's C library has no fork/waitpid/mmap/madvise/mprotect/kill/_exit (os.name "
                + System.getProperty("os.name") + ")";
        }
        return null;
    }

    private static MethodHandle errnoCall(final String name, final FunctionDescriptor fd)
    {
        final Optional<MemorySegment> s = LINKER.defaultLookup().find(name);
        return s.map(a -> LINKER.downcallHandle(a, fd, ERRNO_OPT)).orElse(null);
    }

    private static MethodHandle criticalCall(final String name, final FunctionDescriptor fd)
    {
        final Optional<MemorySegment> s = LINKER.defaultLookup().find(name);
        return s.map(a -> LINKER.downcallHandle(a, fd, Linker.Option.critical(false))).orElse(null);
    }

    private static void require(final MethodHandle h)
    {
        if (h == null)
        {
            throw new HostException(unavailableReason());
        }
    }

    /** An anonymous private mapping of {@code len} bytes, readable and writable, reserved without swap accounting. */
    public static MemorySegment mmapAnon(final long len)
    {
        require(MMAP);
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment st = a.allocate(CAPTURE);
            final MemorySegment p = (MemorySegment)MMAP.invokeExact(st, MemorySegment.NULL, len, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (p.address() == -1L)
            {
                throw new HostException("mmap(" + len + " bytes, anonymous private) failed: errno " + (int)ERRNO.get(st, 0L));
            }
            return p.reinterpret(len);
        }
        catch (final HostException e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new HostException("mmap: " + t);
        }
    }

    public static void munmap(final long addr, final long len)
    {
        intCall(MUNMAP, "munmap", addr, len, Integer.MIN_VALUE);
    }

    public static void madvise(final long addr, final long len, final int advice)
    {
        intCall(MADVISE, "madvise", addr, len, advice);
    }

    public static void mprotect(final long addr, final long len, final int prot)
    {
        intCall(MPROTECT, "mprotect", addr, len, prot);
    }

    private static void intCall(final MethodHandle h, final String name, final long addr, final long len, final int arg)
    {
        require(h);
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment st = a.allocate(CAPTURE);
            final MemorySegment p = MemorySegment.ofAddress(addr);
            final int r = arg == Integer.MIN_VALUE ? (int)h.invokeExact(st, p, len) : (int)h.invokeExact(st, p, len, arg);
            if (r != 0)
            {
                throw new HostException(name + "(0x" + Long.toHexString(addr) + ", " + len + (arg == Integer.MIN_VALUE ? "" : ", " + arg)
                    + ") failed: errno " + (int)ERRNO.get(st, 0L));
            }
        }
        catch (final HostException e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new HostException(name + ": " + t);
        }
    }

    /**
     * {@code fork()}: in the child, {@code _exit(0)} at once ({@code sleep} instead for {@link ChildAction#HANG});
     * in the parent, the child's pid. Nothing else runs in the child: the one call after fork goes through a call
     * site the parent executes too (with {@code abs(0)}), so it is linked before the child exists.
     *
     * @throws HostException when fork fails (returns -1)
     */
    public static int forkChild(final ChildAction action)
    {
        final int pid;
        try
        {
            pid = (int)FORK.invokeExact();
        }
        catch (final Throwable t)
        {
            throw new HostException("fork: " + t);
        }
        afterFork(pid, action);
        if (pid < 0)
        {
            throw new HostException("fork() failed (returned " + pid + ")");
        }
        return pid;
    }

    /**
     * The one call both sides make after fork: {@code abs(0)} in the parent ({@code pid != 0}), {@code _exit(0)} (or
     * {@code sleep}) in the child. Called once from the static initializer, before any fork, so that its call site is
     * linked in every child.
     */
    private static void afterFork(final int pid, final ChildAction action)
    {
        final MethodHandle next = pid != 0 ? ABS : action == ChildAction.HANG ? SLEEP : EXIT;
        try
        {
            final int ignored = (int)next.invokeExact(pid != 0 || action != ChildAction.HANG ? 0 : 1_000_000);
        }
        catch (final Throwable t)
        {
            throw new HostException("abs: " + t);
        }
    }

    static
    {
        if (ABS != null)
        {
            afterFork(1, ChildAction.EXIT);
        }
    }

    /**
     * {@code waitpid(pid, NULL, WNOHANG)} (or blocking when {@code block}).
     *
     * @return the pid when the child was reaped, 0 when it is still running, -{@code errno} on failure
     */
    public static int waitpid(final int pid, final boolean block)
    {
        require(WAITPID);
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment st = a.allocate(CAPTURE);
            final int r = (int)WAITPID.invokeExact(st, pid, MemorySegment.NULL, block ? 0 : WNOHANG);
            return r >= 0 ? r : -(int)ERRNO.get(st, 0L);
        }
        catch (final Throwable t)
        {
            throw new HostException("waitpid: " + t);
        }
    }

    /** {@code kill(pid, sig)}: 0, or -{@code errno}. */
    public static int kill(final int pid, final int sig)
    {
        require(KILL);
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment st = a.allocate(CAPTURE);
            final int r = (int)KILL.invokeExact(st, pid, sig);
            return r == 0 ? 0 : -(int)ERRNO.get(st, 0L);
        }
        catch (final Throwable t)
        {
            throw new HostException("kill: " + t);
        }
    }
}
