// Probe behind scale.md's "What grows with size": the fork's memory pattern per PTE table of an order-9 folio, as one
// fused pass (the bandwidth floor's loop) or as the engine's passes (count the PFN ramp through a staging array, update
// the record, read and clear the PageAnonExclusive bytes, write-protect the parent's entries, write the child's through
// the staging array), at a cache-resident size (262144 pages, the 1 GiB baseline) and a DRAM one (67108864 pages).
// "ahead" also loads one word per line of the next table first. Run from the worktree after a build, under the gate:
//   java --enable-native-access=ALL-UNNAMED -cp engine/target/forksim-engine.jar scripts/scale/Passes.java PAGES fused|passes [ahead]
import io.forksim.mem.OffHeapArena;
import java.lang.foreign.*;
import java.lang.management.*;

public class Passes
{
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    static final ThreadMXBean T = ManagementFactory.getThreadMXBean();
    static volatile long bh;
    static final long[] buf = new long[512];

    static long fused(MemorySegment src, MemorySegment dst, MemorySegment ae, MemorySegment rec, long n, boolean ahead)
    {
        long any = 0;
        for (long f = 0; f < n; f += 512)
        {
            final long r = (f >>> 9) * 8192;
            rec.set(INT, r + 4, rec.get(INT, r + 4) + 512);
            for (long i = f; i < f + 512; i++)
            {
                final long pte = src.get(LONG, i * 8) & ~2L;
                src.set(LONG, i * 8, pte);
                dst.set(LONG, i * 8, pte);
                any |= ae.get(BYTE, i);
            }
        }
        return any;
    }

    static long passes(MemorySegment src, MemorySegment dst, MemorySegment ae, MemorySegment rec, long n, boolean ahead)
    {
        long any = 0;
        final long[] b = buf;
        for (long f = 0; f < n; f += 512)
        {
            if (ahead && f + 512 < n)
            {
                for (long k = 0; k < 4096; k += 64) any += src.get(LONG, (f + 512) * 8 + k);
            }
            final long first = src.get(LONG, f * 8);
            final long r = ((first >>> 12) & (n - 1)) / 512 * 8192;
            final int flags = rec.get(INT, r);
            // pass 1: count the ramp
            MemorySegment.copy(src, LONG, f * 8, b, 0, 512);
            int nr = 0;
            long expect = first;
            while (nr < 512 && b[nr] == expect) { nr++; expect += 4096; }
            // refcount, mapcount
            rec.set(INT, r + 4, rec.get(INT, r + 4) + nr + flags);
            rec.set(INT, r + 8, rec.get(INT, r + 8) + nr);
            // PAE clear range
            for (long i = f; i < f + nr; i++) any |= ae.get(BYTE, i);
            ae.asSlice(f, nr).fill((byte)0);
            // pass 2: wrprotect parent
            for (long i = f; i < f + nr; i++) src.set(LONG, i * 8, src.get(LONG, i * 8) & ~2L);
            // pass 3: child via staging
            final long p = first & ~2L;
            for (int i = 0; i < nr; i++) b[i] = p + i * 4096L;
            MemorySegment.copy(b, 0, dst, LONG, f * 8, nr);
        }
        return any;
    }

    static void fill(MemorySegment src, long n)
    {
        for (long i = 0; i < n; i++) src.set(LONG, i * 8, (i << 12) | 3);
    }

    public static void main(String[] a)
    {
        final long n = Long.parseLong(a[0]);
        final String v = a[1];
        final boolean ahead = a.length > 2;
        try (OffHeapArena ar = new OffHeapArena(true))
        {
            MemorySegment src = ar.allocateZeroed(n * 8, "src");
            MemorySegment dst = ar.allocateZeroed(n * 8, "dst");
            MemorySegment ae = ar.allocateZeroed(n, "ae");
            MemorySegment rec = ar.allocateZeroed(n / 512 * 8192, "rec", false);
            OffHeapArena.commit(src, 0, src.byteSize());
            OffHeapArena.commit(dst, 0, dst.byteSize());
            OffHeapArena.commit(ae, 0, ae.byteSize());
            long warm = Math.min(n, 1L << 14);
            for (int r = 0; r < 300; r++) { fill(src, warm); bh += v.equals("fused") ? fused(src, dst, ae, rec, warm, ahead) : passes(src, dst, ae, rec, warm, ahead); }
            long best = Long.MAX_VALUE;
            int rounds = n > (1L << 24) ? 3 : 30;
            for (int r = 0; r < rounds; r++)
            {
                fill(src, n);
                long t0 = T.getCurrentThreadCpuTime();
                bh += v.equals("fused") ? fused(src, dst, ae, rec, n, ahead) : passes(src, dst, ae, rec, n, ahead);
                best = Math.min(best, T.getCurrentThreadCpuTime() - t0);
            }
            System.out.printf("%-7s ahead=%-5s pages=%d (%d GiB eq): %.3f ns/page CPU%n", v, ahead, n, n >> 18, (double)best / n);
        }
    }
}
