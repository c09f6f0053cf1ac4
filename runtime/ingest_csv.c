/* runtime/ingest_csv.c — CSV to .segd (runtime/ingest.h).
 *
 * Owns ingest_csv and ingest_parse_cell.  Read it in three parts:
 *   1. cell parsing: one function per type, each returning a reason on
 *      failure (static text, or a per-thread buffer for messages that name a
 *      type);
 *   2. the RFC 4180 record splitter over the whole file (mmap'd, or read into
 *      memory when it cannot be mapped): fields point into the file, and only
 *      quoted fields with "" escapes are copied, into one reused scratch
 *      buffer; a record's line is the line it starts on; a record with no
 *      quote is split from 64-byte masks of its commas and newlines, the
 *      others one field at a time;
 *   3. the ingest driver: header mapping, per-row parsing into an rt_builder,
 *      rejects, the bad-rows file and the atomic output.
 * Columns in rejects are 1-based positions in the CSV row.  A quoted empty
 * value ("") of a string field is the empty string; an unquoted empty value is
 * null when the field is nullable.  Blank lines are skipped when the header
 * has more than one column.  The bad-rows file holds the header and the raw
 * text of every rejected row in file order; it is found again by a second
 * split of the file, so no per-row offsets are kept. */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../stdlib/calendar.h"

/* ---- 1. cell parsing ---- */

static _Thread_local char ingest_why[512];

static const char *ingest_whyf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ingest_why, sizeof ingest_why, fmt, ap);
  va_end(ap);
  return ingest_why;
}

static bool ingest_ieq(const char *s, size_t n, const char *lit) {
  if (strlen(lit) != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != lit[i]) return false;
  }
  return true;
}

static bool ingest_bool(const char *s, size_t n, int64_t *out, const char **why) {
  if ((n == 1 && s[0] == '1') || ingest_ieq(s, n, "true")) return *out = 1, true;
  if ((n == 1 && s[0] == '0') || ingest_ieq(s, n, "false")) return *out = 0, true;
  *why = "not a bool (expected true, false, 1 or 0)";
  return false;
}

static bool ingest_int(const char *s, size_t n, bool is32, int64_t *out, const char **why) {
  size_t i = 0;
  bool neg = false;
  if (n && (s[0] == '+' || s[0] == '-')) neg = s[0] == '-', i = 1;
  if (i == n) return *why = "not an integer", false;
  uint64_t limit = is32 ? (neg ? UINT64_C(2147483648) : INT32_MAX) : (neg ? UINT64_C(1) << 63 : INT64_MAX);
  uint64_t v = 0;
  /* up to 18 digits v stays below 10^18 and is checked once at the end:
     no division per digit (8.7M 12-digit keys, the 1M bench's events, in
     a loop by hand: 0.11 -> 0.037 s) */
  bool few = n - i <= 18, over = false;
  for (; i < n; i++) {
    unsigned d = (unsigned)(uint8_t)s[i] - '0';
    if (d > 9) {
      *why = s[i] == '.' || s[i] == 'e' || s[i] == 'E' ? "not an integer (no fractional part or exponent allowed)"
                                                       : "not an integer";
      return false;
    }
    if (few) {
      v = v * 10 + d;
    } else {
      if (!over && v > (limit - d) / 10) over = true;
      if (!over) v = v * 10 + d;
    }
  }
  if (few) over = v > limit;
  if (over) return *why = is32 ? "out of range for int32" : "out of range for int64", false;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

static bool ingest_decimal(const seg_type *t, const char *s, size_t n, int64_t *out, const char **why) {
  int p = t->prec >= 1 && t->prec <= 18 ? t->prec : 18;
  int sc = t->scale <= p ? t->scale : p;
  char ty[64]; /* named only in messages */
  size_t i = 0;
  bool neg = false;
  if (n && (s[0] == '+' || s[0] == '-')) neg = s[0] == '-', i = 1;
  int64_t ip = 0, fp = 0;
  int nint = 0, nfrac = 0, ndig = 0;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
    if (nint == 0 && s[i] == '0') continue; /* leading zeros do not count */
    if (nint < 19) ip = ip * 10 + (s[i] - '0');
    nint++;
  }
  if (i < n && s[i] == '.') {
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
      if (nfrac < 19) fp = fp * 10 + (s[i] - '0');
      nfrac++;
    }
  }
  if (i != n || ndig == 0 || nfrac > sc || nint > p - sc) ty_name(*t, ty, sizeof ty);
  if (i != n || ndig == 0) {
    *why = ingest_whyf("not a %s number (expected digits with an optional point, no exponent)", ty);
    return false;
  }
  if (nfrac > sc) {
    *why = ingest_whyf("%d fractional digits, but %s keeps %d", nfrac, ty, sc);
    return false;
  }
  if (nint > p - sc) {
    *why = ingest_whyf("too many digits for %s (at most %d before the point)", ty, p - sc);
    return false;
  }
  int64_t v = ip;
  for (int k = 0; k < sc; k++) v *= 10;
  for (int k = nfrac; k < sc; k++) fp *= 10;
  v += fp;
  *out = neg ? -v : v;
  return true;
}

static bool ingest_float(const char *s, size_t n, double *out, const char **why) {
  size_t i = n && (s[0] == '+' || s[0] == '-');
  if (ingest_ieq(s + i, n - i < 3 ? n - i : 3, "nan") || ingest_ieq(s + i, n - i < 3 ? n - i : 3, "inf"))
    return *why = "NaN and infinity are not allowed", false;
  bool digit = false;
  for (size_t k = 0; k < n; k++) {
    char c = s[k];
    if (c >= '0' && c <= '9') digit = true;
    else if (c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E') return *why = "not a number", false;
  }
  char buf[128];
  if (!digit || n >= sizeof buf) return *why = "not a number", false;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *end;
  errno = 0;
  double d = strtod(buf, &end);
  if (end != buf + n) return *why = "not a number", false;
  if (!isfinite(d)) return *why = "out of range for float64", false;
  *out = d;
  return true;
}

static bool ingest_utf8(const char *str, size_t n) {
  const uint8_t *s = (const uint8_t *)str;
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
    else return false;
    if (n - i < (size_t)len) return false;
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += (size_t)len;
  }
  return true;
}

/* name is s[0 .. n) exactly (s may hold a NUL: it then differs), read
 * only as far as they agree: no strlen of every member for every cell */
static bool ingest_name_is(const char *name, const char *s, size_t n) {
  size_t k = 0;
  while (k < n && name[k] && name[k] == s[k]) k++;
  return k == n && name[n] == 0;
}

/* The member named s[0 .. n) (n > 0), or -1; names whose first byte
 * differs are passed over without a call (the 1M bench's 8.7M event
 * names: this lookup was 40% of ingest_parse_cell). */
static int ingest_member(const seg_members *m, const char *s, size_t n) {
  if (!m) return -1;
  for (int i = 0; i < m->n && i < 64; i++)
    if (m->names[i][0] == s[0] && ingest_name_is(m->names[i], s, n)) return i;
  return -1;
}

static bool ingest_set(const seg_type *t, const char *s, size_t n, int64_t *out, const char **why) {
  uint64_t mask = 0;
  size_t i = 0;
  for (;;) {
    size_t j = i;
    while (j < n && s[j] != '|') j++;
    if (j == i) return *why = "empty member in a set value (members are separated by |)", false;
    int m = ingest_member(t->members, s + i, j - i);
    if (m < 0) {
      char ty[400];
      *why = ingest_whyf("\"%.*s\" is not a member of %s", (int)(j - i > 64 ? 64 : j - i), s + i,
                         ty_name(*t, ty, sizeof ty));
      return false;
    }
    mask |= UINT64_C(1) << m;
    if (j == n) break;
    i = j + 1;
  }
  *out = (int64_t)mask;
  return true;
}

bool ingest_parse_cell(const seg_field *f, const char *text, size_t len, rt_cell *out, const char **why) {
  static const char *no_why;
  if (!why) why = &no_why;
  out->null = false;
  out->i = 0;
  out->f = 0;
  out->s = "";
  out->len = 0;
  seg_tykind k = f->type.kind;
  if (len == 0) {
    if (f->nullable) return out->null = true, true;
    if (k == TY_STRING || k == TY_SET) return true;
    char ty[400];
    *why = ingest_whyf("empty value for non-nullable %s field", ty_name(f->type, ty, sizeof ty));
    return false;
  }
  switch (k) {
  case TY_BOOL: return ingest_bool(text, len, &out->i, why);
  case TY_INT32: return ingest_int(text, len, true, &out->i, why);
  case TY_INT64: return ingest_int(text, len, false, &out->i, why);
  case TY_DECIMAL: return ingest_decimal(&f->type, text, len, &out->i, why);
  case TY_FLOAT64: return ingest_float(text, len, &out->f, why);
  case TY_STRING:
    if (!ingest_utf8(text, len)) return *why = "not valid UTF-8", false;
    out->s = text;
    out->len = len;
    return true;
  case TY_ENUM: {
    int m = ingest_member(f->type.members, text, len);
    if (m < 0) {
      char ty[400];
      *why = ingest_whyf("not a member of %s", ty_name(f->type, ty, sizeof ty));
      return false;
    }
    out->i = m;
    return true;
  }
  case TY_SET: return ingest_set(&f->type, text, len, &out->i, why);
  case TY_DATE:
    if (!cal_parse_date(text, len, &out->i)) return *why = "not a date (expected YYYY-MM-DD)", false;
    return true;
  case TY_TIMESTAMP:
    if (!cal_parse_timestamp(text, len, &out->i))
      return *why = "not a timestamp (expected YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM])", false;
    return true;
  default: return *why = "this type cannot be read from CSV", false;
  }
}

/* ---- 2. the record splitter ---- */

bool ingest_csv_field_at_a_time;

typedef struct csv_field {
  const char *p;   /* NULL: the text is in the scratch buffer at `off` */
  size_t off, len;
  bool quoted;
} csv_field;

typedef struct csv_reader {
  const char *buf;
  size_t len, pos;
  uint64_t line;
  csv_field *fields;
  int nfields, cap;
  char *scratch;
  size_t scratch_len, scratch_cap;
  /* the record just read */
  uint64_t rec_line;
  size_t rec_start, rec_end;
  int err_col;          /* 1-based column of the first quoting error, 0 if none */
  const char *err;
} csv_reader;

static bool csv_push_field(csv_reader *r, csv_field f) {
  if (r->nfields == r->cap) {
    int cap = r->cap ? r->cap * 2 : 64;
    csv_field *nf = realloc(r->fields, (size_t)cap * sizeof *nf);
    if (!nf) return false;
    r->fields = nf;
    r->cap = cap;
  }
  r->fields[r->nfields++] = f;
  return true;
}

static bool csv_scratch(csv_reader *r, const char *p, size_t n) {
  if (r->scratch_len + n > r->scratch_cap) {
    size_t cap = r->scratch_cap ? r->scratch_cap * 2 : 4096;
    while (cap < r->scratch_len + n) cap *= 2;
    char *s = realloc(r->scratch, cap);
    if (!s) return false;
    r->scratch = s;
    r->scratch_cap = cap;
  }
  memcpy(r->scratch + r->scratch_len, p, n);
  r->scratch_len += n;
  return true;
}

static void csv_error(csv_reader *r, const char *msg) {
  if (!r->err) r->err = msg, r->err_col = r->nfields + 1;
}

/* Reads one quoted field starting at the opening quote. */
static bool csv_quoted(csv_reader *r, csv_field *f) {
  const char *b = r->buf;
  size_t pos = r->pos + 1, seg = pos;
  bool copied = false;
  f->quoted = true;
  for (;;) {
    while (pos < r->len && b[pos] != '"') {
      if (b[pos] == '\n') r->line++;
      pos++;
    }
    if (pos >= r->len) { /* unterminated: the rest of the file is this field */
      csv_error(r, "unterminated quoted field");
      break;
    }
    if (pos + 1 < r->len && b[pos + 1] == '"') {
      if (!copied) f->off = r->scratch_len, copied = true;
      if (!csv_scratch(r, b + seg, pos + 1 - seg)) return false;
      pos += 2;
      seg = pos;
      continue;
    }
    break;
  }
  size_t end = pos < r->len ? pos : r->len;
  if (copied) {
    if (!csv_scratch(r, b + seg, end - seg)) return false;
    f->p = NULL;
    f->len = r->scratch_len - f->off;
  } else {
    f->p = b + seg;
    f->len = end - seg;
  }
  pos = end < r->len ? end + 1 : end;
  if (pos < r->len && b[pos] != ',' && b[pos] != '\n' && !(b[pos] == '\r' && pos + 1 < r->len && b[pos + 1] == '\n')) {
    csv_error(r, "unexpected character after a closing quote");
    while (pos < r->len && b[pos] != ',' && b[pos] != '\n') pos++;
  }
  if (pos < r->len && b[pos] == '\r' && pos + 1 < r->len && b[pos + 1] == '\n') pos++;
  r->pos = pos;
  return true;
}

/* The first ',', newline or quote at or after p (len when none): 16 bytes
 * at a time while they are inside the buffer. */
static size_t csv_field_end(const char *b, size_t p, size_t len) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n'), quote = _mm_set1_epi8('"');
  for (; p + 16 <= len; p += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + p));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, nl)), _mm_cmpeq_epi8(x, quote));
    unsigned m = (unsigned)_mm_movemask_epi8(hit);
    if (m) return p + (size_t)__builtin_ctz(m);
  }
#endif
  while (p < len && b[p] != ',' && b[p] != '\n' && b[p] != '"') p++;
  return p;
}

#if defined(__SSE2__)
/* Bit i set when b[i] is one of the two bytes x, y (64 bytes, 16 at a time). */
static inline uint64_t csv_mask64(const char *b, __m128i x, __m128i y) {
  uint64_t m = 0;
  for (int k = 0; k < 4; k++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k));
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, x), _mm_cmpeq_epi8(v, y));
    m |= (uint64_t)(unsigned)_mm_movemask_epi8(hit) << (16 * k);
  }
  return m;
}

/* A whole record with no quote in it, 64 bytes at a time: its fields are
 * the bytes between the bits of one comma-or-newline mask.  false (and
 * nothing read) when the record has a quote, reaches into the file's last
 * 64 bytes, or the field list cannot grow; csv_next then splits it one
 * field at a time.  (Keeping a block's masks for the records after it in
 * the same block: the 1M bench's events split in 0.141 s instead of
 * 0.145, not worth the state.) */
static bool csv_next_plain(csv_reader *r) {
  const char *b = r->buf;
  const __m128i comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n'), quote = _mm_set1_epi8('"');
  size_t start = r->pos;
  for (size_t blk = start; blk + 64 <= r->len; blk += 64) {
    uint64_t sep = csv_mask64(b + blk, comma, nl), quotes = csv_mask64(b + blk, quote, quote);
    /* only up to the first quote: a record with one is split the slow way */
    uint64_t plain = quotes ? sep & ((quotes & (0 - quotes)) - 1) : sep;
    for (; plain; plain &= plain - 1) {
      size_t p = blk + (size_t)__builtin_ctzll(plain);
      csv_field f = {.p = b + start, .len = p - start};
      if (b[p] == '\n' && f.len && b[p - 1] == '\r') f.len--;
      if (r->nfields == r->cap) break;
      r->fields[r->nfields++] = f;
      start = p + 1;
      if (b[p] == '\n') {
        r->pos = start;
        r->line++;
        return true;
      }
    }
    if (quotes || plain) break;
  }
  r->nfields = 0;
  return false;
}
#endif

/* Reads the next record; 1 when one was read, 0 at the end, -1 when out of memory. */
static int csv_next(csv_reader *r) {
  if (r->pos >= r->len) return 0;
  const char *b = r->buf;
  r->nfields = 0;
  r->scratch_len = 0;
  r->err = NULL;
  r->err_col = 0;
  r->rec_line = r->line;
  r->rec_start = r->pos;
#if defined(__SSE2__)
  if (!ingest_csv_field_at_a_time && csv_next_plain(r)) {
    r->rec_end = r->pos;
    return 1;
  }
#endif
  for (;;) {
    csv_field f = {0};
    if (r->pos < r->len && b[r->pos] == '"') {
      if (!csv_quoted(r, &f)) return -1;
    } else {
      size_t s = r->pos, p = csv_field_end(b, s, r->len);
      while (p < r->len && b[p] == '"') {
        csv_error(r, "quote inside an unquoted field (quote the whole field)");
        p = csv_field_end(b, p + 1, r->len);
      }
      f.p = b + s;
      f.len = p - s;
      if (p < r->len && b[p] == '\n' && f.len && b[p - 1] == '\r') f.len--;
      r->pos = p;
    }
    if (!csv_push_field(r, f)) return -1;
    if (r->pos < r->len && b[r->pos] == ',') {
      r->pos++;
      continue;
    }
    if (r->pos < r->len) { /* '\n' */
      r->pos++;
      r->line++;
    }
    break;
  }
  r->rec_end = r->pos;
  for (int i = 0; i < r->nfields; i++)
    if (!r->fields[i].p) r->fields[i].p = r->scratch + r->fields[i].off;
  return 1;
}

static void csv_reader_free(csv_reader *r) {
  free(r->fields);
  free(r->scratch);
}

/* ---- 3. the driver ---- */

/* One CSV file: the customers, or the events of one stream (their columns:
 * the customer key, then the stream's fields). */
typedef struct ingest_source {
  const char *path;
  const char *bad_path;         /* where its rejected rows go, or NULL */
  int stream;                   /* -1: the customers */
  const seg_field **fields;
  int nfields;
  int *field_col;               /* [nfields] CSV column of each field */
  uint64_t *bad_lines;          /* lines of rejected rows, when writing bad rows */
  size_t nbad, capbad;
  uint64_t rejected;
} ingest_source;

typedef struct ingest_state {
  const seg_schema *schema;
  const ingest_options *opt;
  ingest_report *rep;
  ingest_source *src;           /* [1 + nstreams]: the customers, then each stream */
  pthread_mutex_t lock;         /* the callbacks and oom: the files are read by two threads */
  bool oom;
} ingest_state;

static void ingest_reject(ingest_state *st, ingest_source *src, uint64_t line, int column, const char *name,
                          const char *reason) {
  src->rejected++;
  pthread_mutex_lock(&st->lock);
  if (st->opt->on_reject) st->opt->on_reject(st->opt->user, src->path, line, column, name, reason);
  pthread_mutex_unlock(&st->lock);
  if (!src->bad_path) return;
  if (src->nbad == src->capbad) {
    size_t cap = src->capbad ? src->capbad * 2 : 256;
    uint64_t *nb = realloc(src->bad_lines, cap * sizeof *nb);
    if (!nb) {
      pthread_mutex_lock(&st->lock);
      st->oom = true;
      pthread_mutex_unlock(&st->lock);
      return;
    }
    src->bad_lines = nb;
    src->capbad = cap;
  }
  src->bad_lines[src->nbad++] = line;
}

static void ingest_on_dup(void *user, uint64_t line, uint64_t first_line) {
  ingest_state *st = user;
  char why[96];
  snprintf(why, sizeof why, "duplicate key, first seen on line %llu", (unsigned long long)first_line);
  int k = st->schema->key;
  ingest_reject(st, &st->src[0], line, st->src[0].field_col[k] + 1, st->schema->fields[k].name, why);
}

static void ingest_on_orphan(void *user, int stream, uint64_t line) {
  ingest_state *st = user;
  ingest_source *src = &st->src[1 + stream];
  char why[160];
  snprintf(why, sizeof why, "no customer in %s has this %s", st->src[0].path, src->fields[0]->name);
  ingest_reject(st, src, line, src->field_col[0] + 1, src->fields[0]->name, why);
}

static bool ingest_fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return false;
}

static int ingest_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The whole file: mapped when possible, else read into memory. */
typedef struct ingest_input {
  const char *buf;
  size_t len;
  void *map;
  char *owned;
} ingest_input;

static bool ingest_read_input(const char *path, ingest_input *in, char *err, size_t errlen) {
  memset(in, 0, sizeof *in);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ingest_fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
      in->map = m;
      in->buf = m;
      in->len = (size_t)st.st_size;
      close(fd);
      return true;
    }
  }
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      close(fd);
      return ingest_fail(err, errlen, "%s: out of memory", path);
    }
    if (len == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) free(buf);
      buf = nb;
      cap *= 2;
      continue;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      free(buf);
      close(fd);
      return ingest_fail(err, errlen, "cannot read %s: %s", path, strerror(e));
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  in->owned = buf;
  in->buf = buf;
  in->len = len;
  return true;
}

static void ingest_input_free(ingest_input *in) {
  if (in->map) munmap(in->map, in->len);
  free(in->owned);
}

/* Maps header columns to the source's fields; fails on a missing or repeated column. */
static bool ingest_header(ingest_state *st, ingest_source *src, const csv_reader *r, char *err, size_t errlen) {
  const char *path = src->path;
  for (int f = 0; f < src->nfields; f++) src->field_col[f] = -1;
  char extra[512];
  size_t nextra = 0;
  int extras = 0;
  extra[0] = 0;
  for (int c = 0; c < r->nfields; c++) {
    const csv_field *h = &r->fields[c];
    for (int d = 0; d < c; d++)
      if (r->fields[d].len == h->len && memcmp(r->fields[d].p, h->p, h->len) == 0)
        return ingest_fail(err, errlen, "%s:1: column \"%.*s\" appears twice in the header (columns %d and %d)", path,
                           (int)(h->len > 200 ? 200 : h->len), h->p, d + 1, c + 1);
    int f = -1;
    for (int i = 0; i < src->nfields && f < 0; i++)
      if (strlen(src->fields[i]->name) == h->len && memcmp(src->fields[i]->name, h->p, h->len) == 0) f = i;
    if (f >= 0) {
      src->field_col[f] = c;
    } else if (nextra < sizeof extra) {
      nextra += (size_t)snprintf(extra + nextra, sizeof extra - nextra, "%s\"%.*s\"", extras ? ", " : "",
                                 (int)(h->len > 64 ? 64 : h->len), h->p);
      extras++;
    }
  }
  char missing[1024];
  size_t nm = 0;
  int nmissing = 0;
  for (int f = 0; f < src->nfields; f++) {
    if (src->field_col[f] >= 0) continue;
    if (nm < sizeof missing)
      nm += (size_t)snprintf(missing + nm, sizeof missing - nm, "%s\"%s\"", nmissing ? ", " : "", src->fields[f]->name);
    nmissing++;
  }
  if (nmissing)
    return ingest_fail(err, errlen, "%s:1: the header has no column%s %s for the %s's field%s", path,
                       nmissing > 1 ? "s" : "", missing,
                       src->stream < 0 ? "schema" : st->schema->streams[src->stream].name, nmissing > 1 ? "s" : "");
  if (extras && st->opt->on_warning) {
    pthread_mutex_lock(&st->lock);
    char msg[700];
    snprintf(msg, sizeof msg, "%s: ignoring %d column%s not in the %s: %s", path, extras, extras > 1 ? "s" : "",
             src->stream < 0 ? "schema" : "stream", extra);
    st->opt->on_warning(st->opt->user, msg);
    pthread_mutex_unlock(&st->lock);
  }
  return true;
}

/* Writes the header and every rejected row's raw text, in file order, to a
 * temporary file next to the source's bad-rows path; *tmp receives its name. */
static bool ingest_write_bad_rows(ingest_source *src, const ingest_input *in, size_t start, char **tmp, char *err,
                                  size_t errlen) {
  const char *path = src->bad_path;
  size_t tl = strlen(path) + 32;
  *tmp = malloc(tl);
  if (!*tmp) return ingest_fail(err, errlen, "%s: out of memory", path);
  snprintf(*tmp, tl, "%s.tmp.%ld", path, (long)getpid());
  FILE *fp = fopen(*tmp, "wb");
  if (!fp) return ingest_fail(err, errlen, "cannot create %s: %s", *tmp, strerror(errno));
  if (src->nbad) qsort(src->bad_lines, src->nbad, sizeof *src->bad_lines, ingest_cmp_u64);
  csv_reader r = {.buf = in->buf, .len = in->len, .pos = start, .line = 1};
  size_t k = 0;
  bool ok = true, first = true;
  int got, e = 0;
  while (ok && (got = csv_next(&r)) == 1) {
    bool want = first;
    first = false;
    while (k < src->nbad && src->bad_lines[k] < r.rec_line) k++;
    if (k < src->nbad && src->bad_lines[k] == r.rec_line) want = true;
    if (!want) {
      if (k >= src->nbad) break;
      continue;
    }
    size_t n = r.rec_end - r.rec_start;
    ok = fwrite(in->buf + r.rec_start, 1, n, fp) == n;
    if (ok && (n == 0 || in->buf[r.rec_end - 1] != '\n')) ok = fputc('\n', fp) != EOF;
    if (!ok) e = errno;
  }
  csv_reader_free(&r);
  if (got < 0) ok = false, e = ENOMEM;
  if (ok && fflush(fp) != 0) ok = false, e = errno;
  if (ok && fsync(fileno(fp)) != 0) ok = false, e = errno;
  if (fclose(fp) != 0 && ok) ok = false, e = errno;
  if (!ok) {
    unlink(*tmp);
    return ingest_fail(err, errlen, "cannot write %s: %s", path, strerror(e ? e : EIO));
  }
  return true;
}

static double ingest_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Parses every data row of a source into the builder; returns the rows read. */
static uint64_t ingest_rows(ingest_state *st, ingest_source *src, csv_reader *r, int ncols, rt_builder *b,
                            rt_cell *cells, bool *ok_out) {
  char why[64];
  int got;
  uint64_t rows = 0;
  while ((got = csv_next(r)) == 1) {
    if (ncols > 1 && r->nfields == 1 && r->fields[0].len == 0 && !r->fields[0].quoted) continue; /* blank line */
    rows++;
    if (r->err) {
      const char *name = NULL;
      for (int f = 0; f < src->nfields && !name; f++)
        if (src->field_col[f] == r->err_col - 1) name = src->fields[f]->name;
      ingest_reject(st, src, r->rec_line, r->err_col, name, r->err);
      continue;
    }
    if (r->nfields != ncols) {
      snprintf(why, sizeof why, "expected %d columns, found %d", ncols, r->nfields);
      ingest_reject(st, src, r->rec_line, 0, NULL, why);
      continue;
    }
    bool ok = true;
    for (int f = 0; f < src->nfields && ok; f++) {
      const seg_field *fd = src->fields[f];
      const csv_field *c = &r->fields[src->field_col[f]];
      const char *reason = NULL;
      if (c->len == 0 && c->quoted && fd->type.kind == TY_STRING) {
        cells[f] = (rt_cell){.s = "", .len = 0};
      } else if (!ingest_parse_cell(fd, c->p, c->len, &cells[f], &reason)) {
        ingest_reject(st, src, r->rec_line, src->field_col[f] + 1, fd->name, reason);
        ok = false;
      }
    }
    if (!ok) continue;
    if (src->stream < 0) rt_builder_add(b, cells, r->rec_line);
    else rt_builder_add_event(b, src->stream, &cells[0], cells + 1, r->rec_line);
  }
  *ok_out = got == 0;
  return rows;
}

/* Reads one source file into the builder: header, then rows. */
static bool ingest_source_read(ingest_state *st, ingest_source *src, ingest_input *in, size_t *data_start,
                               rt_builder *b, uint64_t *rows, char *err, size_t errlen) {
  if (!ingest_read_input(src->path, in, err, errlen)) return false;
  csv_reader r = {.buf = in->buf, .len = in->len, .line = 1};
  if (in->len >= 3 && memcmp(in->buf, "\xEF\xBB\xBF", 3) == 0) r.pos = 3;
  *data_start = r.pos;
  rt_cell *cells = calloc((size_t)src->nfields + 1, sizeof *cells);
  src->field_col = malloc(((size_t)src->nfields + 1) * sizeof *src->field_col);
  bool ok = false;
  int got = cells && src->field_col ? csv_next(&r) : -1;
  if (got < 0) ingest_fail(err, errlen, "%s: out of memory", src->path);
  else if (got == 0 || (r.nfields == 1 && r.fields[0].len == 0))
    ingest_fail(err, errlen, "%s:1: no header row (the first line must name the columns)", src->path);
  else if (r.err) ingest_fail(err, errlen, "%s:1: bad header row: %s", src->path, r.err);
  else if (ingest_header(st, src, &r, err, errlen)) {
    *rows = ingest_rows(st, src, &r, r.nfields, b, cells, &ok);
    if (!ok) ingest_fail(err, errlen, "%s: out of memory", src->path);
  }
  csv_reader_free(&r);
  free(cells);
  return ok;
}

/* "bad.csv" -> "bad.events.csv": where a stream's rejected rows go. */
static char *ingest_stream_bad_path(const char *bad, const char *stream) {
  size_t n = strlen(bad) + strlen(stream) + 2;
  char *p = malloc(n);
  if (!p) return NULL;
  const char *dot = strrchr(bad, '.'), *slash = strrchr(bad, '/');
  if (dot && (!slash || dot > slash + 1)) snprintf(p, n, "%.*s.%s%s", (int)(dot - bad), bad, stream, dot);
  else snprintf(p, n, "%s.%s", bad, stream);
  return p;
}

static bool ingest_sources(ingest_state *st, const seg_schema *schema, const ingest_options *opt) {
  int ns = 1 + schema->nstreams;
  st->src = calloc((size_t)ns, sizeof *st->src);
  if (!st->src) return false;
  ingest_source *c = &st->src[0];
  c->path = opt->csv_path;
  c->bad_path = opt->bad_rows_path;
  c->stream = -1;
  c->nfields = schema->nfields;
  c->fields = malloc(((size_t)schema->nfields + 1) * sizeof *c->fields);
  if (!c->fields) return false;
  for (int f = 0; f < schema->nfields; f++) c->fields[f] = &schema->fields[f];
  for (int s = 0; s < schema->nstreams; s++) {
    ingest_source *e = &st->src[1 + s];
    const seg_stream *stm = &schema->streams[s];
    e->stream = s;
    e->path = opt->stream_paths ? opt->stream_paths[s] : NULL;
    if (e->path && opt->bad_rows_path && !(e->bad_path = ingest_stream_bad_path(opt->bad_rows_path, stm->name)))
      return false;
    e->nfields = 1 + stm->nfields;
    e->fields = malloc(((size_t)e->nfields + 1) * sizeof *e->fields);
    if (!e->fields) return false;
    e->fields[0] = &schema->fields[schema->key];
    for (int f = 0; f < stm->nfields; f++) e->fields[1 + f] = &stm->fields[f];
  }
  return true;
}

static void ingest_sources_free(ingest_state *st, int n) {
  for (int i = 0; st->src && i < n; i++) {
    ingest_source *src = &st->src[i];
    if (i > 0) free((char *)src->bad_path);
    free(src->fields);
    free(src->field_col);
    free(src->bad_lines);
  }
  free(st->src);
}

/* The event files, one after the other (ingest_csv's second thread). */
typedef struct events_job {
  ingest_state *st;
  ingest_input *in;
  size_t *data_start;
  rt_builder *b;
  bool ok;
  char err[1024];
} events_job;

static void *read_event_files(void *arg) {
  events_job *j = arg;
  ingest_report *rep = j->st->rep;
  for (int i = 1; j->ok && i <= j->st->schema->nstreams; i++) {
    ingest_source *src = &j->st->src[i];
    if (!src->path) continue;
    double ts = ingest_now();
    uint64_t rows = 0;
    j->ok = ingest_source_read(j->st, src, &j->in[i], &j->data_start[i], j->b, &rows, j->err, sizeof j->err);
    if (j->ok) rt_builder_sort_events(j->b, i - 1); /* while the customers are still being read */
    rep->events_read += rows;
    rep->event_bytes_read += j->in[i].len;
    rep->event_seconds += ingest_now() - ts;
  }
  return NULL;
}

bool ingest_csv(const seg_schema *schema, const ingest_options *opt, ingest_report *rep, char *err, size_t errlen) {
  double t0 = ingest_now();
  memset(rep, 0, sizeof *rep);
  if (!schema || !opt || !opt->csv_path) return ingest_fail(err, errlen, "ingest: no schema or input file given");
  bool any_stream = false;
  for (int s = 0; opt->stream_paths && s < schema->nstreams; s++) any_stream |= opt->stream_paths[s] != NULL;
  if (any_stream && schema->key < 0) return ingest_fail(err, errlen, "ingest: events need a key field in the schema");
  int ns = 1 + schema->nstreams;
  ingest_state st = {.schema = schema, .opt = opt, .rep = rep};
  pthread_mutex_init(&st.lock, NULL);
  ingest_input *in = calloc((size_t)ns, sizeof *in);
  size_t *data_start = calloc((size_t)ns, sizeof *data_start);
  char **bad_tmp = calloc((size_t)ns, sizeof *bad_tmp);
  rt_builder *b = rt_builder_new(schema);
  rt_table table;
  memset(&table, 0, sizeof table);
  bool ok = false;
  if (!in || !data_start || !bad_tmp || !b || !ingest_sources(&st, schema, opt)) {
    ingest_fail(err, errlen, "%s: out of memory", opt->csv_path);
    goto done;
  }
  /* the event files are read by a second thread while this one reads the customers */
  events_job ev = {.st = &st, .in = in, .data_start = data_start, .b = b, .ok = true};
  pthread_t th;
  bool two = any_stream && rt_builder_share(b, true) && pthread_create(&th, NULL, read_event_files, &ev) == 0;
  uint64_t rows = 0;
  bool read_ok = ingest_source_read(&st, &st.src[0], &in[0], &data_start[0], b, &rows, err, errlen);
  /* the customers' dictionary and key order while the events are still being read */
  if (two && read_ok) rt_builder_prepare(b, &table, schema->key >= 0 ? ingest_on_dup : NULL, &st);
  if (two) pthread_join(th, NULL);
  else if (read_ok) read_event_files(&ev);
  rt_builder_share(b, false);
  if (!read_ok) goto done;
  if (!ev.ok) {
    snprintf(err, errlen, "%s", ev.err);
    goto done;
  }
  rep->rows_read = rows;
  rep->bytes_read = in[0].len;
  rt_builder_on_orphan(b, ingest_on_orphan);
  uint64_t kept = rt_builder_finish(b, &table, schema->key >= 0 ? ingest_on_dup : NULL, &st);
  b = NULL;
  if (kept == UINT64_MAX || st.oom) {
    ingest_fail(err, errlen, "%s: out of memory while building the table", opt->csv_path);
    goto done;
  }
  rep->rows_kept = kept;
  rep->rows_rejected = st.src[0].rejected;
  for (int s = 0; s < schema->nstreams; s++) {
    rep->events_rejected += st.src[1 + s].rejected;
    rep->events_kept += table.streams[s].nevents;
  }
  for (int i = 0; i < ns; i++)
    if (st.src[i].path && st.src[i].bad_path &&
        !ingest_write_bad_rows(&st.src[i], &in[i], data_start[i], &bad_tmp[i], err, errlen)) {
      free(bad_tmp[i]);
      bad_tmp[i] = NULL;
      goto done;
    }
  if (opt->out_path && !rt_table_write(&table, opt->out_path, err, errlen)) goto done;
  ok = true;
  for (int i = 0; ok && i < ns; i++)
    if (bad_tmp[i] && rename(bad_tmp[i], st.src[i].bad_path) != 0)
      ok = ingest_fail(err, errlen, "cannot write %s: %s", st.src[i].bad_path, strerror(errno));
done:
  for (int i = 0; bad_tmp && i < ns; i++)
    if (bad_tmp[i]) {
      unlink(bad_tmp[i]);
      free(bad_tmp[i]);
    }
  free(bad_tmp);
  rt_builder_free(b);
  rt_table_free(&table);
  for (int i = 0; in && i < ns; i++) ingest_input_free(&in[i]);
  free(in);
  free(data_start);
  ingest_sources_free(&st, ns);
  pthread_mutex_destroy(&st.lock);
  rep->seconds = ingest_now() - t0;
  return ok;
}
