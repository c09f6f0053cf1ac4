/* runtime/table.c — reading single values out of an rt_table, and freeing it.
 *
 * Owns the row accessors used by the interpreter, `segc explain` and tests
 * (generated code addresses blocks directly).  Values are widened exactly as
 * expressions see them: bool/enum from uint8, int32/date sign-extended,
 * string codes as uint32, every 8-byte kind as int64.  Out-of-range field or
 * row numbers read as null / zero rather than crash.  The same for events.
 * Also the partial last block as generated code runs over it: itself when
 * its padding is zeros, as written, else a padded copy. */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void rt_table_free(rt_table *t) {
  if (!t) return;
  if (t->map) munmap(t->map, t->map_len);
  free(t->owned_blocks);
  free(t->owned_dict_off);
  free(t->owned_dict_bytes);
  for (int i = 0; i < t->nowned_stream_mem; i++) free(t->owned_stream_mem[i]);
  free(t->owned_stream_mem);
  for (int i = 0; t->streams && i < t->nstreams; i++) {
    free(t->streams[i].vals);
    free(t->streams[i].nulls);
  }
  free(t->streams);
  free(t->dict_share);
  rt_layout_free(&t->layout);
  memset(t, 0, sizeof *t);
}

static void table_fill_column(uint8_t *col, uint32_t count, int width) {
  for (uint32_t i = count; i < RT_BLOCK; i++) memcpy(col + (size_t)i * (size_t)width, col, (size_t)width);
}

/* n bytes at p are all zero */
static bool table_zero(const uint8_t *p, size_t n) {
  uint8_t any = 0;
  for (size_t i = 0; i < n; i++) any |= p[i];
  return any == 0;
}

/* Whether the records [count, RT_BLOCK) of block p hold only zeros, as
 * writers leave them (table.h): valid values of every type (a string's
 * code 0 when the dictionary has one). */
static bool table_tail_zero(const rt_table *t, const uint8_t *p, uint32_t count) {
  for (int f = 0; f < t->layout.nfields; f++) {
    seg_tykind k = t->schema->fields[f].type.kind;
    if (k == TY_STREAM) continue;
    if (k == TY_STRING && t->ndict == 0) return false;
    size_t width = (size_t)ty_storage_width(k);
    if (!table_zero(p + t->layout.val_off[f] + count * width, (RT_BLOCK - count) * width)) return false;
    if (t->layout.null_off[f] != RT_NO_NULLS && !table_zero(p + t->layout.null_off[f] + count, RT_BLOCK - count)) return false;
  }
  return true;
}

const uint8_t *rt_block_padded(const rt_table *t, uint64_t b, uint8_t *dst) {
  uint32_t count = rt_block_count(t, b);
  if (count == RT_BLOCK || count == 0 || table_tail_zero(t, rt_block(t, b), count)) return rt_block(t, b);
  memcpy(dst, rt_block(t, b), t->layout.block_bytes);
  for (int f = 0; f < t->layout.nfields; f++) {
    seg_tykind k = t->schema->fields[f].type.kind;
    if (k == TY_STREAM) continue;
    table_fill_column(dst + t->layout.val_off[f], count, ty_storage_width(k));
    if (t->layout.null_off[f] != RT_NO_NULLS) table_fill_column(dst + t->layout.null_off[f], count, 1);
  }
  return dst;
}

static bool table_in_range(const rt_table *t, int field, uint64_t row) {
  return t && t->blocks && field >= 0 && field < t->layout.nfields && row < t->nrecords;
}

static const uint8_t *table_value(const rt_table *t, int field, uint64_t row, int width) {
  return rt_block(t, row / RT_BLOCK) + t->layout.val_off[field] + (row % RT_BLOCK) * (uint64_t)width;
}

bool rt_is_null(const rt_table *t, int field, uint64_t row) {
  if (!table_in_range(t, field, row)) return true;
  uint32_t off = t->layout.null_off[field];
  if (off == RT_NO_NULLS) return false;
  return rt_block(t, row / RT_BLOCK)[off + row % RT_BLOCK] != 0;
}

/* One stored value of kind k at p, widened as expressions see it. */
static int64_t table_widen(seg_tykind k, const uint8_t *p) {
  switch (k) {
  case TY_BOOL:
  case TY_ENUM: return *p;
  case TY_INT32:
  case TY_DATE: {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  case TY_STRING: {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  case TY_FLOAT64: {
    double d;
    memcpy(&d, p, 8);
    return d > -9.2e18 && d < 9.2e18 ? (int64_t)d : 0; /* truncated; NaN -> 0 */
  }
  default: {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
  }
  }
}

int64_t rt_get_i64(const rt_table *t, int field, uint64_t row) {
  if (!table_in_range(t, field, row) || !t->schema) return 0;
  seg_tykind k = t->schema->fields[field].type.kind;
  return table_widen(k, table_value(t, field, row, ty_storage_width(k)));
}

double rt_get_f64(const rt_table *t, int field, uint64_t row) {
  if (!table_in_range(t, field, row) || !t->schema) return 0;
  if (t->schema->fields[field].type.kind != TY_FLOAT64) return (double)rt_get_i64(t, field, row);
  double d;
  memcpy(&d, table_value(t, field, row, 8), 8);
  return d;
}

const char *rt_dict_str(const rt_table *t, uint32_t code, size_t *len) {
  if (!t || !t->dict_off || code >= t->ndict) {
    if (len) *len = 0;
    return "";
  }
  if (len) *len = (size_t)(t->dict_off[code + 1] - t->dict_off[code]);
  return t->dict_bytes + t->dict_off[code];
}

uint32_t rt_dict_lower_bound(const rt_table *t, const char *s, size_t len, bool *found) {
  uint32_t lo = 0, hi = t && t->dict_off ? t->ndict : 0;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    size_t ml;
    const char *m = rt_dict_str(t, mid, &ml);
    int c = memcmp(m, s, ml < len ? ml : len);
    if (c < 0 || (c == 0 && ml < len)) lo = mid + 1;
    else hi = mid;
  }
  size_t ml = 0;
  const char *m = lo < (t && t->dict_off ? t->ndict : 0) ? rt_dict_str(t, lo, &ml) : NULL;
  *found = m && ml == len && memcmp(m, s, len) == 0;
  return lo;
}

void rt_dict_prefix_range(const rt_table *t, const char *p, size_t len, uint32_t *lo, uint32_t *hi) {
  bool found;
  uint32_t a = rt_dict_lower_bound(t, p, len, &found), b = t && t->dict_off ? t->ndict : 0;
  *lo = a;
  while (a < b) { /* the first code past them: they follow one another from *lo */
    uint32_t mid = a + (b - a) / 2;
    size_t ml;
    const char *m = rt_dict_str(t, mid, &ml);
    if (ml >= len && memcmp(m, p, len) == 0) a = mid + 1;
    else b = mid;
  }
  *hi = a;
}

/* ---- events ---- */

static const seg_field *table_ev_field(const rt_table *t, int stream, int field, uint64_t k) {
  if (!t || !t->schema || stream < 0 || stream >= t->nstreams || !t->streams) return NULL;
  const seg_stream *st = &t->schema->streams[stream];
  if (field < 0 || field >= st->nfields || k >= t->streams[stream].nevents) return NULL;
  return &st->fields[field];
}

bool rt_ev_is_null(const rt_table *t, int stream, int field, uint64_t k) {
  if (!table_ev_field(t, stream, field, k)) return true;
  const uint8_t *n = t->streams[stream].nulls[field];
  return n && n[k];
}

int64_t rt_ev_get_i64(const rt_table *t, int stream, int field, uint64_t k) {
  const seg_field *f = table_ev_field(t, stream, field, k);
  if (!f) return 0;
  return table_widen(f->type.kind, t->streams[stream].vals[field] + k * (uint64_t)ty_storage_width(f->type.kind));
}

double rt_ev_get_f64(const rt_table *t, int stream, int field, uint64_t k) {
  const seg_field *f = table_ev_field(t, stream, field, k);
  if (!f) return 0;
  if (f->type.kind != TY_FLOAT64) return (double)rt_ev_get_i64(t, stream, field, k);
  double d;
  memcpy(&d, t->streams[stream].vals[field] + k * 8, 8);
  return d;
}
