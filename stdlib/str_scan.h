/* stdlib/str_scan.h — `contains` (of one pattern or of any of several),
 * `starts_with`, `ends_with`, equality, the search for a set of bytes, and
 * for windows of byte classes, over many strings at once.
 *
 * Tabulating `contains(email, "@gmail.")` over a million near-unique
 * dictionary strings one call at a time costs a call, a memchr and its
 * setup per string.  Here the strings are laid end to end in one buffer,
 * with padding after them, and searched with vector compares; a candidate
 * counts only when it lies inside one string. */
#ifndef SEGC_STR_SCAN_H
#define SEGC_STR_SCAN_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes a buffer given to str_scan_contains must have after its strings. */
#define STR_SCAN_PAD 64

/* r[i] = 1 when string i, cat[off[i] .. off[i + 1]), contains p[0 .. m);
 * r[i] is left alone otherwise (the caller zeroes it).  cat must have
 * STR_SCAN_PAD readable bytes after cat[off[count]]. */
void str_scan_contains(const char *cat, const uint32_t *off, uint32_t count, const char *p, uint32_t m, uint8_t *r);
typedef enum { STR_AT_START, STR_AT_END, STR_WHOLE } str_where;
/* r[i] = 1 when string i starts with, ends with, or is p[0 .. m), else 0;
 * false (nothing done) when m is over 16.  The same padding as above. */
bool str_scan_affix(const char *cat, const uint32_t *off, uint32_t count, const char *p, uint32_t m, str_where where,
                    uint8_t *r);
/* r[i] = 1 when string i starts with, ends with, or is any of the n (at
 * most STR_SCAN_ANY) patterns p[j][0 .. m[j]), each at most 16 bytes; r[i]
 * is left alone otherwise.  The same padding as above. */
void str_scan_affix_any(const char *cat, const uint32_t *off, uint32_t count, const char *const *p, const uint32_t *m,
                        int n, str_where where, uint8_t *r);
/* The most patterns str_scan_contains_any and str_scan_affix_any take. */
#define STR_SCAN_ANY 64
/* r[i] = 1 when string i contains any of the n (at most STR_SCAN_ANY)
 * patterns p[j][0 .. m[j]); r[i] is left alone otherwise; the same padding
 * as above. */
void str_scan_contains_any(const char *cat, const uint32_t *off, uint32_t count, const char *const *p,
                           const uint32_t *m, int n, uint8_t *r);
/* first[i] = where in string i the first byte of set[0 .. nset) is (nset
 * 1 to 4), or its length when it has none; the same padding as above. */
void str_scan_first_of(const char *cat, const uint32_t *off, uint32_t count, const uint8_t *set, int nset,
                       uint32_t *first);
/* A byte class of a window for str_scan_seq: the bytes lo .. hi, at
 * `at` bytes into the window. */
#define STR_SEQ_MAX 4
typedef struct str_class {
  uint8_t at, lo, hi;
} str_class;
/* The strings with windows of `len` bytes (len at most 32) that start at
 * some b below 64 and before the string's first NUL (which ends a C
 * string), end inside the string, and hold at b + cls[c].at a byte in
 * cls[c].lo .. cls[c].hi for every c below ncls (1 to STR_SEQ_MAX; every
 * `at` below len): their count n, their indices ascending in which[0 ..
 * n), and in mask[j] bit b for each such window of string which[j].  mask
 * and which have room for count; the same padding as above. */
uint32_t str_scan_seq(const char *cat, const uint32_t *off, uint32_t count, const str_class *cls, int ncls, uint32_t len,
                      uint64_t *mask, uint32_t *which);
/* Set by tests: use the baseline (SSE2) scans even where AVX2 is there,
 * or the AVX2 scans even where AVX-512 is. */
extern bool str_scan_baseline, str_scan_no_avx512;

#endif
