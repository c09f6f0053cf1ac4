/* runtime/segd_internal.h — what segd.c (header, fields, blocks,
 * dictionary) and segd_streams.c (the events of streams) share. */
#ifndef SEGC_SEGD_INTERNAL_H
#define SEGC_SEGD_INTERNAL_H

#include <stdio.h>

#include "table.h"
#include "../stdlib/calendar.h"

static inline void segd_put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void segd_put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t segd_get32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
static inline uint64_t segd_get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static inline uint64_t segd_align(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

static inline bool segd_write_all(FILE *fp, const void *p, size_t n) { return n == 0 || fwrite(p, 1, n, fp) == n; }

bool segd_write_zeros(FILE *fp, uint64_t n);
bool segd_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* segd_streams.c: the streams section, after the dictionary at `at` (0 and
 * nothing written when the schema has no streams).  segd_streams_end gives
 * where the file ends; segd_streams_write writes from `at` on. */
uint64_t segd_streams_end(const rt_table *t, uint64_t at);
bool segd_streams_write(FILE *fp, const rt_table *t, uint64_t at);
/* Parses the section at `off` of the mapped file into out->streams and
 * checks its bounds and event ranges. */
bool segd_streams_read(const char *path, const uint8_t *m, uint64_t size, uint64_t off, rt_table *out, char *err,
                       size_t errlen);
/* The days of 0001-01-01 and 9999-12-31, the range of a date. */
#define SEGD_DATE_MIN (-719162)
#define SEGD_DATE_MAX 2932896
/* The range of a timestamp (µs): those dates a day wider each side, which
 * holds every time a UTC offset moves out of them (cal_parse_timestamp). */
#define SEGD_TS_MIN ((SEGD_DATE_MIN - 1) * CAL_USEC_PER_DAY)
#define SEGD_TS_MAX ((SEGD_DATE_MAX + 2) * CAL_USEC_PER_DAY - 1)
/* The bound of a field's stored values (bool 2, enum member count, string
 * ndict; 0 for kinds not checked) and whether `count` values (and null bytes,
 * nb may be NULL) hold one out of range: a null byte other than 0/1, a
 * present value >= limit, a date outside SEGD_DATE_MIN .. SEGD_DATE_MAX
 * (the generated code's calendar is exact there, compiler/lower.c civil) or
 * a timestamp outside SEGD_TS_MIN .. SEGD_TS_MAX (where `now - t` cannot
 * overflow).
 * Branch-free, so it runs at memory speed; callers look for the culprit
 * only when it is true, a value (segd_value_width bytes) at a time. */
uint32_t segd_value_limit(const seg_field *f, uint32_t ndict);
bool segd_column_bad(seg_tykind k, uint32_t limit, const uint8_t *nb, const uint8_t *v, uint64_t count);
unsigned segd_value_width(seg_tykind k);
/* Checks stream s's stored values. */
bool segd_stream_values_check(const char *path, const rt_table *t, int s, char *err, size_t errlen);
/* Part `part` of `nparts` of the event order check of stream s: decreases
 * between neighbouring events, and those between two customers'.  The
 * events are in order when both sums over the parts are equal. */
void segd_stream_order_counts(const rt_table *t, int s, int part, int nparts, uint64_t *all, uint64_t *across);
/* When they are not: finds the first customer out of order, for the message. */
bool segd_stream_order_report(const char *path, const rt_table *t, int s, char *err, size_t errlen);

#endif
