/* stdlib/calendar.c — civil-date conversions (days <-> year/month/day),
 * ISO weekdays, whole-year ages, and strict parsing/formatting of dates and
 * timestamps.  See calendar.h for the conventions. */
#include "calendar.h"

#include <stdio.h>

int64_t cal_floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

int64_t cal_floormod(int64_t a, int64_t b) { /* not a - floordiv(a, b) * b: that product can overflow */
  int64_t r = a % b;
  return r != 0 && (r < 0) != (b < 0) ? r + b : r;
}

/* Days from civil: the era-based algorithm over 400-year cycles. */
int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = cal_floordiv(y, 400);
  int64_t yoe = y - era * 400;                                   /* [0, 399] */
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
  return era * 146097 + doe - 719468;
}

void cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = cal_floordiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

int cal_weekday(int64_t days) { return (int)cal_floormod(days + 3, 7) + 1; }

int64_t cal_age_years(int64_t from, int64_t to) {
  int64_t fy, ty;
  unsigned fm, fd, tm, td;
  cal_civil_from_days(from, &fy, &fm, &fd);
  cal_civil_from_days(to, &ty, &tm, &td);
  int64_t years = ty - fy;
  if (tm < fm || (tm == fm && td < fd)) years--;
  return years;
}

static bool digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static bool parse_ymd(const char *s, int64_t *days) {
  int y, m, d;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
      !digits(s + 8, 2, &d))
    return false;
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  if (d > mdays[m - 1] + (m == 2 && leap(y))) return false;
  *days = cal_days_from_civil(y, (unsigned)m, (unsigned)d);
  return true;
}

bool cal_parse_date(const char *s, size_t n, int64_t *days) {
  return n == 10 && parse_ymd(s, days);
}

bool cal_parse_timestamp(const char *s, size_t n, int64_t *usec) {
  int64_t days;
  int hh, mm, ss;
  if (n < 19 || !parse_ymd(s, &days)) return false;
  if (s[10] != ' ' && s[10] != 'T') return false;
  if (!digits(s + 11, 2, &hh) || s[13] != ':' || !digits(s + 14, 2, &mm) || s[16] != ':' ||
      !digits(s + 17, 2, &ss))
    return false;
  if (hh > 23 || mm > 59 || ss > 59) return false;
  size_t i = 19;
  int64_t frac = 0;
  if (i < n && s[i] == '.') {
    int nd = 0;
    i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (nd < 6) frac = frac * 10 + (s[i] - '0');
      nd++, i++;
    }
    if (nd == 0) return false;
    for (; nd < 6; nd++) frac *= 10;
  }
  int64_t offset = 0;
  if (i < n && s[i] == 'Z') {
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (n - i != 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits(s + i + 4, 2, &om) ||
        oh > 23 || om > 59)
      return false;
    offset = (s[i] == '+' ? 1 : -1) * ((int64_t)oh * 3600 + om * 60) * CAL_USEC_PER_SEC;
    i = n;
  }
  if (i != n) return false;
  *usec = days * CAL_USEC_PER_DAY + ((int64_t)hh * 3600 + mm * 60 + ss) * CAL_USEC_PER_SEC + frac -
          offset;
  return true;
}

char *cal_format_date(int64_t days, char *buf, size_t size) {
  int64_t y;
  unsigned m, d;
  cal_civil_from_days(days, &y, &m, &d);
  snprintf(buf, size, "%04lld-%02u-%02u", (long long)y, m, d);
  return buf;
}

char *cal_format_timestamp(int64_t usec, char *buf, size_t size) {
  int64_t days = cal_floordiv(usec, CAL_USEC_PER_DAY);
  int64_t rem = usec - days * CAL_USEC_PER_DAY;
  int64_t secs = rem / CAL_USEC_PER_SEC, frac = rem % CAL_USEC_PER_SEC;
  char date[32];
  cal_format_date(days, date, sizeof date);
  if (frac)
    snprintf(buf, size, "%sT%02d:%02d:%02d.%06dZ", date, (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60), (int)frac);
  else
    snprintf(buf, size, "%sT%02d:%02d:%02dZ", date, (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60));
  return buf;
}
