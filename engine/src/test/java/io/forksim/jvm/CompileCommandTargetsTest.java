package io.forksim.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The JVM flags force-inline hot methods by name ({@code -XX:CompileCommand=inline,pkg.Class::method}), keep a few
 * loops out of line ({@code -XX:CompileCommand=dontinline,pkg.Class::method}) and run with
 * {@code CompileCommand=quiet}, so the JVM never says when a target does not exist. Every target must name a class
 * and a method of it that exist: a rename or a move fails here instead of silently dropping the command.
 */
class CompileCommandTargetsTest
{
    private static final String INLINE = "-XX:CompileCommand=inline,";
    private static final String DONTINLINE = "-XX:CompileCommand=dontinline,";

    private static List<String> inlineTargets() throws IOException
    {
        return targets(INLINE);
    }

    private static List<String> dontinlineTargets() throws IOException
    {
        return targets(DONTINLINE);
    }

    /** The {@code Class::method} targets of the flags that start with {@code prefix}. */
    private static List<String> targets(final String prefix) throws IOException
    {
        try (InputStream in = CompileCommandTargetsTest.class.getClassLoader().getResourceAsStream("forksim-jvm.flags"))
        {
            assertThat(in).as("forksim-jvm.flags on the classpath").isNotNull();
            final String flags = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            final List<String> out = new ArrayList<>();
            for (final String f : flags.trim().split("\\s+"))
            {
                if (f.startsWith(prefix))
                {
                    out.add(f.substring(prefix.length()));
                }
            }
            return out;
        }
    }

    @Test
    void theFlagsForceInlineTheHotAccessorsAndTheCopyLoopForms() throws IOException
    {
        assertThat(inlineTargets()).contains("io.forksim.arch.Arch::loadRaw", "io.forksim.arch.Arch::storeRaw",
            "io.forksim.mem.MemMap::refAdd", "io.forksim.mem.MemMap::refAndMapcountAdd",
            "io.forksim.mem.MemMap::clearAnonExclusive", "io.forksim.fork.CopyContext::dupAnonPte0",
            "io.forksim.fork.CopyContext::copySinglePte", "io.forksim.fork.CopyContext::copySinglePteFull",
            "io.forksim.arch.Contpte::contpteTryFold", "io.forksim.arch.Contpte::contpteFoldPending",
            "io.forksim.arch.Contpte::folioTooSmall",
            "io.forksim.pte.Arm64Pte::ptePfn");
    }

    /**
     * FusedPteBatch's chunk copy is compiled alone first (its own loop) and, left to C2, is then too big to inline
     * into FusedPteBatch.copy: the flags inline it by name, so the long-batch path has one compiled shape.
     */
    @Test
    void theFlagsForceInlineTheFusedBatchChunkCopy() throws IOException
    {
        assertThat(inlineTargets()).contains("io.forksim.arch.Staging::copyRampChunk");
    }

    /**
     * The fused large-folio copy is too big for C2 to inline into copy_present_ptes on its own: the flags inline it
     * by name, so an order-4 fork pays no call per 16-entry batch.
     */
    @Test
    void theFlagsForceInlineTheFusedBatchCopy() throws IOException
    {
        assertThat(inlineTargets()).contains("io.forksim.fork.FusedPteBatch::copy");
    }

    /**
     * arm64's batched {@code __copy_present_ptes} loops (contpte_wrprotect_ptes' write-protect, contpte_set_ptes'
     * stores, and the one pass that does both for whole contpte blocks) stay out of line: inlined into the big
     * copyPresentPtes, their register allocation depended on the JVM's profile, and so did arm64 order-4
     * folio-batch's fork time, for the JVM's life.
     */
    @Test
    void theFlagsKeepTheArm64BatchLoopsOutOfLine() throws IOException
    {
        assertThat(dontinlineTargets()).contains("io.forksim.arch.Staging::wrprotectRaw",
            "io.forksim.arch.Contpte::contpteSetPtes", "io.forksim.arch.Contpte::copyWholeBlocks");
        assertThat(inlineTargets()).doesNotContainAnyElementsOf(dontinlineTargets());
    }

    /**
     * The order-0 anon run loop that every strategy calls is compiled once, out of line: inlined into each strategy's
     * loop, the three copies of the same instructions ran 1-3% apart (timing.md, "Order-0: the strategies against each
     * other").
     */
    @Test
    void theFlagsKeepTheSharedOrder0RunLoopOutOfLine() throws IOException
    {
        assertThat(dontinlineTargets()).contains("io.forksim.fork.CopyContext::copyAnonRun0");
        assertThat(inlineTargets()).doesNotContain("io.forksim.fork.CopyContext::copyAnonRun0");
    }

    /**
     * The loop over a run of large anon folio batches is compiled alone, so that C2 keeps the VMA's invariants in
     * registers across batches, with its per-batch metadata update inside it and its per-entry pass alone again (timing.md, "Order-4 on x86_64 against the
     * batched floor").
     */
    @Test
    void theFlagsKeepTheLargeAnonRunLoopOutOfLineWithItsMetadataUpdateInside() throws IOException
    {
        assertThat(dontinlineTargets()).contains("io.forksim.fork.LargeAnonRun::copy", "io.forksim.fork.RampCopy::copy");
        assertThat(inlineTargets()).doesNotContain("io.forksim.fork.LargeAnonRun::copy", "io.forksim.fork.RampCopy::copy");
        assertThat(inlineTargets()).contains("io.forksim.mem.LargeAnonDup::dupAnonBatchPlain");
    }

    @Test
    void everyTargetIsAnExistingMethod() throws IOException
    {
        final List<String> missing = new ArrayList<>();
        final List<String> all = new ArrayList<>(inlineTargets());
        all.addAll(dontinlineTargets());
        for (final String target : all)
        {
            final int sep = target.indexOf("::");
            if (sep < 0)
            {
                missing.add(target + " (not Class::method)");
                continue;
            }
            final String cls = target.substring(0, sep);
            final String method = target.substring(sep + 2);
            try
            {
                final Method[] ms = Class.forName(cls, false, getClass().getClassLoader()).getDeclaredMethods();
                if (Arrays.stream(ms).noneMatch(m -> m.getName().equals(method)))
                {
                    missing.add(target + " (no method " + method + " in " + cls + ")");
                }
            }
            catch (final ClassNotFoundException e)
            {
                missing.add(target + " (no class " + cls + ")");
            }
        }
        assertThat(missing).as("CompileCommand=inline/dontinline targets that do not exist").isEmpty();
    }
}
