/* runtime/segd.c — the .segd data file: writing it atomically, mapping and
 * validating it.
 *
 * Owns rt_table_write and rt_table_open; docs/segd-format.md is the byte-level
 * contract and must change with this file.  Reading never trusts the file:
 * every offset and length is checked against the file size before use, the
 * header's layout against the schema's, the dictionary's offsets for
 * monotonicity and order, and every stored string code, enum index, bool and
 * null byte of the columns a run reads (rt_table_open_for) against its range,
 * so the blocks can then be used in place (they sit at a 4096-aligned offset
 * of a read-only mapping) without further checks.
 * Integers are little-endian; the blocks are used in place, so a big-endian
 * host refuses the file. */
#include "segd_internal.h"
#include "parallel.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEGD_MAGIC "SEGD"
#define SEGD_VERSION 2u
#define SEGD_HEADER_BYTES 128u
#define SEGD_FIELD_FIXED 20u
#define SEGD_BLOCK_ALIGN 4096u
#define SEGD_TYPE_MAX 4096

/* Header field offsets (see docs/segd-format.md). */
enum {
  H_MAGIC = 0, H_VERSION = 4, H_FINGERPRINT = 8, H_NRECORDS = 16, H_BLOCK_RECORDS = 24,
  H_BLOCK_BYTES = 28, H_NBLOCKS = 32, H_NFIELDS = 40, H_HEADER_BYTES = 44, H_FIELDS_OFF = 48,
  H_FIELDS_LEN = 56, H_BLOCKS_OFF = 64, H_BLOCKS_LEN = 72, H_NDICT = 80, H_DICT_OFF_OFF = 88,
  H_DICT_BYTES_OFF = 96, H_DICT_BYTES_LEN = 104, H_FILE_LEN = 112, H_STREAMS_OFF = 120,
};

static bool segd_little_endian(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

bool segd_fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return false;
}

bool segd_write_zeros(FILE *fp, uint64_t n) {
  static const uint8_t zeros[4096];
  while (n) {
    size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
    if (fwrite(zeros, 1, k, fp) != k) return false;
    n -= k;
  }
  return true;
}

/* "int32?" / "int64 key": how a field is described in the file and in errors. */
static const char *segd_describe(const seg_field *f, char *buf, size_t size) {
  char ty[SEGD_TYPE_MAX];
  ty_name(f->type, ty, sizeof ty);
  snprintf(buf, size, "%s%s%s", ty, f->nullable ? "?" : "", f->key ? " key" : "");
  return buf;
}

/* ---- writing ---- */

/* The field descriptions section, malloc'd. */
static uint8_t *segd_fields_section(const rt_table *t, uint64_t *len) {
  const seg_schema *s = t->schema;
  char ty[SEGD_TYPE_MAX];
  uint64_t n = 0;
  for (int i = 0; i < s->nfields; i++)
    n += SEGD_FIELD_FIXED + strlen(s->fields[i].name) + strlen(ty_name(s->fields[i].type, ty, sizeof ty));
  uint8_t *buf = malloc(n ? n : 1), *p = buf;
  if (!buf) return NULL;
  for (int i = 0; i < s->nfields; i++) {
    const seg_field *f = &s->fields[i];
    ty_name(f->type, ty, sizeof ty);
    uint32_t nl = (uint32_t)strlen(f->name), tl = (uint32_t)strlen(ty);
    segd_put32(p, nl);
    segd_put32(p + 4, tl);
    p[8] = f->nullable;
    p[9] = f->key;
    p[10] = (uint8_t)f->type.kind;
    p[11] = t->dict_share && f->type.kind == TY_STRING ? t->dict_share[i] : 0;
    segd_put32(p + 12, t->layout.val_off[i]);
    segd_put32(p + 16, t->layout.null_off[i]);
    memcpy(p + SEGD_FIELD_FIXED, f->name, nl);
    memcpy(p + SEGD_FIELD_FIXED + nl, ty, tl);
    p += SEGD_FIELD_FIXED + nl + tl;
  }
  *len = n;
  return buf;
}

static void segd_sync_dir(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash) {
    snprintf(dir, sizeof dir, ".");
  } else {
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return;
    memcpy(dir, path, n ? n : 1);
    dir[n ? n : 1] = 0;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd); /* best effort: the rename is what makes the file visible */
    close(fd);
  }
}

bool rt_table_write(const rt_table *t, const char *path, char *err, size_t errlen) {
  if (!segd_little_endian()) return segd_fail(err, errlen, "%s: .segd files need a little-endian host", path);
  if (!t || !t->schema || t->layout.nfields != t->schema->nfields)
    return segd_fail(err, errlen, "%s: the table has no schema or layout", path);
  uint64_t fields_len = 0;
  uint8_t *fields = segd_fields_section(t, &fields_len);
  if (!fields) return segd_fail(err, errlen, "%s: out of memory", path);

  uint64_t fields_off = SEGD_HEADER_BYTES;
  uint64_t blocks_off = segd_align(fields_off + fields_len, SEGD_BLOCK_ALIGN);
  uint64_t blocks_len = t->nblocks * t->layout.block_bytes;
  uint64_t dict_off_off = segd_align(blocks_off + blocks_len, 8);
  uint64_t ndict = t->dict_off ? t->ndict : 0;
  uint64_t dict_bytes_off = dict_off_off + (ndict + 1) * 8;
  uint64_t dict_bytes_len = ndict ? t->dict_off[ndict] : 0;
  uint64_t streams_off = t->schema->nstreams ? segd_align(dict_bytes_off + dict_bytes_len, 8) : 0;
  uint64_t file_len = streams_off ? segd_streams_end(t, streams_off) : dict_bytes_off + dict_bytes_len;

  uint8_t h[SEGD_HEADER_BYTES] = {0};
  memcpy(h + H_MAGIC, SEGD_MAGIC, 4);
  segd_put32(h + H_VERSION, SEGD_VERSION);
  segd_put64(h + H_FINGERPRINT, ty_schema_fingerprint(t->schema));
  segd_put64(h + H_NRECORDS, t->nrecords);
  segd_put32(h + H_BLOCK_RECORDS, RT_BLOCK);
  segd_put32(h + H_BLOCK_BYTES, t->layout.block_bytes);
  segd_put64(h + H_NBLOCKS, t->nblocks);
  segd_put32(h + H_NFIELDS, (uint32_t)t->schema->nfields);
  segd_put32(h + H_HEADER_BYTES, SEGD_HEADER_BYTES);
  segd_put64(h + H_FIELDS_OFF, fields_off);
  segd_put64(h + H_FIELDS_LEN, fields_len);
  segd_put64(h + H_BLOCKS_OFF, blocks_off);
  segd_put64(h + H_BLOCKS_LEN, blocks_len);
  segd_put64(h + H_NDICT, ndict);
  segd_put64(h + H_DICT_OFF_OFF, dict_off_off);
  segd_put64(h + H_DICT_BYTES_OFF, dict_bytes_off);
  segd_put64(h + H_DICT_BYTES_LEN, dict_bytes_len);
  segd_put64(h + H_FILE_LEN, file_len);
  segd_put64(h + H_STREAMS_OFF, streams_off);

  size_t tl = strlen(path) + 32;
  char *tmp = malloc(tl);
  if (!tmp) {
    free(fields);
    return segd_fail(err, errlen, "%s: out of memory", path);
  }
  snprintf(tmp, tl, "%s.tmp.%ld", path, (long)getpid());
  FILE *fp = fopen(tmp, "wb");
  if (!fp) {
    segd_fail(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    free(fields);
    free(tmp);
    return false;
  }
  setvbuf(fp, NULL, _IOFBF, 1 << 20);
  static const uint64_t zero_off = 0;
  bool ok = segd_write_all(fp, h, sizeof h) && segd_write_all(fp, fields, fields_len) &&
            segd_write_zeros(fp, blocks_off - fields_off - fields_len) &&
            segd_write_all(fp, t->blocks, blocks_len) &&
            segd_write_zeros(fp, dict_off_off - blocks_off - blocks_len);
  /* the dictionary offsets are already little-endian u64 in memory */
  if (ok) ok = ndict ? segd_write_all(fp, t->dict_off, (ndict + 1) * 8) : segd_write_all(fp, &zero_off, 8);
  if (ok) ok = segd_write_all(fp, t->dict_bytes, dict_bytes_len);
  if (ok && streams_off)
    ok = segd_write_zeros(fp, streams_off - dict_bytes_off - dict_bytes_len) && segd_streams_write(fp, t, streams_off);
  int saved = errno;
  if (ok && fflush(fp) != 0) ok = false, saved = errno;
  if (ok && fsync(fileno(fp)) != 0) ok = false, saved = errno;
  if (fclose(fp) != 0 && ok) ok = false, saved = errno;
  if (ok && rename(tmp, path) != 0) ok = false, saved = errno;
  if (!ok) {
    unlink(tmp);
    segd_fail(err, errlen, "cannot write %s: %s", path, strerror(saved ? saved : EIO));
  } else {
    segd_sync_dir(path);
  }
  free(fields);
  free(tmp);
  return ok;
}

/* ---- reading ---- */

typedef struct segd_field {
  const char *name, *type; /* not NUL-terminated: lengths below */
  uint32_t name_len, type_len;
  bool nullable, key;
  uint8_t dict_share;      /* a hint (rt_table.dict_share) */
  uint32_t val_off, null_off;
} segd_field;

/* Appends one difference to the message, "; "-separated. */
static void segd_note(char *msg, size_t size, size_t *used, int *count, const char *fmt, ...) {
  if (*used >= size) return;
  if (*count) *used += (size_t)snprintf(msg + *used, size - *used, "; ");
  if (*used >= size) return;
  va_list ap;
  va_start(ap, fmt);
  *used += (size_t)vsnprintf(msg + *used, size - *used, fmt, ap);
  va_end(ap);
  (*count)++;
}

/* Copies file text for a message, replacing control bytes by '?'. */
static const char *segd_printable(const char *s, uint32_t n, char *out, size_t size) {
  size_t k = 0;
  for (uint32_t i = 0; i < n && k + 1 < size; i++) out[k++] = (uint8_t)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
  out[k] = 0;
  return out;
}

static int segd_find(const segd_field *ff, uint32_t n, const char *name) {
  size_t len = strlen(name);
  for (uint32_t i = 0; i < n; i++)
    if (ff[i].name_len == len && memcmp(ff[i].name, name, len) == 0) return (int)i;
  return -1;
}

/* Compares the file's field descriptions with the schema; false with the
 * differences in err. */
static bool segd_check_fields(const char *path, const segd_field *ff, uint32_t nf, const seg_schema *s,
                              bool fp_equal, char *err, size_t errlen) {
  char msg[2048];
  size_t used = 0;
  int count = 0;
  char desc[SEGD_TYPE_MAX + 16];
  for (int i = 0; i < s->nfields; i++) {
    const seg_field *f = &s->fields[i];
    int j = segd_find(ff, nf, f->name);
    if (j < 0) {
      segd_note(msg, sizeof msg, &used, &count, "field \"%s\" is missing from the file", f->name);
      continue;
    }
    segd_describe(f, desc, sizeof desc);
    const segd_field *g = &ff[j];
    char ty[SEGD_TYPE_MAX];
    ty_name(f->type, ty, sizeof ty);
    if (g->type_len != strlen(ty) || memcmp(g->type, ty, g->type_len) != 0 || g->nullable != f->nullable ||
        g->key != f->key) {
      char fty[256];
      segd_note(msg, sizeof msg, &used, &count, "field \"%s\" is %s%s%s in the file but %s in the schema", f->name,
                segd_printable(g->type, g->type_len, fty, sizeof fty), g->nullable ? "?" : "", g->key ? " key" : "",
                desc);
    } else if (j != i) {
      segd_note(msg, sizeof msg, &used, &count, "field \"%s\" is at position %d in the file but %d in the schema",
                f->name, j + 1, i + 1);
    }
  }
  for (uint32_t j = 0; j < nf; j++) {
    bool found = false;
    for (int i = 0; i < s->nfields && !found; i++)
      found = ff[j].name_len == strlen(s->fields[i].name) && memcmp(ff[j].name, s->fields[i].name, ff[j].name_len) == 0;
    char name[128];
    if (!found)
      segd_note(msg, sizeof msg, &used, &count, "field \"%s\" is in the file but not in the schema",
                segd_printable(ff[j].name, ff[j].name_len, name, sizeof name));
  }
  if (count == 0 && fp_equal) return true;
  if (count == 0)
    return segd_fail(err, errlen, "%s was written for another schema: its fields match but its streams differ",
                     path);
  return segd_fail(err, errlen, "%s was written for another schema: %s", path, msg);
}

uint32_t segd_value_limit(const seg_field *f, uint32_t ndict) {
  seg_tykind k = f->type.kind;
  return k == TY_BOOL ? 2 : k == TY_ENUM ? (f->type.members ? (uint32_t)f->type.members->n : 0) : k == TY_STRING ? ndict : 0;
}

/* With AVX2 where the CPU has it: the loops below compare 32 bytes a step
 * instead of the baseline's 16 (opening the bench's 10M customers for the
 * attribute pack, one thread: 0.049 → 0.046 s, medians of 7). */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
bool segd_column_bad(seg_tykind k, uint32_t limit, const uint8_t *nb, const uint8_t *v, uint64_t count) {
  unsigned bad = 0;
  if (nb)
    for (uint64_t i = 0; i < count; i++) bad |= nb[i] > 1;
  if (k == TY_BOOL || k == TY_ENUM) {
    if (nb)
      for (uint64_t i = 0; i < count; i++) bad |= (nb[i] == 0) & (v[i] >= limit);
    else
      for (uint64_t i = 0; i < count; i++) bad |= v[i] >= limit;
  } else if (k == TY_STRING) {
    const uint32_t *c = (const uint32_t *)(const void *)v;
    if (nb)
      for (uint64_t i = 0; i < count; i++) bad |= (nb[i] == 0) & (c[i] >= limit);
    else
      for (uint64_t i = 0; i < count; i++) bad |= c[i] >= limit;
  } else if (k == TY_TIMESTAMP) { /* the same dates, a day wider each side for a parsed "+HH:MM" offset */
    const int64_t *u = (const int64_t *)(const void *)v;
    const uint64_t first = (uint64_t)SEGD_TS_MIN, span = (uint64_t)SEGD_TS_MAX - (uint64_t)SEGD_TS_MIN;
    if (nb)
      for (uint64_t i = 0; i < count; i++) bad |= (nb[i] == 0) & ((uint64_t)u[i] - first > span);
    else
      for (uint64_t i = 0; i < count; i++) bad |= (uint64_t)u[i] - first > span;
  } else if (k == TY_DATE) { /* 0001-01-01 .. 9999-12-31, as days since 1970: an unsigned distance from the first */
    const int32_t *d = (const int32_t *)(const void *)v;
    const uint32_t first = (uint32_t)SEGD_DATE_MIN, span = (uint32_t)(SEGD_DATE_MAX - SEGD_DATE_MIN);
    if (nb)
      for (uint64_t i = 0; i < count; i++) bad |= (nb[i] == 0) & ((uint32_t)d[i] - first > span);
    else
      for (uint64_t i = 0; i < count; i++) bad |= (uint32_t)d[i] - first > span;
  }
  return bad != 0;
}

unsigned segd_value_width(seg_tykind k) { return k == TY_TIMESTAMP ? 8 : k == TY_STRING || k == TY_DATE ? 4 : 1; }

/* Field f's stored values are in range for its type, its null bytes 0 or 1. */
static bool segd_check_field(const char *path, const rt_table *t, int f, char *err, size_t errlen) {
  const seg_field *fd = &t->schema->fields[f];
  seg_tykind k = fd->type.kind;
  uint32_t limit = segd_value_limit(fd, t->ndict);
  uint32_t noff = t->layout.null_off[f];
  for (uint64_t b = 0; b < t->nblocks; b++) {
    const uint8_t *base = rt_block(t, b);
    const uint8_t *nb = noff == RT_NO_NULLS ? NULL : base + noff;
    const uint8_t *v = base + t->layout.val_off[f];
    uint32_t cnt = rt_block_count(t, b);
    if (!segd_column_bad(k, limit, nb, v, cnt)) continue;
    for (uint32_t i = 0; i < cnt; i++) {
      if (nb && nb[i] > 1) return segd_fail(err, errlen, "%s is corrupt: bad null flag in field \"%s\"", path, fd->name);
      if ((nb && nb[i]) || !segd_column_bad(k, limit, NULL, v + (size_t)i * segd_value_width(k), 1)) continue;
      return segd_fail(err, errlen, "%s is corrupt: record %llu has an invalid value in field \"%s\"", path,
                       (unsigned long long)(b * RT_BLOCK + i + 1), fd->name);
    }
  }
  return true;
}

/* Decreases or repeats in a block's keys of storage type T, from `prev`
 * (the previous block's last key; none for the first block): branch-free. */
#define SEGD_KEY_FAULTS(T)                                                                                             \
  static uint64_t segd_key_faults_##T(const uint8_t *col, uint32_t n, bool first, int64_t *prev) {                 \
    const T *v = (const T *)(const void *)col;                                                                       \
    uint64_t bad = !first && (int64_t)v[0] <= *prev;                                                                 \
    for (uint32_t i = 1; i < n; i++) bad += v[i] <= v[i - 1];                                                        \
    *prev = (int64_t)v[n - 1];                                                                                       \
    return bad;                                                                                                      \
  }
SEGD_KEY_FAULTS(int64_t)
SEGD_KEY_FAULTS(int32_t)

/* The keys are strictly ascending. */
static bool segd_check_keys(const char *path, const rt_table *t, char *err, size_t errlen) {
  int kf = t->schema->key;
  seg_tykind k = t->schema->fields[kf].type.kind;
  bool is_signed = k != TY_BOOL && k != TY_ENUM && k != TY_STRING && k != TY_SET;
  int width = ty_storage_width(k);
  if (is_signed && (width == 8 || width == 4)) { /* the usual keys: whole blocks at a time */
    uint64_t bad = 0;
    int64_t prev = 0;
    for (uint64_t b = 0; b < t->nblocks; b++) {
      const uint8_t *col = rt_block(t, b) + t->layout.val_off[kf];
      uint32_t n = rt_block_count(t, b);
      bad += width == 8 ? segd_key_faults_int64_t(col, n, b == 0, &prev) : segd_key_faults_int32_t(col, n, b == 0, &prev);
    }
    if (!bad) return true;
  }
  int64_t prev = 0; /* other kinds, or to find the first fault */
  for (uint64_t r = 0; r < t->nrecords; r++) {
    int64_t v = rt_get_i64(t, kf, r);
    if (r && (is_signed ? v <= prev : (uint64_t)v <= (uint64_t)prev))
      return segd_fail(err, errlen, "%s is corrupt: keys are not strictly ascending at record %llu", path,
                       (unsigned long long)r + 1);
    prev = v;
  }
  return true;
}

static bool segd_check_dict(const char *path, const rt_table *t, uint64_t bytes_len, char *err, size_t errlen);

/* The checks after parsing, as tasks that threads take in turn; the error
 * reported is the first failing task's in this order, as if they had run one
 * after the other: the dictionary, each needed field, the keys, each needed
 * stream's values, then its event order (in ORDER_PARTS parts). */
enum { CHECK_DICT, CHECK_FIELD, CHECK_KEYS, CHECK_STREAM, CHECK_ORDER };
#define ORDER_PARTS 8

typedef struct check_job {
  const char *path;
  const rt_table *t;
  uint64_t dict_bytes;
  int (*task)[2];          /* [ntasks] kind, index */
  int ntasks;
  bool *ok;                /* [ntasks] */
  char (*err)[512];        /* [ntasks] */
  uint64_t (*counts)[2];   /* [ntasks] CHECK_ORDER: segd_stream_order_counts */
  atomic_int next;
} check_job;

static void *check_worker(void *arg) {
  check_job *j = arg;
  for (int i; (i = atomic_fetch_add(&j->next, 1)) < j->ntasks;) {
    int kind = j->task[i][0], x = j->task[i][1];
    char *e = j->err[i];
    if (kind == CHECK_ORDER) {
      segd_stream_order_counts(j->t, x / ORDER_PARTS, x % ORDER_PARTS, ORDER_PARTS, &j->counts[i][0], &j->counts[i][1]);
      j->ok[i] = true;
      continue;
    }
    j->ok[i] = kind == CHECK_DICT    ? segd_check_dict(j->path, j->t, j->dict_bytes, e, 512)
               : kind == CHECK_FIELD ? segd_check_field(j->path, j->t, x, e, 512)
               : kind == CHECK_KEYS  ? segd_check_keys(j->path, j->t, e, 512)
                                     : segd_stream_values_check(j->path, j->t, x, e, 512);
  }
  return NULL;
}

/* Whether a run with `needs` (NULL: everything) reads field f's column */
static bool segd_reads_field(const seg_schema *s, const rt_needs *needs, int f) {
  return !needs || !needs->fields || needs->fields[f] || (needs->key && f == s->key);
}

static bool segd_check_values(const char *path, const rt_table *t, uint64_t dict_bytes, const rt_needs *needs, char *err,
                              size_t errlen) {
  const seg_schema *s = t->schema;
  int max = 2 + s->nfields + s->nstreams * (1 + ORDER_PARTS), n = 0;
  check_job j = {.path = path, .t = t, .dict_bytes = dict_bytes};
  j.task = malloc(sizeof *j.task * (size_t)max);
  j.ok = calloc((size_t)max, sizeof *j.ok);
  j.err = calloc((size_t)max, sizeof *j.err);
  j.counts = calloc((size_t)max, sizeof *j.counts);
  if (!j.task || !j.ok || !j.err || !j.counts) {
    free(j.task);
    free(j.ok);
    free(j.err);
    free(j.counts);
    return segd_fail(err, errlen, "%s: out of memory", path);
  }
  j.task[n][0] = CHECK_DICT, j.task[n++][1] = 0;
  for (int f = 0; f < s->nfields; f++)
    if (segd_reads_field(s, needs, f)) j.task[n][0] = CHECK_FIELD, j.task[n++][1] = f;
  int kf = s->key;
  if ((!needs || needs->key) && kf >= 0 && kf < s->nfields && s->fields[kf].type.kind != TY_FLOAT64)
    j.task[n][0] = CHECK_KEYS, j.task[n++][1] = 0;
  for (int i = 0; i < s->nstreams; i++)
    if (!needs || !needs->streams || needs->streams[i]) {
      j.task[n][0] = CHECK_STREAM, j.task[n++][1] = i;
      for (int part = 0; s->streams[i].order >= 0 && part < ORDER_PARTS; part++) j.task[n][0] = CHECK_ORDER, j.task[n++][1] = i * ORDER_PARTS + part;
    }
  j.ntasks = n;
  atomic_init(&j.next, 0);
  int nthreads = needs && needs->threads > 0 ? needs->threads : rt_cpus();
  rt_parallel(nthreads < n ? nthreads : n, check_worker, &j);
  /* a stream's order verdict, on its first part */
  for (int i = 0; i < n; i++)
    if (j.task[i][0] == CHECK_ORDER && j.task[i][1] % ORDER_PARTS == 0) {
      uint64_t all = 0, across = 0;
      for (int k = 0; k < ORDER_PARTS; k++) all += j.counts[i + k][0], across += j.counts[i + k][1];
      if (all != across) j.ok[i] = segd_stream_order_report(path, t, j.task[i][1] / ORDER_PARTS, j.err[i], 512);
    }
  bool ok = true;
  for (int i = 0; i < n && ok; i++)
    if (!j.ok[i]) ok = segd_fail(err, errlen, "%s", j.err[i]);
  free(j.task);
  free(j.ok);
  free(j.err);
  free(j.counts);
  return ok;
}

static bool segd_check_dict(const char *path, const rt_table *t, uint64_t bytes_len, char *err, size_t errlen) {
  const uint64_t *o = t->dict_off;
  if (o[0] != 0 || o[t->ndict] != bytes_len)
    return segd_fail(err, errlen, "%s is corrupt: dictionary offsets do not span its bytes", path);
  for (uint32_t i = 0; i < t->ndict; i++) {
    if (o[i + 1] < o[i] || o[i + 1] > bytes_len)
      return segd_fail(err, errlen, "%s is corrupt: dictionary offset %u is out of order", path, i + 1);
    if (i > 0) {
      uint64_t la = o[i] - o[i - 1], lb = o[i + 1] - o[i];
      int c = memcmp(t->dict_bytes + o[i - 1], t->dict_bytes + o[i], la < lb ? la : lb);
      if (c > 0 || (c == 0 && la >= lb))
        return segd_fail(err, errlen, "%s is corrupt: dictionary is not sorted at entry %u", path, i);
    }
  }
  return true;
}

/* Parses and checks the header and the sections' bounds; fills `out` but for
 * the values check. */
static bool segd_parse(const char *path, const uint8_t *m, uint64_t size, const seg_schema *schema,
                       rt_table *out, uint64_t *dict_bytes_len, char *err, size_t errlen) {
  if (size < SEGD_HEADER_BYTES)
    return segd_fail(err, errlen, "%s is not a segd data file (too short: %llu bytes)", path, (unsigned long long)size);
  if (memcmp(m + H_MAGIC, SEGD_MAGIC, 4) != 0) return segd_fail(err, errlen, "%s is not a segd data file (bad magic)", path);
  uint32_t version = segd_get32(m + H_VERSION);
  if (version != SEGD_VERSION)
    return segd_fail(err, errlen, "%s has segd format version %u; this segc reads version %u", path, version, SEGD_VERSION);
  if (segd_get32(m + H_HEADER_BYTES) != SEGD_HEADER_BYTES)
    return segd_fail(err, errlen, "%s is corrupt: header size %u, expected %u", path, segd_get32(m + H_HEADER_BYTES),
                     SEGD_HEADER_BYTES);
  uint64_t file_len = segd_get64(m + H_FILE_LEN);
  if (file_len != size)
    return segd_fail(err, errlen, "%s is %s: the header says %llu bytes, the file has %llu", path,
                     size < file_len ? "truncated" : "corrupt", (unsigned long long)file_len, (unsigned long long)size);
  uint64_t fields_off = segd_get64(m + H_FIELDS_OFF), fields_len = segd_get64(m + H_FIELDS_LEN);
  uint64_t blocks_off = segd_get64(m + H_BLOCKS_OFF), blocks_len = segd_get64(m + H_BLOCKS_LEN);
  uint64_t ndict = segd_get64(m + H_NDICT), doff = segd_get64(m + H_DICT_OFF_OFF);
  uint64_t dbytes_off = segd_get64(m + H_DICT_BYTES_OFF), dbytes_len = segd_get64(m + H_DICT_BYTES_LEN);
#define SEGD_IN(off, len) ((off) <= size && (len) <= size - (off))
  if (fields_off < SEGD_HEADER_BYTES || !SEGD_IN(fields_off, fields_len))
    return segd_fail(err, errlen, "%s is corrupt: the field section is outside the file", path);
  if (blocks_off % 64 != 0 || blocks_off < fields_off + fields_len || !SEGD_IN(blocks_off, blocks_len))
    return segd_fail(err, errlen, "%s is corrupt: the block section is misplaced or outside the file", path);
  if (ndict >= UINT32_MAX || doff % 8 != 0 || doff < blocks_off + blocks_len || !SEGD_IN(doff, (ndict + 1) * 8))
    return segd_fail(err, errlen, "%s is corrupt: the dictionary offsets are misplaced or outside the file", path);
  if (dbytes_off != doff + (ndict + 1) * 8 || !SEGD_IN(dbytes_off, dbytes_len))
    return segd_fail(err, errlen, "%s is corrupt: the dictionary bytes are misplaced or outside the file", path);
#undef SEGD_IN

  /* field descriptions */
  uint32_t nf = segd_get32(m + H_NFIELDS);
  if (nf > fields_len / SEGD_FIELD_FIXED)
    return segd_fail(err, errlen, "%s is corrupt: %u fields do not fit the field section", path, nf);
  segd_field *ff = calloc(nf ? nf : 1, sizeof *ff);
  if (!ff) return segd_fail(err, errlen, "%s: out of memory", path);
  const uint8_t *p = m + fields_off, *end = p + fields_len;
  for (uint32_t i = 0; i < nf; i++) {
    if ((uint64_t)(end - p) < SEGD_FIELD_FIXED) goto bad_fields;
    ff[i].name_len = segd_get32(p);
    ff[i].type_len = segd_get32(p + 4);
    ff[i].nullable = p[8] != 0;
    ff[i].key = p[9] != 0;
    ff[i].dict_share = p[11];
    ff[i].val_off = segd_get32(p + 12);
    ff[i].null_off = segd_get32(p + 16);
    p += SEGD_FIELD_FIXED;
    if ((uint64_t)ff[i].name_len + ff[i].type_len > (uint64_t)(end - p)) goto bad_fields;
    ff[i].name = (const char *)p;
    ff[i].type = (const char *)p + ff[i].name_len;
    p += ff[i].name_len + ff[i].type_len;
  }
  if (p != end) goto bad_fields;
  bool fp_equal = segd_get64(m + H_FINGERPRINT) == ty_schema_fingerprint(schema);
  if (!segd_check_fields(path, ff, nf, schema, fp_equal, err, errlen)) {
    free(ff);
    return false;
  }
  if ((uint32_t)schema->nfields != nf) {
    free(ff);
    return segd_fail(err, errlen, "%s is corrupt: a field is described twice", path);
  }

  /* layout and blocks */
  rt_layout_init(&out->layout, schema);
  if (schema->nfields > 0 && out->layout.nfields == 0) {
    free(ff);
    return segd_fail(err, errlen, "%s: out of memory", path);
  }
  for (uint32_t i = 0; i < nf; i++) {
    if (ff[i].val_off != out->layout.val_off[i] || ff[i].null_off != out->layout.null_off[i]) {
      char name[128];
      segd_fail(err, errlen, "%s is corrupt: field \"%s\" is stored at another block offset", path,
                segd_printable(ff[i].name, ff[i].name_len, name, sizeof name));
      free(ff);
      return false;
    }
  }
  if ((out->dict_share = calloc(nf + 1, 1)) != NULL) /* without it, no hint */
    for (uint32_t i = 0; i < nf; i++) out->dict_share[i] = schema->fields[i].type.kind == TY_STRING ? ff[i].dict_share : 0;
  free(ff);
  uint64_t nrecords = segd_get64(m + H_NRECORDS), nblocks = segd_get64(m + H_NBLOCKS);
  uint32_t block_records = segd_get32(m + H_BLOCK_RECORDS), block_bytes = segd_get32(m + H_BLOCK_BYTES);
  if (block_records != RT_BLOCK)
    return segd_fail(err, errlen, "%s has %u records per block; this segc uses %u", path, block_records, RT_BLOCK);
  if (block_bytes != out->layout.block_bytes)
    return segd_fail(err, errlen, "%s is corrupt: block size %u, the schema needs %u", path, block_bytes,
                     out->layout.block_bytes);
  if (nblocks != nrecords / RT_BLOCK + (nrecords % RT_BLOCK != 0))
    return segd_fail(err, errlen, "%s is corrupt: %llu blocks for %llu records", path, (unsigned long long)nblocks,
                     (unsigned long long)nrecords);
  if (block_bytes == 0 ? blocks_len != 0 : (nblocks > UINT64_MAX / block_bytes || blocks_len != nblocks * block_bytes))
    return segd_fail(err, errlen, "%s is corrupt: the block section has the wrong length", path);
  out->schema = schema;
  out->nrecords = nrecords;
  out->nblocks = nblocks;
  out->blocks = m + blocks_off;
  out->ndict = (uint32_t)ndict;
  out->dict_off = (const uint64_t *)(const void *)(m + doff);
  out->dict_bytes = (const char *)m + dbytes_off;
  *dict_bytes_len = dbytes_len; /* the dictionary is checked with the values (segd_check_values) */
  uint64_t streams_off = segd_get64(m + H_STREAMS_OFF);
  if (schema->nstreams == 0) {
    if (streams_off != 0 || size != dbytes_off + dbytes_len)
      return segd_fail(err, errlen, "%s is corrupt: data after the dictionary", path);
    return true;
  }
  if (streams_off % 8 != 0 || streams_off < dbytes_off + dbytes_len || streams_off >= size)
    return segd_fail(err, errlen, "%s is corrupt: the streams section is misplaced or outside the file", path);
  return segd_streams_read(path, m, size, streams_off, out, err, errlen);

bad_fields:
  free(ff);
  return segd_fail(err, errlen, "%s is corrupt: bad field descriptions", path);
}

/* Mapping in the customer blocks at once (MADV_POPULATE_READ, Linux 5.14),
 * MAP_SLICE bytes at a time by all the threads, when the run reads at
 * least half of each block's bytes: the file is in the page cache, and
 * faulting its pages in one by one while evaluating cost 25 ms of the
 * 0.23 s a run of the bench's attribute pack (every column) took at 10M
 * customers, for 17 ms here.  A pack that reads a few columns (the event
 * pack: a fifth of the bytes) is left to fault them in: mapping them in
 * column by column cost more than the faults did, and whole blocks more
 * still.  A kernel without it leaves the pages to be faulted in as they
 * are read. */
#define MAP_SLICE (8u << 20)

static void segd_map_in(const rt_table *t, const rt_needs *needs) {
  uint64_t read = 0; /* bytes of a block in the columns the run reads */
  for (int f = 0; f < t->layout.nfields; f++)
    if (segd_reads_field(t->schema, needs, f))
      read += (uint64_t)RT_BLOCK * ty_storage_width(t->schema->fields[f].type.kind) +
              (t->layout.null_off[f] != RT_NO_NULLS ? RT_BLOCK : 0);
  if (read * 2 < t->layout.block_bytes) return;
#ifdef MADV_POPULATE_READ
  int nthreads = needs && needs->threads > 0 ? needs->threads : rt_cpus();
  /* the blocks start 4096-aligned */
  rt_parallel_madvise((void *)(uintptr_t)t->blocks, t->nblocks * t->layout.block_bytes, MAP_SLICE, MADV_POPULATE_READ,
                      nthreads);
#endif
}

bool rt_table_open(const char *path, const seg_schema *schema, rt_table *out, char *err, size_t errlen) {
  return rt_table_open_for(path, schema, NULL, out, err, errlen);
}

bool rt_table_open_for(const char *path, const seg_schema *schema, const rt_needs *needs, rt_table *out, char *err,
                       size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!schema) return segd_fail(err, errlen, "%s: no schema given", path);
  if (!segd_little_endian()) return segd_fail(err, errlen, "%s: .segd files need a little-endian host", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return segd_fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    segd_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
    close(fd);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return segd_fail(err, errlen, "%s is not a regular file", path);
  }
  uint64_t size = (uint64_t)st.st_size;
  if (size < SEGD_HEADER_BYTES) {
    close(fd);
    return segd_fail(err, errlen, "%s is not a segd data file (too short: %llu bytes)", path, (unsigned long long)size);
  }
  void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
  int saved = errno;
  close(fd);
  if (m == MAP_FAILED) return segd_fail(err, errlen, "cannot map %s: %s", path, strerror(saved));
  out->map = m;
  out->map_len = (size_t)size;
  uint64_t dict_bytes_len = 0;
  if (!segd_parse(path, m, size, schema, out, &dict_bytes_len, err, errlen)) {
    rt_table_free(out);
    return false;
  }
  segd_map_in(out, needs);
  if (!segd_check_values(path, out, dict_bytes_len, needs, err, errlen)) {
    rt_table_free(out);
    return false;
  }
  return true;
}
