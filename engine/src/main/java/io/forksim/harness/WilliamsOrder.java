package io.forksim.harness;

/**
 * The orders in which an interleaved pass ({@code ForkRun.interleave}) runs its positions (the strategies and the floor
 * loop) for one fork each: the rows of a Williams design over the strategies, each followed by the floor loop
 * ({@link #strategiesThenFloor}). A Williams design is a Latin square balanced for first-order carry-over. Over
 * its rows every position runs at every place equally often, and every position directly follows every other one
 * equally often. The second property is the one that matters here: a fork's time depends on what ran just before it
 * (the caches and TLB the previous fork or floor pass left). With a plain rotation (0 1 2 3, 1 2 3 0, ...) position
 * 0 follows position 3 in three of every four forks; in a run at 18:17 (timing.md) that alone made two strategies
 * doing identical work (order-9 PMD-mapped, the same events under every strategy) differ by 14% and 26% from legacy.
 *
 * <p>Construction (Williams 1949): the first row is 0, 1, P-1, 2, P-2, 3, ...; row j adds j to every entry mod P.
 * For an even P these P rows are balanced; for an odd P the P rows and their P reversals are (2P rows).
 *
 * <p>{@link #rows} alone does not balance the boundary between consecutive rows (the last position of one fork's row
 * precedes the first of the next); {@link #strategiesThenFloor}, the order {@code ForkRun} uses, does.
 */
final class WilliamsOrder
{
    private WilliamsOrder()
    {
    }

    /**
     * The orders of an interleaved pass over {@code strategies} strategies and the floor loop (position
     * {@code strategies}): the rows of {@link #rows rows(strategies)}, each followed by the floor. Balanced for
     * carry-over across the rows' boundaries too, when the rows run one after the other and cyclically: every
     * strategy is first in as many rows as every other, so each follows the floor pass (the previous row's last) in the
     * same share of its forks; the floor follows every strategy equally often (each is last in as many rows); and
     * within the rows every strategy follows every other equally often. A Williams design over all S + 1 positions is
     * not: the last position of one row precedes the first of the next, and for 4 positions one position per row gets
     * the same predecessor twice (timing.md has the run where that showed).
     *
     * @param strategies the strategies, at least 1
     * @throws IllegalArgumentException naming the value when it is below 1
     */
    static int[][] strategiesThenFloor(final int strategies)
    {
        final int[][] rows = rows(strategies);
        final int[][] out = new int[rows.length][strategies + 1];
        for (int j = 0; j < rows.length; j++)
        {
            System.arraycopy(rows[j], 0, out[j], 0, strategies);
            out[j][strategies] = strategies;
        }
        return out;
    }

    /**
     * The rows of the design for {@code positions} positions: {@code positions} rows for an even count,
     * {@code 2 * positions} for an odd one, each a permutation of 0 .. positions - 1.
     *
     * @param positions the positions to order, at least 1
     * @throws IllegalArgumentException naming the value when it is below 1
     */
    static int[][] rows(final int positions)
    {
        if (positions < 1)
        {
            throw new IllegalArgumentException("a Williams design needs at least one position, not " + positions);
        }
        final int[] first = new int[positions];
        for (int t = 1; t < positions; t++)
        {
            first[t] = (t & 1) == 1 ? (t + 1) / 2 : positions - t / 2;
        }
        final boolean odd = (positions & 1) == 1 && positions > 1;
        final int[][] rows = new int[odd ? 2 * positions : positions][positions];
        for (int j = 0; j < positions; j++)
        {
            for (int t = 0; t < positions; t++)
            {
                rows[j][t] = (first[t] + j) % positions;
                if (odd)
                {
                    rows[positions + j][positions - 1 - t] = rows[j][t];
                }
            }
        }
        return rows;
    }
}
