// Probe behind scale.md's "What grows with size": the bandwidth floor's loop at order 9 with its folio records
// contiguous (16 B apart) or strided as in the memmap (one record per 512 pages, 8 KiB apart), the records on 4 KiB or
// on transparent huge pages. Run from the worktree after a build, under the gate:
//   java --enable-native-access=ALL-UNNAMED -cp engine/target/forksim-engine.jar scripts/scale/RecStride.java PAGES contig|strided small|huge
import io.forksim.mem.OffHeapArena;
import java.lang.foreign.*;
import java.lang.management.*;

public class RecStride
{
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    static final ThreadMXBean T = ManagementFactory.getThreadMXBean();
    static volatile long bh;

    // order 9: per folio a record RMW at f*stride, per page a PTE rmw+copy and a byte read
    static long walk(MemorySegment src, MemorySegment dst, MemorySegment ae, MemorySegment rec, long n, long stride)
    {
        long any = 0;
        for (long f = 0; f < n; f += 512)
        {
            final long r = (f >>> 9) * stride;
            rec.set(INT, r + 4, rec.get(INT, r + 4) + 512);
            rec.set(INT, r + 8, rec.get(INT, r + 8) + 512);
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

    public static void main(String[] a)
    {
        final long n = Long.parseLong(a[0]);          // pages
        final boolean strided = a[1].equals("strided");
        final boolean hugeRec = a[2].equals("huge");
        try (OffHeapArena ar = new OffHeapArena(true))
        {
            MemorySegment src = ar.allocateZeroed(n * 8, "src");
            MemorySegment dst = ar.allocateZeroed(n * 8, "dst");
            MemorySegment ae = ar.allocateZeroed(n, "ae");
            long stride = strided ? 512 * 16 : 16;
            MemorySegment rec = ar.allocateZeroed(n / 512 * stride, "rec", hugeRec);
            OffHeapArena.commit(src, 0, src.byteSize());
            OffHeapArena.commit(dst, 0, dst.byteSize());
            OffHeapArena.commit(ae, 0, ae.byteSize());
            if (hugeRec) OffHeapArena.commit(rec, 0, rec.byteSize());
            long warm = Math.min(n, 1L << 14);
            for (int r = 0; r < 300; r++) bh += walk(src, dst, ae, rec, warm, stride);
            long best = Long.MAX_VALUE;
            int rounds = n > (1L << 24) ? 3 : 50;
            for (int r = 0; r < rounds; r++)
            {
                long t0 = T.getCurrentThreadCpuTime();
                bh += walk(src, dst, ae, rec, n, stride);
                best = Math.min(best, T.getCurrentThreadCpuTime() - t0);
            }
            System.out.printf("pages=%d (%d GiB eq) records %s on %s pages: %.3f ns/page CPU  AnonHuge=%d MiB recHuge=%d MiB%n",
                n, n >> 18, a[1], a[2], (double)best / n, OffHeapArena.anonHugePagesBytes() >> 20,
                OffHeapArena.anonHugePagesBytes(rec) >> 20);
        }
    }
}
