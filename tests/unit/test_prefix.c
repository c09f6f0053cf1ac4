/* tests/unit/test_prefix.c — prefix tests as ranges of dictionary codes
 * (compiler/lower_prefix.c, exec.c prefix_range): starts_with of a string
 * field, and matches of patterns whose matches are the strings with one of
 * a few prefixes, over strings on both sides of every range's ends (the
 * empty prefix, a prefix that is a whole string, one no string has, one
 * ending in the largest UTF-8 bytes, nulls), across two blocks.  The JIT's
 * member counts must equal the interpreter's and a direct count (memcmp,
 * regexec). */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "runtime/table.h"
#include "segc.h"
#include "unit.h"

#define MAXC "\xF4\x8F\xBF\xBF" /* U+10FFFF */

static const char *POOL[] = {"", "a", "ab", "ab ", "abc", "abd", "ab\xC3\xBF", "ab" MAXC, "ac", "b", "in", "info",
                             "info@", "info@x.de", "infoz@", "sales@y", "Sales@y", "admin@", "office", "office@a",
                             "contact@", "contact", "z", "zz", "zzz", MAXC, MAXC "a"};
#define NPOOL (int)(sizeof POOL / sizeof *POOL)

/* each segment: a prefix (starts_with) or a pattern (matches) of s; t is the other field */
static const struct {
  const char *name, *rule, *prefix, *pattern;
} SEGS[] = {
    {"p_ab", "starts_with(s, \"ab\")", "ab", NULL},
    {"p_empty", "starts_with(s, \"\")", "", NULL},
    {"p_abc", "starts_with(s, \"abc\")", "abc", NULL},
    {"p_info", "starts_with(s, \"info@\")", "info@", NULL},
    {"p_none", "starts_with(s, \"nothere\")", "nothere", NULL},
    {"p_whole", "starts_with(s, \"zz\")", "zz", NULL},
    {"p_max", "starts_with(s, \"" MAXC "\")", MAXC, NULL},
    {"p_abmax", "starts_with(s, \"ab" MAXC "\")", "ab" MAXC, NULL},
    {"r_role", "matches(s, \"^(info|sales|admin|office|contact)@\")", NULL, "^(info|sales|admin|office|contact)@"},
    {"r_ab", "matches(s, \"^a[b-c]\")", NULL, "^a[b-c]"},
    {"r_in", "matches(s, \"^(info|in)\")", NULL, "^(info|in)"},
};
#define NSEG (int)(sizeof SEGS / sizeof *SEGS)

int main(void) {
  if (!unit_tmpdir("segc-prefix")) return 2;
  const char *schema = "schema customer {\n  id : int64 key\n  s : string?\n  t : string\n}\n";
  write_file(tpath("schema.seg"), schema, strlen(schema));
  char rules[4096] = "import \"schema.seg\"\n";
  for (int k = 0; k < NSEG; k++)
    snprintf(rules + strlen(rules), sizeof rules - strlen(rules), "segment %s = %s\n", SEGS[k].name, SEGS[k].rule);
  /* and with the other field, nulls and not around them */
  strcat(rules, "segment mixed = not starts_with(s, \"ab\") and starts_with(t, \"z\")\n"
                "segment unknown = starts_with(s, \"ab\") is null\n");
  write_file(tpath("rules.seg"), rules, strlen(rules));
  seg_field f[3] = {fld("id", TY_INT64, false), fld("s", TY_STRING, true), fld("t", TY_STRING, false)};
  f[0].key = true;
  seg_schema sc = {.fields = f, .nfields = 3, .key = 0};
  rt_builder *b = rt_builder_new(&sc);
  uint64_t want[NSEG + 2] = {0}, n = 6000;
  regex_t re[NSEG];
  for (int k = 0; k < NSEG; k++)
    if (SEGS[k].pattern) CHECK(regcomp(&re[k], SEGS[k].pattern, REG_EXTENDED | REG_NOSUB) == 0, "regcomp %s", SEGS[k].pattern);
  for (uint64_t r = 0; r < n; r++) {
    const char *s = POOL[(r * 7) % NPOOL], *t = POOL[(r * 11 + 3) % NPOOL];
    bool null = r % 9 == 4;
    rt_cell c[3] = {{.i = (int64_t)r + 1}, {.null = null, .s = s, .len = strlen(s)}, {.s = t, .len = strlen(t)}};
    rt_builder_add(b, c, r + 2);
    bool ab = strncmp(s, "ab", 2) == 0;
    want[NSEG] += !null && !ab && t[0] == 'z';
    want[NSEG + 1] += null;
    for (int k = 0; k < NSEG && !null; k++)
      want[k] += SEGS[k].prefix ? strncmp(s, SEGS[k].prefix, strlen(SEGS[k].prefix)) == 0
                                : regexec(&re[k], s, 0, NULL, 0) == 0;
  }
  for (int k = 0; k < NSEG; k++)
    if (SEGS[k].pattern) regfree(&re[k]);
  rt_table t;
  char err[1024];
  rt_builder_finish(b, &t, NULL, NULL);
  CHECK(rt_table_write(&t, tpath("data.segd"), err, sizeof err), "write: %s", err);
  rt_table_free(&t);
  const char *rp = tpath("rules.seg");
  segc_program *p = segc_load(&rp, 1);
  CHECK(p && segc_error_count(p) == 0, "rules load");
  for (int interp = 0; p && interp < 2; interp++) {
    segc_run_options o = {.as_of = "2026-11-23T00:00:00Z", .threads = 1, .interpreter = interp == 1};
    segc_report r;
    bool ran = segc_run(p, tpath("data.segd"), &o, &r, err, sizeof err);
    CHECK(ran, "run (%s): %s", interp ? "interpreter" : "JIT", err);
    if (!ran) continue;
    CHECK(r.nsegments == NSEG + 2, "%d segments", r.nsegments);
    for (int k = 0; k < r.nsegments && k < NSEG + 2; k++)
      CHECK(r.segments[k].members == want[k], "%s (%s): %llu members, %llu expected", r.segments[k].name,
            interp ? "interpreter" : "JIT", (unsigned long long)r.segments[k].members, (unsigned long long)want[k]);
    segc_report_free(&r);
  }
  CHECK(want[0] > 0 && want[3] > 0 && want[4] == 0 && want[6] > 0 && want[7] > 0 && want[8] > 0, "the data is around the ranges");
  segc_free(p);
  printf("test_prefix: %d checks, %d failed\n", checks, failures);
  unit_rmtmp();
  return failures != 0;
}
