package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.arch.ArchVariant;
import io.forksim.mem.MemMap;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.TableStore;
import io.forksim.stats.Events;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One simulated machine: an arch, simulated RAM (memmap + buddy), page-table storage, a swap device,
 * files with page caches, and the processes ({@link Mm}) living on it.
 *
 * <p>Single-threaded unless built with {@link Config#concurrent()}. A concurrent machine may be driven by
 * several threads at once, one thread per process at a time (each {@link Mm} is used by one thread at a
 * time: the caller's {@code mmap_lock}); what processes share is made thread-safe: the memmap updates atomically
 * ({@link MemMap#atomic()}), the allocator, table storage and swap device take their own leaf locks, page
 * tables have split PTLs ({@link PageTables#ptl()}), page caches lock per file, and this class guards its
 * process list, MM-ID allocation and file list with one lock. {@link #events()} is then per thread; sum the
 * threads' counts with {@link #eventsTotal()} at quiescence. See {@code io.forksim.harness.ForkTree} for the
 * whole locking model.
 */
public final class Machine implements AutoCloseable
{
    /**
     * Machine configuration.
     *
     * @param arch       the arch and its variant
     * @param tlbiRange  FEAT_TLBIRANGE (arm64 only; ignored on x86_64)
     * @param concurrent see {@link #withConcurrent}
     * @param hugePages  the engine's large off-heap arenas (memmap, table store) ask the host for transparent huge
     *                   pages ({@code io.forksim.mem.OffHeapArena}); default true, false for comparison
     */
    public record Config(ArchVariant arch, long ramBytes, long swapBytes, boolean tlbiRange, boolean concurrent,
        boolean hugePages)
    {
        public static final long DEFAULT_RAM = 4L << 30;

        /** A single-threaded machine ({@code concurrent = false}) on huge pages. */
        public Config(final ArchVariant arch, final long ramBytes, final long swapBytes, final boolean tlbiRange)
        {
            this(arch, ramBytes, swapBytes, tlbiRange, false, true);
        }

        /** A machine on huge pages. */
        public Config(final ArchVariant arch, final long ramBytes, final long swapBytes, final boolean tlbiRange,
            final boolean concurrent)
        {
            this(arch, ramBytes, swapBytes, tlbiRange, concurrent, true);
        }

        public Config
        {
            if (arch == null)
            {
                throw new IllegalArgumentException("unknown arch: null (expected x86_64 or arm64)");
            }
            if (ramBytes < (1L << 22) || ramBytes % Arch.PAGE_SIZE != 0 || ramBytes > (1L << 43))
            {
                throw new IllegalArgumentException("simulated RAM must be a multiple of 4 KiB between 4 MiB and 8 TiB: ramBytes=" + ramBytes);
            }
            if (swapBytes < 0 || swapBytes % Arch.PAGE_SIZE != 0 || swapBytes > (1L << 43))
            {
                throw new IllegalArgumentException("swap must be a multiple of 4 KiB up to 8 TiB: swapBytes=" + swapBytes);
            }
        }

        /** {@code ramBytes} of RAM, as much swap up to 1 GiB, FEAT_TLBIRANGE, single-threaded. */
        public static Config of(final ArchVariant arch, final long ramBytes)
        {
            return new Config(arch, ramBytes, Math.min(ramBytes, 1L << 30), true);
        }

        /** {@link #of(ArchVariant, long)} of arch {@code x86_64} or {@code arm64} ({@link ArchVariant#of(String)}). */
        public static Config of(final String arch, final long ramBytes)
        {
            return of(ArchVariant.of(arch), ramBytes);
        }

        /** {@code x86_64} or {@code arm64}. */
        public String archName() { return arch.archName(); }

        public Config withArch(final ArchVariant a) { return new Config(a, ramBytes, swapBytes, tlbiRange, concurrent, hugePages); }
        public Config withSwap(final long bytes) { return new Config(arch, ramBytes, bytes, tlbiRange, concurrent, hugePages); }
        public Config withTlbiRange(final boolean on) { return new Config(arch, ramBytes, swapBytes, on, concurrent, hugePages); }
        /** Whether the memmap and table store ask the host for transparent huge pages (default true). */
        public Config withHugePages(final boolean on) { return new Config(arch, ramBytes, swapBytes, tlbiRange, concurrent, on); }
        /**
         * A machine several threads may drive at once (default false): atomic memmap updates, allocator, table,
         * swap and page-cache locks, split PTLs, per-thread {@link Machine#events()}. Single-threaded machines
         * keep plain accesses and take no lock.
         */
        public Config withConcurrent(final boolean on) { return new Config(arch, ramBytes, swapBytes, tlbiRange, on, hugePages); }
    }

    private final Config config;
    private final Arch arch;
    private final MemMap memmap;
    private final PhysMem phys;
    private final TableStore tableStore;
    private final PageTables pageTables;
    private final SwapSpace swap;
    /**
     * The events of a single-threaded machine; null on a concurrent machine, where every count goes to the
     * calling thread's instance ({@link #events()}): a plain {@code ++} on one instance shared by threads loses
     * updates, so a stray use of this field there fails at once instead.
     */
    private final Events events;
    /** Concurrent machine: each thread's events; null when single-threaded. */
    private final ThreadLocal<Events> threadEvents;
    /** Concurrent machine: every per-thread {@link Events} handed out, summed by {@link #eventsTotal()}. */
    private final List<Events> allEvents = new CopyOnWriteArrayList<>();
    /** Concurrent machine: guards {@link #processes}, MM-ID allocation and {@link #files}; null when single-threaded. */
    private final ReentrantLock lock;
    private final List<Mm> processes = new ArrayList<>();
    /** {@code mm_cachep}: mms freed by {@link Mm#mmdrop()}, reused by {@link #newProcess()}. */
    final KmemCache<Mm> mmCachep;
    /** {@code vm_area_cachep}: the VMAs of dropped mms, reused by fork's {@code vm_area_dup}. */
    final KmemCache<Vma> vmAreaCachep;
    /** {@code anon_vma_cachep}: the anon_vmas of dropped mms, reused by fork's {@code anon_vma_fork}. */
    final KmemCache<AnonVma> anonVmaCachep;
    private final List<SimFile> files = new ArrayList<>();
    /** Objects each slab cache keeps at most (freed beyond that go to the garbage collector). */
    private static final int SLAB_LIMIT = 1024;
    private int nextMmId = 1;
    private long nextToken = 1;
    private static final VarHandle NEXT_TOKEN;

    static
    {
        try
        {
            NEXT_TOKEN = MethodHandles.lookup().findVarHandle(Machine.class, "nextToken", long.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }
    private int nextFileId;
    private int nextShmemId;

    public Machine(final Config config)
    {
        this.config = config;
        this.events = config.concurrent() ? null : new Events();
        this.memmap = new MemMap(config.ramBytes() >>> Arch.PAGE_SHIFT, config.concurrent(), config.hugePages());
        this.arch = config.arch().create(config.tlbiRange(), memmap);   // contpte_try_fold needs folio bounds
        this.phys = new PhysMem(memmap);
        this.tableStore = new TableStore(config.concurrent(), config.hugePages());
        this.pageTables = new PageTables(arch, memmap, phys, tableStore);
        this.swap = new SwapSpace(Math.max(2, config.swapBytes() >>> Arch.PAGE_SHIFT), config.concurrent());
        this.lock = config.concurrent() ? new ReentrantLock() : null;
        this.threadEvents = config.concurrent() ? ThreadLocal.withInitial(this::registerEvents) : null;
        this.mmCachep = new KmemCache<>("mm_cachep", SLAB_LIMIT, config.concurrent());
        this.vmAreaCachep = new KmemCache<>("vm_area_cachep", SLAB_LIMIT, config.concurrent());
        this.anonVmaCachep = new KmemCache<>("anon_vma_cachep", SLAB_LIMIT, config.concurrent());
    }

    /** Snapshot hook: see {@link #restore}. */
    private Machine(final Config config, final MemMap memmap, final PhysMem phys, final TableStore tableStore,
        final SwapSpace swap, final Counters counters)
    {
        this.config = config;
        this.events = config.concurrent() ? null : new Events();
        this.arch = config.arch().create(config.tlbiRange(), memmap);   // contpte_try_fold needs folio bounds
        this.memmap = memmap;
        this.phys = phys;
        this.tableStore = tableStore;
        this.pageTables = new PageTables(arch, memmap, phys, tableStore);
        this.swap = swap;
        this.lock = config.concurrent() ? new ReentrantLock() : null;
        this.threadEvents = config.concurrent() ? ThreadLocal.withInitial(this::registerEvents) : null;
        this.mmCachep = new KmemCache<>("mm_cachep", SLAB_LIMIT, config.concurrent());
        this.vmAreaCachep = new KmemCache<>("vm_area_cachep", SLAB_LIMIT, config.concurrent());
        this.anonVmaCachep = new KmemCache<>("anon_vma_cachep", SLAB_LIMIT, config.concurrent());
        this.nextMmId = counters.nextMmId();
        this.nextToken = counters.nextToken();
        this.nextFileId = counters.nextFileId();
        this.nextShmemId = counters.nextShmemId();
    }

    public Config config() { return config; }
    public Arch arch() { return arch; }
    public MemMap memmap() { return memmap; }
    public PhysMem phys() { return phys; }
    public PageTables pageTables() { return pageTables; }
    public TableStore tableStore() { return tableStore; }
    public SwapSpace swap() { return swap; }

    /** Whether several threads may drive this machine ({@link Config#concurrent()}). */
    public boolean concurrent() { return lock != null; }

    /**
     * Cumulative events of everything this machine did on the calling thread: the machine's one instance when
     * single-threaded; a concurrent machine gives each thread its own (exact per thread, no atomics), summed by
     * {@link #eventsTotal()}.
     */
    public Events events() { return threadEvents == null ? events : threadEvents.get(); }

    /**
     * The events of every thread that used this machine, summed (a new instance): call at quiescence, when no
     * thread is running an operation. Single-threaded: a copy of {@link #events()}.
     */
    public Events eventsTotal()
    {
        final Events sum = events != null ? events.copy() : new Events();
        for (final Events e : allEvents)
        {
            sum.add(e);
        }
        return sum;
    }

    /** A concurrent machine's per-thread instance: fresh, registered for {@link #eventsTotal()}. */
    private Events registerEvents()
    {
        final Events e = new Events();
        allEvents.add(e);
        return e;
    }

    private void lock()
    {
        if (lock != null)
        {
            lock.lock();
        }
    }

    private void unlock()
    {
        if (lock != null)
        {
            lock.unlock();
        }
    }

    /**
     * The live processes: a view when single-threaded; a copy on a concurrent machine (taken under its lock, so
     * it never sees the list mid-update).
     */
    public List<Mm> processes()
    {
        if (lock == null)
        {
            return Collections.unmodifiableList(processes);
        }
        lock();
        try
        {
            return List.copyOf(processes);
        }
        finally
        {
            unlock();
        }
    }

    /** The files (regular and shmem) that exist, a snapshot list. */
    public List<SimFile> files()
    {
        lock();
        try
        {
            return List.copyOf(files);
        }
        finally
        {
            unlock();
        }
    }

    /** A fresh content token (what a user write stores); an atomic increment on a concurrent machine. */
    public long newToken()
    {
        if (lock != null)
        {
            return (long)NEXT_TOKEN.getAndAdd(this, 1L);
        }
        return nextToken++;
    }

    /**
     * A new, empty process (exec'd with no mappings): an mm from the {@code mm_cachep} if a dropped one is there
     * ({@link Mm#mmdrop()}), else a new object.
     */
    public Mm newProcess()
    {
        final long pgd = pageTables.allocTable(events());
        if (pgd < 0)
        {
            throw new io.forksim.mem.OutOfSimulatedMemoryException(0, phys.freePageCount());
        }
        final Mm cached = mmCachep.alloc();
        lock();
        try
        {
            final Mm mm = cached != null ? cached.reinit(allocMmId(), pgd) : new Mm(this, allocMmId(), pgd);
            processes.add(mm);
            return mm;
        }
        finally
        {
            unlock();
        }
    }

    /** Caller holds the machine lock (concurrent machine). */
    int allocMmId()
    {
        // MM IDs are 16-bit in the memmap's packed _mm_ids; reuse freed ones.
        for (int tries = 0; tries < 65535; tries++)
        {
            final int id = nextMmId;
            nextMmId = nextMmId == 65535 ? 1 : nextMmId + 1;
            boolean used = false;
            for (int i = 0; i < processes.size(); i++)   // indexed: no iterator per fork
            {
                if (processes.get(i).id() == id)
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
        lock();
        try
        {
            processes.add(mm);
        }
        finally
        {
            unlock();
        }
    }

    void unregister(final Mm mm)
    {
        lock();
        try
        {
            processes.remove(mm);
        }
        finally
        {
            unlock();
        }
    }

    /** Creates a file of {@code sizeBytes} (page multiple) whose page cache starts empty. */
    public SimFile createFile(final String name, final long sizeBytes)
    {
        if (sizeBytes <= 0 || sizeBytes % Arch.PAGE_SIZE != 0)
        {
            throw new IllegalArgumentException("file size must be a positive multiple of 4 KiB: sizeBytes=" + sizeBytes);
        }
        lock();
        try
        {
            final SimFile f = new SimFile(name, nextFileId++, sizeBytes >>> Arch.PAGE_SHIFT, false);
            files.add(f);
            return f;
        }
        finally
        {
            unlock();
        }
    }

    /**
     * The shmem file behind a shared anonymous mapping ({@code shmem_zero_setup}): swap-backed page cache,
     * pages start zeroed. It lives until the last VMA mapping it goes away.
     */
    SimFile createShmemFile(final long sizeBytes)
    {
        lock();
        try
        {
            final SimFile f = new SimFile("dev/zero." + nextShmemId++ + " (deleted)", nextFileId++, sizeBytes >>> Arch.PAGE_SHIFT, true);
            files.add(f);
            return f;
        }
        finally
        {
            unlock();
        }
    }

    /**
     * Whether a live process maps {@code file}. Concurrent machine: the caller holds the machine lock, and reads
     * other processes' VMA trees, which their owners must not restructure meanwhile (mmap/munmap/mremap of file
     * mappings are not part of the concurrent workload; exit unregisters before it clears its tree).
     */
    boolean isMapped(final SimFile file)
    {
        for (int p = 0; p < processes.size(); p++)
        {
            final VmaTree t = processes.get(p).vmas;
            for (int i = 0; i < t.size(); i++)
            {
                if (t.get(i).file == file)
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
        if (file == null)
        {
            throw new IllegalArgumentException("file is null");
        }
        lock();
        try
        {
            dropFileLocked(file);
        }
        finally
        {
            unlock();
        }
    }

    private void dropFileLocked(final SimFile file)
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
            dropUnmappedShmem(v);
        }
    }

    /** Drops the shmem file of {@code v} if it is a shared anonymous mapping that no live process maps any more. */
    void dropUnmappedShmem(final Vma v)
    {
        if (v.file == null || !v.file.isShmem())
        {
            return;   // anon and regular-file VMAs: nothing to drop, no lock
        }
        lock();
        try
        {
            if (files.contains(v.file) && !isMapped(v.file))
            {
                Folios.truncate(this, v.file);
                files.remove(v.file);
            }
        }
        finally
        {
            unlock();
        }
    }

    // ---- snapshot hooks (io.forksim.snapshot): export and rebuild what the accessors above do not show ----

    /** Snapshot hook: the machine-wide counters (next MM ID to try, next content token, next file and shmem ids). */
    public record Counters(int nextMmId, long nextToken, int nextFileId, int nextShmemId)
    {
    }

    /** Snapshot hook: the counters now. */
    public Counters counters()
    {
        return new Counters(nextMmId, nextToken, nextFileId, nextShmemId);
    }

    /** Snapshot hook: everything a {@link Vma} holds, to rebuild it with {@link #restoreProcess}. */
    public record SavedVma(long start, long end, int flags, SimFile file, long pgoff, boolean hasAnonVma, long pageProt)
    {
    }

    /**
     * Snapshot hook: a machine assembled from restored parts, with no processes and no files yet (add them with
     * {@link #restoreFile} and {@link #restoreProcess}, in their saved order). The parts become the machine's:
     * {@link #close()} closes them.
     *
     * @param memmap     memmap of {@code config.ramBytes()} whose records, tokens and PageAnonExclusive bytes are restored
     * @param phys       {@link PhysMem#restore the allocator} over {@code memmap}
     * @param tableStore {@link TableStore#restoreState restored} table storage
     * @param swap       {@link SwapSpace#restoreState restored} swap device of {@code config.swapBytes()}
     * @throws IllegalArgumentException naming the value if a part's size does not match {@code config}
     */
    public static Machine restore(final Config config, final MemMap memmap, final PhysMem phys, final TableStore tableStore,
        final SwapSpace swap, final Counters counters)
    {
        final long nrPages = config.ramBytes() >>> Arch.PAGE_SHIFT;
        if (memmap.nrPages() != nrPages || phys.memmap() != memmap || memmap.atomic() != config.concurrent())
        {
            throw new IllegalArgumentException("memmap of " + memmap.nrPages() + " pages does not fit simulated RAM of "
                + nrPages + " pages (or the allocator manages another memmap, or its atomicity is not config.concurrent)");
        }
        if (swap.slots() != Math.max(2, config.swapBytes() >>> Arch.PAGE_SHIFT))
        {
            throw new IllegalArgumentException("swap device of " + swap.slots() + " slots does not fit swapBytes "
                + config.swapBytes());
        }
        if (counters.nextMmId() < 1 || counters.nextMmId() > 65535 || counters.nextFileId() < 0 || counters.nextShmemId() < 0)
        {
            throw new IllegalArgumentException("machine counters out of range: " + counters);
        }
        return new Machine(config, memmap, phys, tableStore, swap, counters);
    }

    /**
     * Snapshot hook: re-creates a file (regular or shmem) with its page cache (page index -&gt; PFN), appended to
     * {@link #files()}.
     *
     * @throws IllegalArgumentException if a file with {@code id} exists or the size is not positive
     */
    public SimFile restoreFile(final String name, final int id, final long sizePages, final boolean shmem,
        final java.util.Map<Long, Long> pageCache)
    {
        for (final SimFile f : files)
        {
            if (f.id() == id)
            {
                throw new IllegalArgumentException("file id " + id + " exists already (" + f.name() + ")");
            }
        }
        if (sizePages <= 0)
        {
            throw new IllegalArgumentException("file " + name + " has " + sizePages + " pages");
        }
        final SimFile f = new SimFile(name, id, sizePages, shmem);
        f.pageCache.putAll(pageCache);
        files.add(f);
        return f;
    }

    /**
     * Snapshot hook: re-creates a live process whose page tables (rooted at {@code pgd}) are already in the restored
     * memmap and table store, appended to {@link #processes()}.
     *
     * @param rss  the four RSS counters ({@link Mm#MM_FILEPAGES} ..)
     * @param pins outstanding pins, oldest first
     * @param vmas the VMAs in address order, non-overlapping; their files must be files of this machine
     * @throws IllegalArgumentException naming the value if the id is taken or out of range, pgd is not a table page,
     *         or the VMAs are unordered, overlapping, misaligned or map a foreign file
     */
    public Mm restoreProcess(final int id, final long pgd, final boolean hasPinned, final long[] rss, final List<Mm.Pin> pins,
        final List<SavedVma> vmas)
    {
        if (id < 1 || id > 65535)
        {
            throw new IllegalArgumentException("mm id " + id + " out of range 1..65535");
        }
        for (final Mm p : processes)
        {
            if (p.id() == id)
            {
                throw new IllegalArgumentException("mm id " + id + " is used twice");
            }
        }
        if (pgd <= 0 || pgd >= memmap.nrPages() || (memmap.flags(pgd) & io.forksim.mem.PageDescriptor.PG_TABLE) == 0)
        {
            throw new IllegalArgumentException("pgd " + pgd + " of mm#" + id + " is not a page-table page");
        }
        if (rss.length != 4)
        {
            throw new IllegalArgumentException("mm#" + id + " has " + rss.length + " RSS counters, expected 4");
        }
        final Mm mm = new Mm(this, id, pgd);
        long prevEnd = 0;
        for (final SavedVma s : vmas)
        {
            if (s.start() < prevEnd || s.end() <= s.start() || s.end() > PageTables.TASK_SIZE
                || ((s.start() | s.end()) & (Arch.PAGE_SIZE - 1)) != 0)
            {
                throw new IllegalArgumentException(String.format("vma %x-%x of mm#%d is misaligned, empty, beyond TASK_SIZE"
                    + " or overlaps the previous one (ending at %x)", s.start(), s.end(), id, prevEnd));
            }
            if (s.file() != null && !files.contains(s.file()))
            {
                throw new IllegalArgumentException("vma of mm#" + id + " maps file " + s.file().name() + ", not a file of this machine");
            }
            final Vma v = new Vma(s.start(), s.end(), s.flags(), s.file(), s.pgoff(), s.pageProt());
            v.anonVma = s.hasAnonVma() ? new AnonVma() : null; // identity is not saved: one per VMA, singular chain
            mm.vmas.insert(v);
            prevEnd = s.end();
        }
        System.arraycopy(rss, 0, mm.rss, 0, 4);
        mm.hasPinned = hasPinned;
        mm.pins.addAll(pins);
        processes.add(mm);
        return mm;
    }

    /** Off-heap bytes held by the machine's state (memmap, table storage, swap map). */
    public long offHeapBytes()
    {
        return memmap.offHeapBytes() + tableStore.reservedBytes() + swap.offHeapBytes();
    }

    @Override
    public void close()
    {
        memmap.close();
        tableStore.close();
        swap.close();
    }
}
