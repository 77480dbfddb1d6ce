package io.forksim.snapshot;

import io.forksim.arch.ArchVariant;
import io.forksim.mm.Machine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The snapshot file format, version {@value #FORMAT_VERSION}: every record's layout, and the constants and small
 * helpers that {@link SnapshotWriter}, {@link SnapshotReader} and {@link SegmentCodec} share. Only constants and
 * static helpers; never instantiated.
 *
 * <p>All integers are little-endian (Chronicle Bytes reads and writes the platform's order, and
 * {@link SnapshotMapping} refuses a big-endian platform). Sizes and offsets are in bytes; "pad" is zero bytes up to the
 * next multiple of 8 from the start of the section (every section starts 8-byte aligned), and pad8(n) is n rounded up
 * to a multiple of 8.
 *
 * <h2>The file</h2>
 * <pre>
 *   +--------------------+ 0
 *   | header             |  {@value #HEADER_BYTES} bytes, with the section table
 *   +--------------------+ 4096
 *   | section 1 meta     |  the sections in id order, each a multiple of 8 bytes long,
 *   | section 2 machine  |  each starting where the previous one ends
 *   | ...                |
 *   | section 11         |
 *   +--------------------+ end of the last section
 *   | zero bytes         |  up to the file length: the end rounded up to {@value #FILE_ALIGN}
 *   +--------------------+ file length
 * </pre>
 *
 * <h2>Header</h2>
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  magic "FORKSIM\0" (u64)                           +0         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  format version (u32)                              +8         |
 *  +---------------------------------------------------------------+
 *  |  header length, 4096 (u32)                         +12        |
 *  +---------------------------------------------------------------+
 *  |  file length (u64)                                 +16        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  arch: 1 x86_64, 2 arm64 (u32)                     +24        |
 *  +---------------------------------------------------------------+
 *  |  flags (u32, below)                                +28        |
 *  +---------------------------------------------------------------+
 *  |  simulated RAM bytes (u64)                         +32        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  swap bytes (u64)                                  +40        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  creation time, ms since the epoch (u64)           +48        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  section count, 11 (u32)                           +56        |
 *  +---------------------------------------------------------------+
 *  |  reserved (0)                                      +60        |
 *  +---------------------------------------------------------------+
 *  |  section table: 11 entries of 32 bytes             +64        |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 *  |  zero bytes                                        +416       |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 *  |  CRC32C of header bytes 0..4091 (u32)              +4092      |
 *  +---------------------------------------------------------------+
 * </pre>
 * The flags word:
 * <pre>
 *   31                                                  3  2  1  0
 *  +-----------------------------------------------------+--+--+--+
 *  |                    reserved (0)                     |CC|CB|TR|
 *  +-----------------------------------------------------+--+--+--+
 *   TR {@link #FLAG_TLBI_RANGE}     arm64 FEAT_TLBIRANGE
 *   CB {@link #FLAG_CONTPTE_BASIC}  arm64 with the contpte-basic backend
 *   CC {@link #FLAG_CONCURRENT}     a concurrent machine (its segments are accessed atomically)
 * </pre>
 *
 * <h2>Section table entry, 32 bytes, at 64 + 32 * i for the i-th section in {@link SectionId} order</h2>
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  section id (u32)                                  +0         |
 *  +---------------------------------------------------------------+
 *  |  CRC32C of the section's bytes (u32)               +4         |
 *  +---------------------------------------------------------------+
 *  |  offset in the file (u64)                          +8         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  length (u64)                                      +16        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  reserved (0, u64)                                 +24        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>String (in sections 1 and 3)</h2>
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  byte length n, 0..2^20 (u32)                      +0         |
 *  +---------------------------------------------------------------+
 *  |  n bytes of UTF-8                                  +4         |
 *  ...                                                           ...
 *  |                                                      +--------+
 *  |                                                      |  pad   |
 *  +------------------------------------------------------+--------+
 * </pre>
 *
 * <h2>Section 1, meta: u32 n, u32 0, n x (string key, string value), keys in ascending order</h2>
 *
 * <h2>Section 2, machine</h2>
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  nrPages (u64)                                     +0         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  swap slots (u64)                                  +8         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  nextMmId (u32)                                    +16        |
 *  +---------------------------------------------------------------+
 *  |  nextFileId (u32)                                  +20        |
 *  +---------------------------------------------------------------+
 *  |  nextToken (u64)                                   +24        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  nextShmemId (u32)                                 +32        |
 *  +---------------------------------------------------------------+
 *  |  reserved (0)                                      +36        |
 *  +---------------------------------------------------------------+
 *  |  free-list heads of order 0..10, PFN or -1         +40        |
 *  |    (11 x i32)                                                 |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 *  |  deferred max-order blocks (u32)                   +84        |
 *  +---------------------------------------------------------------+
 *  |  free blocks of order 0..10 (11 x u64)             +88        |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 *  |  free pages (u64)                                  +176       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  table high-water mark (u32)                       +184       |
 *  +---------------------------------------------------------------+
 *  |  free table slots k (u32)                          +188       |
 *  +---------------------------------------------------------------+
 *  |  free slot stack, bottom first (k x u32)           +192       |
 *  ...                                                           ...
 *  |                                                      +--------+
 *  |                                                      |  pad   |
 *  +------------------------------------------------------+--------+
 *  |  swap cursor (u64)                          +192 + pad8(4k)   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  swap slots used (u64)                      +200 + pad8(4k)   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Section 3, files: u32 n, u32 0, n x file</h2>
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  file id (u32)                                     +0         |
 *  +---------------------------------------------------------------+
 *  |  shmem: 0 or 1 (u32)                               +4         |
 *  +---------------------------------------------------------------+
 *  |  size in pages (u64)                               +8         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  name (string)                                     +16        |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 *  |  cached pages c (u64)                                         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  c x (page index (u64), PFN (u64)), indexes ascending         |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Section 4, processes: u32 n, u32 0, n x process</h2>
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  mm id (u32)                                       +0         |
 *  +---------------------------------------------------------------+
 *  |  hasPinned: 0 or 1 (u32)                           +4         |
 *  +---------------------------------------------------------------+
 *  |  PGD PFN (u64)                                     +8         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  rss: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS,     +16        |
 *  |       MM_SHMEMPAGES (4 x u64)                                 |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 *  |  pins p (u64)                                      +48        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  p x (address (u64), PFN (u64))                    +56        |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 *  |  vmas v (u64)                                  +56 + 16p      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  v x vma, 48 bytes each (below)                               |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 * </pre>
 * A vma, {@value #VMA_BYTES} bytes:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  vm_start (u64)                                    +0         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  vm_end (u64)                                      +8         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  vm_flags (u32)                                    +16        |
 *  +---------------------------------------------------------------+
 *  |  file id, -1 for anonymous memory (i32)            +20        |
 *  +---------------------------------------------------------------+
 *  |  vm_pgoff (u64)                                    +24        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  vm_page_prot (u64)                                +32        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  has anon_vma: 0 or 1 (u32)                        +40        |
 *  +---------------------------------------------------------------+
 *  |  reserved (0)                                      +44        |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Sections 5-7 (memmap) and 9-11 (swap map): one off-heap segment each, encoded by {@link SegmentCodec}</h2>
 * 5 memmap-records, 6 memmap-tokens, 7 memmap-anon-exclusive (the PageAnonExclusive byte map, 1-byte elements),
 * 9 swap-counts (u32 per slot), 10 swap-tokens (u64 per slot), 11 swap-cache (u64 per slot: PFN + 1, 0 = none).
 * The segment is cut into blocks of {@value #CODEC_BLOCK} bytes; a block that is all zero is not stored, a block with
 * at most {@value #CODEC_SPARSE_MAX} non-zero elements is one SPARSE run, and consecutive other blocks form one
 * DENSE run.
 * <pre>
 *   segment section header, {@value #CODEC_HEADER_BYTES} bytes
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  segment length (u64)                              +0         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  element size: 1, 4, 8 or 16 (u32)                 +8         |
 *  +---------------------------------------------------------------+
 *  |  block size, 65536 (u32)                           +12        |
 *  +---------------------------------------------------------------+
 *  |  run count (u64)                                   +16        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  reserved (0, u64)                                 +24        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  runs, in ascending, non-overlapping offset order  +32        |
 *  ...                                                           ...
 *
 *   run, {@value #CODEC_RUN_HEADER_BYTES} bytes and a payload
 *  +---------------------------------------------------------------+
 *  |  offset in the segment (u64)                       +0         |
 *  |    SPARSE: the start of its block                             |
 *  +---------------------------------------------------------------+
 *  |  n (u64): DENSE byte length, SPARSE entry count    +8         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  kind: 1 DENSE, 2 SPARSE (u32)                     +16        |
 *  +---------------------------------------------------------------+
 *  |  reserved (0)                                      +20        |
 *  +---------------------------------------------------------------+
 *  |  payload                                           +24        |
 *  |    DENSE: the n bytes of the segment at offset                |
 *  |    SPARSE: n entries, element indexes ascending (below)       |
 *  ...                                                           ...
 *  |                                                      +--------+
 *  |                                                      |  pad   |
 *  +------------------------------------------------------+--------+
 *
 *   SPARSE entry, 4 + element size bytes (not aligned)
 *  +---------------------------------------------------------------+
 *  |  element index in the block (u32)                  +0         |
 *  +---------------------------------------------------------------+
 *  |  the element's bytes (1, 4, 8 or 16)               +4         |
 *  ...                                                           ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Section 8, page-tables: u64 n, then the 4096 bytes of every table slot in use, in slot order</h2>
 * A slot is in use when it is below the high-water mark and not on the free slot stack (section 2). The contents of
 * free slots are not saved (a slot is zeroed when it is handed out again). A level-2 (PMD) table's entries are table
 * entries or PMD leaves; the PTE tables deposited for its leaves are slots in use like any table, linked from the
 * PMD-table page's memmap record (aux slot, section 5; {@link io.forksim.pgtable.TransHugeDeposit}), not from an entry.
 *
 * <p>A file of another format version is refused before its sections are read
 * ({@link SnapshotFormatException.Kind#VERSION}); {@link SnapshotCache} then saves its setup again. Any change of a
 * layout here takes a new {@link #FORMAT_VERSION}.
 */
final class SnapshotFormat
{
    static final int FORMAT_VERSION = 4;
    static final int HEADER_BYTES = 4096;
    /** "FORKSIM\0" read as a little-endian long. */
    static final long MAGIC = ByteBuffer.wrap("FORKSIM\0".getBytes(StandardCharsets.US_ASCII)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    static final int MAGIC_BYTES = 8;

    // header fields
    static final int H_VERSION = 8;
    static final int H_HEADER_LENGTH = 12;
    static final int H_FILE_LENGTH = 16;
    static final int H_ARCH = 24;
    static final int H_FLAGS = 28;
    static final int H_RAM = 32;
    static final int H_SWAP = 40;
    static final int H_CREATED = 48;
    static final int H_SECTION_COUNT = 56;
    static final int H_SECTION_TABLE = 64;
    static final int H_CRC = HEADER_BYTES - 4;

    static final int ARCH_X86_64 = 1;
    static final int ARCH_ARM64 = 2;
    static final int FLAG_TLBI_RANGE = 1;
    static final int FLAG_CONTPTE_BASIC = 2;
    static final int FLAG_CONCURRENT = 4;
    static final int KNOWN_FLAGS = FLAG_TLBI_RANGE | FLAG_CONTPTE_BASIC | FLAG_CONCURRENT;

    // section table entry fields
    static final int SECTION_ENTRY_BYTES = 32;
    static final int E_ID = 0;
    static final int E_CRC = 4;
    static final int E_OFFSET = 8;
    static final int E_LENGTH = 16;

    /** The file length is the end of the last section rounded up to this, with zero bytes in between. */
    static final int FILE_ALIGN = 4096;
    /** Longest string (file names, metadata) the format accepts, in UTF-8 bytes. */
    static final int MAX_STRING = 1 << 20;
    static final int VMA_BYTES = 48;
    /** Bytes of one pin record (address, PFN) and of one page-cache entry (index, PFN). */
    static final int PAIR_BYTES = 16;
    static final int RSS_COUNTERS = 4;

    // SegmentCodec
    static final int CODEC_BLOCK = 64 << 10;
    static final int CODEC_SPARSE_MAX = 128;
    static final int CODEC_HEADER_BYTES = 32;
    static final int CODEC_RUN_HEADER_BYTES = 24;
    static final int CODEC_DENSE = 1;
    static final int CODEC_SPARSE = 2;
    /** Bytes of a SPARSE entry's element index. */
    static final int CODEC_INDEX_BYTES = 4;

    /** The sections, in file order. */
    enum SectionId
    {
        META(1, "meta"), MACHINE(2, "machine"), FILES(3, "files"), PROCESSES(4, "processes"),
        RECORDS(5, "memmap-records"), TOKENS(6, "memmap-tokens"), PAE(7, "memmap-anon-exclusive"),
        TABLES(8, "page-tables"), SWAP_COUNTS(9, "swap-counts"), SWAP_TOKENS(10, "swap-tokens"), SWAP_CACHE(11, "swap-cache");

        static final SectionId[] ALL = values();

        final int id;
        final String label;

        SectionId(final int id, final String label)
        {
            this.id = id;
            this.label = label;
        }

        /** The big sections, whose checksums {@link Snapshot#info} verifies only when asked to. */
        boolean bulk()
        {
            return ordinal() >= RECORDS.ordinal();
        }

        /** Where this section's entry lies in the header. */
        int entryOffset()
        {
            return H_SECTION_TABLE + ordinal() * SECTION_ENTRY_BYTES;
        }
    }

    private SnapshotFormat()
    {
    }

    /** {@code n} rounded up to a multiple of 8. Precondition: {@code n >= 0}. */
    static long pad8(final long n)
    {
        return (n + 7) & ~7L;
    }

    /** The header's arch code of {@code config}. */
    static int archCode(final Machine.Config config)
    {
        return config.arch().isArm64() ? ARCH_ARM64 : ARCH_X86_64;
    }

    /** The header's flags word of {@code config}. */
    static int flags(final Machine.Config config)
    {
        return (config.tlbiRange() ? FLAG_TLBI_RANGE : 0) | (config.arch().contpteBasic() ? FLAG_CONTPTE_BASIC : 0)
            | (config.concurrent() ? FLAG_CONCURRENT : 0);
    }

    /**
     * The configuration a header describes. Preconditions: {@code archCode} is {@link #ARCH_X86_64} or
     * {@link #ARCH_ARM64} and {@code flags} has no bit outside {@link #KNOWN_FLAGS}.
     *
     * @throws IllegalArgumentException if {@link Machine.Config} refuses the sizes
     */
    static Machine.Config config(final int archCode, final int flags, final long ramBytes, final long swapBytes)
    {
        return new Machine.Config(ArchVariant.of(archCode == ARCH_X86_64 ? "x86_64" : "arm64", (flags & FLAG_CONTPTE_BASIC) != 0),
            ramBytes, swapBytes, (flags & FLAG_TLBI_RANGE) != 0, (flags & FLAG_CONCURRENT) != 0);
    }
}
