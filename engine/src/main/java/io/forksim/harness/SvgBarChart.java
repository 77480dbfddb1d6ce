package io.forksim.harness;

import java.util.List;
import java.util.Locale;

/**
 * A grouped bar chart as inline SVG text, for {@link HtmlReport}: one group per x label (a folio order), one bar per
 * series (a strategy) with an error bar and its value printed above it, a y axis with round ticks, and a legend
 * under the plot. Pure text: no script, no font files (the generic sans-serif family), nothing from the network.
 */
final class SvgBarChart
{
    /** One series: its name, fill colour (#rrggbb), and per group the value and its error bar (NaN = no bar). */
    record Series(String name, String colour, double[] values, double[] lo, double[] hi)
    {
    }

    static final int WIDTH = 760;
    static final int HEIGHT = 380;
    private static final int LEFT = 72;
    private static final int RIGHT = 16;
    private static final int TOP = 36;
    private static final int BOTTOM = 96;

    private SvgBarChart()
    {
    }

    /**
     * The chart.
     *
     * <p>Preconditions: every series has one value (and lo, hi) per group; values and bars are ≥ 0 or NaN.
     *
     * @param title  drawn above the plot
     * @param yLabel the y axis' unit
     * @param groups the x labels
     * @param note   a line under the legend (what the error bars mean)
     */
    static String render(final String title, final String yLabel, final List<String> groups, final List<Series> series,
        final String note)
    {
        double max = 0;
        for (final Series s : series)
        {
            for (int g = 0; g < groups.size(); g++)
            {
                if (!Double.isNaN(s.values()[g]))
                {
                    max = Math.max(max, Math.max(s.values()[g], s.hi()[g]));
                }
            }
        }
        final double step = niceStep(max <= 0 ? 1 : max * 1.1 / 5);
        final double top = Math.max(step, Math.ceil(max * 1.1 / step) * step);
        final int plotW = WIDTH - LEFT - RIGHT;
        final int plotH = HEIGHT - TOP - BOTTOM;
        final StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"").append(WIDTH).append("\" height=\"")
            .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
            .append("\" role=\"img\" aria-label=\"").append(Html.escape(title)).append("\">\n");
        b.append("<rect x=\"0\" y=\"0\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" fill=\"#ffffff\"/>\n");
        text(b, LEFT + plotW / 2.0, 22, "middle", 16, "bold", title);
        // y axis: grid lines and ticks
        for (double v = 0; v <= top + step / 2; v += step)
        {
            final double y = TOP + plotH - v / top * plotH;
            b.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(f(y)).append("\" x2=\"").append(LEFT + plotW)
                .append("\" y2=\"").append(f(y)).append("\" stroke=\"#dddddd\" stroke-width=\"1\"/>\n");
            text(b, LEFT - 6, y + 4, "end", 12, "normal", tick(v, step));
        }
        b.append("<g transform=\"translate(18,").append(TOP + plotH / 2).append(") rotate(-90)\">");
        text(b, 0, 0, "middle", 13, "normal", yLabel);
        b.append("</g>\n");
        // bars
        final int n = Math.max(1, series.size());
        final double groupW = (double)plotW / Math.max(1, groups.size());
        final double barW = Math.min(56, groupW * 0.8 / n);
        for (int g = 0; g < groups.size(); g++)
        {
            final double x0 = LEFT + g * groupW + (groupW - barW * n) / 2;
            for (int k = 0; k < series.size(); k++)
            {
                final Series s = series.get(k);
                final double v = s.values()[g];
                if (Double.isNaN(v))
                {
                    continue;
                }
                final double x = x0 + k * barW;
                final double y = TOP + plotH - v / top * plotH;
                b.append("<rect class=\"bar\" x=\"").append(f(x + 2)).append("\" y=\"").append(f(y)).append("\" width=\"")
                    .append(f(barW - 4)).append("\" height=\"").append(f(TOP + plotH - y)).append("\" fill=\"")
                    .append(s.colour()).append("\"><title>").append(Html.escape(s.name() + ", " + groups.get(g) + ": "
                        + String.format(Locale.ROOT, "%.2f", v) + " " + yLabel)).append("</title></rect>\n");
                final double cx = x + barW / 2;
                final double yLo = TOP + plotH - s.lo()[g] / top * plotH;
                final double yHi = TOP + plotH - s.hi()[g] / top * plotH;
                b.append("<path class=\"errorbar\" d=\"M").append(f(cx)).append(' ').append(f(yLo)).append(" V").append(f(yHi))
                    .append(" M").append(f(cx - 6)).append(' ').append(f(yLo)).append(" H").append(f(cx + 6))
                    .append(" M").append(f(cx - 6)).append(' ').append(f(yHi)).append(" H").append(f(cx + 6))
                    .append("\" stroke=\"#000000\" stroke-width=\"1.5\" fill=\"none\"/>\n");
                text(b, cx, Math.min(y, yHi) - 5, "middle", 11, "normal", String.format(Locale.ROOT, "%.2f", v));
            }
            text(b, LEFT + g * groupW + groupW / 2, TOP + plotH + 20, "middle", 13, "normal", groups.get(g));
        }
        b.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(TOP + plotH).append("\" x2=\"").append(LEFT + plotW)
            .append("\" y2=\"").append(TOP + plotH).append("\" stroke=\"#333333\" stroke-width=\"1\"/>\n");
        b.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(TOP).append("\" x2=\"").append(LEFT)
            .append("\" y2=\"").append(TOP + plotH).append("\" stroke=\"#333333\" stroke-width=\"1\"/>\n");
        // legend
        double lx = LEFT;
        final double ly = TOP + plotH + 44;
        for (final Series s : series)
        {
            b.append("<rect class=\"legend\" x=\"").append(f(lx)).append("\" y=\"").append(f(ly - 11)).append("\" width=\"14\" height=\"14\" fill=\"")
                .append(s.colour()).append("\"/>");
            text(b, lx + 20, ly + 1, "start", 13, "normal", s.name());
            lx += 40 + 8 * s.name().length();
        }
        text(b, LEFT, ly + 26, "start", 12, "normal", note);
        b.append("</svg>\n");
        return b.toString();
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(final double raw)
    {
        final double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (final double m : new double[] {1, 2, 5, 10})
        {
            if (m * p >= raw)
            {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String tick(final double v, final double step)
    {
        return step >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%." + (int)Math.ceil(-Math.log10(step)) + "f", v);
    }

    private static void text(final StringBuilder b, final double x, final double y, final String anchor, final int size,
        final String weight, final String s)
    {
        b.append("<text x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" text-anchor=\"").append(anchor)
            .append("\" font-family=\"sans-serif\" font-size=\"").append(size).append("\" font-weight=\"").append(weight)
            .append("\" fill=\"#222222\">").append(Html.escape(s)).append("</text>\n");
    }

    private static String f(final double v)
    {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
