package io.forksim.model;

import io.forksim.arch.ArchVariant;
import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mm.Advice;
import io.forksim.mm.FaultResult;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The public API fed hostile values (issue 8): each call gets exactly one bad argument (negative, unaligned, huge,
 * Long.MIN/MAX, past TASK_SIZE or the end of a file, a bad prot, order or advice, null) among good ones, on a
 * machine with live state (populated private and shared mappings, a file, a child, pins, swap entries). Every call
 * must throw {@link IllegalArgumentException} (or {@link IllegalStateException} for an exited process / a SIGSEGV
 * of a user access; {@code fault} returns {@link FaultResult#SEGV}) whose message names the bad value, and leave
 * the machine exactly as it was; the invariants hold throughout. Fully random arguments (any long) are fed too:
 * then the only allowed outcomes are success, those exceptions and running out of simulated RAM.
 */
class BadInputTest
{
    static final long PAGE = 4096;
    static final long A = 0x3fe0_0000L;
    static final long G = 0x4000_0000L;
    static final long TASK = 1L << 47;
    static final long[] BAD_ADDR = {-1, -PAGE, Long.MIN_VALUE, Long.MAX_VALUE, TASK, TASK + PAGE, 1L << 62, A + 1, A + PAGE - 1,
        G - 7, 0xdead_beefL};
    static final long[] BAD_LEN = {0, -1, -PAGE, Long.MIN_VALUE, Long.MAX_VALUE, 1, PAGE + 1, TASK, TASK - PAGE + 1, 1L << 62};
    static final long[] BAD_PROT = {8, 0x10, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x100};
    /** Addresses no VMA covers (an unaligned address inside a VMA is fine for a user access). */
    static final long[] BAD_ACCESS = {-1, -PAGE, Long.MIN_VALUE, Long.MAX_VALUE, TASK, TASK + PAGE, 1L << 62, 0xdead_beefL, 0,
        TASK - 1, G + (40L << 20) + 5};
    static final long[] BAD_ORDER = {-1, 10, 11, 64, Integer.MIN_VALUE, Integer.MAX_VALUE};

    /** A machine with some of everything. */
    static final class World implements AutoCloseable
    {
        final Machine m;
        final Mm p;
        final Mm child;
        final Mm dead;
        final SimFile file;

        World(final String arch)
        {
            m = new Machine(Machine.Config.of(arch, 8L << 20).withSwap(1L << 20));
            file = m.createFile("data", 64 * PAGE);
            p = m.newProcess();
            p.mmap(A, 4L << 20, 3, false, null, 0);
            p.populate(A, 2L << 20, 9);
            p.populate(G, 64 * PAGE, 4);
            p.populate(G + 64 * PAGE, 8 * PAGE, 0);
            p.madvise(G + 64 * PAGE, 8 * PAGE, Advice.PAGEOUT);
            p.pin(G + PAGE);
            p.mmap(G + (8L << 20), 16 * PAGE, 3, true, null, 0);
            p.populate(G + (8L << 20), 16 * PAGE, 0);
            p.mmap(G + (16L << 20), 16 * PAGE, 1, false, file, 8 * PAGE);
            p.read(G + (16L << 20));
            child = Fork.fork(p, Strategy.FOLIO_BATCH);
            dead = Fork.fork(p, Strategy.LEGACY);
            dead.exit();
        }

        @Override
        public void close()
        {
            m.close();
        }
    }

    /** The ways a value can appear in a message. */
    static boolean names(final String msg, final Object bad)
    {
        final String s = msg.toLowerCase(Locale.ROOT);
        if (bad == null)
        {
            return s.contains("null");
        }
        if (bad instanceof Long v)
        {
            return s.contains(Long.toString(v)) || s.contains(Long.toHexString(v)) || s.contains(Integer.toHexString((int)(long)v))
                && v == (int)(long)v;
        }
        return s.contains(bad.toString().toLowerCase(Locale.ROOT));
    }

    /** One call with one bad argument: what it is, the bad value, the call. */
    /** A call made for its exception only: its result is null. */
    private static Supplier<Object> voidCall(final Runnable call)
    {
        return () ->
        {
            call.run();
            return null;
        };
    }

    record Call(String what, Object bad, Supplier<Object> run)
    {
    }

    static long pick(final Random r, final long[] a)
    {
        return a[r.nextInt(a.length)];
    }

    static List<Call> calls(final World w, final Random r)
    {
        final Mm p = w.p;
        final List<Call> c = new ArrayList<>();
        final long freeAddr = G + (32L << 20);
        // mmap: one bad argument at a time
        long x = pick(r, BAD_ADDR);
        final long x1 = x;
        c.add(new Call("mmap addr", x, () -> p.mmap(x1, 4 * PAGE, 3, false, null, 0)));
        final long l1 = pick(r, BAD_LEN);
        c.add(new Call("mmap len", l1, () -> p.mmap(freeAddr, l1, 3, false, null, 0)));
        final long pr = pick(r, BAD_PROT);
        c.add(new Call("mmap prot", pr, () -> p.mmap(freeAddr, 4 * PAGE, (int)pr, r.nextBoolean(), null, 0)));
        final long off = pick(r, new long[] {-PAGE, 1, 64 * PAGE, 61 * PAGE, Long.MIN_VALUE, Long.MAX_VALUE & -PAGE, 1L << 40});
        c.add(new Call("mmap file offset", off, () -> p.mmap(freeAddr, 4 * PAGE, 1, true, w.file, off)));
        c.add(new Call("mmap anon offset", PAGE, () -> p.mmap(freeAddr, 4 * PAGE, 1, false, null, PAGE)));
        c.add(new Call("mmap overlap", Long.toHexString(A + PAGE), () -> p.mmap(A + PAGE, 4 * PAGE, 3, false, null, 0)));
        // munmap, mprotect, madvise, mremap
        final long x2 = pick(r, BAD_ADDR);
        c.add(new Call("munmap addr", x2, voidCall(() -> p.munmap(x2, 4 * PAGE))));
        final long l2 = pick(r, BAD_LEN);
        c.add(new Call("munmap len", l2, voidCall(() -> p.munmap(A, l2))));
        final long x3 = pick(r, BAD_ADDR);
        c.add(new Call("mprotect addr", x3, voidCall(() -> p.mprotect(x3, 4 * PAGE, 1))));
        final long l3 = pick(r, BAD_LEN);
        c.add(new Call("mprotect len", l3, voidCall(() -> p.mprotect(A, l3, 1))));
        final long pr3 = pick(r, BAD_PROT);
        c.add(new Call("mprotect prot", pr3, voidCall(() -> p.mprotect(A, 4 * PAGE, (int)pr3))));
        c.add(new Call("mprotect hole", Long.toHexString(A + (4L << 20)), voidCall(() -> p.mprotect(A, 5L << 20, 1))));
        final long x4 = pick(r, BAD_ADDR);
        c.add(new Call("madvise addr", x4, voidCall(() -> p.madvise(x4, PAGE, Advice.DONTNEED))));
        final long l4 = pick(r, BAD_LEN);
        c.add(new Call("madvise len", l4, voidCall(() -> p.madvise(A, l4, Advice.PAGEOUT))));
        c.add(new Call("madvise advice", null, voidCall(() -> p.madvise(A, PAGE, null))));
        c.add(new Call("madvise wipeonfork shared", "file", voidCall(() -> p.madvise(G + (8L << 20), PAGE, Advice.WIPEONFORK))));
        final long x5 = pick(r, BAD_ADDR);
        c.add(new Call("mremap old", x5, () -> p.mremap(x5, PAGE, freeAddr)));
        final long x6 = pick(r, BAD_ADDR);
        c.add(new Call("mremap new", x6, () -> p.mremap(A, PAGE, x6)));
        final long l6 = pick(r, BAD_LEN);
        c.add(new Call("mremap len", l6, () -> p.mremap(A, l6, freeAddr)));
        c.add(new Call("mremap past the VMA", Long.toHexString(A + (4L << 20) - PAGE),
            () -> p.mremap(A + (4L << 20) - PAGE, 2 * PAGE, freeAddr)));
        c.add(new Call("mremap onto a VMA", Long.toHexString(G), () -> p.mremap(A, PAGE, G)));
        // populate
        final long o = pick(r, BAD_ORDER);
        c.add(new Call("populate order", o, voidCall(() -> p.populate(A + (2L << 20), 2L << 20, (int)o))));
        final long x7 = pick(r, BAD_ADDR);
        c.add(new Call("populate addr", x7, voidCall(() -> p.populate(x7, PAGE, 0))));
        final long l7 = pick(r, BAD_LEN);
        c.add(new Call("populate len", l7, voidCall(() -> p.populate(A + (2L << 20), l7, 0))));
        c.add(new Call("populate misaligned folio", Long.toHexString(A + (2L << 20) + 16 * PAGE),
            voidCall(() -> p.populate(A + (2L << 20) + 16 * PAGE, 2L << 20, 9))));
        c.add(new Call("populate over pages", Long.toHexString(A), voidCall(() -> p.populate(A, PAGE, 0))));
        c.add(new Call("populate private file", "file", voidCall(() -> p.populate(G + (16L << 20), PAGE, 0))));
        // accesses, pins
        final long x8 = pick(r, BAD_ACCESS);
        c.add(new Call("read", x8, () -> p.read(x8)));
        final long x9 = pick(r, BAD_ACCESS);
        c.add(new Call("write", x9, voidCall(() -> p.write(x9, 1))));
        c.add(new Call("write read-only", Long.toHexString(G + (16L << 20)), voidCall(() -> p.write(G + (16L << 20), 1))));
        final long x10 = pick(r, BAD_ACCESS);
        c.add(new Call("pin", x10, () -> p.pin(x10)));
        final long x11 = pick(r, BAD_ACCESS);
        c.add(new Call("unpin", x11, voidCall(() -> p.unpin(x11))));
        final long x12 = pick(r, BAD_ACCESS);
        c.add(new Call("fault", x12, () -> p.fault(x12, r.nextBoolean())));
        // fork
        c.add(new Call("fork strategy", null, () -> Fork.fork(p, null)));
        c.add(new Call("fork parent", null, () -> Fork.fork(null, Strategy.LEGACY)));
        // an exited process: every operation
        final Mm d = w.dead;
        final String dn = "mm#" + d.id();
        c.add(new Call("exited mmap", dn, () -> d.mmap(freeAddr, PAGE, 3, false, null, 0)));
        c.add(new Call("exited munmap", dn, voidCall(() -> d.munmap(A, PAGE))));
        c.add(new Call("exited mprotect", dn, voidCall(() -> d.mprotect(A, PAGE, 1))));
        c.add(new Call("exited madvise", dn, voidCall(() -> d.madvise(A, PAGE, Advice.DONTNEED))));
        c.add(new Call("exited mremap", dn, () -> d.mremap(A, PAGE, freeAddr)));
        c.add(new Call("exited populate", dn, voidCall(() -> d.populate(A, PAGE, 0))));
        c.add(new Call("exited fault", dn, () -> d.fault(A, true)));
        c.add(new Call("exited read", dn, () -> d.read(A)));
        c.add(new Call("exited write", dn, voidCall(() -> d.write(A, 1))));
        c.add(new Call("exited pin", dn, () -> d.pin(A)));
        c.add(new Call("exited unpin", dn, voidCall(() -> d.unpin(A))));
        c.add(new Call("exited exit", dn, voidCall(() -> d.exit())));
        c.add(new Call("exited fork", dn, () -> Fork.fork(d, Strategy.LEGACY)));
        c.add(new Call("exited peekPte", dn, () -> d.peekPte(A)));
        // the machine and the allocator
        c.add(new Call("dropFile null", null, voidCall(() -> w.m.dropFile(null))));
        c.add(new Call("dropFile mapped", "data", voidCall(() -> w.m.dropFile(w.file))));
        final long fs = pick(r, new long[] {0, -1, -PAGE, 1, PAGE + 1, Long.MIN_VALUE, Long.MAX_VALUE});
        c.add(new Call("createFile size", fs, () -> w.m.createFile("bad", fs)));
        final long ao = pick(r, new long[] {-1, 11, 64, Integer.MIN_VALUE, Integer.MAX_VALUE}); // the buddy goes to 10
        c.add(new Call("allocPages order", ao, () -> w.m.phys().allocPages((int)ao)));
        final long fp = pick(r, new long[] {-1, 0, Long.MIN_VALUE, Long.MAX_VALUE, 16L << 20, 1L << 40});
        c.add(new Call("freePages pfn", fp, voidCall(() -> w.m.phys().freePages(fp, 0))));
        return c;
    }

    @Test
    void oneBadArgumentIsRefusedNamedAndChangesNothing()
    {
        for (final String arch : List.of("x86_64", "arm64"))
        {
            try (World w = new World(arch))
            {
                final Random r = new Random(0xBAD1);
                for (int round = 0; round < 15; round++)
                {
                    for (final Call c : calls(w, r))
                    {
                        final MachineImage before = MachineImage.of(w.m);
                        Object result = null;
                        Throwable t = null;
                        try
                        {
                            result = c.run.get();
                        }
                        catch (final Throwable e)
                        {
                            t = e;
                        }
                        final String what = arch + " " + c.what + " (bad value " + (c.bad instanceof Long v ? v + " = 0x"
                            + Long.toHexString(v) : c.bad) + ")";
                        if (c.what.endsWith("fault") && !c.what.startsWith("exited"))
                        {
                            assertThat(t).as(what).isNull();
                            assertThat(result).as(what).isEqualTo(FaultResult.SEGV);
                        }
                        else
                        {
                            assertThat(t).as(what + " returned " + result).isNotNull();
                            assertThat(t.getClass()).as(what + ": " + ModelRun.stackTrace(t))
                                .isIn(IllegalArgumentException.class, IllegalStateException.class);
                            assertThat(names(t.getMessage(), c.bad)).as(what + ": the message names the value: " + t.getMessage())
                                .isTrue();
                        }
                        assertThat(before.diff(MachineImage.of(w.m))).as(what + " changed the machine").isEmpty();
                    }
                    InvariantChecker.check(w.m);
                }
            }
        }
    }

    @Test
    void randomArgumentsNeverBreakAnything()
    {
        final long[] interesting = {0, PAGE, A, G, A + PAGE, G + (8L << 20), G + (16L << 20), 2L << 20, 4L << 20};
        for (final String arch : List.of("x86_64", "arm64"))
        {
            try (World w = new World(arch))
            {
                final Random r = new Random(0xBAD2);
                final Mm[] procs = {w.p, w.child, w.dead};
                for (int i = 0; i < 6000; i++)
                {
                    final Mm p = procs[r.nextInt(3)];
                    final long a = r.nextInt(3) == 0 ? r.nextLong() : r.nextBoolean() ? pick(r, interesting) : pick(r, BAD_ADDR);
                    final long b = r.nextInt(3) == 0 ? r.nextLong() : r.nextBoolean() ? pick(r, interesting) : pick(r, BAD_LEN);
                    final int k = r.nextInt(12);
                    try
                    {
                        switch (k)
                        {
                            case 0 -> p.mmap(a, b, r.nextInt(9), r.nextBoolean(), r.nextBoolean() ? null : w.file, r.nextBoolean() ? 0 : b);
                            case 1 -> p.munmap(a, b & ~(1L << 46));   // not everything at once
                            case 2 -> p.mprotect(a, b, r.nextInt(9));
                            case 3 -> p.madvise(a, b, r.nextInt(7) == 6 ? null : Advice.values()[r.nextInt(6)]);
                            case 4 -> p.mremap(a, b, pick(r, interesting) + (r.nextBoolean() ? 0 : b));
                            case 5 -> p.populate(a, b & ((8L << 20) - 1 | 1L << 63), r.nextInt(12) - 1);
                            case 6 -> p.fault(a, r.nextBoolean());
                            case 7 -> p.read(a);
                            case 8 -> p.write(a, r.nextLong());
                            case 9 -> p.pin(a);
                            case 10 -> p.unpin(a);
                            default -> Fork.fork(p, r.nextInt(5) == 4 ? null : Gen.strategyOrNull(r.nextInt(4))).exit();
                        }
                    }
                    catch (final IllegalArgumentException | IllegalStateException | io.forksim.mem.OutOfSimulatedMemoryException e)
                    {
                        assertThat(e.getMessage()).as(e.toString()).isNotBlank();
                    }
                    if (i % 50 == 0)
                    {
                        InvariantChecker.check(w.m);
                    }
                }
                InvariantChecker.check(w.m);
            }
        }
    }

    @Test
    void machineConfiguration()
    {
        for (final Object[] bad : new Object[][] {{"sparc", 4L << 20, "sparc"}, {"", 4L << 20, "arch"}, {null, 4L << 20, "null"},
            {"x86_64", -1L, "-1"}, {"x86_64", 0L, "=0"}, {"x86_64", 4095L, "4095"}, {"x86_64", (4L << 20) + 1, "4194305"},
            {"arm64", 1L << 44, Long.toString(1L << 44)}, {"arm64", Long.MAX_VALUE, Long.toString(Long.MAX_VALUE)},
            {"arm64", Long.MIN_VALUE, Long.toString(Long.MIN_VALUE)}})
        {
            assertThatThrownBy(() -> Machine.Config.of((String)bad[0], (Long)bad[1])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining((String)bad[2]);
        }
        for (final long swap : new long[] {-1, 1, 4097, Long.MIN_VALUE, Long.MAX_VALUE})
        {
            assertThatThrownBy(() -> Machine.Config.of("x86_64", 4L << 20).withSwap(swap)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Long.toString(swap));
        }
        assertThatThrownBy(() -> Machine.Config.of(ArchVariant.of("x86_64", true), 4L << 20))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x86_64");
        for (final String s : new String[] {null, "", "LEGACY2", "folio_batch", "contpte"})
        {
            assertThatThrownBy(() -> Strategy.parse(s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(s));
        }
        // a file of another machine
        try (World w = new World("x86_64"); Machine other = new Machine(Machine.Config.of("x86_64", 4L << 20)))
        {
            final SimFile f = other.createFile("elsewhere", PAGE);
            final MachineImage before = MachineImage.of(w.m);
            assertThatThrownBy(() -> w.p.mmap(G + (40L << 20), PAGE, 1, true, f, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("elsewhere");
            assertThatThrownBy(() -> w.m.dropFile(f)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("elsewhere");
            assertThat(before.diff(MachineImage.of(w.m))).isEmpty();
        }
    }
}
