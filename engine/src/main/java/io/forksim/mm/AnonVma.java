package io.forksim.mm;

/**
 * The identity of a {@code struct anon_vma}. Two VMAs hold the same one exactly when the kernel's would: the
 * pieces of a split VMA, a VMA and what mremap moved out of it, and a VMA whose first anon fault reused a
 * compatible neighbour's ({@code find_mergeable_anon_vma}). fork gives each child VMA a new one
 * ({@code anon_vma_fork}). VMA merging compares these identities ({@code is_mergeable_anon_vma}); the object
 * carries no state of its own (forksim's rmap lives in the folios' mapcounts) beyond its slab-cache flag.
 */
final class AnonVma
{
    /**
     * In the machine's {@code anon_vma_cachep}: set when {@link Mm#mmdrop()} frees it (so that it is freed once
     * however many of the mm's VMAs shared it), cleared when the cache hands it out again.
     */
    boolean freed;

    AnonVma()
    {
    }
}
