package io.forksim.mm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An mm's VMAs sorted by start address: the role of the kernel's maple tree ({@code mm->mm_mt}), as an array of
 * VMA slots searched by binary search. Inserting or removing shifts the slots after the position; nothing is
 * allocated per insert (the array grows by doubling and is kept), so a child built by fork into a recycled
 * {@link Mm} allocates nothing here.
 *
 * <p>{@link #detachAll()} (exit) empties the tree but remembers the VMAs that were in it, so that {@code mmdrop}
 * can free them to the machine's {@code vm_area_cachep} ({@link KmemCache}) once nobody holds the mm any more.
 *
 * <p>Not thread-safe: an mm's tree is changed only by the thread that holds its {@code mmap_lock} (the caller of
 * the mm's operations); readers on other threads (a concurrent machine's {@code isMapped}) rely on the same rule.
 */
final class VmaTree
{
    private static final int INITIAL_SLOTS = 4;

    private Vma[] slots = new Vma[INITIAL_SLOTS];
    /** Live VMAs: {@code slots[0, size)}, ascending start, non-overlapping. */
    private int size;
    /** After {@link #detachAll()}: {@code slots[0, detached)} are the VMAs the tree held at exit. */
    private int detached;

    /** {@code mm->map_count}. */
    int size()
    {
        return size;
    }

    boolean isEmpty()
    {
        return size == 0;
    }

    /** The {@code i}-th VMA in address order. Precondition: {@code 0 <= i < size()}. */
    Vma get(final int i)
    {
        return slots[i];
    }

    /** Index of the VMA with the greatest start {@code <= addr}, or -1 if every VMA starts above {@code addr}. */
    int floorIndex(final long addr)
    {
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (slots[mid].start <= addr)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return hi;
    }

    /**
     * Index of the first VMA that may intersect a range starting at {@code addr}: the one holding {@code addr} or
     * starting below it (the floor), else 0 ({@code mas_find}'s starting point).
     */
    int firstFrom(final long addr)
    {
        return Math.max(0, floorIndex(addr));
    }

    /** The VMA with the greatest start {@code <= addr}, or null. */
    Vma floor(final long addr)
    {
        final int i = floorIndex(addr);
        return i < 0 ? null : slots[i];
    }

    /** The VMA with the greatest start {@code < addr}, or null ({@code vma_prev} of a gap at {@code addr}). */
    Vma lower(final long addr)
    {
        final int i = floorIndex(addr - 1);
        return i < 0 ? null : slots[i];
    }

    /** The VMA starting exactly at {@code start}, or null. */
    Vma startingAt(final long start)
    {
        final int i = floorIndex(start);
        return i >= 0 && slots[i].start == start ? slots[i] : null;
    }

    /**
     * Inserts {@code vma} at its start address ({@code vma_iter_store}). Precondition: no VMA of the tree starts at
     * {@code vma.start}, and {@code vma} overlaps none of them.
     */
    void insert(final Vma vma)
    {
        final int floor = floorIndex(vma.start);
        if (floor >= 0 && slots[floor].start == vma.start)
        {
            slots[floor] = vma;   // as a map keyed by start would (the precondition excludes it)
            return;
        }
        final int at = floor + 1;
        if (size == slots.length)
        {
            slots = Arrays.copyOf(slots, size * 2);
        }
        System.arraycopy(slots, at, slots, at + 1, size - at);
        slots[at] = vma;
        size++;
        detached = 0;
    }

    /** Removes the VMA starting at {@code start}, if any ({@code vma_iter_clear}). */
    void remove(final long start)
    {
        final int i = floorIndex(start);
        if (i < 0 || slots[i].start != start)
        {
            return;
        }
        System.arraycopy(slots, i + 1, slots, i, size - i - 1);
        slots[--size] = null;
    }

    /** The live VMAs in address order, as a new list. */
    List<Vma> toList()
    {
        final List<Vma> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++)
        {
            out.add(slots[i]);
        }
        return out;
    }

    /** Exit: empties the tree; the VMAs it held stay readable through {@link #detached(int)} until {@link #release()}. */
    void detachAll()
    {
        detached = size;
        size = 0;
    }

    /** VMAs detached by the last {@link #detachAll()} and not yet released. */
    int detachedCount()
    {
        return detached;
    }

    /** The {@code i}-th detached VMA. Precondition: {@code 0 <= i < detachedCount()}. */
    Vma detached(final int i)
    {
        return slots[i];
    }

    /** Forgets the detached VMAs (they have been freed); the slot array stays for the next user of the mm. */
    void release()
    {
        Arrays.fill(slots, 0, Math.max(detached, size), null);
        detached = 0;
        size = 0;
    }
}
