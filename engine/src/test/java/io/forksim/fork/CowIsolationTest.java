package io.forksim.fork;

import io.forksim.check.InvariantChecker;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * COW isolation after fork, modelled on the kernel's tools/testing/selftests/mm/cow.c: for every memory
 * shape of its anon test cases, neither side ever sees the other's writes. Content tokens decide what each
 * side sees; the invariant checker runs after every step.
 */
class CowIsolationTest
{
    static final long THP = 2L << 20;
    static final long A = 1L << 40;
    static final long B = A + (64L << 20);
    static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    enum Shape
    {
        BASE_PAGE, SWAPPED_BASE_PAGE, PTE_MAPPED_THP, SWAPPED_PTE_MAPPED_THP, SINGLE_PTE_OF_THP,
        SINGLE_PTE_OF_SWAPPED_THP, PARTIALLY_MREMAPPED_THP, PARTIALLY_SHARED_THP, MTHP_64K
    }

    static Stream<Arguments> cases()
    {
        final List<Arguments> out = new ArrayList<>();
        for (final String arch : new String[] {"x86_64", "arm64"})
        {
            for (final Strategy s : new Strategy[] {Strategy.LEGACY, Strategy.ARCH_BATCH, Strategy.FOLIO_BATCH})
            {
                for (final Shape shape : Shape.values())
                {
                    for (final boolean mprotectOpt : new boolean[] {false, true})
                    {
                        for (final boolean pinned : new boolean[] {false, true})
                        {
                            out.add(Arguments.of(arch, s, shape, mprotectOpt, pinned));
                        }
                    }
                }
            }
        }
        return out.stream();
    }

    /** Builds the shape in {@code mm}; returns the page addresses under test. */
    static List<Long> build(final Mm mm, final Shape shape, final Strategy strategy)
    {
        final List<Long> pages = new ArrayList<>();
        switch (shape)
        {
            case BASE_PAGE, SWAPPED_BASE_PAGE ->
            {
                mm.mmap(A, 4096, RW, false, null, 0);
                mm.populate(A, 4096, 0);
                pages.add(A);
                if (shape == Shape.SWAPPED_BASE_PAGE)
                {
                    mm.madvise(A, 4096, Advice.PAGEOUT);
                }
            }
            case PTE_MAPPED_THP, SWAPPED_PTE_MAPPED_THP ->
            {
                mm.mmap(A, THP, RW, false, null, 0);
                mm.populate(A, THP, 9);
                for (long p = A; p < A + THP; p += 4096)
                {
                    pages.add(p);
                }
                if (shape == Shape.SWAPPED_PTE_MAPPED_THP)
                {
                    mm.madvise(A, THP, Advice.PAGEOUT);
                }
            }
            case SINGLE_PTE_OF_THP, SINGLE_PTE_OF_SWAPPED_THP ->
            {
                mm.mmap(A, THP, RW, false, null, 0);
                mm.populate(A, THP, 9);
                mm.madvise(A + 4096, THP - 4096, Advice.DONTNEED);
                pages.add(A);
                if (shape == Shape.SINGLE_PTE_OF_SWAPPED_THP)
                {
                    mm.madvise(A, 4096, Advice.PAGEOUT);
                }
            }
            case PARTIALLY_MREMAPPED_THP ->
            {
                mm.mmap(A, THP, RW, false, null, 0);
                mm.populate(A, THP, 9);
                mm.mremap(A + THP / 2, THP / 2, B);
                for (long p = A; p < A + THP / 2; p += 4096)
                {
                    pages.add(p);
                }
                for (long p = B; p < B + THP / 2; p += 4096)
                {
                    pages.add(p);
                }
            }
            case PARTIALLY_SHARED_THP ->
            {
                mm.mmap(A, THP, RW, false, null, 0);
                mm.populate(A, THP, 9);
                mm.madvise(A + 4096, THP - 4096, Advice.DONTFORK);
                Fork.fork(mm, strategy).exit();
                mm.madvise(A + 4096, THP - 4096, Advice.DOFORK);
                for (long p = A; p < A + THP; p += 4096)
                {
                    pages.add(p);
                }
            }
            case MTHP_64K ->
            {
                mm.mmap(A, THP, RW, false, null, 0);
                mm.populate(A, THP, 4);
                for (long p = A; p < A + THP; p += 4096)
                {
                    pages.add(p);
                }
            }
        }
        return pages;
    }

    @ParameterizedTest(name = "{0} {1} {2} mprotect={3} pinned={4}")
    @MethodSource("cases")
    void neitherSideSeesTheOthersWrites(final String arch, final Strategy strategy, final Shape shape,
        final boolean mprotectOpt, final boolean pinned)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 64L << 20)))
        {
            final Mm parent = m.newProcess();
            final List<Long> pages = build(parent, shape, strategy);
            if (pinned)
            {
                parent.pin(pages.get(0));
            }
            final long[] before = new long[pages.size()];
            for (int i = 0; i < before.length; i++)
            {
                before[i] = parent.read(pages.get(i));
            }
            InvariantChecker.check(m);

            final Mm child = Fork.fork(parent, strategy);
            InvariantChecker.check(m);
            for (int i = 0; i < before.length; i++)
            {
                assertThat(child.read(pages.get(i))).as("child sees the parent's content at fork, page %d", i).isEqualTo(before[i]);
            }

            if (mprotectOpt)
            {
                // cow.c's "mprotect() optimization": R/O then R/W again before the parent writes
                parent.mprotect(pages.get(0), 4096, VmFlags.VM_READ);
                parent.mprotect(pages.get(0), 4096, RW);
            }

            // the parent writes every page: the child must keep seeing the old content
            final long[] parentWrote = new long[pages.size()];
            for (int i = 0; i < pages.size(); i++)
            {
                parentWrote[i] = m.newToken();
                parent.write(pages.get(i), parentWrote[i]);
            }
            InvariantChecker.check(m);
            for (int i = 0; i < pages.size(); i++)
            {
                assertThat(child.read(pages.get(i))).as("leak from parent into child, page %d", i).isEqualTo(before[i]);
            }

            // the child writes every page: the parent must keep its own content
            for (int i = 0; i < pages.size(); i++)
            {
                child.write(pages.get(i), m.newToken());
            }
            InvariantChecker.check(m);
            for (int i = 0; i < pages.size(); i++)
            {
                assertThat(parent.read(pages.get(i))).as("leak from child into parent, page %d", i).isEqualTo(parentWrote[i]);
            }

            child.exit();
            if (pinned)
            {
                parent.unpin(pages.get(0));
            }
            parent.exit();
            InvariantChecker.check(m);
            assertThat(m.phys().freePageCount()).as("everything freed").isEqualTo(m.phys().usablePages());
        }
    }
}
