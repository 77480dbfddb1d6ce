package io.forksim.harness;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The interleaved pass's orders: every position at every place, and after every other, equally often. */
class WilliamsOrderTest
{
    @Test
    void fourPositionsGiveFourRowsStartingZeroOneThreeTwo()
    {
        assertArrayEquals(new int[][] {{0, 1, 3, 2}, {1, 2, 0, 3}, {2, 3, 1, 0}, {3, 0, 2, 1}}, WilliamsOrder.rows(4));
    }

    @Test
    void threePositionsGiveTheThreeRowsAndTheirReversals()
    {
        assertArrayEquals(new int[][] {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}, {0, 2, 1}, {1, 0, 2}},
            WilliamsOrder.rows(3));
    }

    @Test
    void everyPositionRunsAtEveryPlaceAndAfterEveryOtherEquallyOften()
    {
        for (int p = 2; p <= 7; p++)
        {
            final int[][] rows = WilliamsOrder.rows(p);
            final int[][] atPlace = new int[p][p];
            final int[][] follows = new int[p][p];
            for (final int[] row : rows)
            {
                for (int t = 0; t < p; t++)
                {
                    atPlace[row[t]][t]++;
                    if (t > 0)
                    {
                        follows[row[t - 1]][row[t]]++;
                    }
                }
            }
            final int perPlace = rows.length / p;
            final int perPair = rows.length / p;
            for (int a = 0; a < p; a++)
            {
                for (int b = 0; b < p; b++)
                {
                    assertEquals(perPlace, atPlace[a][b], p + " positions: position " + a + " at place " + b);
                    assertEquals(a == b ? 0 : perPair, follows[a][b], p + " positions: " + b + " after " + a);
                }
            }
        }
    }

    @Test
    void threeStrategiesRunInTheirWilliamsRowsEachFollowedByTheFloor()
    {
        assertArrayEquals(new int[][] {{0, 1, 2, 3}, {1, 2, 0, 3}, {2, 0, 1, 3}, {2, 1, 0, 3}, {0, 2, 1, 3}, {1, 0, 2, 3}},
            WilliamsOrder.strategiesThenFloor(3));
    }

    @Test
    void runCyclicallyEveryStrategyFollowsTheFloorAndEveryOtherStrategyEquallyOften()
    {
        for (int s = 1; s <= 6; s++)
        {
            final int[][] rows = WilliamsOrder.strategiesThenFloor(s);
            final int[][] follows = new int[s + 1][s + 1];
            int previous = rows[rows.length - 1][s];
            for (final int[] row : rows)
            {
                for (final int position : row)
                {
                    follows[previous][position]++;
                    previous = position;
                }
            }
            final int afterFloor = rows.length / s;
            for (int b = 0; b < s; b++)
            {
                assertEquals(afterFloor, follows[s][b], s + " strategies: " + b + " after the floor");
                assertEquals(afterFloor, follows[b][s], s + " strategies: the floor after " + b);
                for (int a = 0; a < s; a++)
                {
                    assertEquals(a == b || s == 1 ? 0 : rows.length / s, follows[a][b], s + " strategies: " + b + " after " + a);
                }
            }
        }
    }

    @Test
    void noPositionsIsRefusedNamingTheValue()
    {
        assertEquals("a Williams design needs at least one position, not 0",
            assertThrows(IllegalArgumentException.class, () -> WilliamsOrder.rows(0)).getMessage());
    }
}
