package io.forksim.snapshot;

import io.forksim.arch.Arch;
import io.forksim.arch.ArchVariant;
import io.forksim.arch.PmdOps;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.SwapSpace;
import io.forksim.mm.Vma;
import io.forksim.mm.VmFlags;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.TableStore;
import io.forksim.pgtable.TransHugeDeposit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** Busy machines to snapshot, and a complete, comparable digest of a machine's state. */
final class SnapshotFixtures
{
    static final long PAGE = Arch.PAGE_SIZE;
    static final long MIB = 1L << 20;
    static final long A = 1L << 30;
    static final long B = 3L << 30;
    static final long C = 5L << 30;
    static final long D = 7L << 30;
    static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    private SnapshotFixtures()
    {
    }

    static Machine.Config config(final String arch, final boolean contpteBasic)
    {
        Machine.Config c = Machine.Config.of(arch, 64 * MIB).withSwap(16 * MIB);
        if (arch.equals("arm64"))
        {
            c = c.withArch(ArchVariant.of(arch, contpteBasic)).withTlbiRange(!contpteBasic);
        }
        return c;
    }

    static Strategy batched(final Machine m)
    {
        return Strategy.FOLIO_BATCH;
    }

    static Strategy legacy(final Machine m)
    {
        return m.config().arch().contpteBasic() ? Strategy.FOLIO_BATCH : Strategy.LEGACY;
    }

    /**
     * A machine with several processes: order-0, order-4 (CONT blocks on arm64) and order-9 anon memory, a shared file
     * mapping, a shared anonymous (shmem) mapping, a pin, swapped-out pages, a swap-cache page, forked children and
     * grandchildren with COW faults, and an exited child (free table slots, freed folios).
     */
    static Machine busy(final Machine.Config cfg)
    {
        final Machine m = new Machine(cfg);
        try
        {
            final SimFile f = m.createFile("data.bin", 64 * PAGE);
            final Mm p = m.newProcess();
            p.mmap(A, 4 * MIB, RW, false, null, 0);
            p.populate(A, 2 * MIB, 0);
            p.populate(A + 2 * MIB, 2 * MIB, 4);
            p.mmap(B, 2 * MIB, RW, false, null, 0);
            p.populate(B, 2 * MIB, 9);
            p.mmap(C, 64 * PAGE, RW, true, f, 0);
            p.populate(C, 32 * PAGE, 0);
            p.mmap(D, 16 * PAGE, RW, true, null, 0);
            p.populate(D, 16 * PAGE, 0);
            p.pin(A + 5 * PAGE);
            p.madvise(A + 100 * PAGE, 16 * PAGE, Advice.PAGEOUT);
            final Mm c1 = Fork.fork(p, batched(m));
            c1.write(A + 7 * PAGE, m.newToken());
            c1.write(A + 2 * MIB + 3 * PAGE, m.newToken());
            c1.write(B + 9 * PAGE, m.newToken());
            final Mm c2 = Fork.fork(c1, legacy(m));
            c2.read(A + 101 * PAGE);                 // swap-in: the slot stays referenced, the page is swap-cached
            c2.write(C + 3 * PAGE, m.newToken());
            final Mm dead = Fork.fork(p, batched(m));
            dead.write(A + 11 * PAGE, m.newToken());
            dead.exit();
            p.write(A + 12 * PAGE, m.newToken());
            return m;
        }
        catch (final RuntimeException | Error e)
        {
            m.close();
            throw e;
        }
    }

    /** Every piece of state of {@code m}, one fact per line (events excluded: they are not state). */
    static List<String> digest(final Machine m)
    {
        final List<String> out = new ArrayList<>();
        out.add("config " + m.config());
        out.add("counters " + m.counters());
        final PhysMem.State ps = m.phys().exportState();
        out.add("free heads " + Arrays.toString(ps.freeHead()) + " blocks " + Arrays.toString(ps.freeBlocks()) + " pages " + ps.freePages());
        out.add("records " + hex(m.memmap().records()));
        out.add("tokens " + hex(m.memmap().tokens()));
        out.add("pae " + hex(m.memmap().anonExclusive()));
        final TableStore ts = m.tableStore();
        out.add("tables highWater " + ts.highWater() + " inUse " + ts.slotsInUse() + " free " + Arrays.toString(ts.freeSlotStack()));
        final SwapSpace sw = m.swap();
        out.add("swap slots " + sw.slots() + " used " + sw.used() + " cursor " + sw.cursor() + " cached " + sw.cachedPages());
        out.add("swap counts " + hex(sw.countsSegment()));
        out.add("swap tokens " + hex(sw.tokensSegment()));
        out.add("swap cache " + hex(sw.cacheSegment()));
        for (long s = 1; s < sw.slots(); s++)
        {
            if (sw.cachePfn(s) >= 0)
            {
                out.add("swap cache slot " + s + " pfn " + sw.cachePfn(s) + " reverse " + sw.cacheSlotOf(sw.cachePfn(s)));
            }
        }
        for (final SimFile f : m.files())
        {
            out.add("file " + f.id() + " " + f.name() + " pages " + f.sizePages() + " shmem " + f.isShmem() + " cache " + f.pageCacheView());
        }
        for (final Mm p : m.processes())
        {
            out.add("mm#" + p.id() + " pgd " + p.pgd() + " pinned " + p.hasPinned() + " exited " + p.exited() + " rss "
                + p.rss(0) + "," + p.rss(1) + "," + p.rss(2) + "," + p.rss(3) + " pins " + p.pins());
            for (final Vma v : p.vmas())
            {
                out.add(String.format("  vma %x-%x flags %x file %s pgoff %d anon_vma %b prot %x", v.start(), v.end(), v.flags(),
                    v.file() == null ? "-" : v.file().id() + ":" + v.file().name(), v.pgoff(), v.hasAnonVma(), v.pageProt()));
            }
            tables(m, p.pgd(), 0, 0, out);
        }
        return out;
    }

    /**
     * Every non-zero entry of every table, with the table's PFN and slot (every PMD leaf and PTE word of the process),
     * and each PMD table's deposited PTE tables.
     */
    private static void tables(final Machine m, final long table, final int level, final long va, final List<String> out)
    {
        final PageTables pt = m.pageTables();
        out.add(String.format("  L%d table pfn %d slot %d", level, table, pt.tableSlot(table)));
        final MemorySegment seg = pt.segment(table);
        final long base = pt.base(table);
        final int shift = level == 0 ? PageTables.PGDIR_SHIFT : level == 1 ? PageTables.PUD_SHIFT
            : level == 2 ? PageTables.PMD_SHIFT : Arch.PAGE_SHIFT;
        for (int i = 0; i < 512; i++)
        {
            final long e = Arch.peek(seg, base, i);
            if (e == 0)
            {
                continue;
            }
            final long a = va | ((long)i << shift);
            out.add(String.format("  L%d %012x %016x", level, a, e));
            if (level < 2 || level == 2 && !PmdOps.of(m.arch()).pmdTransHuge(e))
            {
                tables(m, pt.lookup(table, i), level + 1, a, out);
            }
        }
        if (level == 2)
        {
            out.add("  L2 deposits " + Arrays.toString(TransHugeDeposit.list(m.memmap(), table)));
        }
    }

    private static String hex(final MemorySegment s)
    {
        final byte[] b = s.toArray(ValueLayout.JAVA_BYTE);
        return Integer.toHexString(Arrays.hashCode(b)) + ":" + b.length + ":" + HexFormat.of().formatHex(b, 0, Math.min(b.length, 64));
    }

    /** First differing line of two digests, or null. */
    static String diff(final List<String> a, final List<String> b)
    {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++)
        {
            if (!a.get(i).equals(b.get(i)))
            {
                return "line " + i + ":\n  expected: " + cut(a.get(i)) + "\n  actual:   " + cut(b.get(i));
            }
        }
        return a.size() == b.size() ? null : "digest sizes " + a.size() + " vs " + b.size();
    }

    private static String cut(final String s)
    {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
