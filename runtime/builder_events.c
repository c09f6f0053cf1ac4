/* runtime/builder_events.c — the events of a table's streams, from the
 * order they arrive in to per-customer ranges in time order.
 *
 * Events are appended per stream, column by column like records, with their
 * customer's key (a string key is interned like any string).  At finish,
 * after the records are sorted by key:
 *   1. the events are sorted by their key's order-preserving image (a stable
 *      radix sort, so a customer's events keep the order they were added)
 *      and walked together with the kept records' sorted keys: each event
 *      finds its customer, and an event that matches none is reported to
 *      on_orphan (in the order added) and dropped;
 *   2. the events' fields are packed side by side into rows, and the rows
 *      gathered in table order (one random read per event), a customer at
 *      a time, into the builder's own columns, which become the table's
 *      rt_stream columns; each customer's events are put in order by the
 *      stream's order field on the way, ties kept in the order added.
 *      Both share the work between all cores. */
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "builder.h"
#include "parallel.h"

void rt_builder_on_orphan(rt_builder *b, rt_orphan_fn fn) {
  if (b) b->on_orphan = fn;
}

static bool events_grow(const seg_stream *st, builder_stream *e) {
  uint64_t cap = e->cap ? e->cap * 2 : 1024;
  builder_kv *k = realloc(e->kv, cap * sizeof *k);
  if (!k) return false;
  e->kv = k;
  uint64_t *l = realloc(e->lines, cap * sizeof *l);
  if (!l) return false;
  e->lines = l;
  if (!e->col) {
    e->col = calloc((size_t)st->nfields + 1, sizeof *e->col);
    e->nulls = calloc((size_t)st->nfields + 1, sizeof *e->nulls);
    if (!e->col || !e->nulls) return false;
  }
  for (int f = 0; f < st->nfields; f++) {
    uint8_t *c = realloc(e->col[f], cap * (size_t)ty_storage_width(st->fields[f].type.kind));
    if (!c) return false;
    e->col[f] = c;
    if (st->fields[f].nullable) {
      uint8_t *nb = realloc(e->nulls[f], cap);
      if (!nb) return false;
      e->nulls[f] = nb;
    }
  }
  e->cap = cap;
  return true;
}

void rt_builder_add_event(rt_builder *b, int stream, const rt_cell *key, const rt_cell *cells, uint64_t line) {
  if (!b || b->failed || !b->schema || stream < 0 || stream >= b->schema->nstreams || b->schema->key < 0) return;
  if (!b->streams && !(b->streams = builder_alloc((size_t)b->schema->nstreams, sizeof *b->streams))) {
    b->failed = true;
    return;
  }
  const seg_stream *st = &b->schema->streams[stream];
  builder_stream *e = &b->streams[stream];
  if (e->n == e->cap && !events_grow(st, e)) {
    b->failed = true;
    return;
  }
  uint64_t r = e->n;
  seg_tykind kk = b->schema->fields[b->schema->key].type.kind;
  int64_t k = key->i;
  if (kk == TY_STRING) {
    uint32_t code;
    if (!builder_intern(b, key->s ? key->s : "", key->s ? key->len : 0, &code)) {
      b->failed = true;
      return;
    }
    k = code;
  }
  e->kv[r] = (builder_kv){builder_image(kk, k), r};
  for (int f = 0; f < st->nfields; f++)
    if (!builder_store(b, &st->fields[f], &cells[f], e->col[f], e->nulls[f], r)) {
      b->failed = true;
      return;
    }
  e->lines[r] = line;
  e->n++;
}

void builder_events_remap(rt_builder *b, const uint32_t *remap) {
  if (!b->streams) return;
  bool string_key = b->schema->key >= 0 && b->schema->fields[b->schema->key].type.kind == TY_STRING;
  for (int s = 0; s < b->schema->nstreams; s++) {
    const seg_stream *st = &b->schema->streams[s];
    builder_stream *e = &b->streams[s];
    if (!e->n) continue;
    if (string_key)
      for (uint64_t i = 0; i < e->n; i++) e->kv[i].key = remap[e->kv[i].key];
    for (int f = 0; f < st->nfields; f++) {
      if (st->fields[f].type.kind != TY_STRING) continue;
      uint8_t *p = e->col[f];
      const uint8_t *nb = e->nulls[f];
      for (uint64_t i = 0; i < e->n; i++) {
        if (nb && nb[i]) continue;
        uint32_t c;
        memcpy(&c, p + i * 4, 4);
        c = remap[c];
        memcpy(p + i * 4, &c, 4);
      }
    }
  }
}

void builder_events_free(rt_builder *b) {
  if (!b->streams) return;
  for (int s = 0; s < b->schema->nstreams; s++) {
    builder_stream *e = &b->streams[s];
    for (int f = 0; e->col && f < b->schema->streams[s].nfields; f++) {
      free(e->col[f]);
      free(e->nulls[f]);
    }
    free(e->col);
    free(e->nulls);
    free(e->kv);
    free(e->lines);
  }
  free(b->streams);
  b->streams = NULL;
}

/* The stored value of event i in column f, widened to int64 (float64 as its bits). */
static int64_t events_value(const seg_field *fd, const uint8_t *p, uint64_t i) {
  switch (ty_storage_width(fd->type.kind)) {
  case 1: return p[i];
  case 4: {
    int32_t v;
    memcpy(&v, p + i * 4, 4);
    return v;
  }
  default: {
    int64_t v;
    memcpy(&v, p + i * 8, 8);
    return v;
  }
  }
}

typedef struct { int64_t t; uint64_t i; } events_tkey;

/* Gathers in table order read the added events at random (they arrive in
 * time order, not by customer): each read is prefetched this many ahead. */
#define EVENTS_PREFETCH 16

static int events_cmp_time(const void *pa, const void *pb) {
  const events_tkey *a = pa, *b = pb;
  if (a->t != b->t) return a->t < b->t ? -1 : 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

static bool events_keep(rt_table *out, void *p) {
  void **v = realloc(out->owned_stream_mem, sizeof *v * (size_t)(out->nowned_stream_mem + 1));
  if (!v) {
    free(p);
    return false;
  }
  out->owned_stream_mem = v;
  v[out->nowned_stream_mem++] = p;
  return true;
}

/* Sorts the stream's (key image, event) pairs in place by key, stable:
 * events added after an earlier sort come after it, and among equal keys
 * a sorted pair's event is always the earlier one, so any prefix being
 * sorted already keeps the order of arrival. */
static bool events_by_key(builder_stream *e) {
  if (e->nsorted == e->n) return true;
  if (!builder_radix_sort(e->kv, e->n)) return false;
  e->nsorted = e->n;
  return true;
}

bool rt_builder_sort_events(rt_builder *b, int s) {
  seg_tykind kk = b->schema->key >= 0 ? b->schema->fields[b->schema->key].type.kind : TY_STRING;
  if (!b->streams || s < 0 || s >= b->schema->nstreams || kk == TY_STRING) return true;
  return events_by_key(&b->streams[s]);
}

/* Step 1 for one stream: order[j] = the added event that is the table's
 * event j, before step 2's time order; start[] the customer ranges.  Returns the events kept. */
static uint64_t events_order(rt_builder *b, int s, const uint64_t *keys, uint64_t kept, uint64_t *start,
                             uint64_t *order, void *user) {
  builder_stream *e = &b->streams[s];
  /* sort the events by key (stable: a customer's events keep the order they
     were added in), then walk them and the sorted records together */
  if (!events_by_key(e)) return UINT64_MAX;
  builder_kv *kv = e->kv;
  memset(start, 0, (kept + 1) * sizeof *start);
  uint64_t n = 0, r = 0, norphans = 0;
  for (uint64_t j = 0; j < e->n; j++) {
    while (r < kept && keys[r] < kv[j].key) r++;
    if (r < kept && keys[r] == kv[j].key) {
      order[n++] = kv[j].idx;
      start[r + 1]++;
    } else {
      kv[norphans++].idx = kv[j].idx; /* j >= norphans: kv[j] was read already */
    }
  }
  for (uint64_t c = 0; c < kept; c++) start[c + 1] += start[c];
  if (b->on_orphan) { /* reported in file order */
    for (uint64_t j = 0; j < norphans; j++) kv[j].key = kv[j].idx;
    builder_radix_sort(kv, norphans);
    for (uint64_t j = 0; j < norphans; j++) b->on_orphan(user, s, e->lines[kv[j].idx]);
  }
  free(kv);
  e->kv = NULL;
  e->nsorted = 0;
  return n;
}

/* The stream's fields side by side, one row per added event (values, then
 * null bytes): gathering in table order then reads each event with one
 * random access instead of one per column. */
typedef struct events_rows {
  uint8_t *mem;
  size_t stride;
  size_t *off, *null_off; /* [nfields]; null_off SIZE_MAX when not nullable */
} events_rows;

static void events_store(uint8_t *dst, const uint8_t *src, size_t w) {
  switch (w) {
  case 1: *dst = *src; break;
  case 4: memcpy(dst, src, 4); break;
  default: memcpy(dst, src, 8); break;
  }
}

static bool events_rows_init(const seg_stream *st, uint64_t n, events_rows *rw) {
  rw->off = malloc(((size_t)st->nfields + 1) * sizeof *rw->off);
  rw->null_off = malloc(((size_t)st->nfields + 1) * sizeof *rw->null_off);
  if (!rw->off || !rw->null_off) return false;
  size_t pos = 0;
  for (size_t w = 8; w >= 1; w /= 2) /* widest first: every value aligned */
    for (int f = 0; f < st->nfields; f++)
      if ((size_t)ty_storage_width(st->fields[f].type.kind) == w) rw->off[f] = pos, pos += w;
  for (int f = 0; f < st->nfields; f++) rw->null_off[f] = st->fields[f].nullable ? pos++ : SIZE_MAX;
  rw->stride = (pos + 7) & ~(size_t)7;
  if (rw->stride && n > (SIZE_MAX >> 1) / rw->stride) return false;
  size_t huge = (size_t)2 << 20, bytes = (n * rw->stride + huge) & ~(huge - 1);
  void *mem = NULL;
  if (posix_memalign(&mem, huge, bytes) != 0) return false;
  madvise(mem, bytes, MADV_HUGEPAGE); /* read at random: far fewer TLB misses */
  rw->mem = mem;
  return true;
}

static void events_rows_free(events_rows *rw) {
  free(rw->mem);
  free(rw->off);
  free(rw->null_off);
}

/* Step 2 shares the stream's work between threads in parts: events
 * [i0, i1) to pack, then customers [r0, r1) to gather. */
#define EVENTS_PARTS 64

typedef struct events_job {
  const seg_stream *st;
  const builder_stream *e;
  events_rows rw;
  const uint64_t *order, *start;
  uint64_t kept;
  uint8_t **vals, **nulls; /* the table's columns */
  bool gather;             /* the phase: pack, then gather */
  _Atomic int next;
  _Atomic bool failed;
} events_job;

static void events_pack_part(events_job *j, uint64_t i0, uint64_t i1) {
  const events_rows *rw = &j->rw;
  for (int f = 0; f < j->st->nfields; f++) {
    size_t w = (size_t)ty_storage_width(j->st->fields[f].type.kind), o = rw->off[f];
    for (uint64_t i = i0; i < i1; i++) events_store(rw->mem + i * rw->stride + o, j->e->col[f] + i * w, w);
    if (rw->null_off[f] != SIZE_MAX)
      for (uint64_t i = i0; i < i1; i++) rw->mem[i * rw->stride + rw->null_off[f]] = j->e->nulls[f][i];
  }
}

/* Insertion sort: a customer has a few events, mostly. Stable. */
static void events_sort_small(events_tkey *tk, uint64_t len) {
  for (uint64_t i = 1; i < len; i++) {
    events_tkey x = tk[i];
    uint64_t k = i;
    for (; k > 0 && tk[k - 1].t > x.t; k--) tk[k] = tk[k - 1];
    tk[k] = x;
  }
}

/* Customers [r0, r1): each one's events read from the rows (prefetched),
 * put in order by (order value, arrival) and written to the columns. */
static bool events_gather_part(events_job *j, uint64_t r0, uint64_t r1) {
  const seg_stream *st = j->st;
  const events_rows *rw = &j->rw;
  uint64_t end = j->start[r1];
  events_tkey *tk = NULL;
  size_t cap = 0;
  for (uint64_t r = r0; r < r1; r++) {
    uint64_t a = j->start[r], len = j->start[r + 1] - a;
    if (len > cap) {
      events_tkey *t = realloc(tk, len * 2 * sizeof *t);
      if (!t) {
        free(tk);
        return false;
      }
      tk = t, cap = len * 2;
    }
    for (uint64_t k = 0; k < len; k++) {
      if (a + k + EVENTS_PREFETCH < end) __builtin_prefetch(rw->mem + j->order[a + k + EVENTS_PREFETCH] * rw->stride);
      const uint8_t *row = rw->mem + j->order[a + k] * rw->stride;
      tk[k].i = j->order[a + k];
      tk[k].t = st->order < 0 ? 0 : events_value(&st->fields[st->order], row + rw->off[st->order], 0);
    }
    if (st->order >= 0 && len > 1) {
      if (len <= 32) events_sort_small(tk, len);
      else qsort(tk, len, sizeof *tk, events_cmp_time); /* ties: arrival order is index order */
    }
    for (uint64_t k = 0; k < len; k++) {
      const uint8_t *row = rw->mem + tk[k].i * rw->stride;
      for (int f = 0; f < st->nfields; f++) {
        size_t w = (size_t)ty_storage_width(st->fields[f].type.kind);
        events_store(j->vals[f] + (a + k) * w, row + rw->off[f], w);
        if (j->nulls[f]) j->nulls[f][a + k] = row[rw->null_off[f]];
      }
    }
  }
  free(tk);
  return true;
}

static void *events_worker(void *arg) {
  events_job *j = arg;
  for (int p; (p = j->next++) < EVENTS_PARTS;) {
    if (!j->gather) {
      uint64_t n = j->e->n;
      events_pack_part(j, n * p / EVENTS_PARTS, n * (p + 1) / EVENTS_PARTS);
    } else if (!events_gather_part(j, j->kept * p / EVENTS_PARTS, j->kept * (p + 1) / EVENTS_PARTS)) {
      j->failed = true;
    }
  }
  return NULL;
}

/* Step 2 for one stream: the table's columns of o, from the added events in `order`. */
static bool events_columns(const seg_stream *st, builder_stream *e, const uint64_t *order, const uint64_t *start,
                           uint64_t kept, uint64_t n, rt_table *out, rt_stream *o) {
  events_job j = {.st = st, .e = e, .order = order, .start = start, .kept = kept};
  j.vals = calloc((size_t)st->nfields + 1, sizeof *j.vals);
  j.nulls = calloc((size_t)st->nfields + 1, sizeof *j.nulls);
  bool ok = j.vals && j.nulls;
  int threads = rt_cpus();
  if (ok && n) {
    ok = events_rows_init(st, e->n, &j.rw);
    if (ok) rt_parallel(threads, events_worker, &j);
  }
  /* the table's columns: the builder's own once packed, which have their
     pages already (new ones cost the 1M bench 160 MB of first touches in
     the gather), or new ones when no event is kept */
  for (int f = 0; ok && f < st->nfields; f++) {
    bool nullable = st->fields[f].nullable;
    uint8_t *v, *nb = NULL;
    if (n) {
      v = e->col[f], nb = e->nulls[f];
      e->col[f] = e->nulls[f] = NULL;
    } else {
      v = malloc((size_t)ty_storage_width(st->fields[f].type.kind));
      if (nullable) nb = malloc(1);
    }
    bool have_v = v && events_keep(out, v); /* events_keep frees what it cannot keep */
    if (!have_v || (nullable && (!nb || !events_keep(out, nb)))) {
      if (!have_v) free(nb);
      ok = false;
      break;
    }
    o->vals[f] = j.vals[f] = v;
    o->nulls[f] = j.nulls[f] = nb;
  }
  if (ok && n) {
    j.gather = true;
    j.next = 0;
    rt_parallel(threads, events_worker, &j);
    ok = !j.failed;
  }
  events_rows_free(&j.rw);
  free(j.vals);
  free(j.nulls);
  return ok;
}

bool builder_events_finish(rt_builder *b, rt_table *out, const uint64_t *perm, uint64_t kept, void *user) {
  const seg_schema *sc = b->schema;
  out->nstreams = sc->nstreams;
  if (sc->nstreams == 0) return true;
  out->streams = calloc((size_t)sc->nstreams, sizeof *out->streams);
  if (!out->streams) return false;
  const uint64_t *keys = b->keys; /* builder_order's, when it sorted */
  uint64_t *own = NULL;
  if (!keys && sc->key >= 0 && kept) {
    keys = own = malloc(kept * sizeof *own);
    if (!own) return false;
    for (uint64_t r = 0; r < kept; r++) own[r] = builder_key_image(b, sc->key, perm ? perm[r] : r);
  }
  bool ok = true;
  for (int s = 0; ok && s < sc->nstreams; s++) {
    const seg_stream *st = &sc->streams[s];
    builder_stream *e = b->streams ? &b->streams[s] : NULL;
    uint64_t added = e ? e->n : 0;
    rt_stream *o = &out->streams[s];
    uint64_t *start = malloc((kept + 1) * sizeof *start);
    uint64_t *order = malloc((added + 1) * sizeof *order);
    o->vals = calloc((size_t)st->nfields + 1, sizeof *o->vals);
    o->nulls = calloc((size_t)st->nfields + 1, sizeof *o->nulls);
    ok = start && order && o->vals && o->nulls;
    if (ok) ok = events_keep(out, start); /* which frees it on failure */
    else free(start);
    if (!ok) {
      free(order);
      break;
    }
    uint64_t n = added ? events_order(b, s, keys, kept, start, order, user) : (memset(start, 0, (kept + 1) * sizeof *start), 0);
    if (n == UINT64_MAX) {
      free(order);
      ok = false;
      break;
    }
    o->start = start;
    o->nevents = n;
    ok = events_columns(st, e, order, start, kept, n, out, o);
    free(order);
  }
  free(own);
  return ok;
}
