package io.forksim.snapshot;

import io.forksim.mm.FolioMapping;
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
 * {@code order}, PTE-mapped or (order 9) PMD-mapped ({@link FolioMapping}). A snapshot matches when its configuration
 * (arch, RAM, swap, tlbiRange, contpteBasic) equals the requested one and its metadata names the same base, size,
 * order and mapping (a snapshot without {@value #META_MAPPING} holds PTE-mapped folios). A file that is not a forksim snapshot at all is
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
    /** {@link FolioMapping#jsonName()} of the folios; written for PMD-mapped ones only, absent means "pte". */
    public static final String META_MAPPING = "fork.mapping";

    private SnapshotCache()
    {
    }

    /**
     * The machine and its populated parent (the machine's only process), and where they came from.
     *
     * @param origin    loaded from {@code file}, or populated (and saved unless {@code saveError}) because the file was
     *                  missing, held another setup, or was corrupt
     * @param reason    why the file was not reused (null when it was): "does not exist yet", "holds another setup
     *                  (...)", "truncated: ...", ...
     * @param nanos     time to load, or to check the old file, populate and save
     * @param saveError why saving failed, or null
     */
    public record Loaded(Machine machine, Mm parent, Path file, ParentOrigin origin, String reason, long nanos,
        String saveError) implements AutoCloseable
    {
        /** Whether the parent was loaded from {@code file}. */
        public boolean reused()
        {
            return origin == ParentOrigin.REUSED;
        }

        /** Closes the machine. */
        @Override
        public void close()
        {
            machine.close();
        }
    }

    /** {@link #loadOrCreate(Path, Machine.Config, long, long, int, FolioMapping, Consumer)} of PTE-mapped folios. */
    public static Loaded loadOrCreate(final Path file, final Machine.Config config, final long baseVa, final long sizeBytes,
        final int order, final Consumer<String> status) throws IOException
    {
        return loadOrCreate(file, config, baseVa, sizeBytes, order, FolioMapping.PTE, status);
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
        final int order, final FolioMapping mapping, final Consumer<String> status) throws IOException
    {
        final long t0 = System.nanoTime();
        String why;
        ParentOrigin origin = ParentOrigin.CREATED;
        if (Files.exists(file))
        {
            try
            {
                why = mismatch(Snapshot.info(file, false), config, baseVa, sizeBytes, order, mapping);
                if (why == null)
                {
                    final Machine m = Snapshot.load(file);
                    status.accept("snapshot " + file + ": reusing the populated parent (" + describe(config, sizeBytes, order, mapping) + ")");
                    return new Loaded(m, m.processes().getFirst(), file, ParentOrigin.REUSED, null, System.nanoTime() - t0,
                        null);
                }
                origin = ParentOrigin.RECREATED_STALE;
            }
            catch (final SnapshotFormatException e)
            {
                if (e.kind() == Kind.NOT_A_SNAPSHOT)
                {
                    throw new SnapshotFormatException(file, Kind.NOT_A_SNAPSHOT, e.getMessage().substring(("snapshot " + file + ": ").length())
                        + "; refusing to overwrite it");
                }
                why = e.getMessage().substring(("snapshot " + file + ": ").length());
                origin = e.kind() == Kind.VERSION ? ParentOrigin.RECREATED_STALE : ParentOrigin.RECREATED_CORRUPT;
            }
        }
        else
        {
            why = "does not exist yet";
        }
        status.accept("snapshot " + file + ": " + why + "; populating " + describe(config, sizeBytes, order, mapping) + " and saving it");
        final Machine m = new Machine(config);
        try
        {
            final Mm parent = populateForkParent(m, baseVa, sizeBytes, order, mapping);
            String saveError = null;
            try
            {
                Snapshot.save(m, file, meta(baseVa, sizeBytes, order, mapping));
            }
            catch (final IOException | RuntimeException e)
            {
                saveError = e.getClass().getSimpleName() + ": " + e.getMessage();
                status.accept("snapshot " + file + ": could not save (" + saveError + "); continuing without it");
            }
            return new Loaded(m, parent, file, origin, why, System.nanoTime() - t0, saveError);
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
        return populateForkParent(m, baseVa, sizeBytes, order, FolioMapping.PTE);
    }

    /**
     * As {@link #populateForkParent(Machine, long, long, int)}, the folios mapped by {@code mapping}
     * ({@link Mm#populate(long, long, int, FolioMapping)}'s preconditions: PMD needs order 9 and a 2 MiB-aligned range).
     */
    public static Mm populateForkParent(final Machine m, final long baseVa, final long sizeBytes, final int order,
        final FolioMapping mapping)
    {
        final Mm parent = m.newProcess();
        parent.mmap(baseVa, sizeBytes, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
        parent.populate(baseVa, sizeBytes, order, mapping);
        return parent;
    }

    /** The metadata that marks a snapshot of {@link #populateForkParent}'s setup of PTE-mapped folios. */
    public static Map<String, String> meta(final long baseVa, final long sizeBytes, final int order)
    {
        return meta(baseVa, sizeBytes, order, FolioMapping.PTE);
    }

    /** The metadata that marks a snapshot of {@link #populateForkParent}'s setup; {@value #META_MAPPING} only for PMD. */
    public static Map<String, String> meta(final long baseVa, final long sizeBytes, final int order, final FolioMapping mapping)
    {
        final Map<String, String> m = new java.util.LinkedHashMap<>(Map.of(META_SETUP, SETUP_FORK_PARENT,
            META_BASE_VA, "0x" + Long.toHexString(baseVa), META_SIZE, Long.toString(sizeBytes), META_ORDER, Integer.toString(order)));
        if (mapping != FolioMapping.PTE)
        {
            m.put(META_MAPPING, mapping.jsonName());
        }
        return Map.copyOf(m);
    }

    /** Why the snapshot described by {@code info} is not the requested setup, or null if it is. */
    static String mismatch(final Snapshot.Info info, final Machine.Config config, final long baseVa, final long sizeBytes,
        final int order, final FolioMapping mapping)
    {
        if (!info.config().equals(config))
        {
            return "holds another machine (" + info.config() + ", wanted " + config + ")";
        }
        final Map<String, String> want = new java.util.HashMap<>(meta(baseVa, sizeBytes, order, mapping));
        want.put(META_MAPPING, mapping.jsonName());
        final Map<String, String> meta = new java.util.HashMap<>(info.meta());
        meta.putIfAbsent(META_MAPPING, FolioMapping.PTE.jsonName());
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

    /** {@link #fileFor(Path, String, long, int, FolioMapping, boolean, boolean)} of PTE-mapped folios. */
    public static Path fileFor(final Path option, final String arch, final long sizeBytes, final int order,
        final boolean contpteBasic, final boolean onlyConfiguration)
    {
        return fileFor(option, arch, sizeBytes, order, FolioMapping.PTE, contpteBasic, onlyConfiguration);
    }

    /**
     * The snapshot file of one configuration of a fork run. {@code option} is the {@code --snapshot} value: a directory
     * holds one file per configuration ({@code forksim-<arch>[-basic]-<size>-o<order>[pmd].snap}, {@code pmd} for
     * PMD-mapped folios); a file is used as is when it is the run's only configuration ({@code onlyConfiguration}),
     * else {@code .<arch>[-basic]-o<order>[pmd]} is put before its extension (so {@code parent.snap} becomes
     * {@code parent.arm64-o9.snap}, or {@code parent.arm64-o9pmd.snap} for PMD-mapped order-9 THPs).
     */
    public static Path fileFor(final Path option, final String arch, final long sizeBytes, final int order,
        final FolioMapping mapping, final boolean contpteBasic, final boolean onlyConfiguration)
    {
        final String tag = arch + (contpteBasic ? "-basic" : "");
        final String o = "-o" + order + (mapping == FolioMapping.PTE ? "" : mapping.jsonName());
        if (Files.isDirectory(option))
        {
            return option.resolve("forksim-" + tag + "-" + sizeTag(sizeBytes) + o + ".snap");
        }
        if (onlyConfiguration)
        {
            return option;
        }
        final String name = option.getFileName().toString();
        final int dot = name.lastIndexOf('.');
        final String stem = dot > 0 ? name.substring(0, dot) : name;
        final String ext = dot > 0 ? name.substring(dot) : "";
        return option.resolveSibling(stem + "." + tag + o + ext);
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

    private static String describe(final Machine.Config c, final long sizeBytes, final int order, final FolioMapping mapping)
    {
        return String.format(Locale.ROOT, "%s, %s of order-%d folios%s on %s of RAM", c.arch().label(),
            sizeTag(sizeBytes), order, mapping == FolioMapping.PTE ? "" : " (" + mapping.jsonName() + "-mapped)", sizeTag(c.ramBytes()));
    }
}
