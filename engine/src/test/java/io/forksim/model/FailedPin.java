package io.forksim.model;

import io.forksim.arch.Arch;
import io.forksim.check.MachineImage;
import io.forksim.mm.Mm;

import java.util.List;

/**
 * What a {@code pin} that ran out of simulated RAM may leave behind: the faults it completed, and nothing else.
 *
 * <p>The kernel's rule (mm/gup.c, Linux 6.18): {@code __get_user_pages} calls {@code faultin_page} (one
 * {@code handle_mm_fault}) for each step of a page and returns {@code -ENOMEM} at the first fault that fails; it undoes
 * none of the faults that completed before. forksim's {@code Mm.pin} is one page, so its steps are:
 * <ul>
 *   <li>a FOLL_WRITE pin: one write fault. That fault is atomic in forksim, so a failed R/W pin changes nothing.</li>
 *   <li>a R/O longterm pin: a read fault if nothing is present (the zero page, a page-cache page, a swap-in), then,
 *       where {@code gup_must_unshare} says so, an unshare fault ({@code FAULT_FLAG_UNSHARE}: a copy). Each fault is
 *       atomic, so a failed R/O pin leaves either nothing or exactly its read fault, when the unshare was the step
 *       that ran out.</li>
 * </ul>
 * No pin is taken either way. This class decides which of the two outcomes the engine took (the page at the pin's
 * address is present now and was none or swapped in the model), applies that read fault to the model, and checks
 * that the machine is exactly what the read fault alone leaves: a twin run replays the steps before the pin and
 * runs {@code fault(p, page, read)} in its place, and the two machine images must be equal.
 */
final class FailedPin
{
    private FailedPin()
    {
    }

    /**
     * Checks the state a pin left that threw {@code OutOfSimulatedMemoryException} at step {@code i}, and brings the
     * model to it. Preconditions: {@code op} is a PIN the model expected to succeed; {@code before} is the machine's
     * image before it (null on a shared machine); {@code r.history} ends with {@code op}.
     *
     * @return null, or the failure: the machine changed in a way no prefix of the pin's faults explains
     */
    static ModelRun.Failure check(final ModelRun r, final int i, final Op op, final MachineImage before)
    {
        final long page = op.a() & -RefModel.PAGE;
        final RefModel.MProc mp = r.model.proc(op.p());
        final RefModel.Kind was = RefModel.kind(mp, page);
        final Mm mm = r.mms.get(op.p());
        final Arch arch = r.m.arch();
        final boolean readFaulted = (was == RefModel.Kind.NONE || was == RefModel.Kind.SWAP) && arch.ptePresent(mm.peekPte(page));
        if (!readFaulted)
        {
            final List<String> d = r.shared ? List.of() : before.diff(MachineImage.of(r.m));
            return d.isEmpty() ? null : new ModelRun.Failure(i, "OOM changed state", op + " ran out of memory but changed the machine: "
                + String.join("; ", d));
        }
        RefModel.readFault(mp, page);
        r.stats.merge("OOM PIN after its read fault", 1, Integer::sum);
        if (r.shared)
        {
            return null;
        }
        final List<Op> steps = r.history.subList(0, r.history.size() - 1);
        final MachineImage expected;
        try (ModelRun twin = new ModelRun(r.setup, r.m.concurrent()))
        {
            for (int j = 0; j < steps.size(); j++)
            {
                final ModelRun.Failure f = twin.step(j, steps.get(j));
                if (f != null)
                {
                    return new ModelRun.Failure(i, "twin run diverged", "replaying the steps before " + op + ": " + f);
                }
            }
            final ModelRun.Failure f = twin.step(steps.size(), Op.fault(op.p(), page, false));
            if (f != null)
            {
                return new ModelRun.Failure(i, "twin run diverged", "the read fault in place of " + op + ": " + f);
            }
            expected = MachineImage.of(twin.m);
        }
        final List<String> d = expected.diff(MachineImage.of(r.m));
        return d.isEmpty() ? null : new ModelRun.Failure(i, "OOM changed state", op + " ran out of memory and left more than its"
            + " read fault (left: machine after the read fault alone; right: after the pin): " + String.join("; ", d));
    }
}
