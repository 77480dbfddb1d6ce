package io.forksim.mm;

import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** mmdrop and the machine's slab caches (mm_cachep, vm_area_cachep, anon_vma_cachep) that fork reuses. */
class MmdropTest
{
    @Test
    void theNextForkAfterAnMmdropReusesTheMmAndItsVmaAsAFreshChild()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 2 * MIB, RW, false, null, 0);
            parent.populate(A, 2 * MIB, 0);
            final Mm first = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Vma firstVma = first.vmaAt(0);
            first.write(A, 7);
            first.pin(A + PAGE);
            first.exit();
            first.mmdrop();
            assertThat(m.mmCachep.freeCount()).isEqualTo(1);
            assertThat(m.vmAreaCachep.freeCount()).isEqualTo(1);
            assertThat(m.anonVmaCachep.freeCount()).isEqualTo(1);

            final Mm second = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(second).as("the mm from the mm_cachep").isSameAs(first);
            assertThat(second.exited()).isFalse();
            assertThat(second.hasPinned()).isFalse();
            assertThat(second.pins()).isEmpty();
            assertThat(second.rss(Mm.MM_ANONPAGES)).isEqualTo(512);
            assertThat(second.mapCount()).isEqualTo(1);
            assertThat(second.vmaAt(0)).as("the VMA from the vm_area_cachep").isSameAs(firstVma);
            assertThat(second.vmaAt(0).start()).isEqualTo(A);
            assertThat(second.vmaAt(0).end()).isEqualTo(A + 2 * MIB);
            assertThat(second.vmaAt(0).anonVma).isNotNull().isNotSameAs(parent.vmaAt(0).anonVma);
            assertThat(second.vmaAt(0).anonVmaForked).isTrue();
            assertThat(m.processes()).containsExactly(parent, second);
            assertThat(second.read(A)).as("the parent's content, not the dropped child's write").isEqualTo(parent.read(A));
            assertThat(m.mmCachep.freeCount()).isZero();
            assertThat(m.vmAreaCachep.freeCount()).isZero();
            assertThat(m.anonVmaCachep.freeCount()).isZero();
            Fixtures.consistent(m);
        }
    }

    @Test
    void anAnonVmaSharedBySplitPiecesIsFreedOnceAndNeverHandedToTwoNewVmas()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 3 * MIB, RW, false, null, 0);
            parent.populate(A, 3 * MIB, 0);
            final Mm child = Fork.fork(parent, Strategy.LEGACY);
            child.mprotect(A + MIB, MIB, R);   // three pieces sharing the child's one anon_vma
            assertThat(child.mapCount()).isEqualTo(3);
            child.exit();
            child.mmdrop();
            assertThat(m.vmAreaCachep.freeCount()).isEqualTo(3);
            assertThat(m.anonVmaCachep.freeCount()).isEqualTo(1);

            final Mm other = m.newProcess();
            for (int i = 0; i < 3; i++)
            {
                other.mmap(A + i * 2 * MIB, MIB, i == 1 ? R : RW, false, null, 0);
                other.populate(A + i * 2 * MIB, MIB, 0);
            }
            final Mm grandchild = Fork.fork(other, Strategy.LEGACY);
            final Map<AnonVma, Vma> owners = new IdentityHashMap<>();
            for (int i = 0; i < grandchild.mapCount(); i++)
            {
                final Vma v = grandchild.vmaAt(i);
                assertThat(owners.put(v.anonVma, v)).as("anon_vma of %s already held by another VMA", v).isNull();
            }
            assertThat(owners).hasSize(3);
            Fixtures.consistent(m);
        }
    }

    @Test
    void mmdropOfALiveOrAnAlreadyDroppedProcessThrowsNamingIt()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            assertThatThrownBy(mm::mmdrop).isInstanceOf(IllegalStateException.class)
                .hasMessage("mmdrop of mm#" + mm.id() + ": the process has not exited");
            assertThat(m.mmCachep.freeCount()).isZero();
            mm.exit();
            mm.mmdrop();
            assertThatThrownBy(mm::mmdrop).isInstanceOf(IllegalStateException.class)
                .hasMessage("mmdrop of mm#" + mm.id() + ": dropped already");
            assertThat(m.mmCachep.freeCount()).isEqualTo(1);
        }
    }

    @Test
    void anExitedProcessThatIsNotDroppedStaysExitedWhileOthersFork()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, MIB, RW, false, null, 0);
            parent.populate(A, MIB, 0);
            final Mm kept = Fork.fork(parent, Strategy.LEGACY);
            kept.exit();
            final Mm next = Fork.fork(parent, Strategy.LEGACY);
            assertThat(next).isNotSameAs(kept);
            assertThat(kept.exited()).isTrue();
            assertThat(kept.toString()).isEqualTo("mm#" + kept.id() + " (exited) vmas=0");
        }
    }

    /** Forks on two threads share the machine's caches (each cache under its own lock on a concurrent machine). */
    @Test
    void forksOnTwoThreadsOfAConcurrentMachineRecycleEachOthersMms() throws Exception
    {
        try (Machine m = new Machine(Machine.Config.of("arm64", 64 * MIB).withConcurrent(true)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 2 * MIB, RW, false, null, 0);
            parent.populate(A, 2 * MIB, 4);
            final long token = parent.read(A + 5 * PAGE);
            final long free = m.phys().freePageCount();
            final ExecutorService pool = Executors.newFixedThreadPool(2);
            try
            {
                final List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 2; t++)
                {
                    done.add(pool.submit(() ->
                    {
                        for (int i = 0; i < 300; i++)
                        {
                            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
                            assertThat(child.mapCount()).isEqualTo(1);
                            assertThat(child.read(A + 5 * PAGE)).isEqualTo(token);
                            child.exit();
                            child.mmdrop();
                        }
                        return null;
                    }));
                }
                for (final Future<?> f : done)
                {
                    f.get();
                }
            }
            finally
            {
                pool.shutdownNow();
            }
            assertThat(m.processes()).containsExactly(parent);
            assertThat(m.mmCachep.freeCount()).isBetween(1, 2);
            assertThat(m.phys().freePageCount()).isEqualTo(free);
            Fixtures.consistent(m);
        }
    }
}
