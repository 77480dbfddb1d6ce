package io.forksim.mm;

import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.PageDescriptor;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The events of one fault of each kind on x86_64: one fault, and the rmap, refcount, COW and swap counts of what it
 * maps (do_anonymous_page, do_read_fault, do_cow_fault, do_shared_fault, wp_page_copy, wp_page_reuse, do_swap_page).
 */
class FaultCountsTest
{
    private static Events once(final Machine m, final Runnable fault)
    {
        final Events before = m.events().copy();
        fault.run();
        return m.events().minus(before);
    }

    private static void expect(final Events e, final long rmap, final long refs, final long cowCopies, final long cowReuses,
        final long swapIns)
    {
        assertThat(e.faults).as("faults").isEqualTo(1);
        assertThat(e.rmapUpdate).as("rmap updates").isEqualTo(rmap);
        assertThat(e.refcountUpdate).as("refcount updates").isEqualTo(refs);
        assertThat(e.cowCopies).as("COW copies").isEqualTo(cowCopies);
        assertThat(e.cowReuses).as("COW reuses").isEqualTo(cowReuses);
        assertThat(e.swapIns).as("swap-ins").isEqualTo(swapIns);
    }

    private static void withProcess(final Consumer<Mm> body)
    {
        try (Machine m = Fixtures.x86())
        {
            body.accept(m.newProcess());
            consistent(m);
        }
    }

    @Test
    void anAnonymousWriteFaultMapsOneNewFolio()
    {
        withProcess(mm ->
        {
            mm.mmap(A, PAGE, RW, false, null, 0);
            expect(once(mm.machine(), () -> mm.write(A, 1)), 1, 0, 0, 0, 0);
        });
    }

    @Test
    void aReadFaultOfAFilePageTakesOneReferenceAndOneRmap()
    {
        withProcess(mm ->
        {
            final SimFile f = mm.machine().createFile("f", PAGE);
            mm.mmap(A, PAGE, R, true, f, 0);
            expect(once(mm.machine(), () -> mm.read(A)), 1, 1, 0, 0, 0);
            assertThat(mm.machine().arch().pteWrite(mm.peekPte(A))).as("a read-only shared mapping").isFalse();
        });
    }

    @Test
    void aWriteFaultOfAPrivateFilePageCopiesIt()
    {
        withProcess(mm ->
        {
            final SimFile f = mm.machine().createFile("f", PAGE);
            mm.mmap(A, PAGE, RW, false, f, 0);
            expect(once(mm.machine(), () -> mm.write(A, 3)), 1, 0, 1, 0, 0);
        });
    }

    @Test
    void aWriteFaultOnAPageSharedWithAChildCopiesItAndOnTheLastMappingReusesIt()
    {
        withProcess(mm ->
        {
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.write(A, 1);
            final Mm child = Fork.fork(mm, Strategy.FOLIO_BATCH);
            expect(once(mm.machine(), () -> mm.write(A, 2)), 2, 1, 1, 0, 0);   // the new folio's own reference is no update
            expect(once(mm.machine(), () -> child.write(A, 3)), 0, 0, 0, 1, 0);
        });
    }

    @Test
    void aSwapInFaultMapsTheSwappedPageBack()
    {
        withProcess(mm ->
        {
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.write(A, 1);
            mm.madvise(A, PAGE, Advice.PAGEOUT);
            expect(once(mm.machine(), () -> mm.read(A)), 1, 1, 0, 0, 1);
            final long pfn = pfnAt(mm, A);
            assertThat(mm.machine().memmap().flags(pfn) & PageDescriptor.PG_SWAPCACHE)
                .as("the last swap reference: not kept in the swap cache").isZero();
            assertThat(mm.machine().memmap().rawRefcount(pfn)).isEqualTo(1);
            assertThat(mm.machine().memmap().testAnonExclusive(pfn)).isTrue();
        });
    }
}
