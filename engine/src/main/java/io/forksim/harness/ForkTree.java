package io.forksim.harness;

import io.forksim.arch.Arch;
import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.mem.MemMap;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.pgtable.PageTables;
import io.forksim.stats.Events;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Concurrent fork trees, zygote style: one parent (the zygote) with populated anonymous memory, {@code children}
 * subtrees forked from it, each subtree growing grandchildren up to {@code depth} while its processes take
 * random COW write faults, reads and exits, the subtrees running on {@code threads} threads at once and sharing
 * the zygote's folios. At quiescence the invariant checker runs; after every process exited nothing may leak.
 *
 * <h2>Workload</h2>
 * <pre>
 *   zygote (depth 0): mmap SIZE private anon RW at {@link #BASE_VA}, populate with order-K folios
 *   subtree i (0 &le; i &lt; children), owned by worker thread i mod threads:
 *     root = fork(zygote) under the zygote's mmap_lock       (respawned when the subtree has died out)
 *     each op picks one of the thread's subtrees, one of its live processes p, then (weights --mix):
 *       write  a random page of p: p.write(addr, newToken)     (COW fault if shared, reuse if exclusive)
 *       read   a random page of p, checked against p's shadow copy of its contents
 *       fork   p (if depth(p) &lt; depth and the subtree has fewer than maxPerSubtree processes; else a write)
 *       exit   p
 *     simulated RAM exhausted: the op is counted as an OOM and one process of the subtree exits
 *   quiescence: workers joined; InvariantChecker; every live process's contents vs its shadow
 *   teardown: the workers exit their subtrees concurrently; the zygote exits; leak check
 * </pre>
 * Every process keeps a shadow copy of the tokens it should read (inherited at fork, updated by its writes), so
 * COW isolation is checked on every read and at quiescence, not only the metadata.
 *
 * <h2>Locking model (a concurrent {@link Machine}: {@code Machine.Config#withConcurrent(true)})</h2>
 * Which lock protects what, in lock order: a thread takes a lock only while holding locks listed above it
 * (the last four are leaves, held across no other lock).
 * <ol>
 *   <li><b>mmap_lock</b> (per {@link Mm}, by ownership): each process is operated on by one thread at a time,
 *       its owner: the worker of its subtree. Its VMA tree, RSS counters, pins, and the upper levels of its page
 *       table (PGD/PUD/PMD entries, {@code pte_alloc}) are touched by that thread only, so they need no lock, as
 *       an {@code mmap_lock} holder needs none for them. The zygote is shared by all workers: forking it takes
 *       {@link #zygoteLock()} (fork's {@code mmap_write_lock(oldmm)}). A fork reads the parent's VMAs and PTE
 *       tables and writes the child's, both held by the forking thread, which then owns the child.</li>
 *   <li><b>machine lock</b> ({@link Machine}): the process list, MM-ID allocation, the file list (dropping an
 *       unmapped shmem file truncates its page cache under it).</li>
 *   <li><b>PTL</b> ({@link io.forksim.pgtable.PageTableLocks}, striped by table PFN): held while a PTE table
 *       changes: {@code copy_pte_range} takes the child's table lock and the parent's nested, a fault the lock of
 *       its table from {@code ptep_get} to the last PTE store, zap / mprotect / mremap one table (pair) at a
 *       time. Under the ownership rule no two threads change the same table, so the PTLs never contend on a
 *       table; they order table changes with the folio updates made under them, as the kernel's do.</li>
 *   <li><b>page-cache lock</b> (per {@link io.forksim.mm.SimFile}, the mapping's {@code i_pages} lock): lookup or
 *       insert of a cached folio (allocates under it).</li>
 *   <li><b>folio large-mapcount lock</b> ({@link MemMap#folioLockLargeMapcount}, striped spin lock by head PFN,
 *       the kernel's {@code folio_lock_large_mapcount} bit spinlock; leaf): serialises the multi-field update of
 *       a large folio's {@code large_mapcount}, its two MM-ID slots and the maybe-shared bit, and the COW reuse
 *       check that reads them. This is where the threads meet: a zygote fork adds mappings while children of
 *       other threads drop theirs (COW, exit) on the same folio.</li>
 *   <li><b>swap lock</b> ({@link io.forksim.mm.SwapSpace}; leaf): every swap-map update. The tree does not swap.</li>
 *   <li><b>zone lock</b> ({@link io.forksim.mem.PhysMem}; leaf): buddy allocation and freeing.</li>
 *   <li><b>table-store lock</b> ({@link io.forksim.pgtable.TableStore}; leaf): handing out and taking back the
 *       bytes of page-table pages.</li>
 * </ol>
 * No lock at all, atomics instead: folio refcounts and order-0 mapcounts ({@code getAndAdd}: of the threads
 * dropping a shared folio's last references exactly one sees 0 and frees it), PageAnonExclusive bytes
 * (volatile byte stores: each page has its own byte, so no read-modify-write), mutable flag bits
 * ({@code getAndBitwiseOr/And} on the page's flags int), content tokens ({@link Machine#newToken()}). A page's token is written only through a writable PTE,
 * which maps an exclusive page, so token stores never race.
 *
 * <p>Events: every thread counts into its own {@link Machine#events()} instance (exact, plain longs);
 * {@link Machine#eventsTotal()} sums them at quiescence. Not exercised here: GUP pins (their counts are
 * atomic / under the folio lock), swap (each swap-map call is atomic, the swap-in sequence as a whole is not:
 * the kernel's holds the folio lock and re-checks the PTE) and file mappings (page-cache lock); two processes
 * sharing a swap slot or a file page across threads would need those sequences too.
 */
public final class ForkTree
{
    /** Where the zygote's memory starts (4 GiB, 2 MiB and 1 GiB aligned). */
    public static final long BASE_VA = 1L << 32;
    /** Largest folio order (2 MiB PTE-mapped). */
    public static final int MAX_ORDER = 9;

    /** Op weights: write, read, fork, exit (percent-like, any non-negative sum &gt; 0). */
    public record Mix(int write, int read, int fork, int exit)
    {
        public static final Mix DEFAULT = new Mix(50, 30, 10, 10);

        public Mix
        {
            if (write < 0 || read < 0 || fork < 0 || exit < 0 || write + read + fork + exit <= 0)
            {
                throw new IllegalArgumentException("op mix " + write + "," + read + "," + fork + "," + exit
                    + " must be non-negative weights with a positive sum");
            }
        }

        int total()
        {
            return write + read + fork + exit;
        }
    }

    /**
     * A tree workload.
     *
     * @param children       subtrees forked from the zygote (1..4096)
     * @param depth          deepest generation: 1 = children only, 2 = grandchildren, ... (1..64)
     * @param sizeBytes      the zygote's populated memory, a multiple of the folio size
     * @param order          folio order of the zygote's memory (0..9)
     * @param arch           x86_64 or arm64
     * @param strategy       fork copy strategy (contpte-basic: arm64 only)
     * @param threads        worker threads (1..256; capped at {@code children})
     * @param ops            total ops over all workers (0 = run for {@code durationNanos})
     * @param durationNanos  how long the workers run when {@code ops == 0}
     * @param ramBytes       simulated RAM (0 = enough for every process to COW all of its memory)
     * @param maxPerSubtree  live processes per subtree at most (&ge; 1)
     * @param seed           seed of the workers' random choices (worker w uses a split of it)
     * @param mix            op weights
     */
    public record Config(int children, int depth, long sizeBytes, int order, String arch, StrategyChoice strategy, int threads,
        long ops, long durationNanos, long ramBytes, int maxPerSubtree, long seed, Mix mix)
    {
        public Config
        {
            if (children < 1 || children > 4096)
            {
                throw new IllegalArgumentException("children " + children + " must be 1..4096");
            }
            if (depth < 1 || depth > 64)
            {
                throw new IllegalArgumentException("depth " + depth + " must be 1..64");
            }
            if (order < 0 || order > MAX_ORDER)
            {
                throw new IllegalArgumentException("order " + order + " must be 0..9");
            }
            final long folio = Arch.PAGE_SIZE << order;
            if (sizeBytes <= 0 || sizeBytes % folio != 0)
            {
                throw new IllegalArgumentException("size " + sizeBytes + " bytes must be a positive multiple of the order-"
                    + order + " folio size (" + folio + " bytes)");
            }
            if (sizeBytes > PageTables.TASK_SIZE - BASE_VA)
            {
                throw new IllegalArgumentException("size " + sizeBytes + " bytes does not fit the user address space above 0x"
                    + Long.toHexString(BASE_VA));
            }
            if (!arch.equals("x86_64") && !arch.equals("arm64"))
            {
                throw new IllegalArgumentException("unknown arch " + arch + " (expected x86_64 or arm64)");
            }
            if (strategy == StrategyChoice.CONTPTE_BASIC && !arch.equals("arm64"))
            {
                throw new IllegalArgumentException("strategy contpte-basic exists only on arm64, not on " + arch);
            }
            if (threads < 1 || threads > 256)
            {
                throw new IllegalArgumentException("threads " + threads + " must be 1..256");
            }
            if (ops < 0 || (ops == 0 && durationNanos <= 0))
            {
                throw new IllegalArgumentException("give a positive op count or duration (ops " + ops + ", duration "
                    + durationNanos + " ns)");
            }
            if (maxPerSubtree < 1)
            {
                throw new IllegalArgumentException("maxPerSubtree " + maxPerSubtree + " must be at least 1");
            }
            if ((long)children * maxPerSubtree + 1 > 65535)
            {
                throw new IllegalArgumentException(children + " subtrees of up to " + maxPerSubtree
                    + " processes exceed the 65535 MM IDs a machine has");
            }
            if (ramBytes < 0)
            {
                throw new IllegalArgumentException("ram " + ramBytes + " bytes must not be negative");
            }
            if (ramBytes == 0)
            {
                ramBytes = defaultRam(children, maxPerSubtree, sizeBytes);
            }
            if (ramBytes < (4L << 20) || ramBytes % Arch.PAGE_SIZE != 0 || ramBytes > (1L << 43))
            {
                throw new IllegalArgumentException("simulated RAM " + ramBytes + " bytes must be a multiple of 4 KiB between"
                    + " 4 MiB and 8 TiB");
            }
            if (ramBytes < sizeBytes + (4L << 20))
            {
                throw new IllegalArgumentException("simulated RAM " + ramBytes + " bytes cannot hold the zygote's "
                    + sizeBytes + " bytes and its page tables");
            }
            if (mix == null)
            {
                mix = Mix.DEFAULT;
            }
        }

        /** Enough RAM for every process to have COW-copied all of its memory, plus tables and slack, rounded to 64 MiB. */
        public static long defaultRam(final int children, final int maxPerSubtree, final long sizeBytes)
        {
            final long procs = (long)children * maxPerSubtree + 1;
            final double want = (double)sizeBytes * (procs + 1) * (1.0 + 1.0 / 256) + (64L << 20);
            final long r = (long)Math.min(1L << 43, Math.ceil(want / (64L << 20)) * (64L << 20));
            return Math.max(64L << 20, r);
        }

        /** The default subtree size limit: 2 processes per generation. */
        public static int defaultMaxPerSubtree(final int depth)
        {
            return Math.max(1, 2 * depth);
        }

        /** Workers actually started: no more than there are subtrees. */
        public int workers()
        {
            return Math.min(threads, children);
        }
    }

    /**
     * What a run did and found.
     *
     * @param total          counts summed over the workers
     * @param perWorker      each worker's counts
     * @param opEvents       events of the op phase, summed over the workers' per-thread instances
     * @param runEvents      events of the whole run (populate, ops, teardown), all threads
     * @param wallNanos      wall time of the op phase (workers started to all joined)
     * @param populateNanos  time to populate the zygote
     * @param violations     invariant violations and content mismatches found at quiescence (empty = consistent)
     * @param leaks          what the leak check found after every process exited (empty = nothing leaked)
     * @param failures       exceptions a worker died of (empty = none)
     * @param liveAtQuiescence processes alive when the invariants were checked (zygote included)
     */
    public record Result(Config config, ForkTreeCounts total, List<ForkTreeCounts> perWorker, Events opEvents,
        Events runEvents, long wallNanos, long populateNanos, List<String> violations, List<String> leaks,
        List<String> failures, int liveAtQuiescence, long offHeapBytes)
    {
        public boolean ok()
        {
            return violations.isEmpty() && leaks.isEmpty() && failures.isEmpty();
        }

        private double perSecond(final long n)
        {
            return wallNanos <= 0 ? 0 : n * 1e9 / wallNanos;
        }

        public double opsPerSecond() { return perSecond(total.ops); }
        public double forksPerSecond() { return perSecond(total.forks); }
        public double faultsPerSecond() { return perSecond(opEvents.faults); }
        public double cowCopiesPerSecond() { return perSecond(opEvents.cowCopies); }
        /** Page-table entries copied by forks per second of wall time (all workers). */
        public double forkPagesPerSecond() { return perSecond(total.forkPages); }

        /** Mean time inside fork per copied entry, over all forks. */
        public double forkNanosPerPage()
        {
            return total.forkPages == 0 ? 0 : (double)total.forkNanos / total.forkPages;
        }
    }

    /** One live process of a subtree. */
    private static final class Node
    {
        final Mm mm;
        final int depth;
        /** Token of every page as this process must read it; 0 = still the zygote's. */
        final long[] shadow;

        Node(final Mm mm, final int depth, final long[] shadow)
        {
            this.mm = mm;
            this.depth = depth;
            this.shadow = shadow;
        }
    }

    private static final class Subtree
    {
        final List<Node> live = new ArrayList<>();
    }

    private final Config cfg;
    private final Machine machine;
    private final long pages;
    private final ReentrantLock zygoteLock = new ReentrantLock();
    private Mm zygote;
    /** The zygote's tokens, per page (it never writes after populate). */
    private long[] zygoteTokens;
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());

    private ForkTree(final Config cfg, final Machine machine)
    {
        this.cfg = cfg;
        this.machine = machine;
        this.pages = cfg.sizeBytes() >>> Arch.PAGE_SHIFT;
    }

    /** The machine configuration a tree runs on: concurrent, contpte-basic for that strategy. */
    public static Machine.Config machineConfig(final Config c)
    {
        return Machine.Config.of(c.strategy().variant(c.arch()), c.ramBytes()).withConcurrent(true);
    }

    /** Runs the workload; {@code status} receives progress lines (may be null). */
    public static Result run(final Config c, final Consumer<String> status)
    {
        final Consumer<String> say = status == null ? s -> { } : status;
        try (Machine m = new Machine(machineConfig(c)))
        {
            return new ForkTree(c, m).execute(say);
        }
    }

    /** The zygote's mmap_lock: held by whoever forks the zygote. */
    ReentrantLock zygoteLock()
    {
        return zygoteLock;
    }

    private Result execute(final Consumer<String> say)
    {
        final long initialFree = machine.phys().freePageCount();
        say.accept("populating the zygote: " + (cfg.sizeBytes() >> 20) + " MiB of order-" + cfg.order() + " folios");
        final long p0 = System.nanoTime();
        zygote = machine.newProcess();
        zygote.mmap(BASE_VA, cfg.sizeBytes(), VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
        zygote.populate(BASE_VA, cfg.sizeBytes(), cfg.order());
        final long populateNanos = System.nanoTime() - p0;
        zygoteTokens = new long[(int)Math.min(Integer.MAX_VALUE, pages)];
        for (int i = 0; i < zygoteTokens.length; i++)
        {
            zygoteTokens[i] = zygote.read(BASE_VA + ((long)i << Arch.PAGE_SHIFT));
        }

        // ---- op phase
        final int nw = cfg.workers();
        final List<Worker> workers = new ArrayList<>(nw);
        for (int w = 0; w < nw; w++)
        {
            workers.add(new Worker(w, nw));
        }
        final SplittableRandom seeds = new SplittableRandom(cfg.seed());
        for (final Worker w : workers)
        {
            w.rnd = seeds.split();
        }
        final Events before = machine.eventsTotal();
        say.accept("running " + cfg.children() + " subtrees on " + nw + " thread" + (nw == 1 ? "" : "s")
            + (cfg.ops() > 0 ? " for " + cfg.ops() + " ops" : " for " + fmtSeconds(cfg.durationNanos())));
        final long t0 = System.nanoTime();
        final long deadline = cfg.ops() > 0 ? Long.MAX_VALUE : t0 + cfg.durationNanos();
        final List<String> failures = runAll(workers, w -> w.runOps(deadline));
        final long wallNanos = System.nanoTime() - t0;
        final Events opEvents = machine.eventsTotal().minus(before);

        // ---- quiescence: every worker has joined
        say.accept("quiescent: checking invariants and contents");
        int live = 1;
        for (final Worker w : workers)
        {
            for (final Subtree s : w.subtrees)
            {
                live += s.live.size();
            }
        }
        if (live != machine.processes().size())
        {
            violations.add(live + " processes tracked but the machine lists " + machine.processes().size());
        }
        violations.addAll(InvariantChecker.violations(machine));
        for (final Worker w : workers)
        {
            for (final Subtree s : w.subtrees)
            {
                for (final Node n : s.live)
                {
                    checkContents(n);
                }
            }
        }
        final long offHeap = machine.offHeapBytes();

        // ---- teardown: workers exit their subtrees concurrently, then the zygote exits
        say.accept("tearing down");
        failures.addAll(runAll(workers, Worker::exitAll));
        zygote.exit();
        final List<String> leaks = InvariantChecker.leaks(machine, initialFree);

        final ForkTreeCounts total = new ForkTreeCounts();
        final List<ForkTreeCounts> per = new ArrayList<>();
        for (final Worker w : workers)
        {
            total.add(w.counts);
            per.add(w.counts);
        }
        return new Result(cfg, total, List.copyOf(per), opEvents, machine.eventsTotal(), wallNanos, populateNanos,
            List.copyOf(violations), List.copyOf(leaks), List.copyOf(failures), live, offHeap);
    }

    private static String fmtSeconds(final long nanos)
    {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** Runs {@code body} for every worker on its own thread; returns the failures (joined: quiescence). */
    private List<String> runAll(final List<Worker> workers, final Consumer<Worker> body)
    {
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        final List<Thread> threads = new ArrayList<>();
        for (final Worker w : workers)
        {
            final Thread t = new Thread(() ->
            {
                try
                {
                    body.accept(w);
                }
                catch (final Throwable e)
                {
                    failures.add("worker " + w.index + ": " + e);
                    w.failure = e;
                }
            }, "forktree-" + w.index);
            threads.add(t);
            t.start();
        }
        for (final Thread t : threads)
        {
            boolean interrupted = false;
            while (true)
            {
                try
                {
                    t.join();
                    break;
                }
                catch (final InterruptedException e)
                {
                    interrupted = true;
                }
            }
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }
        return new ArrayList<>(failures);
    }

    /** Quiescent check of a live process: every page reads what its shadow says (no side effects: raw PTEs). */
    private void checkContents(final Node n)
    {
        final Arch arch = machine.arch();
        final MemMap memmap = machine.memmap();
        int bad = 0;
        for (int i = 0; i < n.shadow.length; i++)
        {
            final long pte = n.mm.peekPte(BASE_VA + ((long)i << Arch.PAGE_SHIFT));
            final long expected = n.shadow[i] != 0 ? n.shadow[i] : zygoteTokens[i];
            if (!arch.ptePresent(pte) || memmap.token(arch.ptePfn(pte)) != expected)
            {
                if (bad++ < 3)
                {
                    violations.add(n.mm + " page " + i + ": pte 0x" + Long.toHexString(pte) + " reads "
                        + (arch.ptePresent(pte) ? memmap.token(arch.ptePfn(pte)) : "nothing") + ", expected " + expected);
                }
            }
        }
    }

    /** One worker thread and the subtrees it owns. */
    private final class Worker
    {
        final int index;
        final List<Subtree> subtrees = new ArrayList<>();
        final ForkTreeCounts counts = new ForkTreeCounts();
        SplittableRandom rnd;
        long budget;
        volatile Throwable failure;
        int liveNow;

        Worker(final int index, final int nWorkers)
        {
            this.index = index;
            for (int i = index; i < cfg.children(); i += nWorkers)
            {
                subtrees.add(new Subtree());
            }
            final long ops = cfg.ops();
            this.budget = ops == 0 ? Long.MAX_VALUE : ops / nWorkers + (index < ops % nWorkers ? 1 : 0);
        }

        void runOps(final long deadline)
        {
            for (final Subtree s : subtrees)
            {
                if (counts.ops < budget)
                {
                    spawn(s);
                    counts.ops++;
                }
            }
            while (counts.ops < budget && ((counts.ops & 15) != 0 || System.nanoTime() < deadline))
            {
                step();
                counts.ops++;
            }
        }

        void exitAll()
        {
            for (final Subtree s : subtrees)
            {
                for (final Node n : s.live)
                {
                    n.mm.exit();
                    n.mm.mmdrop();   // the node goes: its mm returns to the machine's slab caches
                }
                s.live.clear();
            }
        }

        private void step()
        {
            final Subtree s = subtrees.get(rnd.nextInt(subtrees.size()));
            if (s.live.isEmpty())
            {
                spawn(s);
                return;
            }
            final Node n = s.live.get(rnd.nextInt(s.live.size()));
            final Mix mix = cfg.mix();
            int r = rnd.nextInt(mix.total());
            try
            {
                if ((r -= mix.write()) < 0)
                {
                    write(n);
                }
                else if ((r -= mix.read()) < 0)
                {
                    read(n);
                }
                else if ((r -= mix.fork()) < 0)
                {
                    if (n.depth < cfg.depth() && s.live.size() < cfg.maxPerSubtree())
                    {
                        fork(s, n);
                    }
                    else
                    {
                        counts.skippedForks++;
                        write(n);
                    }
                }
                else
                {
                    exit(s, n);
                }
            }
            catch (final OutOfSimulatedMemoryException e)
            {
                // the failed op changed nothing; relieve the pressure where this thread can
                counts.ooms++;
                exit(s, s.live.get(rnd.nextInt(s.live.size())));
            }
        }

        private long randomAddr()
        {
            return BASE_VA + (rnd.nextLong(pages) << Arch.PAGE_SHIFT);
        }

        private void write(final Node n)
        {
            final long addr = randomAddr();
            final long token = machine.newToken();
            n.mm.write(addr, token);
            n.shadow[(int)((addr - BASE_VA) >>> Arch.PAGE_SHIFT)] = token;
            counts.writes++;
        }

        private void read(final Node n)
        {
            final long addr = randomAddr();
            final int i = (int)((addr - BASE_VA) >>> Arch.PAGE_SHIFT);
            final long got = n.mm.read(addr);
            final long expected = n.shadow[i] != 0 ? n.shadow[i] : zygoteTokens[i];
            counts.reads++;
            if (got != expected)
            {
                counts.contentMismatches++;
                if (counts.contentMismatches <= 3)
                {
                    violations.add("worker " + index + ": " + n.mm + " page " + i + " read " + got + ", expected " + expected);
                }
            }
        }

        private void fork(final Subtree s, final Node n)
        {
            final long t0 = System.nanoTime();
            final Mm child = Fork.fork(n.mm, cfg.strategy().strategy());
            counts.forkNanos += System.nanoTime() - t0;
            adopt(s, child, n.depth + 1, n.shadow.clone());
        }

        /** A new subtree root: a fork of the zygote under its mmap_lock. */
        private void spawn(final Subtree s)
        {
            final Mm child;
            zygoteLock.lock();
            try
            {
                final long t0 = System.nanoTime();
                try
                {
                    child = Fork.fork(zygote, cfg.strategy().strategy());
                }
                catch (final OutOfSimulatedMemoryException e)
                {
                    counts.ooms++;
                    return;   // fork unwound; the subtree stays empty and tries again later
                }
                finally
                {
                    counts.forkNanos += System.nanoTime() - t0;
                }
            }
            finally
            {
                zygoteLock.unlock();
            }
            counts.zygoteForks++;
            adopt(s, child, 1, new long[zygoteTokens.length]);
        }

        private void adopt(final Subtree s, final Mm child, final int depth, final long[] shadow)
        {
            counts.forks++;
            counts.forkPages += child.rss(Mm.MM_ANONPAGES) + child.rss(Mm.MM_FILEPAGES) + child.rss(Mm.MM_SHMEMPAGES)
                + child.rss(Mm.MM_SWAPENTS);
            s.live.add(new Node(child, depth, shadow));
            liveNow++;
            counts.peakLive = Math.max(counts.peakLive, liveNow);
        }

        private void exit(final Subtree s, final Node n)
        {
            n.mm.exit();
            n.mm.mmdrop();   // the node goes: another worker's next fork may reuse its mm (the caches take locks)
            s.live.remove(n);
            liveNow--;
            counts.exits++;
        }
    }
}
