/* runtime/exec.c — the executor (see exec.h).
 *
 * Blocks are handed out by an atomic counter, so threads balance themselves.
 * A block's outputs land in a per-thread buffer as bitmaps (pack_out_true),
 * then are counted, and when the caller keeps them (keep_bits, to write the
 * members out) copied into the shared bitmaps: a block covers RT_BLOCK/64
 * whole words, so threads never write the same word.  Counting alone
 * allocates no bitmaps. */
#include "exec.h"

#include "lift_rows.h"
#include "lifts.h"
#include "parallel.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define EXEC_VPOPCNT 1
#endif

typedef struct shared {
  const seg_pack *pk;
  const rt_table *t;
  const exec_options *opt;
  exec_result *res;
  pack_ctx base;
  lift_tables lifts;
  atomic_uint_fast64_t next_block;
  int nthreads;
  struct worker *ws;        /* [nthreads] */
  atomic_int next_worker;   /* the next share's worker (work_share) */
  bool vpopcnt;             /* count_full can run */
} shared;

typedef struct worker {
  shared *sh;
  interp it;
  uint64_t *counts, *unknown;
  uint8_t *bad_values; /* pack_ctx.bad_values: per field */
  bool failed;
} worker;

int exec_default_threads(void) { return rt_cpus(); }

static int64_t slow_eval(void *user, int64_t expr, int64_t row, uint8_t *isnull) {
  worker *w = user;
  const ast *n = w->sh->pk->slow[expr];
  w->it.row = (uint64_t)row;
  ival v = interp_eval(&w->it, n);
  interp_reset(&w->it);
  *isnull = v.null;
  return interp_slot(v, n->type);
}

/* The set bits of a full block's two bitmaps of an output, eight words an
 * instruction where the CPU counts bits in vectors (AVX-512 VPOPCNTDQ):
 * counting the 55 outputs of the bench's attribute pack at 10M customers
 * took 8 ms a word at a time.  With `words`, the TRUE bitmap is also
 * stored there, past the caches (streaming stores: the shared bitmaps are
 * read again only after the run, and their lines need not be read in
 * first); the worker fences them when it is done. */
#ifdef EXEC_VPOPCNT
__attribute__((target("avx512f,avx512vpopcntdq"))) static void count_full(const uint64_t *t, const uint64_t *u,
                                                                         uint64_t *total, uint64_t *unk,
                                                                         uint64_t *words) {
  __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
  for (unsigned i = 0; i < RT_BLOCK / 64; i += 8) {
    __m512i x = _mm512_loadu_si512((const void *)(t + i));
    if (words) _mm512_stream_si512((void *)(words + i), x);
    a = _mm512_add_epi64(a, _mm512_popcnt_epi64(x));
    b = _mm512_add_epi64(b, _mm512_popcnt_epi64(_mm512_loadu_si512((const void *)(u + i))));
  }
  *total = (uint64_t)_mm512_reduce_add_epi64(a);
  *unk = (uint64_t)_mm512_reduce_add_epi64(b);
}
#endif

/* A block's output bitmaps to the thread's counts, and for keep_bits to the
 * shared bitmaps (for keep_bytes, also one byte per record).  The bitmaps
 * cover the whole block, so the last partial word is masked.  Built twice on x86-64, with
 * and without the popcnt instruction, and picked when the program loads. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("popcnt", "default")))
#endif
static void emit_block(worker *w, uint64_t b, uint32_t count, uint8_t *out) {
  const seg_pack *pk = w->sh->pk;
  exec_result *res = w->sh->res;
  uint32_t nwords = (count + 63) / 64;
  uint64_t last = count % 64 ? (UINT64_C(1) << (count % 64)) - 1 : ~UINT64_C(0);
  for (int k = 0; k < res->noutputs; k++) {
    const uint64_t *t = pack_out_true(out, k), *u = pack_out_unknown(pk, out, k);
    uint64_t *words = res->bits ? res->bits[k] + b * (RT_BLOCK / 64) : NULL, total = 0, unk = 0;
    uint32_t left = nwords; /* words still to count */
#ifdef EXEC_VPOPCNT
    if (w->sh->vpopcnt && count == RT_BLOCK) {
      count_full(t, u, &total, &unk, words);
      left = 0;
    }
#endif
    for (uint32_t i = 0; i < left; i++) {
      uint64_t keep = i + 1 == nwords ? last : ~UINT64_C(0);
      if (words) words[i] = t[i] & keep;
      total += (uint64_t)__builtin_popcountll(t[i] & keep);
      unk += (uint64_t)__builtin_popcountll(u[i] & keep);
    }
    w->counts[k] += total;
    w->unknown[k] += unk;
    if (res->bytes)
      for (uint32_t i = 0; i < count; i++)
        res->bytes[k][b * RT_BLOCK + i] = t[i / 64] >> (i % 64) & 1 ? OUT_TRUE : u[i / 64] >> (i % 64) & 1 ? OUT_UNKNOWN : OUT_FALSE;
  }
}

/* The block's bytes of each boolean lift table of a string field
 * (pack_ctx.lift_rows), for all RT_BLOCK records (the padding ones hold
 * valid codes; lift_rows.c).  A tight loop of independent loads keeps many
 * cache misses in flight; inside the main loops, a gather from the table of
 * a field with many distinct values (a byte per value) waited on them a few
 * at a time. */
static void fill_lift_rows(const seg_pack *pk, const pack_ctx *ctx, const lift_tables *tab, lift_one *one,
                           const uint8_t *block, uint8_t *const *rows) {
  for (int t = 0; t < pk->nlifts; t++) {
    if (!rows[t]) continue;
    int f = pk->lifts[t].field;
    const uint8_t *vals = ctx->lift_vals[t];
    const uint32_t *codes = (const uint32_t *)(const void *)(block + pk->layout.val_off[f]);
    const uint8_t *nulls = pk->layout.null_off[f] != RT_NO_NULLS ? block + pk->layout.null_off[f] : NULL;
    uint8_t *out = rows[t];
    if (tab->lazy[t]) { /* made here the first time a code comes */
      for (int i = 0; i < RT_BLOCK; i++) {
        uint32_t c = nulls && nulls[i] ? (uint32_t)ctx->ndict : codes[i];
        uint8_t v = __atomic_load_n(vals + c, __ATOMIC_RELAXED);
        out[i] = v ? (uint8_t)(v ^ LIFT_MADE) : lift_one_byte(one, t, c);
      }
    } else if (tab->compact[t]) {
      _Static_assert(OUT_FALSE == 0 && OUT_TRUE == 1, "lift_rows_compact widens a lift's bit as OUT_FALSE or OUT_TRUE");
      lift_rows_compact(vals, codes, nulls, vals[lift_null_byte((uint32_t)ctx->ndict)], out);
    } else {
      lift_rows_bytes(vals, codes, nulls, (uint32_t)ctx->ndict, out);
    }
  }
}

static void *work(void *arg) {
  worker *w = arg;
  shared *sh = w->sh;
  const seg_pack *pk = sh->pk;
  size_t nbytes = pack_out_bytes(pk), block_bytes = (sh->t->layout.block_bytes + 63u) / 64u * 64u;
  uint8_t *out = aligned_alloc(64, nbytes), *padded = aligned_alloc(64, block_bytes ? block_bytes : 64);
  uint8_t **rows = calloc((size_t)pk->nlifts + 1, sizeof *rows), *rows_mem = NULL;
  int nrows = 0;
  for (int t = 0; !sh->opt->interpreter && rows && t < pk->nlifts; t++) nrows += pack_lift_rows_table(pk, t);
  if (nrows) rows_mem = aligned_alloc(64, (size_t)nrows * RT_BLOCK);
  for (int t = 0, r = 0; rows_mem && t < pk->nlifts; t++)
    if (pack_lift_rows_table(pk, t)) rows[t] = rows_mem + (size_t)r++ * RT_BLOCK;
  bool lazy = false;
  for (int t = 0; sh->lifts.lazy && t < pk->nlifts; t++) lazy |= sh->lifts.lazy[t];
  lift_one *one = lazy ? lift_one_new(pk, sh->t, sh->opt, &sh->lifts) : NULL;
  if (!out || !padded || !rows || (nrows && !rows_mem) || (lazy && !one)) {
    free(out);
    free(padded);
    free(rows);
    free(rows_mem);
    lift_one_free(one);
    w->failed = true;
    return NULL;
  }
  memset(out, 0, nbytes); /* the padding records read the aggregates' scratch too */
  pack_ctx ctx = sh->base;
  ctx.slow_user = w;
  ctx.lift_rows = (const uint8_t *const *)rows;
  ctx.bad_values = w->bad_values;
  for (;;) {
    uint64_t b = atomic_fetch_add(&sh->next_block, 1);
    if (b >= sh->t->nblocks) break;
    uint32_t count = rt_block_count(sh->t, b);
    if (sh->opt->interpreter) {
      memset(out, 0, pack_scratch_offset(pk));
      for (uint32_t i = 0; i < count; i++) {
        w->it.row = b * RT_BLOCK + i;
        for (int k = 0; k < pk->noutputs; k++) {
          int truth = interp_truth(interp_eval(&w->it, pk->outputs[k].expr));
          if (pk->outputs[k].is_segment && truth == TRUTH_UNKNOWN) truth = TRUTH_FALSE;
          uint64_t *map = truth == TRUTH_TRUE ? pack_out_true(out, k) : pack_out_unknown(pk, out, k);
          if (truth != TRUTH_FALSE) map[i / 64] |= UINT64_C(1) << (i % 64);
        }
        interp_reset(&w->it);
      }
    } else {
      ctx.first_row = (int64_t)(b * RT_BLOCK);
      ctx.ahead = rt_block(sh->t, b + sh->nthreads < sh->t->nblocks ? b + sh->nthreads : b);
      const uint8_t *block = rt_block_padded(sh->t, b, padded);
      fill_lift_rows(pk, &ctx, &sh->lifts, one, block, rows);
      pack_run(pk, block, count, &ctx, out);
    }
    emit_block(w, b, count, out);
  }
#ifdef EXEC_VPOPCNT
  _mm_sfence(); /* count_full's stores to the shared bitmaps */
#endif
  free(out);
  free(padded);
  free(rows);
  free(rows_mem);
  lift_one_free(one);
  return NULL;
}

/* One share of rt_parallel: the next worker's part of the blocks. */
static void *work_share(void *arg) {
  shared *sh = arg;
  int i = atomic_fetch_add(&sh->next_worker, 1);
  if (i < sh->nthreads) work(&sh->ws[i]);
  return NULL;
}

/* res->bits: every output's bitmap in one allocation, in 2 MB pages where
 * the kernel has them (the first writes fault a few large pages, not a
 * page per 4 KB: 1,700 of them for 55 outputs over 1M records).  With
 * several threads they map the pages in (the kernel zeroes each) a share
 * each first; otherwise zeroing the last block's words below maps most of
 * them in on one thread (5-7 ms at 10M customers).  Only the last block's
 * words are zeroed here; the blocks write all their others. */
static bool bitmaps_alloc(exec_result *res, uint64_t nblocks, int nthreads) {
  size_t words = (size_t)nblocks * (RT_BLOCK / 64), stride = (words + 7) & ~(size_t)7, huge = (size_t)2 << 20;
  if (res->noutputs && stride > (SIZE_MAX - huge) / sizeof(uint64_t) / (size_t)res->noutputs) return false;
  size_t bytes = ((size_t)res->noutputs * stride * sizeof(uint64_t) + huge) & ~(huge - 1);
  if (posix_memalign(&res->bits_mem, huge, bytes) != 0) return res->bits_mem = NULL, false;
#ifdef MADV_HUGEPAGE
  madvise(res->bits_mem, bytes, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
  if (nthreads > 1) rt_parallel_madvise(res->bits_mem, bytes, huge, MADV_POPULATE_WRITE, nthreads);
#endif
  size_t tail = nblocks ? (nblocks - 1) * (RT_BLOCK / 64) : 0;
  for (int k = 0; k < res->noutputs; k++) {
    res->bits[k] = (uint64_t *)res->bits_mem + (size_t)k * stride;
    memset(res->bits[k] + tail, 0, (stride - tail) * sizeof(uint64_t));
  }
  return true;
}

bool exec_run(const seg_pack *pk, const rt_table *t, const exec_options *opt, exec_result *res, char *err,
              size_t errlen) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  memset(res, 0, sizeof *res);
  if (!opt->interpreter && !pk->units) {
    snprintf(err, errlen, "the pack is not compiled");
    return false;
  }
  if (t->schema && t->schema->nstreams && (t->nstreams != t->schema->nstreams || !t->streams)) {
    snprintf(err, errlen, "the data has no events for the schema's streams");
    return false;
  }
  res->noutputs = pk->noutputs;
  res->nrecords = t->nrecords;
  res->counts = calloc((size_t)pk->noutputs + 1, sizeof(uint64_t));
  res->unknown = calloc((size_t)pk->noutputs + 1, sizeof(uint64_t));
  if (opt->keep_bits) res->bits = calloc((size_t)pk->noutputs + 1, sizeof(uint64_t *));
  if (opt->keep_bytes) res->bytes = calloc((size_t)pk->noutputs + 1, sizeof(uint8_t *));
  bool ok = res->counts && res->unknown && (!opt->keep_bits || res->bits) && (!opt->keep_bytes || res->bytes);
  int nthreads = opt->threads > 0 ? opt->threads : exec_default_threads();
  if ((uint64_t)nthreads > t->nblocks) nthreads = t->nblocks ? (int)t->nblocks : 1;
  ok = ok && (!opt->keep_bits || bitmaps_alloc(res, t->nblocks, nthreads));
  for (int k = 0; ok && opt->keep_bytes && k < pk->noutputs; k++)
    ok = (res->bytes[k] = calloc(t->nblocks * RT_BLOCK + 1, 1)) != NULL;
  int nconsts = pk->prog->consts.n;
  int64_t *consts = calloc((size_t)nconsts + 1, sizeof(int64_t));
  for (int i = 0; ok && i < nconsts; i++) consts[i] = interp_slot(opt->consts[i], ((seg_const *)pk->prog->consts.items[i])->type);
  lift_tables lifts = {0};
  if (ok && !opt->interpreter) ok = lifts_make(pk, t, opt, &lifts);
  if (!ok || !consts) {
    snprintf(err, errlen, "out of memory for %llu records and %d outputs", (unsigned long long)t->nrecords, pk->noutputs);
    free(consts);
    lifts_free(pk, &lifts);
    exec_result_free(res);
    return false;
  }
  shared sh = {.pk = pk, .t = t, .opt = opt, .res = res, .lifts = lifts};
#ifdef EXEC_VPOPCNT
  sh.vpopcnt = __builtin_cpu_supports("avx512vpopcntdq");
#endif
  int64_t *str_codes = calloc((size_t)pk->nstrlits + 1, sizeof(int64_t));
  for (int k = 0; str_codes && k < pk->nstrlits; k++) {
    bool found;
    uint32_t pos = rt_dict_lower_bound(t, pk->strlits[k]->name, pk->strlits[k]->len, &found);
    str_codes[k] = found ? 2 * (int64_t)pos : 2 * (int64_t)pos - 1;
  }
  int64_t *prefix_codes = calloc(2 * (size_t)pk->nprefixes + 1, sizeof(int64_t));
  for (int k = 0; prefix_codes && k < pk->nprefixes; k++) {
    uint32_t lo, hi;
    rt_dict_prefix_range(t, pk->prefixes[k].text, pk->prefixes[k].len, &lo, &hi);
    prefix_codes[2 * k] = lo, prefix_codes[2 * k + 1] = hi;
  }
  sh.base = (pack_ctx){.now = opt->now, .consts = consts, .lift_vals = (const void *const *)lifts.vals,
                       .lift_nulls = (const uint8_t *const *)lifts.nulls, .ndict = t->ndict, .slow_eval = slow_eval,
                       .streams = t->streams, .str_codes = str_codes, .prefix_codes = prefix_codes};
  atomic_init(&sh.next_block, 0);
  sh.nthreads = nthreads;
  worker *ws = calloc((size_t)nthreads, sizeof(worker));
  bool failed = !ws;
  for (int i = 0; ws && i < nthreads; i++) {
    ws[i].sh = &sh;
    interp_init(&ws[i].it, pk->prog, t, opt->now, opt->consts);
    ws[i].counts = calloc((size_t)pk->noutputs + 1, sizeof(uint64_t));
    ws[i].unknown = calloc((size_t)pk->noutputs + 1, sizeof(uint64_t));
    ws[i].bad_values = calloc((size_t)t->schema->nfields + 1, 1);
    failed |= !ws[i].counts || !ws[i].unknown || !ws[i].bad_values;
  }
  if (!failed) {
    sh.ws = ws;
    atomic_init(&sh.next_worker, 0);
    rt_parallel(nthreads, work_share, &sh);
  }
  int bad_field = -1; /* a stored value the code found out of range (lower_ratio.c) */
  for (int i = 0; ws && i < nthreads; i++)
    for (int f = 0; ws[i].bad_values && bad_field < 0 && f < t->schema->nfields; f++)
      if (ws[i].bad_values[f]) bad_field = f;
  for (int i = 0; ws && i < nthreads; i++) {
    failed |= ws[i].failed;
    for (int k = 0; !failed && k < pk->noutputs; k++) {
      res->counts[k] += ws[i].counts[k];
      res->unknown[k] += ws[i].unknown[k];
    }
    free(ws[i].counts);
    free(ws[i].unknown);
    free(ws[i].bad_values);
    interp_reset(&ws[i].it);
  }
  free(ws);
  free(consts);
  free(str_codes);
  free(prefix_codes);
  lifts_free(pk, &lifts);
  if (failed || !str_codes || !prefix_codes) {
    snprintf(err, errlen, "out of memory for the worker threads");
    exec_result_free(res);
    return false;
  }
  if (bad_field >= 0) {
    const seg_field *f = &t->schema->fields[bad_field];
    snprintf(err, errlen, "%s is corrupt: field \"%s\" holds a value with more digits than decimal(%d,%d) allows",
             opt->source ? opt->source : "the data", f->name, f->type.prec, f->type.scale);
    exec_result_free(res);
    return false;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  return true;
}

void exec_result_free(exec_result *res) {
  for (int k = 0; res->bytes && k < res->noutputs; k++) free(res->bytes[k]);
  free(res->bits_mem);
  free(res->bits);
  free(res->bytes);
  free(res->counts);
  free(res->unknown);
  memset(res, 0, sizeof *res);
}
