/* runtime/lift_rows.c — a block's bytes of a boolean lift table (see
 * lift_rows.h).
 *
 * One load a record costs about 1.7 ns for the compact email table of the 1M
 * bench (286k codes): the loop's shifts and its null test are as many
 * instructions as the load waits.  With AVX2 eight records are one gather
 * of 4-byte words at their codes (hence the 3 readable bytes after a
 * table), their bytes picked out and stored as 8 bytes; with AVX-512
 * sixteen, the null bytes tested into a mask and the bytes stored by one
 * narrowing move (the 1M bench's compact `email` rows: 2.35 against 1.95
 * million TSC cycles a run, hand timers, six alternating pairs). */
#include "lift_rows.h"

#include "table.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ROWS_AVX2 1
#endif

bool lift_rows_baseline, lift_rows_no_avx512;

/* bits 0..3 to bits 0, 2, 4, 6 (OUT_FALSE = 0, OUT_TRUE = 1 per lift) */
static const uint8_t widen[16] = {0x00, 0x01, 0x04, 0x05, 0x10, 0x11, 0x14, 0x15,
                                  0x40, 0x41, 0x44, 0x45, 0x50, 0x51, 0x54, 0x55};

#ifdef ROWS_AVX2
/* the low bytes of v's eight 32-bit lanes, stored as 8 bytes */
__attribute__((target("avx2"))) static inline void store_low_bytes(uint8_t *out, __m256i v) {
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, //
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  v = _mm256_shuffle_epi8(v, pick);
  __m128i both = _mm_unpacklo_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  _mm_storel_epi64((__m128i *)(void *)out, both);
}

/* all ones in the lanes whose null byte is set */
__attribute__((target("avx2"))) static inline __m256i null_lanes(const uint8_t *nulls) {
  __m256i n = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)nulls));
  return _mm256_cmpgt_epi32(n, _mm256_setzero_si256());
}

__attribute__((target("avx2"))) static void bytes_avx2(const uint8_t *vals, const uint32_t *codes, const uint8_t *nulls,
                                                      uint32_t null_code, uint8_t *out) {
  const __m256i null_at = _mm256_set1_epi32((int)null_code);
  for (unsigned i = 0; i < RT_BLOCK; i += 8) {
    __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(codes + i));
    if (nulls) c = _mm256_blendv_epi8(c, null_at, null_lanes(nulls + i));
    store_low_bytes(out + i, _mm256_i32gather_epi32((const int *)(const void *)vals, c, 1));
  }
}

__attribute__((target("avx2"))) static void compact_avx2(const uint8_t *vals, const uint32_t *codes, const uint8_t *nulls,
                                                        uint8_t null_value, uint8_t *out) {
  const __m256i wide = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)widen));
  const __m256i one = _mm256_set1_epi32(1), nibble = _mm256_set1_epi32(15), null_v = _mm256_set1_epi32(null_value);
  for (unsigned i = 0; i < RT_BLOCK; i += 8) {
    __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(codes + i)), null = _mm256_setzero_si256();
    if (nulls) { /* a null's code may be anything: read code 0's byte instead */
      null = null_lanes(nulls + i);
      c = _mm256_andnot_si256(null, c);
    }
    __m256i w = _mm256_i32gather_epi32((const int *)(const void *)vals, _mm256_srli_epi32(c, 1), 1);
    w = _mm256_and_si256(_mm256_srlv_epi32(w, _mm256_slli_epi32(_mm256_and_si256(c, one), 2)), nibble);
    w = _mm256_shuffle_epi8(wide, w); /* the lane's other bytes are 0, and widen[0] is 0 */
    if (nulls) w = _mm256_blendv_epi8(w, null_v, null);
    store_low_bytes(out + i, w);
  }
}

/* sixteen records a step (AVX-512 BW): their null bytes as a mask */
__attribute__((target("avx512f,avx512bw,avx512vl"))) static inline __mmask16 null_mask(const uint8_t *nulls) {
  return nulls ? _mm_test_epi8_mask(_mm_loadu_si128((const __m128i *)(const void *)nulls), _mm_set1_epi8(-1)) : 0;
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) static void bytes_avx512(const uint8_t *vals, const uint32_t *codes,
                                                                           const uint8_t *nulls, uint32_t null_code,
                                                                           uint8_t *out) {
  const __m512i null_at = _mm512_set1_epi32((int)null_code);
  for (unsigned i = 0; i < RT_BLOCK; i += 16) {
    __m512i c = _mm512_mask_loadu_epi32(null_at, (__mmask16)~null_mask(nulls ? nulls + i : NULL), codes + i);
    __m512i w = _mm512_i32gather_epi32(c, (const void *)vals, 1);
    _mm_storeu_si128((__m128i *)(void *)(out + i), _mm512_cvtepi32_epi8(w));
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) static void compact_avx512(const uint8_t *vals, const uint32_t *codes,
                                                                             const uint8_t *nulls, uint8_t null_value,
                                                                             uint8_t *out) {
  const __m512i wide = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)widen));
  const __m512i one = _mm512_set1_epi32(1), nibble = _mm512_set1_epi32(15), null_v = _mm512_set1_epi32(null_value);
  for (unsigned i = 0; i < RT_BLOCK; i += 16) {
    __mmask16 null = null_mask(nulls ? nulls + i : NULL);
    __m512i c = _mm512_maskz_loadu_epi32((__mmask16)~null, codes + i); /* a null's code may be anything: read code 0's */
    __m512i w = _mm512_i32gather_epi32(_mm512_srli_epi32(c, 1), (const void *)vals, 1);
    w = _mm512_and_si512(_mm512_srlv_epi32(w, _mm512_slli_epi32(_mm512_and_si512(c, one), 2)), nibble);
    w = _mm512_mask_mov_epi32(_mm512_shuffle_epi8(wide, w), null, null_v);
    _mm_storeu_si128((__m128i *)(void *)(out + i), _mm512_cvtepi32_epi8(w));
  }
}

static bool use_avx512(void) {
  return !lift_rows_baseline && !lift_rows_no_avx512 && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
}

static bool use_avx2(void) { return !lift_rows_baseline && __builtin_cpu_supports("avx2"); }
#endif

void lift_rows_bytes(const uint8_t *vals, const uint32_t *codes, const uint8_t *nulls, uint32_t null_code, uint8_t *out) {
#ifdef ROWS_AVX2
  if (use_avx512()) {
    bytes_avx512(vals, codes, nulls, null_code, out);
    return;
  }
  if (use_avx2()) {
    bytes_avx2(vals, codes, nulls, null_code, out);
    return;
  }
#endif
  if (nulls)
    for (unsigned i = 0; i < RT_BLOCK; i++) out[i] = vals[nulls[i] ? null_code : codes[i]];
  else
    for (unsigned i = 0; i < RT_BLOCK; i++) out[i] = vals[codes[i]];
}

void lift_rows_compact(const uint8_t *vals, const uint32_t *codes, const uint8_t *nulls, uint8_t null_value, uint8_t *out) {
#ifdef ROWS_AVX2
  if (use_avx512()) {
    compact_avx512(vals, codes, nulls, null_value, out);
    return;
  }
  if (use_avx2()) {
    compact_avx2(vals, codes, nulls, null_value, out);
    return;
  }
#endif
  for (unsigned i = 0; i < RT_BLOCK; i++) {
    bool null = nulls && nulls[i];
    uint32_t c = null ? 0 : codes[i]; /* a null's code may be anything */
    uint8_t v = widen[vals[c / 2] >> c % 2 * 4 & 15];
    out[i] = null ? null_value : v;
  }
}
