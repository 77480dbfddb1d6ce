package io.forksim.mm;

import org.junit.jupiter.api.Test;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

/** The VMA tree's lookups and its slot array (the maple tree's role). */
class VmaTreeTest
{
    private static Vma vma(final long start, final long pages)
    {
        return new Vma(start, start + pages * PAGE, VmFlags.VM_READ, null, start / PAGE, 0);
    }

    @Test
    void vmasInsertedInAnyOrderAreKeptSortedAndFoundByAddress()
    {
        final VmaTree t = new VmaTree();
        final Vma c = vma(A + 20 * PAGE, 4);
        final Vma a = vma(A, 4);
        final Vma b = vma(A + 8 * PAGE, 4);
        final Vma d = vma(A + 40 * PAGE, 1);
        final Vma e = vma(A + 50 * PAGE, 1);
        t.insert(c);
        t.insert(a);
        t.insert(e);
        t.insert(b);
        t.insert(d);   // the fifth: the slot array grows from 4 to 8
        assertThat(t.toList()).containsExactly(a, b, c, d, e);
        assertThat(t.size()).isEqualTo(5);
        assertThat(t.floor(A + 9 * PAGE)).isSameAs(b);
        assertThat(t.floor(A + 5 * PAGE)).as("in the gap after a: the floor is a").isSameAs(a);
        assertThat(t.floor(A - PAGE)).isNull();
        assertThat(t.lower(A + 8 * PAGE)).isSameAs(a);
        assertThat(t.lower(A)).isNull();
        assertThat(t.startingAt(A + 20 * PAGE)).isSameAs(c);
        assertThat(t.startingAt(A + 21 * PAGE)).isNull();
        assertThat(t.firstFrom(A - PAGE)).isZero();
        assertThat(t.firstFrom(A + 22 * PAGE)).isEqualTo(2);
    }

    @Test
    void removingByStartShiftsTheRestAndIgnoresAnAddressWhereNoVmaStarts()
    {
        final VmaTree t = new VmaTree();
        final Vma a = vma(A, 4);
        final Vma b = vma(A + 8 * PAGE, 4);
        final Vma c = vma(A + 20 * PAGE, 4);
        t.insert(a);
        t.insert(b);
        t.insert(c);
        t.remove(A + 9 * PAGE);
        assertThat(t.toList()).containsExactly(a, b, c);
        t.remove(A + 8 * PAGE);
        assertThat(t.toList()).containsExactly(a, c);
        assertThat(t.floor(A + 9 * PAGE)).isSameAs(a);
    }

    @Test
    void exitDetachesTheVmasUntilTheyAreReleased()
    {
        final VmaTree t = new VmaTree();
        final Vma a = vma(A, 4);
        final Vma b = vma(A + 8 * PAGE, 4);
        t.insert(a);
        t.insert(b);
        t.detachAll();
        assertThat(t.isEmpty()).isTrue();
        assertThat(t.floor(A + 9 * PAGE)).isNull();
        assertThat(t.detachedCount()).isEqualTo(2);
        assertThat(t.detached(0)).isSameAs(a);
        assertThat(t.detached(1)).isSameAs(b);
        t.release();
        assertThat(t.detachedCount()).isZero();
        t.insert(b);
        assertThat(t.toList()).containsExactly(b);
    }
}
