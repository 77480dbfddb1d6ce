package io.forksim.mem;

import static io.forksim.mem.PageDescriptor.AUX_OFFSET;
import static io.forksim.mem.PageDescriptor.FLAGS_OFFSET;
import static io.forksim.mem.PageDescriptor.GUP_PIN_COUNTING_BIAS;
import static io.forksim.mem.PageDescriptor.MAPCOUNT_OFFSET;
import static io.forksim.mem.PageDescriptor.ORDER_MASK;
import static io.forksim.mem.PageDescriptor.PG_ANON;
import static io.forksim.mem.PageDescriptor.RECORD_SHIFT;
import static io.forksim.mem.PageDescriptor.REFCOUNT_OFFSET;
import static io.forksim.mem.PageDescriptor.TOKEN_SHIFT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * forksim's {@code struct page} array (the kernel's vmemmap): per-PFN folio metadata in three
 * off-heap segments laid out as described by {@link PageDescriptor}: a 16-byte record (flags, refcount,
 * mapcount, aux), an 8-byte content token and a PageAnonExclusive byte per PFN, 25 bytes per page. No Java
 * object exists per page.
 *
 * <p>The accessors are small and allocation-free so that the fork copy loop can call them. The plain (non-atomic)
 * per-page accessors read and write at absolute addresses through {@link RawMemory}, after checking the PFN against
 * {@link #nrPages} (an {@code IndexOutOfBoundsException} names a bad PFN, as the segments' own check did); they do
 * not check that the map is still open: precondition of every accessor, the map is not closed. The bulk and
 * atomic paths go through the segments. Other code may also read the segments directly with {@link #INT} /
 * {@link #LONG} and the offsets of {@link PageDescriptor}.
 *
 * <p><b>Plain or atomic.</b> A map built with {@code atomic = false} (every single-threaded machine) updates
 * counters, flag bits and PageAnonExclusive with plain reads and writes. A map built with
 * {@code atomic = true} (a {@code Machine.Config#concurrent} machine, the fork-tree workload) routes the same
 * updates through VarHandle atomics on the segments, as the kernel's {@code atomic_t} / {@code set_bit}:
 * {@link #refAdd} and {@link #mapcountAdd} are {@code getAndAdd} ({@code folio_ref_add},
 * {@code atomic_add_return}), {@link #rawRefcount} / {@link #rawMapcount} are volatile reads, a PageAnonExclusive
 * byte is read and written with {@code getVolatile} / {@code setVolatile} (a page's byte is its own: a store
 * needs no read-modify-write, and no other page shares it), {@link #setFlagBits} / {@link #clearFlagBits} are
 * bitwise atomics on the flags word. The large-folio mapcount with its MM-ID slots is a multi-field update: it
 * runs under {@link #folioLockLargeMapcount} ({@code folio_lock_large_mapcount}, a bit spinlock in the kernel;
 * here a striped spin lock keyed by the head PFN). Every method tests the {@code final boolean atomic} field first: a
 * loop-invariant, always-predicted branch, so the single-threaded fork loop keeps its plain accesses. The test
 * is not entirely free: with {@code -XX:-UseProfiledLoopPredicate} C2 cannot hoist it out of the copy loops'
 * conditional fast path, so one test per PTE stays (C2 folds the duplicates). It is kept because the
 * alternatives, a JVM-wide {@code MutableCallSite} constant and a plain/atomic class split, cost more in the
 * same loops (the commit that chose this design carries the measurements).
 * Plain setters ({@link #setRefcount}, {@link #setFlags}, ...) stay plain in both modes: they are for folios
 * the caller owns exclusively (fresh, being freed, or free blocks under the allocator's lock).
 *
 * <p>The segments come from this map's own {@link OffHeapArena}: anonymous mappings that the host hands out zeroed
 * and commits lazily, so a 1 TiB machine (6.25 GiB of state) costs only what the simulation touches. With huge
 * pages (the default) the host backs all three with 2 MiB transparent huge pages where it has them. Free memory commits
 * no records: the buddy allocator ({@link PhysMem}) links only the free blocks below the maximum order through them
 * and keeps a new machine's max-order blocks deferred (their records never written until allocated), so only the
 * records of allocated memory and of the huge pages around it are committed.
 */
public final class MemMap implements AutoCloseable
{

    /** Layout of the int fields of a record (little-endian). */
    public static final ValueLayout.OfInt INT = PageDescriptor.INT_LAYOUT;
    /** Layout of tokens (little-endian); also reads 8 anonExclusive bytes at once. */
    public static final ValueLayout.OfLong LONG = PageDescriptor.LONG_LAYOUT;

    private final long nrPages;
    private final OffHeapArena arena;
    private final MemorySegment records;
    private final MemorySegment tokens;
    private final MemorySegment anonExclusive;
    /** Absolute addresses of {@link #records} and {@link #anonExclusive}, for the hot accessors ({@link RawMemory}). */
    private final long recordsAddress;
    private final long anonExclusiveAddress;
    /** Concurrent machine: atomic counter / bit updates and the large-mapcount folio lock. */
    private final boolean atomic;
    /** The large-folio mapcount with MM ids, and its folio locks. */
    private final LargeMapcount largeMapcounts;
    private boolean closed;

    /** Atomic view of an int field of a record: coordinates (MemorySegment, long offset). */
    private static final VarHandle INT_VH = ValueLayout.JAVA_INT.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN).varHandle();
    /** Volatile view of a PageAnonExclusive byte: coordinates (MemorySegment, long offset). */
    private static final VarHandle BYTE_VH = ValueLayout.JAVA_BYTE.varHandle();

    /**
     * Allocates zeroed metadata for PFNs {@code 0..nrPages-1}, with plain (single-threaded) updates.
     *
     * @throws IllegalArgumentException if {@code nrPages} is not 1..2^31-1
     */
    public MemMap(final long nrPages)
    {
        this(nrPages, false);
    }

    /**
     * Allocates zeroed metadata for PFNs {@code 0..nrPages-1}; {@code atomic} selects atomic counter and bit
     * updates for a machine shared by several threads (see the class comment).
     *
     * @throws IllegalArgumentException if {@code nrPages} is not 1..2^31-1
     */
    public MemMap(final long nrPages, final boolean atomic)
    {
        this(nrPages, atomic, true);
    }

    /**
     * Allocates zeroed metadata for PFNs {@code 0..nrPages-1}; {@code atomic} as above; {@code hugePages} asks the host
     * for transparent huge pages on the segments (see {@link OffHeapArena}).
     *
     * @throws IllegalArgumentException if {@code nrPages} is not 1..2^31-1
     */
    public MemMap(final long nrPages, final boolean atomic, final boolean hugePages)
    {
        this.nrPages = PageDescriptor.checkNrPages(nrPages);
        this.atomic = atomic;
        this.largeMapcounts = new LargeMapcount(this, atomic);
        final OffHeapArena a = new OffHeapArena(hugePages);
        try
        {
            this.records = a.allocateZeroed(PageDescriptor.recordsLength(nrPages), "the memmap's records");
            this.tokens = a.allocateZeroed(PageDescriptor.tokensLength(nrPages), "the memmap's tokens");
            this.anonExclusive = a.allocateZeroed(PageDescriptor.anonExclusiveLength(nrPages), "the memmap's PageAnonExclusive map");
        }
        catch (final RuntimeException | Error e)
        {
            a.close();
            throw e;
        }
        this.arena = a;
        this.recordsAddress = records.address();
        this.anonExclusiveAddress = anonExclusive.address();
    }

    /**
     * The absolute address of field {@code fieldOffset} of {@code pfn}'s record, for the hot accessors: the PFN is
     * checked against {@link #nrPages} (one compare, as the segment's own check was); the segments' liveness is
     * not (precondition of every accessor: the map is not closed).
     */
    private long recordAddress(final long pfn, final int fieldOffset)
    {
        return RawMemory.bounded(recordsAddress) + (checkPfn(pfn) << RECORD_SHIFT) + fieldOffset;
    }

    /**
     * {@code pfn}, checked against {@link #nrPages}: an {@code IndexOutOfBoundsException} names a bad PFN. Against
     * {@code (int) nrPages}, the same value (the constructor keeps {@code nrPages} below 2^31), so that C2 knows the
     * result lies in {@code [0, 2^31)} and an address {@code RawMemory.bounded(base) + (pfn << shift)} needs no
     * check of its own ({@link RawMemory#bounded}).
     */
    private long checkPfn(final long pfn)
    {
        return Objects.checkIndex(pfn, (int) nrPages);
    }

    /** Number of PFNs described (0..nrPages-1). */
    public long nrPages() { return nrPages; }

    /** Absolute address of PFN 0's record, for {@link LargeAnonDup} (which checks its PFNs itself). */
    long recordsAddress() { return recordsAddress; }

    /** Absolute address of PFN 0's PageAnonExclusive byte, for {@link LargeAnonDup} (which checks its PFNs itself). */
    long anonExclusiveAddress() { return anonExclusiveAddress; }

    /** Whether the segments were mapped asking for transparent huge pages. */
    public boolean hugePages() { return arena.hugePages(); }

    /** Whether updates are atomic (a concurrent machine). */
    public boolean atomic() { return atomic; }

    /** Frees the three segments. Idempotent; the map must not be used afterwards. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            arena.close();
        }
    }

    /** Bytes of off-heap state this map reserves: records + tokens + anonExclusive byte map, 25 per page. */
    public long offHeapBytes() { return records.byteSize() + tokens.byteSize() + anonExclusive.byteSize(); }

    /** The records segment: 16 bytes per PFN. */
    public MemorySegment records() { return records; }

    /** The tokens segment: 8 bytes per PFN. */
    public MemorySegment tokens() { return tokens; }

    /** The PageAnonExclusive byte map: 1 byte per PFN, 1 = PageAnonExclusive, 0 = not. */
    public MemorySegment anonExclusive() { return anonExclusive; }

    // ---- raw record fields ----------------------------------------------------------------------

    public int flags(final long pfn) { return RawMemory.getInt(recordAddress(pfn, FLAGS_OFFSET)); }

    public void setFlags(final long pfn, final int flags)
    {
        RawMemory.setInt(recordAddress(pfn, FLAGS_OFFSET), flags);
    }

    /**
     * Sets {@code bits} in the flags word ({@code folio_set_*}, an atomic {@code set_bit} when {@link #atomic}):
     * for mutable folio flags (PG_DIRTY, PG_SWAPCACHE, PG_MM_IDS_SHARED) of a folio other threads may map.
     */
    public void setFlagBits(final long pfn, final int bits)
    {
        if (atomic)
        {
            INT_VH.getAndBitwiseOr(records, (pfn << RECORD_SHIFT) + FLAGS_OFFSET, bits);
            return;
        }
        final long a = recordAddress(pfn, FLAGS_OFFSET);
        RawMemory.setInt(a, RawMemory.getInt(a) | bits);
    }

    /** Clears {@code bits} in the flags word ({@code folio_clear_*}, an atomic {@code clear_bit} when {@link #atomic}). */
    public void clearFlagBits(final long pfn, final int bits)
    {
        if (atomic)
        {
            INT_VH.getAndBitwiseAnd(records, (pfn << RECORD_SHIFT) + FLAGS_OFFSET, ~bits);
            return;
        }
        final long a = recordAddress(pfn, FLAGS_OFFSET);
        RawMemory.setInt(a, RawMemory.getInt(a) & ~bits);
    }

    /** Order of the folio containing {@code pfn} (stored in every page of an allocated folio). */
    public int order(final long pfn) { return RawMemory.getInt(recordAddress(pfn, FLAGS_OFFSET)) & ORDER_MASK; }

    /** Head PFN of the folio containing {@code pfn}: {@code pfn & -(1 << order)}, one load. */
    public long folioHead(final long pfn) { return pfn & -(1L << order(pfn)); }

    /** Whether {@code pfn} belongs to a large (order &gt;= 1) folio. */
    public boolean isLarge(final long pfn) { return order(pfn) != 0; }

    /**
     * The page's own refcount slot ({@code page_ref_count}; a volatile read when {@link #atomic}): the folio's
     * refcount on a head or order-0 page, MM-ID data on page[1] of a large folio. {@link #folioRefCount} resolves
     * the head.
     */
    public int rawRefcount(final long pfn)
    {
        if (atomic)
        {
            return (int) INT_VH.getVolatile(records, (pfn << RECORD_SHIFT) + REFCOUNT_OFFSET);
        }
        return RawMemory.getInt(recordAddress(pfn, REFCOUNT_OFFSET));
    }

    public void setRefcount(final long pfn, final int refcount)
    {
        RawMemory.setInt(recordAddress(pfn, REFCOUNT_OFFSET), refcount);
    }

    /**
     * Adds {@code delta} to the refcount slot; returns the new value ({@code folio_ref_add} /
     * {@code folio_ref_sub_return}). Plain, or an atomic {@code getAndAdd} when {@link #atomic}: of two threads
     * dropping the last references of a shared folio exactly one sees 0 and frees it.
     */
    public int refAdd(final long pfn, final int delta)
    {
        if (atomic)
        {
            return (int) INT_VH.getAndAdd(records, (pfn << RECORD_SHIFT) + REFCOUNT_OFFSET, delta) + delta;
        }
        final long a = recordAddress(pfn, REFCOUNT_OFFSET);
        final int v = RawMemory.getInt(a) + delta;
        RawMemory.setInt(a, v);
        return v;
    }

    /**
     * The page's own mapcount slot: an order-0 page's mapcount or a large head's {@code large_mapcount}, as a
     * plain count (the kernel stores count-1; forksim stores the count, 0 = unmapped); MM-ID data on page[1].
     * {@link #folioMapcount} resolves the head.
     */
    public int rawMapcount(final long pfn)
    {
        if (atomic)
        {
            return (int) INT_VH.getVolatile(records, (pfn << RECORD_SHIFT) + MAPCOUNT_OFFSET);
        }
        return RawMemory.getInt(recordAddress(pfn, MAPCOUNT_OFFSET));
    }

    public void setMapcount(final long pfn, final int mapcount)
    {
        RawMemory.setInt(recordAddress(pfn, MAPCOUNT_OFFSET), mapcount);
    }

    /**
     * Adds {@code delta} to the mapcount slot; returns the new value. Plain, or an atomic {@code getAndAdd}
     * ({@code atomic_add_return(&page->_mapcount)}) when {@link #atomic}.
     */
    public int mapcountAdd(final long pfn, final int delta)
    {
        if (atomic)
        {
            return (int) INT_VH.getAndAdd(records, (pfn << RECORD_SHIFT) + MAPCOUNT_OFFSET, delta) + delta;
        }
        final long a = recordAddress(pfn, MAPCOUNT_OFFSET);
        final int v = RawMemory.getInt(a) + delta;
        RawMemory.setInt(a, v);
        return v;
    }

    /**
     * Adds {@code delta} to both the refcount and the mapcount slot of {@code pfn}, as {@link #refAdd} then
     * {@link #mapcountAdd} would: on a plain map one 8-byte read-modify-write of the two adjacent ints (record bytes
     * 4..11, refcount in the low half), adding {@code delta * (2^32 + 1)}; on an atomic map the two
     * {@code getAndAdd}s, refcount first. For fork's order-0 anon copy ({@code folio_get} +
     * {@code folio_try_dup_anon_rmap_pte}, {@code CopyContext.dupAnonPte0}), which the copy loops run once per PTE:
     * one access instead of two is one address, one bounds check, one load and one store fewer.
     * <pre>
     *  the record of pfn (16 bytes)                the 8-byte word at +4 (little-endian)
     *  0        4          8          12      16    63          32 31           0
     * +--------+----------+----------+-------+     +--------------+--------------+
     * | flags  | refcount | mapcount |  aux  |     |   mapcount   |   refcount   |
     * +--------+----------+----------+-------+     +--------------+--------------+
     * </pre>
     * Precondition: {@code delta >= 0} and the refcount is not negative (as every live folio's): then the low
     * half's sum stays below 2^32 and no carry reaches the mapcount. The map is open; {@code pfn} is checked against
     * {@link #nrPages}.
     */
    public void refAndMapcountAdd(final long pfn, final int delta)
    {
        if (atomic)
        {
            refAdd(pfn, delta);
            mapcountAdd(pfn, delta);
            return;
        }
        final long a = recordAddress(pfn, REFCOUNT_OFFSET);
        RawMemory.setLong(a, RawMemory.getLong(a) + delta * 0x1_0000_0001L);
    }

    public int aux(final long pfn) { return RawMemory.getInt(recordAddress(pfn, AUX_OFFSET)); }

    void setAux(final long pfn, final int aux)
    {
        RawMemory.setInt(recordAddress(pfn, AUX_OFFSET), aux);
    }

    /**
     * Page-table page: the head of the list of PTE tables deposited on it, or the link to the next deposited table
     * ({@code ptdesc->pmd_huge_pte}), stored as a PFN + 1 (0 = none). Precondition: {@code pfn} is a page-table page.
     */
    public int pmdHugePte(final long pfn) { return aux(pfn); }

    /**
     * Sets {@link #pmdHugePte} of the page-table page {@code pfn} to {@code link}.
     *
     * @throws IllegalStateException if {@code pfn} is not a page-table page
     */
    public void setPmdHugePte(final long pfn, final int link)
    {
        if ((flags(pfn) & PageDescriptor.PG_TABLE) == 0)
        {
            throw new IllegalStateException("pfn " + pfn + " is not a page-table page: no pmd_huge_pte to set");
        }
        setAux(pfn, link);
    }

    /**
     * For {@code split_folio}: clears the aux slot of {@code pfn} (the MM ids of a large folio's page[1], the
     * pincount of its head), which means nothing once the page is an order-0 folio of its own.
     * Precondition: the folio {@code pfn} belonged to is being split and holds no pin.
     */
    public void clearAuxForSplit(final long pfn)
    {
        setAux(pfn, 0);
    }

    /** Page-table page: the slot index of its table storage (forksim's ptdesc). */
    public int ptSlot(final long pfn) { return rawMapcount(pfn); }

    void setPtSlot(final long pfn, final int slot)
    {
        setMapcount(pfn, slot);
    }

    /**
     * {@code folio_ref_count(page_folio(pfn))}: the refcount of the folio containing {@code pfn}, read from its
     * head (a tail page's own refcount slot is not the folio's; on page[1] it holds MM-ID data).
     * Precondition: {@code pfn} is a page of an allocated folio.
     */
    public int folioRefCount(final long pfn) { return rawRefcount(folioHead(pfn)); }

    /**
     * {@code folio_mapcount(page_folio(pfn))}: the mapcount of the folio containing {@code pfn}, the page's own
     * for an order-0 folio and the head's {@code large_mapcount} for a large one.
     * Precondition: {@code pfn} is a page of an allocated folio.
     */
    public int folioMapcount(final long pfn) { return rawMapcount(folioHead(pfn)); }

    /** {@code large_mapcount} of a large folio head (plain count). */
    public int largeMapcount(final long head) { return rawMapcount(head); }

    /** {@code _pincount} of a large folio head. */
    public int pincount(final long head) { return aux(head); }

    public void setPincount(final long head, final int pincount)
    {
        setAux(head, pincount);
    }

    // ---- tokens ---------------------------------------------------------------------------------

    public long token(final long pfn) { return tokens.get(LONG, pfn << TOKEN_SHIFT); }

    public void setToken(final long pfn, final long token)
    {
        tokens.set(LONG, pfn << TOKEN_SHIFT, token);
    }

    // ---- PageAnonExclusive ----------------------------------------------------------------------
    // One byte per PFN at offset pfn: 1 = PageAnonExclusive, 0 = not. A page's byte is its own, so a store needs
    // no read-modify-write and never chains with a neighbouring page's (a bit of a shared word did: fork's
    // copy loop cleared bits of the same 64-bit word on consecutive PTEs, serialised by store forwarding).

    private static final byte PAE = 1;

    /** PageAnonExclusive: one byte load (volatile when {@link #atomic}). */
    public boolean testAnonExclusive(final long pfn)
    {
        if (atomic)
        {
            return (byte) BYTE_VH.getVolatile(anonExclusive, pfn) != 0;
        }
        return RawMemory.getByte(RawMemory.bounded(anonExclusiveAddress) + checkPfn(pfn)) != 0;
    }

    /** SetPageAnonExclusive: a byte store of 1 (volatile when {@link #atomic}). */
    public void setAnonExclusive(final long pfn)
    {
        if (atomic)
        {
            BYTE_VH.setVolatile(anonExclusive, pfn, PAE);
            return;
        }
        RawMemory.setByte(RawMemory.bounded(anonExclusiveAddress) + checkPfn(pfn), PAE);
    }

    /**
     * ClearPageAnonExclusive: a byte store of 0 (volatile when {@link #atomic}), without testing the byte first:
     * fork's copy loops call it once per PTE, where a plain store is cheaper than a load and a branch.
     */
    public void clearAnonExclusive(final long pfn)
    {
        if (atomic)
        {
            BYTE_VH.setVolatile(anonExclusive, pfn, (byte) 0);
            return;
        }
        RawMemory.setByte(RawMemory.bounded(anonExclusiveAddress) + checkPfn(pfn), (byte) 0);
    }

    /** Whether any page of {@code [pfn, pfn + nr)} is PageAnonExclusive: 8 bytes per load where aligned. */
    public boolean anyAnonExclusive(final long pfn, final long nr)
    {
        final MemorySegment s = anonExclusive;
        final long end = pfn + Math.max(nr, 0);
        long p = pfn;
        for (; p < end && (p & 7) != 0; p++)
        {
            if (s.get(ValueLayout.JAVA_BYTE, p) != 0)
            {
                return true;
            }
        }
        for (; end - p >= 8; p += 8)
        {
            if (s.get(LONG, p) != 0)
            {
                return true;
            }
        }
        for (; p < end; p++)
        {
            if (s.get(ValueLayout.JAVA_BYTE, p) != 0)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Clears PageAnonExclusive on {@code [pfn, pfn + nr)}, as the kernel's per-page
     * {@code if (PageAnonExclusive(page)) ClearPageAnonExclusive(page)} loop: tests before it stores, so an
     * already-shared batch dirties nothing. Aligned 8-byte words are tested with one load and, if any byte is
     * set, zeroed with one store ({@link #atomic}: each set byte with a volatile store, as the word's other bytes
     * are other pages, possibly of folios other threads own); the unaligned edges byte by byte.
     */
    public void clearAnonExclusiveRange(final long pfn, final long nr)
    {
        if (nr <= 0)
        {
            return;
        }
        if (!atomic)
        {
            Objects.checkFromIndexSize(pfn, nr, nrPages);
            clearAnonExclusiveRangePlain(anonExclusiveAddress + pfn, nr);
            return;
        }
        final MemorySegment s = anonExclusive;
        final long end = pfn + nr;
        long p = pfn;
        for (; p < end && (p & 7) != 0; p++)
        {
            clearIfSet(s, p);
        }
        for (; end - p >= 8; p += 8)
        {
            if (s.get(LONG, p) != 0)
            {
                for (int i = 0; i < 8; i++)
                {
                    clearIfSet(s, p + i);
                }
            }
        }
        for (; p < end; p++)
        {
            clearIfSet(s, p);
        }
    }

    /**
     * The plain form of {@link #clearAnonExclusiveRange} over the {@code nr} bytes at absolute address {@code a}: the
     * same tests and stores, byte by byte up to an 8-byte boundary, then word by word, then the tail. The three loops
     * run over an int byte offset to bounds computed first and tested with {@code !=}: C2 does not make them counted
     * loops (a counted loop is split into pre-, main- and post-loops, a fixed cost at each entry that an order-4 batch,
     * two words, would pay once per 16 pages; timing.md, "Order-4 on x86_64 against the batched floor"), and their
     * accesses at {@link RawMemory#at} carry no check.
     * Precondition: {@code 1 <= nr < 2^31}; the range lies inside the PageAnonExclusive map.
     */
    static void clearAnonExclusiveRangePlain(final long a, final long nr)
    {
        final int end = (int)nr;
        final int words = (int)(Math.min((a + 7) & -8L, a + nr) - a);
        final int tail = (int)Math.max(((a + nr) & -8L) - a, words);
        int o = 0;
        for (; o != words; o++)
        {
            if (RawMemory.getByte(RawMemory.at(a, o)) != 0)
            {
                RawMemory.setByte(RawMemory.at(a, o), (byte) 0);
            }
        }
        for (; o != tail; o += 8)
        {
            if (RawMemory.getLong(RawMemory.at(a, o)) != 0)
            {
                RawMemory.setLong(RawMemory.at(a, o), 0L);
            }
        }
        for (; o != end; o++)
        {
            if (RawMemory.getByte(RawMemory.at(a, o)) != 0)
            {
                RawMemory.setByte(RawMemory.at(a, o), (byte) 0);
            }
        }
    }

    private void clearIfSet(final MemorySegment s, final long p)
    {
        if (s.get(ValueLayout.JAVA_BYTE, p) != 0)
        {
            clearAnonExclusive(p);
        }
    }

    /** Sets PageAnonExclusive on {@code [pfn, pfn + nr)}: a fill of the range, byte by byte when {@link #atomic}. */
    public void setAnonExclusiveRange(final long pfn, final long nr)
    {
        if (nr <= 0)
        {
            return;
        }
        if (atomic)
        {
            for (long p = pfn; p < pfn + nr; p++)
            {
                BYTE_VH.setVolatile(anonExclusive, p, PAE);
            }
            return;
        }
        anonExclusive.asSlice(pfn, nr).fill(PAE);
    }

    // ---- kernel-named folio helpers -------------------------------------------------------------

    /** folio_nr_pages: pages in the folio containing {@code pfn} (1 &lt;&lt; order). */
    public int folioNrPages(final long pfn) { return 1 << order(pfn); }

    /** folio_test_large: the folio containing {@code pfn} has order &gt;= 1. */
    public boolean folioTestLarge(final long pfn) { return order(pfn) != 0; }

    /** folio_test_anon of {@code pfn}'s folio: {@link #prepFolio} copies the type flag PG_ANON into every page. */
    public boolean folioTestAnon(final long pfn) { return (flags(pfn) & PG_ANON) != 0; }

    /**
     * folio_maybe_dma_pinned (include/linux/mm.h): a large folio is pinned iff its {@code _pincount} &gt; 0 (exact); an
     * order-0 folio iff its refcount, read unsigned, is at least GUP_PIN_COUNTING_BIAS (1024): false positives possible.
     */
    public boolean folioMaybeDmaPinned(final long head)
    {
        final int flags = flags(head);
        if ((flags & ORDER_MASK) != 0)
        {
            return aux(head) > 0;
        }
        return Integer.compareUnsigned(rawRefcount(head), GUP_PIN_COUNTING_BIAS) >= 0;
    }

    // ---- 6.15+ large mapcount with MM ids (CONFIG_MM_ID, CONFIG_NO_PAGE_MAPCOUNT) ----------------
    // Delegations to LargeMapcount, which holds the code and the folio locks.

    /** See {@link LargeMapcount#folioLockLargeMapcount}. */
    public void folioLockLargeMapcount(final long head) { largeMapcounts.folioLockLargeMapcount(head); }

    /** See {@link LargeMapcount#folioUnlockLargeMapcount}. */
    public void folioUnlockLargeMapcount(final long head) { largeMapcounts.folioUnlockLargeMapcount(head); }

    /** See {@link LargeMapcount#folioMmId}. */
    public int folioMmId(final long head, final int idx) { return largeMapcounts.folioMmId(head, idx); }

    /** See {@link LargeMapcount#folioMmIdMapcount}. */
    public int folioMmIdMapcount(final long head, final int mmId)
    {
        return largeMapcounts.folioMmIdMapcount(head, mmId);
    }

    /** See {@link LargeMapcount#folioMmIdsShared}. */
    public boolean folioMmIdsShared(final long head) { return largeMapcounts.folioMmIdsShared(head); }

    /** See {@link LargeMapcount#folioSetLargeMapcount}. */
    public void folioSetLargeMapcount(final long head, final int mapcount, final int mmId)
    {
        largeMapcounts.folioSetLargeMapcount(head, mapcount, mmId);
    }

    /** See {@link LargeMapcount#folioAddLargeMapcount}. */
    public int folioAddLargeMapcount(final long head, final int nr, final int mmId)
    {
        return largeMapcounts.folioAddLargeMapcount(head, nr, mmId);
    }

    /** See {@link LargeMapcount#folioSubLargeMapcount}. */
    public int folioSubLargeMapcount(final long head, final int nr, final int mmId)
    {
        return largeMapcounts.folioSubLargeMapcount(head, nr, mmId);
    }

    // ---- folio lifecycle (FolioLifecycle holds the code) ----------------------------------------

    /**
     * prep_compound_page: turns the clean, naturally aligned block at {@code pfn} into a folio of {@code order} with
     * head flags {@code extraFlags} (the layout is {@code FolioLifecycle.prepFolio}'s).
     *
     * @throws IllegalArgumentException naming the order, pfn or flags if they are invalid
     */
    public void prepFolio(final long pfn, final int order, final int extraFlags)
    {
        FolioLifecycle.prepFolio(this, pfn, order, extraFlags);
    }

    /**
     * Zeroes the records and PageAnonExclusive bytes of the naturally aligned block of {@code order} at {@code pfn},
     * as when a folio is freed; tokens keep their content.
     *
     * @throws IllegalArgumentException naming the order or pfn if they are invalid
     */
    public void clearFolio(final long pfn, final int order)
    {
        FolioLifecycle.clearFolio(this, pfn, order);
    }

    /** {@link #clearFolio} without validation, for {@link PhysMem}; allocates nothing. Precondition: order <= MAX_ORDER. */
    void clearBlock(final long pfn, final int order)
    {
        FolioLifecycle.clearBlock(this, pfn, order);
    }

    @Override
    public String toString() { return "MemMap[" + nrPages + " pages]"; }
}
