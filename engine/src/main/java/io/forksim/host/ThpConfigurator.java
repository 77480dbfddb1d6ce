package io.forksim.host;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * {@code --configure-thp}: enables one anon folio size at a time ({@code madvise}; every other size {@code never}),
 * and puts every setting back afterwards.
 *
 * <p>The original settings are written to a file ({@link #savedFile}) before the first change, so they survive a
 * killed JVM: {@link #restoreLeftover} (called at every start) finds a file left by a run that died and writes its
 * values back. {@link #restore} (called at the end, on failure, and from a shutdown hook on Ctrl-C) writes them back
 * and deletes the file. The file is a {@link Properties} file: setting path relative to the sysfs root = value.
 */
public final class ThpConfigurator implements AutoCloseable
{
    private final ThpSysfs sysfs;
    private final Path savedFile;
    private Map<String, String> originals;
    private Thread hook;

    /**
     * @param sysfs the settings to change
     * @param savedFile where the originals are kept while settings are changed
     */
    public ThpConfigurator(final ThpSysfs sysfs, final Path savedFile)
    {
        this.sysfs = sysfs;
        this.savedFile = savedFile;
    }

    /** The default file of the originals, next to the sysfs it belongs to: a reboot resets both. */
    public static Path defaultSavedFile()
    {
        return Path.of(System.getProperty("java.io.tmpdir"), "forksim-thp-originals.properties");
    }

    public Path savedFile()
    {
        return savedFile;
    }

    /**
     * Restores the settings saved by a run that did not finish, if its file is there.
     *
     * @return a line saying what was restored, or null when there was nothing to restore
     */
    public String restoreLeftover()
    {
        if (!Files.exists(savedFile))
        {
            return null;
        }
        final Map<String, String> saved = load();
        writeAll(saved);
        delete();
        return "restored " + saved.size() + " THP settings saved by a run that did not finish (" + savedFile + "): " + saved;
    }

    /**
     * Makes {@code kb} the only anon folio size a MADV_HUGEPAGE region can get: that size {@code madvise}, every other
     * size {@code never}. Saves the originals first (once per instance).
     *
     * @throws HostException when a setting cannot be written (the ones written so far stay saved for {@link #restore})
     */
    public void enableOnly(final int kb)
    {
        if (!sysfs.anonSizesKb().contains(kb))
        {
            throw new HostException("no anon THP size " + kb + " KiB under " + sysfs.root());
        }
        saveOnce();
        for (final int other : sysfs.anonSizesKb())
        {
            if (other != kb && !sysfs.selected(ThpSysfs.enabledFile(other)).equals("never"))
            {
                sysfs.write(ThpSysfs.enabledFile(other), "never");
            }
        }
        if (!sysfs.selected(ThpSysfs.enabledFile(kb)).equals("madvise"))
        {
            sysfs.write(ThpSysfs.enabledFile(kb), "madvise");
        }
    }

    /** Writes every saved original back and deletes the file; nothing happens when nothing was changed. */
    public synchronized void restore()
    {
        if (originals == null)
        {
            return;
        }
        writeAll(originals);
        delete();
        originals = null;
    }

    @Override
    public void close()
    {
        restore();
        if (hook != null)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException e)
            {
                // shutting down: the hook restores
            }
            hook = null;
        }
    }

    /** Tests only: forgets the changes without restoring them, as a killed JVM would (the saved file stays). */
    void abandonForTest()
    {
        originals = null;
        if (hook != null)
        {
            Runtime.getRuntime().removeShutdownHook(hook);
            hook = null;
        }
    }

    private synchronized void saveOnce()
    {
        if (originals != null)
        {
            return;
        }
        final Map<String, String> m = new TreeMap<>();
        for (final int kb : sysfs.anonSizesKb())
        {
            m.put(ThpSysfs.enabledFile(kb), sysfs.selected(ThpSysfs.enabledFile(kb)));
        }
        final Properties p = new Properties();
        p.putAll(m);
        try
        {
            final Path tmp = savedFile.resolveSibling(savedFile.getFileName() + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8))
            {
                p.store(w, "forksim kernel --configure-thp: THP settings under " + sysfs.root() + " before the run");
            }
            Files.move(tmp, savedFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException e)
        {
            throw new HostException("cannot save the THP settings to " + savedFile + " (nothing was changed): " + e.getMessage());
        }
        originals = m;
        hook = new Thread(this::restore, "forksim-thp-restore");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private Map<String, String> load()
    {
        final Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(savedFile, StandardCharsets.UTF_8))
        {
            p.load(r);
        }
        catch (final IOException e)
        {
            throw new HostException("cannot read the saved THP settings " + savedFile + ": " + e.getMessage());
        }
        final Map<String, String> m = new TreeMap<>();
        for (final String k : p.stringPropertyNames())
        {
            m.put(k, p.getProperty(k));
        }
        return m;
    }

    /** Writes "never" values first, so no moment has two sizes enabled that were not so before. */
    private void writeAll(final Map<String, String> values)
    {
        for (final boolean neverPass : new boolean[] {true, false})
        {
            for (final Map.Entry<String, String> e : values.entrySet())
            {
                if (e.getValue().equals("never") == neverPass && !sysfs.selected(e.getKey()).equals(e.getValue()))
                {
                    sysfs.write(e.getKey(), e.getValue());
                }
            }
        }
    }

    private void delete()
    {
        try
        {
            Files.deleteIfExists(savedFile);
        }
        catch (final IOException e)
        {
            throw new HostException("cannot delete " + savedFile + ": " + e.getMessage());
        }
    }
}
