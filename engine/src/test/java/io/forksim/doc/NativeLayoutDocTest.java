package io.forksim.doc;

import io.forksim.mem.PageDescriptor;
import io.forksim.pgtable.TableStore;
import io.forksim.pte.Arm64Pmd;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pmd;
import io.forksim.pte.X86Pte;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** native-layout.md quotes constants of the code; this keeps the two from drifting apart. */
class NativeLayoutDocTest
{
    static String doc() throws Exception
    {
        Path p = Path.of("native-layout.md");
        if (!Files.exists(p))
        {
            p = Path.of("..", "native-layout.md");
        }
        return Files.readString(p);
    }

    static String hex(final long v)
    {
        return String.format("0x%016X", v);
    }

    @Test
    void quotedProtectionsAreTheCodes() throws Exception
    {
        final String d = doc();
        assertThat(d).contains("`PAGE_READONLY` = `PAGE_COPY` = " + hex(X86Pte.PAGE_COPY).replaceFirst("0x0*", "0x"));
        assertThat(X86Pte.PAGE_READONLY).isEqualTo(X86Pte.PAGE_COPY);
        assertThat(d).contains("`PAGE_SHARED` = " + hex(X86Pte.PAGE_SHARED).replaceFirst("0x0*", "0x"));
        assertThat(d).contains("`PAGE_NONE` = 0x" + Long.toHexString(X86Pte.PAGE_NONE));
        assertThat(d).contains("`_PAGE_TABLE` = 0x" + Long.toHexString(X86Pte.PAGE_TABLE));
        assertThat(d).contains("`PAGE_READONLY` = " + hex(Arm64Pte.PAGE_READONLY));
        assertThat(d).contains("`PAGE_SHARED` =\n" + hex(Arm64Pte.PAGE_SHARED));
        assertThat(d).contains("`PAGE_NONE` = " + hex(Arm64Pte.PAGE_NONE));
    }

    @Test
    void quotedBitPositionsAreTheCodes() throws Exception
    {
        final String d = doc();
        assertThat(X86Pte.SAVED_DIRTY).isEqualTo(1L << 58);
        assertThat(d).contains("SavedDirty (bit 58)");
        assertThat(Arm64Pte.CONT).isEqualTo(1L << 52);
        assertThat(Arm64Pte.RDONLY).isEqualTo(1L << 7);
        assertThat(Arm64Pte.DBM).isEqualTo(1L << 51);
        assertThat(Arm64Pte.DIRTY).isEqualTo(1L << 55);
        assertThat(d).contains("RDONLY (7) | WRITE/DBM (51) | DIRTY sw (55)");
        assertThat(Arm64Pte.CONT_PTES).isEqualTo(16);
        assertThat(d).contains("`CONT_PTES` = 16");
    }

    @Test
    void quotedMemmapAndTableStoreSizesAreTheCodes() throws Exception
    {
        final String d = doc();
        assertThat(PageDescriptor.RECORD_LENGTH).isEqualTo(16);
        assertThat(d).contains("### 2.1 Records: 16 bytes per PFN");
        assertThat(PageDescriptor.TOKEN_LENGTH).isEqualTo(8);
        assertThat(PageDescriptor.STATE_BYTES_PER_PAGE).isEqualTo(25);
        assertThat(d).contains("State per simulated page: 16 + 8 + 1 = 25 bytes");
        assertThat(PageDescriptor.ANON_EXCLUSIVE_LENGTH).isEqualTo(1);
        assertThat(PageDescriptor.anonExclusiveLength(4096)).isEqualTo(4096);
        assertThat(d).contains("anonExclusive: 1 byte per PFN at `pfn`");
        assertThat(TableStore.TABLES_PER_CHUNK).isEqualTo(4096);
        assertThat(TableStore.CHUNK_BYTES).isEqualTo(16L << 20);
        assertThat(d).contains("chunks of 4096 slots (16 MiB");
        assertThat(PageDescriptor.GUP_PIN_COUNTING_BIAS).isEqualTo(1024);
    }

    @Test
    void quotedPmdLeafWordsAreTheCodes() throws Exception
    {
        final String d = doc();
        final long x = X86Pmd.pmdMkwrite(X86Pmd.pmdMkdirty(X86Pmd.folioMkPmd(0x200, X86Pte.PAGE_COPY)));
        final long xParent = X86Pmd.pmdWrprotect(x);
        assertThat(d).contains("fresh private RW THP " + hex(x).toUpperCase().replace("0X", "0x"));
        assertThat(d).contains("the parent's " + hex(xParent).toUpperCase().replace("0X", "0x"));
        assertThat(d).contains("the child's " + hex(X86Pmd.pmdMkold(xParent)).toUpperCase().replace("0X", "0x"));
        final long a = Arm64Pmd.pmdMkwrite(Arm64Pmd.pmdMkdirty(Arm64Pmd.folioMkPmd(0x200, Arm64Pte.PAGE_READONLY)));
        final long aParent = Arm64Pmd.pmdWrprotect(a);
        assertThat(d).contains("fresh private RW THP " + hex(a).toUpperCase().replace("0X", "0x"));
        assertThat(d).contains("the parent's " + hex(aParent).toUpperCase().replace("0X", "0x"));
        assertThat(d).contains("the child's " + hex(Arm64Pmd.pmdMkold(aParent)).toUpperCase().replace("0X", "0x"));
        assertThat(X86Pmd.PSE).isEqualTo(1L << 7);
        assertThat(d).contains("`_PAGE_PSE` (bit 7)");
        assertThat(X86Pmd.PAT_LARGE).isEqualTo(1L << 12);
        assertThat(X86Pmd.PMD_PFN_MASK).isEqualTo(((1L << 52) - 1) & -(1L << 21));
        assertThat(Arm64Pmd.PMD_TYPE_SECT).isEqualTo(1L);
        assertThat(d).contains("type bits 0b01 (`PMD_TYPE_SECT`)");
        assertThat(d).contains("page[2] of a large folio: _entire_mapcount (PMD mappings)");
    }
}
