/* stdlib/str_scan.c — `contains` and the first byte of a set, over strings
 * laid end to end (str_scan.h).
 *
 * A position i is a candidate when cat[i], cat[i + 1] and cat[i + m - 1]
 * are the pattern's first, second and last bytes (the second byte sets
 * "@gmail." apart from "@yahoo."); each step compares a vector of positions (16 with
 * SSE2, 32 with AVX2, picked when the program loads).  Candidates come in
 * increasing order, so the string holding one is found by moving forward
 * through off[].  The first byte of a set is found the same way, with one
 * compare per byte of the set. */
#include "str_scan.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

bool str_scan_baseline;

/* ---- contains ---- */

typedef struct scan {
  const char *cat, *p;
  const uint32_t *off;
  uint32_t count, m, last; /* last: the last position a match can start at */
  uint32_t k;              /* the string holding the latest candidate */
  uint8_t *r;
} scan;

/* a[0 .. n) == b[0 .. n); patterns are short, a call to memcmp is not */
static inline bool same(const char *a, const char *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i] != b[i]) return false;
  return true;
}

/* The candidates at base + the set bits of mask. */
static inline void scan_hits(scan *s, uint32_t base, uint64_t mask) {
  while (mask) {
    uint32_t pos = base + (uint32_t)__builtin_ctzll(mask);
    mask &= mask - 1;
    if (pos > s->last) return;
    while (s->off[s->k + 1] <= pos) s->k++;
    if (!s->r[s->k] && pos + s->m <= s->off[s->k + 1] && same(s->cat + pos, s->p, s->m)) s->r[s->k] = 1;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
static void scan_sse2(scan *s) {
  const __m128i f = _mm_set1_epi8(s->p[0]), g = _mm_set1_epi8(s->p[s->m > 1]), l = _mm_set1_epi8(s->p[s->m - 1]);
  for (uint32_t i = 0; i <= s->last; i += 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s->cat + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s->cat + i + (s->m > 1)));
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s->cat + i + s->m - 1));
    __m128i eq = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(a, f), _mm_cmpeq_epi8(b, g)), _mm_cmpeq_epi8(c, l));
    uint32_t mask = (uint32_t)_mm_movemask_epi8(eq);
    if (mask) scan_hits(s, i, mask);
  }
}

__attribute__((target("avx2"))) static void scan_avx2(scan *s) {
  const __m256i f = _mm256_set1_epi8(s->p[0]), g = _mm256_set1_epi8(s->p[s->m > 1]), l = _mm256_set1_epi8(s->p[s->m - 1]);
  for (uint32_t i = 0; i <= s->last; i += 32) {
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(s->cat + i));
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(s->cat + i + (s->m > 1)));
    __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(s->cat + i + s->m - 1));
    __m256i eq = _mm256_and_si256(_mm256_and_si256(_mm256_cmpeq_epi8(a, f), _mm256_cmpeq_epi8(b, g)), _mm256_cmpeq_epi8(c, l));
    uint32_t mask = (uint32_t)_mm256_movemask_epi8(eq);
    if (mask) scan_hits(s, i, mask);
  }
}
#else
static void scan_bytes(scan *s) {
  for (uint32_t i = 0; i <= s->last; i++)
    if (s->cat[i] == s->p[0] && s->cat[i + (s->m > 1)] == s->p[s->m > 1] && s->cat[i + s->m - 1] == s->p[s->m - 1])
      scan_hits(s, i, 1);
}
#endif

void str_scan_contains(const char *cat, const uint32_t *off, uint32_t count, const char *p, uint32_t m, uint8_t *r) {
  if (m == 0) {
    memset(r, 1, count);
    return;
  }
  if (count == 0 || off[count] < m) return;
  scan s = {.cat = cat, .p = p, .off = off, .count = count, .m = m, .last = off[count] - m, .r = r};
#if defined(__x86_64__) && defined(__GNUC__)
  if (!str_scan_baseline && __builtin_cpu_supports("avx2")) scan_avx2(&s);
  else scan_sse2(&s);
#else
  scan_bytes(&s);
#endif
}

/* ---- the first byte of a set ---- */

typedef struct first_scan {
  const uint32_t *off;
  uint32_t total, k;        /* k: the string holding the latest hit */
  uint32_t *first;
} first_scan;

/* The hits at base + the set bits of mask: each string keeps its first */
static inline void first_hits(first_scan *f, uint32_t base, uint64_t mask) {
  while (mask) {
    uint32_t pos = base + (uint32_t)__builtin_ctzll(mask);
    mask &= mask - 1;
    if (pos >= f->total) return;
    while (f->off[f->k + 1] <= pos) f->k++;
    if (f->first[f->k] == UINT32_MAX) f->first[f->k] = pos - f->off[f->k];
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
static void first_sse2(first_scan *f, const char *cat, const uint8_t *set, int nset) {
  __m128i b[4];
  for (int j = 0; j < 4; j++) b[j] = _mm_set1_epi8((char)set[j < nset ? j : 0]);
  for (uint32_t i = 0; i < f->total; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(cat + i));
    __m128i eq = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, b[0]), _mm_cmpeq_epi8(v, b[1])),
                              _mm_or_si128(_mm_cmpeq_epi8(v, b[2]), _mm_cmpeq_epi8(v, b[3])));
    uint32_t mask = (uint32_t)_mm_movemask_epi8(eq);
    if (mask) first_hits(f, i, mask);
  }
}

__attribute__((target("avx2"))) static void first_avx2(first_scan *f, const char *cat, const uint8_t *set, int nset) {
  __m256i b[4];
  for (int j = 0; j < 4; j++) b[j] = _mm256_set1_epi8((char)set[j < nset ? j : 0]);
  for (uint32_t i = 0; i < f->total; i += 32) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(cat + i));
    __m256i eq = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, b[0]), _mm256_cmpeq_epi8(v, b[1])),
                                 _mm256_or_si256(_mm256_cmpeq_epi8(v, b[2]), _mm256_cmpeq_epi8(v, b[3])));
    uint32_t mask = (uint32_t)_mm256_movemask_epi8(eq);
    if (mask) first_hits(f, i, mask);
  }
}
#else
static void first_bytes(first_scan *f, const char *cat, const uint8_t *set, int nset) {
  for (uint32_t i = 0; i < f->total; i++)
    for (int j = 0; j < nset; j++)
      if ((uint8_t)cat[i] == set[j]) {
        first_hits(f, i, 1);
        break;
      }
}
#endif

void str_scan_first_of(const char *cat, const uint32_t *off, uint32_t count, const uint8_t *set, int nset,
                       uint32_t *first) {
  for (uint32_t i = 0; i < count; i++) first[i] = UINT32_MAX;
  first_scan f = {.off = off, .total = count ? off[count] : 0, .first = first};
#if defined(__x86_64__) && defined(__GNUC__)
  if (!str_scan_baseline && __builtin_cpu_supports("avx2")) first_avx2(&f, cat, set, nset);
  else first_sse2(&f, cat, set, nset);
#else
  first_bytes(&f, cat, set, nset);
#endif
  for (uint32_t i = 0; i < count; i++)
    if (first[i] == UINT32_MAX) first[i] = off[i + 1] - off[i];
}
