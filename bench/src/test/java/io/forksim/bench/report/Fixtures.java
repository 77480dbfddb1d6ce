package io.forksim.bench.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.net.URISyntaxException;
import java.util.List;

/** The hand-written JMH JSON fixtures under src/test/resources/jmh. */
final class Fixtures
{
    private Fixtures()
    {
    }

    static String text(final String name)
    {
        try (InputStream in = Fixtures.class.getResourceAsStream("/jmh/" + name))
        {
            if (in == null)
            {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    static List<JmhResult> load(final String name)
    {
        return JmhResult.parse(text(name));
    }

    static Path path(final String name)
    {
        try
        {
            return Path.of(Fixtures.class.getResource("/jmh/" + name).toURI());
        }
        catch (final URISyntaxException e)
        {
            throw new IllegalStateException(e);
        }
    }
}
