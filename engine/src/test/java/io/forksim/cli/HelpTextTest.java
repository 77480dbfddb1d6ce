package io.forksim.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a reader of {@code forksim --help} sees: whole sentences, and the thread named so a newcomer can find it. */
class HelpTextTest
{
    private static CommandLine root()
    {
        final PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        return Main.commandLine(sink, sink, false);
    }

    private static void collect(final CommandLine cl, final List<CommandLine> out)
    {
        out.add(cl);
        for (final CommandLine sub : cl.getSubcommands().values())
        {
            if (!out.contains(sub))
            {
                collect(sub, out);
            }
        }
    }

    @Test
    void everyCommandsFirstDescriptionLineIsOneWholeSentence()
    {
        final List<CommandLine> all = new ArrayList<>();
        collect(root(), all);
        assertThat(all).hasSizeGreaterThanOrEqualTo(10);
        for (final CommandLine cl : all)
        {
            final String[] d = cl.getCommandSpec().usageMessage().description();
            assertThat(d).as(cl.getCommandName()).isNotEmpty();
            // the command list of --help shows this line alone
            assertThat(d[0]).as("first description line of '" + cl.getCommandName() + "'").endsWith(".")
                .doesNotContain("\n");
        }
    }

    @Test
    void noDescriptionLineEndsMidSentence()
    {
        // picocli prints each element of a description on a line of its own: an element that ends without a
        // sentence's end, followed by more text, shows the reader a sentence broken at an arbitrary place
        final List<CommandLine> all = new ArrayList<>();
        collect(root(), all);
        for (final CommandLine cl : all)
        {
            assertWholeLines(cl.getCommandName() + "' description", cl.getCommandSpec().usageMessage().description());
            assertWholeLines(cl.getCommandName() + "' footer", cl.getCommandSpec().usageMessage().footer());
        }
    }

    /** Each line of prose followed by more prose ends a sentence or a clause; indented lines are examples. */
    private static void assertWholeLines(final String what, final String[] lines)
    {
        for (int i = 0; i + 1 < lines.length; i++)
        {
            final boolean prose = !lines[i].isEmpty() && !lines[i].startsWith(" ");
            final boolean proseFollows = !lines[i + 1].isEmpty() && !lines[i + 1].startsWith(" ");
            if (prose && proseFollows)
            {
                assertThat(lines[i]).as("line " + i + " of '" + what).matches("(?s).*[.:;!?)]$");
            }
        }
    }

    @Test
    void topLevelHelpNamesTheThreadAndNeverSaysSeedThread()
    {
        final String help = root().getUsageMessage();
        assertThat(help).contains("\"mm: Batch-copy PTE ranges").contains("December 2023");
        assertThat(help.toLowerCase()).doesNotContain("seed thread");
        final String fork = root().getSubcommands().get("fork").getUsageMessage();
        assertThat(fork).contains("linux-mm thread").doesNotContainIgnoringCase("seed thread");
    }
}
