/* tests/unit/test_prefetch.c — the lines the main loops prefetch of the
 * next block (lower_prefetch_ahead in compiler/lower.c): for packs reading
 * different fields, the offsets in the generated code's `ahead` tables are
 * exactly the cache lines of those fields' columns (values and null bytes)
 * in the block layout (runtime/layout.c), each at least once.  Run at the
 * host's vector width and (ctest) with SEGC_LANES=1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/table.h"
#include "segc.h"
#include "unit.h"

static const char *SCHEMA = "schema customer {\n"
                            "  id : int64 key\n"
                            "  a  : int32?\n"
                            "  b  : float64\n"
                            "  s  : string?\n"
                            "  c  : bool\n"
                            "}\n";
enum { F_ID, F_A, F_B, F_S, F_C, NF };

/* the layout of SCHEMA, from the same rules as the real one */
static rt_layout layout(void) {
  static seg_field f[NF];
  f[F_ID] = fld("id", TY_INT64, false);
  f[F_ID].key = true;
  f[F_A] = fld("a", TY_INT32, true);
  f[F_B] = fld("b", TY_FLOAT64, false);
  f[F_S] = fld("s", TY_STRING, true);
  f[F_C] = fld("c", TY_BOOL, false);
  seg_schema s = {.name = "customer", .fields = f, .nfields = NF, .key = F_ID};
  rt_layout l;
  rt_layout_init(&l, &s);
  return l;
}

/* marks in want[] the lines of field f's columns */
static void want_field(const rt_layout *l, int f, int width, unsigned char *want) {
  for (uint32_t at = l->val_off[f]; at < l->val_off[f] + (uint32_t)width * RT_BLOCK; at += 64) want[at / 64] = 1;
  if (l->null_off[f] != RT_NO_NULLS)
    for (uint32_t at = l->null_off[f]; at < l->null_off[f] + RT_BLOCK; at += 64) want[at / 64] = 1;
}

/* got[]: how often each line is in the `ahead` tables of the IR of rules;
 * false when it cannot be emitted */
static bool prefetched(const char *rules, const rt_layout *l, unsigned *got, int *stray) {
  write_file(tpath("rules.seg"), rules, strlen(rules));
  const char *path = tpath("rules.seg");
  segc_program *p = segc_load(&path, 1);
  char *ir = NULL, err[512];
  size_t len = 0;
  FILE *out = open_memstream(&ir, &len);
  bool ok = p && out && segc_emit(p, false, out, err, sizeof err);
  if (out) fclose(out);
  CHECK(ok, "emit: %s", p ? err : "load failed");
  *stray = 0;
  for (char *line = ir; ok && line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, "@ahead", 6) != 0) continue;
    char *end = strchr(line, '\n'), *at = strstr(line, "] [");
    for (char *q = at; q && (!end || q < end) && (q = strstr(q, "i32 ")) && (!end || q < end); q += 4) {
      unsigned long off = strtoul(q + 4, NULL, 10);
      if (off % 64 || off >= l->block_bytes) (*stray)++;
      else got[off / 64]++;
    }
  }
  free(ir);
  segc_free(p);
  return ok;
}

static void expect(const char *name, const char *rules, const int *fields, const int *widths, int n) {
  rt_layout l = layout();
  uint32_t lines = l.block_bytes / 64;
  unsigned char *want = calloc(lines, 1);
  unsigned *got = calloc(lines, sizeof *got);
  for (int i = 0; i < n; i++) want_field(&l, fields[i], widths[i], want);
  int stray, missing = 0, extra = 0;
  if (prefetched(rules, &l, got, &stray)) {
    for (uint32_t k = 0; k < lines; k++) {
      missing += want[k] && !got[k];
      extra += !want[k] && got[k];
    }
    CHECK(stray == 0, "%s: %d offsets off the block's lines", name, stray);
    CHECK(missing == 0, "%s: %d lines of the fields read are not prefetched", name, missing);
    CHECK(extra == 0, "%s: %d lines of other fields are prefetched", name, extra);
  }
  free(want);
  free(got);
  rt_layout_free(&l);
}

int main(void) {
  if (!unit_tmpdir("segc-prefetch")) return 2;
  write_file(tpath("schema.seg"), SCHEMA, strlen(SCHEMA));

  expect("one nullable int32", "import \"schema.seg\"\nsegment only_a = a > 3\n", (int[]){F_A}, (int[]){4}, 1);
  expect("a reference and two more fields",
         "import \"schema.seg\"\nsegment only_a = a > 3\nsegment more = only_a or (b > 1.5 and c)\n",
         (int[]){F_A, F_B, F_C}, (int[]){4, 8, 1}, 3);
  expect("a child segment and a string", /* the codes are read before the block (exec.c): prefetched too */
         "import \"schema.seg\"\nsegment big = b > 10 {\n  segment x = starts_with(s, \"x\")\n}\n",
         (int[]){F_B, F_S}, (int[]){8, 4}, 2);
  expect("many loops", /* more outputs than one loop computes: the loops share the lines */
         "import \"schema.seg\"\n"
         "segment s1 = a > 1\nsegment s2 = a > 2\nsegment s3 = a > 3\nsegment s4 = a > 4\nsegment s5 = a > 5\n"
         "segment s6 = a > 6\nsegment s7 = a > 7\nsegment s8 = a > 8\nsegment s9 = a > 9\nsegment s10 = a > 10\n"
         "segment s11 = a > 11\nsegment s12 = a > 12\nsegment s13 = a > 13\nsegment s14 = a > 14\n"
         "segment s15 = a > 15\nsegment s16 = a > 16\nsegment s17 = b > 17\nsegment s18 = b > 18\n"
         "segment s19 = id > 19\nsegment s20 = c\n",
         (int[]){F_A, F_B, F_ID, F_C}, (int[]){4, 8, 8, 1}, 4);

  printf("test_prefetch: %d checks, %d failed\n", checks, failures);
  unit_rmtmp();
  return failures ? 1 : 0;
}
