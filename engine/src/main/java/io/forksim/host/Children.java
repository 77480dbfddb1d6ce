package io.forksim.host;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The forked children of this JVM, each reaped with a timeout: a child still alive {@link #timeoutNs} after its fork
 * is killed with SIGKILL, reaped, and counted in {@link #killed()} (its sample is dropped by the caller). A shutdown
 * hook kills and reaps every child still outstanding, so no zombie or orphan outlives the JVM on an error or Ctrl-C.
 *
 * <p>A fork of a JVM can leave a child that never reaches {@code _exit}: the child has only the thread that called
 * fork, and a safepoint or lock requested in the parent at that moment is never released in the child (it then waits
 * on a futex forever). That is what the timeout is for.
 */
public final class Children implements AutoCloseable
{
    /** The default timeout: a second. */
    public static final long DEFAULT_TIMEOUT_NS = 1_000_000_000L;
    /** How long a SIGKILLed child may take to die before reaping is given up as an error. */
    private static final long KILL_GRACE_NS = 10_000_000_000L;

    private final long timeoutNs;
    private final Set<Integer> outstanding = ConcurrentHashMap.newKeySet();
    private final Thread hook;
    private long killed;
    private volatile boolean stopping;

    /** @param timeoutNs how long a child may live before it is killed; {@code > 0} */
    public Children(final long timeoutNs)
    {
        if (timeoutNs <= 0)
        {
            throw new IllegalArgumentException("timeout must be > 0 ns: " + timeoutNs);
        }
        this.timeoutNs = timeoutNs;
        this.hook = new Thread(this::killAll, "forksim-children-reaper");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Children killed after the timeout so far. */
    public long killed()
    {
        return killed;
    }

    /** Children forked and not yet reaped. */
    public int outstanding()
    {
        return outstanding.size();
    }

    /**
     * Forks a child that does {@code action} and registers it before anything else can fail.
     *
     * @return the child's pid
     */
    public int fork(final LibC.ChildAction action)
    {
        if (stopping)
        {
            throw new HostException("not forking: this JVM is shutting down");
        }
        final int pid = LibC.forkChild(action);
        outstanding.add(pid);
        if (stopping)
        {
            // the shutdown hook may have taken its snapshot before this child was registered
            killAndReap(pid);
            throw new HostException("not forking: this JVM is shutting down");
        }
        return pid;
    }

    /**
     * Waits for child {@code pid} (polling {@code waitpid(WNOHANG)}) until it exits or the timeout since now passes;
     * then kills it with SIGKILL and reaps it.
     *
     * <p>Precondition: {@code pid} came from {@link #fork} and was not reaped yet.
     *
     * @return true when the child exited by itself, false when it was killed (its sample is to be dropped)
     * @throws HostException when waitpid fails or a killed child does not die
     */
    public boolean reap(final int pid)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        long park = 10_000;
        while (true)
        {
            final int r = LibC.waitpid(pid, false);
            if (r == pid)
            {
                outstanding.remove(pid);
                return true;
            }
            if (r < 0)
            {
                outstanding.remove(pid);
                throw new HostException("waitpid(" + pid + ") failed: errno " + -r);
            }
            if (System.nanoTime() - deadline > 0)
            {
                killAndReap(pid);
                killed++;
                return false;
            }
            LockSupport.parkNanos(park);
            park = Math.min(park * 2, 1_000_000);
        }
    }

    private void killAndReap(final int pid)
    {
        LibC.kill(pid, LibC.SIGKILL);
        final long deadline = System.nanoTime() + KILL_GRACE_NS;
        while (true)
        {
            final int r = LibC.waitpid(pid, false);
            if (r == pid || r == -LibC.ECHILD)
            {
                outstanding.remove(pid);
                return;
            }
            if (r < 0 || System.nanoTime() - deadline > 0)
            {
                throw new HostException("child " + pid + " did not die within 10 s of SIGKILL"
                    + (r < 0 ? " (waitpid errno " + -r + ")" : ""));
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Kills and reaps every outstanding child (the shutdown hook and {@link #close} call it). */
    public void killAll()
    {
        stopping = true;
        for (final Integer pid : Set.copyOf(outstanding))
        {
            try
            {
                killAndReap(pid);
            }
            catch (final HostException e)
            {
                System.err.println("forksim: " + e.getMessage());
            }
        }
    }

    @Override
    public void close()
    {
        killAll();
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException e)
        {
            // the JVM is shutting down: the hook runs anyway
        }
    }
}
