package io.forksim.mm;

/**
 * How a populated folio is mapped: by PTEs (any order, {@code set_ptes} of {@code 1 << order} entries) or by one PMD
 * leaf (order 9 only: a PMD-mapped THP, {@link HugeMemory}).
 */
public enum FolioMapping
{
    /** PTE-mapped: the folio's pages sit in a PTE table, one entry each. */
    PTE("pte"),
    /** PMD-mapped: one PMD leaf maps the whole 2 MiB order-9 folio; a PTE table is deposited for it. */
    PMD("pmd");

    private final String jsonName;

    FolioMapping(final String jsonName)
    {
        this.jsonName = jsonName;
    }

    /** The name the JSON report and the CLI use: {@code "pte"} or {@code "pmd"}. */
    public String jsonName()
    {
        return jsonName;
    }
}
