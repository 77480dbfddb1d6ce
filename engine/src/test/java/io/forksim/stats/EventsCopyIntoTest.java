package io.forksim.stats;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Events#copyInto}: the allocation-free read of the counters is the same as {@link Events#toArray}. */
class EventsCopyIntoTest
{
    @Test
    void copyIntoWritesEveryCounterInTheOrderOfNames()
    {
        final long[] distinct = new long[Events.NAMES.length];
        for (int i = 0; i < distinct.length; i++)
        {
            distinct[i] = 1000 + i;
        }
        final Events e = Events.fromArray(distinct);
        final long[] dst = new long[Events.NAMES.length];
        assertThat(e.copyInto(dst)).isSameAs(dst).containsExactly(distinct);
        assertThat(dst).containsExactly(e.toArray());
    }

    @Test
    void anArrayOfTheWrongLengthIsRefusedByName()
    {
        assertThatThrownBy(() -> new Events().copyInto(new long[3]))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("expected an array of " + Events.NAMES.length + " counters, got 3");
    }
}
