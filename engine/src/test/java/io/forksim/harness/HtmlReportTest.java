package io.forksim.harness;

import io.forksim.fork.StrategyChoice;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code fork --html}: one well-formed, self-contained page with the thread's tables and a bar chart per arch. */
class HtmlReportTest
{
    private static final List<StrategyChoice> STRATEGIES = List.of(StrategyChoice.LEGACY, StrategyChoice.ARCH_BATCH,
        StrategyChoice.FOLIO_BATCH);
    private static final ForkPlan PLAN = new ForkPlan(64L << 20, List.of(0, 4, 9), List.of("x86_64", "arm64"), STRATEGIES,
        2, 5, 4L << 30, false, false, 8, true, null);
    private static final MachineInfo HOST = new MachineInfo("Fake <CPU> & \"Co\"", 2, "Test JDK 25");

    /** ns/page: legacy 4.00, arch-batch 3.90, folio-batch 4.00 / (1 + order); stdev 10% everywhere. */
    private static List<Result> results(final List<String> arches)
    {
        final List<RawResult> raws = new ArrayList<>();
        final long pages = PLAN.pages();
        for (final String arch : arches)
        {
            for (final int order : PLAN.orders())
            {
                for (final StrategyChoice s : STRATEGIES)
                {
                    final double nsPerPage = switch (s)
                    {
                        case LEGACY -> 4.0;
                        case ARCH_BATCH -> 3.9;
                        default -> 4.0 / (1 + order);
                    };
                    final double m = nsPerPage * pages;
                    // run means m(1 - d), m(1 + d): stdev = d * m * sqrt(2); d = 0.1 / sqrt(2) gives 10%
                    final double d = 0.1 / Math.sqrt(2);
                    raws.add(new RawResult(arch, s.cliName(), order, pages, new double[] {m * (1 - d), m * (1 + d)}, 1e6, 0,
                        new long[Events.NAMES.length], true, null, ForkTimes.NONE, 0, true, -1, -1, -1));
                }
            }
        }
        return Result.of(raws);
    }

    private static Document parse(final String html) throws Exception
    {
        final DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> elements(final Document d, final String tag, final String cls)
    {
        final NodeList nl = d.getElementsByTagName(tag);
        final List<Element> out = new ArrayList<>();
        for (int i = 0; i < nl.getLength(); i++)
        {
            final Element e = (Element)nl.item(i);
            if (cls == null || cls.equals(e.getAttribute("class")))
            {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void thePageIsWellFormedWithOneBarAndOneErrorBarPerConfiguration() throws Exception
    {
        final String html = HtmlReport.render(PLAN, HOST, results(PLAN.archs()), List.of());
        final Document d = parse(html);
        assertThat(d.getDocumentElement().getTagName()).isEqualTo("html");
        assertThat(elements(d, "svg", "chart")).hasSize(2);
        // 2 arches x 3 orders x 3 strategies
        assertThat(elements(d, "rect", "bar")).hasSize(18);
        assertThat(elements(d, "path", "errorbar")).hasSize(18);
        assertThat(elements(d, "table", "thread")).hasSize(2);
        assertThat(elements(d, "table", "absolute")).hasSize(2);
        // bar colours: one per strategy, in the legend too
        assertThat(elements(d, "rect", "legend")).extracting(e -> e.getAttribute("fill"))
            .containsExactly("#4e79a7", "#f28e2b", "#59a14f", "#4e79a7", "#f28e2b", "#59a14f");
    }

    @Test
    void barsAndTablesCarryTheLabelsAReaderNeeds() throws Exception
    {
        final String html = HtmlReport.render(PLAN, HOST, results(PLAN.archs()), List.of());
        assertThat(html).contains("the linux-mm thread &quot;mm: Batch-copy PTE ranges during fork()&quot; (December 2023)")
            .contains(">x86_64: fork time per 4 KiB page by folio order</text>", ">arm64: fork time per 4 KiB page by folio order</text>")
            .contains(">order-0 (4 KiB)</text>", ">order-4 (64 KiB)</text>", ">order-9 (2 MiB)</text>")
            .contains(">ns per page</text>", ">legacy</text>", ">arch-batch</text>", ">folio-batch</text>")
            .contains(">" + ErrorBars.LEGEND.replace("\u00b1", "\u00b1") + "</text>")
            // the bar's value above it, and its tooltip
            .contains(">4.00</text>", ">0.40</text>", "<title>folio-batch, order-9 (2 MiB): 0.40 ns per page</title>")
            // the thread's table: arch-batch is 2.5% faster than legacy with a 10% stdev
            .contains("<td>arch-batch</td><td class=\"num\">-2.5%</td><td class=\"num\">10.0%</td>")
            // the absolute table: ns/page, ms/fork, teardown ms
            .contains("<td>legacy</td><td class=\"num\">4.00</td><td class=\"num\">0.066</td><td class=\"num\">1.000</td>")
            .contains("Fake &lt;CPU&gt; &amp; &quot;Co&quot;");
    }

    @Test
    void theErrorBarIsTheNinetyFivePercentConfidenceIntervalOfTheMean()
    {
        // two runs, stdev 0.4 ns/page: 4.00 -+ t(0.975, 1) * 0.4 / sqrt(2) = 4.00 -+ 12.706 * 0.283 = 4.00 -+ 3.594
        final Result legacy = results(List.of("x86_64")).getFirst();
        assertThat(legacy.stdevPct()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
        final double[] bar = ErrorBars.of(legacy, PLAN.runs());
        assertThat(bar[0]).isCloseTo(0.40614, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(bar[1]).isCloseTo(7.59386, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(ErrorBars.LEGEND).contains("95% confidence interval of the mean");
    }

    @Test
    void oneRunHasNoErrorBar()
    {
        final Result legacy = results(List.of("x86_64")).getFirst();
        assertThat(ErrorBars.of(legacy, 1)).containsExactly(4.0, 4.0);
    }

    @Test
    void nothingComesFromTheNetworkAndNothingRuns()
    {
        final String html = HtmlReport.render(PLAN, HOST, results(PLAN.archs()), List.of());
        final Matcher m = Pattern.compile("(?i)https?://[^\"'\\s<>)]*").matcher(html);
        final List<String> urls = new ArrayList<>();
        while (m.find())
        {
            urls.add(m.group());
        }
        assertThat(urls).isNotEmpty().allMatch(u -> u.equals("http://www.w3.org/2000/svg"));
        assertThat(html.toLowerCase()).doesNotContain("<script", "<link", "@import", "url(", "@font-face", "<iframe",
            "<img", "src=", "href=", "onload", "javascript:");
    }

    @Test
    void resultsOfAnotherKindGetAChartOfTheirOwnBesideTheArches() throws Exception
    {
        final List<Result> rs = new ArrayList<>(results(List.of("x86_64")));
        rs.add(new Result("host kernel", "kernel", 0, PLAN.pages(), 32.0 * PLAN.pages(), 2.0, 32.0, null, null, null, 0, 0,
            new long[Events.NAMES.length], true, Double.NaN, Double.NaN, ForkTimes.NONE, 0, true, -1, -1, -1));
        final Document d = parse(HtmlReport.render(PLAN, HOST, rs, List.of()));
        assertThat(elements(d, "svg", "chart")).hasSize(2);
        assertThat(elements(d, "rect", "bar")).hasSize(10);
        assertThat(elements(d, "h2", null)).extracting(Element::getTextContent).containsExactly("x86_64", "host kernel");
    }

    @Test
    void snapshotParentsAreListed() throws Exception
    {
        final ParentSource p = new ParentSource("arm64", 9, false, "/tmp/p.snap", "recreated-corrupt",
            "truncated: 4096 bytes, the header says 8192", 2_500_000_000L, null);
        final String html = HtmlReport.render(PLAN, HOST, results(PLAN.archs()), List.of(p));
        parse(html);
        assertThat(html).contains("<td>arm64 order-9</td><td>recreated-corrupt</td><td>recreated /tmp/p.snap: the file was"
            + " corrupt (truncated: 4096 bytes, the header says 8192); populated and saved in 2.50 s</td>");
    }
}
