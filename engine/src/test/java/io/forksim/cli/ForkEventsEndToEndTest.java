package io.forksim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forksim.stats.Events;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small end-to-end run of the main job (16 MiB, 2 runs x 3 iterations, in-process) whose per-fork events must be
 * exactly what the kernel rules imply, for every arch x strategy x order (plus contpte-basic on arm64).
 *
 * <h2>The shape being forked</h2>
 * One anon private RW VMA of 16 MiB at 1 TiB, populated as write faults with an mTHP size of 2^order pages would:
 * one {@code set_ptes} per folio; every PTE present, writable, young, dirty, PageAnonExclusive. Buddy folios are
 * naturally aligned, so on arm64 every order-4 and order-9 folio is written as whole, aligned 64 KiB blocks with
 * PTE_CONT ({@code contpte_set_ptes}); order-0 pages never carry CONT.
 * <ul>
 *   <li>P = 4096 PTEs, in T = 8 PTE tables (16 MiB / 2 MiB), B = 256 contpte blocks (16 MiB / 64 KiB);</li>
 *   <li>order-4: 256 folios of 16 pages (one block each); order-9: 8 folios of 512 pages (one table each).</li>
 * </ul>
 *
 * <h2>Rules every configuration shares</h2>
 * <ul>
 *   <li>pt_pages_alloc = 11: the child's PGD (pgd_alloc in fork's mm_alloc: Machine.newProcess inside Fork.fork),
 *       one PUD and one PMD (the region lies under one PUD entry: 1 TiB is 1 GiB aligned, 16 MiB < 1 GiB), and the
 *       8 PTE tables. Nothing is freed during a fork: pt_pages_free = 0.</li>
 *   <li>tlbi_asid = 1: dup_mmap's single flush_tlb_mm(parent) after all VMAs. On arm64 it is DSB ISHST; TLBI
 *       ASIDE1IS; DSB ISH (no KPTI): dsb = 2 from it. x86 has no DSB.</li>
 *   <li>No faults, COW, swap or folio allocations happen in a fork of this shape: those counters are 0.</li>
 *   <li>Every PTE is write-protected in the parent (COW mapping, writable) and stored in the child: pte_atomic and
 *       pte_store are at least P, one cmpxchg/clear_bit and one store per PTE.</li>
 * </ul>
 * The accounting convention (Events, Arch): ptep_get counts core calls of ptep_get (one load each, caller-counted);
 * pte_load adds every further plain {@code __ptep_get} the arch issues (contpte gather reads, the set_ptes nr==1
 * probe {@code contpte_try_unfold(..., __ptep_get(ptep))}, fold-check re-reads); the read whose value seeds a
 * cmpxchg is the read half of that atomic and is not a load.
 */
class ForkEventsEndToEndTest
{
    static final long P = 4096;
    static final long T = 8;
    static final long B = 256;
    static final long TABLES = 11;

    static final ObjectMapper JSON = new ObjectMapper();
    /** "arch strategy order" -> events_per_fork. */
    static final Map<String, JsonNode> RESULTS = new HashMap<>();

    @BeforeAll
    static void runTheMainJob(@TempDir final Path dir) throws IOException
    {
        run(dir.resolve("main.json"), "--arch", "x86_64,arm64", "--strategy", "legacy,arch-batch,folio-batch");
        run(dir.resolve("basic.json"), "--arch", "arm64", "--strategy", "contpte-basic");
    }

    private static void run(final Path json, final String... extra) throws IOException
    {
        final String[] base = {"fork", "--size", "16M", "--orders", "0,4,9", "--runs", "2", "--iterations", "3",
            "--in-process", "--warmup", "1", "--no-progress", "--no-counters", "--json", json.toString()};
        final String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        final Cli r = Cli.run(args);
        // exit 0 also says: the events of every timed fork of a configuration were identical
        assertThat(r.code()).as(r.toString()).isZero();
        final JsonNode root = JSON.readTree(json.toFile());
        for (final JsonNode res : root.get("results"))
        {
            RESULTS.put(res.get("arch").asText() + " " + res.get("strategy").asText() + " " + res.get("order").asInt(),
                res.get("events_per_fork"));
        }
    }

    /** Expected events: the given ones, 0 for everything else, plus the shared table allocation and flush. */
    private static Map<String, Long> expect(final String arch, final Object... kv)
    {
        final Map<String, Long> m = new LinkedHashMap<>();
        for (final String n : Events.NAMES)
        {
            m.put(n, 0L);
        }
        m.put("pt_pages_alloc", TABLES);
        m.put("tlbi_asid", 1L);
        m.put("dsb", arch.equals("arm64") ? 2L : 0L);
        for (int i = 0; i < kv.length; i += 2)
        {
            m.put((String)kv[i], ((Number)kv[i + 1]).longValue());
        }
        return m;
    }

    private static void check(final String arch, final String strategy, final int order, final Map<String, Long> expected)
    {
        final JsonNode ev = RESULTS.get(arch + " " + strategy + " " + order);
        assertThat(ev).as(arch + " " + strategy + " order-" + order + " missing from " + RESULTS.keySet()).isNotNull();
        final Map<String, Long> actual = new LinkedHashMap<>();
        ev.properties().forEach(e -> actual.put(e.getKey(), e.getValue().asLong()));
        assertThat(actual).as(arch + " " + strategy + " order-" + order).containsExactlyEntriesOf(expected);
    }

    /** One PTE at a time, the 6.8 loop, with the generic per-PTE helpers of x86. */
    private static Map<String, Long> x86PerPte()
    {
        // per PTE: ptep_get (1 load); copy_present_pte = one "batch" of 1: folio_get (refcount 1),
        // dup rmap (rmap 1); ptep_set_wrprotect = clear_bit, one atomic; set_pte_at: one store.
        return expect("x86_64", "ptep_get", P, "pte_load", P, "pte_store", P, "pte_atomic", P,
            "batches", P, "refcount_update", P, "rmap_update", P);
    }

    @Test
    void x86Legacy()
    {
        // Legacy never batches, whatever the folio order.
        for (final int order : new int[] {0, 4, 9})
        {
            check("x86_64", "legacy", order, x86PerPte());
        }
    }

    @Test
    void x86ArchBatch()
    {
        // The generic pte_batch_remaining() is the constant 1: arch-batch is the legacy loop on x86, per PTE,
        // for every order (the seed patch's point: "no significant performance change", same work).
        for (final int order : new int[] {0, 4, 9})
        {
            check("x86_64", "arch-batch", order, x86PerPte());
        }
    }

    @Test
    void x86FolioBatch()
    {
        // order-0: folio_test_large is false: the single path, per PTE, exactly legacy's work.
        check("x86_64", "folio-batch", 0, x86PerPte());
        // order-4: folio_pte_batch per folio: the first PTE comes from the copy loop's ptep_get, the generic
        // pte_batch_hint is 1 so the other 15 are each read by ptep_get in the scan: ptep_get = P.
        // One batch per folio (256): folio_ref_add once, folio_try_dup_anon_rmap_ptes once; wrprotect_ptes and
        // set_ptes are generic per-entry loops: P atomics, P stores.
        check("x86_64", "folio-batch", 4, expect("x86_64", "ptep_get", P, "pte_load", P, "pte_store", P, "pte_atomic", P,
            "batches", P / 16, "refcount_update", P / 16, "rmap_update", P / 16));
        // order-9: one folio per PTE table, the batch is capped by the table (max_nr) and the folio: 8 batches;
        // every PTE is still read (hint 1).
        check("x86_64", "folio-batch", 9, expect("x86_64", "ptep_get", P, "pte_load", P, "pte_store", P, "pte_atomic", P,
            "batches", T, "refcount_update", T, "rmap_update", T));
    }

    @Test
    void arm64Order0()
    {
        // No CONT anywhere: ptep_get is one raw load per PTE, wrprotect_ptes(nr=1) reads the entry once (the
        // read half of its cmpxchg, not a load) and finds no CONT: one cmpxchg.
        // legacy and folio-batch (single path) set the child with set_ptes(nr=1): the probe
        // contpte_try_unfold(__ptep_get(ptep)) is one more load per PTE (2P), a store, then contpte_try_fold: its
        // inline filter can pass at a block's last slot, but __contpte_try_fold returns at the folio-span check
        // (an order-0 folio never covers a block) before reading any entry: no fold, no extra load.
        final Map<String, Long> perPte = expect("arm64", "ptep_get", P, "pte_load", 2 * P, "pte_store", P, "pte_atomic", P,
            "batches", P, "refcount_update", P, "rmap_update", P);
        check("arm64", "legacy", 0, perPte);
        check("arm64", "folio-batch", 0, perPte);
        // contpte-basic differs from the batched backend only for nr > 1: order-0 is the same single path.
        check("arm64", "contpte-basic", 0, perPte);
        // arch-batch: pte_batch_remaining of a non-CONT PTE is 1; set_ptes_full(full=1) with nr=1 stores without
        // the unfold probe and without the fold check (the seed patch elided both for fork): P loads only.
        check("arm64", "arch-batch", 0, expect("arm64", "ptep_get", P, "pte_load", P, "pte_store", P, "pte_atomic", P,
            "batches", P, "refcount_update", P, "rmap_update", P));
    }

    /**
     * The gather of a young and dirty CONT block (6.18 contpte_ptep_get, which stops early): the wrapper's raw load
     * (caller-counted) sees valid+CONT; the gather then reads entry 0 of the block (dirty: mkdirty), and its inner
     * loop starts again at the same entry and reads it once more (young: mkyoung, break). So a gather costs 2
     * loads on top of the ptep_get's own: 3 per gathered ptep_get.
     */
    static final long GATHER_LOADS = 3;

    @Test
    void arm64LegacyUnfoldsEveryParentBlockAndRefoldsEveryChildBlock()
    {
        // Per block of 16 PTEs, one at a time:
        //  PTE 0: ptep_get gathers (3 loads, gather 1); wrprotect_ptes(nr=1) reads the entry, sees CONT and unfolds
        //         the block: contpte_convert = 16 xchg, DSB ISHST + one TLBI RVALE1IS (FEAT_TLBIRANGE) + DSB ISH,
        //         16 stores (unfold 1, tlbi_range 1, dsb 2); then its cmpxchg (1 atomic) succeeds at once: the
        //         unfolded entry equals the value read with CONT cleared (the block was uniformly young+dirty).
        //  PTEs 1..15: plain ptep_get (1 load each, no CONT any more), cmpxchg (1 atomic).
        //  child, every PTE: set_ptes(nr=1): probe load 1, store 1; at PTE 15 contpte_try_fold passes its filter
        //         (last slot, PFN 16-aligned group end, valid, not CONT) and __contpte_try_fold finds the folio
        //         covering the block, re-reads all 16 child entries (16 loads), all equal after mkold/mkclean, and
        //         folds: contpte_convert = 16 xchg, 16 stores, 1 TLBI range, 2 DSB (fold 1).
        // Per block: ptep_get 16, loads 3 + 15 + 16 + 16 = 50, atomics 16 + 16 + 16 = 48, stores 16 + 16 + 16 = 48,
        // tlbi_range 2, dsb 4, fold 1, unfold 1, gather 1; batches/refcount/rmap 16 (one copy_present_pte per PTE).
        // The same for order-9: a 2 MiB folio is 32 such blocks, and legacy never looks at folio sizes.
        for (final int order : new int[] {4, 9})
        {
            check("arm64", "legacy", order, expect("arm64",
                "ptep_get", P, "pte_load", 50 * B, "pte_store", 48 * B, "pte_atomic", 48 * B,
                "batches", P, "refcount_update", P, "rmap_update", P,
                "tlbi_range", 2 * B, "dsb", 4 * B + 2, "fold", B, "unfold", B, "gather", B));
        }
    }

    @Test
    void arm64ArchBatchCopiesWholeBlocks()
    {
        // pte_batch_remaining of a valid CONT PTE = the rest of its block (16 from a block start): one batch per
        // block, ptep_get once per batch (one gather: 3 loads). folio_ref_add(16) once; the seed patch dups the
        // rmap per page (page_try_dup_anon_rmap x 16). ptep_set_wrprotects(nr=16, full) write-protects the whole
        // block in place: 16 cmpxchg, CONT kept, no unfold, no TLBI. set_ptes_full(nr=16) = contpte_set_ptes:
        // 16 stores with CONT. No fold, no unfold. Same per block for order-9 (the batch is the block, not the folio).
        for (final int order : new int[] {4, 9})
        {
            check("arm64", "arch-batch", order, expect("arm64",
                "ptep_get", B, "pte_load", GATHER_LOADS * B, "pte_store", P, "pte_atomic", P,
                "batches", B, "refcount_update", B, "rmap_update", P, "gather", B));
        }
    }

    @Test
    void arm64FolioBatchSkipsWithTheHint()
    {
        // order-4: ptep_get at each folio's first PTE gathers (3 loads); folio_pte_batch starts with
        // pte_batch_hint = 16 - (slot % 16) = 16 = the folio: no entry is read in the scan. One batch per folio:
        // refcount 1, rmap 1 (folio_try_dup_anon_rmap_ptes), wrprotect_ptes(16): contpte_wrprotect_ptes on a whole
        // aligned block, no unfold: 16 cmpxchg; set_ptes(16): contpte_set_ptes, 16 stores with CONT.
        check("arm64", "folio-batch", 4, expect("arm64",
            "ptep_get", B, "pte_load", GATHER_LOADS * B, "pte_store", P, "pte_atomic", P,
            "batches", B, "refcount_update", B, "rmap_update", B, "gather", B));
        // order-9: per table (= folio), the first ptep_get and then one ptep_get per further block (the hint skips
        // 15 of every 16): 32 per table, each a gather: ptep_get = 8 x 32 = 256, loads 3 each. One batch per table.
        check("arm64", "folio-batch", 9, expect("arm64",
            "ptep_get", T * 32, "pte_load", GATHER_LOADS * T * 32, "pte_store", P, "pte_atomic", P,
            "batches", T, "refcount_update", T, "rmap_update", T, "gather", T * 32));
    }

    @Test
    void arm64ContpteBasicHasTheCliffOfTheThread()
    {
        // folio-batch's core loop on the functional-only backend: ptep_get still gathers and the hint still skips,
        // so the batches are folio-batch's; but every nr > 1 helper runs its nr == 1 path nr times:
        //  wrprotect_ptes(nr): PTE 0 of each block unfolds it (16 xchg, 16 stores, 1 TLBI range, 2 DSB), then one
        //    cmpxchg per PTE (16 atomics);
        //  set_ptes(nr): per PTE the probe load and a store; the block's last PTE passes the fold filter, re-reads
        //    16 entries and folds (16 xchg, 16 stores, 1 TLBI range, 2 DSB).
        // Per block: loads 16 probes + 16 fold reads (+ the gathers), atomics 48, stores 48, tlbi_range 2, dsb 4.
        final long perBlockLoads = 32;
        check("arm64", "contpte-basic", 4, expect("arm64",
            "ptep_get", B, "pte_load", GATHER_LOADS * B + perBlockLoads * B, "pte_store", 48 * B, "pte_atomic", 48 * B,
            "batches", B, "refcount_update", B, "rmap_update", B,
            "tlbi_range", 2 * B, "dsb", 4 * B + 2, "fold", B, "unfold", B, "gather", B));
        // order-9: the scan of a table reads the first PTE of each of its 32 blocks before any of them is touched
        // (all still CONT: 32 gathers per table); one batch per table.
        check("arm64", "contpte-basic", 9, expect("arm64",
            "ptep_get", T * 32, "pte_load", GATHER_LOADS * T * 32 + perBlockLoads * B, "pte_store", 48 * B,
            "pte_atomic", 48 * B, "batches", T, "refcount_update", T, "rmap_update", T,
            "tlbi_range", 2 * B, "dsb", 4 * B + 2, "fold", B, "unfold", B, "gather", T * 32));
    }

    @Test
    void everyConfigurationRan()
    {
        assertThat(RESULTS).hasSize(2 * 3 * 3 + 3);
    }
}
