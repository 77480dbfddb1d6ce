package io.forksim.host;

import java.util.ArrayList;
import java.util.List;

/**
 * A shape of anonymous memory whose fork the host kernel is timed on, and that the simulator builds too
 * ({@link SimShapes}):
 * <pre>
 *   name             built as                                               verified by
 *   order-0          MADV_NOHUGEPAGE, every page written                    AnonHugePages 0, no mTHP fault, Rss = SIZE
 *   order-N          MADV_HUGEPAGE with only that size enabled, written     anon_fault_alloc delta = SIZE / folio, Rss
 *                    (N = 2..8: 16K..1M)
 *   order-9-pte      PMD THP, then every PMD split (mprotect one page        AnonHugePages SIZE, then 0; 2048kB nr_anon
 *                    PROT_READ and back); the folios stay whole              grew by SIZE / 2M, split unchanged
 *   order-9-pmd      PMD THP                                                 AnonHugePages = SIZE
 *   order-0-ro       order-0, then mprotect PROT_READ (no write-protect)     as order-0
 *   order-0-sparse   one written page per 2 MiB (a PTE table per page)       Rss = SIZE / 512
 *   order-0-sparse16 one written page per 128 KiB (16 PTEs per table): a     Rss = SIZE / 32
 *                    second mix of tables and PTEs, so that neither sparse
 *                    shape is the only one that fixes the cost of a table
 *   zero             one page written and MADV_DONTNEED (the VMA gets an     Rss 0
 *                    anon_vma, so fork copies its PTEs), then every page
 *                    read: every PTE maps the shared zero page
 *
 *   the half shapes: every other 4 KiB page (or 2 MiB for order-9-pmd-half) left none, so that each cost of the
 *   model rests on two shapes that mix it differently with the others
 *   order-0-half     order-0 with only the even pages written               Rss = SIZE / 2, all order-0
 *   zero-half        zero with only the even pages read                     Rss 0, SIZE / 8K zero-page PTEs
 *   order-9-pte-half order-9-pte, then MADV_DONTNEED of every odd page: the  Rss = SIZE / 2, AnonHugePages 0; 512-page
 *                    folios stay whole (a zap splits nothing), and every     folios still whole (heads present, every
 *                    copy_present_ptes call copies one PTE of a large folio  present page in one)
 *   order-9-pmd-half a PMD THP in every even 2 MiB, the odd ones none        AnonHugePages = Rss = SIZE / 2
 *   order-9-pte-holes16  order-9-pte, then MADV_DONTNEED of page 8 of every   Rss = SIZE * 15/16, AnonHugePages 0;
 *                    16: 33 batches of 7..15 PTEs per whole 2 MiB folio      512-page folios still whole
 *                    (about order-4's calls per page, on one folio's struct
 *                    pages)
 *   order-9-pte-holes4   the same with page 2 of every 4: 129 batches of 1..3 Rss = SIZE * 3/4, as above
 *                    PTEs per folio
 * </pre>
 *
 * @param name the CLI name
 * @param kind how it is built
 * @param order the folio order (0 for the zero page and order-0 kinds)
 */
public record Shape(String name, Kind kind, int order)
{
    public enum Kind
    {
        ORDER0,
        MTHP,
        PTE_MAPPED_THP,
        PMD_MAPPED_THP,
        ORDER0_RO,
        SPARSE,
        SPARSE16,
        ZERO,
        ORDER0_HALF,
        ZERO_HALF,
        PTE_MAPPED_THP_HALF,
        PMD_MAPPED_THP_HALF,
        PTE_MAPPED_THP_HOLES16,
        PTE_MAPPED_THP_HOLES4
    }

    public static final int PMD_ORDER = 9;

    public static final Shape ORDER_0 = new Shape("order-0", Kind.ORDER0, 0);
    public static final Shape ORDER_9_PTE = new Shape("order-9-pte", Kind.PTE_MAPPED_THP, PMD_ORDER);
    public static final Shape ORDER_9_PMD = new Shape("order-9-pmd", Kind.PMD_MAPPED_THP, PMD_ORDER);
    public static final Shape ORDER_0_RO = new Shape("order-0-ro", Kind.ORDER0_RO, 0);
    public static final Shape ORDER_0_SPARSE = new Shape("order-0-sparse", Kind.SPARSE, 0);
    public static final Shape ORDER_0_SPARSE16 = new Shape("order-0-sparse16", Kind.SPARSE16, 0);
    public static final Shape ZERO = new Shape("zero", Kind.ZERO, 0);
    public static final Shape ORDER_0_HALF = new Shape("order-0-half", Kind.ORDER0_HALF, 0);
    public static final Shape ZERO_HALF = new Shape("zero-half", Kind.ZERO_HALF, 0);
    public static final Shape ORDER_9_PTE_HALF = new Shape("order-9-pte-half", Kind.PTE_MAPPED_THP_HALF, PMD_ORDER);
    public static final Shape ORDER_9_PMD_HALF = new Shape("order-9-pmd-half", Kind.PMD_MAPPED_THP_HALF, PMD_ORDER);
    public static final Shape ORDER_9_PTE_HOLES16 = new Shape("order-9-pte-holes16", Kind.PTE_MAPPED_THP_HOLES16, PMD_ORDER);
    public static final Shape ORDER_9_PTE_HOLES4 = new Shape("order-9-pte-holes4", Kind.PTE_MAPPED_THP_HOLES4, PMD_ORDER);
    private static final List<Shape> NAMED = List.of(ORDER_0, ORDER_9_PTE, ORDER_9_PMD, ORDER_0_RO, ORDER_0_SPARSE,
        ORDER_0_SPARSE16, ZERO, ORDER_0_HALF, ZERO_HALF, ORDER_9_PTE_HALF, ORDER_9_PMD_HALF, ORDER_9_PTE_HOLES16,
        ORDER_9_PTE_HOLES4);

    /** The mTHP shape of folio order {@code order} (1..8). */
    public static Shape mthp(final int order)
    {
        if (order < 1 || order >= PMD_ORDER)
        {
            throw new IllegalArgumentException("mTHP order must be 1..8: " + order);
        }
        return new Shape("order-" + order, Kind.MTHP, order);
    }

    /** Every shape, with one mTHP shape per anon size below the PMD size that the host offers ({@code sizesKb}). */
    public static List<Shape> all(final List<Integer> sizesKb)
    {
        final List<Shape> out = new ArrayList<>();
        out.add(ORDER_0);
        for (final int kb : sizesKb)
        {
            if (kb < ThpSysfs.PMD_KB)
            {
                out.add(mthp(Integer.numberOfTrailingZeros(kb / 4)));
            }
        }
        out.add(ORDER_9_PTE);
        out.add(ORDER_9_PMD);
        out.add(ORDER_0_RO);
        out.add(ORDER_0_SPARSE);
        out.add(ORDER_0_SPARSE16);
        out.add(ZERO);
        out.add(ORDER_0_HALF);
        out.add(ZERO_HALF);
        out.add(ORDER_9_PTE_HALF);
        out.add(ORDER_9_PMD_HALF);
        out.add(ORDER_9_PTE_HOLES16);
        out.add(ORDER_9_PTE_HOLES4);
        return out;
    }

    /**
     * The shape called {@code name}.
     *
     * @throws IllegalArgumentException naming the value when there is none
     */
    public static Shape parse(final String name)
    {
        for (final Shape s : NAMED)
        {
            if (s.name.equals(name))
            {
                return s;
            }
        }
        if (name.matches("order-[1-8]"))
        {
            return mthp(name.charAt(6) - '0');
        }
        throw new IllegalArgumentException("unknown shape '" + name + "' (order-0, order-1..order-8, order-9-pte, order-9-pmd,"
            + " order-0-ro, order-0-sparse, order-0-sparse16, zero, order-0-half, zero-half, order-9-pte-half, order-9-pmd-half,"
            + " order-9-pte-holes16, order-9-pte-holes4)");
    }

    /** The distance between written pages of the sparse shapes (0 for the others). */
    public long sparseStride()
    {
        return kind == Kind.SPARSE ? 2L << 20 : kind == Kind.SPARSE16 ? 128L << 10 : 0;
    }

    /** The folio size in KiB (4 for the order-0 kinds and the zero page). */
    public int folioKb()
    {
        return 4 << order;
    }

    /** Whether the shape needs a THP size enabled (its {@link #folioKb()}). */
    public boolean needsThp()
    {
        return kind == Kind.MTHP || kind == Kind.PTE_MAPPED_THP || kind == Kind.PMD_MAPPED_THP
            || kind == Kind.PTE_MAPPED_THP_HALF || kind == Kind.PMD_MAPPED_THP_HALF || holeStride() != 0;
    }

    /** The PTE-mapped 2 MiB shapes with holes: the distance between zapped pages (0 for the others). */
    public long holeStride()
    {
        return switch (kind)
        {
            case PTE_MAPPED_THP_HALF -> 2 * 4096L;
            case PTE_MAPPED_THP_HOLES4 -> 4 * 4096L;
            case PTE_MAPPED_THP_HOLES16 -> 16 * 4096L;
            default -> 0;
        };
    }

    /** The PTE-mapped 2 MiB shapes with holes: the offset of the first zapped page. */
    public long holeOffset()
    {
        return holeStride() / 2;
    }

    /** Whether the shape's folios are PMD-mapped (order-9-pmd and its half). */
    public boolean pmdMapped()
    {
        return kind == Kind.PMD_MAPPED_THP || kind == Kind.PMD_MAPPED_THP_HALF;
    }

    /** Whether every other page (2 MiB for order-9-pmd-half) of the region is left none. */
    public boolean half()
    {
        return kind == Kind.ORDER0_HALF || kind == Kind.ZERO_HALF || kind == Kind.PTE_MAPPED_THP_HALF
            || kind == Kind.PMD_MAPPED_THP_HALF;
    }
}
