/* tests/unit/test_lift_rows.c — lift_rows_bytes and lift_rows_compact
 * (runtime/lift_rows.c), with AVX-512 gathers (where the CPU has them),
 * AVX2 gathers and one load a record,
 * against a direct reading of the table: generated tables of 1 to 300k
 * codes, codes drawn anywhere in them (the last one often, whose 4-byte
 * read reaches the padding), with and without null bytes, a null's code
 * left as anything. */
#include <string.h>

#include "runtime/lift_rows.h"
#include "runtime/table.h"
#include "unit.h"

static unsigned long long seed = 11;
static uint32_t rn(uint32_t n) {
  seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)((seed >> 33) % n);
}

/* bits 0..3 of x to bits 0, 2, 4, 6 */
static uint8_t widened(unsigned x) { return (uint8_t)((x & 1) | (x & 2) << 1 | (x & 4) << 2 | (x & 8) << 3); }

int main(void) {
  static uint32_t codes[RT_BLOCK];
  static uint8_t nulls[RT_BLOCK], out[RT_BLOCK + 8];
  for (int round = 0; round < 400; round++) {
    lift_rows_baseline = round % 3 == 2, lift_rows_no_avx512 = round % 3 == 1;
    uint32_t ndict = 1 + (round % 5 == 0 ? rn(300000) : rn(40));
    bool with_nulls = rn(2);
    for (unsigned i = 0; i < RT_BLOCK; i++) {
      nulls[i] = with_nulls && rn(4) == 0 ? (uint8_t)(1 + rn(255)) : 0;
      codes[i] = nulls[i] && rn(2) ? (uint32_t)rn(0xFFFFFFFFu) : rn(4) == 0 ? ndict - 1 : rn(ndict);
    }
    /* a byte table: codes 0..ndict-1, the null slot ndict, 3 bytes of padding */
    uint8_t *bytes = malloc(ndict + 1 + 3);
    for (uint32_t c = 0; c <= ndict; c++) bytes[c] = (uint8_t)rn(256);
    memset(bytes + ndict + 1, 0xEE, 3);
    memset(out, 0xCC, sizeof out);
    lift_rows_bytes(bytes, codes, with_nulls ? nulls : NULL, ndict, out);
    int bad = 0;
    for (unsigned i = 0; i < RT_BLOCK; i++) bad += out[i] != bytes[nulls[i] ? ndict : codes[i]];
    CHECK(bad == 0, "bytes: %d wrong of %u (round %d, ndict %u, nulls %d)", bad, RT_BLOCK, round, ndict, with_nulls);
    CHECK(out[RT_BLOCK] == 0xCC, "bytes: wrote past the block (round %d)", round);
    free(bytes);
    /* a compact table: a nibble a code, then 3 bytes of padding */
    size_t size = ndict / 2 + 1;
    uint8_t *nib = malloc(size + 3), null_value = (uint8_t)rn(256);
    for (size_t k = 0; k < size + 3; k++) nib[k] = (uint8_t)rn(256);
    memset(out, 0xCC, sizeof out);
    lift_rows_compact(nib, codes, with_nulls ? nulls : NULL, null_value, out);
    bad = 0;
    for (unsigned i = 0; i < RT_BLOCK; i++)
      bad += out[i] != (nulls[i] ? null_value : widened(nib[codes[i] / 2] >> codes[i] % 2 * 4 & 15));
    CHECK(bad == 0, "compact: %d wrong of %u (round %d, ndict %u, nulls %d)", bad, RT_BLOCK, round, ndict, with_nulls);
    CHECK(out[RT_BLOCK] == 0xCC, "compact: wrote past the block (round %d)", round);
    free(nib);
  }
  printf("lift_rows: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}
