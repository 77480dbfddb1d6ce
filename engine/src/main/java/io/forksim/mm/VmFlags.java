package io.forksim.mm;

/** VMA flags with the kernel's values (include/linux/mm.h), so that dumps read like the kernel's. */
public final class VmFlags
{
    public static final int VM_READ = 0x00000001;
    public static final int VM_WRITE = 0x00000002;
    public static final int VM_EXEC = 0x00000004;
    public static final int VM_SHARED = 0x00000008;
    public static final int VM_MAYREAD = 0x00000010;
    public static final int VM_MAYWRITE = 0x00000020;
    public static final int VM_MAYEXEC = 0x00000040;
    public static final int VM_MAYSHARE = 0x00000080;
    public static final int VM_PFNMAP = 0x00000400;
    public static final int VM_UFFD_WP = 0x00001000;
    public static final int VM_LOCKED = 0x00002000;
    public static final int VM_DONTCOPY = 0x00020000;
    public static final int VM_ACCOUNT = 0x00100000;
    public static final int VM_WIPEONFORK = 0x02000000;
    public static final int VM_MIXEDMAP = 0x10000000;

    /** The flags a VMA may be given through the public API. */
    public static final int USER_SETTABLE = VM_READ | VM_WRITE | VM_EXEC | VM_SHARED | VM_MAYREAD | VM_MAYWRITE
        | VM_MAYEXEC | VM_MAYSHARE | VM_PFNMAP | VM_UFFD_WP | VM_LOCKED | VM_DONTCOPY | VM_ACCOUNT | VM_WIPEONFORK
        | VM_MIXEDMAP;

    private VmFlags()
    {
    }

    /** {@code is_cow_mapping}: private and may become writable. */
    public static boolean isCowMapping(final int flags)
    {
        return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
    }

    public static String describe(final int flags)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append((flags & VM_READ) != 0 ? 'r' : '-');
        sb.append((flags & VM_WRITE) != 0 ? 'w' : '-');
        sb.append((flags & VM_EXEC) != 0 ? 'x' : '-');
        sb.append((flags & VM_SHARED) != 0 ? 's' : 'p');
        if ((flags & VM_DONTCOPY) != 0)
        {
            sb.append(" dontcopy");
        }
        if ((flags & VM_WIPEONFORK) != 0)
        {
            sb.append(" wipeonfork");
        }
        if ((flags & VM_UFFD_WP) != 0)
        {
            sb.append(" uffd_wp");
        }
        if ((flags & VM_PFNMAP) != 0)
        {
            sb.append(" pfnmap");
        }
        if ((flags & VM_MIXEDMAP) != 0)
        {
            sb.append(" mixedmap");
        }
        if ((flags & VM_LOCKED) != 0)
        {
            sb.append(" locked");
        }
        return sb.toString();
    }
}
