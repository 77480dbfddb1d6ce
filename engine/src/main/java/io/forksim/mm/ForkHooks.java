package io.forksim.mm;

/**
 * The hooks fork()'s copy ({@code io.forksim.fork}) needs into a child mm that no other caller may use: they
 * write VMA fields and RSS counters without the checks of the public operations, because {@code dup_mmap} builds
 * the child from a parent that is already consistent. Only code in {@code io.forksim.fork} can obtain an instance
 * ({@link #forFork()} checks its caller), so a library user cannot corrupt a process through them.
 */
public final class ForkHooks
{
    private static final ForkHooks INSTANCE = new ForkHooks();
    private static final String FORK_PACKAGE = "io.forksim.fork";
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private ForkHooks()
    {
    }

    /**
     * The hooks, for a caller in {@code io.forksim.fork} (call it once and keep the instance).
     *
     * @throws IllegalCallerException naming the caller's class for any other caller
     */
    public static ForkHooks forFork()
    {
        final Class<?> caller = WALKER.getCallerClass();
        if (!caller.getPackageName().equals(FORK_PACKAGE))
        {
            throw new IllegalCallerException("ForkHooks are internal to " + FORK_PACKAGE + ", not for " + caller.getName());
        }
        return INSTANCE;
    }

    /**
     * {@code vm_area_dup}: a copy of {@code vma} to be placed in {@code child} (from the machine's {@code vm_area_cachep}
     * when it has one), still pointing at the parent's anon_vma until {@link #anonVmaFork} or {@link #setHasAnonVma}.
     */
    public Vma dupVma(final Mm child, final Vma vma)
    {
        return child.dupVma(vma);
    }

    /**
     * {@code anon_vma_fork}: the child's copy of a VMA with an anon_vma gets its own (chained to the parent's).
     * Precondition: {@code vma} came from {@link #dupVma} for {@code child}.
     */
    public void anonVmaFork(final Mm child, final Vma vma)
    {
        child.anonVmaFork(vma);
    }

    /** Replaces the flags of the child's {@code vma} with {@code flags}. Precondition: {@code vma} belongs to {@code child}. */
    public void setVmaFlags(final Mm child, final Vma vma, final int flags)
    {
        child.setVmaFlags(vma, flags);
    }

    /** Sets whether the child's {@code vma} has an anon_vma. Precondition: {@code vma} belongs to {@code child}. */
    public void setHasAnonVma(final Mm child, final Vma vma, final boolean value)
    {
        child.setHasAnonVma(vma, value);
    }

    /** Adds a duplicated VMA to {@code child}. Precondition: it overlaps none of the child's VMAs. */
    public void addVmaForFork(final Mm child, final Vma vma)
    {
        child.addVmaForFork(vma);
    }

    /** {@code add_mm_rss_vec}: adds the RSS copy_pte_range counted to {@code child}. Precondition: {@code delta} has 4 counters. */
    public void addRss(final Mm child, final long[] delta)
    {
        child.addRss(delta);
    }
}
