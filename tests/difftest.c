/* tests/difftest.c — differential test: the JIT against the reference
 * interpreter on generated, well-typed rules over generated data.
 *
 *   difftest [--rules N] [--seed S] [--records R] [--per-pack K] [--depth D] [--agg-pct P] [--many-strings] [--verbose]
 *
 * Rules are generated as .seg text (so the parser and checker run too) by a
 * type-directed generator (gen_bool / gen_num / gen_str / gen_time / ...):
 * every rule type-checks by construction; a rule that does not is a bug of
 * the generator or of the checker, and the run stops with the diagnostics.
 * Each pack holds K segments (some with a child segment) plus a few consts;
 * every segment's rule is also a pack output of its own ("extra"), whose
 * byte keeps UNKNOWN apart from FALSE.  The data (one table, R records, more
 * than one 4096-record block) covers every type, nulls, and edge values;
 * with --many-strings, s1 is mostly numbered and its dictionary spans
 * several chunks of lift work (runtime/lifts.c).
 *
 * The schema has two streams (events: timestamp order, enum, nullable
 * decimal/int64/float64/date/bool/string, int32; visits: ordered by a date
 * marked key, with a nullable timestamp before it, an enum of the
 * customers' enum type, and two fields that shadow customer fields).  Each
 * customer has 0..N events of each (skewed: many with 0-3, some with 15+,
 * a few with 28+), with nulls, ties in time, added out of order and
 * interleaved across customers, plus a few orphans the builder drops.
 * About P% (default 33) of the rules have aggregates: count/exists/sum/avg/
 * min/max/first/last, with and without `where` and binders, over value
 * expressions, nested (reading outer binders and outer binderless scopes),
 * inside arithmetic, comparisons, `??`, between, in; `where` conditions that
 * can be UNKNOWN, read customer fields, consts and segments.  A few rules
 * read strings inside aggregates (the JIT's interpreter fallback).
 * Every pack runs at two as-of instants, JIT (one pack with 2 threads) and
 * interpreter, and every output byte of every record must be equal; the
 * interpreter runs the program read back from its image (lang/image.h, what
 * a prebuilt pack holds), so a node or field the image loses shows here.
 *
 * On a mismatch: the seed, pack, rule text, record (with its events) and
 * both bytes are printed, the whole pack is written to difftest-fail.seg, and the exit
 * status is 1. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/pack.h"
#include "lang/diag.h"
#include "lang/image.h"
#include "lang/load.h"
#include "runtime/exec.h"
#include "runtime/interp.h"
#include "runtime/table.h"
#include "stdlib/calendar.h"

/* ---- PRNG: splitmix64 ---------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void) {
  uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}
static int rn(int n) { return (int)(rnd() % (uint64_t)n); }
static bool chance(int pct) { return rn(100) < pct; }
static int64_t rrange(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }

/* ---- strings ------------------------------------------------------------- */

static char *xs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xs(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) {
    perror("vasprintf");
    exit(2);
  }
  va_end(ap);
  return s;
}

/* xs + frees the string arguments passed in `f1`, `f2`, `f3` (NULL ok) */
static char *take(char *s, char *f1, char *f2, char *f3) {
  free(f1);
  free(f2);
  free(f3);
  return s;
}

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;
static void sb_add(sbuf *b, const char *s) {
  size_t k = strlen(s);
  if (b->n + k + 1 > b->cap) {
    b->cap = (b->n + k + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, k + 1);
  b->n += k;
}

/* ---- the schema ---------------------------------------------------------- */

static const char *SCHEMA =
    "schema customer {\n"
    "  id    : int64 key\n"
    "  i32   : int32?\n"
    "  i64   : int64\n"
    "  f64   : float64?\n"
    "  d12   : decimal(12,2)?\n"
    "  d10   : decimal(10,4)\n"
    "  s1    : string?\n"
    "  s2    : string\n"
    "  e1    : enum(bronze, silver, gold, platinum)?\n"
    "  e2    : enum(bronze, silver, gold, platinum)\n"
    "  tags  : set(email, sms, push, whatsapp)\n"
    "  tags2 : set(email, sms, push, whatsapp)?\n"
    "  dt    : date?\n"
    "  dt2   : date\n"
    "  ts    : timestamp?\n"
    "  ts2   : timestamp\n"
    "  b1    : bool?\n"
    "  b2    : bool\n"
    "  stream events {\n"
    "    at     : timestamp\n"
    "    kind   : enum(purchase, friend_added, page_view, email_open, cart_add, redeem)\n"
    "    amount : decimal(12,2)?\n"
    "    qty    : int64?\n"
    "    units  : int32\n"
    "    rating : float64?\n"
    "    due    : date?\n"
    "    flag   : bool?\n"
    "    note   : string?\n"
    "  }\n"
    "  stream visits {\n"
    "    seen   : timestamp?\n"
    "    vday   : date key\n"
    "    tier   : enum(bronze, silver, gold, platinum)?\n"
    "    secs   : float64\n"
    "    ok     : bool\n"
    "    dt     : date?\n"
    "    d10    : decimal(10,4)\n"
    "  }\n"
    "}\n";
enum { F_ID, F_I32, F_I64, F_F64, F_D12, F_D10, F_S1, F_S2, F_E1, F_E2, F_TAGS, F_TAGS2, F_DT, F_DT2, F_TS, F_TS2,
       F_B1, F_B2, NFIELDS };

/* The streams, as the generator sees them (same order as in SCHEMA).  The
 * events are ordered by `at` (the first time field), the visits by `vday`
 * (marked key; `seen` comes first and is nullable).  visits.dt and
 * visits.d10 shadow the customer fields of the same name and type: inside
 * a binderless scope over visits a bare `dt` is the event's (the checker
 * warns), and either reading type-checks. */
enum { SF_TS, SF_DATE, SF_KIND, SF_TIER, SF_DEC, SF_INT, SF_FLT, SF_BOOL, SF_STR };
typedef struct sfield {
  const char *name;
  int ty, scale;
  bool nullable;
} sfield;
static const sfield EV_FIELDS[] = {{"at", SF_TS, 0, false},     {"kind", SF_KIND, 0, false}, {"amount", SF_DEC, 2, true},
                                   {"qty", SF_INT, 0, true},     {"units", SF_INT, 0, false}, {"rating", SF_FLT, 0, true},
                                   {"due", SF_DATE, 0, true},    {"flag", SF_BOOL, 0, true},  {"note", SF_STR, 0, true}};
static const sfield VI_FIELDS[] = {{"seen", SF_TS, 0, true}, {"vday", SF_DATE, 0, false}, {"tier", SF_TIER, 0, true},
                                   {"secs", SF_FLT, 0, false}, {"ok", SF_BOOL, 0, false}, {"dt", SF_DATE, 0, true},
                                   {"d10", SF_DEC, 4, false}};
typedef struct sdef {
  const char *name;
  const sfield *f;
  int nf;
} sdef;
#define NSTREAMS 2
static const sdef STREAMS[NSTREAMS] = {{"events", EV_FIELDS, (int)(sizeof EV_FIELDS / sizeof *EV_FIELDS)},
                                       {"visits", VI_FIELDS, (int)(sizeof VI_FIELDS / sizeof *VI_FIELDS)}};
#define MAX_SFIELDS 9
static const char *KINDS[] = {"purchase", "friend_added", "page_view", "email_open", "cart_add", "redeem"};

static const char *MEMBERS[] = {"bronze", "silver", "gold", "platinum"};
static const char *FLAGS[] = {"email", "sms", "push", "whatsapp"};

/* strings in the data; literals draw from these and a few more */
static const char *STR_POOL[] = {"", "a", "A", "ab", "b", "ba", "aaa", "abc", "ABC", "Paris", "paris", "PARIS",
                                 "New York", "new york", "M\xC3\xBCnchen", "m\xC3\xBCnchen", "M\xC3\x9CNCHEN",
                                 "S\xC3\xA3o Paulo", "\xE6\x97\xA5\xE6\x9C\xAC", "x%y", "say \"hi\"", "back\\slash",
                                 "tab\there", "  padded ", "zz", "Zurich", "0", "123", "n"};
#define NSTR (int)(sizeof STR_POOL / sizeof *STR_POOL)
static const char *STR_EXTRA[] = {"Par", "is", "ork", "M\xC3\xBC", "chen", "new", "not there", "z", "N", "\xC3\xBC"};
#define NSTRX (int)(sizeof STR_EXTRA / sizeof *STR_EXTRA)
static const char *REGEXES[] = {"^a", "b$", "[Mm]\xC3\xBCnchen", "^$", "o+", "(ab|ba)", "^[A-Z]", "[0-9]", "i.*s",
                                ".", "^.{3}$", "[[:space:]]", "^(new|New) ", "a{2,}", "[^a-z]"};
#define NREGEX (int)(sizeof REGEXES / sizeof *REGEXES)

/* ---- the data ------------------------------------------------------------ */

static int64_t days(int y, int m, int d) { return cal_days_from_civil(y, (unsigned)m, (unsigned)d); }

static int64_t gen_date_value(void) {
  static const int special[][3] = {{2024, 2, 28}, {2024, 2, 29}, {2024, 3, 1}, {2000, 2, 29}, {1900, 2, 28},
                                   {1900, 3, 1},  {1970, 1, 1},  {1969, 12, 31}, {2023, 2, 28}, {2023, 3, 1},
                                   {1, 1, 1},     {9999, 12, 31}, {2026, 3, 1}, {2025, 12, 31}, {2008, 2, 29}};
  if (chance(35)) {
    const int *s = special[rn((int)(sizeof special / sizeof *special))];
    return days(s[0], s[1], s[2]);
  }
  return rrange(days(1900, 1, 1), days(2100, 12, 31));
}

static int64_t gen_ts_value(void) {
  int64_t d = gen_date_value();
  if (d < days(1600, 1, 1) || d > days(9000, 1, 1)) d = days(1969, 12, 31); /* keep ts +- durations valid */
  int64_t usec;
  switch (rn(5)) {
  case 0: usec = 0; break;
  case 1: usec = CAL_USEC_PER_DAY - 1; break;
  case 2: usec = rrange(0, 23) * 3600 * CAL_USEC_PER_SEC; break;
  default: usec = rrange(0, CAL_USEC_PER_DAY - 1); break;
  }
  return d * CAL_USEC_PER_DAY + usec;
}

static int64_t gen_int_value(int64_t lo, int64_t hi) {
  switch (rn(10)) {
  case 0: return 0;
  case 1: return rn(2) ? 1 : -1;
  case 2: return rn(2) ? hi : lo;
  case 3: return rn(2) ? hi - rn(3) : lo + rn(3);
  case 4: return rrange(-1000000, 1000000);
  default: return rrange(-200, 200);
  }
}

static int64_t gen_dec_value(int64_t limit, int scale) {
  switch (rn(8)) {
  case 0: return 0;
  case 1: return rn(2) ? limit : -limit;
  case 2: return rrange(-limit, limit);
  case 3: { /* a whole number */
    int64_t m = 1;
    for (int i = 0; i < scale; i++) m *= 10;
    return rrange(-500, 500) * m;
  }
  case 4: { /* exactly half a unit: round() ties */
    int64_t m = 1;
    for (int i = 0; i < scale; i++) m *= 10;
    return rrange(-50, 50) * m + (rn(2) ? m / 2 : -m / 2);
  }
  default: return rrange(-100000, 100000);
  }
}

static double gen_f64_value(void) {
  static const double special[] = {0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e300, -1e300, 1e-300, 123456.789, 0.1,
                                   1e18, 9.223372036854775807e18, 3.0, 7.0};
  if (chance(40)) return special[rn((int)(sizeof special / sizeof *special))];
  return (double)rrange(-1000000, 1000000) / (double)(1 + rn(1000));
}

/* ---- the events ---------------------------------------------------------- */

/* each pack runs at two of these as-of instants (leap days, the day before
   1 March in a common year for age_years, before 1970, the far past) */
#define NASOF 6
static int64_t as_of[NASOF];
static const char *as_of_text[NASOF] = {"2026-03-01T00:00:00Z", "2024-02-29T13:30:00.25Z",
                                        "2025-02-28T23:59:59.999999Z", "1969-12-31T23:59:59Z",
                                        "2000-02-29T00:00:00Z", "1900-03-01T12:00:00Z"};

/* how many events a customer has: skewed, many with none or a few, some 15+ */
static int nevents_for(void) {
  int r = rn(1000);
  if (r < 300) return 0;
  if (r < 720) return 1 + rn(3);
  if (r < 940) return 4 + rn(6);
  if (r < 992) return 15 + rn(10);
  return 28 + rn(10);
}

typedef struct evrec {
  int stream;
  int64_t key, t;  /* t: the order value (only to sort some customers' events before adding) */
  rt_cell c[MAX_SFIELDS];
} evrec;
typedef struct evlist {
  evrec *v;
  size_t n, cap;
} evlist;
static evrec *ev_push(evlist *l) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 4096;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    if (!l->v) {
      fprintf(stderr, "difftest: out of memory\n");
      exit(2);
    }
  }
  evrec *e = &l->v[l->n++];
  memset(e, 0, sizeof *e);
  return e;
}
static int ev_cmp_t(const void *pa, const void *pb) {
  const evrec *a = pa, *b = pb;
  return a->t < b->t ? -1 : a->t > b->t;
}

static void gen_events(evlist *l, int64_t key) {
  /* the customer's events cluster around one of the as-of instants (so
     `at >= now - 30d` selects some), or anywhere */
  int64_t center = chance(70) ? as_of[rn(NASOF)] - rrange(-30, 400) * CAL_USEC_PER_DAY : gen_ts_value();
  size_t first = l->n;
  int n = nevents_for();
  for (int i = 0; i < n; i++) {
    evrec *e = ev_push(l);
    e->stream = 0;
    e->key = key;
    rt_cell *c = e->c;
    if (i > 0 && chance(20)) c[0].i = l->v[l->n - 2].c[0].i; /* a tie with the previous event */
    else if (chance(30)) c[0].i = center - rrange(0, 200) * CAL_USEC_PER_DAY; /* midnight-aligned if center is */
    else c[0].i = center - rrange(-20 * CAL_USEC_PER_DAY, 200 * CAL_USEC_PER_DAY);
    c[1].i = rn(6);
    c[2].i = gen_dec_value(INT64_C(999999999999), 2);
    c[3].i = chance(5) ? (rn(2) ? INT64_MAX - rn(2) : INT64_MIN + rn(2)) : gen_int_value(INT64_MIN / 2, INT64_MAX / 2);
    c[4].i = gen_int_value(INT32_MIN, INT32_MAX);
    c[5].f = gen_f64_value();
    c[6].i = chance(70) ? cal_floordiv(c[0].i, CAL_USEC_PER_DAY) + rrange(-3, 30) : gen_date_value();
    c[7].i = rn(2);
    const char *str = STR_POOL[rn(NSTR)];
    c[8].s = str;
    c[8].len = strlen(str);
    for (int f = 0; f < STREAMS[0].nf; f++)
      if (STREAMS[0].f[f].nullable) c[f].null = chance(20);
    e->t = c[0].i;
  }
  n = nevents_for() / 2 + (chance(10) ? 3 : 0);
  int64_t cday = cal_floordiv(center, CAL_USEC_PER_DAY);
  for (int i = 0; i < n; i++) {
    evrec *e = ev_push(l);
    e->stream = 1;
    e->key = key;
    rt_cell *c = e->c;
    c[0].i = center - rrange(-20 * CAL_USEC_PER_DAY, 100 * CAL_USEC_PER_DAY);
    c[1].i = chance(30) ? cday : cday - rrange(-5, 60); /* dates: many ties */
    c[2].i = rn(4);
    c[3].f = gen_f64_value();
    c[4].i = rn(2);
    c[5].i = chance(60) ? cday - rrange(-10, 100) : gen_date_value();
    c[6].i = gen_dec_value(INT64_C(9999999999), 4);
    for (int f = 0; f < STREAMS[1].nf; f++)
      if (STREAMS[1].f[f].nullable) c[f].null = chance(20);
    e->t = c[1].i;
  }
  if (chance(40)) { /* some customers' events arrive in order (each stream sorted on its own) */
    size_t mid = first;
    while (mid < l->n && l->v[mid].stream == 0) mid++;
    qsort(l->v + first, mid - first, sizeof *l->v, ev_cmp_t);
    qsort(l->v + mid, l->n - mid, sizeof *l->v, ev_cmp_t);
  }
}

static void count_orphan(void *user, int stream, uint64_t line) {
  (void)stream, (void)line;
  ++*(uint64_t *)user;
}

static bool many_strings; /* --many-strings: s1 is mostly a pool string and a number */

static rt_table build_table(const seg_schema *schema, int nrecords) {
  rt_builder *b = rt_builder_new(schema);
  if (!b) {
    fprintf(stderr, "difftest: out of memory\n");
    exit(2);
  }
  for (int r = 0; r < nrecords; r++) {
    rt_cell c[NFIELDS];
    memset(c, 0, sizeof c);
    c[F_ID].i = (int64_t)r * 3 - nrecords; /* ascending: row order == generation order */
    c[F_I32].i = gen_int_value(INT32_MIN, INT32_MAX);
    c[F_I64].i = chance(4) ? (rn(2) ? INT64_MAX - rn(2) : INT64_MIN + rn(2)) : gen_int_value(INT64_MIN / 2, INT64_MAX / 2);
    c[F_F64].f = gen_f64_value();
    c[F_D12].i = gen_dec_value(INT64_C(999999999999), 2);
    c[F_D10].i = gen_dec_value(INT64_C(9999999999), 4);
    const char *s = STR_POOL[rn(NSTR)];
    char numbered[64];
    if (many_strings && chance(70)) { /* a dictionary of several lift chunks (runtime/lifts.c), read in place */
      snprintf(numbered, sizeof numbered, "%s%d", s, rn(100000));
      s = numbered;
    }
    c[F_S1].s = s;
    c[F_S1].len = strlen(s);
    s = chance(30) ? c[F_S1].s : STR_POOL[rn(NSTR)];
    c[F_S2].s = s;
    c[F_S2].len = strlen(s);
    c[F_E1].i = rn(4);
    c[F_E2].i = chance(30) ? c[F_E1].i : rn(4);
    c[F_TAGS].i = rn(16);
    c[F_TAGS2].i = rn(16);
    c[F_DT].i = gen_date_value();
    c[F_DT2].i = chance(20) ? c[F_DT].i : gen_date_value();
    c[F_TS].i = gen_ts_value();
    c[F_TS2].i = chance(20) ? c[F_TS].i : gen_ts_value();
    c[F_B1].i = rn(2);
    c[F_B2].i = rn(2);
    for (int f = 0; f < NFIELDS; f++)
      if (schema->fields[f].nullable) c[f].null = chance(15);
    rt_builder_add(b, c, (uint64_t)r + 1);
  }
  /* the events: added with the customer's key, mostly customer after
     customer but with some swapped far apart, plus a few orphans (keys of
     no customer) that the builder drops */
  evlist ev = {0};
  for (int r = 0; r < nrecords; r++) gen_events(&ev, (int64_t)r * 3 - nrecords);
  for (size_t i = 0; i < ev.n / 10; i++) {
    size_t x = (size_t)rn((int)ev.n), y = chance(50) ? (size_t)rn((int)ev.n) : (x + 1 < ev.n ? x + 1 : x);
    evrec tmp = ev.v[x];
    ev.v[x] = ev.v[y];
    ev.v[y] = tmp;
  }
  uint64_t per_stream[NSTREAMS] = {0}, orphans_added = 0, orphans = 0;
  for (size_t i = 0; i < ev.n; i++) {
    rt_cell key = {.i = ev.v[i].key};
    rt_builder_add_event(b, ev.v[i].stream, &key, ev.v[i].c, (uint64_t)nrecords + i + 1);
    per_stream[ev.v[i].stream]++;
    if (chance(1)) { /* an orphan: ids are -nrecords + 3k, so +1 is nobody's */
      key.i = ev.v[i].key + 1;
      rt_builder_add_event(b, ev.v[i].stream, &key, ev.v[i].c, 0);
      orphans_added++;
    }
  }
  free(ev.v);
  rt_builder_on_orphan(b, count_orphan);
  rt_table t;
  uint64_t kept = rt_builder_finish(b, &t, NULL, &orphans);
  if (kept != (uint64_t)nrecords) {
    fprintf(stderr, "difftest: the table kept %" PRIu64 " of %d records\n", kept, nrecords);
    exit(2);
  }
  if (orphans != orphans_added || t.nstreams != NSTREAMS) {
    fprintf(stderr, "difftest: %" PRIu64 " orphan events reported, %" PRIu64 " added\n", orphans, orphans_added);
    exit(2);
  }
  for (int s = 0; s < NSTREAMS; s++)
    if (t.streams[s].nevents != per_stream[s] || t.streams[s].start[t.nrecords] != per_stream[s]) {
      fprintf(stderr, "difftest: stream %s kept %" PRIu64 " of %" PRIu64 " events\n", STREAMS[s].name,
              t.streams[s].nevents, per_stream[s]);
      exit(2);
    }
  return t;
}

static void print_value(FILE *out, const seg_field *fd, int64_t v, double f, const rt_table *t) {
  char buf[64];
  switch (fd->type.kind) {
  case TY_FLOAT64: fprintf(out, "%.17g", f); break;
  case TY_DECIMAL: fprintf(out, "%" PRId64 " (raw, scale %d)", v, fd->type.scale); break;
  case TY_STRING: {
    size_t n;
    const char *str = rt_dict_str(t, (uint32_t)v, &n);
    fprintf(out, "\"%.*s\"", (int)n, str);
    break;
  }
  case TY_ENUM: fprintf(out, "%s", fd->type.members->names[v]); break;
  case TY_SET: {
    fprintf(out, "[");
    for (int i = 0; i < fd->type.members->n; i++)
      if (v >> i & 1) fprintf(out, " %s", fd->type.members->names[i]);
    fprintf(out, " ]");
    break;
  }
  case TY_DATE: fprintf(out, "%s", cal_format_date(v, buf, sizeof buf)); break;
  case TY_TIMESTAMP: fprintf(out, "%s (%" PRId64 ")", cal_format_timestamp(v, buf, sizeof buf), v); break;
  case TY_BOOL: fprintf(out, "%s", v ? "true" : "false"); break;
  default: fprintf(out, "%" PRId64, v); break;
  }
}

static void print_record(FILE *out, const rt_table *t, uint64_t row) {
  const seg_schema *s = t->schema;
  for (int f = 0; f < s->nfields; f++) {
    const seg_field *fd = &s->fields[f];
    fprintf(out, "    %-6s = ", fd->name);
    if (fd->nullable && rt_is_null(t, f, row)) fprintf(out, "null");
    else if (fd->type.kind == TY_FLOAT64) print_value(out, fd, 0, rt_get_f64(t, f, row), t);
    else print_value(out, fd, rt_get_i64(t, f, row), 0, t);
    fprintf(out, "\n");
  }
  /* its events, in the table's order (the order aggregates see) */
  for (int st = 0; st < t->nstreams; st++) {
    const seg_stream *ss = &s->streams[st];
    uint64_t a = t->streams[st].start[row], b = t->streams[st].start[row + 1];
    fprintf(out, "    stream %s: %" PRIu64 " event%s (numbers %" PRIu64 "..)\n", ss->name, b - a, b - a == 1 ? "" : "s",
            a);
    for (uint64_t k = a; k < b; k++) {
      fprintf(out, "      [%" PRIu64 "] {", k - a);
      for (int f = 0; f < ss->nfields; f++) {
        const seg_field *fd = &ss->fields[f];
        fprintf(out, "%s %s: ", f ? "," : "", fd->name);
        if (fd->nullable && rt_ev_is_null(t, st, f, k)) fprintf(out, "null");
        else if (fd->type.kind == TY_FLOAT64) print_value(out, fd, 0, rt_ev_get_f64(t, st, f, k), t);
        else print_value(out, fd, rt_ev_get_i64(t, st, f, k), 0, t);
      }
      fprintf(out, " }\n");
    }
  }
}

/* ---- the rule generator -------------------------------------------------- */

/* numeric types as the checker computes them (language.md §4 promotion) */
enum { NK_INT, NK_DEC, NK_FLT };
typedef struct nt {
  int k;
  int scale;
} nt;
#define MAX_SCALE 8 /* keeps every up-cast literal far inside int64 */

static nt meet_nt(nt a, nt b) {
  if (a.k == NK_FLT || b.k == NK_FLT) return (nt){NK_FLT, 0};
  if (a.k == NK_DEC || b.k == NK_DEC) {
    int sa = a.k == NK_DEC ? a.scale : 0, sb = b.k == NK_DEC ? b.scale : 0;
    return (nt){NK_DEC, sa > sb ? sa : sb};
  }
  return (nt){NK_INT, 0};
}

/* what a pack being generated may reference */
typedef struct genctx {
  int nsegs;                 /* segments declared so far */
  char **seg_names;
  int *seg_cost;             /* interpreter cost of evaluating it (segment refs are re-evaluated) */
  int cur_cost;              /* cost of the rule being generated */
  int agg_rate;              /* how often aggregates are generated (0: never, in this rule) */
  int max_nest;              /* aggregate scopes nest at most this deep in this rule */
  bool str_ok;               /* strings may be read inside aggregates (the interpreter's slow path) */
  uint64_t naggs, nnested;   /* statistics: aggregates generated, nested ones */
} genctx;
static genctx G;

/* consts every pack declares (the text is in CONSTS) */
static const char *CONSTS =
    "const k_int = 42\n"
    "const k_neg = -7\n"
    "const k_int2 = k_int * 3 - k_neg\n"
    "const k_dec = 12.50\n"
    "const k_dec4 = k_dec * 0.01\n"
    "const k_flt = 1.5 / 4\n"
    "const k_str = \"Paris\"\n"
    "const k_str2 = \"m\xC3\xBCnchen\"\n"
    "const k_date = 2024-02-29\n"
    "const k_ts = 1969-12-31T23:00:00Z\n"
    "const k_dur = 7d + 12h\n"
    "const k_bool = true\n";

static char *gen_bool(int d);
static char *gen_num(int d, nt *t);
static char *gen_str(int d);
static char *gen_time(int d, bool *is_date);
static char *gen_dur(int d);
static char *gen_enum(int d);
static char *gen_agg_num(int d, nt *t);
static char *gen_agg_time(int d, bool *is_date);
static char *gen_agg_dur(int d);
static char *gen_agg_tier(int d);
static char *gen_agg_str(int d);
static char *ev_leaf(int cat, nt *t, bool *is_date);
static bool agg_try(int rate);
enum { C_NUM, C_TIME, C_BOOL, C_TIER, C_KIND, C_STR }; /* categories of event fields */
static int nsc; /* aggregate scopes open where the generator is */
/* strings inside an aggregate send it to the interpreter: only in some rules */
static bool no_str(void) { return nsc && !G.str_ok; }

static char *str_lit(const char *s) {
  sbuf b = {0};
  sb_add(&b, "\"");
  for (const char *p = s; *p; p++) {
    char one[3] = {*p, 0, 0};
    if (*p == '"' || *p == '\\') one[0] = '\\', one[1] = *p;
    else if (*p == '\t') one[0] = '\\', one[1] = 't';
    sb_add(&b, one);
  }
  sb_add(&b, "\"");
  return b.p;
}

static char *date_lit(int64_t d) {
  char buf[32];
  return xs("%s", cal_format_date(d, buf, sizeof buf));
}

static char *ts_lit(void) {
  int64_t v = gen_ts_value();
  char buf[64];
  cal_format_timestamp(v, buf, sizeof buf);
  if (chance(20)) { /* an offset form: same instant written another way */
    buf[19] = 0;    /* drop fraction and Z */
    int64_t sh = v + 2 * 3600 * CAL_USEC_PER_SEC + 30 * 60 * CAL_USEC_PER_SEC;
    cal_format_timestamp(sh - cal_floormod(sh, CAL_USEC_PER_SEC), buf, sizeof buf);
    buf[19] = 0;
    return xs("%s+02:30", buf);
  }
  return xs("%s", buf);
}

static char *int_lit(void) {
  switch (rn(8)) {
  case 0: return xs("0");
  case 1: return xs("%d", rn(3) - 1);
  case 2: return xs("%" PRId64, rrange(-1000000000, 1000000000));
  case 3: /* extremes: not folded into decimals, so they overflow at run time */
    return xs("(%s + 0)", rn(2) ? "9223372036854775807" : "-9223372036854775807");
  case 4: return xs("(%s - 1)", "-9223372036854775807"); /* INT64_MIN */
  default: return xs("%d", rn(400) - 200);
  }
}

static char *dec_lit(nt *t) {
  int scale = 1 + rn(4);
  int64_t m = 1;
  for (int i = 0; i < scale; i++) m *= 10;
  int64_t ip = rn(4) == 0 ? rrange(0, 999999999) : rrange(0, 300);
  int64_t fp = rn(3) == 0 ? m / 2 : rrange(0, m - 1);
  *t = (nt){NK_DEC, scale};
  return xs("%s%" PRId64 ".%0*" PRId64, rn(3) == 0 ? "-" : "", ip, scale, fp);
}

static const char *member(void) { return MEMBERS[rn(4)]; }

static char *num_leaf(nt *t) {
  char *ev = nsc && chance(35) ? ev_leaf(C_NUM, t, NULL) : NULL;
  if (ev) return ev;
  switch (rn(16)) {
  case 0: case 1: *t = (nt){NK_INT, 0}; return xs("i32");
  case 2: case 3: *t = (nt){NK_INT, 0}; return xs("i64");
  case 4: case 5: *t = (nt){NK_FLT, 0}; return xs("f64");
  case 6: case 7: *t = (nt){NK_DEC, 2}; return xs("d12");
  case 8: *t = (nt){NK_DEC, 4}; return xs("d10");
  case 9: *t = (nt){NK_INT, 0}; return int_lit();
  case 10: return dec_lit(t);
  case 11:
    switch (rn(5)) {
    case 0: *t = (nt){NK_INT, 0}; return xs("k_int");
    case 1: *t = (nt){NK_INT, 0}; return xs("k_int2");
    case 2: *t = (nt){NK_DEC, 2}; return xs("k_dec");
    case 3: *t = (nt){NK_DEC, 4}; return xs("k_dec4");
    default: *t = (nt){NK_FLT, 0}; return xs("k_flt");
    }
  case 12: *t = (nt){NK_FLT, 0}; return xs("(%d.0 / %d)", rn(20) - 10, 1 + rn(8)); /* a float */
  case 13: *t = (nt){NK_INT, 0}; return xs("%d", rn(10));
  default: *t = (nt){NK_INT, 0}; return xs("%d", rn(200) - 100);
  }
}

static char *gen_num(int d, nt *t) {
  if (agg_try(6)) return gen_agg_num(d, t);
  if (d <= 0 || chance(25)) return num_leaf(t);
  nt a, b;
  char *x, *y;
  switch (rn(22)) {
  case 0: case 1: case 2: { /* + - */
    x = gen_num(d - 1, &a);
    y = gen_num(d - 1, &b);
    *t = meet_nt(a, b);
    if (t->k == NK_DEC && t->scale > MAX_SCALE) {
      free(y);
      *t = a;
      return x;
    }
    return take(xs("(%s %c %s)", x, rn(2) ? '+' : '-', y), x, y, NULL);
  }
  case 3: case 4: { /* * */
    x = gen_num(d - 1, &a);
    y = gen_num(d - 1, &b);
    if (a.k == NK_FLT || b.k == NK_FLT) *t = (nt){NK_FLT, 0};
    else if (a.k == NK_DEC || b.k == NK_DEC) *t = (nt){NK_DEC, (a.k == NK_DEC ? a.scale : 0) + (b.k == NK_DEC ? b.scale : 0)};
    else *t = (nt){NK_INT, 0};
    if (t->k == NK_DEC && t->scale > MAX_SCALE) {
      free(y);
      *t = a;
      return x;
    }
    return take(xs("(%s * %s)", x, y), x, y, NULL);
  }
  case 5: /* / */
    x = gen_num(d - 1, &a);
    y = gen_num(d - 1, &b);
    *t = (nt){NK_FLT, 0};
    return take(xs("(%s / %s)", x, y), x, y, NULL);
  case 6: /* % */
    x = gen_num(d - 1, &a);
    if (chance(50)) {
      y = xs("%d", rn(7) - 3);
      b = (nt){NK_INT, 0};
    } else {
      y = gen_num(d - 1, &b);
    }
    *t = meet_nt(a, b);
    if (t->k == NK_DEC && t->scale > MAX_SCALE) {
      free(y);
      *t = a;
      return x;
    }
    return take(xs("(%s %% %s)", x, y), x, y, NULL);
  case 7: /* unary - */
    x = gen_num(d - 1, t);
    return take(xs("(-%s)", x), x, NULL, NULL);
  case 8: x = gen_num(d - 1, t); return take(xs("abs(%s)", x), x, NULL, NULL);
  case 9: case 10: /* min / max */
    x = gen_num(d - 1, &a);
    y = gen_num(d - 1, &b);
    *t = meet_nt(a, b);
    if (t->k == NK_DEC && t->scale > MAX_SCALE) {
      free(y);
      *t = a;
      return x;
    }
    return take(xs("%s(%s, %s)", rn(2) ? "min" : "max", x, y), x, y, NULL);
  case 11: { /* round */
    x = gen_num(d - 1, t);
    int n = rn(10) - 3;
    if (chance(20)) return take(xs("round(%s)", x), x, NULL, NULL);
    if (chance(5)) n = rn(2) ? 19 : -19;
    return take(xs("round(%s, %d)", x, n), x, NULL, NULL);
  }
  case 12: x = gen_num(d - 1, t); return take(xs("%s(%s)", rn(2) ? "floor" : "ceil", x), x, NULL, NULL);
  case 13: /* ?? */
    x = gen_num(d - 1, &a);
    y = gen_num(d - 1, &b);
    *t = meet_nt(a, b);
    if (t->k == NK_DEC && t->scale > MAX_SCALE) {
      free(y);
      *t = a;
      return x;
    }
    return take(xs("(%s ?? %s)", x, y), x, y, NULL);
  case 14:
    if (no_str()) return num_leaf(t);
    x = gen_str(d - 1);
    *t = (nt){NK_INT, 0};
    return take(xs("length(%s)", x), x, NULL, NULL);
  case 15: case 16: {
    bool isd;
    static const char *fns[] = {"days_since", "year", "month", "day", "weekday", "age_years"};
    x = gen_time(d - 1, &isd);
    *t = (nt){NK_INT, 0};
    return take(xs("%s(%s)", fns[rn(6)], x), x, NULL, NULL);
  }
  case 17: {
    bool isd;
    x = gen_time(d - 1, &isd);
    *t = (nt){NK_INT, 0};
    if (isd) return take(xs("hour(%s + %dh)", x, rn(30)), x, NULL, NULL);
    return take(xs("hour(%s)", x), x, NULL, NULL);
  }
  default: return num_leaf(t);
  }
}

static char *gen_str(int d) {
  if (G.str_ok && agg_try(6)) return gen_agg_str(d);
  if (G.str_ok && nsc && chance(30)) {
    char *ev = ev_leaf(C_STR, NULL, NULL);
    if (ev) return ev;
  }
  if (d <= 0 || chance(30)) {
    switch (rn(8)) {
    case 0: case 1: case 2: return xs("s1");
    case 3: case 4: return xs("s2");
    case 5: return xs("%s", rn(2) ? "k_str" : "k_str2");
    case 6: return str_lit(STR_EXTRA[rn(NSTRX)]);
    default: return str_lit(STR_POOL[rn(NSTR)]);
    }
  }
  char *x, *y;
  switch (rn(3)) {
  case 0: x = gen_str(d - 1); return take(xs("lower(%s)", x), x, NULL, NULL);
  case 1:
    x = gen_str(d - 1);
    y = gen_str(d - 1);
    return take(xs("(%s ?? %s)", x, y), x, y, NULL);
  default: return gen_str(0);
  }
}

static char *gen_dur(int d) {
  static const char *lits[] = {"7d", "12h", "30m", "45s", "2w", "1d", "0s", "400d", "86399s", "1000w"};
  if (agg_try(2)) return gen_agg_dur(d);
  if (d <= 0 || chance(35)) return xs("%s", rn(6) == 0 ? "k_dur" : lits[rn(10)]);
  char *x, *y;
  bool isd;
  switch (rn(5)) {
  case 0: case 1:
    x = gen_time(d - 1, &isd);
    y = gen_time(d - 1, &isd);
    return take(xs("(%s - %s)", x, y), x, y, NULL);
  case 2:
    x = gen_dur(d - 1);
    y = gen_dur(d - 1);
    return take(xs("(%s %c %s)", x, rn(2) ? '+' : '-', y), x, y, NULL);
  case 3: x = gen_dur(d - 1); return take(xs("(-%s)", x), x, NULL, NULL);
  default:
    x = gen_dur(d - 1);
    y = gen_dur(d - 1);
    return take(xs("(%s ?? %s)", x, y), x, y, NULL);
  }
}

static char *gen_time(int d, bool *is_date) {
  if (agg_try(5)) return gen_agg_time(d, is_date);
  if (d <= 0 || chance(30)) {
    char *ev = nsc && chance(40) ? ev_leaf(C_TIME, NULL, is_date) : NULL;
    if (ev) return ev;
    *is_date = false;
    switch (rn(11)) {
    case 0: case 1: *is_date = true; return xs("dt");
    case 2: *is_date = true; return xs("dt2");
    case 3: case 4: return xs("ts");
    case 5: return xs("ts2");
    case 6: return xs("now");
    case 7: *is_date = true; return xs("today");
    case 8: *is_date = true; return rn(2) ? xs("k_date") : date_lit(gen_date_value());
    case 9: return rn(3) == 0 ? xs("k_ts") : ts_lit();
    default: *is_date = true; return date_lit(gen_date_value());
    }
  }
  char *x, *y;
  bool a, b;
  switch (rn(5)) {
  case 0: case 1:
    x = gen_time(d - 1, &a);
    y = gen_dur(d - 1);
    *is_date = false;
    return take(xs("(%s %c %s)", x, rn(2) ? '+' : '-', y), x, y, NULL);
  case 2:
    x = gen_dur(d - 1);
    y = gen_time(d - 1, &a);
    *is_date = false;
    return take(xs("(%s + %s)", x, y), x, y, NULL);
  case 3:
    x = gen_time(d - 1, &a);
    *is_date = true;
    return take(xs("date(%s)", x), x, NULL, NULL);
  default:
    x = gen_time(d - 1, &a);
    y = gen_time(d - 1, &b);
    *is_date = a && b;
    return take(xs("(%s ?? %s)", x, y), x, y, NULL);
  }
}

/* an enum expression that is never a bare member (so the other side can be one) */
static char *gen_enum(int d) {
  if (agg_try(3)) return gen_agg_tier(d);
  if (d <= 0 || chance(50)) {
    char *ev = nsc && chance(35) ? ev_leaf(C_TIER, NULL, NULL) : NULL;
    if (ev) return ev;
    return xs("%s", rn(3) ? "e1" : "e2");
  }
  char *x = gen_enum(d - 1);
  if (chance(60)) return take(xs("(%s ?? %s)", x, member()), x, NULL, NULL);
  char *y = gen_enum(d - 1);
  return take(xs("(%s ?? %s)", x, y), x, y, NULL);
}

static char *gen_set(void) {
  switch (rn(5)) {
  case 0: case 1: return xs("tags");
  case 2: case 3: return xs("tags2");
  default: return xs("(tags2 ?? tags)");
  }
}

static const char *cmpop(bool ordered) {
  static const char *ops[] = {"==", "!=", "<", "<=", ">", ">="};
  return ops[ordered ? rn(6) : rn(2)];
}

/* any typed expression (for is null) */
static char *gen_any(int d) {
  nt t;
  bool isd;
  switch (rn(7)) {
  case 0: return gen_num(d, &t);
  case 1: return no_str() ? gen_num(d, &t) : gen_str(d);
  case 2: return gen_time(d, &isd);
  case 3: return gen_dur(d);
  case 4: return gen_enum(d);
  case 5: return gen_set();
  default: return gen_bool(d);
  }
}

/* a list of n items produced by `item`, sometimes with a null */
typedef char *(*item_fn)(int d);
static char *num_item(int d) {
  nt t;
  return gen_num(d, &t);
}
static char *enum_item(int d) { return d > 0 && chance(20) ? gen_enum(d) : xs("%s", member()); }
static char *time_item(int d) {
  bool isd;
  return gen_time(d, &isd);
}
static char *list_of(item_fn item, int d) {
  int n = rn(5);
  sbuf b = {0};
  sb_add(&b, "[");
  for (int i = 0; i < n; i++) {
    char *x = chance(10) ? xs("null") : item(d);
    if (i) sb_add(&b, ", ");
    sb_add(&b, x);
    free(x);
  }
  sb_add(&b, "]");
  return b.p;
}

static char *segref(void) {
  int cands[256], nc = 0;
  int mult = 1 << (3 * nsc); /* inside aggregates: evaluated per event */
  for (int i = 0; i < G.nsegs && nc < 256; i++)
    if (G.seg_cost[i] * mult < (nsc ? 64 : 40) && G.cur_cost + G.seg_cost[i] * mult < (nsc ? 200 : 120)) cands[nc++] = i;
  if (!nc) return xs("b2");
  int i = cands[rn(nc)];
  G.cur_cost += G.seg_cost[i] * mult;
  return xs("%s", G.seg_names[i]);
}

/* ---- stream aggregates --------------------------------------------------- */

/* The aggregate scopes open where the generator is: scope d reads stream
 * SC[d].stream, bound to `evD` or not (then by bare field name or
 * `stream.field`).  A reference is only generated in a form that resolves
 * to the scope meant (check_stream.c's rules): a bare name reads the
 * innermost binderless scope with that field, `stream.field` the innermost
 * scope over that stream. */
typedef struct gscope {
  int stream;
  bool binder;
} gscope;
static gscope SC[8];

static bool in_cat(const sfield *f, int cat) {
  switch (cat) {
  case C_NUM: return f->ty == SF_DEC || f->ty == SF_INT || f->ty == SF_FLT;
  case C_TIME: return f->ty == SF_TS || f->ty == SF_DATE;
  case C_BOOL: return f->ty == SF_BOOL;
  case C_TIER: return f->ty == SF_TIER;
  case C_KIND: return f->ty == SF_KIND;
  default: return f->ty == SF_STR;
  }
}
static nt field_nt(const sfield *f) {
  if (f->ty == SF_FLT) return (nt){NK_FLT, 0};
  if (f->ty == SF_DEC) return (nt){NK_DEC, f->scale};
  return (nt){NK_INT, 0};
}
static bool stream_has(int s, const char *name) {
  for (int f = 0; f < STREAMS[s].nf; f++)
    if (strcmp(STREAMS[s].f[f].name, name) == 0) return true;
  return false;
}
/* how field f of scope d can be written here: 1 bare, 2 stream.field, 4 binder.field */
static int ev_access(int d, int f) {
  if (SC[d].binder) return 4;
  const char *name = STREAMS[SC[d].stream].f[f].name;
  bool bare = true, qual = true;
  for (int e = d + 1; e < nsc; e++) {
    if (SC[e].stream == SC[d].stream) qual = false;
    if (!SC[e].binder && stream_has(SC[e].stream, name)) bare = false;
  }
  return (bare ? 1 : 0) | (qual ? 2 : 0);
}
static char *ev_text(int d, int f) {
  const sdef *S = &STREAMS[SC[d].stream];
  int acc = ev_access(d, f);
  if (acc & 4) return xs("ev%d.%s", d, S->f[f].name);
  if (acc == 3) acc = rn(3) ? 1 : 2;
  return acc == 1 ? xs("%s", S->f[f].name) : xs("%s.%s", S->name, S->f[f].name);
}
/* a reference to an event field of category `cat` of scope `only` (or of
   any open scope when -1), or NULL */
static char *ev_pick(int cat, int only, const sfield **out) {
  int cd[64], cf[64], n = 0;
  for (int d = 0; d < nsc; d++) {
    if (only >= 0 && d != only) continue;
    const sdef *S = &STREAMS[SC[d].stream];
    for (int f = 0; f < S->nf && n < 64; f++)
      if (in_cat(&S->f[f], cat) && ev_access(d, f)) cd[n] = d, cf[n] = f, n++;
  }
  if (!n) return NULL;
  int i = rn(n);
  if (out) *out = &STREAMS[SC[cd[i]].stream].f[cf[i]];
  return ev_text(cd[i], cf[i]);
}

/* a reference to an event field of an open scope, of category cat (its
   numeric type or date-ness in *t / *is_date), or NULL */
static char *ev_leaf(int cat, nt *t, bool *is_date) {
  const sfield *f;
  char *x = ev_pick(cat, chance(60) ? nsc - 1 : -1, &f);
  if (!x) return NULL;
  if (t) *t = field_nt(f);
  if (is_date) *is_date = f->ty == SF_DATE;
  return x;
}

/* aggregates are generated in G.agg_rate percent of the places that allow
   one (0 in rules without aggregates), less often when nested */
/* the cost of an aggregate at nesting depth nsc: the interpreter evaluates
   it per event of every enclosing scope (customers with 15+ events) */
#define AGG_COST(depth) (4 << (3 * (depth)))
static bool agg_room(void) { return nsc < G.max_nest && G.cur_cost + AGG_COST(nsc) <= 300; }
static bool agg_try(int rate) {
  if (!G.agg_rate || !agg_room()) return false;
  return chance(nsc ? rate * G.agg_rate / 300 : rate * G.agg_rate / 100);
}
static int pick_stream(void) { return chance(65) ? 0 : 1; }
/* opens a scope; returns the source text: `events`, `ev1 in events` */
static char *open_scope(int s, bool binder) {
  G.cur_cost += AGG_COST(nsc);
  G.naggs++;
  if (nsc) G.nnested++;
  SC[nsc] = (gscope){s, binder};
  nsc++;
  return binder ? xs("ev%d in %s", nsc - 1, STREAMS[s].name) : xs("%s", STREAMS[s].name);
}
/* a `stream.field` of the innermost scope (just opened, binderless) */
static char *val_field(int cat, const sfield **out) {
  const sdef *S = &STREAMS[SC[nsc - 1].stream];
  int c[MAX_SFIELDS], n = 0;
  for (int f = 0; f < S->nf; f++)
    if (in_cat(&S->f[f], cat)) c[n++] = f;
  if (!n) return NULL;
  int f = c[rn(n)];
  if (out) *out = &S->f[f];
  return xs("%s.%s", S->name, S->f[f].name);
}

static char *gen_where(int d);
#define WHERE_DEPTH 3 /* a where runs per event: kept smaller than a rule */
/* closes the innermost scope: `fn(src)` or `fn(src where ...)` */
static char *close_scope(const char *fn, char *src, int d) {
  char *w = chance(75) ? gen_where(d > WHERE_DEPTH ? WHERE_DEPTH : d - 1) : NULL;
  nsc--;
  if (!w) return take(xs("%s(%s)", fn, src), src, NULL, NULL);
  return take(xs("%s(%s where %s)", fn, src, w), src, w, NULL);
}

/* a numeric value of each event of the innermost scope.  The checker takes
 * the stream of a value from its first `stream.field` (nested aggregates
 * included), so the scope's field always comes first. */
static char *value_num(int d, nt *t) {
  const sfield *f = NULL;
  char *v = val_field(C_NUM, &f), *y, *tv; /* every stream has a numeric field */
  *t = field_nt(f);
  nt b, r;
  switch (rn(14)) {
  case 0: case 1:
    y = gen_num(d - 1, &b);
    r = meet_nt(*t, b);
    if (r.k == NK_DEC && r.scale > MAX_SCALE) return take(v, y, NULL, NULL);
    *t = r;
    return take(xs("(%s %c %s)", v, rn(2) ? '+' : '-', y), v, y, NULL);
  case 2:
    y = gen_num(d - 1, &b);
    if (t->k == NK_FLT || b.k == NK_FLT) r = (nt){NK_FLT, 0};
    else if (t->k == NK_DEC || b.k == NK_DEC)
      r = (nt){NK_DEC, (t->k == NK_DEC ? t->scale : 0) + (b.k == NK_DEC ? b.scale : 0)};
    else r = (nt){NK_INT, 0};
    if (r.k == NK_DEC && r.scale > MAX_SCALE) return take(v, y, NULL, NULL);
    *t = r;
    return take(xs("(%s * %s)", v, y), v, y, NULL);
  case 3: return take(xs("abs(%s)", v), v, NULL, NULL);
  case 4: return take(xs("(-%s)", v), v, NULL, NULL);
  case 5:
    y = gen_num(d - 1, &b);
    r = meet_nt(*t, b);
    if (r.k == NK_DEC && r.scale > MAX_SCALE) return take(v, y, NULL, NULL);
    *t = r;
    return take(xs("(%s ?? %s)", v, y), v, y, NULL);
  case 6: return take(xs("round(%s, %d)", v, rn(5) - 2), v, NULL, NULL);
  case 7: /* an int from a time field */
    free(v);
    tv = val_field(C_TIME, NULL);
    *t = (nt){NK_INT, 0};
    return take(xs("%s(%s)", (const char *[]){"days_since", "year", "month", "weekday", "day"}[rn(5)], tv), tv, NULL,
                NULL);
  case 8: /* a string: this aggregate goes to the interpreter's slow path */
    if (!G.str_ok || !(tv = val_field(C_STR, NULL))) return v;
    free(v);
    *t = (nt){NK_INT, 0};
    return take(xs("length(%s)", tv), tv, NULL, NULL);
  case 9:
    y = gen_num(d - 1, &b);
    *t = (nt){NK_FLT, 0};
    return take(xs("(%s / %s)", v, y), v, y, NULL);
  default: return v;
  }
}

/* a time value of each event of the innermost scope */
static char *value_time(int d, bool *is_date) {
  const sfield *f;
  char *v = val_field(C_TIME, &f), *y;
  *is_date = f->ty == SF_DATE;
  bool b;
  switch (rn(8)) {
  case 0: y = gen_dur(d - 1); *is_date = false; return take(xs("(%s %c %s)", v, rn(2) ? '+' : '-', y), v, y, NULL);
  case 1: *is_date = true; return take(xs("date(%s)", v), v, NULL, NULL);
  case 2:
    y = gen_time(d - 1, &b);
    *is_date = *is_date && b;
    return take(xs("(%s ?? %s)", v, y), v, y, NULL);
  default: return v;
  }
}

static const char *agg_fn_num(void) {
  static const char *fns[] = {"sum", "sum", "sum", "avg", "avg", "min", "max", "first", "last"};
  return fns[rn(9)];
}

/* a numeric aggregate */
static char *gen_agg_num(int d, nt *t) {
  int s = pick_stream();
  char *src;
  if (chance(30)) { /* count: of events, of bound events, of a field's non-null values */
    *t = (nt){NK_INT, 0};
    int form = rn(4);
    src = open_scope(s, form == 0);
    if (form == 1) {
      free(src);
      const sdef *S = &STREAMS[s];
      int f = rn(S->nf);
      src = xs("%s.%s", S->name, S->f[f].name);
    }
    return close_scope("count", src, d);
  }
  const char *fn = agg_fn_num();
  free(open_scope(s, false));
  src = value_num(d, t);
  if (strcmp(fn, "avg") == 0) *t = (nt){NK_FLT, 0};
  if (strcmp(fn, "sum") == 0 && chance(15)) { /* sum(e.x) - count via ?? */
    nt b;
    char *a = close_scope(fn, src, d), *y = gen_num(d - 1, &b);
    nt r = meet_nt(*t, b);
    if (r.k == NK_DEC && r.scale > MAX_SCALE) return take(a, y, NULL, NULL);
    *t = r;
    return take(xs("(%s ?? %s)", a, y), a, y, NULL);
  }
  return close_scope(fn, src, d);
}

/* a time aggregate: min/max/first/last of a date or timestamp */
static char *gen_agg_time(int d, bool *is_date) {
  static const char *fns[] = {"min", "max", "first", "last"};
  free(open_scope(pick_stream(), false));
  char *v = value_time(d, is_date);
  return close_scope(fns[rn(4)], v, d);
}

/* a duration aggregate: min/max/first/last of event time - something */
static char *gen_agg_dur(int d) {
  static const char *fns[] = {"min", "max", "first", "last"};
  bool isd;
  free(open_scope(pick_stream(), false));
  char *v = val_field(C_TIME, NULL), *y = gen_time(d - 1, &isd);
  char *val = xs("(%s - %s)", v, y);
  free(v), free(y);
  return close_scope(fns[rn(4)], val, d);
}

/* first/last of a string (the interpreter's slow path) */
static char *gen_agg_str(int d) {
  free(open_scope(0, false));
  char *v = chance(70) ? xs("events.note") : xs("lower(events.note)");
  return close_scope(rn(2) ? "first" : "last", v, d);
}

/* first/last of the visits' tier (the customers' enum type) */
static char *gen_agg_tier(int d) {
  free(open_scope(1, false));
  char *v = chance(80) ? xs("visits.tier") : xs("(visits.tier ?? %s)", member());
  return close_scope(rn(2) ? "first" : "last", v, d);
}

/* an events.kind value: a reference in scope, or first/last of one */
static char *gen_kind(int d) {
  char *x = nsc && chance(60) ? ev_pick(C_KIND, -1, NULL) : NULL;
  if (x) return x;
  if (agg_room()) {
    free(open_scope(0, false));
    x = close_scope(rn(2) ? "first" : "last", xs("events.kind"), d);
  } else {
    return xs("%s", KINDS[rn(6)]);
  }
  if (chance(25)) return take(xs("(%s ?? %s)", x, KINDS[rn(6)]), x, NULL, NULL);
  return x;
}
/* a condition on a kind expression that is never a bare member */
static char *kind_cond(char *x) {
  switch (rn(5)) {
  case 0: return take(xs("(%s in [%s, %s])", x, KINDS[rn(6)], KINDS[rn(6)]), x, NULL, NULL);
  case 1: return take(xs("(%s not in [%s, %s%s])", x, KINDS[rn(6)], chance(20) ? "null, " : "", KINDS[rn(6)]), x, NULL, NULL);
  case 2: return take(xs("(%s %s %s)", x, cmpop(true), KINDS[rn(6)]), x, NULL, NULL);
  default: return take(xs("(%s %s %s)", x, rn(3) ? "==" : "!=", KINDS[rn(6)]), x, NULL, NULL);
  }
}

static char *gen_agg_bool(int d) {
  char *x, *y;
  nt a, b;
  bool isd;
  int s = pick_stream();
  switch (rn(12)) {
  case 0: case 1: case 2: case 3: /* exists, with or without a binder */
    x = close_scope("exists", open_scope(s, chance(50)), d);
    if (chance(25)) return take(xs("(not %s)", x), x, NULL, NULL);
    return x;
  case 4: case 5: case 6: /* a numeric aggregate compared */
    x = gen_agg_num(d, &a);
    if (chance(50)) y = xs("%d", rn(6));
    else y = gen_num(d - 1, &b);
    return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
  case 7: /* first/last of a bool */
    free(open_scope(s, false));
    x = val_field(C_BOOL, NULL);
    if (chance(30)) x = take(xs("(%s %s b1)", x, rn(2) ? "and" : "or"), x, NULL, NULL);
    return close_scope(rn(2) ? "first" : "last", x, d);
  case 8: case 9: /* a time aggregate compared */
    x = gen_agg_time(d, &isd);
    if (chance(40)) y = xs("(now - %s)", (const char *[]){"7d", "30d", "90d", "400d", "1d"}[rn(5)]);
    else y = gen_time(d - 1, &isd);
    return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
  case 10: /* the tier of a visit */
    x = gen_agg_tier(d);
    if (chance(30)) return take(xs("(%s in [%s, %s])", x, member(), member()), x, NULL, NULL);
    return take(xs("(%s %s %s)", x, cmpop(true), chance(70) ? member() : "e1"), x, NULL, NULL);
  default: /* the kind of an event */
    return kind_cond(gen_kind(d));
  }
}

/* a condition on the innermost scope's events (and outer ones, customer
   fields, consts, segments, nested aggregates) */
static char *gen_where(int d) {
  int in = nsc - 1;
  char *x, *y;
  const sfield *f;
  nt b;
  bool isd;
  switch (d <= 0 ? rn(8) : rn(16)) {
  case 0: case 1: /* kind or tier */
    if (SC[in].stream == 0 && (x = ev_pick(C_KIND, in, NULL))) return kind_cond(x);
    if ((x = ev_pick(C_TIER, in, NULL))) {
      if (chance(40)) return take(xs("(%s in [%s, %s%s])", x, member(), chance(20) ? "null, " : "", member()), x, NULL, NULL);
      if (chance(20)) return take(xs("((%s ?? %s) %s %s)", x, member(), cmpop(true), member()), x, NULL, NULL);
      return take(xs("(%s %s %s)", x, cmpop(true), chance(80) ? member() : "e2"), x, NULL, NULL);
    }
    return gen_bool(d - 1);
  case 2: case 3: case 4: /* time: a window before now, against an outer event, a customer field */
    if (!(x = ev_pick(C_TIME, in, NULL))) return gen_bool(d - 1);
    if (in > 0 && chance(50) && (y = ev_pick(C_TIME, rn(in), NULL)))
      return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
    switch (rn(4)) {
    case 0: case 1:
      return take(xs("(%s %s now - %s)", x, chance(70) ? ">=" : "<", (const char *[]){"7d", "30d", "90d", "1d", "400d", "12h", "k_dur"}[rn(7)]), x, NULL, NULL);
    case 2: y = gen_time(d - 1, &isd); return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
    default:
      return take(xs("(%s between %s and now)", x, (const char *[]){"ts", "dt", "dt2", "(now - 60d)", "k_date"}[rn(5)]), x, NULL, NULL);
    }
  case 5: case 6: /* a number of the event against a number (maybe an outer event's) */
    if (!(x = ev_pick(C_NUM, in, &f))) return gen_bool(d - 1);
    if (in > 0 && chance(30) && (y = ev_pick(C_NUM, rn(in), NULL))) {}
    else y = gen_num(d - 1, &b);
    return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
  case 7: /* a bool field */
    if (!(x = ev_pick(C_BOOL, -1, NULL))) return gen_bool(d - 1);
    switch (rn(4)) {
    case 0: return take(xs("(not %s)", x), x, NULL, NULL);
    case 1: return take(xs("(%s ?? b2)", x), x, NULL, NULL);
    case 2: return take(xs("(%s == b1)", x), x, NULL, NULL);
    default: return x;
    }
  case 8: case 9:
    x = gen_where(d - 1);
    y = gen_where(d - 1);
    return take(xs("(%s %s %s)", x, rn(2) ? "and" : "or", y), x, y, NULL);
  case 10: x = gen_where(d - 1); return take(xs("(not %s)", x), x, NULL, NULL);
  case 11: case 12: /* a nested aggregate */
    if (agg_room()) return gen_agg_bool(d - 1);
    return gen_bool(d - 1);
  case 13: return segref();
  default: return gen_bool(d - 1);
  }
}

static char *gen_bool(int d) {
  char *x, *y, *z;
  nt a, b;
  bool isd;
  if (agg_try(7)) return gen_agg_bool(d);
  if (d <= 0) {
    if (nsc && chance(30)) {
      if (chance(50) && (x = ev_leaf(C_BOOL, NULL, NULL))) return x;
      if ((x = ev_pick(C_KIND, -1, NULL))) return kind_cond(x);
    }
    switch (rn(12)) {
    case 11: { /* a quotient of bounded numbers against a number: decided without dividing (lower_ratio.c);
                  small remainders make quotients equal to the number, and zero divisors, often */
      static const char *xs_[] = {"i32", "d12", "d10", "(i32 % 7)", "(i32 % 5 - 2)", "(d12 % 3)", "(d10 % 2)", "(i32 * 7)",
                                  "3", "-2", "0.5", "i64"};
      static const char *ks[] = {"0", "1", "2", "-1", "-2", "0.5", "0.25", "1.5", "-0.75", "0.2", "3", "k_int", "150"};
      const char *x = xs_[rn((int)(sizeof xs_ / sizeof *xs_))], *y = xs_[rn((int)(sizeof xs_ / sizeof *xs_))];
      const char *k = ks[rn((int)(sizeof ks / sizeof *ks))], *op = cmpop(true);
      return rn(2) ? xs("((%s / %s) %s %s)", x, y, op, k) : xs("(%s %s (%s / %s))", k, op, x, y);
    }
    case 10: { /* days_since of a stored time against a number: a comparison of the time (lower.c) */
      static const char *ks[] = {"0", "1", "-1", "7", "30", "365", "k_int", "k_neg", "k_int2", "100000000", "-100000000"};
      const char *k = ks[rn((int)(sizeof ks / sizeof *ks))], *t = rn(2) ? "ts" : "ts2", *op = cmpop(true);
      return rn(2) ? xs("(days_since(%s) %s %s)", t, op, k) : xs("(%s %s days_since(%s))", k, op, t);
    }
    case 0: return xs("b1");
    case 1: return xs("b2");
    case 2: return xs("%s", rn(3) == 0 ? "null" : rn(2) ? "true" : "k_bool");
    case 3: return segref();
    case 4: return xs("(%s is null)", (const char *[]){"i32", "f64", "d12", "s1", "e1", "tags2", "dt", "ts", "b1"}[rn(9)]);
    case 5: return xs("(e1 == %s)", member());
    case 6: return xs("(tags has %s)", FLAGS[rn(4)]);
    default: {
      x = num_leaf(&a);
      y = num_leaf(&b);
      return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
    }
    }
  }
  int c = rn(30);
  if (no_str() && (c == 11 || (c >= 21 && c <= 24))) c = 8;
  switch (c) {
  case 0: case 1: case 2:
    x = gen_bool(d - 1);
    y = gen_bool(d - 1);
    return take(xs("(%s and %s)", x, y), x, y, NULL);
  case 3: case 4: case 5:
    x = gen_bool(d - 1);
    y = gen_bool(d - 1);
    return take(xs("(%s or %s)", x, y), x, y, NULL);
  case 6: case 7:
    x = gen_bool(d - 1);
    return take(xs("(not %s)", x), x, NULL, NULL);
  case 8: case 9: case 10: /* numeric comparison, mixed kinds */
    x = gen_num(d - 1, &a);
    y = gen_num(d - 1, &b);
    return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
  case 11: /* string comparison: two fields compare dictionary codes */
    if (chance(40)) return xs("(s1 %s s2)", cmpop(true));
    x = gen_str(d - 1);
    y = gen_str(d - 1);
    return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
  case 12: /* enum */
    x = gen_enum(d - 1);
    y = chance(60) ? xs("%s", member()) : gen_enum(d - 1);
    if (chance(20)) return take(xs("(%s %s %s)", y, cmpop(true), x), x, y, NULL);
    return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
  case 13: /* times, date vs timestamp */
    x = gen_time(d - 1, &isd);
    y = gen_time(d - 1, &isd);
    return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
  case 14:
    x = gen_dur(d - 1);
    y = gen_dur(d - 1);
    return take(xs("(%s %s %s)", x, cmpop(true), y), x, y, NULL);
  case 15:
    x = gen_bool(d - 1);
    y = gen_bool(d - 1);
    return take(xs("(%s %s %s)", x, cmpop(false), y), x, y, NULL);
  case 16: /* between */
    switch (no_str() ? rn(2) * 2 : rn(4)) {
    case 0: x = gen_num(d - 1, &a); y = gen_num(d - 1, &b); z = gen_num(d - 1, &b); break;
    case 1: x = gen_str(d - 1); y = gen_str(d - 1); z = gen_str(d - 1); break;
    case 2: x = gen_time(d - 1, &isd); y = gen_time(d - 1, &isd); z = gen_time(d - 1, &isd); break;
    default: x = gen_enum(d - 1); y = xs("%s", member()); z = chance(30) ? xs("null") : xs("%s", member()); break;
    }
    return take(xs("(%s between %s and %s)", x, y, z), x, y, z);
  case 17: case 18: { /* in / not in */
    const char *op = rn(2) ? "in" : "not in";
    switch (no_str() ? rn(2) * 2 : rn(4)) {
    case 0: x = gen_num(d - 1, &a); y = list_of(num_item, d - 2); break;
    case 1: x = gen_str(d - 1); y = list_of(gen_str, d - 2); break;
    case 2: x = gen_enum(d - 1); y = list_of(enum_item, d - 2); break;
    default: x = gen_time(d - 1, &isd); y = list_of(time_item, d - 2); break;
    }
    return take(xs("(%s %s %s)", x, op, y), x, y, NULL);
  }
  case 19:
    x = gen_any(d - 1);
    return take(xs("(%s is %snull)", x, rn(2) ? "not " : ""), x, NULL, NULL);
  case 20: { /* sets */
    x = gen_set();
    int k = rn(4);
    if (k == 0) return take(xs("(%s has %s)", x, FLAGS[rn(4)]), x, NULL, NULL);
    if (k == 3) return take(xs("(%s is empty)", x), x, NULL, NULL);
    int n = 1 + rn(3);
    char items[128] = "";
    for (int i = 0; i < n; i++) {
      strcat(items, i ? ", " : "");
      strcat(items, FLAGS[rn(4)]);
    }
    return take(xs("(%s has %s(%s))", x, k == 1 ? "any" : "all", items), x, NULL, NULL);
  }
  case 21: case 22: { /* string predicates, over one field (lifted) or two (slow) */
    static const char *fns[] = {"starts_with", "ends_with", "contains"};
    static const char *tests[] = {"contains(%s, %s)", "starts_with(%s, %s)", "ends_with(%s, %s)", "(%s == %s)"};
    if (chance(25)) { /* contains ... or contains ... (or starts_with, ends_with, ==): one scan for them all
                         (lift_plan.c), unless lower() or the kind differs */
      const char *subj = rn(2) ? "s1" : "lower(s1)";
      int kind = rn(4);
      char *first = str_lit(rn(2) ? STR_EXTRA[rn(NSTRX)] : STR_POOL[rn(NSTR)]);
      char *chain = take(xs(tests[kind], subj, first), first, NULL, NULL);
      for (int n = 1 + rn(4); n > 0; n--) {
        char *lit = str_lit(rn(2) ? STR_EXTRA[rn(NSTRX)] : STR_POOL[rn(NSTR)]);
        char *test = take(xs(tests[chance(85) ? kind : rn(4)], chance(85) ? subj : "s1", lit), lit, NULL, NULL);
        chain = take(xs("%s or %s", chain, test), chain, test, NULL);
      }
      return take(xs("(%s)", chain), chain, NULL, NULL);
    }
    if (chance(10)) { /* in a list of literals: one scan (lift_plan.c) */
      char *list = str_lit(rn(2) ? STR_EXTRA[rn(NSTRX)] : STR_POOL[rn(NSTR)]);
      for (int n = 1 + rn(4); n > 0; n--) {
        char *lit = str_lit(rn(2) ? STR_EXTRA[rn(NSTRX)] : STR_POOL[rn(NSTR)]);
        list = take(xs("%s, %s", list, lit), list, lit, NULL);
      }
      return take(xs("(%s %s [%s])", rn(2) ? "s1" : "lower(s1)", rn(3) ? "in" : "not in", list), list, NULL, NULL);
    }
    x = gen_str(d - 1);
    y = chance(30) ? xs("%s", rn(2) ? "s2" : "s1") : gen_str(d - 1);
    return take(xs("%s(%s, %s)", fns[rn(3)], x, y), x, y, NULL);
  }
  case 23:
    x = gen_str(d - 1);
    y = str_lit(REGEXES[rn(NREGEX)]);
    return take(xs("matches(%s, %s)", x, y), x, y, NULL);
  case 24: /* two-field string expressions: the slow path */
    switch (rn(3)) {
    case 0: return xs("(lower(s1) %s s2)", cmpop(true));
    case 1: return xs("contains(s1, s2)");
    default: return xs("(length(s1) %s length(s2))", cmpop(true));
    }
  case 25:
    x = gen_bool(d - 1);
    y = gen_bool(d - 1);
    return take(xs("(%s ?? %s)", x, y), x, y, NULL);
  case 26: return segref();
  default: return gen_bool(d - 1);
  }
}

/* ---- running a pack ------------------------------------------------------ */

typedef struct rule {
  char *name;
  char *text;
  int seg_index; /* in prog->segments, filled after checking */
} rule;


/* does a rule's text read a stream (its own aggregates; not those of the
   segments it references)? */
static bool has_agg(const char *text) { return strstr(text, "events") || strstr(text, "visits"); }
static uint64_t nrules_agg, nrules_total;
static int agg_pct = 33; /* --agg-pct: the share of rules with aggregates */

/* one segment's rule: in about a third of the rules, aggregates */
static char *gen_rule(int d) {
  nsc = 0;
  bool agg = chance(agg_pct);
  G.agg_rate = agg ? 100 : 0;
  G.max_nest = chance(12) ? 3 : 2;
  G.str_ok = chance(10);
  char *body = gen_bool(d);
  if (agg && !has_agg(body)) { /* make sure it has one */
    char *a = gen_agg_bool(d > 1 ? d - 1 : 1);
    body = take(rn(2) ? xs("(%s %s %s)", body, rn(2) ? "and" : "or", a) : xs("(%s %s %s)", a, rn(2) ? "and" : "or", body),
                body, a, NULL);
  }
  if (nsc) {
    fprintf(stderr, "difftest: generator bug: %d aggregate scopes left open\n", nsc);
    exit(2);
  }
  nrules_total++;
  nrules_agg += has_agg(body);
  G.agg_rate = 0;
  G.str_ok = false;
  return body;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
static double t_compile, t_jit, t_interp;

static void usage(void) {
  fprintf(stderr, "usage: difftest [--rules N] [--seed S] [--records R] [--per-pack K] [--depth D] [--agg-pct P] [--many-strings] [--verbose]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int nrules = 400, nrecords = 5000, per_pack = 20, depth = 5;
  uint64_t seed = 1;
  bool verbose = false;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--rules") == 0) nrules = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0) seed = strtoull(argv[++i], NULL, 0);
    else if (i + 1 < argc && strcmp(argv[i], "--records") == 0) nrecords = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--per-pack") == 0) per_pack = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--depth") == 0) depth = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--agg-pct") == 0) agg_pct = atoi(argv[++i]);
    else if (strcmp(argv[i], "--verbose") == 0) verbose = true;
    else if (strcmp(argv[i], "--many-strings") == 0) many_strings = true;
    else usage();
  }
  if (nrules < 1 || nrecords < 1 || per_pack < 1 || depth < 0) usage();
  for (int k = 0; k < NASOF; k++)
    if (!cal_parse_timestamp(as_of_text[k], strlen(as_of_text[k]), &as_of[k])) {
      fprintf(stderr, "difftest: bad as-of %s\n", as_of_text[k]);
      return 2;
    }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  /* the data: built once against a schema-only program that stays alive */
  rng_state = seed * UINT64_C(0x2545F4914F6CDD1D) + 17;
  seg_program *base = seg_program_new();
  seg_load_text(base, "schema.seg", SCHEMA, strlen(SCHEMA));
  if (!seg_check(base)) {
    diag_render(&base->diags, stderr);
    return 1;
  }
  /* the generator's view of the streams must be the schema's */
  bool same = base->schema->nstreams == NSTREAMS;
  for (int s = 0; same && s < NSTREAMS; s++) {
    const seg_stream *st = &base->schema->streams[s];
    same = strcmp(st->name, STREAMS[s].name) == 0 && st->nfields == STREAMS[s].nf;
    for (int f = 0; same && f < st->nfields; f++)
      same = strcmp(st->fields[f].name, STREAMS[s].f[f].name) == 0 && st->fields[f].nullable == STREAMS[s].f[f].nullable;
  }
  if (!same || base->schema->streams[0].order != 0 || base->schema->streams[1].order != 1) {
    fprintf(stderr, "difftest: the streams of SCHEMA and STREAMS differ\n");
    return 2;
  }
  rt_table table = build_table(base->schema, nrecords);

  uint64_t comparisons = 0, by_value[3] = {0, 0, 0}, nlifts = 0, nslow = 0, always_same = 0, n3 = 0;
  int done_rules = 0;
  int npacks = (nrules + per_pack - 1) / per_pack;
  for (int p = 0; p < npacks; p++) {
    int nseg = nrules - done_rules < per_pack ? nrules - done_rules : per_pack;
    /* generate the pack's text */
    rule *rules = calloc((size_t)nseg * 2, sizeof(rule));
    int nr = 0;
    G.seg_names = calloc((size_t)nseg * 2, sizeof(char *));
    G.seg_cost = calloc((size_t)nseg * 2, sizeof(int));
    G.nsegs = 0;
    sbuf text = {0};
    sb_add(&text, SCHEMA);
    sb_add(&text, CONSTS);
    for (int s = 0; s < nseg; s++) {
      G.cur_cost = 1;
      char *name = xs("g%d_%d", p, s);
      char *body = gen_rule(1 + rn(depth));
      char *line = xs("segment %s = %s", name, body);
      sb_add(&text, line);
      rules[nr++] = (rule){name, body, -1};
      int parent = G.nsegs;
      G.seg_names[G.nsegs] = xs("%s", name);
      G.seg_cost[G.nsegs++] = G.cur_cost;
      free(line);
      if (chance(15)) { /* a child segment: its rule is `parent and rule` */
        G.cur_cost = 1 + G.seg_cost[parent];
        char *cbody = gen_rule(1 + rn(depth - 1 > 0 ? depth - 1 : 1));
        char *cline = xs(" {\n  segment c = %s\n}", cbody);
        sb_add(&text, cline);
        free(cline);
        rules[nr++] = (rule){xs("%s.c", name), cbody, -1};
        G.seg_names[G.nsegs] = xs("%s.c", name);
        G.seg_cost[G.nsegs++] = G.cur_cost;
      }
      sb_add(&text, "\n");
    }
    done_rules += nseg;

    /* parse and check */
    seg_program *prog = seg_program_new();
    char *fname = xs("pack%d.seg", p);
    seg_load_text(prog, fname, text.p, text.n);
    if (!seg_check(prog)) {
      fprintf(stderr, "difftest: a generated pack does not check (seed %" PRIu64 ", pack %d):\n", seed, p);
      diag_render(&prog->diags, stderr);
      FILE *fp = fopen("difftest-fail.seg", "w");
      if (fp) fputs(text.p, fp), fclose(fp);
      return 1;
    }
    if (verbose) fprintf(stderr, "--- pack %d ---\n%s", p, text.p);
    int nsegs = prog->segments.n;
    for (int i = 0; i < nr; i++)
      for (int j = 0; j < nsegs; j++)
        if (strcmp(((seg_segment *)prog->segments.items[j])->name, rules[i].name) == 0) rules[i].seg_index = j;
    /* outputs: every segment (membership) + every segment's rule (3-valued) */
    ast **extra = calloc((size_t)nsegs + 1, sizeof(ast *));
    const char **names = calloc((size_t)nsegs + 1, sizeof(char *));
    for (int j = 0; j < nsegs; j++) {
      extra[j] = ((seg_segment *)prog->segments.items[j])->rule;
      names[j] = ((seg_segment *)prog->segments.items[j])->name;
    }
    seg_pack *pk = pack_new(prog, extra, names, nsegs);
    /* the interpreter runs the program read back from its image (lang/image.c,
     * what a prebuilt pack holds), so the image is checked on every rule too */
    bytes_buf ib = {0};
    ast **by_id = NULL;
    seg_program *img = image_write(prog, &ib) ? image_read(ib.p, ib.n, (const seg_source *const *)prog->diags.sources,
                                                           prog->diags.nsources, &by_id)
                                              : NULL;
    free(ib.p);
    free(by_id);
    if (!img || img->segments.n != nsegs) {
      fprintf(stderr, "difftest: pack %d: its program image does not read back\n", p);
      return 1;
    }
    ast **img_extra = calloc((size_t)nsegs + 1, sizeof(ast *));
    for (int j = 0; j < nsegs; j++) img_extra[j] = ((seg_segment *)img->segments.items[j])->rule;
    seg_pack *pki = pack_new(img, img_extra, names, nsegs);
    char err[512];
    double tc = seconds();
    bool compiled = pack_compile(pk, PACK_NATIVE, NULL, err, sizeof err);
    t_compile += seconds() - tc;
    if (!compiled) {
      fprintf(stderr, "difftest: pack %d does not compile: %s\n", p, err);
      return 1;
    }
    for (int kk = 0; kk < 2; kk++) {
      int k = kk == 0 ? p % NASOF : (p + 1 + p / NASOF) % NASOF;
      if (k == p % NASOF && kk == 1) k = (k + 1) % NASOF;
      ival *consts = calloc((size_t)prog->consts.n + 1, sizeof(ival));
      if (!interp_consts(prog, as_of[k], consts, err, sizeof err)) {
        fprintf(stderr, "difftest: consts: %s\n", err);
        return 1;
      }
      exec_result rj, ri;
      exec_options oj = {.now = as_of[k], .threads = (p == 0 && kk == 0) ? 2 : 1, .interpreter = false,
                         .keep_bytes = true, .consts = consts};
      exec_options oi = oj;
      oi.interpreter = true;
      oi.threads = 1;
      double tr = seconds();
      bool ran = exec_run(pk, &table, &oj, &rj, err, sizeof err);
      double tr2 = seconds();
      ran = ran && exec_run(pki, &table, &oi, &ri, err, sizeof err);
      t_jit += tr2 - tr;
      t_interp += seconds() - tr2;
      if (verbose) fprintf(stderr, "pack %d at %s: JIT %.3f s, interpreter %.3f s\n", p, as_of_text[k], tr2 - tr, seconds() - tr2);
      if (!ran) {
        fprintf(stderr, "difftest: exec: %s\n", err);
        return 1;
      }
      for (int o = 0; o < pk->noutputs; o++) {
        uint64_t seen[4] = {0, 0, 0, 0};
        for (uint64_t r = 0; r < table.nrecords; r++) {
          comparisons++;
          uint8_t bj = rj.bytes[o][r], bi = ri.bytes[o][r];
          seen[bi < 3 ? bi : 3]++;
          if (bj == bi) continue;
          static const char *bn[] = {"FALSE", "TRUE", "UNKNOWN"};
          int sj = o < nsegs ? o : o - nsegs;
          const seg_segment *sg = prog->segments.items[sj];
          fprintf(stderr, "difftest: MISMATCH (seed %" PRIu64 ", pack %d, as-of %s, record %" PRIu64 ")\n", seed, p,
                  as_of_text[k], r);
          fprintf(stderr, "  output %d: %s of segment %s\n", o, o < nsegs ? "membership" : "3-valued rule", sg->name);
          for (int i = 0; i < nr; i++)
            if (rules[i].seg_index == sj) fprintf(stderr, "  rule: segment %s = %s\n", rules[i].name, rules[i].text);
          fprintf(stderr, "  JIT: %s (%u)   interpreter: %s (%u)\n", bj < 3 ? bn[bj] : "?", bj, bi < 3 ? bn[bi] : "?", bi);
          fprintf(stderr, "  record:\n");
          print_record(stderr, &table, r);
          FILE *fp = fopen("difftest-fail.seg", "w");
          if (fp) {
            fputs(text.p, fp);
            fclose(fp);
            fprintf(stderr, "  the whole pack is in difftest-fail.seg\n");
          }
          return 1;
        }
        /* the counts (exec.c counts bits; the bytes are made apart) agree with the bytes, seen[] */
        if (rj.counts[o] != seen[OUT_TRUE] || rj.unknown[o] != seen[OUT_UNKNOWN] || ri.counts[o] != seen[OUT_TRUE] ||
            ri.unknown[o] != seen[OUT_UNKNOWN]) {
          fprintf(stderr, "difftest: COUNTS (seed %" PRIu64 ", pack %d, output %d): %" PRIu64 " TRUE, %" PRIu64
                  " UNKNOWN by the bytes; JIT counted %" PRIu64 " and %" PRIu64 ", interpreter %" PRIu64 " and %" PRIu64 "\n",
                  seed, p, o, seen[OUT_TRUE], seen[OUT_UNKNOWN], rj.counts[o], rj.unknown[o], ri.counts[o], ri.unknown[o]);
          return 1;
        }
        if (o >= nsegs) {
          n3++;
          always_same += (seen[0] == table.nrecords) + (seen[1] == table.nrecords) + (seen[2] == table.nrecords);
          for (int v = 0; v < 3; v++) by_value[v] += seen[v];
        }
      }
      exec_result_free(&rj);
      exec_result_free(&ri);
      free(consts);
    }
    nlifts += (uint64_t)pk->nlifts;
    nslow += (uint64_t)pk->nslow;
    pack_free(pk);
    pack_free(pki);
    seg_program_free(img);
    free(img_extra);
    free(extra);
    free(names);
    seg_program_free(prog);
    free(fname);
    free(text.p);
    for (int i = 0; i < nr; i++) free(rules[i].name), free(rules[i].text);
    free(rules);
    for (int i = 0; i < G.nsegs; i++) free(G.seg_names[i]);
    free(G.seg_names);
    free(G.seg_cost);
  }
  uint64_t table_events[NSTREAMS];
  for (int s = 0; s < NSTREAMS; s++) table_events[s] = table.streams[s].nevents;
  rt_table_free(&table);
  seg_program_free(base);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  if (verbose)
    fprintf(stderr,
            "difftest: 3-valued outputs: %" PRIu64 " FALSE, %" PRIu64 " TRUE, %" PRIu64 " UNKNOWN; %" PRIu64
            " of %" PRIu64 " outputs constant over the data; %" PRIu64 " lifted and %" PRIu64 " slow expressions\n",
            by_value[0], by_value[1], by_value[2], always_same, n3, nlifts, nslow);
  if (verbose)
    fprintf(stderr,
            "difftest: %" PRIu64 " of %" PRIu64 " rules read streams; %" PRIu64 " aggregates (%" PRIu64
            " nested); %" PRIu64 " + %" PRIu64 " events\n"
            "difftest: %.2f s compiling, %.2f s JIT runs, %.2f s interpreter runs\n",
            nrules_agg, nrules_total, G.naggs, G.nnested, table_events[0], table_events[1], t_compile, t_jit, t_interp);
  printf("difftest: %d rules, %d records, %" PRIu64 " comparisons, all agree (seed %" PRIu64 ", %.1f s)\n", nrules,
         nrecords, comparisons, seed, secs);
  return 0;
}
