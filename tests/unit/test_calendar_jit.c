/* tests/unit/test_calendar_jit.c — the generated code's calendar (the
 * division-free civil() of compiler/lower.c, days and hours of timestamps,
 * weekdays, ages and an age modulo a constant) against stdlib/calendar.c,
 * through the public API: every day of the years 1890 to 2110, every 13th
 * day of the years 1 to 9999, and the first and last 400 days of that range,
 * each also as a timestamp at midnight and at its last second.  Each
 * segment states one property that must hold for every record; the expected
 * values are computed here with calendar.c.  Run at the host's vector width
 * and (ctest) with SEGC_LANES=1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segc.h"
#include "stdlib/calendar.h"
#include "unit.h"

#define LAST_SEC "(d + 86399s)"
static const char *RULES =
    "import \"schema.seg\"\n"
    "segment ymd = year(d) * 100000 + month(d) * 1000 + day(d) * 10 + weekday(d) == want\n"
    "segment last_second = year" LAST_SEC " * 100000 + month" LAST_SEC " * 1000 + day" LAST_SEC " * 10"
    " + weekday(date" LAST_SEC ") == want and hour" LAST_SEC " == 23 and date" LAST_SEC " == d\n"
    "segment midnight = date(d + 0s) == d and hour(d + 0s) == 0 and days_since(d + 0s) == days_since(d)\n"
    "segment ages = age_years(d) == age\n"
    "segment age_digits = age_years(d) % 10 == age % 10 and age_years(d) % 7 == age % 7\n";
static const char *SEGMENTS[] = {"ymd", "last_second", "midnight", "ages", "age_digits"};

int main(void) {
  if (!unit_tmpdir("segc-calendar")) return 2;
  const char *schema = "schema customer {\n  d : date key\n  want : int64\n  age : int64\n}\n";
  write_file(tpath("schema.seg"), schema, strlen(schema));
  write_file(tpath("rules.seg"), RULES, strlen(RULES));

  int64_t first = cal_days_from_civil(1, 1, 1), last = cal_days_from_civil(9999, 12, 31);
  int64_t from = cal_days_from_civil(1890, 1, 1), to = cal_days_from_civil(2110, 12, 31);
  int64_t today = cal_days_from_civil(2026, 11, 23);
  FILE *c = fopen(tpath("customers.csv"), "w");
  fputs("d,want,age\n", c);
  uint64_t n = 0;
  for (int64_t x = first; x <= last; x++) {
    if (!((x >= from && x <= to) || x % 13 == 0 || x < first + 400 || x > last - 400)) continue;
    int64_t y;
    unsigned m, d;
    cal_civil_from_days(x, &y, &m, &d);
    char buf[16];
    fprintf(c, "%s,%lld,%lld\n", cal_format_date(x, buf, sizeof buf), (long long)((y * 100 + m) * 1000 + d * 10 + (unsigned)cal_weekday(x)),
            (long long)cal_age_years(x, today));
    n++;
  }
  fclose(c);

  char err[1024];
  const char *sp = tpath("schema.seg"), *rp = tpath("rules.seg");
  segc_program *s = segc_load(&sp, 1);
  segc_ingest_options io = {tpath("customers.csv"), tpath("data.segd"), NULL, 0, NULL, NULL, NULL, NULL, NULL};
  segc_ingest_report irep;
  bool ingested = segc_ingest(s, &io, &irep, err, sizeof err);
  CHECK(ingested, "ingest: %s", err);
  segc_free(s);
  segc_program *p = segc_load(&rp, 1);
  segc_run_options o = {.as_of = "2026-11-23T00:00:00Z", .threads = 2};
  segc_report r;
  bool ran = ingested && segc_run(p, tpath("data.segd"), &o, &r, err, sizeof err);
  CHECK(ran, "run: %s", err);
  if (ran) {
    CHECK(r.records == n, "%llu records, want %llu", (unsigned long long)r.records, (unsigned long long)n);
    for (int k = 0; k < r.nsegments; k++) {
      CHECK(strcmp(r.segments[k].name, SEGMENTS[k]) == 0, "segment %d is %s", k, r.segments[k].name);
      CHECK(r.segments[k].members == n, "%s holds for %llu of %llu days", r.segments[k].name,
            (unsigned long long)r.segments[k].members, (unsigned long long)n);
    }
    segc_report_free(&r);
  }
  segc_free(p);
  printf("test_calendar_jit: %d checks (%llu days), %d failed\n", checks, (unsigned long long)n, failures);
  unit_rmtmp();
  return failures != 0;
}
