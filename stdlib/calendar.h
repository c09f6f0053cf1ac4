/* stdlib/calendar.h — proleptic Gregorian calendar arithmetic in UTC.
 *
 * Dates are days since 1970-01-01, timestamps microseconds since
 * 1970-01-01T00:00:00Z.  Every function is total: parsers return false on
 * malformed or out-of-range text instead of guessing.  Used by the lexer's
 * literal builders, CSV ingest, the interpreter and (through the JIT's
 * runtime helpers) generated code. */
#ifndef SEGC_CALENDAR_H
#define SEGC_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAL_USEC_PER_SEC  INT64_C(1000000)
#define CAL_USEC_PER_DAY  INT64_C(86400000000)

int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d);
void cal_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Floor division and modulo (the result of mod has the divisor's sign). */
int64_t cal_floordiv(int64_t a, int64_t b);
int64_t cal_floormod(int64_t a, int64_t b);
/* ISO weekday of a day number: Monday 1 ... Sunday 7. */
int cal_weekday(int64_t days);
/* Whole years from date `from` to date `to` (negative when to < from). */
int64_t cal_age_years(int64_t from, int64_t to);

/* "YYYY-MM-DD", years 0001-9999. */
bool cal_parse_date(const char *s, size_t n, int64_t *days);
/* "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS", optional ".ffffff",
 * optional "Z" or "+HH:MM"/"-HH:MM" offset (converted to UTC). */
bool cal_parse_timestamp(const char *s, size_t n, int64_t *usec);
/* Writes "YYYY-MM-DD" / "YYYY-MM-DDTHH:MM:SSZ" (with ".ffffff" when the
 * microseconds are not zero); returns buf. */
char *cal_format_date(int64_t days, char *buf, size_t size);
char *cal_format_timestamp(int64_t usec, char *buf, size_t size);

#endif
