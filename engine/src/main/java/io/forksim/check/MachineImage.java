package io.forksim.check;

import io.forksim.arch.Arch;
import io.forksim.arch.PmdOps;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.SwapSpace;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.PmdLeaves;
import io.forksim.pgtable.TableStore;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An image of a machine's state and its diff: taken before and after an operation that must change nothing (a
 * failed or rejected operation, a checkpoint restore), or after the same work on two machines or under two copy
 * strategies ({@code forksim fork --verify}, the differential tests). Events are not state and are never part of it.
 *
 * <h2>Facts</h2>
 * An image is a flat {@code long[]} of facts, in the order they were taken; a fact is its kind, then that kind's
 * fields (the first fields after the kind identify it, the others are its value):
 * <pre>
 *   kind        identity           value
 *   HEADER                         free pages, table slots in use
 *   FREE_BLOCK  pfn                flags (PG_BUDDY, order) of a free buddy block's first page (a deferred
 *                                  max-order block, see PhysMem, reads as PG_BUDDY | MAX_ORDER in both scopes)
 *   PAGE        pfn                flags, refcount, mapcount, aux, token, PageAnonExclusive (0/1)
 *   MM          id                 pgd, has pinned (0/1), exited (0/1), RSS of the four counters
 *   PIN         addr               pfn
 *   VMA         start              end, flags, file id (-1 = anon), pgoff, anon_vma (0/1), page prot
 *   ENTRY       level, va          the entry: every non-zero entry of a process's page-table tree (PGD = level 0)
 *   SWAP_USED                      slots in use
 *   SWAP_SLOT   slot               count, token, swap-cache pfn (-1 = none)
 *   FILE        id                 -
 *   CACHED      index              pfn of the file's page-cache folio at that index
 *   PTE         role, va           the PTE word (none = 0) of a fork's parent (role 0) or child (role 1)
 * </pre>
 * Three scopes:
 * <ul>
 *   <li>{@link #of(Machine)}: the whole machine. Free buddy blocks (not their list order), every other page's
 *       record, token and PageAnonExclusive byte, every process (MM, pins, VMAs, its whole page-table tree), the swap
 *       map, the page caches, the allocator counts. Cheap enough to take around every step of a model run.</li>
 *   <li>{@link #ofEveryPage(Machine)}: the same with a PAGE fact for every PFN, free pages included, in place of the
 *       FREE_BLOCK facts: the free-list links and free pages' tokens count too, so two machines compare equal only
 *       when they allocated and freed in the same order.</li>
 *   <li>{@link #ofFork}: what a fork left behind over a VA range: every PTE word of the parent and of the child (VA
 *       order, none = 0) and a PAGE fact for every page of the folios the parent maps there. Table PFNs are left out
 *       (each child gets its own table pages), and the MM ids in the MM-id slots of a large folio (page[1]'s aux) are
 *       normalised: the parent's becomes {@link #PARENT_ID}, the child's {@link #CHILD_ID}, since a second fork gets a
 *       new MM id.</li>
 * </ul>
 * Two images are equal when their facts are; {@link #diff} names the differences, one line each.
 */
public final class MachineImage
{
    /** The parent's MM id in the MM-id slots of a fork image. */
    public static final int PARENT_ID = 0xFFFE;
    /** The child's MM id in the MM-id slots of a fork image. */
    public static final int CHILD_ID = 0xFFFD;
    /** Differences listed by {@link #diff} before "... N more differences". */
    public static final int MAX_LISTED = 8;

    static final int HEADER = 0;
    static final int FREE_BLOCK = 1;
    static final int PAGE = 2;
    static final int MM = 3;
    static final int PIN = 4;
    static final int VMA = 5;
    static final int ENTRY = 6;
    static final int SWAP_USED = 7;
    static final int SWAP_SLOT = 8;
    static final int FILE = 9;
    static final int CACHED = 10;
    static final int PTE = 11;

    /** Fields after the kind, per kind. */
    private static final int[] FIELDS = {2, 2, 7, 8, 2, 7, 3, 1, 4, 1, 2, 3};
    /** Identity fields after the kind, per kind (the first ones). */
    private static final int[] KEY = {0, 1, 1, 1, 1, 1, 2, 0, 1, 1, 1, 2};
    private static final String[] PAGE_FIELDS = {"flags", "refcount", "mapcount", "aux", "token", "PageAnonExclusive"};
    private static final String[] ROLE = {"parent", "child"};

    private final Arch arch;
    private long[] facts = new long[1024];
    private int n;

    private MachineImage(final Arch arch)
    {
        this.arch = arch;
    }

    /** The whole machine (see the class comment). Precondition: no other thread changes the machine meanwhile. */
    public static MachineImage of(final Machine m)
    {
        return whole(m, false);
    }

    /** The whole machine with every PFN's record, token and PageAnonExclusive byte, free pages included. */
    public static MachineImage ofEveryPage(final Machine m)
    {
        return whole(m, true);
    }

    /**
     * What a fork left behind over {@code [start, end)}: the PTE words of {@code parent} and {@code child} and the
     * pages of the folios the parent maps there.
     *
     * <p>Preconditions: {@code start} and {@code end} are page aligned, {@code start <= end}; both processes are live
     * processes of {@code m}.
     */
    public static MachineImage ofFork(final Machine m, final Mm parent, final Mm child, final long start, final long end)
    {
        final MachineImage img = new MachineImage(m.arch());
        final long[] p = ptes(m, parent, start, end);
        final long[] c = ptes(m, child, start, end);
        for (final long[] words : new long[][] {p, c})
        {
            final long role = words == p ? 0 : 1;
            for (int i = 0; i < words.length; i++)
            {
                img.add(PTE, role, start + ((long)i << Arch.PAGE_SHIFT), words[i]);
            }
        }
        final MemMap mm = m.memmap();
        for (final long[] run : folioRuns(m, p))
        {
            for (long pfn = run[0]; pfn < run[1]; pfn++)
            {
                final int flags = mm.flags(pfn);
                int aux = mm.aux(pfn);
                final int order = flags & PageDescriptor.ORDER_MASK;
                if (order != 0 && pfn == (pfn & -(1L << order)) + 1)
                {
                    aux = normaliseMmIds(aux, parent.id(), child.id());
                }
                img.add(PAGE, pfn, flags, mm.rawRefcount(pfn), mm.rawMapcount(pfn), aux, mm.token(pfn),
                    mm.testAnonExclusive(pfn) ? 1 : 0);
            }
        }
        return img;
    }

    private static MachineImage whole(final Machine m, final boolean everyPage)
    {
        final MachineImage img = new MachineImage(m.arch());
        final MemMap mm = m.memmap();
        img.add(HEADER, m.phys().freePageCount(), m.tableStore().slotsInUse());
        for (long pfn = 0; pfn < mm.nrPages(); )
        {
            if (m.phys().isDeferred(pfn))
            {
                // a deferred free block (records zero, not linked): in both scopes one fact, as a linked block's
                img.add(FREE_BLOCK, pfn, PageDescriptor.PG_BUDDY | PhysMem.MAX_ORDER);
                pfn += PhysMem.MAX_ORDER_NR_PAGES;
                continue;
            }
            final int f = mm.flags(pfn);
            if (!everyPage && (f & PageDescriptor.PG_BUDDY) != 0)
            {
                img.add(FREE_BLOCK, pfn, f);
                pfn += 1L << (f & PageDescriptor.ORDER_MASK);
                continue;
            }
            if (everyPage || f != 0 || mm.rawRefcount(pfn) != 0 || mm.rawMapcount(pfn) != 0 || mm.aux(pfn) != 0)
            {
                img.add(PAGE, pfn, f, mm.rawRefcount(pfn), mm.rawMapcount(pfn), mm.aux(pfn), mm.token(pfn),
                    mm.testAnonExclusive(pfn) ? 1 : 0);
            }
            pfn++;
        }
        for (final Mm p : m.processes())
        {
            img.add(MM, p.id(), p.pgd(), p.hasPinned() ? 1 : 0, p.exited() ? 1 : 0, p.rss(0), p.rss(1), p.rss(2), p.rss(3));
            for (final Mm.Pin pin : p.pins())
            {
                img.add(PIN, pin.addr(), pin.pfn());
            }
            for (final Vma v : p.vmas())
            {
                img.add(VMA, v.start(), v.end(), v.flags(), v.file() == null ? -1 : v.file().id(), v.pgoff(),
                    v.hasAnonVma() ? 1 : 0, v.pageProt());
            }
            img.tables(m, p.pgd(), 0, 0);
        }
        final SwapSpace swap = m.swap();
        img.add(SWAP_USED, swap.used());
        for (long s = 1; s < swap.slots(); s++)
        {
            if (swap.count(s) != 0 || swap.cachePfn(s) >= 0)
            {
                img.add(SWAP_SLOT, s, swap.count(s), swap.token(s), swap.cachePfn(s));
            }
        }
        for (final SimFile file : m.files())
        {
            img.add(FILE, file.id());
            for (final Map.Entry<Long, Long> e : file.pageCacheView().entrySet())
            {
                img.add(CACHED, e.getKey(), e.getValue());
            }
        }
        return img;
    }

    /** Every non-zero entry of the tree under {@code table} (a table of {@code level}, mapping from {@code va}). */
    private void tables(final Machine m, final long table, final int level, final long va)
    {
        final PageTables pt = m.pageTables();
        final MemorySegment seg = pt.segment(table);
        final long base = pt.base(table);
        final int shift = level == 0 ? PageTables.PGDIR_SHIFT : level == 1 ? PageTables.PUD_SHIFT
            : level == 2 ? PageTables.PMD_SHIFT : Arch.PAGE_SHIFT;
        for (int i = 0; i < TableStore.ENTRIES; i++)
        {
            final long e = Arch.peek(seg, base, i);
            if (e == 0)
            {
                continue;
            }
            final long a = va | ((long)i << shift);
            add(ENTRY, level, a, e);
            if (level < 2 || level == 2 && !PmdOps.of(m.arch()).pmdTransHuge(e))   // a PMD leaf maps a THP, no table
            {
                tables(m, pt.lookup(table, i), level + 1, a);
            }
        }
    }

    /**
     * Every PTE word of {@code mm} over {@code [start, end)} (page aligned), none (0) where it has no PTE table; a PMD
     * leaf's word in the slot of its first page (its other 511 slots none).
     */
    public static long[] ptes(final Machine machine, final Mm mm, final long start, final long end)
    {
        final PageTables pt = machine.pageTables();
        final long[] out = new long[Math.toIntExact((end - start) >>> Arch.PAGE_SHIFT)];
        pt.forEachPteTable(mm.pgd(), start, end, (table, tableVa) ->
        {
            final MemorySegment seg = pt.segment(table);
            final long base = pt.base(table);
            for (int i = 0; i < TableStore.ENTRIES; i++)
            {
                final long va = tableVa + ((long)i << Arch.PAGE_SHIFT);
                if (va >= start && va < end)
                {
                    out[(int)((va - start) >>> Arch.PAGE_SHIFT)] = Arch.peek(seg, base, i);
                }
            }
        });
        // a PMD-mapped THP: its leaf word stands in the slot of its first page
        PmdLeaves.forEach(pt, PmdOps.of(machine.arch()), mm.pgd(), start, end,
            (pmdTable, idx, leaf, haddr) ->
            {
                if (haddr >= start && haddr < end)
                {
                    out[(int)((haddr - start) >>> Arch.PAGE_SHIFT)] = leaf;
                }
            });
        return out;
    }

    /** The PFN runs [head, end) of the folios that the present, non-special {@code ptes} map, ascending, merged. */
    private static List<long[]> folioRuns(final Machine m, final long[] ptes)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final List<long[]> runs = new ArrayList<>();
        for (final long pte : ptes)
        {
            if (pte == 0 || !arch.ptePresent(pte) || arch.pteSpecial(pte))
            {
                continue;
            }
            final long head = memmap.folioHead(arch.ptePfn(pte));
            final long tail = head + memmap.folioNrPages(head);
            final long[] last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && head >= last[0] && tail <= last[1])
            {
                continue;
            }
            if (last != null && head == last[1])
            {
                last[1] = tail;
            }
            else
            {
                runs.add(new long[] {head, tail});
            }
        }
        runs.sort((a, b) -> Long.compare(a[0], b[0]));
        final List<long[]> merged = new ArrayList<>();
        for (final long[] r : runs)
        {
            final long[] last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && r[0] <= last[1])
            {
                last[1] = Math.max(last[1], r[1]);
            }
            else
            {
                merged.add(r.clone());
            }
        }
        return merged;
    }

    private static int normaliseMmIds(final int ids, final int parentId, final int childId)
    {
        return mapId(ids & 0xFFFF, parentId, childId) | (mapId(ids >>> 16, parentId, childId) << 16);
    }

    private static int mapId(final int id, final int parentId, final int childId)
    {
        return id == 0 ? 0 : id == parentId ? PARENT_ID : id == childId ? CHILD_ID : id;
    }

    // one add per arity: no varargs array per fact (a model run takes two images per step)
    private void add(final int kind, final long a)
    {
        room(2);
        facts[n++] = kind;
        facts[n++] = a;
    }

    private void add(final int kind, final long a, final long b)
    {
        room(3);
        facts[n++] = kind;
        facts[n++] = a;
        facts[n++] = b;
    }

    private void add(final int kind, final long a, final long b, final long c)
    {
        add(kind, a, b);
        room(1);
        facts[n++] = c;
    }

    private void add(final int kind, final long a, final long b, final long c, final long d)
    {
        add(kind, a, b, c);
        room(1);
        facts[n++] = d;
    }

    private void add(final int kind, final long a, final long b, final long c, final long d, final long e, final long f,
        final long g)
    {
        add(kind, a, b, c, d);
        room(3);
        facts[n++] = e;
        facts[n++] = f;
        facts[n++] = g;
    }

    private void add(final int kind, final long a, final long b, final long c, final long d, final long e, final long f,
        final long g, final long h)
    {
        add(kind, a, b, c, d, e, f, g);
        room(1);
        facts[n++] = h;
    }

    private void room(final int longs)
    {
        if (n + longs > facts.length)
        {
            facts = Arrays.copyOf(facts, Math.max(facts.length * 2, n + longs));
        }
    }

    /** The differences from {@code other}, one line each (empty = equal): {@code diff("", other, false)}. */
    public List<String> diff(final MachineImage other)
    {
        return diff("", other, false);
    }

    /**
     * The differences from {@code other}, one line each, each starting with {@code what} (empty = equal): up to
     * {@link #MAX_LISTED} facts whose values differ, then "... N more differences"; where the two images stop having
     * the same facts (a page allocated in one only, a VMA more, other folio PFN runs), that fact pair and nothing
     * after it. With {@code maskCont} the arm64 contiguous bit of present PTEs (PTE facts, level-3 entries) is
     * ignored.
     */
    public List<String> diff(final String what, final MachineImage other, final boolean maskCont)
    {
        final List<String> out = new ArrayList<>();
        if (!maskCont && equals(other))
        {
            return out;
        }
        final String prefix = what.isEmpty() ? "" : what + " ";
        long differences = 0;
        int i = 0;
        int j = 0;
        while (i < n || j < other.n)
        {
            if (i >= n || j >= other.n || facts[i] != other.facts[j] || !sameKey(facts, i, other.facts, j))
            {
                out.add(prefix + "the images stop having the same facts: " + (i < n ? line(i) : "(end)") + "  /  "
                    + (j < other.n ? other.line(j) : "(end)"));
                break;
            }
            final int kind = (int)facts[i];
            final int len = 1 + FIELDS[kind];
            for (int f = 1 + KEY[kind]; f < len; f++)
            {
                long a = facts[i + f];
                long b = other.facts[j + f];
                if (maskCont && (kind == PTE || (kind == ENTRY && facts[i + 1] == 3)))
                {
                    a = noncont(a);
                    b = other.noncont(b);
                }
                if (a != b && ++differences <= MAX_LISTED)
                {
                    out.add(prefix + describe(kind, i, f, a, b));
                }
            }
            i += len;
            j += len;
        }
        if (differences > MAX_LISTED)
        {
            out.add(prefix + "... " + (differences - MAX_LISTED) + " more differences");
        }
        return out;
    }

    private long noncont(final long pte)
    {
        return pte != 0 && arch.ptePresent(pte) ? arch.pteMknoncont(pte) : pte;
    }

    private static boolean sameKey(final long[] a, final int i, final long[] b, final int j)
    {
        for (int f = 1; f <= KEY[(int)a[i]]; f++)
        {
            if (a[i + f] != b[j + f])
            {
                return false;
            }
        }
        return true;
    }

    /** One differing value of the fact at {@code i} (field {@code f} after the kind). */
    private String describe(final int kind, final int i, final int f, final long a, final long b)
    {
        return switch (kind)
        {
            case PTE -> String.format(Locale.ROOT, "%s PTE at 0x%x: 0x%016x vs 0x%016x", ROLE[(int)facts[i + 1]],
                facts[i + 2], a, b);
            case ENTRY -> String.format(Locale.ROOT, "L%d entry at 0x%x: 0x%016x vs 0x%016x", facts[i + 1], facts[i + 2],
                a, b);
            case PAGE -> String.format(Locale.ROOT, "page metadata: pfn %d %s %d vs %d", facts[i + 1], PAGE_FIELDS[f - 2],
                a, b);
            default -> line(i) + "  /  field " + f + ": " + a + " vs " + b;
        };
    }

    /** The fact at {@code i}, readable. */
    private String line(final int i)
    {
        final long[] x = facts;
        return switch ((int)x[i])
        {
            case HEADER -> "free pages " + x[i + 1] + ", table slots " + x[i + 2];
            case FREE_BLOCK -> String.format(Locale.ROOT, "pfn %d free block flags %x", x[i + 1], x[i + 2]);
            case PAGE -> String.format(Locale.ROOT, "pfn %d flags %x ref %d map %d aux %x token %x pae %d", x[i + 1],
                x[i + 2], x[i + 3], x[i + 4], x[i + 5], x[i + 6], x[i + 7]);
            case MM -> String.format(Locale.ROOT, "mm#%d pgd %d pinned %d exited %d rss %d,%d,%d,%d", x[i + 1], x[i + 2],
                x[i + 3], x[i + 4], x[i + 5], x[i + 6], x[i + 7], x[i + 8]);
            case PIN -> String.format(Locale.ROOT, "  pin 0x%x pfn %d", x[i + 1], x[i + 2]);
            case VMA -> String.format(Locale.ROOT, "  vma %x-%x flags %x file %d pgoff %d anon_vma %d prot %x", x[i + 1],
                x[i + 2], x[i + 3], x[i + 4], x[i + 5], x[i + 6], x[i + 7]);
            case ENTRY -> String.format(Locale.ROOT, "  L%d %012x %016x", x[i + 1], x[i + 2], x[i + 3]);
            case SWAP_USED -> "swap used " + x[i + 1];
            case SWAP_SLOT -> String.format(Locale.ROOT, "swap %d count %d token %x cache %d", x[i + 1], x[i + 2], x[i + 3],
                x[i + 4]);
            case FILE -> "file " + x[i + 1];
            case CACHED -> String.format(Locale.ROOT, "  cache index %d pfn %d", x[i + 1], x[i + 2]);
            case PTE -> String.format(Locale.ROOT, "%s PTE at 0x%x: 0x%016x", ROLE[(int)x[i + 1]], x[i + 2], x[i + 3]);
            default -> throw new IllegalStateException("fact kind " + x[i]);
        };
    }

    /** Every fact, readable, one line each. */
    public List<String> lines()
    {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i += 1 + FIELDS[(int)facts[i]])
        {
            out.add(line(i));
        }
        return out;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof MachineImage other && Arrays.equals(facts, 0, n, other.facts, 0, other.n);
    }

    @Override
    public int hashCode()
    {
        int h = 1;
        for (int i = 0; i < n; i++)
        {
            h = 31 * h + Long.hashCode(facts[i]);
        }
        return h;
    }

    @Override
    public String toString()
    {
        return String.join("\n", lines());
    }
}
