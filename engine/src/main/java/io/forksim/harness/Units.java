package io.forksim.harness;

import java.util.Locale;

/** Byte sizes on the command line ({@code 16M}, {@code 1G}, {@code 1.5T}, plain bytes) and in reports. */
public final class Units
{
    public static final long KIB = 1L << 10;
    public static final long MIB = 1L << 20;
    public static final long GIB = 1L << 30;
    public static final long TIB = 1L << 40;

    private Units()
    {
    }

    /**
     * Parses a size: a number with an optional binary suffix K, M, G or T (also KB/KiB/k etc.; all powers
     * of 1024). Fractions are allowed with a suffix ({@code 1.5G}) when the result is a whole byte count.
     *
     * @throws IllegalArgumentException naming the text when it is not a size
     */
    public static long parseSize(final String text)
    {
        final String t = text.trim();
        int end = t.length();
        String unit = "";
        while (end > 0 && Character.isLetter(t.charAt(end - 1)))
        {
            end--;
        }
        unit = t.substring(end).toUpperCase(Locale.ROOT);
        final String num = t.substring(0, end).trim();
        final long mult = switch (unit)
        {
            case "", "B" -> 1;
            case "K", "KB", "KIB" -> KIB;
            case "M", "MB", "MIB" -> MIB;
            case "G", "GB", "GIB" -> GIB;
            case "T", "TB", "TIB" -> TIB;
            default -> throw new IllegalArgumentException("'" + text + "' is not a size (use a number with K, M, G or T, e.g. 16M or 1G)");
        };
        if (num.isEmpty() || !num.matches("[0-9]+(\\.[0-9]+)?"))
        {
            throw new IllegalArgumentException("'" + text + "' is not a size (use a number with K, M, G or T, e.g. 16M or 1G)");
        }
        try
        {
            if (num.indexOf('.') < 0)
            {
                return Math.multiplyExact(Long.parseLong(num), mult);
            }
            final java.math.BigDecimal v = new java.math.BigDecimal(num).multiply(java.math.BigDecimal.valueOf(mult));
            return v.longValueExact();
        }
        catch (final ArithmeticException | NumberFormatException e)
        {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes below 8 EiB");
        }
    }

    /** "1 GiB", "16 MiB", "1.5 GiB", "4096 B". */
    public static String formatSize(final long bytes)
    {
        final long[] units = {TIB, GIB, MIB, KIB};
        final String[] names = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++)
        {
            if (bytes >= units[i])
            {
                if (bytes % units[i] == 0)
                {
                    return (bytes / units[i]) + " " + names[i];
                }
                return String.format(Locale.ROOT, "%.2f %s", (double)bytes / units[i], names[i]);
            }
        }
        return bytes + " B";
    }
}
