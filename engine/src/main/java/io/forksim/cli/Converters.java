package io.forksim.cli;

import io.forksim.fork.StrategyChoice;
import io.forksim.harness.FolioOrder;
import picocli.CommandLine;

import java.util.Locale;

/** The picocli type converters of the options that several commands share: one line naming the bad value each. */
public final class Converters
{
    private Converters()
    {
    }

    /** For --orders: {@link FolioOrder} codes. */
    public static final class OrderConverter implements CommandLine.ITypeConverter<Integer>
    {
        @Override
        public Integer convert(final String value)
        {
            try
            {
                return FolioOrder.parse(value);
            }
            catch (final IllegalArgumentException e)
            {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** For --arch: x86_64 or arm64 (aliases x86-64, amd64, aarch64). */
    public static final class ArchConverter implements CommandLine.ITypeConverter<String>
    {
        @Override
        public String convert(final String value)
        {
            final String v = value.trim().toLowerCase(Locale.ROOT);
            return switch (v)
            {
                case "x86_64", "x86-64", "amd64", "x86" -> "x86_64";
                case "arm64", "aarch64" -> "arm64";
                default -> throw new CommandLine.TypeConversionException("unknown arch '" + value + "' (expected x86_64 or arm64)");
            };
        }
    }

    /** For --strategy: the engine's names. */
    public static final class StrategyConverter implements CommandLine.ITypeConverter<StrategyChoice>
    {
        @Override
        public StrategyChoice convert(final String value)
        {
            try
            {
                return StrategyChoice.parse(value);
            }
            catch (final IllegalArgumentException e)
            {
                throw new CommandLine.TypeConversionException("unknown strategy '" + value
                    + "' (expected legacy, arch-batch, folio-batch or contpte-basic)");
            }
        }
    }
}
