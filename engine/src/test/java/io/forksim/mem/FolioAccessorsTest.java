package io.forksim.mem;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** MemMap's folio-level accessors resolve the head; the raw ones read the page's own slot. */
class FolioAccessorsTest
{
    private MemMap mm;

    @BeforeEach
    void setUp()
    {
        mm = new MemMap(1024);
    }

    @AfterEach
    void tearDown()
    {
        mm.close();
    }

    @Test
    void onATailPageTheFolioAccessorsReadTheHeadWhileTheRawSlotsHoldMmIdData()
    {
        mm.prepFolio(64, 4, PageDescriptor.PG_ANON);
        mm.setRefcount(64, 16);
        mm.folioSetLargeMapcount(64, 16, 7);
        assertThat(mm.folioRefCount(65)).isEqualTo(16);
        assertThat(mm.folioMapcount(65)).isEqualTo(16);
        assertThat(mm.folioRefCount(79)).isEqualTo(16);
        assertThat(mm.folioMapcount(79)).isEqualTo(16);
        assertThat(mm.rawRefcount(65)).as("page[1]'s refcount slot is _mm_id_mapcount[0]").isEqualTo(mm.folioMmIdMapcount(64, 7));
    }

    @Test
    void onAnOrder0FolioBothReadThePageItself()
    {
        mm.prepFolio(8, 0, PageDescriptor.PG_ANON);
        mm.setMapcount(8, 1);
        assertThat(mm.folioRefCount(8)).isEqualTo(1).isEqualTo(mm.rawRefcount(8));
        assertThat(mm.folioMapcount(8)).isEqualTo(1).isEqualTo(mm.rawMapcount(8));
    }
}
