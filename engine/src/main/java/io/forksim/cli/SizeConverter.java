package io.forksim.cli;

import io.forksim.harness.Units;
import picocli.CommandLine;

/** picocli converter for size options: {@link Units#parseSize}, its message naming the text when it is not a size. */
public final class SizeConverter implements CommandLine.ITypeConverter<Long>
{
    @Override
    public Long convert(final String value)
    {
        try
        {
            return Units.parseSize(value);
        }
        catch (final IllegalArgumentException e)
        {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
