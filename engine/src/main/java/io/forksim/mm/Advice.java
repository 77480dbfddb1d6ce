package io.forksim.mm;

/** The {@code madvise()} advices forksim models (include/uapi/asm-generic/mman-common.h). */
public enum Advice
{
    /** {@code MADV_DONTNEED}: zap the range; private anon memory refaults as zero pages. */
    DONTNEED,
    /** {@code MADV_DONTFORK}: set {@code VM_DONTCOPY}, the child gets no VMA. */
    DONTFORK,
    /** {@code MADV_DOFORK}: clear {@code VM_DONTCOPY}. */
    DOFORK,
    /** {@code MADV_WIPEONFORK}: set {@code VM_WIPEONFORK} (private anonymous VMAs only). */
    WIPEONFORK,
    /** {@code MADV_KEEPONFORK}: clear {@code VM_WIPEONFORK}. */
    KEEPONFORK,
    /** {@code MADV_PAGEOUT}: reclaim exclusively mapped anon folios of the range to swap. */
    PAGEOUT
}
