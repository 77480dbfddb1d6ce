package io.forksim.cli;

import io.forksim.harness.RunFailedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The {@code forksim} command line: {@code forksim [fork] [options]}, {@code forksim stat}, and the other
 * subcommands.
 *
 * <h2>Adding a subcommand</h2>
 * A subcommand is a picocli {@code @Command} class in this package: add a supplier to {@link #SUBCOMMANDS} (one
 * line; the order there is the order of {@code forksim --help}). It gets the shared error handling: bad values
 * print one line naming the value and exit {@link #EXIT_USAGE}; a failed check exits {@link #EXIT_FAILED}; stack
 * traces only with {@code --debug}. To reject a value after parsing, throw {@link CommandLine.ParameterException}
 * (or {@link UsageException}); to report a failed check, return {@link #EXIT_FAILED} or throw
 * {@link CheckFailedException} (a harness run that fails throws {@link RunFailedException}: exit 1 too).
 */
@Command(name = "forksim",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
        "Simulates Linux fork()'s page-table copy (copy_pte_range) on an off-heap page-table engine, for x86_64 and"
            + " arm64 (contpte), under the legacy, arch-batch and folio-batch strategies.",
        "",
        "Without a command, runs 'fork': the fork() microbenchmark of the linux-mm thread \"mm: Batch-copy PTE ranges"
            + " during fork()\" (December 2023), at 1 GiB."},
    footer = {"", "Run 'forksim COMMAND --help' for a command's options."})
public final class Main implements Runnable
{
    public static final int EXIT_OK = 0;
    /** A check failed (--verify mismatch, invariant violation, inconsistent per-fork events). */
    public static final int EXIT_FAILED = 1;
    /** Bad input: an option value, a conflict between options. */
    public static final int EXIT_USAGE = 2;

    /**
     * The built-in subcommands, in the order {@code --help} lists them. Others add theirs here
     * (e.g. {@code TreeCommand::new}, {@code SnapshotCommand::new}).
     */
    public static final List<Supplier<Object>> SUBCOMMANDS = List.of(
        ForkCommand::new,
        StatCommand::new,
        BenchCommand::new,
        TreeCommand::new,
        SnapshotCommand::new,
        ScaleCommand::new,
        KernelCommand::new);

    private static final Set<String> TOP_LEVEL_FLAGS = Set.of("-h", "--help", "-V", "--version");

    @Spec
    CommandSpec spec;

    @Override
    public void run()
    {
        // Not reached from the command line (no command means 'fork', see args()); kept for API use.
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(final String[] args)
    {
        int code;
        try
        {
            code = run(args, System.out, System.err);
        }
        catch (final Throwable t)
        {
            // picocli hands Errors (OutOfMemoryError, a class file replaced by a rebuild under a running JVM, ...)
            // through: still one line, the trace only with --debug
            System.err.println("forksim: internal error: " + t + (Arrays.asList(args).contains("--debug") ? ""
                : " (run with --debug for the stack trace)"));
            if (Arrays.asList(args).contains("--debug"))
            {
                t.printStackTrace();
            }
            code = EXIT_FAILED;
        }
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Runs the command line with the given streams and returns the exit code (tests use this). */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        final boolean debug = Arrays.asList(args).contains("--debug");
        final CommandLine cl = commandLine(out, err, debug);
        return cl.execute(withDefaultCommand(args));
    }

    /** The command tree with forksim's error handling, writing to {@code out} and {@code err}. */
    public static CommandLine commandLine(final PrintStream out, final PrintStream err, final boolean debug)
    {
        final CommandLine cl = new CommandLine(new Main());
        for (final Supplier<Object> s : SUBCOMMANDS)
        {
            addOnce(cl, s.get());
        }
        final PrintWriter o = new PrintWriter(out, true, StandardCharsets.UTF_8);
        final PrintWriter e = new PrintWriter(err, true, StandardCharsets.UTF_8);
        cl.setOut(o);
        cl.setErr(e);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) ->
        {
            final PrintWriter w = ex.getCommandLine().getErr();
            // one line, naming the value (picocli's messages and ours both do)
            w.println(errorPrefix(ex.getCommandLine()) + oneLine(ex.getMessage()));
            if (debug)
            {
                ex.printStackTrace(w);
            }
            w.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
        {
            final PrintWriter w = commandLine.getErr();
            final int code;
            if (ex instanceof CommandLine.ParameterException pe)
            {
                w.println(errorPrefix(commandLine) + oneLine(pe.getMessage()));
                code = EXIT_USAGE;
            }
            else if (ex instanceof CheckFailedException || ex instanceof RunFailedException)
            {
                w.println(errorPrefix(commandLine) + oneLine(ex.getMessage()));
                code = EXIT_FAILED;
            }
            else
            {
                w.println(errorPrefix(commandLine) + ex.getClass().getSimpleName() + ": " + oneLine(String.valueOf(ex.getMessage()))
                    + (debug ? "" : " (run with --debug for the stack trace)"));
                code = EXIT_FAILED;
            }
            if (debug)
            {
                ex.printStackTrace(w);
            }
            w.flush();
            return code;
        });
        return cl;
    }

    /** Registers a subcommand unless one of that name is there already (a class registered twice is harmless). */
    private static void addOnce(final CommandLine cl, final Object command)
    {
        final CommandLine sub = new CommandLine(command);
        if (!cl.getSubcommands().containsKey(sub.getCommandName()))
        {
            cl.addSubcommand(sub.getCommandName(), sub);
        }
    }

    /** No command (or options only) means {@code fork}. */
    static String[] withDefaultCommand(final String[] args)
    {
        if (args.length == 0)
        {
            return new String[] {"fork"};
        }
        if (args[0].startsWith("-") && !TOP_LEVEL_FLAGS.contains(args[0]))
        {
            final List<String> l = new ArrayList<>(args.length + 1);
            l.add("fork");
            l.addAll(Arrays.asList(args));
            return l.toArray(String[]::new);
        }
        return args;
    }

    /** "forksim fork: " for the fork subcommand, "forksim: " at the top level: the prefix of an error line. */
    static String errorPrefix(final CommandLine cl)
    {
        final List<String> names = new ArrayList<>();
        CommandLine c = cl;
        while (c != null && c.getParent() != null)
        {
            names.addFirst(c.getCommandName());
            c = c.getParent();
        }
        return names.isEmpty() ? "forksim: " : "forksim " + String.join(" ", names) + ": ";
    }

    static String oneLine(final String s)
    {
        return s == null ? "" : s.replace("\r", " ").replace('\n', ' ').trim();
    }

    /** Bad input found after parsing (a conflict between options, a value the engine refuses): exit 2. */
    public static final class UsageException extends CommandLine.ParameterException
    {
        private static final long serialVersionUID = 1L;

        public UsageException(final CommandLine cl, final String message)
        {
            super(cl, message);
        }
    }

    /** A check failed: exit 1 with one line. */
    public static final class CheckFailedException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        public CheckFailedException(final String message)
        {
            super(message);
        }
    }

    /** {@code --version}: the artifact version from the jar manifest, or "dev". */
    public static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"forksim " + (v == null ? "0.1.0-SNAPSHOT" : v) + " on Java " + Runtime.version()};
        }
    }
}
