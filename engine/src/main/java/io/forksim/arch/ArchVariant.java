package io.forksim.arch;

import io.forksim.mem.MemMap;

import java.util.Locale;

/**
 * The arch a simulated machine runs: x86_64, arm64 (the batched contpte backend of 6.18) or arm64 with
 * contpte-basic (the first, functional-only contpte version, {@link Arm64ContpteBasic}). {@link #archName()} is the
 * architecture's {@code uname -m} name; contpte-basic is a variant of arm64, not an arch of its own.
 */
public enum ArchVariant
{
    X86_64("x86_64", "x86_64"),
    ARM64("arm64", "arm64"),
    ARM64_CONTPTE_BASIC("arm64", "arm64 contpte-basic");

    private final String archName;
    private final String label;

    ArchVariant(final String archName, final String label)
    {
        this.archName = archName;
        this.label = label;
    }

    /** {@code x86_64} or {@code arm64}. */
    public String archName()
    {
        return archName;
    }

    /** {@code x86_64}, {@code arm64} or {@code arm64 contpte-basic}: for messages and reports. */
    public String label()
    {
        return label;
    }

    /** Whether this is an arm64 variant (contiguous bit, contpte layer). */
    public boolean isArm64()
    {
        return this != X86_64;
    }

    /** Whether this is arm64 with contpte-basic. */
    public boolean contpteBasic()
    {
        return this == ARM64_CONTPTE_BASIC;
    }

    /**
     * A new arch of this variant over {@code memmap} (the arm64 fold check reads folio bounds from it);
     * {@code tlbiRange} is FEAT_TLBIRANGE and matters on arm64 only. {@code memmap} may be null for an arch that only
     * decodes entries (an arm64 fold check then throws).
     */
    public Arch create(final boolean tlbiRange, final MemMap memmap)
    {
        final Arm64 a;
        switch (this)
        {
            case X86_64:
                return io.forksim.arch.X86_64.INSTANCE;
            case ARM64:
                a = new Arm64(tlbiRange);
                break;
            default:
                a = new Arm64ContpteBasic(tlbiRange);
                break;
        }
        a.setMemMap(memmap);
        return a;
    }

    /**
     * The variant of arch {@code name} ({@code x86_64} or {@code arm64}, any case, surrounding blanks ignored),
     * with contpte-basic if {@code contpteBasic}.
     *
     * @throws IllegalArgumentException naming the value: an unknown arch, or contpte-basic on x86_64
     */
    public static ArchVariant of(final String name, final boolean contpteBasic)
    {
        if (name == null)
        {
            throw new IllegalArgumentException("unknown arch: null (expected x86_64 or arm64)");
        }
        final String k = name.toLowerCase(Locale.ROOT);
        switch (k)
        {
            case "x86_64":
                if (contpteBasic)
                {
                    throw new IllegalArgumentException("contpte-basic exists only on arm64, not on x86_64");
                }
                return X86_64;
            case "arm64":
                return contpteBasic ? ARM64_CONTPTE_BASIC : ARM64;
            default:
                throw new IllegalArgumentException("unknown arch: " + k + " (expected x86_64 or arm64)");
        }
    }

    /** {@link #of(String, boolean) of(name, false)}. */
    public static ArchVariant of(final String name)
    {
        return of(name, false);
    }
}
