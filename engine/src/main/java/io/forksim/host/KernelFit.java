package io.forksim.host;

import io.forksim.fork.Strategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code forksim kernel --fit}: the measured shapes next to their simulator twins ({@link SimShapes}, folio-batch,
 * the code the host runs), a {@link CostModel} fitted on them, its leave-one-out errors, and its predictions for
 * legacy and arch-batch at the main job's orders (0, 4, 9 PTE-mapped) with the same costs.
 *
 * @param rows one per shape: the kernel's numbers, the twin's events, the model's ns/page and leave-one-out error
 *     (NaN for shapes outside the fit)
 * @param fit the model fitted on every row in it ({@code null} when fewer than two shapes could be fitted)
 * @param predicted the predictions per strategy and shape
 * @param notes what the model leaves out or cannot speak to, one line each
 * @param onCpu whether the fit is on the kernel's CPU-time ns/page (else its wall-time ns/page)
 */
public record KernelFit(List<Row> rows, CostModel.Fit fit, List<Prediction> predicted, List<String> notes, boolean onCpu)
{
    /**
     * Model event priority, the order in which columns enter the fit: small_folio_pte, large_folio_pte,
     * large_folio_call, pte_table, zero_pte, large_folio, huge_pmd, pte_wrprotect. The folio kinds come first
     * because the shapes are mostly made of them and legacy and folio-batch differ in large_folio_call alone, so
     * the predictions rest on them.
     */
    static final int[] PRIORITY = {2, 3, 4, 0, 1, 5, 6, 7};
    /**
     * The second legacy estimate: legacy's events with each call on a large folio priced as a zero-page PTE's call
     * ({@link #callsAsZeroPage}).
     */
    public static final String LEGACY_ZERO_CALL = "legacy-zero-call";
    /** The main job's shapes the predictions are made for. */
    public static final List<Shape> PREDICTED_SHAPES = List.of(Shape.ORDER_0, Shape.mthp(4), Shape.ORDER_9_PTE);

    /**
     * One shape.
     *
     * @param kernel the host's measurement
     * @param simEvents the twin's engine events (null: no twin)
     * @param features the model's events per 4 KiB page (null: no twin)
     * @param inFit whether the shape is in the fit
     * @param modelNsPerPage the model's ns/page (NaN when not in the fit)
     * @param looErrorPct the leave-one-out error in % (NaN when not in the fit)
     * @param outside why the shape is outside the fit (null when in it)
     */
    public record Row(KernelShapeResult kernel, Map<String, Long> simEvents, double[] features, boolean inFit,
        double modelNsPerPage, double looErrorPct, String outside)
    {
    }

    /** A prediction: the model's ns/page of {@code shape} under {@code strategy}, and its % against folio-batch. */
    public record Prediction(String strategy, String shape, double nsPerPage, double vsFolioBatchPct)
    {
    }

    /**
     * Fits the model on the built shapes that have a twin.
     *
     * <p>Precondition: {@code sizeBytes} is the size the kernel shapes were measured at.
     */
    public static KernelFit of(final List<KernelShapeResult> kernel, final long sizeBytes, final String arch,
        final boolean onCpu, final Consumer<String> messages)
    {
        final double pages = sizeBytes / (double)HostRegion.PAGE;
        final List<Row> rows = new ArrayList<>();
        final List<Integer> fitRows = new ArrayList<>();
        for (final KernelShapeResult k : kernel)
        {
            final Shape s = Shape.parse(k.shape());
            messages.accept("simulating " + s.name() + " (" + arch + " folio-batch)");
            final SimShapes.SimFork f = SimShapes.fork(s, sizeBytes, arch, Strategy.FOLIO_BATCH);
            final double[] perPage = perPage(f.features(), pages);
            final String outside = !k.built() ? "not built" : !(y(k, onCpu) > 0) ? "kernel ns/page not positive" : null;
            if (outside == null)
            {
                fitRows.add(rows.size());
            }
            rows.add(new Row(k, f.events(), perPage, outside == null, Double.NaN, Double.NaN, outside));
        }
        final List<String> notes = new ArrayList<>();
        notes.add("order-0: legacy, arch-batch and folio-batch have identical events on x86_64, so the model predicts"
            + " 0% between them; an instruction-level overhead (the thread's 3-5% for a non-constant batch size) is"
            + " outside it");
        notes.add("legacy on a large folio is charged large_folio_call per PTE: the cost of a 6.18 copy_present_ptes call"
            + " on a large folio (folio_pte_batch set-up, folio_ref_add, folio_add_large_mapcount), which order-9-pte-half"
            + " and the order-9-pte-holes shapes measure; Linux 6.8's loop did a folio_get and one _mapcount atomic per PTE"
            + " instead, so where 6.18's call does more, that legacy cost is too high. " + LEGACY_ZERO_CALL + " prices each"
            + " such call as a zero-page PTE's (zero_pte: no struct page, no atomic): legacy without its per-call folio work"
            + " (and with one PTE store counted twice, in zero_pte and in large_folio_pte); 6.8's loop lies between the"
            + " two where that store is small next to the call");
        if (fitRows.size() < 2)
        {
            notes.add("no fit: " + fitRows.size() + " shape(s) measured with a twin; at least 2 are needed");
            return new KernelFit(rows, null, List.of(), notes, onCpu);
        }
        final double[][] x = new double[fitRows.size()][];
        final double[] y = new double[fitRows.size()];
        for (int i = 0; i < x.length; i++)
        {
            x[i] = rows.get(fitRows.get(i)).features();
            y[i] = y(rows.get(fitRows.get(i)).kernel(), onCpu);
        }
        final int[] cols = CostModel.selectColumns(x, PRIORITY);
        final CostModel.Fit fit = CostModel.fit(SimShapes.FEATURES, x, y, cols);
        final double[] loo = CostModel.leaveOneOutErrorPct(x, y, cols);
        for (int i = 0; i < x.length; i++)
        {
            final int r = fitRows.get(i);
            final Row o = rows.get(r);
            rows.set(r, new Row(o.kernel(), o.simEvents(), o.features(), true, fit.predicted()[i], loo[i], null));
        }
        for (int j = 0; j < SimShapes.FEATURES.length; j++)
        {
            if (Double.isNaN(fit.costs()[j]))
            {
                notes.add(SimShapes.FEATURES[j] + " is not fitted: the measured shapes cannot tell it apart from the other events"
                    + " (a zero column or a multiple of the others), or the model would have as many costs as shapes");
            }
        }
        final List<Prediction> pred = new ArrayList<>();
        for (final Shape s : PREDICTED_SHAPES)
        {
            final Map<String, Double> ns = new LinkedHashMap<>();
            for (final Strategy st : List.of(Strategy.LEGACY, Strategy.ARCH_BATCH, Strategy.FOLIO_BATCH))
            {
                messages.accept("simulating " + s.name() + " (" + arch + " " + st.cliName() + ") for the predictions");
                final double[] events = perPage(SimShapes.fork(s, sizeBytes, arch, st).features(), pages);
                ns.put(st.cliName(), fit.predict(events));
                if (st == Strategy.LEGACY)
                {
                    ns.put(LEGACY_ZERO_CALL, fit.predict(callsAsZeroPage(events)));
                }
            }
            final double fb = ns.get(Strategy.FOLIO_BATCH.cliName());
            ns.forEach((st, v) -> pred.add(new Prediction(st, s.name(), v, 100 * (v - fb) / fb)));
        }
        return new KernelFit(rows, fit, pred, notes, onCpu);
    }

    /** The kernel's ns/page the fit uses. */
    public static double y(final KernelShapeResult k, final boolean onCpu)
    {
        return onCpu ? k.cpuNsPerPage() : k.nsPerPage();
    }

    /** The prediction of {@code strategy} at {@code shape}, or null. */
    public Prediction prediction(final String strategy, final String shape)
    {
        for (final Prediction p : predicted)
        {
            if (p.strategy().equals(strategy) && p.shape().equals(shape))
            {
                return p;
            }
        }
        return null;
    }

    /**
     * {@code x} with its large_folio_call events counted as zero_pte events: a call priced as the zero page's, the
     * cheapest copy_present_ptes call this host measures (no struct page, no atomic). Legacy's call on a large folio
     * does more (a folio_get on the head, page_folio, the anon checks), and zero_pte's price has one PTE store in it
     * that large_folio_pte has too, so this is legacy's cost without its per-call folio work.
     */
    static double[] callsAsZeroPage(final double[] x)
    {
        final double[] out = x.clone();
        out[1] += out[4];
        out[4] = 0;
        return out;
    }

    private static double[] perPage(final double[] v, final double pages)
    {
        final double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++)
        {
            out[i] = v[i] / pages;
        }
        return out;
    }
}
