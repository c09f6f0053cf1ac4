/* tests/unit/test_ratio.c — ratio comparisons decided without dividing
 * (compiler/lower_ratio.c) over the values a decimal(p,s) can hold, and
 * over a file that holds more digits than that.  The tables are built with
 * the builder, which does not check precision.  Within precision (up to
 * the bounds, quotients of exactly the number, zero divisors, nulls) the
 * JIT's member counts must equal the interpreter's; with one value beyond
 * it among them (which ingest never writes) the JIT's run must fail and
 * name the field, where dividing would have been exact and the integer test
 * may not (2^62 + 1 over 2^61 is 2.0 in double). */
#include <stdio.h>
#include <string.h>

#include "runtime/table.h"
#include "segc.h"
#include "unit.h"

static const char *RULES = "import \"schema.seg\"\n"
                           "segment ge2 = a / b >= 2\n"
                           "segment eq2 = a / b == 2\n"
                           "segment gt2 = 2 < a / b\n"
                           "segment quarter = a / b <= 0.25\n"
                           "segment mixed = (a + b) / i != -1.5\n";
#define NSEG 5

int main(void) {
  if (!unit_tmpdir("segc-ratio")) return 2;
  const char *schema = "schema customer {\n  id : int64 key\n  a : decimal(4,2)\n  b : decimal(4,2)?\n  i : int32\n}\n";
  write_file(tpath("schema.seg"), schema, strlen(schema));
  write_file(tpath("rules.seg"), RULES, strlen(RULES));
  seg_field f[4] = {fld("id", TY_INT64, false), fld("a", TY_DECIMAL, false), fld("b", TY_DECIMAL, true), fld("i", TY_INT32, false)};
  f[0].key = true;
  f[1].type.prec = f[2].type.prec = 4, f[1].type.scale = f[2].type.scale = 2;
  seg_schema s = {.fields = f, .nfields = 4, .key = 0};
  const char *rp = tpath("rules.seg");
  segc_program *p = segc_load(&rp, 1);
  char err[1024];
  for (int corrupt = 0; p && corrupt < 2; corrupt++) {
    rt_builder *b = rt_builder_new(&s);
    uint64_t n = 0;
    for (int64_t r = 0; r < 5000; r++) { /* the far pair (corrupt) in one lane of one iteration */
      rt_cell c[4] = {{.i = r + 1}, {.i = (r * 7919) % 19999 - 9999}, {.i = (r * 104729) % 19999 - 9999}, {.i = (int64_t)(r % 7) - 3}};
      if (r % 11 == 0) c[2].i = 2 * c[1].i / 4; /* quotients of exactly 2 */
      if (r % 13 == 0) c[2] = (rt_cell){.null = true};
      if (r % 17 == 0) c[2].i = 0;
      if (r == 1000 || r == 1001) c[1].i = r == 1000 ? 9999 : -9999; /* the bounds */
      if (corrupt && r == 3001) c[1].i = (INT64_C(1) << 62) + 1, c[2].i = INT64_C(1) << 61;
      rt_builder_add(b, c, (uint64_t)r + 2);
      n++;
    }
    rt_table t;
    rt_builder_finish(b, &t, NULL, NULL);
    CHECK(rt_table_write(&t, tpath("data.segd"), err, sizeof err), "write: %s", err);
    rt_table_free(&t);
    uint64_t members[2][NSEG] = {{0}};
    for (int interp = 0; interp < 2; interp++) {
      segc_run_options o = {.as_of = "2026-11-23T00:00:00Z", .threads = 1, .interpreter = interp == 1};
      segc_report r;
      bool ran = segc_run(p, tpath("data.segd"), &o, &r, err, sizeof err);
      if (corrupt && !interp) {
        CHECK(!ran && strstr(err, "corrupt") && strstr(err, "field \"a\""), "a decimal beyond its precision: %s", ran ? "ran" : err);
        if (ran) segc_report_free(&r);
        continue;
      }
      CHECK(ran, "run (%s): %s", interp ? "interpreter" : "JIT", err);
      if (!ran) continue;
      CHECK(r.records == n && r.nsegments == NSEG, "%llu records, %d segments", (unsigned long long)r.records, r.nsegments);
      for (int k = 0; k < r.nsegments && k < NSEG; k++) members[interp][k] = r.segments[k].members;
      segc_report_free(&r);
    }
    for (int k = 0; !corrupt && k < NSEG; k++)
      CHECK(members[0][k] == members[1][k], "segment %d: the JIT finds %llu members, the interpreter %llu", k,
            (unsigned long long)members[0][k], (unsigned long long)members[1][k]);
    CHECK(corrupt || (members[1][1] > 0 && members[1][3] > 0), "the data holds quotients of exactly 2 and below 0.25");
  }
  segc_free(p);
  printf("test_ratio: %d checks, %d failed\n", checks, failures);
  unit_rmtmp();
  return failures != 0;
}
