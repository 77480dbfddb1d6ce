package io.forksim.model;

import io.forksim.fork.Strategy;
import io.forksim.mm.Advice;
import io.forksim.mm.SimFile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reference model: what a user of forksim's process API can observe, in plain Java collections, with none of
 * forksim's machinery (no PTEs, folios, refcounts, batching or physical sharing). Page contents have value
 * semantics: fork copies the child's page map, so "COW" is simply that the two maps are separate afterwards, and
 * a shared mapping is a window onto a file object that every mapper reads and writes.
 *
 * <h2>State</h2>
 * <ul>
 *   <li>processes, by creation order; exited ones stay in the list (operations on them must be refused);</li>
 *   <li>per process: VMAs {@code [start, end)} with prot (R/W/X), shared, DONTFORK, WIPEONFORK, file + page offset
 *       (or anonymous), and whether the VMA has an anon_vma (set by the first private page write/populate of the VMA,
 *       inherited by splits, mremap and fork, cleared for a WIPEONFORK child: it decides whether fork copies the
 *       VMA's pages or lets the child refault them from the file);</li>
 *   <li>per process and page (absent = {@link Kind#NONE}): {@link Kind} and, for {@code ANON}/{@code SWAP}, the
 *       private content token;</li>
 *   <li>files: per page index the content token (regular files start with {@link SimFile#initialToken}, shmem
 *       files behind shared anonymous mappings with 0);</li>
 *   <li>pins per process (oldest first), each attached to the page it pins: a private page at an address of the
 *       pinning process (detached when that page is unmapped or zapped, moved by mremap), or a file page;</li>
 *   <li>the machine's next content token ({@code populate} writes fresh tokens in address order).</li>
 * </ul>
 *
 * <h2>What a user sees of a page</h2>
 * {@link #readToken}: what a load returns. Private anon page never written: 0 (the zero page); private file page
 * not yet written: the file's current content; a written private page: its own token, also after fork (each side
 * keeps its own), swap-out and swap-in, and mremap; shared page: the file's content. A load is allowed iff the
 * VMA's prot is not PROT_NONE, a store iff it has PROT_WRITE.
 *
 * <h2>Where the model has to know a kernel rule</h2>
 * Presence ({@link Kind}) is compared exactly, so the model knows which operations map what: a read fault maps the
 * zero page (private anon) or the page cache page; a write, pin or write fault makes a private page {@code ANON}
 * (copying what was visible); populate maps fresh pages; fork copies a VMA's pages only if it has an anon_vma
 * ({@code vma_needs_copy}); DONTNEED and munmap make pages {@code NONE}. {@code MADV_PAGEOUT} is the one
 * nondeterministic operation (forksim reclaims only exclusively mapped, unpinned folios lying wholly in the range,
 * and only while swap has room): the model allows any {@code ANON} page of a private anonymous VMA in the range
 * that is not attached to a pin to become {@code SWAP} with the same token, and takes forksim's choice.
 */
final class RefModel
{
    static final long PAGE = 4096;
    static final long TASK_SIZE = 1L << 47;

    enum Kind
    {
        /** No PTE. */
        NONE,
        /** Maps the shared zero page (private anon, read before any write). */
        ZERO,
        /** Maps the file's page-cache page (a shared mapping, or a private file page not written yet). */
        FILE,
        /** Maps the process's own anonymous page with its own token. */
        ANON,
        /** Swapped out, with its token. */
        SWAP
    }

    /** Expected outcome of an operation. */
    enum Expect
    {
        OK, SEGV, IAE, ISE
    }

    record MPage(Kind kind, long token)
    {
    }

    static final class MFile
    {
        final String name;
        final boolean shmem;
        final long sizePages;
        /** The engine's file (bound after the engine created it, for shmem). */
        SimFile sim;
        final Map<Long, Long> tokens = new HashMap<>();

        MFile(final String name, final boolean shmem, final long sizePages, final SimFile sim)
        {
            this.name = name;
            this.shmem = shmem;
            this.sizePages = sizePages;
            this.sim = sim;
        }

        long token(final long index)
        {
            final Long t = tokens.get(index);
            if (t != null)
            {
                return t;
            }
            return shmem ? 0 : sim.initialToken(index);
        }
    }

    static final class MVma
    {
        long start;
        long end;
        int prot;
        final boolean shared;
        boolean dontfork;
        boolean wipe;
        /** The anon_vma's identity, or null. */
        Object anon;
        /** The anon_vma chain was cloned from a parent by fork. */
        boolean forked;
        /** VM_ACCOUNT. */
        boolean account;
        final MFile file;
        long pgoff;

        MVma(final long start, final long end, final int prot, final boolean shared, final MFile file, final long pgoff)
        {
            this.start = start;
            this.end = end;
            this.prot = prot;
            this.shared = shared;
            this.file = file;
            this.pgoff = pgoff;
        }

        MVma copy(final long newStart, final long newEnd, final long newPgoff)
        {
            final MVma v = new MVma(newStart, newEnd, prot, shared, file, newPgoff);
            v.dontfork = dontfork;
            v.wipe = wipe;
            v.anon = anon;
            v.forked = forked;
            v.account = account;
            return v;
        }

        long fileIndex(final long addr)
        {
            return pgoff + ((addr - start) >>> 12);
        }

        boolean privateAnon()
        {
            return !shared && file == null;
        }

        @Override
        public String toString()
        {
            return String.format("%x-%x %s%s%s%s%s%s%s", start, end, (prot & 1) != 0 ? "r" : "-", (prot & 2) != 0 ? "w" : "-",
                (prot & 4) != 0 ? "x" : "-", shared ? "s" : "p", dontfork ? " dontfork" : "", wipe ? " wipeonfork" : "",
                anon != null ? " anon_vma" : "") + (file == null ? " anon" : " file=" + file.name + "@" + pgoff);
        }
    }

    static final class MPin
    {
        final long pinAddr;
        /** Attached private page: its current address in the pinning process, or -1. */
        long at = -1;
        /** Attached file page (shared mapping), or null. */
        MFile file;
        long index;

        MPin(final long pinAddr)
        {
            this.pinAddr = pinAddr;
        }
    }

    static final class MProc
    {
        final int index;
        boolean exited;
        final TreeMap<Long, MVma> vmas = new TreeMap<>();
        /** Pages that are not NONE, by address. */
        final TreeMap<Long, MPage> pages = new TreeMap<>();
        final List<MPin> pins = new ArrayList<>();

        MProc(final int index)
        {
            this.index = index;
        }

        MVma vma(final long addr)
        {
            if (addr < 0 || addr >= TASK_SIZE)
            {
                return null;
            }
            final Map.Entry<Long, MVma> e = vmas.floorEntry(addr);
            return e != null && addr < e.getValue().end ? e.getValue() : null;
        }

        List<MVma> vmasIn(final long start, final long end)
        {
            final List<MVma> out = new ArrayList<>();
            for (final MVma v : vmas.values())
            {
                if (v.start < end && v.end > start)
                {
                    out.add(v);
                }
            }
            return out;
        }

        MPin pinAttachedAt(final long addr)
        {
            for (final MPin p : pins)
            {
                if (p.at == addr)
                {
                    return p;
                }
            }
            return null;
        }
    }

    final List<MProc> procs = new ArrayList<>();
    final List<MFile> files = new ArrayList<>();
    final boolean contpteBasic;
    long nextToken;
    /**
     * Where populate's fresh tokens come from: the model's counter; on a machine shared by threads (whose token
     * counter every thread advances) the runner supplies the tokens the engine wrote, after checking them.
     */
    java.util.function.LongSupplier tokenSource = () -> nextToken++;
    /**
     * Whether the PMD entry of (process, address) is none: a PMD-mapped populate needs it, and the model does not
     * model the page-table shape (which tables exist), so the runner answers from the engine before the op.
     */
    java.util.function.BiPredicate<Integer, Long> pmdNone = (p, a) -> true;

    RefModel(final boolean contpteBasic, final long nextToken)
    {
        this.contpteBasic = contpteBasic;
        this.nextToken = nextToken;
    }

    /**
     * A PMD-mapped populate: order 9; a 2 MiB-aligned range of whole 2 MiB steps, each inside one private anonymous
     * writable VMA, with a none PMD entry (no page-table entry of any kind below it).
     */
    private Expect expectPmdPopulate(final int pi, final MProc p, final long a, final long b, final long order)
    {
        final long thp = PAGE << 9;
        if (order != 9 || a < 0 || (a & (thp - 1)) != 0 || b <= 0 || (b & (thp - 1)) != 0 || a + b > TASK_SIZE || a + b < a)
        {
            return Expect.IAE;
        }
        for (long x = a; x < a + b; x += thp)
        {
            final MVma v = p.vma(x);
            if (v == null || v.file != null || v.shared || (v.prot & 2) == 0 || x + thp > v.end || !pmdNone.test(pi, x))
            {
                return Expect.IAE;
            }
        }
        return Expect.OK;
    }

    MProc proc(final int p)
    {
        return p >= 0 && p < procs.size() ? procs.get(p) : null;
    }

    // ------------------------------------------------------------------ what a user sees

    /** The token a load of {@code addr} (inside a VMA) returns now. */
    static long readToken(final MProc p, final long addr)
    {
        final MVma v = p.vma(addr);
        final long a = addr & -PAGE;
        if (v.shared)
        {
            return v.file.token(v.fileIndex(a));
        }
        final MPage pg = p.pages.get(a);
        if (pg == null || pg.kind == Kind.FILE)
        {
            return v.file == null ? 0 : v.file.token(v.fileIndex(a));
        }
        return pg.kind == Kind.ZERO ? 0 : pg.token;
    }

    static Kind kind(final MProc p, final long addr)
    {
        final MPage pg = p.pages.get(addr & -PAGE);
        return pg == null ? Kind.NONE : pg.kind;
    }

    static boolean readable(final MVma v)
    {
        return v != null && v.prot != 0;
    }

    static boolean writable(final MVma v)
    {
        return v != null && (v.prot & Op.PROT_W) != 0;
    }

    // ------------------------------------------------------------------ validation (what forksim must refuse)

    private static boolean badRange(final long addr, final long len)
    {
        return addr < 0 || (addr & (PAGE - 1)) != 0 || len <= 0 || (len & (PAGE - 1)) != 0 || addr + len > TASK_SIZE
            || addr + len < addr;
    }

    private static boolean covered(final MProc p, final long start, final long end)
    {
        long a = start;
        for (final MVma v : p.vmasIn(start, end))
        {
            if (v.start > a)
            {
                return false;
            }
            a = v.end;
        }
        return a >= end;
    }

    /** The expected outcome of {@code op}; {@link Expect#OK} ops may still run out of simulated RAM. */
    Expect expect(final Op op)
    {
        if (op.k() == Op.K.NEWPROC || op.k() == Op.K.OOM_AFTER)
        {
            return Expect.OK;
        }
        final MProc p = proc(op.p());
        if (p.exited)
        {
            return op.k() == Op.K.DMA ? Expect.OK : Expect.ISE;
        }
        final long a = op.a();
        final long b = op.b();
        switch (op.k())
        {
            case MMAP ->
            {
                if (badRange(a, b) || (op.c() & ~7L) != 0)
                {
                    return Expect.IAE;
                }
                if (op.e() >= 0)
                {
                    final MFile f = files.get((int)op.e());
                    if (op.f() < 0 || (op.f() & (PAGE - 1)) != 0 || (op.f() >>> 12) + (b >>> 12) > f.sizePages)
                    {
                        return Expect.IAE;
                    }
                }
                else if (op.f() != 0)
                {
                    return Expect.IAE;
                }
                return p.vmasIn(a, a + b).isEmpty() ? Expect.OK : Expect.IAE;
            }
            case MUNMAP ->
            {
                return badRange(a, b) ? Expect.IAE : Expect.OK;
            }
            case MPROTECT ->
            {
                return badRange(a, b) || (op.c() & ~7L) != 0 || !covered(p, a, a + b) ? Expect.IAE : Expect.OK;
            }
            case MADVISE ->
            {
                if (badRange(a, b) || op.advice() == null || !covered(p, a, a + b))
                {
                    return Expect.IAE;
                }
                if (op.advice() == Advice.WIPEONFORK)
                {
                    for (final MVma v : p.vmasIn(a, a + b))
                    {
                        if (!v.privateAnon())
                        {
                            return Expect.IAE;
                        }
                    }
                }
                return Expect.OK;
            }
            case MREMAP ->
            {
                final long n = op.c();
                if (badRange(a, b) || badRange(n, b))
                {
                    return Expect.IAE;
                }
                final MVma src = p.vma(a);
                if (src == null || a + b > src.end || (n < a + b && a < n + b) || !p.vmasIn(n, n + b).isEmpty())
                {
                    return Expect.IAE;
                }
                return Expect.OK;
            }
            case POPULATE ->
            {
                if (op.pmdMapped())
                {
                    return expectPmdPopulate(op.p(), p, a, b, op.c());
                }
                final long order = op.c();
                if (order < 0 || order > 9)
                {
                    return Expect.IAE;
                }
                final long size = PAGE << order;
                if (a < 0 || (a & (size - 1)) != 0 || b <= 0 || (b & (size - 1)) != 0 || a + b > TASK_SIZE || a + b < a)
                {
                    return Expect.IAE;
                }
                for (long x = a; x < a + b; x += size)
                {
                    final MVma v = p.vma(x);
                    if (v == null || (v.file != null && !v.shared) || v.prot == 0 || x + size > v.end)
                    {
                        return Expect.IAE;
                    }
                }
                return p.pages.subMap(a, a + b).isEmpty() ? Expect.OK : Expect.IAE;
            }
            case FAULT ->
            {
                final MVma v = p.vma(a);
                return (op.c() != 0 ? writable(v) : readable(v)) ? Expect.OK : Expect.SEGV;
            }
            case READ ->
            {
                return readable(p.vma(a)) ? Expect.OK : Expect.SEGV;
            }
            case WRITE ->
            {
                return writable(p.vma(a)) ? Expect.OK : Expect.SEGV;
            }
            case PIN ->
            {
                // pin(addr): FOLL_WRITE on a writable VMA, else a R/O longterm pin, which needs VM_READ
                final MVma v = p.vma(a);
                return writable(v) || v != null && (v.prot & 1) != 0 ? Expect.OK : Expect.IAE;
            }
            case UNPIN ->
            {
                final long page = a & -PAGE;
                for (final MPin pin : p.pins)
                {
                    if (pin.pinAddr == page)
                    {
                        return Expect.OK;
                    }
                }
                return Expect.IAE;
            }
            case FORK ->
            {
                final Strategy s = op.strategy();
                if (s == null)
                {
                    return Expect.IAE;
                }
                return Expect.OK;
            }
            case EXIT, DMA ->
            {
                return Expect.OK;
            }
            default -> throw new IllegalStateException(op.toString());
        }
    }

    // ------------------------------------------------------------------ effects of successful operations

    /** {@code split_vma}: {@code v} keeps {@code [start, at)}. */
    private static void split(final MProc p, final MVma v, final long at)
    {
        final MVma hi = v.copy(at, v.end, v.pgoff + ((at - v.start) >>> 12));
        v.end = at;
        p.vmas.put(at, hi);
    }

    private static void splitAround(final MProc p, final long start, final long end)
    {
        final MVma a = p.vma(start);
        if (a != null && a.start < start)
        {
            split(p, a, start);
        }
        final MVma b = p.vma(end - 1);
        if (b != null && b.end > end)
        {
            split(p, b, end);
        }
    }

    /**
     * Splits each VMA of {@code [start, end)} whose attributes change to the range, changes it and merges it
     * with its neighbours, walking the live tree (a merge may absorb the next VMA).
     */
    private static void modify(final MProc p, final long start, final long end, final java.util.function.Predicate<MVma> changes,
        final java.util.function.Consumer<MVma> change)
    {
        for (long a = start; a < end; )
        {
            MVma v = p.vma(a);
            if (!changes.test(v))
            {
                a = v.end;
                continue;
            }
            if (v.start < start)
            {
                split(p, v, start);
                v = p.vmas.get(start);
            }
            if (v.end > end)
            {
                split(p, v, end);
            }
            change.accept(v);
            a = ModelMerge.merge(p, v, v.forked).end;
        }
    }

    /** VM_ACCOUNT after mprotect to {@code prot}: charged when a private VMA becomes writable, uncharged when an
     *  anonymous one without anon_vma becomes read-only. */
    private static boolean accountAfter(final MVma v, final int prot)
    {
        if ((prot & 2) != 0)
        {
            return v.account || ((v.prot & 2) == 0 && !v.shared);
        }
        return v.account && !(v.file == null && !v.shared && v.anon == null);
    }

    /** The pages of {@code [start, end)} become NONE; pins attached to them detach. */
    private static void zap(final MProc p, final long start, final long end)
    {
        p.pages.subMap(start, end).clear();
        for (final MPin pin : p.pins)
        {
            if (pin.at >= start && pin.at < end)
            {
                pin.at = -1;
            }
        }
    }

    /** What a read fault does to the page at {@code a} (page aligned, readable VMA). */
    static void readFault(final MProc p, final long a)
    {
        final MVma v = p.vma(a);
        final Kind k = kind(p, a);
        if (v.shared)
        {
            p.pages.put(a, new MPage(Kind.FILE, 0));
        }
        else if (k == Kind.NONE)
        {
            p.pages.put(a, new MPage(v.file == null ? Kind.ZERO : Kind.FILE, 0));
        }
        else if (k == Kind.SWAP)
        {
            p.pages.put(a, new MPage(Kind.ANON, p.pages.get(a).token));
        }
    }

    /** What a write fault does (content unchanged): a private page becomes the process's own. */
    private static void writeFault(final MProc p, final long a)
    {
        final MVma v = p.vma(a);
        if (v.shared)
        {
            p.pages.put(a, new MPage(Kind.FILE, 0));
            return;
        }
        p.pages.put(a, new MPage(Kind.ANON, readToken(p, a)));
        ModelMerge.anonVmaPrepare(p, v);
    }

    /** Applies a successful operation (after {@link #expect} said OK, or SEGV for a fault). */
    void apply(final Op op)
    {
        if (op.k() == Op.K.NEWPROC)
        {
            procs.add(new MProc(procs.size()));
            return;
        }
        if (op.k() == Op.K.OOM_AFTER)
        {
            return;
        }
        final MProc p = proc(op.p());
        final long a = op.a();
        final long b = op.b();
        switch (op.k())
        {
            case MMAP ->
            {
                final boolean shared = op.d() != 0;
                final MFile f;
                long pgoff;
                if (op.e() >= 0)
                {
                    f = files.get((int)op.e());
                    pgoff = op.f() >>> 12;
                }
                else if (shared)
                {
                    f = new MFile("shmem" + files.size() + "." + a, true, b >>> 12, null);
                    pgoff = 0;
                }
                else
                {
                    f = null;
                    pgoff = a >>> 12;
                }
                final MVma nv = new MVma(a, a + b, (int)op.c(), shared, f, pgoff);
                nv.account = !shared && (op.c() & 2) != 0;
                p.vmas.put(a, nv);
                ModelMerge.merge(p, nv, false);             // __mmap_region: vma_merge_new_range
            }
            case MUNMAP ->
            {
                splitAround(p, a, a + b);
                for (final MVma v : p.vmasIn(a, a + b))
                {
                    p.vmas.remove(v.start);
                }
                zap(p, a, a + b);
            }
            case MPROTECT ->
            {
                final int prot = (int)op.c();
                modify(p, a, a + b, v -> v.prot != prot || v.account != accountAfter(v, prot), v ->
                {
                    v.account = accountAfter(v, prot);
                    v.prot = prot;
                });
            }
            case MADVISE ->
            {
                switch (op.advice())
                {
                    case DONTNEED -> zap(p, a, a + b);
                    case DONTFORK -> modify(p, a, a + b, v -> !v.dontfork, v -> v.dontfork = true);
                    case DOFORK -> modify(p, a, a + b, v -> v.dontfork, v -> v.dontfork = false);
                    case WIPEONFORK -> modify(p, a, a + b, v -> !v.wipe, v -> v.wipe = true);
                    case KEEPONFORK -> modify(p, a, a + b, v -> v.wipe, v -> v.wipe = false);
                    case PAGEOUT -> throw new IllegalStateException("PAGEOUT is applied through applyPageout");
                }
            }
            case MREMAP ->
            {
                final long n = op.c();
                splitAround(p, a, a + b);
                final MVma piece = p.vmas.remove(a);
                final MVma dst = piece.copy(n, n + b, piece.file == null && piece.anon == null ? n >>> 12 : piece.pgoff);
                p.vmas.put(n, dst);
                ModelMerge.merge(p, dst, false);
                final TreeMap<Long, MPage> moved = new TreeMap<>(p.pages.subMap(a, a + b));
                p.pages.subMap(a, a + b).clear();
                for (final Map.Entry<Long, MPage> e : moved.entrySet())
                {
                    p.pages.put(e.getKey() - a + n, e.getValue());
                }
                for (final MPin pin : p.pins)
                {
                    if (pin.at >= a && pin.at < a + b)
                    {
                        pin.at = pin.at - a + n;
                    }
                }
            }
            case POPULATE ->
            {
                for (long x = a; x < a + b; x += PAGE)
                {
                    final MVma v = p.vma(x);
                    if (!v.shared && (v.prot & 2) == 0)
                    {
                        p.pages.put(x, new MPage(Kind.ZERO, 0)); // a read fault: the zero page, no token
                        continue;
                    }
                    final long t = tokenSource.getAsLong();
                    if (v.shared)
                    {
                        v.file.tokens.put(v.fileIndex(x), t);
                        p.pages.put(x, new MPage(Kind.FILE, 0));
                    }
                    else
                    {
                        p.pages.put(x, new MPage(Kind.ANON, t));
                        ModelMerge.anonVmaPrepare(p, v);
                    }
                }
            }
            case FAULT ->
            {
                if (op.c() != 0)
                {
                    writeFault(p, a & -PAGE);
                }
                else
                {
                    readFault(p, a & -PAGE);
                }
            }
            case READ -> readFault(p, a & -PAGE);
            case WRITE ->
            {
                final long page = a & -PAGE;
                writeFault(p, page);
                final MVma v = p.vma(page);
                if (v.shared)
                {
                    v.file.tokens.put(v.fileIndex(page), op.c());
                }
                else
                {
                    p.pages.put(page, new MPage(Kind.ANON, op.c()));
                }
            }
            case PIN ->
            {
                // R/W: a write fault; R/O: a read fault and, in a private mapping, an unshare: either way a private
                // page becomes the process's own with the content it saw, a shared one is the file's page
                final long page = a & -PAGE;
                writeFault(p, page);
                final MVma v = p.vma(page);
                final MPin pin = new MPin(page);
                if (v.shared)
                {
                    pin.file = v.file;
                    pin.index = v.fileIndex(page);
                }
                else
                {
                    pin.at = page;
                }
                p.pins.add(pin);
            }
            case UNPIN ->
            {
                final long page = a & -PAGE;
                for (int i = p.pins.size() - 1; i >= 0; i--)
                {
                    if (p.pins.get(i).pinAddr == page)
                    {
                        p.pins.remove(i);
                        break;
                    }
                }
            }
            case DMA ->
            {
                final MPin pin = p.pins.get((int)op.c());
                if (pin.file != null)
                {
                    pin.file.tokens.put(pin.index, op.d());
                }
                else if (pin.at >= 0)
                {
                    final MPage pg = p.pages.get(pin.at);
                    if (pg == null || pg.kind != Kind.ANON)
                    {
                        throw new IllegalStateException("model: pin at " + Long.toHexString(pin.at) + " attached to " + pg);
                    }
                    p.pages.put(pin.at, new MPage(Kind.ANON, op.d()));
                }
            }
            case FORK ->
            {
                final MProc c = new MProc(procs.size());
                for (final MVma v : p.vmas.values())
                {
                    if (v.dontfork)
                    {
                        continue;
                    }
                    final MVma cv = v.copy(v.start, v.end, v.pgoff);
                    c.vmas.put(cv.start, cv);
                    cv.forked = cv.anon != null; // anon_vma_fork
                    cv.anon = cv.anon != null ? new Object() : null;
                    if (v.wipe)
                    {
                        cv.anon = null;
                        cv.forked = false;
                    }
                    else if (v.anon != null)
                    {
                        c.pages.putAll(p.pages.subMap(v.start, v.end));
                    }
                }
                procs.add(c);
            }
            case EXIT ->
            {
                p.exited = true;
                p.vmas.clear();
                p.pages.clear();
                p.pins.clear();
            }
            default -> throw new IllegalStateException(op.toString());
        }
    }

    /** A copy of process {@code p} (VMAs and pages; no pins) as process {@code index} of another model. */
    static MProc copyOf(final MProc p, final int index)
    {
        final MProc c = new MProc(index);
        c.exited = p.exited;
        for (final MVma v : p.vmas.values())
        {
            c.vmas.put(v.start, v.copy(v.start, v.end, v.pgoff));
        }
        c.pages.putAll(p.pages);
        return c;
    }

    /** Whether MADV_PAGEOUT may swap out the page at {@code a} of {@code p}. */
    static boolean mayPageOut(final MProc p, final long a)
    {
        final MVma v = p.vma(a);
        return v != null && v.privateAnon() && kind(p, a) == Kind.ANON && p.pinAttachedAt(a) == null;
    }

    /** Takes forksim's choice of pages to swap out: each page in {@code swapped} becomes SWAP with its token. */
    void applyPageout(final MProc p, final List<Long> swapped)
    {
        for (final long a : swapped)
        {
            p.pages.put(a, new MPage(Kind.SWAP, p.pages.get(a).token));
        }
    }

    /** The shmem files some live process maps (the engine drops the others). */
    List<MFile> liveShmem()
    {
        final List<MFile> out = new ArrayList<>();
        for (final MProc p : procs)
        {
            for (final MVma v : p.vmas.values())
            {
                if (v.file != null && v.file.shmem && !out.contains(v.file))
                {
                    out.add(v.file);
                }
            }
        }
        return out;
    }
}
