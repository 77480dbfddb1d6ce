package io.forksim.model;

import io.forksim.arch.Arch;
import io.forksim.arch.ArchVariant;
import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.mem.MemMap;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mem.PageDescriptor;
import io.forksim.arch.PmdOps;
import io.forksim.mm.FaultResult;
import io.forksim.mm.FolioMapping;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.SwapSpace;
import io.forksim.mm.VmFlags;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.PmdLeaves;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs an operation sequence on a fresh machine and on the {@link RefModel} side by side.
 *
 * <h2>Checked after every step</h2>
 * <ol>
 *   <li><b>Outcome.</b> The model says whether the op is valid. A valid op must succeed, or, if it may allocate,
 *       fail with {@link OutOfSimulatedMemoryException}; an invalid one must throw the documented exception
 *       ({@link IllegalArgumentException}, {@link IllegalStateException} for an exited process or a SIGSEGV of a
 *       user access; {@link FaultResult#SEGV} from {@code fault}). A refused op, and an op that ran out of RAM,
 *       must leave the machine exactly as it was: its {@link MachineImage} before and after are equal. Two
 *       exceptions the kernel makes too: a failed fork leaves the parent write-protected (there, the process list
 *       and everything the user sees must be unchanged); a failed pin leaves the faults it completed, which for a
 *       R/O pin whose unshare ran out is its read fault (the machine must then equal one where a read fault ran in
 *       place of the pin: {@link FailedPin}). Any other exception is a failure.</li>
 *   <li><b>Results.</b> {@code read} returns the model's token; {@code fault} returns SWAPPED_IN exactly for a
 *       swapped-out page.</li>
 *   <li><b>Observable state</b> ({@link #compare}): the live processes; per process its VMAs (range, prot, shared,
 *       DONTFORK, WIPEONFORK, anon_vma, file and page offset); per page that is not none (mapped by a PTE or by a
 *       PMD leaf) its kind (zero page,
 *       page-cache page of the right file and index, own anon page, swap entry) and the token a load would return
 *       (a swap entry's from the swap cache or the slot); per file (regular, and the shmem files of live shared
 *       anonymous mappings) the token of every page; the pins (address, in order) and that each attached pin
 *       still holds the very page mapped at its address; the machine's next token.</li>
 *   <li><b>Invariants:</b> {@link InvariantChecker#violations} is empty.</li>
 * </ol>
 * At the end every live process exits, the files are dropped, and {@link InvariantChecker#leaks} must be empty
 * (free page count back to the initial one, no table, anon folio or swap slot left).
 */
public final class ModelRun implements AutoCloseable
{
    /** Machine configuration of a run. */
    public record Setup(String arch, boolean contpteBasic, long ramBytes, long swapBytes)
    {
        public static Setup of(final String arch, final boolean contpteBasic, final long ramBytes, final long swapBytes)
        {
            return new Setup(arch, contpteBasic, ramBytes, swapBytes);
        }

        @Override
        public String toString()
        {
            return "Setup.of(\"" + arch + "\", " + contpteBasic + ", " + Op.hex(ramBytes) + ", " + Op.hex(swapBytes) + ")";
        }
    }

    /** The first failed check: at which step (the op index; ops.size() = the final teardown), what, details. */
    public record Failure(int step, String kind, String detail)
    {
        /** What the shrinker keeps constant. */
        String signature()
        {
            return kind;
        }
    }

    /** Regular files created by the setup: index -> size in pages. */
    static final long[] FILE_PAGES = {1024, 64};

    final Setup setup;
    final Machine m;
    final RefModel model;
    final List<Mm> mms = new ArrayList<>();
    /** Every op stepped so far, in order (a failed pin's twin run replays them: {@link FailedPin}). */
    final List<Op> history = new ArrayList<>();
    final long initialFree;
    /** Outcome statistics of this run, for coverage assertions: "OK MMAP", "IAE POPULATE", "OOM FORK", ... */
    final Map<String, Integer> stats = new TreeMap<>();
    /** Pages swapped out and in (observed). */
    long swappedOut;
    long swappedIn;
    /** Steps after which some swap slot held only its swap-cache folio (count 0, SWAP_HAS_CACHE). */
    long swapCacheOnlySteps;
    /** Pending {@link Op#oomAfter} for the next op, or -1. */
    private long inject = -1;
    /**
     * A run on a machine other threads drive at the same time ({@link #attach}): only this run's processes (from
     * {@link #firstOwn} on) are compared; the machine-wide checks (state image, invariants, process list, files,
     * token counter, leaks) are left to the caller at quiescence.
     */
    final boolean shared;
    final int firstOwn;

    ModelRun(final Setup setup)
    {
        this(setup, false);
    }

    ModelRun(final Setup setup, final boolean concurrentMachine)
    {
        this.setup = setup;
        this.shared = false;
        this.firstOwn = 0;
        this.m = new Machine(Machine.Config.of(setup.arch, setup.ramBytes).withSwap(setup.swapBytes)
            .withArch(ArchVariant.of(setup.arch, setup.contpteBasic)).withConcurrent(concurrentMachine));
        this.initialFree = m.phys().freePageCount();
        this.model = new RefModel(setup.contpteBasic, m.counters().nextToken());
        for (int i = 0; i < FILE_PAGES.length; i++)
        {
            final SimFile f = m.createFile("f" + i, FILE_PAGES[i] * RefModel.PAGE);
            model.files.add(new RefModel.MFile("f" + i, false, FILE_PAGES[i], f));
        }
        mms.add(m.newProcess());
        model.apply(Op.newProcess());
        model.pmdNone = (pi, a) -> mms.get(pi).peekPmd(a) == 0;
    }

    private ModelRun(final Setup setup, final Machine m, final RefModel model, final List<Mm> mms, final int firstOwn)
    {
        this.setup = setup;
        this.m = m;
        this.model = model;
        this.mms.addAll(mms);
        this.shared = true;
        this.firstOwn = firstOwn;
        this.initialFree = -1;
    }

    /**
     * A run of one thread on machine {@code m}, shared with other threads: {@code mms} are the processes of
     * {@code model} in order; those before {@code firstOwn} belong to others (they are neither touched nor compared).
     */
    static ModelRun attach(final Setup setup, final Machine m, final RefModel model, final List<Mm> mms, final int firstOwn)
    {
        return new ModelRun(setup, m, model, mms, firstOwn);
    }

    @Override
    public void close()
    {
        if (!shared)
        {
            m.close();
        }
    }

    /** Runs {@code ops} on a fresh machine; the first failure, or null. */
    public static Failure replay(final Setup setup, final List<Op> ops)
    {
        try (ModelRun r = new ModelRun(setup))
        {
            for (int i = 0; i < ops.size(); i++)
            {
                final Failure f = r.step(i, ops.get(i));
                if (f != null)
                {
                    return f;
                }
            }
            return r.teardown(ops.size());
        }
    }

    private void count(final String what)
    {
        stats.merge(what, 1, Integer::sum);
    }

    /** Whether {@code op} refers to something that does not exist in this run (it is skipped then). */
    boolean skipped(final Op op)
    {
        if (op.k() == Op.K.NEWPROC || op.k() == Op.K.OOM_AFTER)
        {
            return false;
        }
        final RefModel.MProc p = model.proc(op.p());
        if (p == null)
        {
            return true;
        }
        if (op.k() == Op.K.DMA)
        {
            return p.exited || op.c() < 0 || op.c() >= mms.get(op.p()).pins().size();
        }
        return op.k() == Op.K.MMAP && op.e() >= model.files.size();
    }

    /** Runs one op on both sides and checks everything; the failure or null. */
    Failure step(final int i, final Op op)
    {
        history.add(op);
        if (op.k() == Op.K.OOM_AFTER)
        {
            inject = Math.max(0, op.c());
            count("OK OOM_AFTER");
            return null;
        }
        final long injectNow = inject;
        inject = -1;
        if (skipped(op))
        {
            return null;
        }
        final RefModel.Expect expect = model.expect(op);
        final MachineImage before = shared ? null : MachineImage.of(m);
        final List<Mm> procsBefore = shared ? List.of() : new ArrayList<>(m.processes());
        final RefModel.MProc mp = op.k() == Op.K.NEWPROC ? null : model.proc(op.p());
        // what the model predicts a read returns / whether the page is swapped, before the op
        long expectToken = 0;
        RefModel.Kind kindBefore = RefModel.Kind.NONE;
        if (mp != null && !mp.exited && expect == RefModel.Expect.OK && (op.k() == Op.K.READ || op.k() == Op.K.FAULT))
        {
            expectToken = RefModel.readToken(mp, op.a());
            kindBefore = RefModel.kind(mp, op.a());
        }
        Object result = null;
        Throwable thrown = null;
        try
        {
            if (injectNow >= 0)
            {
                m.phys().failAllocationsAfter(injectNow);
            }
            result = exec(op);
        }
        catch (final Throwable t)
        {
            thrown = t;
        }
        finally
        {
            m.phys().clearFailureInjection();
        }
        if (thrown instanceof OutOfSimulatedMemoryException oom)
        {
            count("OOM " + op.k());
            if (expect != RefModel.Expect.OK || !op.mayAllocate())
            {
                return new Failure(i, "unexpected OOM", op + " was expected to " + (expect == RefModel.Expect.OK
                    ? "succeed (it allocates nothing)" : "be refused with " + expect) + " but threw " + oom);
            }
            if (oom.getMessage() == null || oom.getMessage().isBlank())
            {
                return new Failure(i, "OOM without message", op.toString());
            }
            if (op.k() == Op.K.PIN)
            {
                final Failure f = FailedPin.check(this, i, op, before);
                if (f != null)
                {
                    return f;
                }
            }
            else if (op.k() == Op.K.FORK)
            {
                if (!shared && !procsBefore.equals(m.processes()))
                {
                    return new Failure(i, "failed fork left a process", "processes before " + procsBefore + ", after "
                        + m.processes());
                }
            }
            else
            {
                final String d = changed(before);
                if (d != null)
                {
                    return new Failure(i, "OOM changed state", op + " ran out of memory but changed the machine: " + d);
                }
            }
            return check(i, op);
        }
        if (thrown != null)
        {
            final boolean segvAccess = expect == RefModel.Expect.SEGV && (op.k() == Op.K.READ || op.k() == Op.K.WRITE)
                && thrown.getClass() == IllegalStateException.class && String.valueOf(thrown.getMessage()).contains("SIGSEGV");
            final boolean iae = expect == RefModel.Expect.IAE && thrown.getClass() == IllegalArgumentException.class;
            final boolean ise = expect == RefModel.Expect.ISE && thrown.getClass() == IllegalStateException.class
                && String.valueOf(thrown.getMessage()).contains("exited");
            if (!segvAccess && !iae && !ise)
            {
                return new Failure(i, "unexpected " + thrown.getClass().getSimpleName(), op + " (model expects " + expect
                    + ") threw " + stackTrace(thrown));
            }
            if (thrown.getMessage() == null || thrown.getMessage().isBlank())
            {
                return new Failure(i, "exception without message", op + " threw " + thrown.getClass().getName() + " with no message");
            }
            count(expect + " " + op.k());
            final String d = changed(before);
            if (d != null)
            {
                return new Failure(i, "refused op changed state", op + " was refused (" + thrown.getMessage()
                    + ") but changed the machine: " + d);
            }
            return check(i, op);
        }
        // returned normally
        if (op.k() == Op.K.FAULT && result == FaultResult.SEGV)
        {
            if (expect != RefModel.Expect.SEGV)
            {
                return new Failure(i, "wrong fault result", op + " returned SEGV, model expects " + expect);
            }
            count("SEGV FAULT");
            final String d = changed(before);
            return d == null ? check(i, op) : new Failure(i, "refused op changed state", op + " returned SEGV but changed: " + d);
        }
        if (expect != RefModel.Expect.OK)
        {
            return new Failure(i, "accepted invalid op", op + " succeeded (result " + result + ") but the model expects " + expect);
        }
        count("OK " + op.k());
        if (op.pmdMapped())
        {
            count("OK POPULATE PMD");
        }
        switch (op.k())
        {
            case READ ->
            {
                if ((Long)result != expectToken)
                {
                    return new Failure(i, "read returned a wrong token", op + " returned " + Op.hex((Long)result)
                        + ", the model expects " + Op.hex(expectToken));
                }
                if (kindBefore == RefModel.Kind.SWAP)
                {
                    swappedIn++;
                }
            }
            case FAULT ->
            {
                final FaultResult r = (FaultResult)result;
                if ((r == FaultResult.SWAPPED_IN) != (kindBefore == RefModel.Kind.SWAP))
                {
                    return new Failure(i, "wrong fault result", op + " returned " + r + " for a page the model has as " + kindBefore);
                }
                if (kindBefore == RefModel.Kind.SWAP)
                {
                    swappedIn++;
                }
            }
            case MADVISE ->
            {
                if (op.advice() == io.forksim.mm.Advice.PAGEOUT)
                {
                    final Obs obs = observe(mms.get(op.p()));
                    final List<Long> out = new ArrayList<>();
                    for (int j = 0; j < obs.n; j++)
                    {
                        final long a = obs.addr[j];
                        if (a >= op.a() && a - op.a() < op.b() && obs.kind[j] == SWAP && RefModel.mayPageOut(mp, a))
                        {
                            out.add(a);
                        }
                    }
                    swappedOut += out.size();
                    model.applyPageout(mp, out);
                    return check(i, op);
                }
            }
            case FORK, NEWPROC -> mms.add((Mm)result);
            case POPULATE ->
            {
                if (shared)
                {
                    // other threads take tokens too: populate's must be fresh and rising in address order
                    final Obs obs = observe(mms.get(op.p()));
                    final java.util.ArrayDeque<Long> written = new java.util.ArrayDeque<>();
                    int zeroPages = 0;
                    for (int j = 0; j < obs.n; j++)
                    {
                        if (obs.addr[j] >= op.a() && obs.addr[j] - op.a() < op.b())
                        {
                            final RefModel.MVma v = mp.vma(obs.addr[j]);
                            if (!v.shared && (v.prot & 2) == 0)
                            {
                                zeroPages++; // a read-only private page: the zero page, no token
                                continue;
                            }
                            final long t = v.shared ? m.memmap().token(m.arch().ptePfn(mms.get(op.p()).peekPte(obs.addr[j])))
                                : obs.token[j];
                            if (!written.isEmpty() && t <= written.peekLast())
                            {
                                return new Failure(i, "populate tokens not rising", op + ": token " + Op.hex(t) + " at "
                                    + Op.hex(obs.addr[j]) + " after " + Op.hex(written.peekLast()));
                            }
                            written.add(t);
                        }
                    }
                    if (written.size() + zeroPages != op.b() / RefModel.PAGE)
                    {
                        return new Failure(i, "populate mapped a wrong number of pages", op + " mapped " + written.size());
                    }
                    model.tokenSource = written::removeFirst;
                }
            }
            default ->
            {
            }
        }
        model.apply(op);
        if (op.k() == Op.K.MMAP && op.d() != 0 && op.e() < 0)
        {
            mp.vma(op.a()).file.sim = ((Vma)result).file(); // bind the new shmem file
        }
        if (hasSwapCacheOnlySlot())
        {
            swapCacheOnlySteps++;
        }
        return check(i, op);
    }

    /** Whether a swap slot holds only its swap-cache folio: no swap PTE references it, the folio stays cached for its mappings. */
    private boolean hasSwapCacheOnlySlot()
    {
        final SwapSpace swap = m.swap();
        if (swap.cachedPages() == 0)
        {
            return false;
        }
        for (long s = 1; s < swap.slots(); s++)
        {
            if (swap.count(s) == 0 && swap.cachePfn(s) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    /** Null if the machine's state equals {@code before}, else its differences (the first ones). */
    private String changed(final MachineImage before)
    {
        if (shared)
        {
            return null;
        }
        final List<String> d = before.diff(MachineImage.of(m));
        return d.isEmpty() ? null : String.join("; ", d);
    }

    private Object exec(final Op op)
    {
        if (op.k() == Op.K.NEWPROC)
        {
            return m.newProcess();
        }
        if (op.k() == Op.K.OOM_AFTER)
        {
            return null;
        }
        final Mm mm = mms.get(op.p());
        final long a = op.a();
        final long b = op.b();
        switch (op.k())
        {
            case MMAP:
                return mm.mmap(a, b, (int)op.c(), op.d() != 0, op.e() < 0 ? null : model.files.get((int)op.e()).sim, op.f());
            case MUNMAP:
                mm.munmap(a, b);
                return null;
            case MPROTECT:
                mm.mprotect(a, b, (int)op.c());
                return null;
            case MADVISE:
                mm.madvise(a, b, op.advice());
                return null;
            case MREMAP:
                return mm.mremap(a, b, op.c());
            case POPULATE:
                mm.populate(a, b, (int)op.c(), op.pmdMapped() ? FolioMapping.PMD : FolioMapping.PTE);
                return null;
            case FAULT:
                return mm.fault(a, op.c() != 0);
            case READ:
                return mm.read(a);
            case WRITE:
                mm.write(a, op.c());
                return null;
            case PIN:
                return mm.pin(a);
            case UNPIN:
                mm.unpin(a);
                return null;
            case DMA:
                m.memmap().setToken(mm.pins().get((int)op.c()).pfn(), op.d());
                return null;
            case FORK:
                return Fork.fork(mm, op.strategy());
            case EXIT:
                mm.exit();
                return null;
            default:
                throw new IllegalStateException(op.toString());
        }
    }

    private Failure check(final int i, final Op op)
    {
        final List<String> diffs = compare();
        if (!diffs.isEmpty())
        {
            return new Failure(i, "model mismatch", "after " + op + ":\n    " + String.join("\n    ", diffs));
        }
        if (shared)
        {
            return null;
        }
        final List<String> v = InvariantChecker.violations(m);
        if (!v.isEmpty())
        {
            return new Failure(i, "invariant violation", "after " + op + ":\n    " + String.join("\n    ", v));
        }
        return null;
    }

    /** Exits every live process and drops the files; then nothing may be left. */
    Failure teardown(final int step)
    {
        for (int p = firstOwn; p < mms.size(); p++)
        {
            if (!model.procs.get(p).exited)
            {
                final Failure f = step(step, Op.exit(p));
                if (f != null)
                {
                    return f;
                }
            }
        }
        if (shared)
        {
            return null;
        }
        try
        {
            for (final RefModel.MFile f : model.files)
            {
                m.dropFile(f.sim);
            }
        }
        catch (final RuntimeException e)
        {
            return new Failure(step, "teardown failed", stackTrace(e));
        }
        final List<String> leaks = InvariantChecker.leaks(m, initialFree);
        return leaks.isEmpty() ? null : new Failure(step, "leak after teardown", String.join("\n    ", leaks));
    }

    // ------------------------------------------------------------------ observation of the engine

    static final int NONE = 0;
    static final int ZERO = 1;
    static final int FILE = 2;
    static final int ANON = 3;
    static final int SWAP = 4;
    static final int BAD = 5;
    static final String[] KIND = {"NONE", "ZERO", "FILE", "ANON", "SWAP", "BAD"};

    /** The engine's pages that are not none, in address order: kind (ZERO..SWAP, or BAD with a reason), token. */
    static final class Obs
    {
        long[] addr = new long[256];
        int[] kind = new int[256];
        long[] token = new long[256];
        final Map<Long, String> bad = new TreeMap<>();
        int n;

        void add(final long a, final int k, final long t)
        {
            if (n == addr.length)
            {
                addr = java.util.Arrays.copyOf(addr, n * 2);
                kind = java.util.Arrays.copyOf(kind, n * 2);
                token = java.util.Arrays.copyOf(token, n * 2);
            }
            addr[n] = a;
            kind[n] = k;
            token[n] = t;
            n++;
        }

        /** Puts the entries in address order (PMD leaves and PTE tables are walked one after the other). */
        void sortByAddress()
        {
            final Integer[] ix = new Integer[n];
            for (int i = 0; i < n; i++)
            {
                ix[i] = i;
            }
            java.util.Arrays.sort(ix, (x, y) -> Long.compare(addr[x], addr[y]));
            final long[] a2 = new long[addr.length];
            final int[] k2 = new int[addr.length];
            final long[] t2 = new long[addr.length];
            for (int i = 0; i < n; i++)
            {
                a2[i] = addr[ix[i]];
                k2[i] = kind[ix[i]];
                t2[i] = token[ix[i]];
            }
            addr = a2;
            kind = k2;
            token = t2;
        }

        String describe(final int j)
        {
            return kind[j] == BAD ? bad.get(addr[j]) : KIND[kind[j]] + " " + Op.hex(token[j]);
        }
    }

    /**
     * The engine's view of the pages of {@code mm} that are not none: a swap entry (token from the swap cache or
     * the slot), the zero page, a page-cache page (it must be the page cache page of the VMA's file at the VMA's
     * index), an anon page, or BAD (anything else, described).
     */
    Obs observe(final Mm mm)
    {
        final Obs out = new Obs();
        final PageTables pt = m.pageTables();
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final SwapSpace swap = m.swap();
        // the bits a user access depends on: hardware valid (bit 0 on both), user, execute-never
        final long accessBits = arch instanceof io.forksim.arch.X86_64 ? 1L | 1L << 2 | 1L << 63 : 1L | 1L << 6 | 1L << 54;
        final PmdOps ops = PmdOps.of(arch);
        for (final Vma v : mm.vmas())
        {
            final boolean vmWrite = (v.flags() & VmFlags.VM_WRITE) != 0;
            // PMD leaves: 512 pages each, the access bits sit where a PTE has them on both arches
            PmdLeaves.forEach(pt, ops, mm.pgd(), v.start(), v.end(), (pmdTable, idx, leaf, haddr) ->
            {
                final long head = ops.pmdPfn(leaf);
                final boolean bad = ops.pmdWrite(leaf) && !vmWrite || (leaf & accessBits) != (arch.pfnPte(head, v.pageProt()) & accessBits)
                    || (memmap.flags(head) & PageDescriptor.PG_ANON) == 0;
                for (long a = Math.max(v.start(), haddr); a < Math.min(v.end(), haddr + PageTables.PMD_SIZE); a += RefModel.PAGE)
                {
                    if (bad)
                    {
                        out.add(a, BAD, 0);
                        out.bad.put(a, "pmd leaf 0x" + Long.toHexString(leaf) + " is not an anon leaf " + v + " allows");
                        continue;
                    }
                    out.add(a, ANON, memmap.token(head + ((a - haddr) >>> 12)));
                }
            });
            pt.forEachPteTable(mm.pgd(), v.start(), v.end(), (table, tableVa) ->
            {
                final long from = Math.max(v.start(), tableVa);
                final long to = Math.min(v.end(), tableVa + PageTables.PMD_SIZE);
                final var seg = pt.segment(table);
                final long base = pt.base(table);
                for (long a = from; a < to; a += RefModel.PAGE)
                {
                    final long pte = Arch.peek(seg, base, PageTables.pteIndex(a));
                    if (arch.pteNone(pte))
                    {
                        continue;
                    }
                    if (!arch.ptePresent(pte))
                    {
                        final long off = arch.pteSwpOffset(pte);
                        final long cached = swap.cachePfn(off);
                        out.add(a, SWAP, cached >= 0 ? memmap.token(cached) : swap.token(off));
                        continue;
                    }
                    final long pfn = arch.ptePfn(pte);
                    if (arch.pteWrite(pte) && !vmWrite || (pte & accessBits) != (arch.pfnPte(pfn, v.pageProt()) & accessBits))
                    {
                        out.add(a, BAD, 0);
                        out.bad.put(a, "pte 0x" + Long.toHexString(pte) + " allows other accesses than " + v + " (vm_page_prot 0x"
                            + Long.toHexString(v.pageProt()) + ")");
                        continue;
                    }
                    if (pfn == 0 || arch.pteSpecial(pte))
                    {
                        if (pfn == 0)
                        {
                            out.add(a, ZERO, 0);
                        }
                        else
                        {
                            out.add(a, BAD, 0);
                            out.bad.put(a, "special pte " + Long.toHexString(pte) + " not mapping the zero page");
                        }
                        continue;
                    }
                    final int flags = memmap.flags(memmap.folioHead(pfn));
                    if ((flags & PageDescriptor.PG_ANON) != 0)
                    {
                        out.add(a, ANON, memmap.token(pfn));
                    }
                    else if ((flags & PageDescriptor.PG_FILE) != 0
                        && v.file() != null && v.file().cachedPfn(v.filePageIndex(a)) == pfn)
                    {
                        out.add(a, FILE, memmap.token(pfn));
                    }
                    else
                    {
                        out.add(a, BAD, 0);
                        out.bad.put(a, "pfn " + pfn + " with flags 0x" + Integer.toHexString(flags) + " in " + v
                            + (v.file() == null ? "" : " (page cache page there: pfn " + v.file().cachedPfn(v.filePageIndex(a)) + ")"));
                    }
                }
            });
        }
        out.sortByAddress();
        return out;
    }

    private static int modelKind(final RefModel.Kind k)
    {
        return switch (k)
        {
            case NONE -> NONE;
            case ZERO -> ZERO;
            case FILE -> FILE;
            case ANON -> ANON;
            case SWAP -> SWAP;
        };
    }

    /** Compares the model's pages of p with the engine's (both in address order), adding differences to d. */
    private static void comparePages(final int i, final RefModel.MProc p, final Obs obs, final List<String> d)
    {
        final java.util.Iterator<Map.Entry<Long, RefModel.MPage>> it = p.pages.entrySet().iterator();
        Map.Entry<Long, RefModel.MPage> e = it.hasNext() ? it.next() : null;
        int j = 0;
        while ((e != null || j < obs.n) && d.size() < 20)
        {
            final long ma = e == null ? Long.MAX_VALUE : e.getKey();
            final long oa = j < obs.n ? obs.addr[j] : Long.MAX_VALUE;
            final long a = Math.min(ma, oa);
            int mk = NONE;
            long mt = 0;
            if (ma == a)
            {
                mk = modelKind(e.getValue().kind());
                mt = mk == FILE || mk == ZERO ? RefModel.readToken(p, a) : e.getValue().token();
                e = it.hasNext() ? it.next() : null;
            }
            int ok = NONE;
            long ot = 0;
            String od = "NONE";
            if (oa == a)
            {
                ok = obs.kind[j];
                ot = obs.token[j];
                od = obs.describe(j);
                j++;
            }
            if (mk != ok || mt != ot)
            {
                d.add("p" + i + " page " + Op.hex(a) + ": model " + (mk == NONE ? "NONE" : KIND[mk] + " " + Op.hex(mt))
                    + ", engine " + od);
            }
        }
    }

    private static String vmaString(final Vma v, final Map<SimFile, RefModel.MFile> names)
    {
        final int f = v.flags();
        final RefModel.MFile mf = v.file() == null ? null : names.get(v.file());
        return String.format("%x-%x %s%s%s%s%s%s%s", v.start(), v.end(), (f & VmFlags.VM_READ) != 0 ? "r" : "-",
            (f & VmFlags.VM_WRITE) != 0 ? "w" : "-", (f & VmFlags.VM_EXEC) != 0 ? "x" : "-",
            (f & VmFlags.VM_SHARED) != 0 ? "s" : "p", (f & VmFlags.VM_DONTCOPY) != 0 ? " dontfork" : "",
            (f & VmFlags.VM_WIPEONFORK) != 0 ? " wipeonfork" : "", v.hasAnonVma() ? " anon_vma" : "")
            + (v.file() == null ? " anon" : " file=" + (mf == null ? "?" + v.file().name() : mf.name) + "@" + v.pgoff());
    }

    /** Every difference between the model and the engine, as readable lines (at most 20). */
    List<String> compare()
    {
        final List<String> d = new ArrayList<>();
        final Map<SimFile, RefModel.MFile> names = new IdentityHashMap<>();
        for (final RefModel.MFile f : model.files)
        {
            names.put(f.sim, f);
        }
        for (final RefModel.MFile f : model.liveShmem())
        {
            names.put(f.sim, f);
        }
        int live = 0;
        for (int i = firstOwn; i < model.procs.size() && d.size() < 20; i++)
        {
            final RefModel.MProc p = model.procs.get(i);
            final Mm mm = mms.get(i);
            if (p.exited != mm.exited() || !shared && m.processes().contains(mm) == p.exited)
            {
                d.add("p" + i + ": model exited=" + p.exited + ", engine exited=" + mm.exited() + " registered="
                    + m.processes().contains(mm));
                continue;
            }
            if (p.exited)
            {
                continue;
            }
            live++;
            final List<String> mv = new ArrayList<>();
            p.vmas.values().forEach(v -> mv.add(v.toString()));
            final List<String> ev = new ArrayList<>();
            mm.vmas().forEach(v -> ev.add(vmaString(v, names)));
            if (!mv.equals(ev))
            {
                d.add("p" + i + " VMAs differ:\n      model:  " + mv + "\n      engine: " + ev);
            }
            comparePages(i, p, observe(mm), d);
            final List<Mm.Pin> pins = mm.pins();
            final List<Long> mpins = new ArrayList<>();
            p.pins.forEach(x -> mpins.add(x.pinAddr));
            final List<Long> epins = new ArrayList<>();
            pins.forEach(x -> epins.add(x.addr()));
            if (!mpins.equals(epins))
            {
                d.add("p" + i + " pins: model " + mpins + ", engine " + epins);
                continue;
            }
            for (int j = 0; j < pins.size(); j++)
            {
                final RefModel.MPin mpin = p.pins.get(j);
                final long pfn = pins.get(j).pfn();
                if (mpin.at >= 0)
                {
                    final long pte = mm.peekPte(mpin.at);
                    final long leaf = mm.peekPmd(mpin.at);
                    final PmdOps ops = PmdOps.of(m.arch());
                    final long mapped = leaf != 0 && ops.pmdTransHuge(leaf)
                        ? ops.pmdPfn(leaf) + ((mpin.at & (PageTables.PMD_SIZE - 1)) >>> 12)
                        : m.arch().ptePresent(pte) ? m.arch().ptePfn(pte) : -1;
                    if (mapped != pfn)
                    {
                        d.add("p" + i + " pin #" + j + " (pinned at " + Op.hex(mpin.pinAddr) + ") holds pfn " + pfn
                            + " but " + Op.hex(mpin.at) + " maps pfn " + mapped + " (pte " + Long.toHexString(pte) + ")");
                    }
                }
                else if (mpin.file != null && names.containsKey(mpin.file.sim) && mpin.file.sim.cachedPfn(mpin.index) != pfn)
                {
                    d.add("p" + i + " pin #" + j + " holds pfn " + pfn + " but page " + mpin.index + " of " + mpin.file.name
                        + " is pfn " + mpin.file.sim.cachedPfn(mpin.index));
                }
            }
        }
        if (shared)
        {
            return d;
        }
        if (m.processes().size() != live)
        {
            d.add("engine has " + m.processes().size() + " live processes, model " + live);
        }
        // files: every page's token
        final List<RefModel.MFile> files = new ArrayList<>(model.files);
        files.addAll(model.liveShmem());
        final Set<SimFile> engineFiles = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        engineFiles.addAll(m.files());
        for (final RefModel.MFile f : files)
        {
            if (!engineFiles.remove(f.sim))
            {
                d.add("file " + f.name + " is gone from the engine");
                continue;
            }
            for (final Map.Entry<Long, Long> e : f.sim.pageCacheView().entrySet())
            {
                final long t = m.memmap().token(e.getValue());
                if (t != f.token(e.getKey()) && d.size() < 20)
                {
                    d.add("file " + f.name + " page " + e.getKey() + ": model " + Op.hex(f.token(e.getKey())) + ", engine "
                        + Op.hex(t));
                }
            }
            for (final long idx : f.tokens.keySet())
            {
                if (f.sim.cachedPfn(idx) < 0 && f.token(idx) != (f.shmem ? 0 : f.sim.initialToken(idx)))
                {
                    d.add("file " + f.name + " page " + idx + ": model " + Op.hex(f.token(idx)) + ", engine has no cached page");
                }
            }
        }
        for (final SimFile f : engineFiles)
        {
            d.add("engine file " + f.name() + " should have been dropped (no live mapping)");
        }
        if (m.counters().nextToken() != model.nextToken)
        {
            d.add("next token: model " + model.nextToken + ", engine " + m.counters().nextToken());
        }
        return d;
    }

    static String stackTrace(final Throwable t)
    {
        final StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        final String[] lines = w.toString().split("\n");
        return String.join("\n", java.util.Arrays.copyOf(lines, Math.min(lines.length, 14)));
    }
}
