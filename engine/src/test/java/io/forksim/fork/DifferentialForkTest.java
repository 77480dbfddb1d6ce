package io.forksim.fork;

import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.VmFlags;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random layouts (mixed folio orders, partial VMAs, mprotect holes, swap entries, pinned pages, DONTFORK
 * and WIPEONFORK ranges, shared and file mappings) built identically on one machine per strategy, forked,
 * and compared: parent and child page tables and the whole memmap must be bit-identical across strategies
 * (on arm64, legacy differs from the batched strategies only in CONT bits, which it unfolds).
 */
class DifferentialForkTest
{
    static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;
    static final long BASE = 1L << 40;

    static Stream<Arguments> seeds()
    {
        final List<Arguments> out = new ArrayList<>();
        for (final String arch : new String[] {"x86_64", "arm64"})
        {
            for (int seed = 1; seed <= 12; seed++)
            {
                out.add(Arguments.of(arch, seed));
            }
        }
        return out.stream();
    }

    /** A random workload as a replayable script. */
    static Consumer<Mm> layout(final long seed)
    {
        return mm ->
        {
            final Random rnd = new Random(seed);
            final Machine m = mm.machine();
            long addr = BASE;
            final int regions = 3 + rnd.nextInt(4);
            for (int r = 0; r < regions; r++)
            {
                final int order = new int[] {0, 0, 2, 4, 4, 9}[rnd.nextInt(6)];
                final long folio = 4096L << order;
                final long len = folio * (1 + rnd.nextInt(order == 9 ? 3 : 40));
                addr = (addr + folio - 1) & -folio;
                final int kind = rnd.nextInt(6);
                if (kind == 0)
                {
                    // shared anonymous memory: only copied if the VMA needs it (it does not: no anon_vma)
                    mm.mmap(addr, len, RW, true, null, 0);
                    mm.populate(addr, len, 0);
                }
                else if (kind == 1)
                {
                    // a private file mapping: read-faulted page cache pages plus some COWed anon pages
                    final SimFile f = m.createFile("f" + r, len);
                    mm.mmap(addr, len, RW, false, f, 0);
                    for (long p = addr; p < addr + len; p += 4096)
                    {
                        if (rnd.nextInt(3) == 0)
                        {
                            mm.read(p);
                        }
                        else if (rnd.nextInt(3) == 0)
                        {
                            mm.write(p, m.newToken());
                        }
                    }
                }
                else
                {
                    mm.mmap(addr, len, RW, false, null, 0);
                    mm.populate(addr, len, order);
                    final long pages = len >>> 12;
                    if (rnd.nextInt(3) == 0 && pages > 4)
                    {
                        final long off = rnd.nextLong(pages - 2) * 4096;
                        mm.mprotect(addr + off, 4096 * (1 + rnd.nextInt(2)), VmFlags.VM_READ);
                    }
                    if (rnd.nextInt(3) == 0 && pages > 4)
                    {
                        final long off = rnd.nextLong(pages - 2) * 4096;
                        mm.madvise(addr + off, 4096, Advice.PAGEOUT);
                    }
                    if (rnd.nextInt(3) == 0 && pages > 4)
                    {
                        final long off = rnd.nextLong(pages - 2) * 4096;
                        mm.madvise(addr + off, 4096, Advice.DONTNEED);
                    }
                    if (rnd.nextInt(4) == 0 && pages > 4)
                    {
                        final long off = rnd.nextLong(pages - 2) * 4096;
                        mm.madvise(addr + off, 8192, rnd.nextBoolean() ? Advice.DONTFORK : Advice.WIPEONFORK);
                    }
                    if (rnd.nextInt(3) == 0)
                    {
                        final long off = rnd.nextLong(pages) * 4096;
                        if (mm.findVma(addr + off) != null && (mm.findVma(addr + off).flags() & VmFlags.VM_WRITE) != 0)
                        {
                            mm.pin(addr + off);
                        }
                    }
                    if (rnd.nextInt(4) == 0)
                    {
                        // a read-only fault on fresh memory maps the shared zero page (special PTE)
                        final long z = addr + len;
                        mm.mmap(z, 8192, RW, false, null, 0);
                        mm.read(z);
                        addr += 8192;
                    }
                }
                addr += len + (rnd.nextBoolean() ? 0 : (2L << 20));
            }
        };
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("seeds")
    void everyStrategyProducesTheSameParentChildAndFolioMetadata(final String arch, final long seed)
    {
        final Consumer<Mm> script = layout(seed);
        final MachineImage legacy = forkWith(arch, seed, Strategy.LEGACY, script);
        final MachineImage archBatch = forkWith(arch, seed, Strategy.ARCH_BATCH, script);
        final MachineImage folioBatch = forkWith(arch, seed, Strategy.FOLIO_BATCH, script);
        assertThat(archBatch.diff(folioBatch)).as("arch-batch vs folio-batch").isEmpty();
        if (arch.equals("arm64"))
        {
            assertThat(legacy.diff("legacy vs arch-batch, CONT masked:", archBatch, true)).isEmpty();
        }
        else
        {
            assertThat(legacy.diff(folioBatch)).as("legacy vs folio-batch").isEmpty();
        }
    }

    /** The whole machine, every PFN included, after the script built the parent and one fork with {@code s}. */
    static MachineImage forkWith(final String arch, final long seed, final Strategy s, final Consumer<Mm> script)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 256L << 20)))
        {
            final Mm parent = m.newProcess();
            script.accept(parent);
            InvariantChecker.check(m);
            Fork.fork(parent, s);
            InvariantChecker.check(m);
            return MachineImage.ofEveryPage(m);
        }
    }
}
