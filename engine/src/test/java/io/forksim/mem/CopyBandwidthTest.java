package io.forksim.mem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The bandwidth floor: the bytes a fork touches per page, and a measurement over small arrays. */
class CopyBandwidthTest
{
    @Test
    void anOrder0ForkTouches33BytesPerPageAndAnOrder9ForkAbout17()
    {
        assertThat(CopyBandwidth.bytesPerPage(0)).isEqualTo(33.0);
        assertThat(CopyBandwidth.bytesPerPage(4)).isEqualTo(18.0);
        assertThat(CopyBandwidth.bytesPerPage(9)).isEqualTo(17.03125);
    }

    @Test
    void anOrderAbove10IsRejectedByName()
    {
        assertThatThrownBy(() -> CopyBandwidth.bytesPerPage(11))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("folio order 11 (must be 0..10)");
    }

    @Test
    void theFloorOfA4MiBOrder9ForkWalksWholeFoliosUpToTheCap()
    {
        final CopyBandwidth.Floor f = CopyBandwidth.measure(1 << 20, 9, 3 * 512 + 100, false, 1);

        assertThat(f.pages()).isEqualTo(3 * 512);
        assertThat(f.bytesPerPage()).isEqualTo(17.03125);
        assertThat(f.nsPerPage()).isPositive();
        assertThat(f.bytesPerSecond()).isEqualTo(f.bytesPerPage() / f.nsPerPage() * 1e9);
    }

    @Test
    void aFloorSmallerThanOneFolioIsRejected()
    {
        assertThatThrownBy(() -> CopyBandwidth.measure(100, 9, 1 << 20, false, 1))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("bandwidth floor of 100 pages (cap 1048576, order 9, 1 rounds): needs at least one folio and one round");
    }
}
