package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.pgtable.PageTables;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A simulated process address space ({@code struct mm_struct}): a sorted, non-overlapping VMA tree and
 * a 4-level page table rooted at {@link #pgd()}, with the operations of a process on it: mmap, munmap,
 * mprotect, madvise, mremap, page faults, user reads and writes, GUP pins and exit. fork() lives in
 * {@code io.forksim.fork.Fork}.
 *
 * <p>Every public operation validates its arguments first and then mutates, so a rejected call leaves
 * the process exactly as it was; an operation that runs out of simulated RAM part-way unwinds what it
 * built before throwing {@link io.forksim.mem.OutOfSimulatedMemoryException} (for a fault that is stricter than
 * the kernel, which keeps what it did before the allocation that failed: page tables, the anon_vma, a swap-in
 * whose COW copy then fails). A pin is
 * the exception: like GUP it keeps the faults it completed ({@link #pin(long, boolean)}). Calls on an exited
 * process throw {@link IllegalStateException} naming it.
 *
 * <p>VMAs split where an operation covers part of one, and merge with compatible neighbours where the kernel would
 * ({@code vma_merge_new_range} on mmap, {@code vma_modify} on mprotect, madvise and mremap: see {@link VmaMerge}).
 *
 * <p>Lifecycle: {@link Machine#newProcess()} (or fork) creates a process, {@link #exit()} tears its address space
 * down ({@code exit_mmap}) and leaves the object readable as exited, and {@link #mmdrop()} hands the object, its VMAs
 * and their anon_vmas back to the machine's slab caches, from which the next process and fork take them: a caller
 * that forks and exits in a loop and drops each child allocates nothing per fork on the Java heap.
 *
 * <p>Folio conventions (the memmap model): a private anon folio of order k mapped by nr PTEs of this mm has
 * refcount nr (+1024 per pin for order 0, +1 per pin and {@code _pincount} for a large folio), mapcount /
 * {@code large_mapcount} nr (MM-ID slot of this mm for large folios), {@code PG_ANON | PG_SWAPBACKED}, and
 * PageAnonExclusive on every page it maps exclusively. Page-cache and swap-cache folios carry one more
 * reference for the cache. Events go to {@code machine.events()}.
 */
public final class Mm
{
    public static final int MM_FILEPAGES = 0;
    public static final int MM_ANONPAGES = 1;
    public static final int MM_SWAPENTS = 2;
    public static final int MM_SHMEMPAGES = 3;

    final Machine machine;
    /** Set at creation, again when the {@code mm_cachep} hands the object out for a new process ({@link #reinit}). */
    int id;
    long pgd;
    final VmaTree vmas = new VmaTree();
    /** MMF_HAS_PINNED: set on the first GUP pin, never cleared. */
    boolean hasPinned;
    boolean exited;
    /** {@link #mmdrop()} freed this mm to the {@code mm_cachep}. */
    boolean dropped;
    /** The exit's {@code struct mmu_gather} (on the kernel's stack): kept with the mm so that exit allocates nothing. */
    private final Zap.Gather exitGather = new Zap.Gather();
    final long[] rss = new long[4];
    /** Outstanding GUP pins taken through this process, oldest first. */
    final List<Pin> pins = new ArrayList<>();

    /** A GUP pin: the page-aligned user address it was taken at and the PFN pinned (held even if unmapped). */
    public record Pin(long addr, long pfn)
    {
    }

    Mm(final Machine machine, final int id, final long pgd)
    {
        this.machine = machine;
        this.id = id;
        this.pgd = pgd;
    }

    public Machine machine() { return machine; }

    /** The MM ID used by the large-folio mapcount bookkeeping (1..65535). */
    public int id() { return id; }

    /** PFN of the PGD table. */
    public long pgd() { return pgd; }

    public boolean hasPinned() { return hasPinned; }

    public boolean exited() { return exited; }

    public long rss(final int counter) { return rss[counter]; }

    /** Outstanding pins, oldest first (a snapshot). */
    public List<Pin> pins() { return Collections.unmodifiableList(new ArrayList<>(pins)); }

    /** VMAs in address order (a snapshot list). */
    public List<Vma> vmas() { return vmas.toList(); }

    /** {@code mm->map_count}: the number of VMAs. */
    public int mapCount() { return vmas.size(); }

    /** The {@code i}-th VMA in address order (no copy). Precondition: {@code 0 <= i < mapCount()}. */
    public Vma vmaAt(final int i) { return vmas.get(i); }

    /** The VMA containing {@code addr}, or null. */
    public Vma findVma(final long addr)
    {
        final Vma v = vmas.floor(addr);
        return v != null && v.contains(addr) ? v : null;
    }

    /** For fork ({@link ForkHooks}): adds a duplicated VMA to this (child) mm. Precondition: it overlaps nothing. */
    void addVmaForFork(final Vma vma)
    {
        vmas.insert(vma);
    }

    /**
     * For fork ({@link ForkHooks}): {@code vm_area_dup} for this (child) mm: a copy of {@code vma}, from the machine's
     * {@code vm_area_cachep} when it has one, still holding the parent's anon_vma pointer (see {@link #anonVmaFork}).
     */
    Vma dupVma(final Vma vma)
    {
        final Vma cached = machine.vmAreaCachep.alloc();
        return cached != null ? cached.dupFrom(vma) : new Vma(0, 0, 0, null, 0, 0).dupFrom(vma);
    }

    /**
     * For fork ({@link ForkHooks}): {@code anon_vma_fork}: a duplicated VMA of this (child) mm that has an anon_vma gets
     * its own (from the {@code anon_vma_cachep} when it has one), whose chain holds the parent's too.
     */
    void anonVmaFork(final Vma vma)
    {
        if (vma.anonVma != null)
        {
            vma.anonVma = newAnonVma();
            vma.anonVmaForked = true;
        }
    }

    private AnonVma newAnonVma()
    {
        final AnonVma cached = machine.anonVmaCachep.alloc();
        if (cached == null)
        {
            return new AnonVma();
        }
        cached.freed = false;
        return cached;
    }

    /** For fork ({@link ForkHooks}): adds the child's RSS counted by copy_pte_range ({@code add_mm_rss_vec}). */
    void addRss(final long[] delta)
    {
        for (int i = 0; i < rss.length; i++)
        {
            rss[i] += delta[i];
        }
    }

    /** For fork ({@link ForkHooks}): sets whether {@code vma} (of this mm) has an anon_vma. */
    void setHasAnonVma(final Vma vma, final boolean value)
    {
        vma.anonVma = value ? newAnonVma() : null;
        vma.anonVmaForked = false;
    }

    /** For fork ({@link ForkHooks}): replaces the flags of {@code vma} (of this mm) with {@code flags}. */
    void setVmaFlags(final Vma vma, final int flags)
    {
        vma.flags = flags;
    }

    // ---------------------------------------------------------------- address-space operations

    /**
     * {@code mmap(addr, len, prot, MAP_FIXED_NOREPLACE | (shared ? MAP_SHARED : MAP_PRIVATE) [| MAP_ANONYMOUS],
     * file, off)}. Flags as {@code do_mmap} sets them: the prot bits, {@code VM_MAYREAD|VM_MAYWRITE|VM_MAYEXEC};
     * shared: {@code VM_SHARED|VM_MAYSHARE}; private writable: {@code VM_ACCOUNT}. A shared anonymous mapping is
     * backed by a new shmem file ({@code shmem_zero_setup}). Anonymous private VMAs get {@code vm_pgoff = addr >> 12}.
     * The new range merges with an adjacent compatible VMA ({@code vma_merge_new_range}, see {@link VmaMerge}).
     *
     * @return the VMA that now covers the range (a neighbour it merged with, or a new one)
     * @param prot {@code VM_READ|VM_WRITE|VM_EXEC} bits
     * @param file the file to map, or null for anonymous memory
     * @param fileOffsetBytes page-aligned offset into {@code file} (0 for anonymous memory)
     * @throws IllegalArgumentException naming the value for a misaligned, empty, negative or beyond-TASK_SIZE
     *         range, bad prot bits or offset, a range past the end of the file, or an overlap with a VMA
     */
    public Vma mmap(final long addr, final long len, final int prot, final boolean shared, final SimFile file,
        final long fileOffsetBytes)
    {
        checkAlive();
        return VmaOps.mmap(machine, this, addr, len, prot, shared, file, fileOffsetBytes);
    }

    /** {@code munmap} with the batched (6.9+) zap. */
    public void munmap(final long addr, final long len)
    {
        munmap(addr, len, true);
    }

    /**
     * {@code munmap}: splits VMAs straddling the range, zaps their PTEs ({@code batched}: 6.9+
     * {@code zap_present_ptes}; else the 6.8 per-PTE zap, same resulting state), flushes the TLB once, frees
     * page tables left empty in the range and drops shmem files no longer mapped. Unmapped holes are fine.
     */
    public void munmap(final long addr, final long len, final boolean batched)
    {
        checkAlive();
        VmaOps.munmap(machine, this, addr, len, batched);
    }

    /**
     * {@code mprotect}: the range must be fully mapped. VMAs whose flags change are split to the range, get the
     * new {@code vm_page_prot}, and their present PTEs are rewritten ({@code change_pte_range}); in a private
     * VMA made writable, PTEs of exclusive anon pages become writable at once (the "mprotect() optimization").
     * One TLB flush for the range.
     */
    public void mprotect(final long addr, final long len, final int prot)
    {
        checkAlive();
        VmaOps.mprotect(machine, this, addr, len, prot);
    }

    /** {@code madvise} with the batched zap for {@link Advice#DONTNEED}. */
    public void madvise(final long addr, final long len, final Advice advice)
    {
        madvise(addr, len, advice, true);
    }

    /**
     * {@code madvise}: the range must be fully mapped. DONTNEED zaps ({@code batched} chooses the zap shape);
     * DONTFORK/DOFORK/WIPEONFORK/KEEPONFORK change VMA flags (splitting VMAs whose flags change and merging them
     * with compatible neighbours); PAGEOUT is {@link #pageout} without its result.
     */
    public void madvise(final long addr, final long len, final Advice advice, final boolean batched)
    {
        checkAlive();
        VmaOps.madvise(machine, this, addr, len, advice, batched);
    }

    /**
     * {@code madvise(MADV_PAGEOUT)}: swaps out the anon folios of the range that only this process maps and
     * nothing pins; a large folio the range covers only in part is split first ({@link Pageout}).
     *
     * @return what was paged out and what was split
     * @throws IllegalArgumentException if the range is malformed or not fully mapped (nothing changes)
     */
    public PageoutResult pageout(final long addr, final long len)
    {
        checkAlive();
        VmaOps.checkRange("madvise", addr, len);
        VmaOps.checkCovered("madvise(PAGEOUT)", this, addr, addr + len);
        return Pageout.pageout(machine, this, addr, addr + len);
    }

    /**
     * {@code mremap(oldAddr, oldLen, oldLen, MREMAP_MAYMOVE | MREMAP_FIXED, newAddr)} of a range inside one VMA
     * to a free range: the page-table entries move unchanged (no folio split), so a large folio can end up
     * mapped from two VMAs ("partially mremap()'ed THP").
     *
     * @return the new VMA
     */
    public Vma mremap(final long oldAddr, final long oldLen, final long newAddr)
    {
        checkAlive();
        return VmaOps.mremap(machine, this, oldAddr, oldLen, newAddr);
    }

    /**
     * Faults in {@code [addr, addr + len)} as write faults with folios of {@code order} (0..9) would: per folio
     * one {@code set_ptes(1 << order)}; private anon PTEs young + dirty + writable when VM_WRITE, every page
     * PageAnonExclusive; then a fresh {@link Machine#newToken()} is written into each page, in address order.
     * A private anonymous mapping without VM_WRITE maps the shared zero page instead (a read fault; no token).
     * Shared (shmem or file) mappings are populated with order-0 page-cache folios, mapped dirty and writable.
     *
     * @throws IllegalArgumentException if the order is out of range, the range is not aligned to the folio size,
     *         not covered by private anonymous or shared mappings, or already has a non-none PTE
     * @throws io.forksim.mem.OutOfSimulatedMemoryException when RAM runs out; everything populate did is undone
     */
    public void populate(final long addr, final long len, final int order)
    {
        checkAlive();
        Populate.populate(machine, this, addr, len, order);
    }

    /**
     * {@link #populate(long, long, int)} with the mapping named: {@link FolioMapping#PTE} is that method;
     * {@link FolioMapping#PMD} (order 9 only) maps each 2 MiB of a 2 MiB-aligned private anonymous writable range
     * with one PMD leaf as {@code do_huge_pmd_anonymous_page} does ({@link HugeMemory}), then writes a fresh token
     * into each page in address order.
     *
     * @throws IllegalArgumentException naming the value for an order other than 9 with PMD, a range that is not
     *         2 MiB-aligned, not private anonymous writable memory, or whose PMD is not none
     * @throws io.forksim.mem.OutOfSimulatedMemoryException when RAM runs out; everything populate did is undone
     */
    public void populate(final long addr, final long len, final int order, final FolioMapping mapping)
    {
        checkAlive();
        if (mapping == null)
        {
            throw new IllegalArgumentException("populate: mapping is null (expected pte or pmd)");
        }
        if (mapping == FolioMapping.PTE)
        {
            Populate.populate(machine, this, addr, len, order);
            return;
        }
        if (order != HugeMemory.PMD_ORDER)
        {
            throw new IllegalArgumentException("order " + order + " cannot be PMD-mapped: a PMD maps exactly an order-"
                + HugeMemory.PMD_ORDER + " (2 MiB) folio");
        }
        HugeMemory.populatePmd(machine, this, addr, len);
    }

    // ---------------------------------------------------------------- faults and accesses

    /**
     * A page fault at {@code addr} ({@code handle_mm_fault}). {@link FaultResult#SEGV} (nothing changed) when no
     * VMA covers {@code addr} or the VMA forbids the access.
     *
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if simulated RAM runs out (VM_FAULT_OOM); nothing changed
     */
    public FaultResult fault(final long addr, final boolean write)
    {
        checkAlive();
        return Faults.fault(machine, this, addr, write);
    }

    /**
     * A user load: returns the content token of the page at {@code addr}, faulting it in first if needed.
     *
     * @throws IllegalStateException {@code "SIGSEGV at 0x..."} (nothing changed) if the access is not allowed
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if simulated RAM runs out (VM_FAULT_OOM); nothing changed
     */
    public long read(final long addr)
    {
        checkAlive();
        final long pmd = HugePmdFaults.leaf(machine, this, addr);
        return pmd != 0 ? HugePmdFaults.read(machine, this, addr, pmd) : Faults.read(machine, this, addr);
    }

    /**
     * A user store of {@code token} into the page at {@code addr}, faulting (COW, ...) first if the PTE is not
     * present and writable.
     *
     * @throws IllegalStateException {@code "SIGSEGV at 0x..."} (nothing changed) if the access is not allowed
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if simulated RAM runs out (VM_FAULT_OOM); nothing changed
     */
    public void write(final long addr, final long token)
    {
        checkAlive();
        final long pmd = HugePmdFaults.leaf(machine, this, addr);
        if (pmd != 0)
        {
            HugePmdFaults.write(machine, this, addr, token, pmd);
            return;
        }
        Faults.write(machine, this, addr, token);
    }

    /**
     * {@code pin_user_pages(FOLL_LONGTERM)} of the page at {@code addr}, with FOLL_WRITE exactly when the VMA is
     * writable: {@link #pin(long, boolean) pin(addr, vma is writable)}.
     *
     * @return the pinned PFN
     * @throws IllegalArgumentException if no VMA covers {@code addr} or it can be pinned neither way (-EFAULT)
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if simulated RAM runs out (-ENOMEM): as
     *         {@link #pin(long, boolean)}
     */
    public long pin(final long addr)
    {
        checkAlive();
        final Vma v = Faults.vmaFor(this, addr);
        return Gup.pin(machine, this, addr, v != null && (v.flags & VmFlags.VM_WRITE) != 0);
    }

    /**
     * {@code pin_user_pages(FOLL_LONGTERM | (write ? FOLL_WRITE : 0))} of the page at {@code addr} ({@link Gup}):
     * a R/W pin write-faults unless the page is mapped writable and exclusive; a R/O pin read-faults an unmapped
     * page and unshares (FAULT_FLAG_UNSHARE) a page that is not an exclusive anon page in a COW mapping, so that
     * the pinned page is the one the process keeps seeing. Sets MMF_HAS_PINNED.
     *
     * @return the pinned PFN
     * @throws IllegalArgumentException if no VMA covers {@code addr}, it is VM_PFNMAP, or it lacks VM_WRITE (R/W)
     *         or VM_READ (R/O) (-EFAULT); nothing changed
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if simulated RAM runs out (-ENOMEM); no pin is taken and
     *         the faults that completed stay, as {@code __get_user_pages} leaves them: a R/O pin whose unshare fault
     *         ran out keeps its read fault's mapping (e.g. the zero page); one whose only fault ran out, and a R/W
     *         pin, change nothing
     */
    public long pin(final long addr, final boolean write)
    {
        checkAlive();
        return Gup.pin(machine, this, addr, write);
    }

    /**
     * {@link #pin(long, boolean)} of every page of {@code [addr, addr + len)}, in address order.
     *
     * @return the pinned PFNs
     * @throws IllegalArgumentException if the range is not page aligned or a page of it cannot be pinned; nothing changed
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if simulated RAM runs out; the pins taken are dropped again,
     *         the faults that completed stay
     */
    public long[] pinRange(final long addr, final long len, final boolean write)
    {
        checkAlive();
        return Gup.pinRange(machine, this, addr, len, write);
    }

    /**
     * {@code unpin_user_page} of the page pinned most recently at {@code addr} (even if it has been unmapped or
     * moved since); a folio whose last reference this was is freed.
     *
     * @throws IllegalArgumentException if this process holds no pin taken at {@code addr}
     */
    public void unpin(final long addr)
    {
        checkAlive();
        Gup.unpin(machine, this, addr);
    }

    /**
     * {@link #unpin(long)} of every page of {@code [addr, addr + len)}.
     *
     * @throws IllegalArgumentException if the range is not page aligned or a page of it holds no pin; nothing changed
     */
    public void unpinRange(final long addr, final long len)
    {
        checkAlive();
        Gup.unpinRange(machine, this, addr, len);
    }

    /** {@code exit_mmap} with the batched zap. */
    public void exit()
    {
        exit(true);
    }

    /**
     * {@code exit_mmap}: zaps every VMA, one {@code flush_tlb_mm}, frees all page tables, releases the pins this
     * process still holds (their owner, e.g. an io_uring ring, is torn down with it), drops shmem files no
     * longer mapped and unregisters from the machine.
     */
    public void exit(final boolean batched)
    {
        checkAlive();
        final Zap.Gather g = exitGather.reset();
        for (int i = 0; i < vmas.size(); i++)
        {
            final Vma v = vmas.get(i);
            Zap.zapVmaRange(machine, this, v, v.start, v.end, batched, g);
        }
        machine.arch().flushTlbMm(machine.events());
        machine.pageTables().freeAll(machine.events(), pgd);
        while (!pins.isEmpty())
        {
            Folios.unpin(machine, pins.remove(pins.size() - 1).pfn());
        }
        exited = true;
        machine.unregister(this);   // first: a concurrent machine's isMapped() reads live processes' VMA trees
        vmas.detachAll();
        for (int i = 0; i < vmas.detachedCount(); i++)
        {
            machine.dropUnmappedShmem(vmas.detached(i));
        }
    }

    /**
     * {@code mmdrop}: the caller lets go of this exited process for good, and the mm, the VMAs it had at exit and
     * their anon_vmas go back to the machine's slab caches ({@code mm_cachep}, {@code vm_area_cachep},
     * {@code anon_vma_cachep}) for the next {@link Machine#newProcess()} and fork to reuse. Without it an exited mm
     * stays as it is (readable, {@link #exited()}) until the garbage collector takes it.
     *
     * <p>Precondition: the caller holds the last reference to this mm and to its VMAs (nothing reads them
     * afterwards: the objects become another process's).
     *
     * @throws IllegalStateException naming the process if it has not exited or was dropped already
     */
    public void mmdrop()
    {
        if (!exited)
        {
            throw new IllegalStateException("mmdrop of mm#" + id + ": the process has not exited");
        }
        if (dropped)
        {
            throw new IllegalStateException("mmdrop of mm#" + id + ": dropped already");
        }
        dropped = true;
        for (int i = 0; i < vmas.detachedCount(); i++)
        {
            final Vma v = vmas.detached(i);
            final AnonVma a = v.anonVma;
            if (a != null && !a.freed)
            {
                a.freed = true;
                machine.anonVmaCachep.free(a);
            }
            v.anonVma = null;
            machine.vmAreaCachep.free(v);
        }
        vmas.release();
        machine.mmCachep.free(this);
    }

    /** For {@link Machine#newProcess()}: this dropped mm becomes a new, empty process {@code id} rooted at {@code pgd}. */
    Mm reinit(final int newId, final long newPgd)
    {
        id = newId;
        pgd = newPgd;
        hasPinned = false;
        exited = false;
        dropped = false;
        java.util.Arrays.fill(rss, 0);
        pins.clear();
        return this;
    }

    /**
     * The raw PTE word mapping {@code addr} (0 if none or no PTE table); reads without counting, for tests and
     * tools.
     *
     * @throws IllegalStateException naming the process if it has exited (its page tables are freed and may be
     *         reused by another process)
     */
    public long peekPte(final long addr)
    {
        checkAlive();
        final PageTables pt = machine.pageTables();
        final long t = pt.pteOffsetMap(pgd, addr);
        return t == PageTables.NO_TABLE ? 0 : Arch.peek(pt.segment(t), pt.base(t), PageTables.pteIndex(addr));
    }

    /**
     * The raw PMD entry word covering {@code addr} (0 if none or no PMD table): a leaf for a PMD-mapped THP, else a
     * table entry; reads without counting, for tests and tools.
     *
     * @throws IllegalStateException naming the process if it has exited
     */
    public long peekPmd(final long addr)
    {
        checkAlive();
        return io.forksim.pgtable.PmdLeaves.pmdEntry(machine.pageTables(), pgd, addr);
    }

    void checkAlive()
    {
        if (exited)
        {
            throw new IllegalStateException("process mm#" + id + " has exited");
        }
    }

    @Override
    public String toString()
    {
        return "mm#" + id + (exited ? " (exited)" : "") + " vmas=" + vmas.size();
    }
}
