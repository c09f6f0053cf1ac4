/* tests/unit/test_streams.c — unit tests of the runtime side of streams:
 * the builder's events (per-customer ranges, order by the stream's order
 * field with stable ties, file order for order == -1, orphans, duplicate
 * customers, nullable and string event fields sharing the dictionary), the
 * .segd streams section (round trip, 64-byte alignment, refusals of
 * corrupted files and of files written for another stream layout) and CSV
 * ingest of event files (every type, any column order, extra and missing
 * columns, bad values, orphans, the per-stream bad-rows file, counters).
 * Self-checking: prints each failure and exits non-zero when any check
 * fails.  Corrupted files are opened in a child process first, so a crash is
 * reported as a failed check instead of killing the test.  Files go to a
 * fresh temp directory (kept when a check fails).
 *
 * Checks marked "BUG" fail on purpose: they show a runtime bug that is
 * reported, not yet fixed (segd_streams_read trusts offsets past the end of
 * the file). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lang/types.h"
#include "runtime/ingest.h"
#include "runtime/segd_internal.h"
#include "runtime/table.h"
#include "stdlib/calendar.h"
#include "unit.h"


static bool file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}


/* ---- the schemas ---- */

static const char *chan_names[] = {"web", "store", "app"};
static const seg_members chan_members = {3, chan_names};
static const char *tag_names[] = {"gift", "promo", "return"};
static const seg_members tag_members = {3, tag_names};

/* Schema A: int64 key; stream "orders" has every type and is ordered by
 * `at` (not its first field); stream "visits" has no time field (order -1). */
enum { A_ID, A_NAME, A_CITY, NA };
enum { O_AMOUNT, O_AT, O_NOTE, O_CHAN, O_QTY, O_OK, O_DAY, O_PRICE, O_TAGS, O_SEQ, NO };
enum { V_PAGE, V_N, NV };
enum { S_ORDERS, S_VISITS };
static seg_field a_fields[NA], o_fields[NO], v_fields[NV];
static seg_stream a_streams[2];
static seg_schema schema_a;

static void make_orders_fields(seg_field *o) {
  o[O_AMOUNT] = fld("amount", TY_DECIMAL, false);
  o[O_AMOUNT].type.prec = 10;
  o[O_AMOUNT].type.scale = 2;
  o[O_AT] = fld("at", TY_TIMESTAMP, false);
  o[O_NOTE] = fld("note", TY_STRING, true);
  o[O_CHAN] = fld("chan", TY_ENUM, false);
  o[O_CHAN].type.members = &chan_members;
  o[O_QTY] = fld("qty", TY_INT32, true);
  o[O_OK] = fld("ok", TY_BOOL, true);
  o[O_DAY] = fld("day", TY_DATE, true);
  o[O_PRICE] = fld("price", TY_FLOAT64, true);
  o[O_TAGS] = fld("tags", TY_SET, true);
  o[O_TAGS].type.members = &tag_members;
  o[O_SEQ] = fld("seq", TY_INT64, false);
  for (int i = 0; i < NO; i++) o[i].index = i;
}

static void make_schema_a(void) {
  a_fields[A_ID] = fld("id", TY_INT64, false);
  a_fields[A_ID].key = true;
  a_fields[A_NAME] = fld("name", TY_STRING, false);
  a_fields[A_CITY] = fld("city", TY_STRING, true);
  for (int i = 0; i < NA; i++) a_fields[i].index = i;
  make_orders_fields(o_fields);
  v_fields[V_PAGE] = fld("page", TY_STRING, false);
  v_fields[V_N] = fld("n", TY_INT32, false);
  for (int i = 0; i < NV; i++) v_fields[i].index = i;
  a_streams[S_ORDERS] = (seg_stream){.name = "orders", .fields = o_fields, .nfields = NO, .order = O_AT};
  a_streams[S_VISITS] = (seg_stream){.name = "visits", .fields = v_fields, .nfields = NV, .order = -1};
  schema_a = (seg_schema){.name = "customer", .fields = a_fields, .nfields = NA, .key = A_ID,
                          .streams = a_streams, .nstreams = 2};
}

/* Schema B: string key; stream "clicks" ordered by a date. */
enum { B_EMAIL, B_SCORE, NB };
enum { K_URL, K_DAY, K_SEQ, NK };
static seg_field b_fields[NB], k_fields[NK];
static seg_stream b_streams[1];
static seg_schema schema_b;

static void make_schema_b(void) {
  b_fields[B_EMAIL] = fld("email", TY_STRING, false);
  b_fields[B_EMAIL].key = true;
  b_fields[B_SCORE] = fld("score", TY_INT32, true);
  for (int i = 0; i < NB; i++) b_fields[i].index = i;
  k_fields[K_URL] = fld("url", TY_STRING, true);
  k_fields[K_DAY] = fld("day", TY_DATE, false);
  k_fields[K_SEQ] = fld("seq", TY_INT64, false);
  for (int i = 0; i < NK; i++) k_fields[i].index = i;
  b_streams[0] = (seg_stream){.name = "clicks", .fields = k_fields, .nfields = NK, .order = K_DAY};
  schema_b = (seg_schema){.name = "person", .fields = b_fields, .nfields = NB, .key = B_EMAIL,
                          .streams = b_streams, .nstreams = 1};
}

/* ---- helpers over tables ---- */

static const char *dict_s(const rt_table *t, uint32_t code) {
  static char buf[8][256];
  static int k;
  char *p = buf[k++ % 8];
  size_t n;
  const char *s = rt_dict_str(t, code, &n);
  snprintf(p, 256, "%.*s", (int)n, s);
  return p;
}
static const char *rec_s(const rt_table *t, int field, uint64_t row) {
  return dict_s(t, (uint32_t)rt_get_i64(t, field, row));
}
static const char *ev_s(const rt_table *t, int stream, int field, uint64_t k) {
  return dict_s(t, (uint32_t)rt_ev_get_i64(t, stream, field, k));
}

/* Whether event k of a stream has the expected cells (one per stream field):
 * null flags, then the value by type (strings through the dictionary).
 * Prints the differing fields (the caller CHECKs the result). */
static int mismatch_prints;
static bool check_event(const rt_table *t, int s, uint64_t k, const rt_cell *want, const char *ctx) {
  const seg_stream *st = &t->schema->streams[s];
  bool all = true;
  for (int f = 0; f < st->nfields; f++) {
    const seg_field *fd = &st->fields[f];
    bool null = want[f].null && fd->nullable;
    bool ok = rt_ev_is_null(t, s, f, k) == null;
    if (ok && !null) {
      switch (fd->type.kind) {
      case TY_STRING: {
        size_t n;
        const char *got = rt_dict_str(t, (uint32_t)rt_ev_get_i64(t, s, f, k), &n);
        size_t wl = want[f].s ? want[f].len : 0;
        ok = (uint32_t)rt_ev_get_i64(t, s, f, k) < t->ndict && n == wl && (n == 0 || memcmp(got, want[f].s, n) == 0);
        break;
      }
      case TY_FLOAT64: ok = rt_ev_get_f64(t, s, f, k) == want[f].f; break;
      case TY_BOOL: ok = rt_ev_get_i64(t, s, f, k) == (want[f].i != 0); break;
      default: ok = rt_ev_get_i64(t, s, f, k) == want[f].i; break;
      }
    }
    if (!ok && mismatch_prints++ < 20)
      fprintf(stderr, "  %s: %s event %llu field %s: null %d value %lld (want null %d value %lld / %g / \"%.*s\")\n",
              ctx, st->name, (unsigned long long)k, fd->name, rt_ev_is_null(t, s, f, k),
              (long long)rt_ev_get_i64(t, s, f, k), null, (long long)want[f].i, want[f].f,
              (int)(want[f].s ? want[f].len : 0), want[f].s ? want[f].s : "");
    all &= ok;
  }
  return all;
}

/* The fields of orders event `seq` (at given separately): every field a
 * function of seq, with nulls in several patterns. */
static const char *note_vals[] = {"alice", "zzz", NULL, "", "bob", "\xC3\xA9t\xC3\xA9"};
static void order_cells(int64_t seq, int64_t at, rt_cell *c) {
  memset(c, 0, sizeof *c * NO);
  c[O_AMOUNT].i = seq * 125 - 300;
  c[O_AT].i = at;
  const char *n = note_vals[seq % 6];
  if (n) c[O_NOTE].s = n, c[O_NOTE].len = strlen(n);
  else c[O_NOTE].null = true;
  c[O_CHAN].i = seq % 3;
  c[O_QTY].i = seq * 7 - 20;
  c[O_QTY].null = seq % 4 == 1;
  c[O_OK].i = seq % 2;
  c[O_OK].null = seq % 5 == 2;
  c[O_DAY].i = -100 + seq * 37;
  c[O_DAY].null = seq % 3 == 2;
  c[O_PRICE].f = (double)seq * 0.5 - 1.25;
  c[O_PRICE].null = seq % 4 == 3;
  c[O_TAGS].i = seq % 8;
  c[O_TAGS].null = seq % 7 == 6;
  c[O_SEQ].i = seq;
}

static const char *page_vals[] = {"home", "cart", "about", "alice"};
static void visit_cells(int64_t seq, rt_cell *c) {
  memset(c, 0, sizeof *c * NV);
  c[V_PAGE].s = page_vals[seq % 4];
  c[V_PAGE].len = strlen(c[V_PAGE].s);
  c[V_N].i = seq;
}

/* Orphans reported by the builder. */
typedef struct { int stream; uint64_t line; } orphan_rec;
static orphan_rec orphans[64];
static int norphans;
static uint64_t orphan_user_bad;
static void on_orphan(void *user, int stream, uint64_t line) {
  if (user != (void *)&orphans) orphan_user_bad++;
  if (norphans < 64) orphans[norphans] = (orphan_rec){stream, line};
  norphans++;
}
static int orphan_count(int stream, uint64_t line) {
  int n = 0;
  for (int i = 0; i < norphans && i < 64; i++) n += orphans[i].stream == stream && orphans[i].line == line;
  return n;
}

static int ndups;
static void on_dup(void *user, uint64_t line, uint64_t first) {
  (void)user, (void)line, (void)first;
  ndups++;
}

/* Every value, range and dictionary string of two tables over one schema are equal. */
static void compare_tables(const rt_table *a, const rt_table *b, const char *ctx) {
  const seg_schema *s = a->schema;
  CHECK(a->nrecords == b->nrecords && a->nstreams == b->nstreams && a->ndict == b->ndict, "%s: sizes", ctx);
  if (a->nrecords != b->nrecords || a->nstreams != b->nstreams) return;
  int bad = 0;
  for (uint64_t r = 0; r < a->nrecords; r++)
    for (int f = 0; f < s->nfields; f++) {
      bool ok = rt_is_null(a, f, r) == rt_is_null(b, f, r) && rt_get_i64(a, f, r) == rt_get_i64(b, f, r);
      if (ok && s->fields[f].type.kind == TY_STRING) ok = strcmp(rec_s(a, f, r), rec_s(b, f, r)) == 0;
      if (!ok && bad++ < 3) fprintf(stderr, "  %s: record %llu field %s differs\n", ctx, (unsigned long long)r, s->fields[f].name);
    }
  CHECK(bad == 0, "%s: %d record values differ", ctx, bad);
  for (int i = 0; i < s->nstreams; i++) {
    const rt_stream *x = &a->streams[i], *y = &b->streams[i];
    CHECK(x->nevents == y->nevents, "%s: %s nevents %llu vs %llu", ctx, s->streams[i].name,
          (unsigned long long)x->nevents, (unsigned long long)y->nevents);
    if (x->nevents != y->nevents) continue;
    CHECK(memcmp(x->start, y->start, (a->nrecords + 1) * 8) == 0, "%s: %s ranges differ", ctx, s->streams[i].name);
    bad = 0;
    for (uint64_t k = 0; k < x->nevents; k++)
      for (int f = 0; f < s->streams[i].nfields; f++) {
        seg_tykind kk = s->streams[i].fields[f].type.kind;
        double fa = rt_ev_get_f64(a, i, f, k), fb = rt_ev_get_f64(b, i, f, k);
        bool ok = rt_ev_is_null(a, i, f, k) == rt_ev_is_null(b, i, f, k) &&
                  rt_ev_get_i64(a, i, f, k) == rt_ev_get_i64(b, i, f, k) && memcmp(&fa, &fb, 8) == 0;
        if (ok && kk == TY_STRING) ok = strcmp(ev_s(a, i, f, k), ev_s(b, i, f, k)) == 0;
        if (!ok && bad++ < 3)
          fprintf(stderr, "  %s: %s event %llu field %s differs\n", ctx, s->streams[i].name, (unsigned long long)k,
                  s->streams[i].fields[f].name);
      }
    CHECK(bad == 0, "%s: %d values of %s differ", ctx, bad, s->streams[i].name);
  }
}

/* ---- 1. builder: a small hand-checked table (int64 key) ---- */

static void add_customer_a(rt_builder *b, int64_t id, const char *name, const char *city, uint64_t line) {
  rt_cell c[NA] = {{.i = id}, {.s = name, .len = strlen(name)}, {.s = city, .len = city ? strlen(city) : 0, .null = !city}};
  rt_builder_add(b, c, line);
}
static void add_order(rt_builder *b, int64_t id, int64_t seq, int64_t at, uint64_t line) {
  rt_cell key = {.i = id}, c[NO];
  order_cells(seq, at, c);
  rt_builder_add_event(b, S_ORDERS, &key, c, line);
}
static void add_visit(rt_builder *b, int64_t id, int64_t seq, uint64_t line) {
  rt_cell key = {.i = id}, c[NV];
  visit_cells(seq, c);
  rt_builder_add_event(b, S_VISITS, &key, c, line);
}

/* Customers 30, 10, 20, 40, 10 (dup, dropped), 25; ids 40 and 25 get no
 * events.  Orders (seq, id, at) are added out of order with ties; visits in
 * an order that must be kept. */
static const struct { int64_t id, at; } small_orders[] = {
    {30, 500}, {10, 300}, {99, 1}, {10, 100}, {30, 500}, {10, 300}, {20, -5}, {30, 200}, {5, 7}, {10, 300},
};
static const int64_t small_visits[] = {30, 10, 30, 10, 77, 30};

static rt_table build_small(void) {
  rt_builder *b = rt_builder_new(&schema_a);
  /* events may come before, between and after the customers */
  add_order(b, small_orders[0].id, 0, small_orders[0].at, 100);
  add_customer_a(b, 30, "carol", "Paris", 2);
  add_customer_a(b, 10, "alice", NULL, 3);
  for (int i = 1; i < 6; i++) add_order(b, small_orders[i].id, i, small_orders[i].at, 100 + (uint64_t)i);
  for (int i = 0; i < 6; i++) add_visit(b, small_visits[i], i, 200 + (uint64_t)i);
  add_customer_a(b, 20, "bob", "", 4);
  add_customer_a(b, 40, "dave", "zzz", 5);
  add_customer_a(b, 10, "alice-dup", "Rome", 6);
  add_customer_a(b, 25, "\xC3\xA9t\xC3\xA9", NULL, 7);
  for (int i = 6; i < 10; i++) add_order(b, small_orders[i].id, i, small_orders[i].at, 100 + (uint64_t)i);
  rt_builder_on_orphan(b, on_orphan);
  rt_table t;
  norphans = 0;
  ndups = 0;
  orphan_user_bad = 0;
  uint64_t kept = rt_builder_finish(b, &t, on_dup, &orphans);
  CHECK(kept == 5 && t.nrecords == 5 && ndups == 1, "small: kept %llu dups %d", (unsigned long long)kept, ndups);
  return t;
}

static void test_builder_small(void) {
  rt_table t = build_small();
  CHECK(t.nstreams == 2 && t.streams, "nstreams %d", t.nstreams);
  if (t.nrecords != 5 || t.nstreams != 2) {
    rt_table_free(&t);
    return;
  }
  static const int64_t ids[] = {10, 20, 25, 30, 40};
  for (int r = 0; r < 5; r++) CHECK(rt_get_i64(&t, A_ID, r) == ids[r], "record %d id", r);
  CHECK(strcmp(rec_s(&t, A_NAME, 0), "alice") == 0, "the first of the duplicate 10s is kept: %s", rec_s(&t, A_NAME, 0));

  /* orphans: each once, with its stream and line; user passed through */
  CHECK(norphans == 3, "orphans %d", norphans);
  CHECK(orphan_count(S_ORDERS, 102) == 1 && orphan_count(S_ORDERS, 108) == 1 && orphan_count(S_VISITS, 204) == 1,
        "orphan lines");
  CHECK(orphan_user_bad == 0, "on_orphan got finish's user");

  /* orders: ordered by at, ties in insertion order; 25 and 40 empty */
  const rt_stream *o = &t.streams[S_ORDERS];
  static const uint64_t ostart[] = {0, 4, 5, 5, 8, 8};
  CHECK(o->nevents == 8, "orders nevents %llu", (unsigned long long)o->nevents);
  CHECK(memcmp(o->start, ostart, sizeof ostart) == 0, "orders ranges %llu %llu %llu %llu %llu %llu",
        (unsigned long long)o->start[0], (unsigned long long)o->start[1], (unsigned long long)o->start[2],
        (unsigned long long)o->start[3], (unsigned long long)o->start[4], (unsigned long long)o->start[5]);
  static const int64_t oseq[] = {3, 1, 5, 9, 6, 7, 0, 4};
  for (uint64_t k = 0; k < 8 && k < o->nevents; k++) {
    int64_t seq = oseq[k];
    CHECK(rt_ev_get_i64(&t, S_ORDERS, O_SEQ, k) == seq, "orders event %llu is seq %lld, want %lld",
          (unsigned long long)k, (long long)rt_ev_get_i64(&t, S_ORDERS, O_SEQ, k), (long long)seq);
    rt_cell want[NO];
    order_cells(seq, small_orders[seq].at, want);
    CHECK(check_event(&t, S_ORDERS, k, want, "small"), "small: event %llu", (unsigned long long)k);
  }
  /* visits: order -1 keeps insertion order within each customer */
  const rt_stream *v = &t.streams[S_VISITS];
  static const uint64_t vstart[] = {0, 2, 2, 2, 5, 5};
  CHECK(v->nevents == 5 && memcmp(v->start, vstart, sizeof vstart) == 0, "visits ranges");
  static const int64_t vseq[] = {1, 3, 0, 2, 5};
  for (uint64_t k = 0; k < 5 && k < v->nevents; k++) {
    rt_cell want[NV];
    visit_cells(vseq[k], want);
    CHECK(check_event(&t, S_VISITS, k, want, "small visits"), "small visits: event %llu", (unsigned long long)k);
  }
  /* one dictionary: the event string "alice" is the customer's "alice" code;
   * strings first seen in events sort among the customers' (remapped) */
  uint32_t alice = (uint32_t)rt_get_i64(&t, A_NAME, 0);
  CHECK(rt_ev_get_i64(&t, S_ORDERS, O_NOTE, 6) == alice, "note of seq 0 shares alice's code");
  CHECK(strcmp(ev_s(&t, S_VISITS, V_PAGE, 1), "alice") == 0 && rt_ev_get_i64(&t, S_VISITS, V_PAGE, 1) == alice,
        "page alice (visits event 1, seq 3) shares the code");
  CHECK((uint32_t)rt_get_i64(&t, A_CITY, 4) == (uint32_t)rt_ev_get_i64(&t, S_ORDERS, O_NOTE, 5),
        "dave's city zzz == note zzz of seq 7 (seq %% 6 == 1)");
  for (uint32_t i = 1; i < t.ndict; i++) {
    size_t la, lb;
    const char *x = rt_dict_str(&t, i - 1, &la), *y = rt_dict_str(&t, i, &lb);
    int c = memcmp(x, y, la < lb ? la : lb);
    CHECK(c < 0 || (c == 0 && la < lb), "dictionary sorted at %u", i);
  }
  /* out-of-range accessors read as null / zero */
  CHECK(rt_ev_is_null(&t, 2, 0, 0) && rt_ev_get_i64(&t, S_ORDERS, O_SEQ, 8) == 0 &&
            rt_ev_get_i64(&t, S_ORDERS, NO, 0) == 0 && rt_ev_get_f64(&t, -1, 0, 0) == 0,
        "out-of-range event accessors");
  rt_table_free(&t);
}

/* ---- 2. builder: string key ---- */

static void add_person(rt_builder *b, const char *email, int score, uint64_t line) {
  rt_cell c[NB] = {{.s = email, .len = strlen(email)}, {.i = score}};
  rt_builder_add(b, c, line);
}
static void add_click(rt_builder *b, const char *email, const char *url, int64_t day, int64_t seq, uint64_t line) {
  rt_cell key = {.s = email, .len = strlen(email)};
  rt_cell c[NK] = {{.s = url, .len = url ? strlen(url) : 0, .null = !url}, {.i = day}, {.i = seq}};
  rt_builder_add_event(b, 0, &key, c, line);
}

static void test_builder_string_key(void) {
  rt_builder *b = rt_builder_new(&schema_b);
  /* provisional codes are first-seen order; final codes are ranks */
  add_click(b, "zed@x", "z.html", 3, 0, 100);            /* orphan: interned but no customer */
  add_person(b, "bob@x", 1, 2);
  add_click(b, "alice@xy", "bob@x", 5, 1, 101);          /* key of a customer used as a url */
  add_person(b, "alice@x", 2, 3);
  add_person(b, "", 3, 4);
  add_click(b, "alice@x", "a.html", 9, 2, 102);
  add_click(b, "bob@x", NULL, -3, 3, 103);
  add_click(b, "alice@x", "b.html", -1, 4, 104);
  add_click(b, "", "", 0, 5, 105);
  add_person(b, "alice@xy", 4, 5);
  add_person(b, "alice@x", 5, 6);                        /* dup of line 3, dropped */
  add_click(b, "alice@x", "c.html", 9, 6, 106);          /* tie with seq 2 */
  add_click(b, "alice", "c.html", 9, 7, 107);            /* orphan: a prefix of a key */
  add_click(b, "alice@x", "a.html", -1, 8, 108);         /* tie with seq 4 */
  rt_builder_on_orphan(b, on_orphan);
  rt_table t;
  norphans = ndups = 0;
  uint64_t kept = rt_builder_finish(b, &t, on_dup, &orphans);
  CHECK(kept == 4 && ndups == 1, "string key kept %llu", (unsigned long long)kept);
  CHECK(norphans == 2 && orphan_count(0, 100) == 1 && orphan_count(0, 107) == 1, "string key orphans %d", norphans);
  if (kept != 4) {
    rt_table_free(&t);
    return;
  }
  static const char *keys[] = {"", "alice@x", "alice@xy", "bob@x"};
  for (int r = 0; r < 4; r++) CHECK(strcmp(rec_s(&t, B_EMAIL, r), keys[r]) == 0, "record %d %s", r, rec_s(&t, B_EMAIL, r));
  CHECK(rt_get_i64(&t, B_SCORE, 1) == 2, "alice@x is the first added");
  const rt_stream *s = &t.streams[0];
  static const uint64_t start[] = {0, 1, 5, 6, 7};
  CHECK(s->nevents == 7 && memcmp(s->start, start, sizeof start) == 0, "clicks ranges");
  /* "" : 5; alice@x: 4 (-1), 8 (-1), 2 (9), 6 (9); alice@xy: 1; bob@x: 3 */
  static const int64_t seqs[] = {5, 4, 8, 2, 6, 1, 3};
  static const char *urls[] = {"", "b.html", "a.html", "a.html", "c.html", "bob@x", NULL};
  static const int64_t days[] = {0, -1, -1, 9, 9, 5, -3};
  for (uint64_t k = 0; k < 7 && k < s->nevents; k++) {
    rt_cell want[NK] = {{.s = urls[k], .len = urls[k] ? strlen(urls[k]) : 0, .null = !urls[k]},
                        {.i = days[k]}, {.i = seqs[k]}};
    CHECK(check_event(&t, 0, k, want, "string key"), "string key: event %llu", (unsigned long long)k);
  }
  CHECK(rt_ev_get_i64(&t, 0, K_URL, 5) == rt_get_i64(&t, B_EMAIL, 3), "url bob@x shares the key's code");
  rt_table_free(&t);
}

/* ---- 3. builder: many customers and events against a reference ---- */

typedef struct { int64_t rank, at, seq; } ref_ev;
static int cmp_ref(const void *pa, const void *pb) {
  const ref_ev *a = pa, *b = pb;
  if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
  if (a->at != b->at) return a->at < b->at ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

enum { BIG_N = 5003, BIG_M = 30000 };
static uint8_t *orphan_seen;
static void on_orphan_big(void *user, int stream, uint64_t line) {
  (void)user;
  uint64_t i = line - 1000;
  if (i < 2 * BIG_M) orphan_seen[i] += stream == S_ORDERS && i < BIG_M ? 1 : stream == S_VISITS && i >= BIG_M ? 1 : 100;
  else norphans += 1000;
}

/* The customer (rank) of a random order: 2% go to rank 0, which gets hundreds
 * (sorted other than by the few-events path). */
static int64_t big_rank(uint64_t x) {
  return x % 50 == 1 ? 0 : (int64_t)((x >> 8) % BIG_N);
}

static rt_table build_big(void) {
  rt_builder *b = rt_builder_new(&schema_a);
  static const char *names[] = {"n0", "n1", "n2", "n3", "n4", "n5", "n6"};
  for (int64_t i = 0; i < BIG_N; i++) {
    int64_t id = (i * 7919) % BIG_N * 3 + 1; /* ranks 0..N-1 scrambled; id = 3 * rank + 1 */
    add_customer_a(b, id, names[id % 7], id % 5 ? names[id % 3] : NULL, 2 + (uint64_t)i);
  }
  for (int64_t i = 0; i < BIG_N; i += 97) add_customer_a(b, (i * 7919) % BIG_N * 3 + 1, "dup", "dup", 9000000);
  rng = 88172645463325252ull;
  for (int64_t i = 0; i < BIG_M; i++) {
    uint64_t x = next_rand();
    int64_t id = big_rank(x) * 3 + (x % 10 == 0 ? 2 : 1); /* 10% orphans */
    int64_t at = (int64_t)((x >> 40) % 40) - 20;                          /* many ties */
    if (x % 13 == 0) at = SEGD_TS_MIN + (int64_t)(x % 3);                  /* extreme values */
    if (x % 17 == 0) at = SEGD_TS_MAX - (int64_t)(x % 3);
    add_order(b, id, i, at, 1000 + (uint64_t)i);
    x = next_rand();
    add_visit(b, (int64_t)((x >> 8) % BIG_N) * 3 + (x % 10 == 0 ? 0 : 1), i, 1000 + BIG_M + (uint64_t)i);
  }
  rt_builder_on_orphan(b, on_orphan_big);
  rt_table t;
  norphans = ndups = 0;
  orphan_seen = calloc(2 * BIG_M, 1);
  uint64_t kept = rt_builder_finish(b, &t, on_dup, NULL);
  CHECK(kept == BIG_N && ndups == (BIG_N + 96) / 97, "big kept %llu dups %d", (unsigned long long)kept, ndups);
  return t;
}

static void check_big(const rt_table *t) {
  CHECK(t->nrecords == BIG_N, "big nrecords");
  if (t->nrecords != BIG_N) return;
  uint64_t dups_kept = 0;
  for (uint64_t r = 0; r < BIG_N; r++) dups_kept += strcmp(rec_s(t, A_NAME, r), "dup") == 0;
  CHECK(dups_kept == 0, "big: %llu duplicate records kept instead of the first", (unsigned long long)dups_kept);
  ref_ev *ref = malloc(BIG_M * sizeof *ref);
  ref_ev *vref = malloc(BIG_M * sizeof *vref);
  uint64_t n = 0, vn = 0;
  rng = 88172645463325252ull;
  uint64_t orphans_o = 0, orphans_v = 0;
  for (int64_t i = 0; i < BIG_M; i++) {
    uint64_t x = next_rand();
    int64_t at = (int64_t)((x >> 40) % 40) - 20;
    if (x % 13 == 0) at = SEGD_TS_MIN + (int64_t)(x % 3);
    if (x % 17 == 0) at = SEGD_TS_MAX - (int64_t)(x % 3);
    if (x % 10 != 0) ref[n++] = (ref_ev){big_rank(x), at, i};
    else orphans_o++;
    x = next_rand();
    if (x % 10 != 0) vref[vn++] = (ref_ev){(int64_t)((x >> 8) % BIG_N), 0, i};
    else orphans_v++;
  }
  qsort(ref, n, sizeof *ref, cmp_ref);
  qsort(vref, vn, sizeof *vref, cmp_ref);
  const rt_stream *o = &t->streams[S_ORDERS], *v = &t->streams[S_VISITS];
  CHECK(o->nevents == n && v->nevents == vn, "big nevents %llu/%llu want %llu/%llu", (unsigned long long)o->nevents,
        (unsigned long long)v->nevents, (unsigned long long)n, (unsigned long long)vn);
  int bad = 0;
  for (int s = 0; s < 2; s++) {
    const rt_stream *st = s ? v : o;
    const ref_ev *rf = s ? vref : ref;
    uint64_t cnt = s ? vn : n;
    if (st->nevents != cnt) continue;
    CHECK(st->start[0] == 0 && st->start[BIG_N] == cnt, "big ranges span");
    uint64_t r = 0;
    for (uint64_t k = 0; k < cnt; k++) {
      while (r < BIG_N && st->start[r + 1] <= k) r++;
      int64_t seq = rt_ev_get_i64(t, s, s ? V_N : O_SEQ, k);
      bool ok = (int64_t)r == rf[k].rank && rt_get_i64(t, A_ID, r) == 3 * rf[k].rank + 1 && seq == rf[k].seq;
      if (!ok && bad++ < 5)
        fprintf(stderr, "  big %s event %llu: record %llu seq %lld, want rank %lld seq %lld\n", s ? "visits" : "orders",
                (unsigned long long)k, (unsigned long long)r, (long long)seq, (long long)rf[k].rank,
                (long long)rf[k].seq);
      if (s == 0) {
        rt_cell want[NO];
        order_cells(rf[k].seq, rf[k].at, want);
        if (!check_event(t, 0, k, want, "big")) bad++;
      } else {
        rt_cell want[NV];
        visit_cells(rf[k].seq, want);
        if (!check_event(t, 1, k, want, "big")) bad++;
      }
    }
    CHECK(bad == 0, "big %s: %d events out of place or with wrong values", s ? "visits" : "orders", bad);
  }
  free(ref);
  free(vref);
  if (orphan_seen) {
    uint64_t once = 0, wrong = 0;
    for (uint64_t i = 0; i < 2 * BIG_M; i++) {
      if (orphan_seen[i] == 1) once++;
      else if (orphan_seen[i] != 0) wrong++;
    }
    CHECK(once == orphans_o + orphans_v && wrong == 0 && norphans == 0, "big orphans: %llu once, %llu wrong, want %llu",
          (unsigned long long)once, (unsigned long long)wrong, (unsigned long long)(orphans_o + orphans_v));
  }
}

static void test_builder_big(void) {
  rt_table t = build_big();
  check_big(&t);
  free(orphan_seen);
  orphan_seen = NULL;
  /* round trip of the big table */
  char err[1024] = "";
  CHECK(rt_table_write(&t, tpath("big.segd"), err, sizeof err), "write big: %s", err);
  rt_table u;
  bool ok = rt_table_open(tpath("big.segd"), &schema_a, &u, err, sizeof err);
  CHECK(ok, "open big: %s", err);
  if (ok) {
    compare_tables(&t, &u, "big round trip");
    rt_table_free(&u);
  }
  rt_table_free(&t);
}

/* ---- 4. builder: edge cases ---- */

static void test_builder_edges(void) {
  char err[1024] = "";
  /* zero customers: every event is an orphan */
  rt_builder *b = rt_builder_new(&schema_a);
  for (int i = 0; i < 5; i++) add_order(b, i, i, i, 10 + (uint64_t)i);
  add_visit(b, 3, 0, 20);
  rt_builder_on_orphan(b, on_orphan);
  rt_table t;
  norphans = 0;
  uint64_t kept = rt_builder_finish(b, &t, on_dup, &orphans);
  CHECK(kept == 0 && t.nrecords == 0, "zero customers kept %llu", (unsigned long long)kept);
  CHECK(norphans == 6 && orphan_count(S_ORDERS, 10) == 1 && orphan_count(S_ORDERS, 14) == 1 &&
            orphan_count(S_VISITS, 20) == 1,
        "zero customers: orphans %d", norphans);
  CHECK(t.nstreams == 2 && t.streams && t.streams[0].nevents == 0 && t.streams[1].nevents == 0 &&
            t.streams[0].start[0] == 0 && t.streams[1].start[0] == 0,
        "zero customers: empty streams");
  CHECK(rt_table_write(&t, tpath("zero.segd"), err, sizeof err), "write zero: %s", err);
  rt_table u;
  bool ok = rt_table_open(tpath("zero.segd"), &schema_a, &u, err, sizeof err);
  CHECK(ok && u.nrecords == 0 && u.nstreams == 2 && u.streams[0].nevents == 0, "open zero: %s", err);
  if (ok) rt_table_free(&u);
  rt_table_free(&t);

  /* streams in the schema, no event added (and no on_orphan set) */
  b = rt_builder_new(&schema_a);
  add_customer_a(b, 2, "b", NULL, 2);
  add_customer_a(b, 1, "a", "x", 3);
  kept = rt_builder_finish(b, &t, NULL, NULL);
  CHECK(kept == 2 && t.nstreams == 2 && t.streams, "no events: kept %llu", (unsigned long long)kept);
  if (t.streams)
    for (int s = 0; s < 2; s++)
      CHECK(t.streams[s].nevents == 0 && t.streams[s].start[0] == 0 && t.streams[s].start[1] == 0 &&
                t.streams[s].start[2] == 0,
            "no events: stream %d empty ranges", s);
  CHECK(rt_table_write(&t, tpath("noev.segd"), err, sizeof err), "write no events: %s", err);
  ok = rt_table_open(tpath("noev.segd"), &schema_a, &u, err, sizeof err);
  CHECK(ok, "open no events: %s", err);
  if (ok) {
    compare_tables(&t, &u, "no events");
    rt_table_free(&u);
  }
  rt_table_free(&t);

  /* events only in the second stream; orphans with no on_orphan are dropped quietly */
  b = rt_builder_new(&schema_a);
  add_customer_a(b, 1, "a", NULL, 2);
  add_visit(b, 1, 0, 3);
  add_visit(b, 2, 1, 4);
  rt_cell key = {.i = 1}, c[NO];
  order_cells(0, 0, c);
  rt_builder_add_event(b, 2, &key, c, 5);  /* no such stream: ignored */
  rt_builder_add_event(b, -1, &key, c, 6); /* no such stream: ignored */
  kept = rt_builder_finish(b, &t, NULL, NULL);
  CHECK(kept == 1 && t.streams && t.streams[0].nevents == 0 && t.streams[1].nevents == 1 &&
            t.streams[1].start[1] == 1,
        "one stream only");
  rt_table_free(&t);

  /* a stream ordered by a date with negative days; a stream of one field */
  seg_field df[1] = {fld("d", TY_DATE, false)};
  seg_stream ds = {.name = "dates", .fields = df, .nfields = 1, .order = 0};
  seg_field kf[1] = {fld("id", TY_INT32, false)};
  kf[0].key = true;
  seg_schema sd = {.fields = kf, .nfields = 1, .key = 0, .streams = &ds, .nstreams = 1};
  b = rt_builder_new(&sd);
  rt_builder_add(b, (rt_cell[]){{.i = -7}}, 2);
  static const int64_t dv[] = {3, -40000, 0, -1, 70000, -40000};
  for (int i = 0; i < 6; i++) rt_builder_add_event(b, 0, &(rt_cell){.i = -7}, (rt_cell[]){{.i = dv[i]}}, 3);
  kept = rt_builder_finish(b, &t, NULL, NULL);
  static const int64_t dsorted[] = {-40000, -40000, -1, 0, 3, 70000};
  bool sorted = kept == 1 && t.streams[0].nevents == 6;
  for (int k = 0; sorted && k < 6; k++) sorted = rt_ev_get_i64(&t, 0, 0, (uint64_t)k) == dsorted[k];
  CHECK(sorted, "date order with negative days (int32 key)");
  rt_table_free(&t);
}

/* ---- 5. .segd: round trip, alignment, refusals ---- */

/* Where the descriptor of stream `s` starts, relative to the section. */
static uint64_t desc_off(const seg_schema *sc, int s) {
  uint64_t p = 8;
  for (int i = 0; i < s; i++) p += 16 + 16 * (uint64_t)sc->streams[i].nfields;
  return p;
}

/* Opens in a child first: 1 refused (err filled), 0 accepted, -1 crashed.
 * A clean refusal is repeated here so LeakSanitizer sees its path. */
static int open_guarded(const char *path, const seg_schema *s, char *err, size_t errlen) {
  fflush(stdout);
  fflush(stderr);
  int pfd[2];
  if (pipe(pfd) != 0) { perror("pipe"); exit(2); }
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); exit(2); }
  if (pid == 0) {
    close(pfd[0]);
    int dn = open("/dev/null", O_WRONLY);
    if (dn >= 0) dup2(dn, 2);
    rt_table t;
    char e[1024] = "";
    bool ok = rt_table_open(path, s, &t, e, sizeof e);
    if (write(pfd[1], e, strlen(e)) < 0) _exit(12);
    _exit(ok ? 11 : 10);
  }
  close(pfd[1]);
  size_t got = 0;
  ssize_t k;
  while (got + 1 < errlen && (k = read(pfd[0], err + got, errlen - 1 - got)) > 0) got += (size_t)k;
  err[got] = 0;
  close(pfd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    snprintf(err, errlen, "CRASHED: killed by signal %d", WTERMSIG(status));
    return -1;
  }
  int code = WEXITSTATUS(status);
  if (code != 10 && code != 11) {
    snprintf(err, errlen, "CRASHED: exit status %d (a sanitizer report?)", code);
    return -1;
  }
  if (code == 11) return 0;
  rt_table t;
  if (rt_table_open(path, s, &t, err, errlen)) {
    rt_table_free(&t);
    return 0;
  }
  return 1;
}

/* Writes a patched copy and checks it is refused with a message containing `want` (and the file name). */
static void refuse(const char *name, const uint8_t *data, size_t n, const seg_schema *s, const char *want,
                   const char *what) {
  const char *p = tpath(name);
  write_file(p, data, n);
  char err[1024] = "";
  int r = open_guarded(p, s, err, sizeof err);
  CHECK(r == 1 && strstr(err, want) && strstr(err, name), "%s: want a refusal with \"%s\", got %s: %s", what, want,
        r == 1 ? "refused" : r == 0 ? "ACCEPTED" : "CRASH", err);
}

/* File `name`, corrupt in orders only, opens for a run that reads only
 * visits and is refused with `want` for one that reads orders. */
static void orders_only_fault(const char *name, const seg_schema *s, const char *want) {
  bool no_fields[NA] = {false}, streams[2] = {false, false};
  streams[1 - S_ORDERS] = true;
  rt_needs needs = {no_fields, streams, false, 0};
  rt_table u;
  char e[1024] = "";
  bool ok = rt_table_open_for(tpath(name), s, &needs, &u, e, sizeof e);
  CHECK(ok, "%s with only visits read: %s", name, e);
  if (ok) rt_table_free(&u);
  streams[S_ORDERS] = true;
  CHECK(!rt_table_open_for(tpath(name), s, &needs, &u, e, sizeof e) && strstr(e, want), "%s with orders read: %s", name, e);
}

static void test_segd(void) {
  char err[1024] = "";
  rt_table t = build_small();
  char path[512];
  snprintf(path, sizeof path, "%s", tpath("small.segd"));
  CHECK(rt_table_write(&t, path, err, sizeof err), "write: %s", err);
  rt_table u;
  bool ok = rt_table_open(path, &schema_a, &u, err, sizeof err);
  CHECK(ok, "open: %s", err);
  if (!ok) {
    rt_table_free(&t);
    return;
  }
  compare_tables(&t, &u, "small round trip");
  /* the event arrays are used in place, 64-aligned within the mapping */
  const uint8_t *m = u.map;
  for (int s = 0; s < 2; s++) {
    const rt_stream *st = &u.streams[s];
    CHECK((const uint8_t *)st->start >= m && (const uint8_t *)st->start < m + u.map_len, "start mapped");
    CHECK(((uintptr_t)st->start & 63) == 0, "stream %d start aligned", s);
    for (int f = 0; f < schema_a.streams[s].nfields; f++) {
      CHECK(((uintptr_t)st->vals[f] & 63) == 0 && st->vals[f] >= m && st->vals[f] <= m + u.map_len,
            "stream %d field %d values aligned and mapped", s, f);
      bool nullable = schema_a.streams[s].fields[f].nullable;
      CHECK(nullable ? st->nulls[f] && ((uintptr_t)st->nulls[f] & 63) == 0 : st->nulls[f] == NULL,
            "stream %d field %d nulls", s, f);
    }
  }
  rt_table_free(&u);
  rt_table_free(&t);

  size_t n;
  uint8_t *data = (uint8_t *)read_file(path, &n);
  uint8_t *d = malloc(n + 256);
  const uint64_t so = get64(data + 120);
  CHECK(so % 8 == 0 && so > 128 && so < n, "streams offset %llu", (unsigned long long)so);
  const uint64_t od = so + desc_off(&schema_a, S_ORDERS), vd = so + desc_off(&schema_a, S_VISITS);
  const uint64_t nev = get64(data + od), start_off = get64(data + od + 8);
  CHECK(nev == 8 && get64(data + vd) == 5 && data[so] == 2, "descriptors: %llu events", (unsigned long long)nev);
  CHECK(start_off % 64 == 0 && get64(data + start_off + 8) == 4, "orders start[1] in the file");
  uint64_t vo[NO], no[NO];
  for (int f = 0; f < NO; f++) {
    vo[f] = get64(data + od + 16 + 16 * (uint64_t)f);
    no[f] = get64(data + od + 24 + 16 * (uint64_t)f);
    CHECK(vo[f] % 64 == 0 && (o_fields[f].nullable ? no[f] % 64 == 0 : no[f] == UINT64_MAX), "field %d offsets", f);
  }
  uint64_t last_v = get64(data + vd + 16 + 16 * V_N);
  CHECK(last_v + 5 * 4 == n, "the file ends with the last array: %llu + 20 vs %zu", (unsigned long long)last_v, n);
  /* events whose ok / note are present (refusals only check present values) */
  uint64_t k_ok = 0, k_note = 0;
  while (k_ok < nev && data[no[O_OK] + k_ok]) k_ok++;
  while (k_note < nev && data[no[O_NOTE] + k_note]) k_note++;
  CHECK(k_ok < nev && k_note < nev, "present ok and note");

#define PATCH_BEGIN memcpy(d, data, n)
  /* truncated */
  refuse("trunc1.segd", data, n - 8, &schema_a, "truncated", "cut file");
  PATCH_BEGIN;
  put64(d + 112, so + 4);
  refuse("trunc2.segd", d, so + 4, &schema_a, "bad stream descriptions", "section cut inside the descriptors");
  PATCH_BEGIN;
  put64(d + 112, vd + 16);
  refuse("trunc3.segd", d, vd + 16, &schema_a, "corrupt", "section cut inside the visits descriptor");
  PATCH_BEGIN;
  put64(d + 112, start_off + 16);
  refuse("trunc4.segd", d, start_off + 16, &schema_a, "outside the file", "section cut inside the orders ranges");
  PATCH_BEGIN;
  put64(d + 112, vo[O_SEQ] + 8);
  refuse("trunc5.segd", d, vo[O_SEQ] + 8, &schema_a, "outside the file", "section cut inside orders.seq");
  /* ranges */
  PATCH_BEGIN;
  put64(d + start_off + 16, 3); /* 0 4 3 5 8 8 */
  refuse("decrease.segd", d, n, &schema_a, "decrease at record 2", "start[] decreases");
  orders_only_fault("decrease.segd", &schema_a, "decrease at record 2"); /* checked only by a run that reads orders */
  PATCH_BEGIN;
  put64(d + start_off + 5 * 8, 7);
  refuse("span.segd", d, n, &schema_a, "do not span", "start[nrecords] != nevents");
  PATCH_BEGIN;
  put64(d + start_off, 1);
  refuse("span0.segd", d, n, &schema_a, "do not span", "start[0] != 0");
  PATCH_BEGIN;
  put64(d + od, nev + 1);
  refuse("nevents.segd", d, n, &schema_a, "corrupt", "nevents != start[nrecords]");
  /* values */
  PATCH_BEGIN;
  d[vo[O_CHAN] + 2] = 3;
  refuse("enum.segd", d, n, &schema_a, "event 3 of orders has an invalid chan", "enum out of range");
  PATCH_BEGIN;
  d[vo[O_OK] + k_ok] = 2;
  refuse("bool.segd", d, n, &schema_a, "invalid ok", "bool out of range");
  PATCH_BEGIN; /* a dictionary code past ndict */
  {
    uint32_t big = 0xFFFFFFF0u;
    memcpy(d + vo[O_NOTE] + 4 * k_note, &big, 4);
  }
  refuse("code.segd", d, n, &schema_a, "invalid note", "string code out of range");
  PATCH_BEGIN; /* the last event's time past 9999-12-31 (still in order) */
  put64(d + vo[O_AT] + 8 * (nev - 1), INT64_MAX);
  refuse("at.segd", d, n, &schema_a, "event 8 of orders has an invalid at", "timestamp out of range");
  orders_only_fault("code.segd", &schema_a, "invalid note"); /* a run that reads only visits never looks at orders' values */
  PATCH_BEGIN;
  d[no[O_QTY] + 1] = 2;
  refuse("null.segd", d, n, &schema_a, "bad null flag in orders.qty", "null byte 2");
  PATCH_BEGIN;
  d[no[O_QTY] + 1] = 0xFF;
  refuse("null2.segd", d, n, &schema_a, "bad null flag", "null byte 255");
  /* order: event 0 of record 1 (at 100) made later than event 1 (at 300) */
  PATCH_BEGIN;
  put64(d + vo[O_AT], 301);
  refuse("order.segd", d, n, &schema_a, "are not in at order", "events out of time order");
  PATCH_BEGIN; /* across records is fine: record 2's single event earlier than record 1's last */
  put64(d + vo[O_AT] + 4 * 8, (uint64_t)SEGD_TS_MIN);
  {
    const char *p = tpath("across.segd");
    write_file(p, d, n);
    int r = open_guarded(p, &schema_a, err, sizeof err);
    CHECK(r == 0, "time order is per record: %s", err);
  }
  /* the streams offset */
  PATCH_BEGIN;
  put64(d + 120, (n + 64) & ~(uint64_t)7);
  refuse("soff1.segd", d, n, &schema_a, "streams section is misplaced or outside the file", "streams offset past the end");
  PATCH_BEGIN;
  put64(d + 120, UINT64_MAX - 7);
  refuse("soff2.segd", d, n, &schema_a, "streams section is misplaced or outside the file", "streams offset huge");
  PATCH_BEGIN;
  put64(d + 120, 0);
  refuse("soff3.segd", d, n, &schema_a, "streams section is misplaced or outside the file", "streams offset 0");
  PATCH_BEGIN;
  put64(d + 120, 128);
  refuse("soff4.segd", d, n, &schema_a, "streams section is misplaced or outside the file", "streams offset in the header");
  PATCH_BEGIN;
  put64(d + 120, so + 3);
  refuse("soff5.segd", d, n, &schema_a, "streams section is misplaced", "streams offset misaligned");
  PATCH_BEGIN;
  put64(d + 120, (n - 8) & ~(uint64_t)7);
  refuse("soff6.segd", d, n, &schema_a, "bad stream descriptions", "streams offset at the last 8 bytes");
  /* descriptors */
  PATCH_BEGIN;
  d[so] = 1;
  refuse("nstreams.segd", d, n, &schema_a, "bad stream descriptions", "stream count");
  PATCH_BEGIN;
  put64(d + od + 8, start_off + 8);
  refuse("salign.segd", d, n, &schema_a, "event ranges of orders are outside the file", "misaligned ranges");
  PATCH_BEGIN;
  put64(d + od + 16 + 16 * O_QTY, vo[O_QTY] + 64);
  refuse("valign.segd", d, n, &schema_a, "corrupt", "values moved");
  PATCH_BEGIN;
  put64(d + od + 24 + 16 * O_SEQ, vo[O_SEQ]);
  refuse("nn.segd", d, n, &schema_a, "orders.seq has nulls but is not nullable", "nulls for a non-nullable field");
  PATCH_BEGIN;
  put64(d + od + 24 + 16 * O_NOTE, vo[O_AMOUNT]);
  refuse("overlap.segd", d, n, &schema_a, "corrupt", "overlapping arrays");
  PATCH_BEGIN; /* a value array past the end of the file */
  put64(d + od + 16 + 16 * O_AMOUNT, (uint64_t)1 << 40);
  refuse("vfar.segd", d, n, &schema_a, "corrupt", "values far past the end");
  /* BUG (reported): segd_streams_read checks `len > size - off` but never
   * `off <= size`, so for an offset past the end of the file size - off
   * wraps around and the check passes:
   *  - sfar: a range-array offset past the end: start[0] is read outside the
   *    mapping (SIGSEGV in every build);
   *  - vhuge: a values offset of 0xE9 << 56: `m + vo` overflows (undefined
   *    behaviour: UBSan aborts; a plain build refuses the file later, so
   *    this check fails only under the sanitizers);
   *  - vwrap: values offset 2^64 - 64 for a 64-byte array: `end = vo + len`
   *    wraps to 0, every later check passes, and the file is ACCEPTED with
   *    orders.amount pointing 64 bytes before the mapping. */
  PATCH_BEGIN;
  put64(d + od + 8, (uint64_t)1 << 40);
  refuse("sfar.segd", d, n, &schema_a, "corrupt", "BUG: range array far past the end (segd_streams_read)");
  PATCH_BEGIN;
  put64(d + od + 16 + 16 * O_AMOUNT, UINT64_C(0xE900000000000000));
  refuse("vhuge.segd", d, n, &schema_a, "corrupt", "BUG: values offset 0xE9 << 56 (pointer overflow in segd_streams_read, UBSan only)");
  PATCH_BEGIN;
  put64(d + od + 16 + 16 * O_AMOUNT, (uint64_t)0 - nev * 8);
  refuse("vwrap.segd", d, n, &schema_a, "corrupt", "BUG: values offset 2^64 - len (end wraps to 0)");
  /* extra bytes after the last stream */
  PATCH_BEGIN;
  memset(d + n, 0, 64);
  put64(d + 112, n + 64);
  refuse("extra.segd", d, n + 64, &schema_a, "data after the last stream", "64 extra bytes");
  PATCH_BEGIN;
  d[n] = 0;
  put64(d + 112, n + 1);
  refuse("extra1.segd", d, n + 1, &schema_a, "data after the last stream", "1 extra byte");
  PATCH_BEGIN;
  d[n] = 0;
  refuse("extra2.segd", d, n + 1, &schema_a, "corrupt", "1 extra byte, file_len unchanged");
#undef PATCH_BEGIN

  /* another stream layout: refused by the fingerprint before the section */
  static const char *variants[] = {"field type changed", "stream renamed", "field nullability",
                                   "field renamed",      "order mark",     "enum members"};
  static const char *chan2[] = {"web", "store", "phone"};
  static const seg_members chan2_members = {3, chan2};
  for (int v = 0; v < (int)(sizeof variants / sizeof variants[0]); v++) {
    seg_field of[NO], vf[NV];
    make_orders_fields(of);
    memcpy(vf, v_fields, sizeof vf);
    seg_stream st[2] = {a_streams[0], a_streams[1]};
    st[0].fields = of;
    st[1].fields = vf;
    switch (v) {
    case 0: of[O_AMOUNT].type = (seg_type){.kind = TY_INT64}; break;
    case 1: st[1].name = "views"; break;
    case 2: vf[V_N].nullable = true; break;
    case 3: of[O_QTY].name = "quantity"; break;
    case 4: of[O_AT].key = true; break;
    case 5: of[O_CHAN].type.members = &chan2_members; break;
    }
    seg_schema s2 = schema_a;
    s2.streams = st;
    CHECK(ty_schema_fingerprint(&s2) != ty_schema_fingerprint(&schema_a), "%s: fingerprint differs", variants[v]);
    int r = open_guarded(path, &s2, err, sizeof err);
    CHECK(r == 1 && strstr(err, "was written for another schema") && strstr(err, "streams differ"),
          "%s: got %d: %s", variants[v], r, err);
  }
  /* one stream fewer / more */
  seg_schema s1 = schema_a;
  s1.nstreams = 1;
  int r = open_guarded(path, &s1, err, sizeof err);
  CHECK(r == 1 && strstr(err, "another schema"), "one stream fewer: %s", err);
  seg_schema s0 = schema_a;
  s0.nstreams = 0;
  s0.streams = NULL;
  r = open_guarded(path, &s0, err, sizeof err);
  CHECK(r == 1 && strstr(err, "another schema"), "no streams: %s", err);

  /* random corruption of the event arrays and descriptors never crashes */
  /* BUG (reported, same root cause as sfar / vhuge above): with this seed,
   * iterations 3 and 37 flip a high byte of a range-array offset (crash in
   * every build) and a few more a values offset (UBSan pointer overflow).
   * 20000 iterations that left those offsets alone found no other crash. */
  int crashes = 0;
  srand(11);
  for (int i = 0; i < 60; i++) {
    memcpy(d, data, n);
    int flips = 1 + rand() % 3;
    for (int k = 0; k < flips; k++) {
      size_t at = so + (size_t)rand() % (n - so);
      if (i % 3 == 0) at = so + (size_t)rand() % (start_off - so); /* the descriptors */
      d[at] = (uint8_t)rand();
    }
    const char *p = tpath("fuzz.segd");
    write_file(p, d, n);
    int rr = open_guarded(p, &schema_a, err, sizeof err);
    if (rr < 0) {
      char keep[64];
      snprintf(keep, sizeof keep, "fuzz-crash-%d.segd", i);
      write_file(tpath(keep), d, n); /* kept in the temp dir for a post-mortem */
      if (crashes++ == 0) fprintf(stderr, "fuzz iteration %d: %s (kept as %s)\n", i, err, tpath(keep));
    }
  }
  CHECK(crashes == 0, "random corruption of the streams section: %d crashes in 60", crashes);
  free(d);
  free(data);
}

/* ---- 6. ingest ---- */

typedef struct { char file[16]; uint64_t line; int col; char name[32]; char reason[240]; } reject_rec;
static reject_rec rejects[64];
static int nrejects, nwarnings;
static char warnings[4][512];

static void on_reject(void *user, const char *file, uint64_t line, int col, const char *name, const char *reason) {
  (void)user;
  if (nrejects >= 64) return;
  reject_rec *r = &rejects[nrejects++];
  const char *slash = strrchr(file, '/');
  snprintf(r->file, sizeof r->file, "%s", slash ? slash + 1 : file);
  r->line = line;
  r->col = col;
  snprintf(r->name, sizeof r->name, "%s", name ? name : "");
  snprintf(r->reason, sizeof r->reason, "%s", reason);
}
static void on_warning(void *user, const char *msg) {
  (void)user;
  if (nwarnings < 4) snprintf(warnings[nwarnings], sizeof warnings[0], "%s", msg);
  nwarnings++;
}
static const reject_rec *find_reject(const char *file, uint64_t line) {
  for (int i = 0; i < nrejects; i++)
    if (rejects[i].line == line && strcmp(rejects[i].file, file) == 0) return &rejects[i];
  return NULL;
}

static char cust_path[512], orders_path[512], visits_path[512], out_path[512], bad_path[512];

static bool run_ingest(const seg_schema *s, const char *orders, const char *visits, ingest_report *rep, char *err,
                       size_t errlen) {
  nrejects = nwarnings = 0;
  const char *paths[2] = {orders, visits};
  ingest_options o = {.csv_path = cust_path, .out_path = out_path, .bad_rows_path = bad_path,
                      .stream_paths = paths, .on_reject = on_reject, .on_warning = on_warning};
  return ingest_csv(s, &o, rep, err, errlen);
}

#define ORDERS_HDR "seq,note,at,extra,id,amount,chan,qty,ok,day,price,tags\r\n"

static int64_t ts(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return cal_days_from_civil(y, mo, d) * CAL_USEC_PER_DAY + ((int64_t)h * 3600 + mi * 60 + s) * CAL_USEC_PER_SEC;
}

static void test_ingest(void) {
  snprintf(cust_path, sizeof cust_path, "%s", tpath("customers.csv"));
  snprintf(orders_path, sizeof orders_path, "%s", tpath("orders.csv"));
  snprintf(visits_path, sizeof visits_path, "%s", tpath("visits.csv"));
  snprintf(out_path, sizeof out_path, "%s", tpath("ingest.segd"));
  snprintf(bad_path, sizeof bad_path, "%s", tpath("bad.csv"));
  static const char customers[] =
      "id,name,city\r\n"
      "30,carol,Paris\r\n"
      "10,alice,\r\n"
      "20,\"Bob \"\"B\"\", Jr.\",London\r\n"
      "10,alice-dup,Rome\r\n"   /* 5: duplicate key */
      "x5,bad,\r\n"             /* 6: bad id */
      "40,dave,\"\"\r\n"
      "50,\"\xff\",\r\n";       /* 8: bad UTF-8: its events become orphans */
  write_file(cust_path, customers, sizeof customers - 1);
  static const char orders[] =
      ORDERS_HDR
      "1,\"hello, world\",2024-03-01T10:00:00Z,x,30,12.50,web,3,true,2024-03-01,1.5,gift|promo\r\n"
      "2,,2024-01-01T00:00:00Z,y,10,-0.05,app,,false,,,\r\n"
      "3,\"multi\r\nline\",2024-02-01T00:00:00Z,,30,0,store,-7,1,1969-12-31,-2e3,return\r\n" /* lines 4-5 */
      "4,\"say \"\"hi\"\"\",2024-02-01T00:00:00Z,,99,1,web,1,true,,,\r\n"                    /* 6: orphan */
      "5,zzz,2024-02-01T00:00:00+00:00,,30,1.00,web,1,0,,,\r\n"                              /* tie with 3 */
      "6,bad,2024-02-01T00:00:00Z,,10,1.234,web,1,true,,,\r\n"                               /* 8: amount */
      "7,x,not-a-time,,10,1,web,1,true,,,\r\n"                                               /* 9: at */
      "8,,2023-12-31T23:59:59Z,,10,2,store,,true,,,\r\n"
      "9,x,2024-01-01T00:00:00Z,,50,1,web,1,true,,,\r\n"                                     /* 11: orphan */
      "10,x,2024-01-01T00:00:00Z,,10,1,fax,1,true,,,\r\n"                                    /* 12: chan */
      "11,x,2024-01-01T00:00:00Z,,10,1,web,1,true,,,,\r\n"                                   /* 13: 13 columns */
      "12,\"\",2024-01-01T00:00:00Z,,20,99999999.99,web,2147483647,TRUE,2000-02-29,0.1,gift|promo|return\r\n"
      "13,x,2024-01-01T01:00:00+01:00,,\"10\",1,web,1,true,,,\r\n";                          /* tie with 2 */
  write_file(orders_path, orders, sizeof orders - 1);
  static const char visits[] =
      "\xEF\xBB\xBF\"id\",\"page\",n\n"
      "10,home,1\n"
      "30,cart,2\n"
      "10,\"a,b\",3\n"
      "77,home,4\n" /* 5: orphan */
      "\n"
      "30,alice,5";  /* no final newline */
  write_file(visits_path, visits, sizeof visits - 1);
  ingest_report rep;
  char err[1024] = "";
  bool ok = run_ingest(&schema_a, orders_path, visits_path, &rep, err, sizeof err);
  CHECK(ok, "ingest: %s", err);
  CHECK(nwarnings == 1 && strstr(warnings[0], "orders.csv") && strstr(warnings[0], "\"extra\""), "warnings %d: %s",
        nwarnings, warnings[0]);
  CHECK(rep.rows_read == 7 && rep.rows_kept == 4 && rep.rows_rejected == 3, "rows %llu %llu %llu",
        (unsigned long long)rep.rows_read, (unsigned long long)rep.rows_kept, (unsigned long long)rep.rows_rejected);
  CHECK(rep.events_read == 18 && rep.events_kept == 11 && rep.events_rejected == 7, "events read %llu kept %llu rej %llu",
        (unsigned long long)rep.events_read, (unsigned long long)rep.events_kept,
        (unsigned long long)rep.events_rejected);
  CHECK(rep.event_bytes_read == sizeof orders - 1 + sizeof visits - 1, "event bytes %llu",
        (unsigned long long)rep.event_bytes_read);
  struct { const char *file; uint64_t line; int col; const char *name, *reason; } want[] = {
      {"customers.csv", 5, 1, "id", "duplicate key, first seen on line 3"},
      {"customers.csv", 6, 1, "id", "not an integer"},
      {"customers.csv", 8, 2, "name", "not valid UTF-8"},
      {"orders.csv", 6, 5, "id", "has this id"},
      {"orders.csv", 8, 6, "amount", "3 fractional digits"},
      {"orders.csv", 9, 3, "at", "not a timestamp"},
      {"orders.csv", 11, 5, "id", "has this id"},
      {"orders.csv", 12, 7, "chan", "not a member of enum(web, store, app)"},
      {"orders.csv", 13, 0, "", "expected 12 columns, found 13"},
      {"visits.csv", 5, 1, "id", "has this id"},
  };
  int nwant = (int)(sizeof want / sizeof want[0]);
  for (int i = 0; i < nwant; i++) {
    const reject_rec *r = find_reject(want[i].file, want[i].line);
    CHECK(r != NULL, "no reject for %s:%llu", want[i].file, (unsigned long long)want[i].line);
    if (!r) continue;
    CHECK(r->col == want[i].col && strcmp(r->name, want[i].name) == 0 && strstr(r->reason, want[i].reason),
          "%s:%llu: got col %d name '%s' reason '%s'", want[i].file, (unsigned long long)want[i].line, r->col,
          r->name, r->reason);
    if (strstr(want[i].reason, "has this"))
      CHECK(strstr(r->reason, "no customer in") && strstr(r->reason, "customers.csv"), "orphan reason: %s", r->reason);
  }
  CHECK(nrejects == nwant, "nrejects %d, want %d", nrejects, nwant);

  /* the bad-rows files: header first, then the rejected rows verbatim in file order */
  char *bad = read_file(tpath("bad.orders.csv"), NULL);
  static const char want_bad[] =
      ORDERS_HDR
      "4,\"say \"\"hi\"\"\",2024-02-01T00:00:00Z,,99,1,web,1,true,,,\r\n"
      "6,bad,2024-02-01T00:00:00Z,,10,1.234,web,1,true,,,\r\n"
      "7,x,not-a-time,,10,1,web,1,true,,,\r\n"
      "9,x,2024-01-01T00:00:00Z,,50,1,web,1,true,,,\r\n"
      "10,x,2024-01-01T00:00:00Z,,10,1,fax,1,true,,,\r\n"
      "11,x,2024-01-01T00:00:00Z,,10,1,web,1,true,,,,\r\n";
  CHECK(bad && strcmp(bad, want_bad) == 0, "bad.orders.csv:\n%s", bad ? bad : "(missing)");
  free(bad);
  bad = read_file(tpath("bad.visits.csv"), NULL);
  CHECK(bad && strcmp(bad, "\"id\",\"page\",n\n77,home,4\n") == 0, "bad.visits.csv:\n%s", bad ? bad : "(missing)");
  free(bad);
  bad = read_file(bad_path, NULL);
  static const char cust_bad[] = "id,name,city\r\n10,alice-dup,Rome\r\nx5,bad,\r\n50,\"\xff\",\r\n";
  CHECK(bad && strcmp(bad, cust_bad) == 0, "bad.csv:\n%s", bad ? bad : "(missing)");
  free(bad);

  /* the written file, value by value */
  rt_table t;
  ok = ok && rt_table_open(out_path, &schema_a, &t, err, sizeof err);
  CHECK(ok, "open ingested: %s", err);
  if (!ok) return;
  static const int64_t ids[] = {10, 20, 30, 40};
  static const char *names[] = {"alice", "Bob \"B\", Jr.", "carol", "dave"};
  for (int r = 0; r < 4 && r < (int)t.nrecords; r++)
    CHECK(rt_get_i64(&t, A_ID, r) == ids[r] && strcmp(rec_s(&t, A_NAME, r), names[r]) == 0, "customer %d", r);
  CHECK(t.nrecords == 4 && rt_is_null(&t, A_CITY, 0) && !rt_is_null(&t, A_CITY, 3) && strcmp(rec_s(&t, A_CITY, 3), "") == 0,
        "cities");
  const rt_stream *o = &t.streams[S_ORDERS];
  static const uint64_t ostart[] = {0, 3, 4, 7, 7};
  CHECK(o->nevents == 7 && memcmp(o->start, ostart, sizeof ostart) == 0, "orders ranges");
  int64_t jan1 = ts(2024, 1, 1, 0, 0, 0), feb1 = ts(2024, 2, 1, 0, 0, 0);
#define S(x) .s = x, .len = sizeof x - 1
  rt_cell wo[7][NO] = {
      /* 10: seq 8, 2, 13 */
      {{.i = 200}, {.i = ts(2023, 12, 31, 23, 59, 59)}, {.null = true}, {.i = 1}, {.null = true}, {.i = 1},
       {.null = true}, {.null = true}, {.null = true}, {.i = 8}},
      {{.i = -5}, {.i = jan1}, {.null = true}, {.i = 2}, {.null = true}, {.i = 0}, {.null = true}, {.null = true},
       {.null = true}, {.i = 2}},
      {{.i = 100}, {.i = jan1}, {S("x")}, {.i = 0}, {.i = 1}, {.i = 1}, {.null = true}, {.null = true}, {.null = true},
       {.i = 13}},
      /* 20: seq 12 */
      {{.i = 9999999999}, {.i = jan1}, {S("")}, {.i = 0}, {.i = 2147483647}, {.i = 1},
       {.i = cal_days_from_civil(2000, 2, 29)}, {.f = 0.1}, {.i = 7}, {.i = 12}},
      /* 30: seq 3, 5 (same time), 1 */
      {{.i = 0}, {.i = feb1}, {S("multi\r\nline")}, {.i = 1}, {.i = -7}, {.i = 1}, {.i = -1}, {.f = -2000.0},
       {.i = 4}, {.i = 3}},
      {{.i = 100}, {.i = feb1}, {S("zzz")}, {.i = 0}, {.i = 1}, {.i = 0}, {.null = true}, {.null = true},
       {.null = true}, {.i = 5}},
      {{.i = 1250}, {.i = ts(2024, 3, 1, 10, 0, 0)}, {S("hello, world")}, {.i = 0}, {.i = 3}, {.i = 1},
       {.i = cal_days_from_civil(2024, 3, 1)}, {.f = 1.5}, {.i = 3}, {.i = 1}},
  };
  for (uint64_t k = 0; k < 7 && k < o->nevents; k++)
    CHECK(check_event(&t, S_ORDERS, k, wo[k], "ingest orders"), "ingest orders: event %llu", (unsigned long long)k);
  const rt_stream *v = &t.streams[S_VISITS];
  static const uint64_t vstart[] = {0, 2, 2, 4, 4};
  CHECK(v->nevents == 4 && memcmp(v->start, vstart, sizeof vstart) == 0, "visits ranges");
  rt_cell wv[4][NV] = {{{S("home")}, {.i = 1}}, {{S("a,b")}, {.i = 3}}, {{S("cart")}, {.i = 2}}, {{S("alice")}, {.i = 5}}};
  for (uint64_t k = 0; k < 4 && k < v->nevents; k++)
    CHECK(check_event(&t, S_VISITS, k, wv[k], "ingest visits"), "ingest visits: event %llu", (unsigned long long)k);
  CHECK(v->nevents == 4 && rt_ev_get_i64(&t, S_VISITS, V_PAGE, 3) == rt_get_i64(&t, A_NAME, 0), "page alice == name alice");
#undef S
  rt_table_free(&t);
}

/* Events that intern no strings: the customers' dictionary and key order
 * are made while the events are still being read (rt_builder_prepare), the
 * duplicate reported then; the table is the same as always. */
static void test_ingest_prepared(void) {
  seg_field pf[2] = {fld("id", TY_INT64, false), fld("name", TY_STRING, true)};
  pf[0].key = true;
  pf[1].index = 1;
  seg_field qf[2] = {fld("at", TY_TIMESTAMP, false), fld("amount", TY_DECIMAL, true)};
  qf[1].index = 1;
  qf[1].type.prec = 10;
  qf[1].type.scale = 2;
  seg_stream ps[1] = {{.name = "buys", .fields = qf, .nfields = 2, .order = 0}};
  seg_schema s = {.name = "customer", .fields = pf, .nfields = 2, .key = 0, .streams = ps, .nstreams = 1};
  static const char customers[] = "id,name\n30,zed\n10,alice\n20,\n10,alice-dup\n40,alice\n";
  static const char buys[] = "id,at,amount\n10,2024-01-02T00:00:00Z,1.50\n99,2024-01-01T00:00:00Z,2\n"
                             "30,2024-01-01T00:00:00Z,\n10,2024-01-01T00:00:00Z,3\n";
  char people[512];
  snprintf(people, sizeof people, "%s", tpath("people.csv"));
  write_file(people, customers, sizeof customers - 1);
  write_file(tpath("buys.csv"), buys, sizeof buys - 1);
  const char *paths[1] = {tpath("buys.csv")};
  ingest_options o = {.csv_path = people, .out_path = tpath("prepared.segd"), .stream_paths = paths,
                      .on_reject = on_reject, .on_warning = on_warning};
  nrejects = nwarnings = 0;
  ingest_report rep;
  char err[512] = "";
  CHECK(ingest_csv(&s, &o, &rep, err, sizeof err), "ingest: %s", err);
  CHECK(rep.rows_kept == 4 && rep.rows_rejected == 1 && rep.events_kept == 3 && rep.events_rejected == 1,
        "rows %llu/%llu, events %llu/%llu", (unsigned long long)rep.rows_kept, (unsigned long long)rep.rows_rejected,
        (unsigned long long)rep.events_kept, (unsigned long long)rep.events_rejected);
  const reject_rec *dup = find_reject("people.csv", 5), *orphan = find_reject("buys.csv", 3);
  CHECK(nrejects == 2 && dup && strstr(dup->reason, "duplicate key, first seen on line 3") && orphan &&
            strstr(orphan->reason, "has this id"),
        "%d rejects", nrejects);
  rt_table t;
  CHECK(rt_table_open(tpath("prepared.segd"), &s, &t, err, sizeof err), "open: %s", err);
  static const char *names[] = {"alice", NULL, "zed", "alice"};
  for (uint64_t r = 0; r < 4 && t.nrecords == 4; r++) {
    CHECK(rt_get_i64(&t, 0, r) == (int64_t)(r + 1) * 10, "record %llu: key %lld", (unsigned long long)r,
          (long long)rt_get_i64(&t, 0, r));
    size_t len = 0;
    const char *name = rt_is_null(&t, 1, r) ? NULL : rt_dict_str(&t, (uint32_t)rt_get_i64(&t, 1, r), &len);
    CHECK(names[r] ? name && len == strlen(names[r]) && memcmp(name, names[r], len) == 0 : name == NULL,
          "record %llu: name %.*s", (unsigned long long)r, (int)len, name ? name : "(null)");
  }
  CHECK(t.nrecords == 4 && t.streams[0].nevents == 3, "%llu records, %llu events", (unsigned long long)t.nrecords,
        (unsigned long long)t.streams[0].nevents);
  for (uint32_t c = 1; c < t.ndict; c++) {
    size_t la, lb;
    const char *a = rt_dict_str(&t, c - 1, &la), *b = rt_dict_str(&t, c, &lb);
    int cmp = memcmp(a, b, la < lb ? la : lb);
    CHECK(cmp < 0 || (cmp == 0 && la < lb), "dictionary out of order at %u", c);
  }
  rt_table_free(&t);
}

static void test_ingest_errors(void) {
  ingest_report rep;
  char err[1024] = "";
  /* a missing column: the whole ingest fails, naming the file and the column; nothing written */
  snprintf(out_path, sizeof out_path, "%s", tpath("fail.segd"));
  static const char no_tags[] = "id,at,seq,note,chan,qty,ok,day,price,amount\n10,2024-01-01T00:00:00Z,1,,web,,,,,1\n";
  char path[512];
  snprintf(path, sizeof path, "%s", tpath("orders_notags.csv"));
  write_file(path, no_tags, sizeof no_tags - 1);
  CHECK(!run_ingest(&schema_a, path, NULL, &rep, err, sizeof err) && strstr(err, "orders_notags.csv") &&
            strstr(err, "\"tags\"") && strstr(err, "orders"),
        "missing tags: %s", err);
  CHECK(!file_exists(out_path), "no output after a failed ingest");
  static const char no_key[] = "at,seq,note,chan,qty,ok,day,price,amount,tags\n";
  snprintf(path, sizeof path, "%s", tpath("orders_nokey.csv"));
  write_file(path, no_key, sizeof no_key - 1);
  CHECK(!run_ingest(&schema_a, path, NULL, &rep, err, sizeof err) && strstr(err, "orders_nokey.csv") &&
            strstr(err, "\"id\""),
        "missing key column: %s", err);
  static const char two_missing[] = "id,page\n";
  snprintf(path, sizeof path, "%s", tpath("visits_non.csv"));
  write_file(path, two_missing, sizeof two_missing - 1);
  CHECK(!run_ingest(&schema_a, NULL, path, &rep, err, sizeof err) && strstr(err, "visits_non.csv") &&
            strstr(err, "\"n\""),
        "missing n: %s", err);
  snprintf(path, sizeof path, "%s", tpath("empty.csv"));
  write_file(path, "", 0);
  CHECK(!run_ingest(&schema_a, path, NULL, &rep, err, sizeof err) && strstr(err, "empty.csv") && strstr(err, "no header"),
        "empty events file: %s", err);
  CHECK(!run_ingest(&schema_a, tpath("nope.csv"), NULL, &rep, err, sizeof err) && strstr(err, "cannot open") &&
            strstr(err, "nope.csv"),
        "no events file: %s", err);

  /* an events file with only a header (with and without a newline) */
  snprintf(out_path, sizeof out_path, "%s", tpath("hdr.segd"));
  snprintf(path, sizeof path, "%s", tpath("orders_hdr.csv"));
  static const char only[] = "tags,price,day,ok,qty,chan,amount,note,seq,at,id";
  write_file(path, only, sizeof only - 1);
  char vpath[512];
  snprintf(vpath, sizeof vpath, "%s", tpath("visits_hdr.csv"));
  write_file(vpath, "id,page,n\r\n", 11);
  bool ok = run_ingest(&schema_a, path, vpath, &rep, err, sizeof err);
  CHECK(ok && rep.events_read == 0 && rep.events_kept == 0 && rep.events_rejected == 0 && rep.rows_kept == 4 &&
            nrejects == 3 && nwarnings == 0,
        "header-only events: %s (read %llu)", err, (unsigned long long)rep.events_read);
  char *bad = read_file(tpath("bad.orders.csv"), NULL);
  CHECK(bad && strcmp(bad, "tags,price,day,ok,qty,chan,amount,note,seq,at,id\n") == 0, "header-only bad rows: %s",
        bad ? bad : "(none)");
  free(bad);
  rt_table t;
  if (ok && rt_table_open(out_path, &schema_a, &t, err, sizeof err)) {
    CHECK(t.nrecords == 4 && t.streams[0].nevents == 0 && t.streams[1].nevents == 0 && t.streams[0].start[4] == 0,
          "header-only: empty streams");
    rt_table_free(&t);
  } else {
    CHECK(false, "open header-only: %s", err);
  }

  /* a string key, a stream without a file */
  snprintf(cust_path, sizeof cust_path, "%s", tpath("people.csv"));
  static const char people[] = "score,email\n1,b@x\n,a@x\n3,\"\"\n";
  write_file(cust_path, people, sizeof people - 1);
  snprintf(path, sizeof path, "%s", tpath("clicks.csv"));
  static const char clicks[] = "email,day,url,seq\n"
                               "a@x,2024-01-02,u1,1\n"
                               "c@x,2024-01-02,u2,2\n" /* 3: orphan */
                               "b@x,2024-01-01,,3\n"
                               "a@x,2023-06-30,\"\",4\n"
                               "\"\",1960-01-01,b@x,5\n"
                               "a@x,2024-01-02,u1,6\n";
  write_file(path, clicks, sizeof clicks - 1);
  snprintf(out_path, sizeof out_path, "%s", tpath("people.segd"));
  ok = run_ingest(&schema_b, path, NULL, &rep, err, sizeof err);
  CHECK(ok && rep.events_read == 6 && rep.events_kept == 5 && rep.events_rejected == 1 && nrejects == 1 &&
            find_reject("clicks.csv", 3) && find_reject("clicks.csv", 3)->col == 1,
        "string key ingest: %s", err);
  if (ok && rt_table_open(out_path, &schema_b, &t, err, sizeof err)) {
    static const uint64_t start[] = {0, 1, 4, 5};
    CHECK(t.nrecords == 3 && t.streams[0].nevents == 5 && memcmp(t.streams[0].start, start, sizeof start) == 0,
          "string key ranges");
    static const int64_t seqs[] = {5, 4, 1, 6, 3};
    for (uint64_t k = 0; k < 5 && k < t.streams[0].nevents; k++)
      CHECK(rt_ev_get_i64(&t, 0, K_SEQ, k) == seqs[k], "string key event %llu", (unsigned long long)k);
    CHECK(strcmp(ev_s(&t, 0, K_URL, 0), "b@x") == 0 && rt_ev_get_i64(&t, 0, K_URL, 0) == rt_get_i64(&t, B_EMAIL, 2) &&
              !rt_ev_is_null(&t, 0, K_URL, 1) && strcmp(ev_s(&t, 0, K_URL, 1), "") == 0 && rt_ev_is_null(&t, 0, K_URL, 4),
          "string key urls");
    rt_table_free(&t);
  } else {
    CHECK(false, "open people: %s", err);
  }
}

int main(void) {
  if (!unit_tmpdir("segc_test_streams")) return 2;
  make_schema_a();
  make_schema_b();
  test_builder_small();
  test_builder_string_key();
  test_builder_big();
  test_builder_edges();
  test_segd();
  test_ingest();
  test_ingest_prepared();
  test_ingest_errors();
  unit_rmtmp();
  printf("test_streams: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
