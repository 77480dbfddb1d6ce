package io.forksim.harness;

import io.forksim.stats.Events;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Live counters of a running {@code forksim fork}, published through Agrona counters in a memory-mapped
 * file, so that {@code forksim stat} in another terminal can watch them (the way AeronStat watches an
 * Aeron media driver's CnC file).
 *
 * <h2>File layout (version {@value #VERSION})</h2>
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  version (written last, with release semantics)      +0       |
 *  +---------------------------------------------------------------+
 *  |  metadata buffer length                              +4       |
 *  +---------------------------------------------------------------+
 *  |  values buffer length                                +8       |
 *  +---------------------------------------------------------------+
 *  |  reserved                                            +12      |
 *  +---------------------------------------------------------------+
 *  |  pid of the publishing process (64 bits)             +16      |
 *  +---------------------------------------------------------------+
 *  |  start time, epoch ms (64 bits)                      +24      |
 *  +---------------------------------------------------------------+
 *  |  heartbeat, epoch ms of the last update (64 bits)    +32      |
 *  +---------------------------------------------------------------+
 *  |  pid of the process writing the values now (64 bits) +40      |
 *  +---------------------------------------------------------------+
 *  |  padding to {@value #HEADER_LENGTH} bytes                                      |
 *  +---------------------------------------------------------------+
 *  |  Agrona CountersManager metadata buffer (512 bytes per counter)|
 *  +---------------------------------------------------------------+
 *  |  Agrona CountersManager values buffer (128 bytes per counter) |
 *  +---------------------------------------------------------------+
 * </pre>
 * The process that starts a run creates the file and allocates the counters; worker JVMs of the same run
 * attach to it ({@link #attach}) and write the values (and the configuration label) in place; readers
 * ({@link Reader}) only read. Counters: per event name, the events of the last fork and the total over
 * all timed forks so far; forks done and planned; the run and iteration of the current configuration;
 * the last fork's time; and a "config" counter whose label names the configuration being measured.
 *
 * <p>Cost: {@link #onFork} is called once per fork outside the timed section; it does ~60 ordered stores
 * into the mapped file and allocates nothing.
 */
public final class LiveCounters implements AutoCloseable
{
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 128;
    static final int VERSION_OFFSET = 0;
    static final int METADATA_LENGTH_OFFSET = 4;
    static final int VALUES_LENGTH_OFFSET = 8;
    public static final int PID_OFFSET = 16;
    static final int START_MS_OFFSET = 24;
    static final int HEARTBEAT_MS_OFFSET = 32;
    static final int WRITER_PID_OFFSET = 40;

    /** Capacity in counters (the events twice over plus progress counters, with room to grow). */
    static final int MAX_COUNTERS = 96;
    static final int VALUES_LENGTH = MAX_COUNTERS * CountersReader.COUNTER_LENGTH;
    static final int METADATA_LENGTH = MAX_COUNTERS * CountersReader.METADATA_LENGTH;

    /** Counter type ids; the key (first int of the key area) is the event index for the event types. */
    public static final int TYPE_EVENT_LAST = 1;
    public static final int TYPE_EVENT_TOTAL = 2;
    public static final int TYPE_FORKS_DONE = 10;
    public static final int TYPE_FORKS_PLANNED = 11;
    public static final int TYPE_RUN = 12;
    public static final int TYPE_ITERATION = 13;
    public static final int TYPE_LAST_FORK_NS = 14;
    public static final int TYPE_CONFIG = 15;

    private final Path file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final CountersManager manager;
    private final int[] lastIds = new int[Events.NAMES.length];
    private final int[] totalIds = new int[Events.NAMES.length];
    private final long[] totals = new long[Events.NAMES.length];
    private int forksDoneId;
    private int forksPlannedId;
    private int runId;
    private int iterationId;
    private int lastForkNsId;
    private int configId;
    private long forksDone;

    private LiveCounters(final Path file, final MappedByteBuffer mapped)
    {
        this.file = file;
        this.mapped = mapped;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        final int metaLen = header.getInt(METADATA_LENGTH_OFFSET);
        final int valuesLen = header.getInt(VALUES_LENGTH_OFFSET);
        this.manager = new CountersManager(
            new UnsafeBuffer(mapped, HEADER_LENGTH, metaLen),
            new UnsafeBuffer(mapped, HEADER_LENGTH + metaLen, valuesLen),
            StandardCharsets.UTF_8);
    }

    /** The default file: {@code ${java.io.tmpdir}/forksim-<user>/counters.dat}. */
    public static Path defaultFile()
    {
        final String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "forksim-" + user, "counters.dat");
    }

    /**
     * Creates (or replaces) the counters file, allocates the counters and publishes the header.
     *
     * @param plannedForks the number of timed forks the run will make (a progress denominator)
     */
    public static LiveCounters create(final Path file, final long plannedForks) throws IOException
    {
        final Path dir = file.toAbsolutePath().getParent();
        if (dir != null)
        {
            Files.createDirectories(dir);
        }
        final File f = file.toFile();
        IoUtil.deleteIfExists(f);
        final MappedByteBuffer mapped = IoUtil.mapNewFile(f, HEADER_LENGTH + METADATA_LENGTH + VALUES_LENGTH, true);
        final UnsafeBuffer h = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        h.putInt(METADATA_LENGTH_OFFSET, METADATA_LENGTH);
        h.putInt(VALUES_LENGTH_OFFSET, VALUES_LENGTH);
        final long pid = ProcessHandle.current().pid();
        h.putLong(PID_OFFSET, pid);
        h.putLong(WRITER_PID_OFFSET, pid);
        final long now = System.currentTimeMillis();
        h.putLong(START_MS_OFFSET, now);
        h.putLong(HEARTBEAT_MS_OFFSET, now);
        final LiveCounters c = new LiveCounters(file, mapped);
        c.allocateAll(plannedForks);
        h.putIntRelease(VERSION_OFFSET, VERSION);
        return c;
    }

    /** Attaches a worker to a file created by {@link #create}: finds the counters by type and key. */
    public static LiveCounters attach(final Path file) throws IOException
    {
        final Reader r = Reader.open(file).orElseThrow(() -> new IOException("no forksim counters file at " + file));
        final LiveCounters c = new LiveCounters(file, r.mapped);
        c.findAll(r.counters);
        c.header.putLongRelease(WRITER_PID_OFFSET, ProcessHandle.current().pid());
        c.forksDone = r.counters.getCounterValue(c.forksDoneId);
        for (int i = 0; i < c.totals.length; i++)
        {
            c.totals[i] = r.counters.getCounterValue(c.totalIds[i]);
        }
        return c;
    }

    private void allocateAll(final long plannedForks)
    {
        for (int i = 0; i < Events.NAMES.length; i++)
        {
            final int key = i;
            lastIds[i] = manager.allocate("last fork: " + Events.NAMES[i], TYPE_EVENT_LAST, b -> b.putInt(0, key));
        }
        for (int i = 0; i < Events.NAMES.length; i++)
        {
            final int key = i;
            totalIds[i] = manager.allocate("all timed forks: " + Events.NAMES[i], TYPE_EVENT_TOTAL, b -> b.putInt(0, key));
        }
        forksDoneId = manager.allocate("forks done (timed)", TYPE_FORKS_DONE);
        forksPlannedId = manager.allocate("forks planned (timed)", TYPE_FORKS_PLANNED);
        runId = manager.allocate("run of the current configuration", TYPE_RUN);
        iterationId = manager.allocate("iteration of the current run", TYPE_ITERATION);
        lastForkNsId = manager.allocate("last fork ns", TYPE_LAST_FORK_NS);
        configId = manager.allocate("config: starting", TYPE_CONFIG);
        manager.setCounterValue(forksPlannedId, plannedForks);
    }

    private void findAll(final CountersReader reader)
    {
        final int[] found = {0};
        reader.forEach((counterId, typeId, keyBuffer, label) ->
        {
            switch (typeId)
            {
                case TYPE_EVENT_LAST -> lastIds[keyBuffer.getInt(0)] = counterId;
                case TYPE_EVENT_TOTAL -> totalIds[keyBuffer.getInt(0)] = counterId;
                case TYPE_FORKS_DONE -> forksDoneId = counterId;
                case TYPE_FORKS_PLANNED -> forksPlannedId = counterId;
                case TYPE_RUN -> runId = counterId;
                case TYPE_ITERATION -> iterationId = counterId;
                case TYPE_LAST_FORK_NS -> lastForkNsId = counterId;
                case TYPE_CONFIG -> configId = counterId;
                default ->
                {
                }
            }
            found[0]++;
        });
        if (found[0] < 2 * Events.NAMES.length + 6)
        {
            throw new IllegalStateException("counters file " + file + " has " + found[0] + " counters, expected "
                + (2 * Events.NAMES.length + 6) + " (written by another forksim version?)");
        }
    }

    public Path file()
    {
        return file;
    }

    /** Names the configuration being measured (once per configuration block, not per fork). */
    public void setConfig(final String label, final int run)
    {
        manager.setCounterLabel(configId, "config: " + label);
        manager.setCounterValue(runId, run);
    }

    /**
     * Once per fork, outside the timed section: the fork's events and time. The "last fork" counters show every fork,
     * the totals and "forks done" only timed ones. Branch-free on purpose: the warm-up's forks call this too (so
     * that C2 compiles the timed forks' path during the warm-up), and a branch they never took would be compiled as
     * an uncommon trap that the first timed fork hits.
     *
     * @param iteration the fork's 1-based iteration in its run, 0 for a warm-up fork (not negative)
     */
    public void onFork(final long[] forkEvents, final long forkNs, final int iteration)
    {
        final long timed = Math.min(iteration, 1);
        for (int i = 0; i < forkEvents.length; i++)
        {
            totals[i] += forkEvents[i] * timed;
            manager.setCounterValue(lastIds[i], forkEvents[i]);
            manager.setCounterValue(totalIds[i], totals[i]);
        }
        manager.setCounterValue(lastForkNsId, forkNs);
        manager.setCounterValue(iterationId, iteration);
        forksDone += timed;
        manager.setCounterValue(forksDoneId, forksDone);
        header.putLongRelease(HEARTBEAT_MS_OFFSET, System.currentTimeMillis());
    }

    /** Marks the end of the run in the config label. */
    public void finished(final String text)
    {
        manager.setCounterLabel(configId, "config: " + text);
        header.putLongRelease(HEARTBEAT_MS_OFFSET, System.currentTimeMillis());
    }

    @Override
    public void close()
    {
        IoUtil.unmap(mapped);
    }

    /** A read-only view for {@code forksim stat}. */
    public static final class Reader implements AutoCloseable
    {
        final MappedByteBuffer mapped;
        final UnsafeBuffer header;
        final CountersReader counters;

        private Reader(final MappedByteBuffer mapped)
        {
            this.mapped = mapped;
            this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
            final int metaLen = header.getInt(METADATA_LENGTH_OFFSET);
            final int valuesLen = header.getInt(VALUES_LENGTH_OFFSET);
            this.counters = new CountersReader(
                new UnsafeBuffer(mapped, HEADER_LENGTH, metaLen),
                new UnsafeBuffer(mapped, HEADER_LENGTH + metaLen, valuesLen),
                StandardCharsets.UTF_8);
        }

        /**
         * Opens the file if it exists and holds an initialised counters file of this version.
         *
         * @throws IOException when the file exists but is not a forksim counters file
         */
        public static Optional<Reader> open(final Path file) throws IOException
        {
            final File f = file.toFile();
            if (!f.isFile())
            {
                return Optional.empty();
            }
            if (f.length() < HEADER_LENGTH)
            {
                throw new IOException(file + " is not a forksim counters file (" + f.length() + " bytes)");
            }
            final MappedByteBuffer mapped = IoUtil.mapExistingFile(f, "forksim counters");
            final UnsafeBuffer h = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
            final int version = h.getIntVolatile(VERSION_OFFSET);
            if (version == 0)
            {
                IoUtil.unmap(mapped);
                return Optional.empty(); // being created right now
            }
            final int metaLen = h.getInt(METADATA_LENGTH_OFFSET);
            final int valuesLen = h.getInt(VALUES_LENGTH_OFFSET);
            if (version != VERSION || metaLen <= 0 || valuesLen <= 0 || (long)HEADER_LENGTH + metaLen + valuesLen > f.length())
            {
                IoUtil.unmap(mapped);
                throw new IOException(file + " is not a forksim counters file of version " + VERSION + " (version " + version + ")");
            }
            return Optional.of(new Reader(mapped));
        }

        public CountersReader counters()
        {
            return counters;
        }

        public long pid()
        {
            return header.getLongVolatile(PID_OFFSET);
        }

        public long writerPid()
        {
            return header.getLongVolatile(WRITER_PID_OFFSET);
        }

        public long startMs()
        {
            return header.getLongVolatile(START_MS_OFFSET);
        }

        public long heartbeatMs()
        {
            return header.getLongVolatile(HEARTBEAT_MS_OFFSET);
        }

        /** Whether the process that created the file still runs. */
        public boolean alive()
        {
            return ProcessHandle.of(pid()).map(ProcessHandle::isAlive).orElse(false);
        }

        @Override
        public void close()
        {
            IoUtil.unmap(mapped);
        }
    }
}
