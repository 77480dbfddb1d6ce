package io.forksim.mm;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The swap map's counts: a slot is in use while a swap PTE references it or it holds a swap-cache folio
 * ({@code SWAP_HAS_CACHE}), and {@code vm_swap_full} counts a slot holding only its cache as used.
 */
class SwapSpaceTest
{
    private static final long PFN = 77;

    @Test
    void theLastPutOfASlotWithoutSwapCacheFreesIt()
    {
        try (SwapSpace swap = new SwapSpace(8))
        {
            final long off = swap.alloc(1);
            swap.dup(off);
            assertThat(swap.put(off)).isEqualTo(-1);
            assertThat(swap.used()).isEqualTo(1);
            assertThat(swap.put(off)).as("no swap cache").isEqualTo(-1);
            assertThat(swap.count(off)).isZero();
            assertThat(swap.used()).isZero();
        }
    }

    @Test
    void theLastPutOfASlotWithSwapCacheLeavesItInUseWithOnlyItsCacheUntilTheCacheGoes()
    {
        try (SwapSpace swap = new SwapSpace(8))
        {
            final long off = swap.alloc(1);
            swap.cacheAdd(off, PFN);
            assertThat(swap.put(off)).as("swap_only_has_cache: the cached PFN").isEqualTo(PFN);
            assertThat(swap.count(off)).isZero();
            assertThat(swap.cachePfn(off)).isEqualTo(PFN);
            assertThat(swap.cacheSlotOf(PFN)).isEqualTo(off);
            assertThat(swap.used()).isEqualTo(1);
            assertThat(swap.alloc(7 - 1)).as("the other 6 slots; the cache-only one is not free").isEqualTo(off + 1);
            assertThat(swap.alloc(1)).isEqualTo(-1);

            swap.cacheDel(off);
            assertThat(swap.cachePfn(off)).isEqualTo(-1);
            assertThat(swap.cacheSlotOf(PFN)).isEqualTo(-1);
            assertThat(swap.used()).as("put_swap_folio frees a slot whose count is 0").isEqualTo(6);
            assertThat(swap.alloc(1)).isEqualTo(off);
        }
    }

    @Test
    void removingTheCacheOfASlotThatSwapPtesStillReferenceKeepsItInUse()
    {
        try (SwapSpace swap = new SwapSpace(8))
        {
            final long off = swap.alloc(1);
            swap.cacheAdd(off, PFN);
            swap.cacheDel(off);
            assertThat(swap.count(off)).isEqualTo(1);
            assertThat(swap.used()).isEqualTo(1);
        }
    }

    @Test
    void swapDuplicateRevivesASlotHeldOnlyByItsCacheAndRefusesAFreeOne()
    {
        try (SwapSpace swap = new SwapSpace(8))
        {
            final long off = swap.alloc(1);
            swap.cacheAdd(off, PFN);
            swap.put(off);
            swap.dup(off);
            assertThat(swap.count(off)).isEqualTo(1);
            assertThat(swap.used()).isEqualTo(1);
            swap.cacheDel(off);
            swap.put(off);
            assertThat(swap.used()).isZero();
            assertThatThrownBy(() -> swap.dup(off)).hasMessage("swap slot not in use: offset=" + off);
            assertThatThrownBy(() -> swap.cacheDel(off)).hasMessage("swap slot has no swap-cache folio: offset=" + off);
        }
    }

    @Test
    void vmSwapFullOnceFewerThanHalfOfTheUsableSlotsAreFreeCountingCacheOnlySlotsAsUsed()
    {
        try (SwapSpace swap = new SwapSpace(5))    // 4 usable slots
        {
            final long a = swap.alloc(1);
            swap.alloc(1);
            assertThat(swap.vmSwapFull()).as("2 of 4 free").isFalse();
            swap.cacheAdd(a, PFN);
            swap.put(a);
            final long c = swap.alloc(1);
            assertThat(swap.vmSwapFull()).as("1 of 4 free: the cache-only slot counts as used").isTrue();
            swap.put(c);
            assertThat(swap.vmSwapFull()).isFalse();
        }
    }
}
