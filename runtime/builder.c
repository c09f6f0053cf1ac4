/* runtime/builder.c — building an rt_table in memory from records.
 *
 * Owns rt_builder.  Records are appended column by column at their storage
 * width (so the builder holds about as much memory as the finished table);
 * strings are interned on the way in, 64 at a time (open-addressing hash
 * table over one byte arena), and stored as provisional codes in
 * first-seen order.
 *
 * rt_builder_finish then, in this order:
 *   1. sorts the distinct strings bytewise (memcmp; a prefix sorts first) and
 *      builds the table's one dictionary, remapping provisional codes to ranks;
 *   2. sorts the records by key with a stable radix sort over an
 *      order-preserving unsigned image of the key (so among equal keys the
 *      earliest added record comes first), skipped when already sorted;
 *   3. keeps the first record of every key, reporting later ones to on_dup;
 *   4. gathers the kept records into zeroed, 64-aligned blocks (rt_layout).
 * Steps 1 to 3 may be done earlier by rt_builder_prepare, while another
 * thread still adds events that intern no strings.
 * A nullable key (refused by the checker) orders as its stored zero value.
 * Allocation failure never crashes: the builder stops accepting records and
 * finish returns UINT64_MAX with an empty table. */
#include "builder.h"
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>


static uint32_t builder_hash(const char *s, size_t n) {
  uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ n;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 29;
    s += 8, n -= 8;
  }
  uint64_t w = 0;
  if (n) memcpy(&w, s, n);
  h = (h ^ w) * UINT64_C(0xc4ceb9fe1a85ec53);
  h ^= h >> 32;
  return (uint32_t)h;
}

void *builder_alloc(size_t n, size_t size) {
  if (size && n > (SIZE_MAX - 63) / size) return NULL;
  size_t bytes = (n * size + 63) & ~(size_t)63;
  void *p = aligned_alloc(64, bytes ? bytes : 64);
  if (p) memset(p, 0, bytes);
  return p;
}

rt_builder *rt_builder_new(const seg_schema *s) {
  rt_builder *b = builder_alloc(1, sizeof *b);
  if (!b) return NULL;
  b->schema = s;
  b->nfields = s ? s->nfields : 0;
  b->col = calloc((size_t)b->nfields + 1, sizeof *b->col);
  b->nulls = calloc((size_t)b->nfields + 1, sizeof *b->nulls);
  b->ht = calloc(1024, sizeof *b->ht);
  b->ht_mask = 1023;
  if (!b->col || !b->nulls || !b->ht) b->failed = true;
  pthread_mutex_init(&b->intern_lock, NULL);
  return b;
}

/* The events intern strings only for a string key or string event fields. */
static bool builder_events_intern(const rt_builder *b) {
  bool events_intern = b->schema && b->schema->key >= 0 && b->schema->fields[b->schema->key].type.kind == TY_STRING;
  for (int i = 0; b->schema && i < b->schema->nstreams; i++)
    for (int f = 0; f < b->schema->streams[i].nfields; f++) events_intern |= b->schema->streams[i].fields[f].type.kind == TY_STRING;
  return events_intern;
}

bool rt_builder_share(rt_builder *b, bool shared) {
  if (!b || b->failed) return false;
  if (shared && b->schema && b->schema->nstreams && !b->streams &&
      !(b->streams = builder_alloc((size_t)b->schema->nstreams, sizeof *b->streams)))
    return false;
  b->shared = shared && builder_events_intern(b);
  return true;
}

static bool builder_grow_rows(rt_builder *b) {
  uint64_t cap = b->cap ? b->cap * 2 : 1024;
  for (int f = 0; f < b->nfields; f++) {
    const seg_field *fd = &b->schema->fields[f];
    if (fd->type.kind == TY_STREAM) continue;
    size_t w = (size_t)ty_storage_width(fd->type.kind);
    uint8_t *c = realloc(b->col[f], cap * w);
    if (!c) return false;
    b->col[f] = c;
    if (fd->nullable) {
      uint8_t *nb = realloc(b->nulls[f], cap);
      if (!nb) return false;
      b->nulls[f] = nb;
    }
  }
  uint64_t *l = realloc(b->lines, cap * sizeof *l);
  if (!l) return false;
  b->lines = l;
  b->cap = cap;
  return true;
}

static bool builder_grow_ht(rt_builder *b) {
  uint32_t size = (b->ht_mask + 1) * 2;
  if (size == 0) return false;
  uint32_t *ht = calloc(size, sizeof *ht);
  if (!ht) return false;
  for (uint32_t id = 0; id < b->nstr; id++) {
    uint32_t i = b->str_hash[id] & (size - 1);
    while (ht[i]) i = (i + 1) & (size - 1);
    ht[i] = id + 1;
  }
  free(b->ht);
  b->ht = ht;
  b->ht_mask = size - 1;
  return true;
}

static bool builder_intern_hashed(rt_builder *b, const char *s, size_t n, uint32_t h, uint32_t *code);

/* Appends s[0 .. n) to the byte buffer *buf of *len bytes, growing it
 * (doubling, from `first` bytes) when it is full; false when out of memory. */
static bool builder_append(char **buf, size_t *len, size_t *cap, size_t first, const char *s, size_t n) {
  if (!*buf || *len + n > *cap) {
    size_t c = *cap ? *cap * 2 : first;
    while (c < *len + n) c *= 2;
    char *nb = realloc(*buf, c);
    if (!nb) return false;
    *buf = nb, *cap = c;
  }
  if (n) memcpy(*buf + *len, s, n);
  *len += n;
  return true;
}

/* Returns the provisional code of a string, adding it when new. */
bool builder_intern(rt_builder *b, const char *s, size_t n, uint32_t *code) {
  uint32_t h = builder_hash(s, n);
  if (!b->shared) return builder_intern_hashed(b, s, n, h, code);
  pthread_mutex_lock(&b->intern_lock);
  bool ok = builder_intern_hashed(b, s, n, h, code);
  pthread_mutex_unlock(&b->intern_lock);
  return ok;
}

/* Interns the waiting strings of added records (rt_builder_add) and
 * stores their codes.  Their hash-table slots, entries and bytes are
 * prefetched for all of them first, so that the cache misses overlap
 * instead of queueing: 3M strings of the 1M bench's customers in 0.26 s
 * one at a time, 0.11 s in batches of 64. */
static bool builder_flush(rt_builder *b) {
  uint32_t h[BUILDER_BATCH], slot[BUILDER_BATCH], codes[BUILDER_BATCH];
  int count = b->npend;
  b->npend = 0;
  if (b->shared) pthread_mutex_lock(&b->intern_lock);
  for (int i = 0; i < count; i++) {
    h[i] = builder_hash(b->pend_bytes + b->pend[i].off, b->pend[i].len);
    __builtin_prefetch(&b->ht[h[i] & b->ht_mask]);
  }
  for (int i = 0; i < count; i++) {
    slot[i] = b->ht[h[i] & b->ht_mask];
    if (!slot[i]) continue;
    __builtin_prefetch(&b->str_hash[slot[i] - 1]);
    __builtin_prefetch(&b->str_len[slot[i] - 1]);
    __builtin_prefetch(&b->str_off[slot[i] - 1]);
  }
  for (int i = 0; i < count; i++)
    if (slot[i] && b->str_hash[slot[i] - 1] == h[i]) __builtin_prefetch(b->arena + b->str_off[slot[i] - 1]);
  bool ok = true;
  for (int i = 0; i < count && ok; i++)
    ok = builder_intern_hashed(b, b->pend_bytes + b->pend[i].off, b->pend[i].len, h[i], &codes[i]);
  if (b->shared) pthread_mutex_unlock(&b->intern_lock);
  for (int i = 0; i < count && ok; i++) memcpy(b->col[b->pend[i].field] + b->pend[i].row * 4, &codes[i], 4);
  b->pend_len = 0;
  return ok;
}

/* Puts a string of record r's field f in line for builder_flush. */
static bool builder_defer(rt_builder *b, int f, uint64_t r, const char *s, size_t n) {
  if (n > UINT32_MAX || (b->npend == BUILDER_BATCH && !builder_flush(b))) return false;
  size_t off = b->pend_len;
  if (!builder_append(&b->pend_bytes, &b->pend_len, &b->pend_cap, 4096, s, n)) return false;
  b->pend[b->npend++] = (builder_pend){.field = (uint32_t)f, .len = (uint32_t)n, .row = r, .off = off};
  return true;
}

static bool builder_intern_hashed(rt_builder *b, const char *s, size_t n, uint32_t h, uint32_t *code) {
  if (n > UINT32_MAX) return false;
  uint32_t i = h & b->ht_mask;
  for (; b->ht[i]; i = (i + 1) & b->ht_mask) {
    uint32_t id = b->ht[i] - 1;
    if (b->str_hash[id] == h && b->str_len[id] == n && (n == 0 || memcmp(b->arena + b->str_off[id], s, n) == 0)) {
      *code = id;
      return true;
    }
  }
  if (b->nstr == UINT32_MAX - 1) return false;
  if (b->nstr == b->str_cap) {
    uint32_t cap = b->str_cap ? b->str_cap * 2 : 256;
    if (cap < b->str_cap) cap = UINT32_MAX - 1;
    uint64_t *o = realloc(b->str_off, (size_t)cap * sizeof *o);
    if (!o) return false;
    b->str_off = o;
    uint32_t *l = realloc(b->str_len, (size_t)cap * sizeof *l);
    if (!l) return false;
    b->str_len = l;
    uint32_t *hh = realloc(b->str_hash, (size_t)cap * sizeof *hh);
    if (!hh) return false;
    b->str_hash = hh;
    b->str_cap = cap;
  }
  size_t off = b->arena_len;
  if (!builder_append(&b->arena, &b->arena_len, &b->arena_cap, 65536, s, n)) return false;
  uint32_t id = b->nstr++;
  b->str_off[id] = off;
  b->str_len[id] = (uint32_t)n;
  b->str_hash[id] = h;
  b->ht[i] = id + 1;
  if ((uint64_t)b->nstr * 2 > b->ht_mask && !builder_grow_ht(b)) return false;
  *code = id;
  return true;
}

bool builder_store(rt_builder *b, const seg_field *fd, const rt_cell *c, uint8_t *p, uint8_t *nulls, uint64_t r) {
  bool null = c->null && fd->nullable;
  if (fd->nullable) nulls[r] = null;
  switch (fd->type.kind) {
  case TY_BOOL: p[r] = !null && c->i != 0; break;
  case TY_ENUM: p[r] = null ? 0 : (uint8_t)c->i; break;
  case TY_INT32:
  case TY_DATE: {
    int32_t v = null || c->null ? 0 : (int32_t)c->i;
    memcpy(p + r * 4, &v, 4);
    break;
  }
  case TY_STRING: {
    uint32_t code = 0;
    if (!null && !builder_intern(b, c->null ? "" : c->s ? c->s : "", c->null || !c->s ? 0 : c->len, &code))
      return false;
    memcpy(p + r * 4, &code, 4);
    break;
  }
  case TY_FLOAT64: {
    double v = null || c->null ? 0.0 : c->f;
    memcpy(p + r * 8, &v, 8);
    break;
  }
  default: {
    int64_t v = null || c->null ? 0 : c->i;
    memcpy(p + r * 8, &v, 8);
    break;
  }
  }
  return true;
}

void rt_builder_add(rt_builder *b, const rt_cell *cells, uint64_t line) {
  if (!b || b->failed) return;
  if (b->n == b->cap && !builder_grow_rows(b)) {
    b->failed = true;
    return;
  }
  uint64_t r = b->n;
  for (int f = 0; f < b->nfields; f++) {
    const seg_field *fd = &b->schema->fields[f];
    const rt_cell *c = &cells[f];
    if (fd->type.kind == TY_STREAM) continue;
    if (fd->type.kind == TY_STRING && !(c->null && fd->nullable)) { /* interned in batches */
      if (fd->nullable) b->nulls[f][r] = 0;
      bool text = !c->null && c->s;
      if (!builder_defer(b, f, r, text ? c->s : "", text ? c->len : 0)) {
        b->failed = true;
        return;
      }
      continue;
    }
    if (!builder_store(b, fd, c, b->col[f], b->nulls[f], r)) {
      b->failed = true;
      return;
    }
  }
  b->lines[r] = line;
  b->n++;
}

void rt_builder_free(rt_builder *b) {
  if (!b) return;
  pthread_mutex_destroy(&b->intern_lock);
  builder_events_free(b);
  for (int f = 0; f < b->nfields; f++) {
    if (b->col) free(b->col[f]);
    if (b->nulls) free(b->nulls[f]);
  }
  free(b->col);
  free(b->nulls);
  free(b->lines);
  free(b->arena);
  free(b->str_off);
  free(b->str_len);
  free(b->str_hash);
  free(b->ht);
  free(b->perm);
  free(b->keys);
  free(b->pend_bytes);
  free(b);
}

/* ---- 1. the dictionary ---- */

typedef struct { uint64_t prefix; uint32_t id; } builder_strkey;
static _Thread_local const rt_builder *builder_sorting;

static int builder_cmp_str(const void *pa, const void *pb) {
  const builder_strkey *a = pa, *b = pb;
  if (a->prefix != b->prefix) return a->prefix < b->prefix ? -1 : 1;
  const rt_builder *B = builder_sorting;
  uint32_t la = B->str_len[a->id], lb = B->str_len[b->id];
  if (la <= 8 || lb <= 8) return la < lb ? -1 : la > lb; /* equal prefixes: the shorter first */
  uint32_t m = la < lb ? la : lb;
  int c = memcmp(B->arena + B->str_off[a->id] + 8, B->arena + B->str_off[b->id] + 8, m - 8);
  if (c) return c;
  return la < lb ? -1 : la > lb;
}

/* Big-endian image of the first 8 bytes, zero-padded: orders like memcmp. */
static uint64_t builder_prefix(const char *s, uint32_t n) {
  uint64_t p = 0;
  for (uint32_t i = 0; i < 8; i++) p = (p << 8) | (i < n ? (uint8_t)s[i] : 0);
  return p;
}

static bool builder_dictionary(rt_builder *b, rt_table *out) {
  uint32_t n = b->nstr;
  builder_strkey *keys = malloc(((size_t)n + 1) * sizeof *keys);
  uint32_t *remap = malloc(((size_t)n + 1) * sizeof *remap);
  uint64_t *off = malloc(((size_t)n + 1) * sizeof *off);
  char *bytes = malloc(b->arena_len + 1);
  if (!keys || !remap || !off || !bytes) {
    free(keys), free(remap), free(off), free(bytes);
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    keys[i].prefix = builder_prefix(b->arena + b->str_off[i], b->str_len[i]);
    keys[i].id = i;
  }
  builder_sorting = b;
  qsort(keys, n, sizeof *keys, builder_cmp_str);
  builder_sorting = NULL;
  uint64_t pos = 0;
  for (uint32_t r = 0; r < n; r++) {
    uint32_t id = keys[r].id;
    remap[id] = r;
    off[r] = pos;
    if (b->str_len[id]) memcpy(bytes + pos, b->arena + b->str_off[id], b->str_len[id]);
    pos += b->str_len[id];
  }
  off[n] = pos;
  uint64_t words = (uint64_t)n / 64 + 1, *seen = calloc(words, sizeof *seen);
  out->dict_share = calloc((size_t)b->nfields + 1, 1);
  for (int f = 0; f < b->nfields; f++) {
    if (b->schema->fields[f].type.kind != TY_STRING) continue;
    uint8_t *p = b->col[f];
    const uint8_t *nb = b->nulls[f];
    for (uint64_t r = 0; r < b->n; r++) {
      if (nb && nb[r]) continue;
      uint32_t c;
      memcpy(&c, p + r * 4, 4);
      c = remap[c];
      memcpy(p + r * 4, &c, 4);
      if (seen) seen[c / 64] |= UINT64_C(1) << (c % 64);
    }
    if (!seen || !out->dict_share) continue; /* out of memory: the hint stays 0 */
    uint64_t used = 0;
    for (uint64_t w = 0; w < words; w++) used += (uint64_t)__builtin_popcountll(seen[w]);
    out->dict_share[f] = n ? (uint8_t)(used * 255 / n) : 0;
    memset(seen, 0, words * sizeof *seen);
  }
  free(seen);
  /* event codes to remap only then; otherwise events may still be coming in (rt_builder_prepare) */
  if (builder_events_intern(b)) builder_events_remap(b, remap);
  free(keys);
  free(remap);
  out->ndict = n;
  out->dict_off = out->owned_dict_off = off;
  out->dict_bytes = out->owned_dict_bytes = bytes;
  return true;
}

/* ---- 2. the key order ---- */


/* An unsigned image of a key value (its storage bits, widened as
 * rt_get_i64 does) that orders like the key itself. */
uint64_t builder_image(seg_tykind k, int64_t v) {
  const uint64_t sign = UINT64_C(1) << 63;
  switch (k) {
  case TY_BOOL:
  case TY_ENUM:
  case TY_STRING:
  case TY_SET: return (uint64_t)v;
  case TY_FLOAT64: {
    uint64_t u = (uint64_t)v;
    return (u & sign) ? ~u : u ^ sign;
  }
  default: return (uint64_t)v ^ sign;
  }
}

/* The image of record r's key. */
uint64_t builder_key_image(const rt_builder *b, int f, uint64_t r) {
  const uint8_t *p = b->col[f];
  seg_tykind k = b->schema->fields[f].type.kind;
  switch (ty_storage_width(k)) {
  case 1: return builder_image(k, p[r]);
  case 4: {
    if (k == TY_STRING) {
      uint32_t v;
      memcpy(&v, p + r * 4, 4);
      return builder_image(k, v);
    }
    int32_t v;
    memcpy(&v, p + r * 4, 4);
    return builder_image(k, v);
  }
  default: {
    int64_t v;
    memcpy(&v, p + r * 8, 8);
    return builder_image(k, v);
  }
  }
}

/* Fills perm with the kept records in key order; returns how many, or
 * UINT64_MAX when memory ran out.  *perm stays NULL when the kept records
 * are exactly the added ones in order. */
static uint64_t builder_order(rt_builder *b, uint64_t **perm, rt_dup_fn on_dup, void *user) {
  *perm = NULL;
  int kf = b->schema ? b->schema->key : -1;
  if (kf < 0 || kf >= b->nfields || b->schema->fields[kf].type.kind == TY_STREAM || b->n == 0)
    return b->n;
  bool sorted = true;
  uint64_t prev = 0;
  for (uint64_t r = 0; r < b->n && sorted; r++) {
    uint64_t k = builder_key_image(b, kf, r);
    if (r && k <= prev) sorted = false;
    prev = k;
  }
  if (sorted) return b->n; /* strictly ascending: nothing to sort or drop */
  builder_kv *kv = malloc((size_t)b->n * sizeof *kv);
  uint64_t *p = malloc((size_t)b->n * sizeof *p);
  /* the kept keys in order, for matching the events with (when there are
     streams): here they are read in order, there they would be read through p */
  uint64_t *keys = b->schema->nstreams ? malloc((size_t)b->n * sizeof *keys) : NULL;
  if (!kv || !p || (b->schema->nstreams && !keys)) {
    free(kv), free(p), free(keys);
    return UINT64_MAX;
  }
  for (uint64_t r = 0; r < b->n; r++) kv[r] = (builder_kv){builder_key_image(b, kf, r), r};
  if (!builder_radix_sort(kv, b->n)) {
    free(kv), free(p), free(keys);
    return UINT64_MAX;
  }
  uint64_t kept = 0, first = 0;
  for (uint64_t i = 0; i < b->n; i++) {
    if (i > 0 && kv[i].key == kv[i - 1].key) {
      if (on_dup) on_dup(user, b->lines[kv[i].idx], b->lines[first]);
      continue;
    }
    first = kv[i].idx;
    if (keys) keys[kept] = kv[i].key;
    p[kept++] = kv[i].idx;
  }
  free(kv);
  *perm = p;
  b->keys = keys;
  return kept;
}

/* ---- 3. the blocks ---- */

/* The blocks are built a part at a time by every core: with the records
 * in key order (perm) each value is a random read, and the cores' misses
 * overlap (10M customers, 1.1 GB of blocks: 5.6 s on one thread). */
#define BLOCKS_PART 16

typedef struct blocks_job {
  const rt_builder *b;
  const rt_layout *l;
  uint8_t *blocks;
  const uint64_t *perm;
  uint64_t kept, nblocks;
  atomic_uint_fast64_t next;
} blocks_job;

/* Blocks [blk0, blk1): zeroed, then every field's values gathered in */
static void blocks_part(const blocks_job *j, uint64_t blk0, uint64_t blk1) {
  const rt_builder *b = j->b;
  const rt_layout *l = j->l;
  memset(j->blocks + blk0 * l->block_bytes, 0, (size_t)(blk1 - blk0) * l->block_bytes);
  for (int f = 0; f < b->nfields; f++) {
    const seg_field *fd = &b->schema->fields[f];
    if (fd->type.kind == TY_STREAM) continue;
    size_t w = (size_t)ty_storage_width(fd->type.kind);
    const uint8_t *src = b->col[f], *nsrc = b->nulls[f];
    for (uint64_t blk = blk0; blk < blk1; blk++) {
      uint8_t *base = j->blocks + blk * l->block_bytes;
      uint8_t *dv = base + l->val_off[f];
      uint8_t *dn = l->null_off[f] == RT_NO_NULLS ? NULL : base + l->null_off[f];
      uint64_t r0 = blk * RT_BLOCK, cnt = j->kept - r0 < RT_BLOCK ? j->kept - r0 : RT_BLOCK;
      if (!j->perm) {
        memcpy(dv, src + r0 * w, cnt * w);
        if (dn && nsrc) memcpy(dn, nsrc + r0, cnt);
        continue;
      }
      const uint64_t *pp = j->perm + r0;
      switch (w) {
      case 1: for (uint64_t i = 0; i < cnt; i++) dv[i] = src[pp[i]]; break;
      case 4: for (uint64_t i = 0; i < cnt; i++) memcpy(dv + i * 4, src + pp[i] * 4, 4); break;
      default: for (uint64_t i = 0; i < cnt; i++) memcpy(dv + i * 8, src + pp[i] * 8, 8); break;
      }
      if (dn && nsrc)
        for (uint64_t i = 0; i < cnt; i++) dn[i] = nsrc[pp[i]];
    }
  }
}

static void *blocks_worker(void *arg) {
  blocks_job *j = arg;
  for (;;) {
    uint64_t blk0 = atomic_fetch_add(&j->next, 1) * BLOCKS_PART;
    if (blk0 >= j->nblocks) return NULL;
    blocks_part(j, blk0, blk0 + BLOCKS_PART < j->nblocks ? blk0 + BLOCKS_PART : j->nblocks);
  }
}

static bool builder_blocks(rt_builder *b, rt_table *out, const uint64_t *perm, uint64_t kept) {
  const rt_layout *l = &out->layout;
  out->nrecords = kept;
  out->nblocks = (kept + RT_BLOCK - 1) / RT_BLOCK;
  if (out->nblocks == 0) return true;
  if (l->block_bytes == 0) return b->nfields == 0 ? (out->nblocks = 0, true) : false;
  if (out->nblocks > SIZE_MAX / l->block_bytes) return false;
  size_t size = (size_t)out->nblocks * l->block_bytes;
  void *mem = NULL;
  if (posix_memalign(&mem, 64, size) != 0) return false;
  blocks_job j = {.b = b, .l = l, .blocks = mem, .perm = perm, .kept = kept, .nblocks = out->nblocks};
  atomic_init(&j.next, 0);
  uint64_t parts = (out->nblocks + BLOCKS_PART - 1) / BLOCKS_PART;
  int threads = rt_cpus();
  rt_parallel(parts < (uint64_t)threads ? (int)parts : threads, blocks_worker, &j);
  out->blocks = mem;
  out->owned_blocks = mem;
  return true;
}

/* The blocks and the events are built at the same time: both only read the
 * builder, and they write different parts of `out`. */
typedef struct finish_job {
  rt_builder *b;
  rt_table *out;
  const uint64_t *perm;
  uint64_t kept;
  void *user;
  atomic_int next; /* 0: the blocks, 1: the events */
  bool blocks_ok, events_ok;
} finish_job;

static void *finish_worker(void *arg) {
  finish_job *j = arg;
  for (int task; (task = atomic_fetch_add(&j->next, 1)) < 2;)
    if (task == 0) j->blocks_ok = j->b->blocks_built ? j->b->blocks_ok : builder_blocks(j->b, j->out, j->perm, j->kept);
    else j->events_ok = builder_events_finish(j->b, j->out, j->perm, j->kept, j->user);
  return NULL;
}

/* The dictionary and the key order into b->perm and b->kept: rt_builder_prepare, or the start of finishing. */
static bool builder_prepare(rt_builder *b, rt_table *out, rt_dup_fn on_dup, void *user) {
  memset(out, 0, sizeof *out);
  out->schema = b->schema;
  b->prepared = true;
  b->kept = UINT64_MAX;
  if (!b->schema || (b->npend && !builder_flush(b))) return false;
  rt_layout_init(&out->layout, b->schema);
  if (b->nfields > 0 && out->layout.nfields == 0) return false;
  if (!builder_dictionary(b, out)) return false;
  b->kept = builder_order(b, &b->perm, on_dup, user);
  return b->kept != UINT64_MAX;
}

bool rt_builder_prepare(rt_builder *b, rt_table *out, rt_dup_fn on_dup, void *user) {
  if (!b || b->shared || b->prepared) return false; /* shared: the events' strings are not all in */
  if (!builder_prepare(b, out, on_dup, user)) return false;
  /* the record blocks need nothing of the events either */
  b->blocks_ok = builder_blocks(b, out, b->perm, b->kept);
  b->blocks_built = true;
  return b->blocks_ok;
}

uint64_t rt_builder_finish(rt_builder *b, rt_table *out, rt_dup_fn on_dup, void *user) {
  if (!b) {
    memset(out, 0, sizeof *out);
    return UINT64_MAX;
  }
  if (!b->prepared && b->failed) {
    memset(out, 0, sizeof *out);
    out->schema = b->schema;
  } else if (!b->prepared) {
    builder_prepare(b, out, on_dup, user);
  }
  uint64_t kept = UINT64_MAX;
  if (!b->failed && b->prepared && b->kept != UINT64_MAX) {
    finish_job j = {.b = b, .out = out, .perm = b->perm, .kept = b->kept, .user = user};
    atomic_init(&j.next, 0);
    rt_parallel(b->schema->nstreams > 0 ? 2 : 1, finish_worker, &j);
    if (j.blocks_ok && j.events_ok) kept = b->kept;
  }
  rt_builder_free(b);
  if (kept == UINT64_MAX) {
    const seg_schema *s = out->schema;
    rt_table_free(out);
    out->schema = s;
  }
  return kept;
}
