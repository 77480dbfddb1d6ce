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
 * The JVM flags force-inline hot methods by name ({@code -XX:CompileCommand=inline,pkg.Class::method}) and run with
 * {@code CompileCommand=quiet}, so the JVM never says when a target does not exist. Every target must name a class
 * and a method of it that exist: a rename or a move fails here instead of silently dropping the inlining.
 */
class CompileCommandTargetsTest
{
    private static final String PREFIX = "-XX:CompileCommand=inline,";

    private static List<String> inlineTargets() throws IOException
    {
        try (InputStream in = CompileCommandTargetsTest.class.getClassLoader().getResourceAsStream("forksim-jvm.flags"))
        {
            assertThat(in).as("forksim-jvm.flags on the classpath").isNotNull();
            final String flags = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            final List<String> out = new ArrayList<>();
            for (final String f : flags.trim().split("\\s+"))
            {
                if (f.startsWith(PREFIX))
                {
                    out.add(f.substring(PREFIX.length()));
                }
            }
            return out;
        }
    }

    @Test
    void theFlagsForceInlineTheHotAccessorsAndTheCopyLoopForms() throws IOException
    {
        assertThat(inlineTargets()).contains("io.forksim.arch.Arch::loadRaw", "io.forksim.arch.Arch::storeRaw",
            "io.forksim.mem.MemMap::refAdd", "io.forksim.fork.CopyContext::dupAnonPte0",
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

    @Test
    void everyInlineTargetIsAnExistingMethod() throws IOException
    {
        final List<String> missing = new ArrayList<>();
        for (final String target : inlineTargets())
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
        assertThat(missing).as("CompileCommand=inline targets that do not exist").isEmpty();
    }
}
