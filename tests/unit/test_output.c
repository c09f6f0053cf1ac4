/* tests/unit/test_output.c — the .ids files through the public API: for an
 * integer key (negative, wide and across several blocks), an int32 key whose
 * blocks are all negative, all of one length and across 10^6, a string key
 * and a date key, every segment's file lists exactly its members' keys in key
 * order, one per line, with 1 and 2 threads.  Self-checking: the expected
 * lists are computed here from the generated rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segc.h"
#include "unit.h"

enum { N = 9001 }; /* three blocks, the last one partial */

static void write_text(const char *path, const char *text) { write_file(path, text, strlen(text)); }

/* the i-th key as written in the CSV and expected in the .ids files */
static const char *key_text(const char *type, int i, char *buf, size_t size) {
  if (strcmp(type, "int64") == 0) snprintf(buf, size, "%lld", (long long)(i - 4500) * 2047483647LL);
  else if (strcmp(type, "int32") == 0) /* blocks: -900000.., 104096.., 999500..1000308 */
    snprintf(buf, size, "%d", i < 4096 ? i - 900000 : i < 8192 ? 100000 + i : 999500 + (i - 8192));
  else if (strcmp(type, "string") == 0) snprintf(buf, size, "k%05d", i);
  else snprintf(buf, size, "%04d-%02d-%02d", 2000 + i / 336, 1 + i / 28 % 12, 1 + i % 28);
  return buf;
}

static void check_key(const char *type) {
  char schema[256], path[512], err[1024];
  snprintf(schema, sizeof schema, "schema customer {\n  id : %s key\n  v : int64\n}\n", type);
  write_text(tpath("schema.seg"), schema);
  write_text(tpath("rules.seg"), "import \"schema.seg\"\nsegment everyone = true\nsegment odd = v % 2 == 1\n"
                                 "segment none = v < 0\nsegment tens = v % 10 == 0\n");
  FILE *c = fopen(tpath("customers.csv"), "w");
  fputs("id,v\n", c);
  char key[64];
  for (int i = 0; i < N; i++) fprintf(c, "%s,%d\n", key_text(type, i, key, sizeof key), i * 7 % 1000);
  fclose(c);
  const char *sp = tpath("schema.seg"), *rp = tpath("rules.seg");
  segc_program *s = segc_load(&sp, 1);
  segc_ingest_options io = {tpath("customers.csv"), tpath("data.segd"), NULL, 0, NULL, NULL, NULL, NULL, NULL};
  segc_ingest_report irep;
  CHECK(segc_ingest(s, &io, &irep, err, sizeof err), "%s ingest: %s", type, err);
  segc_free(s);
  segc_program *p = segc_load(&rp, 1);
  for (int threads = 1; threads <= 2; threads++) {
    snprintf(path, sizeof path, "%s/out-%s-%d", tmpdir, type, threads);
    segc_run_options o = {.as_of = "2026-11-23", .threads = threads, .out_dir = path};
    segc_report r;
    bool ran = segc_run(p, tpath("data.segd"), &o, &r, err, sizeof err);
    CHECK(ran, "%s run: %s", type, err);
    if (!ran) continue;
    segc_report_free(&r);
    static const char *segs[] = {"everyone", "odd", "none", "tens"};
    for (int k = 0; k < 4; k++) {
      /* the keys sort as the rows were generated, for all three types */
      size_t cap = (size_t)N * 32, n = 0;
      char *want = malloc(cap);
      for (int i = 0; i < N; i++) {
        int v = i * 7 % 1000;
        bool in = k == 0 || (k == 1 && v % 2 == 1) || (k == 3 && v % 10 == 0);
        if (in) n += (size_t)snprintf(want + n, cap - n, "%s\n", key_text(type, i, key, sizeof key));
      }
      char file[600];
      snprintf(file, sizeof file, "%s/%s.ids", path, segs[k]);
      size_t got_n;
      char *got = read_file(file, &got_n);
      CHECK(got && got_n == n && memcmp(got, want, n) == 0, "%s key, %d threads: %s.ids differs (%zu bytes, want %zu)",
            type, threads, segs[k], got ? got_n : 0, n);
      free(got);
      free(want);
    }
  }
  segc_free(p);
}

int main(void) {
  if (!unit_tmpdir("segc-output")) return 2;
  check_key("int64");
  check_key("int32");
  check_key("string");
  check_key("date");
  printf("test_output: %d checks, %d failed\n", checks, failures);
  unit_rmtmp();
  return failures != 0;
}
