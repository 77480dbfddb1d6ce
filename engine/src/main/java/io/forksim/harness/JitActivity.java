package io.forksim.harness;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Whether the JIT compiled anything lately: the warm-up's second stopping condition. The window test of
 * {@link SteadyState} compares fork times, and a pending C2 compilation does not show in them: until the compiled code
 * is installed, windows of C1 code are as steady as windows of C2 code (timing.md: an order-9 folio-batch warm-up
 * ended on steady windows of 11-12 ms forks, and the timed runs ran at 0.42-0.46 ms once C2's code had landed). A
 * warm-up round counts as steady only if the JVM's compiler threads spent no time compiling while it ran
 * ({@link CompilationMXBean#getTotalCompilationTime}, in milliseconds, all compiler threads).
 */
final class JitActivity
{
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private JitActivity()
    {
    }

    /**
     * The JVM's total compilation time so far, in ms; -1 when the JVM does not report it (then every round counts as
     * quiet).
     */
    static long compileMillis()
    {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : -1;
    }

    /** Whether no compilation time was added since {@code before} (a value of {@link #compileMillis}). */
    static boolean quietSince(final long before)
    {
        return compileMillis() == before;
    }
}
