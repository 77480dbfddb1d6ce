package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.arch.Arm64;
import io.forksim.arch.X86_64;
import io.forksim.mem.MemMap;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.TableStore;
import io.forksim.stats.Events;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * One simulated machine: an arch, simulated RAM (memmap + buddy), page-table storage, a swap device,
 * files with page caches, and the processes ({@link Mm}) living on it.
 *
 * <p>Single-threaded unless stated otherwise: operations on one machine must not run concurrently
 * except through the fork-tree workload, which serialises allocator and page-table access itself.
 */
public final class Machine implements AutoCloseable
{
    /** Machine configuration. */
    public record Config(String arch, long ramBytes, long swapBytes, boolean tlbiRange, boolean contpteBasic)
    {
        public static final long DEFAULT_RAM = 4L << 30;

        public Config
        {
            arch = arch.toLowerCase(Locale.ROOT);
            if (!arch.equals("x86_64") && !arch.equals("arm64"))
            {
                throw new IllegalArgumentException("unknown arch: " + arch + " (expected x86_64 or arm64)");
            }
            if (ramBytes < (1L << 22) || ramBytes % Arch.PAGE_SIZE != 0 || ramBytes > (1L << 43))
            {
                throw new IllegalArgumentException("simulated RAM must be a multiple of 4 KiB between 4 MiB and 8 TiB: ramBytes=" + ramBytes);
            }
            if (swapBytes < 0 || swapBytes % Arch.PAGE_SIZE != 0 || swapBytes > (1L << 43))
            {
                throw new IllegalArgumentException("swap must be a multiple of 4 KiB up to 8 TiB: swapBytes=" + swapBytes);
            }
            if (contpteBasic && !arch.equals("arm64"))
            {
                throw new IllegalArgumentException("contpte-basic exists only on arm64, not on " + arch);
            }
        }

        public static Config of(final String arch, final long ramBytes)
        {
            return new Config(arch, ramBytes, Math.min(ramBytes, 1L << 30), true, false);
        }

        public Config withSwap(final long bytes) { return new Config(arch, ramBytes, bytes, tlbiRange, contpteBasic); }
        public Config withTlbiRange(final boolean on) { return new Config(arch, ramBytes, swapBytes, on, contpteBasic); }
        public Config withContpteBasic(final boolean on) { return new Config(arch, ramBytes, swapBytes, tlbiRange, on); }
    }

    private final Config config;
    private final Arch arch;
    private final MemMap memmap;
    private final PhysMem phys;
    private final TableStore tableStore;
    private final PageTables pageTables;
    private final SwapSpace swap;
    private final Events events = new Events();
    private final List<Mm> processes = new ArrayList<>();
    private final List<SimFile> files = new ArrayList<>();
    private int nextMmId = 1;
    private long nextToken = 1;
    private int nextFileId;
    private int nextShmemId;

    public Machine(final Config config)
    {
        this.config = config;
        this.arch = config.arch().equals("x86_64") ? X86_64.INSTANCE : new Arm64(config.tlbiRange(), config.contpteBasic());
        this.memmap = new MemMap(config.ramBytes() >>> Arch.PAGE_SHIFT);
        this.phys = new PhysMem(memmap);
        if (arch instanceof Arm64 a)
        {
            a.setMemMap(memmap);   // contpte_try_fold needs folio bounds
        }
        this.tableStore = new TableStore();
        this.pageTables = new PageTables(arch, memmap, phys, tableStore);
        this.swap = new SwapSpace(Math.max(2, config.swapBytes() >>> Arch.PAGE_SHIFT));
    }

    public Config config() { return config; }
    public Arch arch() { return arch; }
    public MemMap memmap() { return memmap; }
    public PhysMem phys() { return phys; }
    public PageTables pageTables() { return pageTables; }
    public TableStore tableStore() { return tableStore; }
    public SwapSpace swap() { return swap; }

    /** Cumulative events of everything this machine did on the owning thread. */
    public Events events() { return events; }

    public List<Mm> processes() { return Collections.unmodifiableList(processes); }
    /** The files (regular and shmem) that exist, a snapshot list. */
    public List<SimFile> files() { return List.copyOf(files); }

    /** A fresh content token (what a user write stores). */
    public long newToken()
    {
        return nextToken++;
    }

    /** A new, empty process (exec'd with no mappings). */
    public Mm newProcess()
    {
        final long pgd = pageTables.allocTable(events);
        if (pgd < 0)
        {
            throw new io.forksim.mem.OutOfSimulatedMemoryException(0, phys.freePageCount());
        }
        final Mm mm = new Mm(this, allocMmId(), pgd);
        processes.add(mm);
        return mm;
    }

    int allocMmId()
    {
        // MM IDs are 16-bit in the memmap's packed _mm_ids; reuse freed ones.
        for (int tries = 0; tries < 65535; tries++)
        {
            final int id = nextMmId;
            nextMmId = nextMmId == 65535 ? 1 : nextMmId + 1;
            boolean used = false;
            for (final Mm mm : processes)
            {
                if (mm.id() == id)
                {
                    used = true;
                    break;
                }
            }
            if (!used)
            {
                return id;
            }
        }
        throw new IllegalStateException("more than 65535 live processes");
    }

    void register(final Mm mm)
    {
        processes.add(mm);
    }

    void unregister(final Mm mm)
    {
        processes.remove(mm);
    }

    /** Creates a file of {@code sizeBytes} (page multiple) whose page cache starts empty. */
    public SimFile createFile(final String name, final long sizeBytes)
    {
        if (sizeBytes <= 0 || sizeBytes % Arch.PAGE_SIZE != 0)
        {
            throw new IllegalArgumentException("file size must be a positive multiple of 4 KiB: sizeBytes=" + sizeBytes);
        }
        final SimFile f = new SimFile(name, nextFileId++, sizeBytes >>> Arch.PAGE_SHIFT, false);
        files.add(f);
        return f;
    }

    /**
     * The shmem file behind a shared anonymous mapping ({@code shmem_zero_setup}): swap-backed page cache,
     * pages start zeroed. It lives until the last VMA mapping it goes away.
     */
    SimFile createShmemFile(final long sizeBytes)
    {
        final SimFile f = new SimFile("dev/zero." + nextShmemId++ + " (deleted)", nextFileId++, sizeBytes >>> Arch.PAGE_SHIFT, true);
        files.add(f);
        return f;
    }

    /** Whether a live process maps {@code file}. */
    boolean isMapped(final SimFile file)
    {
        for (final Mm mm : processes)
        {
            for (final Vma v : mm.vmas.values())
            {
                if (v.file == file)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Drops a file: truncates its page cache (each cached folio loses the cache's reference and goes back to
     * the buddy allocator unless something else, e.g. a pin, still holds it) and forgets the file.
     *
     * @throws IllegalArgumentException if the file does not belong to this machine or a live process maps it
     */
    public void dropFile(final SimFile file)
    {
        if (!files.contains(file))
        {
            throw new IllegalArgumentException("file " + file.name() + " is not a file of this machine (already dropped?)");
        }
        if (isMapped(file))
        {
            throw new IllegalArgumentException("file " + file.name() + " is still mapped by a live process");
        }
        Folios.truncate(this, file);
        files.remove(file);
    }

    /** Drops the shmem files of shared anonymous mappings that no live process maps any more. */
    void dropUnmappedShmem(final Iterable<Vma> removed)
    {
        for (final Vma v : removed)
        {
            if (v.file != null && v.file.isShmem() && files.contains(v.file) && !isMapped(v.file))
            {
                Folios.truncate(this, v.file);
                files.remove(v.file);
            }
        }
    }

    /** Off-heap bytes held by the machine's state (memmap, table storage, swap map). */
    public long offHeapBytes()
    {
        return memmap.records().byteSize() + memmap.tokens().byteSize() + memmap.anonExclusive().byteSize()
            + tableStore.reservedBytes() + swap.offHeapBytes();
    }

    @Override
    public void close()
    {
        memmap.close();
        tableStore.close();
        swap.close();
    }
}
