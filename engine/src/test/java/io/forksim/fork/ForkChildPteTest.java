package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.check.InvariantChecker;
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
 * The PTEs fork leaves behind ({@code __copy_present_ptes}, {@code copy_present_page}), entry by entry, on both
 * arches and every strategy: the parent's private anon entries are write-protected and keep young and dirty;
 * the child's are the parent's made old. Every page of a pinned folio is exclusive and the folio maybe pinned, so
 * each is copied for the child ({@code copy_present_page}: young, dirty, writable) and stays writable in the parent.
 */
class ForkChildPteTest
{
    static final long BASE = 1L << 30;
    static final long PAGE = 4096;

    static Stream<Arguments> cases()
    {
        final List<Arguments> out = new ArrayList<>();
        for (final String arch : new String[] {"x86_64", "arm64"})
        {
            for (final Strategy s : new Strategy[] {Strategy.LEGACY, Strategy.ARCH_BATCH, Strategy.FOLIO_BATCH})
            {
                for (final int order : new int[] {0, 4})
                {
                    out.add(Arguments.of(arch, s, order));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} order {2}")
    @MethodSource("cases")
    void theChildsEntriesAreTheParentsWriteProtectedEntriesMadeOld(final String arch, final Strategy strategy, final int order)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 64L << 20)))
        {
            final Arch a = m.arch();
            final Mm parent = m.newProcess();
            parent.mmap(BASE, 64 * PAGE, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            parent.populate(BASE, 64 * PAGE, order);
            final long pinnedAt = BASE + 40 * PAGE;
            parent.pin(pinnedAt);
            final long folioStart = pinnedAt & -(PAGE << order);
            final long folioEnd = folioStart + (PAGE << order);
            final Mm child = Fork.fork(parent, strategy);
            for (long va = BASE; va < BASE + 64 * PAGE; va += PAGE)
            {
                final long p = parent.peekPte(va);
                final long c = child.peekPte(va);
                if (va >= folioStart && va < folioEnd)
                {
                    assertThat(a.pteWrite(p) && a.pteYoung(p)).as("the pinned folio stays the parent's, writable").isTrue();
                    final long copy = a.ptePfn(c);
                    assertThat(copy).isNotEqualTo(a.ptePfn(p));
                    assertThat(a.pteYoung(c) && a.pteDirty(c) && a.pteWrite(c)).as("copy_present_page's entry").isTrue();
                    assertThat(m.memmap().testAnonExclusive(copy)).isTrue();
                    continue;
                }
                assertThat(a.pteWrite(p)).as("parent 0x%x write-protected", va).isFalse();
                assertThat(a.pteYoung(p) && a.pteDirty(p)).as("parent 0x%x keeps young and dirty", va).isTrue();
                assertThat(a.pteYoung(c)).as("child 0x%x old", va).isFalse();
                assertThat(a.pteMknoncont(c)).as("child 0x%x", va).isEqualTo(a.pteMknoncont(a.pteMkold(p)));
            }
            InvariantChecker.check(m);
        }
    }
}
