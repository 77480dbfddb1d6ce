package io.forksim.snapshot;

import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.snapshot.SnapshotFormatException.Kind;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code forksim fork --snapshot FILE}: the populated fork parent of one configuration, loaded from FILE when FILE
 * holds exactly that setup, else populated and saved to FILE for the next run.
 *
 * <p>The setup is what {@code forksim fork} builds: a machine of the given {@link Machine.Config} with one process
 * that maps {@code sizeBytes} of private anonymous read-write memory at {@code baseVa} and populated it with folios of
 * {@code order}. A snapshot matches when its configuration (arch, RAM, swap, tlbiRange, contpteBasic) equals the
 * requested one and its metadata names the same base, size and order. A file that is not a forksim snapshot at all is
 * never overwritten; a snapshot of another setup, format version, or a corrupt one is replaced.
 */
public final class SnapshotCache
{
    /** Metadata keys the cache writes. */
    public static final String META_SETUP = "forksim.setup";
    public static final String SETUP_FORK_PARENT = "fork-parent";
    public static final String META_BASE_VA = "fork.base-va";
    public static final String META_SIZE = "fork.size-bytes";
    public static final String META_ORDER = "fork.order";

    private SnapshotCache()
    {
    }

    /**
     * The machine and its populated parent (the machine's only process), and where they came from.
     *
     * @param reused whether they were loaded from {@code file} (else populated, and saved unless {@code saveError})
     * @param nanos  time to load, or to populate and save
     */
    public record Loaded(Machine machine, Mm parent, Path file, boolean reused, long nanos, String saveError) implements AutoCloseable
    {
        /** Closes the machine. */
        @Override
        public void close()
        {
            machine.close();
        }
    }

    /**
     * Loads the fork parent of the configuration from {@code file} if it holds it, else creates it and saves it there.
     * A failure to save is reported in {@link Loaded#saveError()} (the machine is still returned).
     *
     * @param status receives one line about what happens (reuse, or why the file is (re)created)
     * @throws SnapshotFormatException if {@code file} exists but is not a forksim snapshot (it is never overwritten)
     * @throws IOException if an existing snapshot cannot be read
     */
    public static Loaded loadOrCreate(final Path file, final Machine.Config config, final long baseVa, final long sizeBytes,
        final int order, final Consumer<String> status) throws IOException
    {
        final long t0 = System.nanoTime();
        String why;
        if (Files.exists(file))
        {
            try
            {
                why = mismatch(Snapshot.info(file, false), config, baseVa, sizeBytes, order);
                if (why == null)
                {
                    final Machine m = Snapshot.load(file);
                    status.accept("snapshot " + file + ": reusing the populated parent (" + describe(config, sizeBytes, order) + ")");
                    return new Loaded(m, m.processes().getFirst(), file, true, System.nanoTime() - t0, null);
                }
            }
            catch (final SnapshotFormatException e)
            {
                if (e.kind() == Kind.NOT_A_SNAPSHOT)
                {
                    throw new SnapshotFormatException(file, Kind.NOT_A_SNAPSHOT, e.getMessage().substring(("snapshot " + file + ": ").length())
                        + "; refusing to overwrite it");
                }
                why = e.getMessage().substring(("snapshot " + file + ": ").length());
            }
        }
        else
        {
            why = "does not exist yet";
        }
        status.accept("snapshot " + file + ": " + why + "; populating " + describe(config, sizeBytes, order) + " and saving it");
        final Machine m = new Machine(config);
        try
        {
            final Mm parent = populateForkParent(m, baseVa, sizeBytes, order);
            String saveError = null;
            try
            {
                Snapshot.save(m, file, meta(baseVa, sizeBytes, order));
            }
            catch (final IOException | RuntimeException e)
            {
                saveError = e.getClass().getSimpleName() + ": " + e.getMessage();
                status.accept("snapshot " + file + ": could not save (" + saveError + "); continuing without it");
            }
            return new Loaded(m, parent, file, false, System.nanoTime() - t0, saveError);
        }
        catch (final RuntimeException | Error e)
        {
            m.close();
            throw e;
        }
    }

    /**
     * For option validation ({@code fork --snapshot FILE}, before any work): throws if {@code file} exists but is not a
     * forksim snapshot, which {@link #loadOrCreate} would refuse to overwrite. A missing file, a snapshot of another
     * setup or version, or a corrupt one pass (they are replaced).
     *
     * @throws SnapshotFormatException of kind {@link Kind#NOT_A_SNAPSHOT}, naming the file
     */
    public static void refuseForeignFile(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return;
        }
        try
        {
            Snapshot.info(file, false);
        }
        catch (final SnapshotFormatException e)
        {
            if (e.kind() == Kind.NOT_A_SNAPSHOT)
            {
                throw new SnapshotFormatException(file, Kind.NOT_A_SNAPSHOT, e.getMessage().substring(("snapshot " + file + ": ").length())
                    + "; refusing to overwrite it");
            }
        }
    }

    /** The setup {@code forksim fork} measures: one process, {@code sizeBytes} of anon RW memory at {@code baseVa}, populated. */
    public static Mm populateForkParent(final Machine m, final long baseVa, final long sizeBytes, final int order)
    {
        final Mm parent = m.newProcess();
        parent.mmap(baseVa, sizeBytes, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
        parent.populate(baseVa, sizeBytes, order);
        return parent;
    }

    /** The metadata that marks a snapshot of {@link #populateForkParent}'s setup. */
    public static Map<String, String> meta(final long baseVa, final long sizeBytes, final int order)
    {
        return Map.of(META_SETUP, SETUP_FORK_PARENT, META_BASE_VA, "0x" + Long.toHexString(baseVa),
            META_SIZE, Long.toString(sizeBytes), META_ORDER, Integer.toString(order));
    }

    /** Why the snapshot described by {@code info} is not the requested setup, or null if it is. */
    static String mismatch(final Snapshot.Info info, final Machine.Config config, final long baseVa, final long sizeBytes,
        final int order)
    {
        if (!info.config().equals(config))
        {
            return "holds another machine (" + info.config() + ", wanted " + config + ")";
        }
        final Map<String, String> meta = info.meta();
        final Map<String, String> want = meta(baseVa, sizeBytes, order);
        for (final Map.Entry<String, String> e : want.entrySet())
        {
            if (!e.getValue().equals(meta.get(e.getKey())))
            {
                return "holds another setup (" + e.getKey() + "=" + meta.get(e.getKey()) + ", wanted " + e.getValue() + ")";
            }
        }
        if (info.processes().size() != 1 || info.processes().getFirst().vmas() != 1)
        {
            return "holds " + info.processes().size() + " processes, not just the populated parent";
        }
        return null;
    }

    /**
     * The snapshot file of one configuration of a fork run. {@code option} is the {@code --snapshot} value: a directory
     * holds one file per configuration ({@code forksim-<arch>[-basic]-<size>-o<order>.snap}); a file is used as is when
     * it is the run's only configuration ({@code onlyConfiguration}), else {@code .<arch>[-basic]-o<order>} is put
     * before its extension (so {@code parent.snap} becomes {@code parent.arm64-o9.snap}).
     */
    public static Path fileFor(final Path option, final String arch, final long sizeBytes, final int order,
        final boolean contpteBasic, final boolean onlyConfiguration)
    {
        final String tag = arch + (contpteBasic ? "-basic" : "");
        if (Files.isDirectory(option))
        {
            return option.resolve("forksim-" + tag + "-" + sizeTag(sizeBytes) + "-o" + order + ".snap");
        }
        if (onlyConfiguration)
        {
            return option;
        }
        final String name = option.getFileName().toString();
        final int dot = name.lastIndexOf('.');
        final String stem = dot > 0 ? name.substring(0, dot) : name;
        final String ext = dot > 0 ? name.substring(dot) : "";
        return option.resolveSibling(stem + "." + tag + "-o" + order + ext);
    }

    private static String sizeTag(final long bytes)
    {
        final String[] units = {"", "K", "M", "G", "T"};
        long v = bytes;
        int u = 0;
        while (u < units.length - 1 && v % 1024 == 0 && v >= 1024)
        {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }

    private static String describe(final Machine.Config c, final long sizeBytes, final int order)
    {
        return String.format(Locale.ROOT, "%s, %s of order-%d folios on %s of RAM", c.arch().label(),
            sizeTag(sizeBytes), order, sizeTag(c.ramBytes()));
    }
}
