package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark cycle "fork, the child exits, restore": both restores give back the captured machine, and the light
 * one ({@code restoreAfterChildExit}) finds the folio records already equal after the exit.
 */
class ProcessCheckpointTest
{
    private static final long BASE = 1L << 40;
    private static final long SIZE = 8L << 20;

    static Stream<Arguments> configurations()
    {
        final List<Arguments> out = new ArrayList<>();
        for (final String arch : List.of("x86_64", "arm64"))
        {
            for (final int order : List.of(0, 4, 9))
            {
                for (final Strategy s : List.of(Strategy.LEGACY, Strategy.ARCH_BATCH, Strategy.FOLIO_BATCH))
                {
                    out.add(Arguments.of(arch, order, s));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} order-{1} {2}: fork, exit, light restore = the captured machine")
    @MethodSource("configurations")
    void lightRestoreAfterAChildExitGivesBackTheCapturedMachine(final String arch, final int order, final Strategy strategy)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 64L << 20)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE, SIZE, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            parent.populate(BASE, SIZE, order);
            try (ProcessCheckpoint cp = ProcessCheckpoint.capture(parent))
            {
                final MachineImage captured = MachineImage.of(m);
                for (int i = 0; i < 3; i++)
                {
                    Fork.fork(parent, strategy).exit();
                    assertThat(cp.restoreAfterChildExit(true)).as("records equal after the exit, round " + i).isTrue();
                    assertThat(captured.diff(MachineImage.of(m))).as("round " + i).isEmpty();
                }
            }
        }
    }

    @Test
    void lightRestoreWithVerifyNoticesAndRepairsARecordSomethingElseChanged()
    {
        try (Machine m = new Machine(Machine.Config.of("x86_64", 64L << 20)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE, SIZE, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            parent.populate(BASE, SIZE, 0);
            try (ProcessCheckpoint cp = ProcessCheckpoint.capture(parent))
            {
                final MachineImage captured = MachineImage.of(m);
                Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
                // something other than the fork/exit cycle changed a record: an extra reference on the first page
                final long pfn = m.arch().ptePfn(parent.peekPte(BASE));
                m.memmap().refAdd(pfn, 1);
                assertThat(cp.restoreAfterChildExit(false)).as("unverified: not noticed").isTrue();
                assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(2);
                assertThat(cp.restoreAfterChildExit(true)).as("verified: noticed and repaired").isFalse();
                assertThat(captured.diff(MachineImage.of(m))).isEmpty();
            }
        }
    }
}
