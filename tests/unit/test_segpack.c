/* tests/unit/test_segpack.c — prebuilt packs through the public API:
 * `segc build` output runs without compiling and selects exactly what the
 * compiled sources select (lifts, slow string expressions and aggregates
 * included, and a prefix test's strings), run after run (the lift plans
 * are made once, at load); the pack is self-contained (its sources may be gone); a pack
 * for another machine or segc is compiled instead, with a note; a corrupt,
 * truncated or foreign file, or one whose machine code or program image is
 * damaged under a valid checksum, is refused with a message.  Self-checking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang/bytes.h"
#include "segc.h"
#include "unit.h"

static void write_text(const char *path, const char *text) { write_file(path, text, strlen(text)); }

static unsigned char *read_bytes(const char *path, size_t *n) { return (unsigned char *)read_file(path, n); }

static void write_bytes(const char *path, const unsigned char *p, size_t n) { write_file(path, p, n); }

/* the pack's trailing checksum (bytes_hash over the bytes before it), recomputed */
static void reseal(unsigned char *p, size_t n) {
  uint64_t h = bytes_hash(BYTES_HASH_SEED, p, n - 8);
  for (int i = 0; i < 8; i++) p[n - 8 + i] = (unsigned char)(h >> (8 * i));
}

static uint64_t le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* Where the program image starts in a pack (docs/segpack-format.md). */
static size_t image_at(const unsigned char *p) {
  size_t at = 16;
  at += 8 + le64(p + at); /* host */
  for (int k = 0; k < 2; k++) { /* roots: one string each; sources: a path and a text each */
    uint32_t n = (uint32_t)le64(p + at);
    at += 4;
    for (uint32_t i = 0; i < n * (k ? 2 : 1); i++) at += 8 + le64(p + at);
  }
  return at + 8;
}

/* Runs a program over the data; returns every segment's count joined. */
static char *counts(segc_program *p, const char *out_dir) {
  segc_run_options o = {.as_of = "2026-11-23T00:00:00Z", .threads = 2, .out_dir = out_dir};
  segc_report r;
  char err[1024];
  static char text[4096];
  text[0] = 0;
  if (!segc_run(p, tpath("data.segd"), &o, &r, err, sizeof err)) {
    snprintf(text, sizeof text, "run failed: %s", err);
    return text;
  }
  size_t n = 0;
  for (int k = 0; k < r.nsegments; k++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%s=%llu ", r.segments[k].name, (unsigned long long)r.segments[k].members);
  segc_report_free(&r);
  return text;
}

static void setup(void) {
  write_text(tpath("schema.seg"), "schema customer {\n"
                               "  id    : int64 key\n"
                               "  city  : string\n"
                               "  email : string?\n"
                               "  spent : decimal(12,2)\n"
                               "  stream events {\n"
                               "    name   : enum(purchase, visit)\n"
                               "    at     : timestamp\n"
                               "    amount : decimal(12,2)?\n"
                               "  }\n"
                               "}\n");
  write_text(tpath("rules.seg"), "import \"schema.seg\"\n"
                              "segment paris = city == \"Paris\"\n"
                              "segment named = contains(email ?? \"\", city)\n"
                              "segment buyers = sum(events.amount where name == purchase) > 10\n"
                              "segment recent = exists(events where at >= now - 7d) and spent > 5\n"
                              "segment lyon_mail = ends_with(lower(email), \"@lyon.fr\") and matches(email, \"^some(one)?@\")\n"
                              "segment someone = matches(email, \"^some(one)?@\")\n");
  FILE *c = fopen(tpath("customers.csv"), "w"), *e = fopen(tpath("events.csv"), "w");
  fputs("id,city,email,spent\n", c);
  fputs("id,name,at,amount\n", e);
  static const char *cities[] = {"Paris", "Lyon", "Nice", "Oslo"};
  for (int i = 1; i <= 3000; i++) {
    fprintf(c, "%d,%s,%s,%d.%02d\n", i, cities[i % 4], i % 3 ? "someone@lyon.fr" : "", i % 50, i % 100);
    for (int k = 0; k < i % 5; k++)
      fprintf(e, "%d,%s,2026-11-%02d 10:00:00,%s\n", i, k % 2 ? "visit" : "purchase", 1 + (i + k) % 22,
              k % 3 ? "7.50" : "");
  }
  fclose(c);
  fclose(e);
  const char *names[] = {"events"}, *paths[] = {tpath("events.csv")};
  segc_ingest_options io = {tpath("customers.csv"), tpath("data.segd"), NULL, 1, names, paths, NULL, NULL, NULL};
  segc_ingest_report rep;
  char err[1024];
  const char *schema = tpath("schema.seg");
  segc_program *s = segc_load(&schema, 1);
  if (!segc_ingest(s, &io, &rep, err, sizeof err)) {
    fprintf(stderr, "ingest: %s\n", err);
    exit(2);
  }
  segc_free(s);
}

int main(void) {
  if (!unit_tmpdir("segc-segpack")) return 2;
  setup();
  char err[1024], note[1024];

  /* build, then run the pack and the sources */
  const char *rules = tpath("rules.seg");
  segc_program *src = segc_load(&rules, 1);
  CHECK(segc_error_count(src) == 0, "rules load");
  CHECK(segc_build(src, tpath("r.segpack"), err, sizeof err), "build: %s", err);
  char expected[4096];
  snprintf(expected, sizeof expected, "%s", counts(src, tpath("out-src")));
  segc_free(src);
  CHECK(strstr(expected, "paris=750 ") != NULL && strstr(expected, "lyon_mail=2000 ") != NULL &&
            strstr(expected, "someone=2000 ") != NULL,
        "counts from the sources: %s", expected);

  /* self-contained: the sources are gone */
  unlink(tpath("rules.seg"));
  unlink(tpath("schema.seg"));
  segc_program *pk = segc_load_pack(tpath("r.segpack"), note, sizeof note, err, sizeof err);
  CHECK(pk != NULL, "load: %s", err);
  CHECK(note[0] == 0, "no note for a fresh pack: %s", note);
  if (pk) { /* twice: the second run uses the lift plans the load made, as the first did */
    const char *got = counts(pk, tpath("out-pack"));
    CHECK(strcmp(got, expected) == 0, "pack counts %s, sources %s", got, expected);
    got = counts(pk, tpath("out-pack"));
    CHECK(strcmp(got, expected) == 0, "second run of the pack: counts %s, sources %s", got, expected);
    segc_free(pk);
  }
  size_t na, nb;
  unsigned char *a = read_bytes(tpath("out-src/named.ids"), &na), *b = read_bytes(tpath("out-pack/named.ids"), &nb);
  CHECK(a && b && na == nb && memcmp(a, b, na) == 0, "named.ids identical");
  free(a);
  free(b);

  size_t n;
  unsigned char *orig = read_bytes(tpath("r.segpack"), &n), *p = malloc(n);

  /* another machine / LLVM: the host text differs (it starts at byte 24) */
  memcpy(p, orig, n);
  p[24] ^= 0x20;
  reseal(p, n);
  write_bytes(tpath("foreign.segpack"), p, n);
  pk = segc_load_pack(tpath("foreign.segpack"), note, sizeof note, err, sizeof err);
  CHECK(pk != NULL && strstr(note, "another machine") != NULL, "foreign pack note: %s / %s", note, err);
  if (pk) {
    const char *got = counts(pk, NULL);
    CHECK(strcmp(got, expected) == 0, "foreign pack compiled: %s", got);
    segc_free(pk);
  }

  /* another segc build: the key differs (bytes 8..15) */
  memcpy(p, orig, n);
  p[9] ^= 1;
  reseal(p, n);
  write_bytes(tpath("stale.segpack"), p, n);
  pk = segc_load_pack(tpath("stale.segpack"), note, sizeof note, err, sizeof err);
  CHECK(pk != NULL && strstr(note, "another segc") != NULL, "stale pack note: %s / %s", note, err);
  segc_free(pk);

  /* refusals */
  memcpy(p, orig, n);
  p[n / 2] ^= 0x55;
  write_bytes(tpath("corrupt.segpack"), p, n);
  CHECK(segc_load_pack(tpath("corrupt.segpack"), note, sizeof note, err, sizeof err) == NULL && strstr(err, "corrupt"),
        "corrupt: %s", err);
  /* sealed, but its machine code damaged: the loader refuses it, naming the file */
  unsigned char *elf = memmem(orig, n, "\x7f" "ELF", 4);
  CHECK(elf != NULL, "no ELF object in the pack");
  if (elf) {
    memcpy(p, orig, n);
    p[(size_t)(elf - orig) + 18] ^= 0xff; /* e_machine */
    reseal(p, n);
    write_bytes(tpath("badcode.segpack"), p, n);
    CHECK(segc_load_pack(tpath("badcode.segpack"), note, sizeof note, err, sizeof err) == NULL &&
              strstr(err, "badcode.segpack: cannot load the pack's machine code"),
          "damaged code: %s", err);
  }
  /* sealed, but its program image damaged (a node count of 0): refused */
  memcpy(p, orig, n);
  memset(p + image_at(orig), 0, 4);
  reseal(p, n);
  write_bytes(tpath("badimage.segpack"), p, n);
  CHECK(segc_load_pack(tpath("badimage.segpack"), note, sizeof note, err, sizeof err) == NULL &&
            strstr(err, "badimage.segpack is corrupt (bad program section)"),
        "damaged image: %s", err);
  write_bytes(tpath("short.segpack"), orig, n / 3);
  CHECK(segc_load_pack(tpath("short.segpack"), note, sizeof note, err, sizeof err) == NULL, "truncated refused");
  write_bytes(tpath("data.segpack"), (const unsigned char *)"SEGD and more", 13);
  CHECK(segc_load_pack(tpath("data.segpack"), note, sizeof note, err, sizeof err) == NULL && strstr(err, "not a segc pack"),
        "not a pack: %s", err);
  CHECK(segc_load_pack(tpath("missing.segpack"), note, sizeof note, err, sizeof err) == NULL && strstr(err, "cannot open"),
        "missing: %s", err);
  /* every truncation point is refused without a crash */
  for (size_t cut = 0; cut < n; cut += n / 97 + 1) {
    write_bytes(tpath("cut.segpack"), orig, cut);
    segc_program *q = segc_load_pack(tpath("cut.segpack"), note, sizeof note, err, sizeof err);
    CHECK(q == NULL, "cut at %zu accepted", cut);
    segc_free(q);
  }
  free(orig);
  free(p);

  if (failures) fprintf(stderr, "%d of %d checks failed (files kept in %s)\n", failures, checks, tmpdir);
  else printf("%d checks passed\n", checks);
  unit_rmtmp();
  return failures ? 1 : 0;
}
