/* runtime/segd_streams.c — the streams section of a .segd file: each
 * stream's per-customer event ranges and its event columns, laid out so
 * they are used in place from the mapping (docs/segd-format.md,
 * "Streams").  Reading checks every offset against the file and that the
 * ranges span the events; for the streams a run reads,
 * segd_stream_values_check checks the ranges for monotonicity and every
 * stored value against its type, and segd_stream_order_counts
 * (in parts, on the run's threads) each customer's events for time order. */
#include <stdlib.h>
#include <string.h>

#include "segd_internal.h"

/* The section: u32 nstreams, u32 zero; per stream u64 nevents, u64 start
 * offset, per field u64 values offset and u64 null-bytes offset (all ones
 * when not nullable); then the arrays, each 64-aligned. */
static uint64_t descriptors_len(const seg_schema *s) {
  uint64_t n = 8;
  for (int i = 0; i < s->nstreams; i++) n += 16 + 16 * (uint64_t)s->streams[i].nfields;
  return n;
}

/* Visits every array of the section in file order with its offset and
 * length; returns the end of the last one. */
typedef void (*array_fn)(void *user, int stream, int field, bool nulls, uint64_t off, uint64_t len);

static uint64_t layout(const rt_table *t, uint64_t at, array_fn fn, void *user) {
  const seg_schema *s = t->schema;
  uint64_t cur = at + descriptors_len(s);
  for (int i = 0; i < s->nstreams; i++) {
    uint64_t n = t->streams[i].nevents;
    cur = segd_align(cur, 64);
    if (fn) fn(user, i, -1, false, cur, (t->nrecords + 1) * 8);
    cur += (t->nrecords + 1) * 8;
    for (int f = 0; f < s->streams[i].nfields; f++) {
      cur = segd_align(cur, 64);
      uint64_t len = n * (uint64_t)ty_storage_width(s->streams[i].fields[f].type.kind);
      if (fn) fn(user, i, f, false, cur, len);
      cur += len;
      if (s->streams[i].fields[f].nullable) {
        cur = segd_align(cur, 64);
        if (fn) fn(user, i, f, true, cur, n);
        cur += n;
      }
    }
  }
  return cur;
}

uint64_t segd_streams_end(const rt_table *t, uint64_t at) { return layout(t, at, NULL, NULL); }

typedef struct writer {
  FILE *fp;
  const rt_table *t;
  uint64_t pos;
  uint8_t *desc;  /* the descriptors, filled by the first pass */
  bool ok;
} writer;

static uint64_t desc_pos(const seg_schema *s, int stream, int field, bool nulls) {
  uint64_t p = 8;
  for (int i = 0; i < stream; i++) p += 16 + 16 * (uint64_t)s->streams[i].nfields;
  return field < 0 ? p + 8 : p + 16 + 16 * (uint64_t)field + (nulls ? 8 : 0);
}

static void fill_desc(void *user, int stream, int field, bool nulls, uint64_t off, uint64_t len) {
  writer *w = user;
  (void)len;
  segd_put64(w->desc + desc_pos(w->t->schema, stream, field, nulls), off);
}

static void write_array(void *user, int stream, int field, bool nulls, uint64_t off, uint64_t len) {
  writer *w = user;
  if (!w->ok) return;
  const rt_stream *st = &w->t->streams[stream];
  const void *src = field < 0 ? (const void *)st->start : nulls ? (const void *)st->nulls[field] : (const void *)st->vals[field];
  w->ok = segd_write_zeros(w->fp, off - w->pos) && (len == 0 || fwrite(src, 1, (size_t)len, w->fp) == len);
  w->pos = off + len;
}

bool segd_streams_write(FILE *fp, const rt_table *t, uint64_t at) {
  const seg_schema *s = t->schema;
  if (t->nstreams != s->nstreams || !t->streams) return false;
  uint64_t dlen = descriptors_len(s);
  writer w = {fp, t, at + dlen, calloc(1, (size_t)dlen), true};
  if (!w.desc) return false;
  segd_put32(w.desc, (uint32_t)s->nstreams);
  for (int i = 0; i < s->nstreams; i++) {
    segd_put64(w.desc + desc_pos(s, i, -1, false) - 8, t->streams[i].nevents);
    for (int f = 0; f < s->streams[i].nfields; f++) segd_put64(w.desc + desc_pos(s, i, f, true), UINT64_MAX);
  }
  layout(t, at, fill_desc, &w);
  w.ok = fwrite(w.desc, 1, (size_t)dlen, fp) == dlen;
  free(w.desc);
  layout(t, at, write_array, &w);
  return w.ok;
}

/* ---- reading ---- */

/* The events' order values never decrease inside a record: every decrease
 * between neighbours is one between two records.  Two branch-free counts,
 * each over part `part` of `nparts` (their sums over the parts must agree). */
static uint64_t decreases(const uint8_t *ov, bool wide, uint64_t a, uint64_t b) {
  if (wide) {
    int64_t x, y;
    memcpy(&x, ov + a * 8, 8);
    memcpy(&y, ov + b * 8, 8);
    return x > y;
  }
  int32_t x, y;
  memcpy(&x, ov + a * 4, 4);
  memcpy(&y, ov + b * 4, 4);
  return x > y;
}

void segd_stream_order_counts(const rt_table *t, int s, int part, int nparts, uint64_t *all, uint64_t *across) {
  const seg_stream *st = &t->schema->streams[s];
  const rt_stream *r = &t->streams[s];
  *all = *across = 0;
  if (st->order < 0) return;
  bool wide = ty_storage_width(st->fields[st->order].type.kind) == 8; /* a timestamp (int64) or a date (int32) */
  const uint8_t *ov = r->vals[st->order];
  uint64_t n = r->nevents, k0 = n * (uint64_t)part / (uint64_t)nparts, k1 = n * (uint64_t)(part + 1) / (uint64_t)nparts;
  uint64_t a = 0, c0 = t->nrecords * (uint64_t)part / (uint64_t)nparts, c1 = t->nrecords * (uint64_t)(part + 1) / (uint64_t)nparts;
  if (k0 == 0) k0 = 1;
  if (wide) {
    const int64_t *v = (const int64_t *)(const void *)ov;
    for (uint64_t k = k0; k < k1; k++) a += v[k - 1] > v[k];
  } else {
    const int32_t *v = (const int32_t *)(const void *)ov;
    for (uint64_t k = k0; k < k1; k++) a += v[k - 1] > v[k];
  }
  *all = a;
  if (c0 == 0) c0 = 1;
  for (uint64_t c = c0; c < c1; c++) {
    uint64_t p = r->start[c];
    *across += p > 0 && p < n && p != r->start[c - 1] ? decreases(ov, wide, p - 1, p) : 0;
  }
}

bool segd_stream_values_check(const char *path, const rt_table *t, int s, char *err, size_t errlen) {
  const seg_stream *st = &t->schema->streams[s];
  const rt_stream *r = &t->streams[s];
  /* the ranges first: read only by a run that reads the stream (opening the
     1M bench's data for the attribute pack read its 8 MB for nothing) */
  bool decreasing = false;
  for (uint64_t c = 0; c < t->nrecords; c++) decreasing |= r->start[c + 1] < r->start[c];
  for (uint64_t c = 0; decreasing && c < t->nrecords; c++)
    if (r->start[c + 1] < r->start[c])
      return segd_fail(err, errlen, "%s is corrupt: the event ranges of %s decrease at record %llu", path, st->name,
                       (unsigned long long)c + 1);
  for (int f = 0; f < st->nfields; f++) {
    const seg_field *fd = &st->fields[f];
    const uint8_t *nb = r->nulls[f], *v = r->vals[f];
    if (!segd_column_bad(fd->type.kind, segd_value_limit(fd, t->ndict), nb, v, r->nevents)) continue;
    for (uint64_t k = 0; k < r->nevents; k++) {
      if (nb && nb[k] > 1) return segd_fail(err, errlen, "%s is corrupt: bad null flag in %s.%s", path, st->name, fd->name);
      if (nb && nb[k]) continue;
      if (segd_column_bad(fd->type.kind, segd_value_limit(fd, t->ndict), NULL, v + k * segd_value_width(fd->type.kind), 1))
        return segd_fail(err, errlen, "%s is corrupt: event %llu of %s has an invalid %s", path,
                         (unsigned long long)k + 1, st->name, fd->name);
    }
  }
  return true;
}

bool segd_stream_order_report(const char *path, const rt_table *t, int s, char *err, size_t errlen) {
  const seg_stream *st = &t->schema->streams[s];
  const rt_stream *r = &t->streams[s];
  bool wide = ty_storage_width(st->fields[st->order].type.kind) == 8;
  const uint8_t *ov = r->vals[st->order];
  for (uint64_t c = 0; c < t->nrecords; c++) {
    uint64_t k0 = r->start[c], k1 = r->start[c + 1];
    bool sorted = true;
    for (uint64_t k = k0 + 1; k < k1; k++) sorted &= !decreases(ov, wide, k - 1, k);
    if (!sorted)
      return segd_fail(err, errlen, "%s is corrupt: the %s of record %llu are not in %s order", path, st->name,
                       (unsigned long long)c + 1, st->fields[st->order].name);
  }
  return segd_fail(err, errlen, "%s is corrupt: the %s are not in %s order", path, st->name, st->fields[st->order].name);
}

/* [off, off + len) lies inside a file of `size` bytes (no wrap-around) */
static bool inside(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

bool segd_streams_read(const char *path, const uint8_t *m, uint64_t size, uint64_t off, rt_table *out, char *err,
                       size_t errlen) {
  const seg_schema *s = out->schema;
  uint64_t dlen = descriptors_len(s);
  if (!inside(off, dlen, size) || segd_get32(m + off) != (uint32_t)s->nstreams)
    return segd_fail(err, errlen, "%s is corrupt: bad stream descriptions", path);
  out->nstreams = s->nstreams;
  out->streams = calloc((size_t)s->nstreams, sizeof *out->streams);
  if (!out->streams) return segd_fail(err, errlen, "%s: out of memory", path);
  const uint8_t *d = m + off + 8;
  uint64_t end = off + dlen;
  for (int i = 0; i < s->nstreams; i++) {
    const seg_stream *st = &s->streams[i];
    rt_stream *r = &out->streams[i];
    r->vals = calloc((size_t)st->nfields + 1, sizeof *r->vals);
    r->nulls = calloc((size_t)st->nfields + 1, sizeof *r->nulls);
    if (!r->vals || !r->nulls) return segd_fail(err, errlen, "%s: out of memory", path);
    uint64_t n = segd_get64(d), a = segd_get64(d + 8);
    d += 16;
    if (n > size || a % 64 != 0 || a < end || !inside(a, (out->nrecords + 1) * 8, size))
      return segd_fail(err, errlen, "%s is corrupt: the event ranges of %s are outside the file", path, st->name);
    r->nevents = n;
    r->start = (const uint64_t *)(const void *)(m + a);
    end = a + (out->nrecords + 1) * 8;
    if (r->start[0] != 0 || r->start[out->nrecords] != n)
      return segd_fail(err, errlen, "%s is corrupt: the event ranges of %s do not span its %llu events", path,
                       st->name, (unsigned long long)n);
    for (int f = 0; f < st->nfields; f++, d += 16) {
      uint64_t w = (uint64_t)ty_storage_width(st->fields[f].type.kind);
      uint64_t vo = segd_get64(d), no = segd_get64(d + 8);
      if (vo % 64 != 0 || vo < end || !inside(vo, n * w, size))
        return segd_fail(err, errlen, "%s is corrupt: %s.%s is outside the file", path, st->name, st->fields[f].name);
      r->vals[f] = m + vo;
      end = vo + n * w;
      if (st->fields[f].nullable) {
        if (no % 64 != 0 || no < end || !inside(no, n, size))
          return segd_fail(err, errlen, "%s is corrupt: the nulls of %s.%s are outside the file", path, st->name,
                           st->fields[f].name);
        r->nulls[f] = m + no;
        end = no + n;
      } else if (no != UINT64_MAX) {
        return segd_fail(err, errlen, "%s is corrupt: %s.%s has nulls but is not nullable", path, st->name,
                         st->fields[f].name);
      }
    }
  }
  if (end != size) return segd_fail(err, errlen, "%s is corrupt: data after the last stream", path);
  return true;
}
