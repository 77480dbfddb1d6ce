package io.forksim.model;

import io.forksim.fork.Strategy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.forksim.model.Op.ANON;
import static io.forksim.model.Op.PROT_R;
import static io.forksim.model.Op.PROT_W;
import static io.forksim.model.Op.fork;
import static io.forksim.model.Op.mmap;
import static io.forksim.model.Op.mremap;
import static io.forksim.model.Op.newProcess;
import static io.forksim.model.Op.populate;
import static io.forksim.model.Op.read;
import static io.forksim.model.Op.write;
import static org.assertj.core.api.Assertions.assertThat;

/** The shrunk sequences of bugs the model-based tests found, replayed on every machine kind. */
class ModelRegressionTest
{
    private static ModelRun.Setup setup(final String arch, final boolean basic)
    {
        return ModelRun.Setup.of(arch, basic, 4L << 20, 256L << 10);
    }

    /**
     * fork(parent, null) succeeded when no VMA needed copying (and failed with a NullPointerException in the middle of
     * the copy otherwise); it must be refused with IllegalArgumentException, changing nothing.
     */
    @ParameterizedTest(name = "{0} contpte-basic={1}")
    @CsvSource({"x86_64, false", "arm64, false", "arm64, true"})
    void forkWithoutAStrategy(final String arch, final boolean basic)
    {
        assertThat(ModelRun.replay(setup(arch, basic), List.of(newProcess(), fork(1, null)))).isNull();
        assertThat(ModelRun.replay(setup(arch, basic), List.of(mmap(0, 0x4000_0000L, 0x10000L, PROT_R | PROT_W, false, ANON, 0),
            populate(0, 0x4000_0000L, 0x10000L, 4), fork(0, null), write(0, 0x4000_1000L, 7)))).isNull();
    }

    /**
     * mremap whose old and new range share a 2 MiB PTE table region: the destination table that mremap allocated up
     * front was then met as a source table with no destination table of its own, and the move read the memmap at
     * PFN -1 (IndexOutOfBoundsException, found by the soak with seed 0x1098 on arm64).
     */
    @ParameterizedTest(name = "{0} contpte-basic={1}")
    @CsvSource({"x86_64, false", "arm64, false", "arm64, true"})
    void mremapWithinOneTableRegion(final String arch, final boolean basic)
    {
        final Strategy s = basic ? Strategy.FOLIO_BATCH : Strategy.LEGACY;
        assertThat(ModelRun.replay(setup(arch, basic), List.of(
            mmap(0, 0x400c0000L, 0x2e0000L, PROT_R | PROT_W, false, ANON, 0x0L),
            fork(0, s),
            read(1, 0x402c7000L),
            mremap(1, 0x400c0000L, 0x2e0000L, 0x3fdc5000L)))).isNull();
        // the same with present anon pages and large folios on both sides of the shared table
        assertThat(ModelRun.replay(setup(arch, basic), List.of(
            mmap(0, 0x400c0000L, 0x2e0000L, PROT_R | PROT_W, false, ANON, 0x0L),
            populate(0, 0x40100000L, 0x40000L, 4),
            populate(0, 0x402c0000L, 0x10000L, 0),
            mremap(0, 0x400c0000L, 0x2e0000L, 0x3fdc0000L),
            read(0, 0x3fe00000L + 0x40000L),
            write(0, 0x3ffc0000L + 0x4000L, 9),
            fork(0, s)))).isNull();
    }
}
