package io.forksim.harness;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Progress of a fork run on stderr: a redrawn bar on a terminal, plain {@code [k/N] text} lines otherwise, nothing
 * with {@code --no-progress}. One step = one run (iterations forks) of one configuration.
 *
 * <p>Worker JVMs print plain lines ({@link #LINE}) and {@code ~ status} lines; the parent feeds them to
 * {@link #workerLine} with the worker's offset in the global step count.
 */
public final class Progress
{
    public enum Mode { BAR, LINES, OFF }

    /** "[k/N] text": a progress step, as workers and the plain mode print it. */
    static final Pattern LINE = Pattern.compile("^\\[(\\d+)/(\\d+)] (.*)$");
    /** "~ text": a status line of a worker (a phase that takes a while). */
    public static final String STATUS_PREFIX = "~ ";

    private final PrintWriter err;
    private final Mode mode;
    private final int total;
    private final long startNs = System.nanoTime();
    private int done;
    private String text = "starting";
    private boolean barShown;
    private long lastDrawNs;

    public Progress(final PrintWriter err, final Mode mode, final int total)
    {
        this.err = err;
        this.mode = mode;
        this.total = total;
    }

    /** BAR on a terminal unless disabled, LINES when stderr is not a terminal. */
    public static Mode chooseMode(final boolean noProgress)
    {
        if (noProgress)
        {
            return Mode.OFF;
        }
        final java.io.Console c = System.console();
        return c != null && c.isTerminal() ? Mode.BAR : Mode.LINES;
    }

    public synchronized void step(final int k, final String what)
    {
        done = k;
        text = what;
        switch (mode)
        {
            case LINES ->
            {
                err.println("[" + k + "/" + total + "] " + what);
                err.flush();
            }
            case BAR -> draw(true);
            case OFF ->
            {
            }
        }
    }

    public synchronized void status(final String what)
    {
        text = what;
        if (mode == Mode.BAR)
        {
            draw(true);
        }
    }

    /** A line printed by a worker: a step, a status, or anything else (passed through). */
    public synchronized void workerLine(final int offset, final String line)
    {
        final Matcher m = LINE.matcher(line);
        if (m.matches())
        {
            step(offset + Integer.parseInt(m.group(1)), m.group(3));
        }
        else if (line.startsWith(STATUS_PREFIX))
        {
            status(line.substring(STATUS_PREFIX.length()));
        }
        else
        {
            message(line);
        }
    }

    /** A message that must not be swallowed by the bar. */
    public synchronized void message(final String line)
    {
        clearBar();
        err.println(line);
        err.flush();
        if (mode == Mode.BAR)
        {
            draw(true);
        }
    }

    public synchronized void finish()
    {
        clearBar();
        err.flush();
    }

    private void clearBar()
    {
        if (barShown)
        {
            err.print("\r\033[K");
            err.flush();
            barShown = false;
        }
    }

    private void draw(final boolean force)
    {
        final long now = System.nanoTime();
        if (!force && now - lastDrawNs < 100_000_000L)
        {
            return;
        }
        lastDrawNs = now;
        final int width = 30;
        final int filled = total == 0 ? width : (int)((long)done * width / total);
        final StringBuilder sb = new StringBuilder("\r\033[K[");
        for (int i = 0; i < width; i++)
        {
            sb.append(i < filled ? '#' : '.');
        }
        final String t = text.length() > 60 ? text.substring(0, 57) + "..." : text; // one line on an 80+ column terminal
        sb.append(String.format(Locale.ROOT, "] %d/%d %3d%%  %s", done, total, total == 0 ? 100 : done * 100 / total, t));
        if (done > 0 && done < total)
        {
            final double elapsed = (now - startNs) / 1e9;
            final long left = Math.round(elapsed * (total - done) / done);
            sb.append(String.format(Locale.ROOT, "  ~%d:%02d left", left / 60, left % 60));
        }
        err.print(sb);
        err.flush();
        barShown = true;
    }
}
