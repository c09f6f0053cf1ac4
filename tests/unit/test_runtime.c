/* tests/unit/test_runtime.c — unit tests of runtime/: block layout, the
 * table builder (sort, duplicate keys, dictionary), .segd write/open and its
 * refusals, and CSV ingest (every type, RFC 4180 quoting, rejects with line
 * and column, the bad-rows file).  Self-checking: prints each failure and
 * exits non-zero when any check fails.  Files go to a fresh temp directory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lang/types.h"
#include "runtime/builder.h"
#include "runtime/ingest.h"
#include "runtime/segd_internal.h"
#include "runtime/table.h"
#include "stdlib/calendar.h"
#include "unit.h"



static const char *plan_names[] = {"free", "trial", "pro"};
static const seg_members plan_members = {3, plan_names};
static const char *chan_names[] = {"email", "sms", "push"};
static const seg_members chan_members = {3, chan_names};

/* ---- the ingest schema: every type ---- */
enum { C_ID, C_AGE, C_NAME, C_CITY, C_PLAN, C_CHAN, C_SPENT, C_RISK, C_OK, C_BORN, C_SEEN, NF };
static seg_field ingest_fields[NF];
static seg_schema ingest_schema;

static void make_ingest_schema(void) {
  ingest_fields[C_ID] = fld("id", TY_INT64, false);
  ingest_fields[C_ID].key = true;
  ingest_fields[C_AGE] = fld("age", TY_INT32, true);
  ingest_fields[C_NAME] = fld("name", TY_STRING, false);
  ingest_fields[C_CITY] = fld("city", TY_STRING, true);
  ingest_fields[C_PLAN] = fld("plan", TY_ENUM, false);
  ingest_fields[C_PLAN].type.members = &plan_members;
  ingest_fields[C_CHAN] = fld("channels", TY_SET, false);
  ingest_fields[C_CHAN].type.members = &chan_members;
  ingest_fields[C_SPENT] = fld("spent", TY_DECIMAL, false);
  ingest_fields[C_SPENT].type.prec = 12;
  ingest_fields[C_SPENT].type.scale = 2;
  ingest_fields[C_RISK] = fld("risk", TY_FLOAT64, true);
  ingest_fields[C_OK] = fld("ok", TY_BOOL, false);
  ingest_fields[C_BORN] = fld("born", TY_DATE, false);
  ingest_fields[C_SEEN] = fld("seen", TY_TIMESTAMP, true);
  for (int i = 0; i < NF; i++) ingest_fields[i].index = i;
  ingest_schema = (seg_schema){.name = "customer", .fields = ingest_fields, .nfields = NF, .key = C_ID};
}

/* ---- 1. layout ---- */
static void test_layout(void) {
  seg_field f[4] = {fld("a", TY_BOOL, true), fld("b", TY_INT64, false), fld("c", TY_STRING, true),
                    fld("d", TY_ENUM, false)};
  seg_schema s = {.fields = f, .nfields = 4, .key = -1};
  rt_layout l;
  rt_layout_init(&l, &s);
  CHECK(l.nfields == 4, "nfields %d", l.nfields);
  CHECK(l.val_off[0] == 0 && l.null_off[0] == 4096, "a at %u/%u", l.val_off[0], l.null_off[0]);
  CHECK(l.val_off[1] == 8192 && l.null_off[1] == RT_NO_NULLS, "b at %u/%u", l.val_off[1], l.null_off[1]);
  CHECK(l.val_off[2] == 8192 + 32768 && l.null_off[2] == 8192 + 32768 + 16384, "c at %u/%u", l.val_off[2],
        l.null_off[2]);
  CHECK(l.val_off[3] == 8192 + 32768 + 16384 + 4096, "d at %u", l.val_off[3]);
  CHECK(l.block_bytes == 8192 + 32768 + 16384 + 8192, "block_bytes %u", l.block_bytes);
  for (int i = 0; i < 4; i++)
    CHECK(l.val_off[i] % 64 == 0 && (l.null_off[i] == RT_NO_NULLS || l.null_off[i] % 64 == 0), "field %d aligned", i);
  CHECK(l.block_bytes % 64 == 0, "block_bytes multiple of 64");
  rt_layout_free(&l);
  seg_schema empty = {.nfields = 0, .key = -1};
  rt_layout_init(&l, &empty);
  CHECK(l.nfields == 0 && l.block_bytes == 0, "empty schema layout");
  rt_layout_free(&l);
}

/* ---- 2. builder ---- */
typedef struct { uint64_t line, first; } dup_rec;
static dup_rec dups[64];
static int ndups;
static void on_dup(void *user, uint64_t line, uint64_t first) {
  (void)user;
  if (ndups < 64) dups[ndups++] = (dup_rec){line, first};
}

static const char *dict_at(const rt_table *t, int field, uint64_t row) {
  static char buf[4][256];
  static int k;
  char *p = buf[k++ % 4];
  size_t n;
  const char *s = rt_dict_str(t, (uint32_t)rt_get_i64(t, field, row), &n);
  snprintf(p, 256, "%.*s", (int)n, s);
  return p;
}

static void test_builder_strings(void) {
  seg_field f[3] = {fld("k", TY_STRING, false), fld("v", TY_INT32, true), fld("s", TY_STRING, false)};
  f[0].key = true;
  seg_schema s = {.fields = f, .nfields = 3, .key = 0};
  rt_builder *b = rt_builder_new(&s);
  const char *keys[] = {"b", "a", "c", "a", "ab", "b", ""};
  const char *other[] = {"zz", "", "a", "q", "a\xC3\xA9", "x", "b"};
  for (int i = 0; i < 7; i++) {
    rt_cell c[3] = {{.s = keys[i], .len = strlen(keys[i])}, {.i = -i, .null = i == 2}, {.s = other[i], .len = strlen(other[i])}};
    rt_builder_add(b, c, (uint64_t)i + 2);
  }
  rt_table t;
  ndups = 0;
  uint64_t kept = rt_builder_finish(b, &t, on_dup, NULL);
  CHECK(kept == 5 && t.nrecords == 5 && t.nblocks == 1, "kept %llu", (unsigned long long)kept);
  CHECK(ndups == 2, "ndups %d", ndups);
  CHECK(ndups >= 2 && dups[0].line == 5 && dups[0].first == 3, "dup a: %llu first %llu",
        (unsigned long long)dups[0].line, (unsigned long long)dups[0].first);
  CHECK(ndups >= 2 && dups[1].line == 7 && dups[1].first == 2, "dup b");
  const char *want[] = {"", "a", "ab", "b", "c"};
  const char *want_s[] = {"b", "", "a\xC3\xA9", "zz", "a"};
  const int want_v[] = {-6, -1, -4, 0, 0};
  for (int r = 0; r < 5 && r < (int)kept; r++) {
    CHECK(strcmp(dict_at(&t, 0, r), want[r]) == 0, "row %d key %s", r, dict_at(&t, 0, r));
    CHECK(strcmp(dict_at(&t, 2, r), want_s[r]) == 0, "row %d s %s", r, dict_at(&t, 2, r));
    if (r != 4) CHECK(!rt_is_null(&t, 1, r) && rt_get_i64(&t, 1, r) == want_v[r], "row %d v", r);
  }
  CHECK(rt_is_null(&t, 1, 4), "c's v is null");
  /* one dictionary for both fields, sorted, no duplicates (dropped rows' strings may stay) */
  for (uint32_t i = 1; i < t.ndict; i++) {
    size_t la, lb;
    const char *a = rt_dict_str(&t, i - 1, &la), *bb = rt_dict_str(&t, i, &lb);
    int c = memcmp(a, bb, la < lb ? la : lb);
    CHECK(c < 0 || (c == 0 && la < lb), "dictionary order at %u", i);
  }
  CHECK(t.ndict == 9, "ndict %u", t.ndict);
  /* the share of the dictionary each string field uses, in 255ths (the
     dropped duplicates' strings count: it is a hint) */
  CHECK(t.dict_share && t.dict_share[0] == 255 * 5 / 9 && t.dict_share[1] == 0 && t.dict_share[2] == 255 * 7 / 9,
        "dict_share %d %d %d", t.dict_share ? t.dict_share[0] : -1, t.dict_share ? t.dict_share[1] : -1,
        t.dict_share ? t.dict_share[2] : -1);
  CHECK(((uintptr_t)t.blocks & 63) == 0, "blocks aligned");
  rt_table_free(&t);
}

static seg_field big_fields[3];
static seg_schema big_schema;
static void make_big_schema(void) {
  big_fields[0] = fld("id", TY_INT64, false);
  big_fields[0].key = true;
  big_fields[1] = fld("d", TY_DATE, true);
  big_fields[2] = fld("x", TY_FLOAT64, false);
  big_schema = (seg_schema){.fields = big_fields, .nfields = 3, .key = 0};
}

static rt_table build_big(uint64_t n) {
  rt_builder *b = rt_builder_new(&big_schema);
  for (uint64_t i = 0; i < n; i++) {
    int64_t id = (int64_t)((i * 7919) % n) - (int64_t)n / 2; /* a permutation when gcd(7919, n) = 1 */
    rt_cell c[3] = {{.i = id}, {.i = id, .null = id % 3 == 0}, {.f = (double)id / 4}};
    rt_builder_add(b, c, i + 2);
  }
  rt_table t;
  uint64_t kept = rt_builder_finish(b, &t, on_dup, NULL);
  CHECK(kept == n, "big kept %llu", (unsigned long long)kept);
  return t;
}

static void check_big(const rt_table *t, uint64_t n) {
  int bad = 0;
  for (uint64_t r = 0; r < n && bad < 5; r++) {
    int64_t id = (int64_t)r - (int64_t)n / 2;
    bool ok = rt_get_i64(t, 0, r) == id && rt_is_null(t, 1, r) == (id % 3 == 0) &&
              (id % 3 == 0 || rt_get_i64(t, 1, r) == id) && rt_get_f64(t, 2, r) == (double)id / 4;
    if (!ok) bad++;
    CHECK(ok, "big row %llu", (unsigned long long)r);
  }
  /* the padding of the last block is zero */
  const uint8_t *last = rt_block(t, t->nblocks - 1);
  uint32_t cnt = rt_block_count(t, t->nblocks - 1);
  bool zero = true;
  for (uint32_t i = cnt; i < RT_BLOCK; i++)
    if (last[t->layout.val_off[0] + i * 8] || last[t->layout.null_off[1] + i]) zero = false;
  CHECK(zero, "padding zeroed");
}

/* The partial last block as the generated code runs over it
 * (rt_block_padded): itself while its padding is the zeros the builder
 * left, a copy padded with its first record once the padding holds
 * anything else (a damaged file's bytes there are never checked). */
static void check_padded(rt_table *t) {
  uint64_t b = t->nblocks - 1;
  uint32_t cnt = rt_block_count(t, b);
  uint8_t *dst = aligned_alloc(64, t->layout.block_bytes);
  CHECK(cnt < RT_BLOCK && rt_block_padded(t, b, dst) == rt_block(t, b), "zero padding: the block itself");
  CHECK(rt_block_padded(t, 0, dst) == rt_block(t, 0), "a full block: itself");
  uint8_t *last = (uint8_t *)t->owned_blocks + b * t->layout.block_bytes;
  last[t->layout.null_off[1] + RT_BLOCK - 1] = 7; /* garbage in the padding of one column */
  const uint8_t *p = rt_block_padded(t, b, dst);
  bool copied = p == dst && memcmp(p, last, cnt * 8) == 0, first = true;
  for (uint32_t i = cnt; i < RT_BLOCK; i++)
    first &= memcmp(p + t->layout.val_off[0] + i * 8, p + t->layout.val_off[0], 8) == 0 &&
             p[t->layout.null_off[1] + i] == p[t->layout.null_off[1]];
  CHECK(copied && first, "damaged padding: a copy padded with the first record");
  last[t->layout.null_off[1] + RT_BLOCK - 1] = 0;
  free(dst);
}

/* Strings are interned in batches of 64 (builder_flush): 5000 records
 * with a string key in shuffled order, a nullable string (null, empty,
 * repeated and 200-byte values) and a non-nullable one given nulls (the
 * empty string); every value must come back on its record. */
static void test_builder_many_strings(void) {
  seg_field f[3] = {fld("k", TY_STRING, false), fld("s", TY_STRING, true), fld("e", TY_STRING, false)};
  f[0].key = true;
  seg_schema s = {.fields = f, .nfields = 3, .key = 0};
  rt_builder *b = rt_builder_new(&s);
  const uint64_t n = 5000;
  char key[32], val[256];
  for (uint64_t i = 0; i < n; i++) {
    uint64_t id = (i * 7919) % n;
    snprintf(key, sizeof key, "key%05llu", (unsigned long long)id);
    if (id % 5 == 4) snprintf(val, sizeof val, "%0200llu", (unsigned long long)id);
    else snprintf(val, sizeof val, "v%llu", (unsigned long long)(id % 97));
    rt_cell c[3] = {{.s = key, .len = strlen(key)},
                    {.s = id % 7 == 3 ? "" : val, .len = id % 7 == 3 ? 0 : strlen(val), .null = id % 11 == 5},
                    {.s = val, .len = strlen(val), .null = id % 2 == 0}};
    rt_builder_add(b, c, i + 2);
  }
  rt_table t;
  CHECK(rt_builder_finish(b, &t, on_dup, NULL) == n, "many strings: kept");
  int bad = 0;
  for (uint64_t r = 0; r < n && bad < 5; r++) {
    if (r % 5 == 4) snprintf(val, sizeof val, "%0200llu", (unsigned long long)r);
    else snprintf(val, sizeof val, "v%llu", (unsigned long long)(r % 97));
    snprintf(key, sizeof key, "key%05llu", (unsigned long long)r);
    bool ok = strcmp(dict_at(&t, 0, r), key) == 0;
    if (r % 11 == 5) ok = ok && rt_is_null(&t, 1, r);
    else ok = ok && !rt_is_null(&t, 1, r) && strcmp(dict_at(&t, 1, r), r % 7 == 3 ? "" : val) == 0;
    ok = ok && strcmp(dict_at(&t, 2, r), r % 2 == 0 ? "" : val) == 0;
    if (!ok) bad++;
    CHECK(ok, "many strings: record %llu", (unsigned long long)r);
  }
  rt_table_free(&t);
}

static void test_builder_big(void) {
  ndups = 0;
  rt_table t = build_big(10007);
  CHECK(t.nblocks == 3 && ndups == 0, "nblocks %llu", (unsigned long long)t.nblocks);
  check_big(&t, 10007);
  check_padded(&t);
  rt_table_free(&t);
  /* zero records */
  rt_builder *b = rt_builder_new(&big_schema);
  uint64_t kept = rt_builder_finish(b, &t, on_dup, NULL);
  CHECK(kept == 0 && t.nblocks == 0 && t.ndict == 0, "empty table");
  rt_table_free(&t);
}

/* ---- 3. .segd round trip and refusals ---- */
static void test_segd(void) {
  char err[1024];
  rt_table t = build_big(10007);
  const char *p = tpath("big.segd");
  CHECK(rt_table_write(&t, p, err, sizeof err), "write: %s", err);
  rt_table_free(&t);
  rt_table u;
  bool ok = rt_table_open(p, &big_schema, &u, err, sizeof err);
  CHECK(ok, "open: %s", err);
  if (ok) {
    CHECK(u.nrecords == 10007 && ((uintptr_t)u.blocks & 4095) == 0, "mapped blocks");
    check_big(&u, 10007);
    rt_table_free(&u);
  }
  struct stat st;
  CHECK(stat(tpath("big.segd.tmp"), &st) != 0, "no temp left");

  /* strings and nulls */
  seg_field f[3] = {fld("k", TY_STRING, false), fld("v", TY_STRING, true), fld("e", TY_ENUM, true)};
  f[0].key = true;
  f[2].type.members = &plan_members;
  seg_schema s = {.fields = f, .nfields = 3, .key = 0};
  rt_builder *b = rt_builder_new(&s);
  rt_builder_add(b, (rt_cell[]){{.s = "x", .len = 1}, {.null = true}, {.i = 2}}, 2);
  rt_builder_add(b, (rt_cell[]){{.s = "w", .len = 1}, {.s = "hello", .len = 5}, {.null = true}}, 3);
  rt_builder_finish(b, &t, NULL, NULL);
  char spath[512];
  snprintf(spath, sizeof spath, "%s", tpath("s.segd"));
  p = spath;
  CHECK(rt_table_write(&t, p, err, sizeof err), "write: %s", err);
  rt_table_free(&t);
  ok = rt_table_open(p, &s, &u, err, sizeof err);
  CHECK(ok, "open strings: %s", err);
  if (ok) {
    CHECK(strcmp(dict_at(&u, 0, 0), "w") == 0 && strcmp(dict_at(&u, 1, 0), "hello") == 0, "row 0");
    CHECK(strcmp(dict_at(&u, 0, 1), "x") == 0 && rt_is_null(&u, 1, 1), "row 1");
    CHECK(rt_is_null(&u, 2, 0) && !rt_is_null(&u, 2, 1) && rt_get_i64(&u, 2, 1) == 2, "enum");
    CHECK(u.dict_share && u.dict_share[0] == 170 && u.dict_share[1] == 85 && u.dict_share[2] == 0,
          "dict_share read back");
    rt_table_free(&u);
  }
  /* empty table */
  b = rt_builder_new(&s);
  rt_builder_finish(b, &t, NULL, NULL);
  CHECK(rt_table_write(&t, tpath("empty.segd"), err, sizeof err), "write empty: %s", err);
  rt_table_free(&t);
  ok = rt_table_open(tpath("empty.segd"), &s, &u, err, sizeof err);
  CHECK(ok && u.nrecords == 0 && u.ndict == 0 && u.dict_share && !u.dict_share[0] && !u.dict_share[1], "open empty: %s", err);
  rt_table_free(&u);

  /* refusals */
  size_t n;
  char *data = read_file(p, &n);

  /* a bad string code in v: refused by a run that reads v, not by one that
   * does not (it never looks at v) */
  ok = rt_table_open(p, &s, &u, err, sizeof err);
  size_t v_at = ok ? (size_t)(rt_block(&u, 0) + u.layout.val_off[1] - (const uint8_t *)u.map) : 0;
  if (ok) rt_table_free(&u);
  memset(data + v_at, 0xEE, 4); /* record 0's v, not null */
  write_file(tpath("code.segd"), data, n);
  bool reads_v[3] = {false, true, false}, reads_e[3] = {false, false, true};
  rt_needs need_v = {reads_v, NULL, false, 0}, need_e = {reads_e, NULL, true, 0};
  CHECK(!rt_table_open(tpath("code.segd"), &s, &u, err, sizeof err) && strstr(err, "invalid value in field \"v\""),
        "bad code, everything checked: %s", err);
  CHECK(!rt_table_open_for(tpath("code.segd"), &s, &need_v, &u, err, sizeof err) && strstr(err, "record 1"),
        "bad code, v read: %s", err);
  ok = rt_table_open_for(tpath("code.segd"), &s, &need_e, &u, err, sizeof err);
  CHECK(ok && u.nrecords == 2, "bad code, v not read: %s", err);
  if (ok) rt_table_free(&u);
  free(data);
  data = read_file(p, &n);
  write_file(tpath("trunc.segd"), data, n - 3);
  CHECK(!rt_table_open(tpath("trunc.segd"), &s, &u, err, sizeof err) && strstr(err, "truncated"), "truncated: %s", err);
  write_file(tpath("tiny.segd"), data, 10);
  CHECK(!rt_table_open(tpath("tiny.segd"), &s, &u, err, sizeof err) && strstr(err, "too short"), "tiny: %s", err);
  data[0] = 'X';
  write_file(tpath("magic.segd"), data, n);
  CHECK(!rt_table_open(tpath("magic.segd"), &s, &u, err, sizeof err) && strstr(err, "bad magic"), "magic: %s", err);
  data[0] = 'S';
  data[4] = 9;
  write_file(tpath("version.segd"), data, n);
  CHECK(!rt_table_open(tpath("version.segd"), &s, &u, err, sizeof err) && strstr(err, "version 9"), "version: %s", err);
  data[4] = 1;
  CHECK(!rt_table_open(tpath("missing.segd"), &s, &u, err, sizeof err) && strstr(err, "cannot open"), "missing: %s", err);

  /* another schema */
  seg_field g[3] = {fld("k", TY_STRING, false), fld("v", TY_INT64, false), fld("foo", TY_BOOL, false)};
  g[0].key = true;
  seg_schema s2 = {.fields = g, .nfields = 3, .key = 0};
  CHECK(!rt_table_open(p, &s2, &u, err, sizeof err), "other schema accepted");
  CHECK(strstr(err, "was written for another schema") && strstr(err, "field \"v\" is string? in the file but int64 in the schema") &&
            strstr(err, "field \"foo\" is missing from the file") &&
            strstr(err, "field \"e\" is in the file but not in the schema"),
        "schema message: %s", err);

  /* a date outside 0001-01-01 .. 9999-12-31 (the range the generated
     calendar is exact in) is refused; the bounds themselves are taken; so
     is a timestamp outside those days a day wider each side (where the
     parser's "+HH:MM" offsets can move them, and `now - t` cannot overflow) */
  int64_t ts_lo, ts_hi;
  CHECK(cal_parse_timestamp("0001-01-01T00:00:00+23:59", 25, &ts_lo) &&
            cal_parse_timestamp("9999-12-31T23:59:59.999999-23:59", 32, &ts_hi) && ts_lo > SEGD_TS_MIN &&
            ts_hi < SEGD_TS_MAX,
        "the parser's extreme timestamps lie inside the stored range");
  seg_field df[3] = {fld("id", TY_INT64, false), fld("d", TY_DATE, true), fld("ts", TY_TIMESTAMP, true)};
  df[0].key = true;
  seg_schema ds = {.fields = df, .nfields = 3, .key = 0};
  b = rt_builder_new(&ds);
  rt_builder_add(b, (rt_cell[]){{.i = 1}, {.i = -719162}, {.i = SEGD_TS_MIN}}, 2);
  rt_builder_add(b, (rt_cell[]){{.i = 2}, {.i = 2932896}, {.i = SEGD_TS_MAX}}, 3);
  rt_builder_add(b, (rt_cell[]){{.i = 3}, {.null = true}, {.null = true}}, 4);
  rt_builder_finish(b, &t, NULL, NULL);
  CHECK(rt_table_write(&t, tpath("dates.segd"), err, sizeof err), "write dates: %s", err);
  rt_table_free(&t);
  ok = rt_table_open(tpath("dates.segd"), &ds, &u, err, sizeof err);
  CHECK(ok, "dates at the bounds: %s", err);
  size_t d_at = ok ? (size_t)(rt_block(&u, 0) + u.layout.val_off[1] - (const uint8_t *)u.map) : 0;
  size_t ts_at = ok ? (size_t)(rt_block(&u, 0) + u.layout.val_off[2] - (const uint8_t *)u.map) : 0;
  if (ok) rt_table_free(&u);
  size_t dn;
  char *dd = read_file(tpath("dates.segd"), &dn);
  static const int32_t beyond[] = {-719163, 2932897, INT32_MIN, INT32_MAX};
  for (int i = 0; dd && i < 4; i++) {
    memcpy(dd + d_at + 4, &beyond[i], 4); /* record 2's date */
    write_file(tpath("date.segd"), dd, dn);
    CHECK(!rt_table_open(tpath("date.segd"), &ds, &u, err, sizeof err) && strstr(err, "record 2 has an invalid value in field \"d\""),
          "date %d: %s", beyond[i], err);
  }
  memcpy(dd + d_at + 4, &(int32_t){2932896}, 4);
  static const int64_t ts_beyond[] = {SEGD_TS_MIN - 1, SEGD_TS_MAX + 1, INT64_MIN, INT64_MAX};
  for (int i = 0; dd && i < 4; i++) {
    memcpy(dd + ts_at + 8, &ts_beyond[i], 8); /* record 2's timestamp */
    write_file(tpath("ts.segd"), dd, dn);
    CHECK(!rt_table_open(tpath("ts.segd"), &ds, &u, err, sizeof err) && strstr(err, "record 2 has an invalid value in field \"ts\""),
          "timestamp %lld: %s", (long long)ts_beyond[i], err);
  }
  free(dd);

  /* an unsorted dictionary is refused: decided by the strings' first 8
     bytes, by bytes after them, and for two equal strings */
  seg_field sf[2] = {fld("id", TY_INT64, false), fld("s", TY_STRING, false)};
  sf[0].key = true;
  seg_schema ss = {.fields = sf, .nfields = 2, .key = 0};
  static const char *words[] = {"apple", "banana", "cherrypie-long-1", "cherrypie-long-2", "zz"};
  b = rt_builder_new(&ss);
  for (int i = 0; i < 5; i++) rt_builder_add(b, (rt_cell[]){{.i = i + 1}, {.s = words[i], .len = strlen(words[i])}}, (uint64_t)i + 2);
  rt_builder_finish(b, &t, NULL, NULL);
  CHECK(rt_table_write(&t, tpath("words.segd"), err, sizeof err), "write words: %s", err);
  rt_table_free(&t);
  CHECK(rt_table_open(tpath("words.segd"), &ss, &u, err, sizeof err), "a sorted dictionary: %s", err);
  rt_table_free(&u);
  size_t wn;
  char *wd = read_file(tpath("words.segd"), &wn);
  char *banana = wd ? memmem(wd, wn, "banana", 6) : NULL, *pie2 = wd ? memmem(wd, wn, "cherrypie-long-2", 16) : NULL;
  CHECK(banana && pie2, "the dictionary's strings are in the file");
  static const struct { char *at; char to; unsigned entry; } swaps[] = {{NULL, 'a', 1}, {NULL, '0', 3}, {NULL, '1', 3}};
  for (int i = 0; banana && pie2 && i < 3; i++) {
    char *at = i == 0 ? banana : pie2 + 15, was = *at;
    *at = swaps[i].to; /* "aanana" before "apple"; "...-long-0" before "...-long-1"; "...-long-1" twice */
    write_file(tpath("unsorted.segd"), wd, wn);
    char want[64];
    snprintf(want, sizeof want, "dictionary is not sorted at entry %u", swaps[i].entry);
    CHECK(!rt_table_open(tpath("unsorted.segd"), &ss, &u, err, sizeof err) && strstr(err, want), "swap %d: %s", i, err);
    *at = was;
  }
  free(wd);

  /* random corruption never crashes */
  srand(7);
  for (int i = 0; i < 400; i++) {
    char *m = malloc(n);
    memcpy(m, data, n);
    int flips = 1 + rand() % 3;
    for (int k = 0; k < flips; k++) {
      size_t at = (size_t)rand() % (i % 2 ? 160 : n);
      m[at] = (char)rand();
    }
    write_file(tpath("fuzz.segd"), m, n - (size_t)(i % 7 == 0 ? rand() % 64 : 0));
    if (rt_table_open(tpath("fuzz.segd"), &s, &u, err, sizeof err)) {
      for (uint64_t r = 0; r < u.nrecords; r++) (void)dict_at(&u, 1, r);
      rt_table_free(&u);
    }
    free(m);
  }
  free(data);
}

/* ---- 4. ingest ---- */
typedef struct { uint64_t line; int col; char name[32]; char reason[200]; } reject_rec;
static reject_rec rejects[64];
static int nrejects, nwarnings;
static uint64_t reject_sum; /* every reject's line, column and reason, hashed in order */
static char last_warning[512];

static void on_reject(void *user, const char *file, uint64_t line, int col, const char *name, const char *reason) {
  (void)user;
  (void)file;
  char text[300];
  int n = snprintf(text, sizeof text, "%llu:%d:%s:%s;", (unsigned long long)line, col, name ? name : "", reason);
  for (int i = 0; i < n && i < (int)sizeof text; i++) reject_sum = (reject_sum ^ (uint8_t)text[i]) * 1099511628211ull;
  if (nrejects >= 64) return;
  reject_rec *r = &rejects[nrejects++];
  r->line = line;
  r->col = col;
  snprintf(r->name, sizeof r->name, "%s", name ? name : "");
  snprintf(r->reason, sizeof r->reason, "%s", reason);
}
static void on_warning(void *user, const char *msg) {
  (void)user;
  nwarnings++;
  snprintf(last_warning, sizeof last_warning, "%s", msg);
}

static bool run_ingest(const char *csv, size_t len, const char *bad, ingest_report *rep, char *err, size_t errlen) {
  write_file(tpath("in.csv"), csv, len);
  nrejects = nwarnings = 0;
  ingest_options o = {.csv_path = tpath("in.csv"), .out_path = tpath("out.segd"), .bad_rows_path = bad,
                      .on_reject = on_reject, .on_warning = on_warning};
  return ingest_csv(&ingest_schema, &o, rep, err, errlen);
}

static const reject_rec *find_reject(uint64_t line) {
  for (int i = 0; i < nrejects; i++)
    if (rejects[i].line == line) return &rejects[i];
  return NULL;
}

#define HDR "id,age,name,city,plan,channels,spent,risk,ok,born,seen"

static void test_ingest_types(void) {
  static const char csv[] =
      "\xEF\xBB\xBF" HDR ",extra\r\n"
      "3,41,\"Smith, Jo\",\"New\nYork\",pro,email|push,12.5,0.25,TRUE,1990-02-03,2024-01-02T03:04:05Z,x\r\n"
      "-1,,\"say \"\"hi\"\"\",,free,,-0.05,,0,1970-01-01,,y\r\n"
      "\r\n"
      "2,-2147483648,\"\",\"\",trial,sms|sms,+12,-1e3,false,2000-12-31,2024-01-02 03:04:05.5+01:00,z\r\n";
  ingest_report rep;
  char err[512] = "";
  bool ok = run_ingest(csv, sizeof csv - 1, NULL, &rep, err, sizeof err);
  CHECK(ok, "ingest: %s", err);
  CHECK(nrejects == 0, "rejects %d: line %llu col %d %s", nrejects, nrejects ? (unsigned long long)rejects[0].line : 0ULL,
        nrejects ? rejects[0].col : 0, nrejects ? rejects[0].reason : "");
  CHECK(nwarnings == 1 && strstr(last_warning, "\"extra\""), "warning: %s", last_warning);
  CHECK(rep.rows_read == 3 && rep.rows_kept == 3 && rep.rows_rejected == 0 && rep.bytes_read == sizeof csv - 1,
        "report %llu %llu", (unsigned long long)rep.rows_read, (unsigned long long)rep.rows_kept);
  rt_table t;
  if (!rt_table_open(tpath("out.segd"), &ingest_schema, &t, err, sizeof err)) {
    CHECK(false, "open: %s", err);
    return;
  }
  /* sorted by id: -1, 2, 3 */
  CHECK(rt_get_i64(&t, C_ID, 0) == -1 && rt_get_i64(&t, C_ID, 1) == 2 && rt_get_i64(&t, C_ID, 2) == 3, "ids");
  CHECK(rt_is_null(&t, C_AGE, 0) && rt_get_i64(&t, C_AGE, 1) == INT32_MIN && rt_get_i64(&t, C_AGE, 2) == 41, "age");
  CHECK(strcmp(dict_at(&t, C_NAME, 0), "say \"hi\"") == 0, "escaped quotes: %s", dict_at(&t, C_NAME, 0));
  CHECK(strcmp(dict_at(&t, C_NAME, 1), "") == 0, "empty name");
  CHECK(strcmp(dict_at(&t, C_NAME, 2), "Smith, Jo") == 0, "comma: %s", dict_at(&t, C_NAME, 2));
  CHECK(rt_is_null(&t, C_CITY, 0), "unquoted empty city is null");
  CHECK(!rt_is_null(&t, C_CITY, 1) && strcmp(dict_at(&t, C_CITY, 1), "") == 0, "quoted empty city is empty");
  CHECK(strcmp(dict_at(&t, C_CITY, 2), "New\nYork") == 0, "newline: %s", dict_at(&t, C_CITY, 2));
  CHECK(rt_get_i64(&t, C_PLAN, 0) == 0 && rt_get_i64(&t, C_PLAN, 1) == 1 && rt_get_i64(&t, C_PLAN, 2) == 2, "plan");
  CHECK(rt_get_i64(&t, C_CHAN, 0) == 0 && rt_get_i64(&t, C_CHAN, 1) == 2 && rt_get_i64(&t, C_CHAN, 2) == 5, "channels");
  CHECK(rt_get_i64(&t, C_SPENT, 0) == -5 && rt_get_i64(&t, C_SPENT, 1) == 1200 && rt_get_i64(&t, C_SPENT, 2) == 1250,
        "spent %lld", (long long)rt_get_i64(&t, C_SPENT, 0));
  CHECK(rt_is_null(&t, C_RISK, 0) && rt_get_f64(&t, C_RISK, 1) == -1000.0 && rt_get_f64(&t, C_RISK, 2) == 0.25, "risk");
  CHECK(rt_get_i64(&t, C_OK, 0) == 0 && rt_get_i64(&t, C_OK, 1) == 0 && rt_get_i64(&t, C_OK, 2) == 1, "ok");
  CHECK(rt_get_i64(&t, C_BORN, 0) == 0 && rt_get_i64(&t, C_BORN, 2) == cal_days_from_civil(1990, 2, 3), "born");
  int64_t ts = cal_days_from_civil(2024, 1, 2) * CAL_USEC_PER_DAY + (3 * 3600 + 4 * 60 + 5) * CAL_USEC_PER_SEC;
  CHECK(rt_is_null(&t, C_SEEN, 0) && rt_get_i64(&t, C_SEEN, 2) == ts, "seen");
  CHECK(rt_get_i64(&t, C_SEEN, 1) == ts - 3600 * CAL_USEC_PER_SEC + 500000, "seen with offset");
  rt_table_free(&t);
}

static void test_ingest_rejects(void) {
  static const char csv[] =
      HDR "\n"
      "1,x,a,,free,,1,,true,2000-01-01,\n"              /* 2: age not an integer */
      "2,1.0,a,,free,,1,,true,2000-01-01,\n"            /* 3: no fractional part */
      "3,2147483648,a,,free,,1,,true,2000-01-01,\n"     /* 4: out of range */
      "4,,a,,gold,,1,,true,2000-01-01,\n"               /* 5: enum */
      "5,,a,,free,email|fax,1,,true,2000-01-01,\n"      /* 6: set */
      "6,,a,,free,,1.234,,true,2000-01-01,\n"           /* 7: fractional digits */
      "7,,a,,free,,12345678901,,true,2000-01-01,\n"     /* 8: too many digits */
      "8,,a,,free,,1e3,,true,2000-01-01,\n"             /* 9: exponent */
      "9,,a,,free,,1,nan,true,2000-01-01,\n"            /* 10: NaN */
      "10,,a,,free,,1,1.5x,true,2000-01-01,\n"          /* 11: junk */
      "11,,a,,free,,1,,yes,2000-01-01,\n"               /* 12: bool */
      "12,,a,,free,,1,,true,2000-02-30,\n"              /* 13: date */
      "13,,a,,free,,1,,true,2000-01-01,yesterday\n"     /* 14: timestamp */
      "14,,\xff,,free,,1,,true,2000-01-01,\n"           /* 15: utf-8 */
      "15,,a,,free,,,,true,2000-01-01,\n"               /* 16: empty decimal */
      "16,,a,,free,,1,,true\n"                          /* 17: column count */
      "17,,\"a\nb\",,free,,1,,true,2000-01-01,\"\n"     /* 18-20: spans three lines */
      "\",x\n"                                          /* (ends on line 20) -> 12 columns */
      "18,,a\"b,,free,,1,,true,2000-01-01,\n"           /* 21: stray quote */
      "19,,\"a\"b,,free,,1,,true,2000-01-01,\n"         /* 22: junk after quote */
      "20,,a,,free,,1,,true,2000-01-01,\n"              /* 23: ok */
      "1,,a,,free,,1,,true,2000-01-01,\n"               /* 24: ok (line 2 was rejected) */
      "20,,dup,,free,,1,,true,2000-01-01,\n"            /* 25: duplicate of 23 */
      "21,,a,,free,,1,,true,2000-01-01,\n"              /* 26: ok */
      "22,,\"open,,free\n";                             /* 27: unterminated */
  ingest_report rep;
  char err[512] = "";
  bool ok = run_ingest(csv, sizeof csv - 1, tpath("bad.csv"), &rep, err, sizeof err);
  CHECK(ok, "ingest: %s", err);
  struct { uint64_t line; int col; const char *name, *reason; } want[] = {
      {2, 2, "age", "not an integer"},
      {3, 2, "age", "no fractional part"},
      {4, 2, "age", "out of range for int32"},
      {5, 5, "plan", "not a member of enum(free, trial, pro)"},
      {6, 6, "channels", "\"fax\" is not a member of set(email, sms, push)"},
      {7, 7, "spent", "3 fractional digits, but decimal(12,2) keeps 2"},
      {8, 7, "spent", "too many digits for decimal(12,2) (at most 10 before the point)"},
      {9, 7, "spent", "not a decimal(12,2) number"},
      {10, 8, "risk", "NaN and infinity are not allowed"},
      {11, 8, "risk", "not a number"},
      {12, 9, "ok", "not a bool"},
      {13, 10, "born", "not a date"},
      {14, 11, "seen", "not a timestamp"},
      {15, 3, "name", "not valid UTF-8"},
      {16, 7, "spent", "empty value for non-nullable decimal(12,2) field"},
      {17, 0, "", "expected 11 columns, found 9"},
      {18, 0, "", "expected 11 columns, found 12"},
      {21, 3, "name", "quote inside an unquoted field"},
      {22, 3, "name", "unexpected character after a closing quote"},
      {25, 1, "id", "duplicate key, first seen on line 23"},
      {27, 3, "name", "unterminated quoted field"},
  };
  int nwant = (int)(sizeof want / sizeof want[0]);
  for (int i = 0; i < nwant; i++) {
    const reject_rec *r = find_reject(want[i].line);
    CHECK(r != NULL, "no reject on line %llu", (unsigned long long)want[i].line);
    if (!r) continue;
    CHECK(r->col == want[i].col && strcmp(r->name, want[i].name) == 0 && strstr(r->reason, want[i].reason),
          "line %llu: got col %d name '%s' reason '%s'", (unsigned long long)want[i].line, r->col, r->name, r->reason);
  }
  CHECK(nrejects == nwant, "nrejects %d, want %d", nrejects, nwant);
  CHECK(rep.rows_read == 24 && rep.rows_kept == 3 && rep.rows_rejected == (uint64_t)nwant, "report read %llu kept %llu rej %llu",
        (unsigned long long)rep.rows_read, (unsigned long long)rep.rows_kept, (unsigned long long)rep.rows_rejected);
  /* the bad-rows file: header + every rejected row verbatim, in file order */
  char *bad = read_file(tpath("bad.csv"), NULL);
  CHECK(bad != NULL, "bad rows file");
  if (bad) {
    const char *expect =
        HDR "\n"
        "1,x,a,,free,,1,,true,2000-01-01,\n";
    CHECK(strncmp(bad, expect, strlen(expect)) == 0, "bad rows start: %.200s", bad);
    CHECK(strstr(bad, "16,,a,,free,,1,,true\n17,,\"a\nb\",,free,,1,,true,2000-01-01,\"\n\",x\n18,") != NULL,
          "multi-line row kept verbatim");
    CHECK(strstr(bad, "20,,dup,,free,,1,,true,2000-01-01,\n") != NULL, "duplicate in bad rows");
    CHECK(strstr(bad, "20,,a,,free") == NULL && strstr(bad, "21,,a,,free") == NULL, "kept rows not in bad rows");
    const char *tail = "19,,\"a\"b,,free,,1,,true,2000-01-01,\n20,,dup,,free,,1,,true,2000-01-01,\n22,,\"open,,free\n";
    size_t bl = strlen(bad), tl = strlen(tail);
    CHECK(bl > tl && strcmp(bad + bl - tl, tail) == 0, "bad rows tail: %s", bl > 120 ? bad + bl - 120 : bad);
    free(bad);
  }
}

/* Random rows (quoted and unquoted fields of 0 to 150 bytes with commas,
 * quotes, CR and LF in them, CRLF and LF ends, blank lines, stray quotes,
 * unterminated quotes, wrong column counts) ingested twice: split a whole
 * record at a time where it has no quote, and one field at a time
 * throughout.  The .segd, the bad-rows file and every reject must agree,
 * and some rows of each kind must be kept and rejected. */
static uint64_t split_x = 0x9E3779B97F4A7C15ull;
static uint64_t split_rnd(void) {
  split_x ^= split_x << 13, split_x ^= split_x >> 7, split_x ^= split_x << 17;
  return split_x;
}

static void test_ingest_split(void) {
  size_t cap = 1 << 21, n = 0;
  char *csv = malloc(cap);
#define RND() split_rnd()
  n += (size_t)sprintf(csv, HDR "\r\n");
  for (int row = 0; row < 4000 && n < cap - 1024; row++) {
    if (RND() % 50 == 0) {
      n += (size_t)sprintf(csv + n, RND() % 2 ? "\n" : "\r\n");
      continue;
    }
    int age = (int)(RND() % 100);
    n += (size_t)sprintf(csv + n, "%d,%d,", row, age);
    for (int f = 0; f < 2; f++) { /* name, city */
      int len = (int)(RND() % 4 == 0 ? RND() % 150 : RND() % 12), kind = (int)(RND() % 8);
      static const char alpha[] = "abcXYZ 019-.,\"\n\r";
      if (kind < 2) csv[n++] = '"';
      for (int k = 0; k < len; k++) {
        char c = alpha[RND() % (kind < 2 ? sizeof alpha - 1 : 12)];
        if (kind >= 2 && RND() % 400 == 0) c = '"'; /* a stray quote: rejected */
        csv[n++] = c;
        if (c == '"' && kind < 2) csv[n++] = '"';
      }
      if (kind < 2 && RND() % 300) csv[n++] = '"'; /* else unterminated */
      csv[n++] = ',';
    }
    const char *plan = RND() % 2 ? "pro" : "free";
    int units = (int)(RND() % 1000), cents = (int)(RND() % 100);
    const char *risk = RND() % 3 ? "0.5" : "", *seen = RND() % 2 ? "2024-01-02 03:04:05" : "";
    n += (size_t)sprintf(csv + n, "%s,email|sms,%d.%02d,%s,true,2001-02-03,%s", plan, units, cents, risk, seen);
    if (RND() % 40 == 0) n += (size_t)sprintf(csv + n, ",extra");
    n += (size_t)sprintf(csv + n, RND() % 3 ? "\n" : "\r\n");
  }
#undef RND
  char *out[2], *bad[2];
  size_t outn[2], badn[2];
  uint64_t sums[2];
  ingest_report rep[2];
  for (int mode = 0; mode < 2; mode++) {
    ingest_csv_field_at_a_time = mode;
    char err[512] = "";
    reject_sum = 0;
    CHECK(run_ingest(csv, n, tpath("bad.csv"), &rep[mode], err, sizeof err), "split mode %d: %s", mode, err);
    sums[mode] = reject_sum;
    out[mode] = read_file(tpath("out.segd"), &outn[mode]);
    bad[mode] = read_file(tpath("bad.csv"), &badn[mode]);
  }
  ingest_csv_field_at_a_time = false;
  CHECK(rep[0].rows_kept > 1000 && rep[0].rows_rejected > 100, "split: kept %llu rejected %llu",
        (unsigned long long)rep[0].rows_kept, (unsigned long long)rep[0].rows_rejected);
  CHECK(rep[0].rows_read == rep[1].rows_read && rep[0].rows_kept == rep[1].rows_kept && sums[0] == sums[1],
        "split: rows read %llu/%llu kept %llu/%llu, rejects differ: %d", (unsigned long long)rep[0].rows_read,
        (unsigned long long)rep[1].rows_read, (unsigned long long)rep[0].rows_kept,
        (unsigned long long)rep[1].rows_kept, sums[0] != sums[1]);
  CHECK(out[0] && out[1] && outn[0] == outn[1] && memcmp(out[0], out[1], outn[0]) == 0, "split: the .segd files differ");
  CHECK(bad[0] && bad[1] && badn[0] == badn[1] && memcmp(bad[0], bad[1], badn[0]) == 0, "split: the bad rows differ");
  for (int mode = 0; mode < 2; mode++) free(out[mode]), free(bad[mode]);
  free(csv);
}

static void test_ingest_errors(void) {
  ingest_report rep;
  char err[512];
  static const char missing[] = "id,age,name\n1,2,3\n";
  CHECK(!run_ingest(missing, sizeof missing - 1, NULL, &rep, err, sizeof err) &&
            strstr(err, "\"city\"") && strstr(err, "\"seen\""),
        "missing: %s", err);
  static const char dup[] = HDR ",age\n";
  CHECK(!run_ingest(dup, sizeof dup - 1, NULL, &rep, err, sizeof err) && strstr(err, "\"age\" appears twice"), "dup: %s", err);
  CHECK(!run_ingest("", 0, NULL, &rep, err, sizeof err) && strstr(err, "no header"), "empty: %s", err);
  /* header only: an empty table, a header-only bad-rows file */
  static const char only[] = HDR;
  CHECK(run_ingest(only, sizeof only - 1, tpath("bad2.csv"), &rep, err, sizeof err) && rep.rows_read == 0, "header only: %s", err);
  char *bad = read_file(tpath("bad2.csv"), NULL);
  CHECK(bad && strcmp(bad, HDR "\n") == 0, "header-only bad rows: %s", bad ? bad : "(none)");
  free(bad);
  ingest_options o = {.csv_path = tpath("nope.csv")};
  CHECK(!ingest_csv(&ingest_schema, &o, &rep, err, sizeof err) && strstr(err, "cannot open"), "no file: %s", err);
}

static void test_parse_cell(void) {
  rt_cell c;
  const char *why = NULL;
  seg_field d = fld("d", TY_DECIMAL, false);
  d.type.prec = 4;
  d.type.scale = 2;
  CHECK(ingest_parse_cell(&d, "99.99", 5, &c, &why) && c.i == 9999, "99.99");
  CHECK(ingest_parse_cell(&d, "-.5", 3, &c, &why) && c.i == -50, "-.5");
  CHECK(ingest_parse_cell(&d, "007", 3, &c, &why) && c.i == 700, "007");
  CHECK(!ingest_parse_cell(&d, "100", 3, &c, &why), "100 in decimal(4,2)");
  CHECK(!ingest_parse_cell(&d, ".", 1, &c, &why) && !ingest_parse_cell(&d, "1.2.3", 5, &c, &why), "junk decimals");
  seg_field i64 = fld("i", TY_INT64, false);
  CHECK(ingest_parse_cell(&i64, "-9223372036854775808", 20, &c, &why) && c.i == INT64_MIN, "int64 min");
  CHECK(!ingest_parse_cell(&i64, "9223372036854775808", 19, &c, &why) && strstr(why, "range"), "int64 over");
  CHECK(ingest_parse_cell(&i64, "+17", 3, &c, &why) && c.i == 17, "+17");
  CHECK(!ingest_parse_cell(&i64, "-", 1, &c, &why) && !ingest_parse_cell(&i64, " 1", 2, &c, &why), "int junk");
  /* both ways of parsing integers: up to 18 digits checked against the
     range once at the end, more digits checked as they come */
  CHECK(ingest_parse_cell(&i64, "999999999999999999", 18, &c, &why) && c.i == INT64_C(999999999999999999), "18 nines");
  CHECK(ingest_parse_cell(&i64, "9223372036854775807", 19, &c, &why) && c.i == INT64_MAX, "int64 max");
  CHECK(ingest_parse_cell(&i64, "-000000000000000001", 19, &c, &why) && c.i == -1, "leading zeros, 18 of them");
  CHECK(ingest_parse_cell(&i64, "00000000000000000000042", 23, &c, &why) && c.i == 42, "leading zeros, 23 digits");
  CHECK(!ingest_parse_cell(&i64, "99999999999999999999", 20, &c, &why) && strstr(why, "range"), "20 nines");
  CHECK(!ingest_parse_cell(&i64, "12345678901234567x", 18, &c, &why) && strcmp(why, "not an integer") == 0, "junk at 18");
  CHECK(!ingest_parse_cell(&i64, "99999999999999999999.5", 22, &c, &why) && strstr(why, "fractional"),
        "a point after an overflow is still the reason");
  seg_field i32 = fld("i", TY_INT32, false);
  CHECK(ingest_parse_cell(&i32, "2147483647", 10, &c, &why) && c.i == INT32_MAX, "int32 max");
  CHECK(ingest_parse_cell(&i32, "-2147483648", 11, &c, &why) && c.i == INT32_MIN, "int32 min");
  CHECK(!ingest_parse_cell(&i32, "2147483648", 10, &c, &why) && strstr(why, "int32"), "int32 over");
  CHECK(!ingest_parse_cell(&i32, "-2147483649", 11, &c, &why) && strstr(why, "int32"), "int32 under");
  CHECK(!ingest_parse_cell(&i32, "999999999999999999", 18, &c, &why) && strstr(why, "int32"), "int32, 18 digits");
  seg_field f = fld("f", TY_FLOAT64, false);
  CHECK(!ingest_parse_cell(&f, "1e999", 5, &c, &why) && !ingest_parse_cell(&f, "-Infinity", 9, &c, &why) &&
            !ingest_parse_cell(&f, "0x10", 4, &c, &why), "float rejects");
  CHECK(ingest_parse_cell(&f, "2.5e-3", 6, &c, &why) && c.f == 2.5e-3, "float");
  seg_field s = fld("s", TY_SET, false);
  s.type.members = &chan_members;
  CHECK(ingest_parse_cell(&s, "", 0, &c, &why) && !c.null && c.i == 0, "empty set");
  CHECK(!ingest_parse_cell(&s, "email|", 6, &c, &why) && strstr(why, "empty member"), "set trailing bar");
  /* members match whole: not a prefix of one, not one with more after it, not across a NUL */
  seg_field e = fld("e", TY_ENUM, false);
  e.type.members = &plan_members;
  CHECK(ingest_parse_cell(&e, "trial", 5, &c, &why) && c.i == 1, "enum member");
  CHECK(!ingest_parse_cell(&e, "tri", 3, &c, &why) && !ingest_parse_cell(&e, "trials", 6, &c, &why) &&
            !ingest_parse_cell(&e, "pro\0x", 5, &c, &why) && !ingest_parse_cell(&e, "", 0, &c, &why),
        "enum prefix, longer value, NUL inside, empty");
  CHECK(!ingest_parse_cell(&s, "ema|sms", 7, &c, &why) && strstr(why, "\"ema\" is not a member"), "set member prefix");
  CHECK(ingest_parse_cell(&s, "sms|email", 9, &c, &why) && c.i == 3, "set members");
  seg_field str = fld("s", TY_STRING, false);
  CHECK(!ingest_parse_cell(&str, "\xed\xa0\x80", 3, &c, &why) && !ingest_parse_cell(&str, "\xc0\xaf", 2, &c, &why),
        "surrogate / overlong");
  CHECK(ingest_parse_cell(&str, "\xf0\x9f\x98\x80", 4, &c, &why) && c.len == 4, "emoji");
}

/* Keys out of order are refused, inside a block and across two blocks,
 * for 8- and 4-byte keys (checked a block at a time). */
static void test_segd_key_order(void) {
  char err[512];
  for (int w = 0; w < 2; w++) {
    seg_field f[1] = {fld("k", w ? TY_INT32 : TY_INT64, false)};
    f[0].key = true;
    seg_schema s = {.fields = f, .nfields = 1, .key = 0};
    rt_builder *b = rt_builder_new(&s);
    for (int64_t r = 0; r < 5000; r++) rt_builder_add(b, (rt_cell[]){{.i = 10 * r - 20000}}, (uint64_t)r + 2);
    rt_table t, u;
    rt_builder_finish(b, &t, NULL, NULL);
    CHECK(rt_table_write(&t, tpath("keys.segd"), err, sizeof err), "write keys: %s", err);
    rt_table_free(&t);
    CHECK(rt_table_open(tpath("keys.segd"), &s, &u, err, sizeof err), "keys in order: %s", err);
    size_t at = (size_t)(rt_block(&u, 0) + u.layout.val_off[0] - (const uint8_t *)u.map), stride = u.layout.block_bytes;
    rt_table_free(&u);
    size_t n = 0;
    char *data = read_file(tpath("keys.segd"), &n);
    size_t width = w ? 4 : 8;
    static const struct { uint64_t record, copy_of; } cases[] = {{4500, 4499}, {4096, 4095}, {1, 0}};
    for (int c = 0; c < 3; c++) { /* record `record` (0-based) gets the key of `copy_of`: a repeat */
      char *m = malloc(n);
      memcpy(m, data, n);
      uint64_t r = cases[c].record, q = cases[c].copy_of;
      memcpy(m + at + (r / RT_BLOCK) * stride + (r % RT_BLOCK) * width, data + at + (q / RT_BLOCK) * stride + (q % RT_BLOCK) * width,
             width);
      write_file(tpath("keys_bad.segd"), m, n);
      char want[64];
      snprintf(want, sizeof want, "not strictly ascending at record %llu", (unsigned long long)r + 1);
      CHECK(!rt_table_open(tpath("keys_bad.segd"), &s, &u, err, sizeof err) && strstr(err, want), "%s-byte keys, record %llu: %s",
            w ? "4" : "8", (unsigned long long)r + 1, err);
      free(m);
    }
    free(data);
  }
}

/* builder_radix_sort: sorted, stable (equal keys keep their order) and a
 * permutation, for each of its ways: a big array with many equal keys
 * whose bytes 1-2 are 0 (a pass by the top digit, then each bucket in the
 * cache, some small enough for insertion); full 64-bit keys, few and
 * many; keys of 11 bits or fewer (one digit); a small array. */
static void test_radix_sort(void) {
  struct { uint64_t n, mod; int shift; } cases[] = {
      {1500000, 50000, 24}, {300000, 0, 0}, {300000, 5, 61}, {200000, 2048, 0}, {3000, 0, 0}, {40, 7, 3},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    uint64_t n = cases[c].n;
    builder_kv *a = malloc(n * sizeof *a);
    uint8_t *seen = calloc(n, 1);
    uint64_t x = 88172645463325252ull;
    for (uint64_t i = 0; i < n; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      uint64_t k = cases[c].mod ? (x % cases[c].mod) << cases[c].shift : x;
      a[i] = (builder_kv){cases[c].shift == 24 ? k | (x >> 60) : k, i};
    }
    CHECK(builder_radix_sort(a, n), "radix sort: out of memory");
    uint64_t bad = 0;
    for (uint64_t i = 0; i < n; i++) {
      if (a[i].idx < n) seen[a[i].idx]++;
      if (i && (a[i - 1].key > a[i].key || (a[i - 1].key == a[i].key && a[i - 1].idx >= a[i].idx))) bad++;
    }
    for (uint64_t i = 0; i < n; i++) bad += seen[i] != 1;
    CHECK(bad == 0, "radix sort case %zu: %llu elements out of order, lost or repeated", c, (unsigned long long)bad);
    free(a);
    free(seen);
  }
}

int main(void) {
  if (!unit_tmpdir("segc_test_runtime")) return 2;
  make_ingest_schema();
  make_big_schema();
  test_layout();
  test_builder_strings();
  test_builder_big();
  test_builder_many_strings();
  test_radix_sort();
  test_segd();
  test_segd_key_order();
  test_parse_cell();
  test_ingest_types();
  test_ingest_rejects();
  test_ingest_split();
  test_ingest_errors();
  unit_rmtmp();
  printf("test_runtime: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
