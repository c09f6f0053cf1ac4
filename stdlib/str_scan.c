/* stdlib/str_scan.c — string tests over the strings of a chunk laid end
 * to end (str_scan.h).
 *
 * `contains` of one pattern walks the whole chunk: a position i is a
 * candidate when cat[i], cat[i + 1] and cat[i + m - 1] are the pattern's
 * first, second and last bytes (the second byte sets "@gmail." apart from
 * "@yahoo."); each step compares a vector of positions (16 with SSE2, 32
 * with AVX2, and 64 with AVX-512 for windows of byte classes; picked when
 * the program loads).  Candidates come in
 * increasing order, so the string holding one is found by moving forward
 * through off[]; so do windows of byte classes.  `contains` of several
 * patterns and the first byte of a set go string by string instead (see
 * there), and a pattern at the start or end of a string is one masked
 * compare per string. */
#include "str_scan.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

bool str_scan_baseline, str_scan_no_avx512;

/* a[0 .. n) == b[0 .. n); patterns are short, a call to memcmp is not */
static inline bool same(const char *a, const char *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i] != b[i]) return false;
  return true;
}

static inline uint64_t load64(const char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* The first min(m, 16) bytes of p as two load64 read them, and a mask of
 * the bytes that count. */
static void head16(const char *p, uint32_t m, uint64_t head[2], uint64_t mask[2]) {
  char h[16] = {0}, k[16] = {0};
  memcpy(h, p, m < 16 ? m : 16);
  memset(k, 0xFF, m < 16 ? m : 16);
  memcpy(head, h, 16);
  memcpy(mask, k, 16);
}

/* The 16 bytes x0, x1 (two load64) hold a pattern's head (head16) */
static inline bool head_matches(uint64_t x0, uint64_t x1, const uint64_t head[2], const uint64_t mask[2]) {
  return (((x0 ^ head[0]) & mask[0]) | ((x1 ^ head[1]) & mask[1])) == 0;
}

/* ---- contains ---- */

typedef struct scan {
  const char *cat, *p;
  const uint32_t *off;
  uint32_t count, m, last; /* last: the last position a match can start at */
  uint32_t k;              /* the string holding the latest candidate */
  uint8_t *r;
} scan;

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

/* ---- contains any of several patterns ---- */

/* String by string: each window of 32 bytes (16 with SSE2) is compared
 * with the patterns' first bytes (at most 4 distinct ones per scan), and
 * at each candidate every pattern is checked without a branch, its first
 * 16 bytes by masked compares of two 64-bit loads, the rest (patterns over
 * 16 bytes) byte by byte.  For "@gmail." or "@yahoo." in emails that is one
 * window and one candidate per string for all the patterns, with loops
 * whose trip counts the branch predictor learns.  (Walking the candidates
 * of the chunk laid end to end, as str_scan_contains does, took twice as
 * long here: how many fall in each window varies from window to window.) */
typedef struct any_set {
  const char *const *p;
  const uint32_t *m;
  uint64_t head[STR_SCAN_ANY][2], mask[STR_SCAN_ANY][2]; /* each pattern's first 16 bytes, and which of them count */
  uint32_t fits[STR_SCAN_ANY]; /* its length when at most 16, else UINT32_MAX (never found by the masks alone) */
  int64_t fits2[STR_SCAN_ANY][2]; /* fits, twice (any_at_avx2); past the last pattern, INT64_MAX */
  int n;
  bool long_ones;           /* some pattern is over 16 bytes */
} any_set;

/* some pattern starts at cat + pos, with `room` bytes left in its string */
static inline bool any_at(const any_set *a, const char *cat, uint32_t pos, uint32_t room) {
  uint64_t x0 = load64(cat + pos), x1 = load64(cat + pos + 8);
  bool hit = false;
  for (int j = 0; j < a->n; j++)
    hit |= head_matches(x0, x1, a->head[j], a->mask[j]) & (a->fits[j] <= room);
  for (int j = 0; a->long_ones && j < a->n && !hit; j++)
    hit = a->m[j] > 16 && a->m[j] <= room && same(cat + pos, a->p[j], a->m[j]);
  return hit;
}

/* the candidates at base + the set bits of mask, in a string that ends at `end` */
static inline bool any_hits(const any_set *a, const char *cat, uint32_t base, uint32_t mask, uint32_t end) {
  bool hit = false;
  for (; mask; mask &= mask - 1) {
    uint32_t pos = base + (uint32_t)__builtin_ctz(mask);
    hit |= any_at(a, cat, pos, end - pos);
  }
  return hit;
}

/* bits [0, n) of a window mask, n < 32 */
static inline uint32_t low_bits(uint32_t n) { return (UINT32_C(1) << n) - 1; }

#if defined(__x86_64__) && defined(__GNUC__)
/* the bytes of a window equal to one of set[0 .. nset), as a mask; nset is
 * a constant where the callers below are inlined */
static inline __attribute__((always_inline)) uint32_t window_sse2(const char *p, const __m128i *b, int nset) {
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p), eq = _mm_cmpeq_epi8(v, b[0]);
  for (int j = 1; j < nset; j++) eq = _mm_or_si128(eq, _mm_cmpeq_epi8(v, b[j]));
  return (uint32_t)_mm_movemask_epi8(eq);
}

static inline __attribute__((always_inline)) void any_sse2_n(const any_set *a, const char *cat, const uint32_t *off,
                                                             uint32_t count, const __m128i *b, int nset, uint8_t *r) {
  for (uint32_t i = 0; i < count; i++) {
    uint32_t end = off[i + 1];
    bool hit = r[i];
    for (uint32_t at = off[i]; at < end && !hit; at += 16) {
      uint32_t mask = window_sse2(cat + at, b, nset);
      if (end - at < 16) mask &= low_bits(end - at);
      hit = any_hits(a, cat, at, mask, end);
    }
    r[i] = hit;
  }
}

static void any_sse2(const any_set *a, const char *cat, const uint32_t *off, uint32_t count, const uint8_t *set,
                     int nset, uint8_t *r) {
  __m128i b[4];
  for (int j = 0; j < nset; j++) b[j] = _mm_set1_epi8((char)set[j]);
  switch (nset) {
  case 1: any_sse2_n(a, cat, off, count, b, 1, r); break;
  case 2: any_sse2_n(a, cat, off, count, b, 2, r); break;
  case 3: any_sse2_n(a, cat, off, count, b, 3, r); break;
  default: any_sse2_n(a, cat, off, count, b, 4, r); break;
  }
}

__attribute__((target("avx2"))) static inline __attribute__((always_inline)) uint32_t window_avx2(const char *p,
                                                                                                const __m256i *b,
                                                                                                int nset) {
  __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p), eq = _mm256_cmpeq_epi8(v, b[0]);
  for (int j = 1; j < nset; j++) eq = _mm256_or_si256(eq, _mm256_cmpeq_epi8(v, b[j]));
  return (uint32_t)_mm256_movemask_epi8(eq);
}

/* any_at, two patterns a step: the 16 bytes at the candidate in both
 * halves of a vector, against two heads.  Six patterns took a third of the
 * time they took one by one (the bench's `b2b_candidates`); or-ing the
 * steps' lanes and testing them once, rather than moving each step's
 * result out of the vector, took a quarter less again. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) bool
any_at_avx2(const any_set *a, const char *cat, uint32_t pos, uint32_t room) {
  __m256i x = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(cat + pos)));
  __m256i left = _mm256_set1_epi64x((long long)room), zero = _mm256_setzero_si256(), any = zero;
  for (int j = 0; j < a->n; j += 2) {
    __m256i head = _mm256_loadu_si256((const __m256i *)(const void *)a->head[j]);
    __m256i mask = _mm256_loadu_si256((const __m256i *)(const void *)a->mask[j]);
    __m256i fits = _mm256_loadu_si256((const __m256i *)(const void *)a->fits2[j]);
    __m256i same = _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_xor_si256(x, head), mask), zero);
    same = _mm256_and_si256(same, _mm256_shuffle_epi32(same, 0x4E)); /* both halves of a pattern */
    any = _mm256_or_si256(any, _mm256_andnot_si256(_mm256_cmpgt_epi64(fits, left), same));
  }
  int hit = !_mm256_testz_si256(any, any);
  for (int j = 0; a->long_ones && j < a->n && !hit; j++)
    hit = a->m[j] > 16 && a->m[j] <= room && same(cat + pos, a->p[j], a->m[j]);
  return hit != 0;
}

__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
any_avx2_n(const any_set *a, const char *cat, const uint32_t *off, uint32_t count, const __m256i *b, int nset,
           uint8_t *r) {
  for (uint32_t i = 0; i < count; i++) {
    uint32_t start = off[i], end = off[i + 1], len = end - start;
    /* the first 64 bytes (the padding covers them), and their first candidate */
    uint64_t mask = window_avx2(cat + start, b, nset);
    if (len > 32) mask |= (uint64_t)window_avx2(cat + start + 32, b, nset) << 32;
    if (len < 64) mask &= (UINT64_C(1) << len) - 1;
    bool hit = r[i];
    if (!hit && mask) {
      uint32_t pos = start + (uint32_t)__builtin_ctzll(mask);
      hit = any_at_avx2(a, cat, pos, end - pos);
      mask &= mask - 1;
    }
    /* more candidates, or a longer string: rare in the strings this is for */
    for (; mask && !hit; mask &= mask - 1) {
      uint32_t pos = start + (uint32_t)__builtin_ctzll(mask);
      hit = any_at_avx2(a, cat, pos, end - pos);
    }
    for (uint32_t at = start + 64; at < end && !hit; at += 32) {
      uint32_t more = window_avx2(cat + at, b, nset);
      if (end - at < 32) more &= low_bits(end - at);
      for (; more && !hit; more &= more - 1) {
        uint32_t pos = at + (uint32_t)__builtin_ctz(more);
        hit = any_at_avx2(a, cat, pos, end - pos);
      }
    }
    r[i] = hit;
  }
}

__attribute__((target("avx2"))) static void any_avx2(const any_set *a, const char *cat, const uint32_t *off,
                                                     uint32_t count, const uint8_t *set, int nset, uint8_t *r) {
  __m256i b[4];
  for (int j = 0; j < nset; j++) b[j] = _mm256_set1_epi8((char)set[j]);
  switch (nset) {
  case 1: any_avx2_n(a, cat, off, count, b, 1, r); break;
  case 2: any_avx2_n(a, cat, off, count, b, 2, r); break;
  case 3: any_avx2_n(a, cat, off, count, b, 3, r); break;
  default: any_avx2_n(a, cat, off, count, b, 4, r); break;
  }
}

/* With AVX-512 (BW, VL), for up to 8 patterns of at most 16 bytes: the 16
 * bytes at a candidate in the four lanes of a vector, against four
 * patterns' heads a vector; a pattern is there when both 64-bit halves of
 * its lane are equal where it has bytes (a test of two vectors and two
 * masks for all eight) and it fits in what is left of the string (fits[],
 * by that room).  Over the 1M bench's 285,754 emails, lower-cased, and
 * b2b_candidates' six patterns: 1.53 against 1.17 ms for any_avx2 (41
 * alternating rounds in one process). */
typedef struct any512 {
  __m512i head[2], need[2]; /* patterns 4g .. 4g + 3, 16 bytes each, and the bytes that count */
  uint16_t fits[17];        /* by room up to 16: bit 2k when pattern k is at most that long */
} any512;

__attribute__((target("avx512f,avx512bw,avx512vl,bmi2"))) static inline __attribute__((always_inline)) bool
any_at_avx512(const any512 *a, const char *at, uint32_t room) {
  __m512i x = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)at));
  uint32_t differ = _mm512_test_epi64_mask(_mm512_xor_si512(x, a->head[0]), a->need[0]) |
                    (uint32_t)_mm512_test_epi64_mask(_mm512_xor_si512(x, a->head[1]), a->need[1]) << 8;
  uint32_t same = ~differ;
  return (same & same >> 1 & a->fits[room < 16 ? room : 16]) != 0;
}

__attribute__((target("avx512f,avx512bw,avx512vl,bmi2"))) static inline __attribute__((always_inline)) void
any_avx512_n(const any512 *a, const char *cat, const uint32_t *off, uint32_t count, const uint8_t *set, int nset,
             uint8_t *r) {
  __m256i b[4];
  for (int j = 0; j < nset; j++) b[j] = _mm256_set1_epi8((char)set[j]);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t end = off[i + 1];
    bool hit = r[i];
    for (uint32_t at = off[i]; at < end && !hit; at += 32) {
      __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(cat + at));
      uint32_t mask = _mm256_cmpeq_epi8_mask(v, b[0]);
      for (int j = 1; j < nset; j++) mask |= _mm256_cmpeq_epi8_mask(v, b[j]);
      if (end - at < 32) mask = _bzhi_u32(mask, end - at);
      for (; mask && !hit; mask &= mask - 1) {
        uint32_t pos = at + (uint32_t)__builtin_ctz(mask);
        hit = any_at_avx512(a, cat + pos, end - pos);
      }
    }
    r[i] = hit;
  }
}

/* false (nothing done) when the patterns are more than 8 or one is over 16 bytes */
__attribute__((target("avx512f,avx512bw,avx512vl,bmi2"))) static bool any_avx512(const any_set *s, const char *cat,
                                                                                 const uint32_t *off, uint32_t count,
                                                                                 const uint8_t *set, int nset,
                                                                                 uint8_t *r) {
  if (s->n > 8 || s->long_ones) return false;
  uint8_t head[2][64] = {{0}}, need[2][64] = {{0}};
  any512 a = {0};
  for (int k = 0; k < s->n; k++) {
    memcpy(head[k / 4] + 16 * (k % 4), s->p[k], s->m[k]);
    memset(need[k / 4] + 16 * (k % 4), 0xFF, s->m[k]);
    for (uint32_t room = s->m[k]; room <= 16; room++) a.fits[room] |= (uint16_t)(1u << 2 * k);
  }
  for (int g = 0; g < 2; g++) {
    a.head[g] = _mm512_loadu_si512(head[g]);
    a.need[g] = _mm512_loadu_si512(need[g]);
  }
  switch (nset) {
  case 1: any_avx512_n(&a, cat, off, count, set, 1, r); break;
  case 2: any_avx512_n(&a, cat, off, count, set, 2, r); break;
  case 3: any_avx512_n(&a, cat, off, count, set, 3, r); break;
  default: any_avx512_n(&a, cat, off, count, set, 4, r); break;
  }
  return true;
}
#else
static void any_bytes(const any_set *a, const char *cat, const uint32_t *off, uint32_t count, const uint8_t *set,
                      int nset, uint8_t *r) {
  for (uint32_t i = 0; i < count; i++)
    for (uint32_t at = off[i]; at < off[i + 1] && !r[i]; at++)
      if (memchr(set, cat[at], (size_t)nset)) r[i] = any_at(a, cat, at, off[i + 1] - at);
}
#endif

void str_scan_contains_any(const char *cat, const uint32_t *off, uint32_t count, const char *const *p,
                           const uint32_t *m, int n, uint8_t *r) {
  if (count == 0) return;
  uint8_t set[4] = {0};
  int nset = 0;
  for (int j = 0; j < n; j++) {
    if (m[j] == 0) {
      memset(r, 1, count);
      return;
    }
    int s = 0;
    while (s < nset && set[s] != (uint8_t)p[j][0]) s++;
    if (s == nset && nset < 4) set[nset++] = (uint8_t)p[j][0];
  }
  /* the patterns whose first byte is in the set, and the rest for another scan */
  const char *in_p[STR_SCAN_ANY], *rest_p[STR_SCAN_ANY];
  uint32_t in_m[STR_SCAN_ANY], rest_m[STR_SCAN_ANY];
  any_set a = {.p = in_p, .m = in_m};
  int rest = 0;
  for (int j = 0; j < n; j++) {
    if (!memchr(set, p[j][0], (size_t)nset)) {
      rest_p[rest] = p[j], rest_m[rest++] = m[j];
      continue;
    }
    head16(p[j], m[j], a.head[a.n], a.mask[a.n]);
    a.fits[a.n] = m[j] <= 16 ? m[j] : UINT32_MAX;
    a.fits2[a.n][0] = a.fits2[a.n][1] = m[j] <= 16 ? (int64_t)m[j] : INT64_MAX;
    a.long_ones |= m[j] > 16;
    in_p[a.n] = p[j], in_m[a.n++] = m[j];
  }
  if (a.n % 2) a.fits2[a.n][0] = a.fits2[a.n][1] = INT64_MAX; /* the pair of the last one never fits */
#if defined(__x86_64__) && defined(__GNUC__)
  bool avx512 = !str_scan_no_avx512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                __builtin_cpu_supports("bmi2");
  if (str_scan_baseline || !__builtin_cpu_supports("avx2")) any_sse2(&a, cat, off, count, set, nset, r);
  else if (!avx512 || !any_avx512(&a, cat, off, count, set, nset, r)) any_avx2(&a, cat, off, count, set, nset, r);
#else
  any_bytes(&a, cat, off, count, set, nset, r);
#endif
  if (rest) str_scan_contains_any(cat, off, count, rest_p, rest_m, rest, r);
}

/* ---- a pattern at the start, at the end, or the whole string ---- */

bool str_scan_affix(const char *cat, const uint32_t *off, uint32_t count, const char *p, uint32_t m, str_where where,
                    uint8_t *r) {
  if (m > 16) return false;
  uint64_t head[2], mask[2];
  head16(p, m, head, mask);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t len = off[i + 1] - off[i];
    /* where the pattern would start; at the end only when it fits */
    uint32_t at = where == STR_AT_END && len >= m ? off[i + 1] - m : off[i];
    bool same16 = head_matches(load64(cat + at), load64(cat + at + 8), head, mask);
    r[i] = same16 & (where == STR_WHOLE ? len == m : len >= m);
  }
  return true;
}

/* Several patterns, one load of a string's first (last) 16 bytes for all:
 * the heads of a suffix are right-aligned in theirs, and with AVX2 two
 * heads are compared a step, as in any_at_avx2.  The last 16 bytes of a
 * string are read from before it, so a string that ends in the first 16
 * bytes of cat is tested as str_scan_affix does. */
typedef struct affix_set {
  uint64_t head[STR_SCAN_ANY + 1][2], mask[STR_SCAN_ANY + 1][2];
  int64_t need[STR_SCAN_ANY + 1][2]; /* the length a string needs for it: m, twice; past the last, INT64_MAX */
  int n;
} affix_set;

static inline bool affix_hit(const affix_set *a, const char *at, uint32_t len, str_where where) {
  uint64_t x0 = load64(at), x1 = load64(at + 8);
  bool hit = false;
  for (int j = 0; j < a->n; j++)
    hit |= head_matches(x0, x1, a->head[j], a->mask[j]) &
           (where == STR_WHOLE ? (int64_t)len == a->need[j][0] : (int64_t)len >= a->need[j][0]);
  return hit;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) bool
affix_hit_avx2(const affix_set *a, const char *at, uint32_t len, bool whole) {
  __m256i x = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)at));
  __m256i have = _mm256_set1_epi64x((long long)len), zero = _mm256_setzero_si256(), any = zero;
  for (int j = 0; j < a->n; j += 2) {
    __m256i head = _mm256_loadu_si256((const __m256i *)(const void *)a->head[j]);
    __m256i mask = _mm256_loadu_si256((const __m256i *)(const void *)a->mask[j]);
    __m256i need = _mm256_loadu_si256((const __m256i *)(const void *)a->need[j]);
    __m256i same = _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_xor_si256(x, head), mask), zero);
    same = _mm256_and_si256(same, _mm256_shuffle_epi32(same, 0x4E)); /* both halves of a pattern */
    __m256i fits = whole ? _mm256_cmpeq_epi64(need, have) : _mm256_andnot_si256(_mm256_cmpgt_epi64(need, have), same);
    any = _mm256_or_si256(any, whole ? _mm256_and_si256(fits, same) : fits);
  }
  return !_mm256_testz_si256(any, any);
}

__attribute__((target("avx2"))) static void affix_any_avx2(const affix_set *a, const char *cat, const uint32_t *off,
                                                           uint32_t i0, uint32_t count, str_where where, uint8_t *r) {
  for (uint32_t i = i0; i < count; i++) {
    const char *at = where == STR_AT_END ? cat + off[i + 1] - 16 : cat + off[i];
    r[i] |= affix_hit_avx2(a, at, off[i + 1] - off[i], where == STR_WHOLE);
  }
}
#endif

void str_scan_affix_any(const char *cat, const uint32_t *off, uint32_t count, const char *const *p, const uint32_t *m,
                        int n, str_where where, uint8_t *r) {
  affix_set a = {.n = n};
  for (int j = 0; j < n; j++) {
    char h[16] = {0}, k[16] = {0};
    uint32_t at = where == STR_AT_END ? 16 - m[j] : 0;
    memcpy(h + at, p[j], m[j]);
    memset(k + at, 0xFF, m[j]);
    memcpy(a.head[j], h, 16);
    memcpy(a.mask[j], k, 16);
    a.need[j][0] = a.need[j][1] = m[j];
  }
  a.need[n][0] = a.need[n][1] = INT64_MAX; /* the pair of an odd last one never fits */
  uint32_t i = 0;
  for (; i < count && where == STR_AT_END && off[i + 1] < 16; i++) /* the 16 bytes before would be outside cat */
    for (int j = 0; j < n && !r[i]; j++) {
      uint8_t one = 0;
      str_scan_affix(cat, off + i, 1, p[j], m[j], STR_AT_END, &one);
      r[i] = one;
    }
#if defined(__x86_64__) && defined(__GNUC__)
  if (!str_scan_baseline && __builtin_cpu_supports("avx2")) {
    affix_any_avx2(&a, cat, off, i, count, where, r);
    return;
  }
#endif
  for (; i < count; i++)
    r[i] |= affix_hit(&a, where == STR_AT_END ? cat + off[i + 1] - 16 : cat + off[i], off[i + 1] - off[i], where);
}

/* ---- the first byte of a set ---- */

/* String by string, as contains_any: the first window with a byte of the
 * set gives the string's answer. */
#if defined(__x86_64__) && defined(__GNUC__)
static inline __attribute__((always_inline)) void first_sse2_n(const char *cat, const uint32_t *off, uint32_t count,
                                                               const __m128i *b, int nset, uint32_t *first) {
  for (uint32_t i = 0; i < count; i++) {
    uint32_t end = off[i + 1], at = off[i], mask = 0;
    for (; at < end; at += 16)
      if ((mask = window_sse2(cat + at, b, nset) & (end - at < 16 ? low_bits(end - at) : ~UINT32_C(0))) != 0) break;
    first[i] = mask ? at + (uint32_t)__builtin_ctz(mask) - off[i] : end - off[i];
  }
}

static void first_sse2(const char *cat, const uint32_t *off, uint32_t count, const uint8_t *set, int nset,
                       uint32_t *first) {
  __m128i b[4];
  for (int j = 0; j < nset; j++) b[j] = _mm_set1_epi8((char)set[j]);
  switch (nset) {
  case 1: first_sse2_n(cat, off, count, b, 1, first); break;
  case 2: first_sse2_n(cat, off, count, b, 2, first); break;
  case 3: first_sse2_n(cat, off, count, b, 3, first); break;
  default: first_sse2_n(cat, off, count, b, 4, first); break;
  }
}

__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
first_avx2_n(const char *cat, const uint32_t *off, uint32_t count, const __m256i *b, int nset, uint32_t *first) {
  for (uint32_t i = 0; i < count; i++) {
    uint32_t end = off[i + 1], at = off[i], mask = 0;
    for (; at < end; at += 32)
      if ((mask = window_avx2(cat + at, b, nset) & (end - at < 32 ? low_bits(end - at) : ~UINT32_C(0))) != 0) break;
    first[i] = mask ? at + (uint32_t)__builtin_ctz(mask) - off[i] : end - off[i];
  }
}

__attribute__((target("avx2"))) static void first_avx2(const char *cat, const uint32_t *off, uint32_t count,
                                                       const uint8_t *set, int nset, uint32_t *first) {
  __m256i b[4];
  for (int j = 0; j < nset; j++) b[j] = _mm256_set1_epi8((char)set[j]);
  switch (nset) {
  case 1: first_avx2_n(cat, off, count, b, 1, first); break;
  case 2: first_avx2_n(cat, off, count, b, 2, first); break;
  case 3: first_avx2_n(cat, off, count, b, 3, first); break;
  default: first_avx2_n(cat, off, count, b, 4, first); break;
  }
}

#else
static void first_bytes(const char *cat, const uint32_t *off, uint32_t count, const uint8_t *set, int nset,
                        uint32_t *first) {
  for (uint32_t i = 0; i < count; i++) {
    uint32_t at = off[i];
    while (at < off[i + 1] && !memchr(set, cat[at], (size_t)nset)) at++;
    first[i] = at - off[i];
  }
}
#endif

void str_scan_first_of(const char *cat, const uint32_t *off, uint32_t count, const uint8_t *set, int nset,
                       uint32_t *first) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (!str_scan_baseline && __builtin_cpu_supports("avx2")) first_avx2(cat, off, count, set, nset, first);
  else first_sse2(cat, off, count, set, nset, first);
#else
  first_bytes(cat, off, count, set, nset, first);
#endif
}

/* ---- windows of byte classes ---- */

/* Over the whole chunk, as `contains` of one pattern: for each class, a
 * vector of the bytes `at` after 32 (16) window starts is tested against
 * its range (x - lo <= hi - lo, unsigned), the tests are and-ed, and each
 * window start left is placed in its string by moving forward through
 * off[]; one that ends past its string's end is dropped.  A NUL in the
 * chunk (rare) is looked for as the vectors pass, and then each string's
 * windows after its first NUL are dropped at the end. */
typedef struct seq {
  const char *cat;
  const uint32_t *off;
  uint32_t len, k, end; /* end: the end of the chunk's last string */
  uint64_t *mask;
  uint32_t *which, n;          /* the strings with windows so far */
  bool nul;
} seq;

static inline void seq_hits(seq *s, uint32_t base, uint64_t hits, uint64_t zeros) {
  if (zeros && base + (uint32_t)__builtin_ctzll(zeros) < s->end) s->nul = true;
  for (; hits; hits &= hits - 1) {
    uint32_t pos = base + (uint32_t)__builtin_ctzll(hits);
    if (pos + s->len > s->end) return; /* past the last string: padding */
    while (s->off[s->k + 1] <= pos) s->k++;
    uint32_t b = pos - s->off[s->k];
    if (b >= 64 || pos + s->len > s->off[s->k + 1]) continue;
    if (!s->n || s->which[s->n - 1] != s->k) s->which[s->n] = s->k, s->mask[s->n++] = 0;
    s->mask[s->n - 1] |= UINT64_C(1) << b;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
static inline __attribute__((always_inline)) void seq_sse2_n(seq *s, const str_class *cls, int ncls) {
  __m128i lo[STR_SEQ_MAX], span[STR_SEQ_MAX];
  uint32_t at[STR_SEQ_MAX];
  for (int c = 0; c < ncls; c++) {
    lo[c] = _mm_set1_epi8((char)cls[c].lo);
    span[c] = _mm_set1_epi8((char)(cls[c].hi - cls[c].lo));
    at[c] = cls[c].at;
  }
  const __m128i zero = _mm_setzero_si128();
  for (uint32_t i = s->off[0]; i + s->len <= s->end; i += 16) {
    __m128i ok = _mm_set1_epi8(-1);
#pragma GCC unroll 4
    for (int c = 0; c < ncls; c++) {
      __m128i t = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s->cat + i + at[c])), lo[c]);
      ok = _mm_and_si128(ok, _mm_cmpeq_epi8(_mm_min_epu8(t, span[c]), t));
    }
    __m128i here = _mm_loadu_si128((const __m128i *)(const void *)(s->cat + i));
    uint32_t hits = (uint32_t)_mm_movemask_epi8(ok), zeros = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(here, zero));
    if (hits | zeros) seq_hits(s, i, hits, zeros);
  }
}

static void seq_sse2(seq *s, const str_class *cls, int ncls) {
  switch (ncls) {
  case 1: seq_sse2_n(s, cls, 1); break;
  case 2: seq_sse2_n(s, cls, 2); break;
  case 3: seq_sse2_n(s, cls, 3); break;
  default: seq_sse2_n(s, cls, 4); break;
  }
}

__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
seq_avx2_n(seq *s, const str_class *cls, int ncls) {
  __m256i lo[STR_SEQ_MAX], span[STR_SEQ_MAX];
  uint32_t at[STR_SEQ_MAX];
  for (int c = 0; c < ncls; c++) {
    lo[c] = _mm256_set1_epi8((char)cls[c].lo);
    span[c] = _mm256_set1_epi8((char)(cls[c].hi - cls[c].lo));
    at[c] = cls[c].at;
  }
  const __m256i zero = _mm256_setzero_si256();
  for (uint32_t i = s->off[0]; i + s->len <= s->end; i += 32) {
    __m256i ok = _mm256_set1_epi8(-1);
#pragma GCC unroll 4
    for (int c = 0; c < ncls; c++) {
      __m256i t = _mm256_sub_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(s->cat + i + at[c])), lo[c]);
      ok = _mm256_and_si256(ok, _mm256_cmpeq_epi8(_mm256_min_epu8(t, span[c]), t));
    }
    __m256i here = _mm256_loadu_si256((const __m256i *)(const void *)(s->cat + i));
    uint32_t hits = (uint32_t)_mm256_movemask_epi8(ok), zeros = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(here, zero));
    if (hits | zeros) seq_hits(s, i, hits, zeros);
  }
}

__attribute__((target("avx2"))) static void seq_avx2(seq *s, const str_class *cls, int ncls) {
  switch (ncls) {
  case 1: seq_avx2_n(s, cls, 1); break;
  case 2: seq_avx2_n(s, cls, 2); break;
  case 3: seq_avx2_n(s, cls, 3); break;
  default: seq_avx2_n(s, cls, 4); break;
  }
}

/* 64 window starts a step, each class's test one masked compare: over the
 * 1M bench's 285,754 emails, the birth-year pattern's four classes took
 * 0.67 ms against 0.81 with AVX2 (medians of 41 alternating rounds in one
 * process); the rest is placing the 52,881 strings' windows (seq_hits). */
__attribute__((target("avx512f,avx512bw"))) static inline __attribute__((always_inline)) void
seq_avx512_n(seq *s, const str_class *cls, int ncls) {
  __m512i lo[STR_SEQ_MAX], span[STR_SEQ_MAX];
  uint32_t at[STR_SEQ_MAX];
  for (int c = 0; c < ncls; c++) {
    lo[c] = _mm512_set1_epi8((char)cls[c].lo);
    span[c] = _mm512_set1_epi8((char)(cls[c].hi - cls[c].lo));
    at[c] = cls[c].at;
  }
  for (uint32_t i = s->off[0]; i + s->len <= s->end; i += 64) {
    __mmask64 ok = ~(__mmask64)0;
#pragma GCC unroll 4
    for (int c = 0; c < ncls; c++)
      ok = _mm512_mask_cmple_epu8_mask(ok, _mm512_sub_epi8(_mm512_loadu_si512((const void *)(s->cat + i + at[c])), lo[c]), span[c]);
    __m512i here = _mm512_loadu_si512((const void *)(s->cat + i));
    __mmask64 zeros = _mm512_testn_epi8_mask(here, here);
    if (ok | zeros) seq_hits(s, i, ok, zeros);
  }
}

__attribute__((target("avx512f,avx512bw"))) static void seq_avx512(seq *s, const str_class *cls, int ncls) {
  switch (ncls) {
  case 1: seq_avx512_n(s, cls, 1); break;
  case 2: seq_avx512_n(s, cls, 2); break;
  case 3: seq_avx512_n(s, cls, 3); break;
  default: seq_avx512_n(s, cls, 4); break;
  }
}
#else
static void seq_bytes(seq *s, const str_class *cls, int ncls) {
  for (uint32_t i = s->off[0]; i + s->len <= s->end; i++) {
    bool ok = true;
    for (int c = 0; c < ncls; c++) {
      unsigned char x = (unsigned char)s->cat[i + cls[c].at];
      ok &= x >= cls[c].lo && x <= cls[c].hi;
    }
    if (ok || s->cat[i] == 0) seq_hits(s, i, ok, s->cat[i] == 0);
  }
}
#endif

uint32_t str_scan_seq(const char *cat, const uint32_t *off, uint32_t count, const str_class *cls, int ncls, uint32_t len,
                      uint64_t *mask, uint32_t *which) {
  if (count == 0) return 0;
  seq s = {.cat = cat, .off = off, .len = len, .end = off[count], .mask = mask, .which = which};
#if defined(__x86_64__) && defined(__GNUC__)
  if (str_scan_baseline || !__builtin_cpu_supports("avx2")) seq_sse2(&s, cls, ncls);
  else if (!str_scan_no_avx512 && __builtin_cpu_supports("avx512bw")) seq_avx512(&s, cls, ncls);
  else seq_avx2(&s, cls, ncls);
#else
  seq_bytes(&s, cls, ncls);
#endif
  for (uint32_t j = 0; s.nul && j < s.n; j++) { /* the windows after a string's first NUL */
    const char *p = cat + off[which[j]], *z = memchr(p, 0, off[which[j] + 1] - off[which[j]]);
    if (z && z - p < 64) mask[j] &= (UINT64_C(1) << (z - p)) - 1;
  }
  return s.n;
}
