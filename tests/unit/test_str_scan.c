/* tests/unit/test_str_scan.c — str_scan_contains (stdlib/str_scan.c)
 * against str_contains, and str_scan_first_of against a byte loop, string
 * by string: generated chunks of strings over a small alphabet (so that
 * patterns occur often, across string boundaries too, and in the padding),
 * with empty strings, patterns of 0 to 9 bytes and patterns longer than
 * every string, sets of 1 to 4 bytes; with AVX2 and with the baseline
 * scan.  The buffer is exactly as large as the contract says, so
 * AddressSanitizer sees any read past it. */
#include <string.h>

#include "stdlib/str_scan.h"
#include "stdlib/strings.h"
#include "unit.h"

static unsigned long long seed = 7;
static int rn(int n) {
  seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return (int)((seed >> 33) % (unsigned)n);
}

static const char ALPHA[] = "ab@.";

int main(void) {
  int compared = 0, found = 0;
  for (int round = 0; round < 4000; round++) {
    str_scan_baseline = round % 2;
    uint32_t count = (uint32_t)rn(round % 10 == 0 ? 300 : 12);
    uint32_t off[301];
    const char *s[300];
    uint32_t len[300];
    uint32_t total = 0;
    for (uint32_t i = 0; i < count; i++) total += len[i] = (uint32_t)(rn(4) == 0 ? 0 : rn(40));
    char *cat = malloc(total + STR_SCAN_PAD);
    for (uint32_t i = 0, at = 0; i < count; i++) {
      off[i] = at;
      for (uint32_t k = 0; k < len[i]; k++) cat[at + k] = ALPHA[rn(4)];
      s[i] = cat + at;
      at += len[i];
    }
    off[count] = total;
    for (int k = 0; k < STR_SCAN_PAD; k++) cat[total + k] = ALPHA[rn(4)]; /* the padding must never count */
    char p[48];
    uint32_t m = (uint32_t)(rn(8) == 0 ? 41 + rn(6) : rn(10));
    for (uint32_t k = 0; k < m; k++) p[k] = ALPHA[rn(4)];
    uint8_t r[300];
    memset(r, 0, sizeof r);
    str_scan_contains(cat, off, count, p, m, r);
    /* the first byte of a set of 1 to 4 */
    uint8_t set[4];
    int nset = 1 + rn(4);
    for (int k = 0; k < nset; k++) set[k] = (uint8_t)ALPHA[rn(4)];
    uint32_t first[300];
    str_scan_first_of(cat, off, count, set, nset, first);
    for (uint32_t i = 0; i < count; i++) {
      uint32_t want = 0;
      while (want < len[i] && !memchr(set, s[i][want], (size_t)nset)) want++;
      CHECK(first[i] == want, "round %d: string %u \"%.*s\", set \"%.*s\": first %u, want %u", round, i, (int)len[i], s[i],
            nset, (const char *)set, first[i], want);
    }
    for (uint32_t i = 0; i < count; i++) {
      bool want = str_contains(s[i], len[i], p, m, false);
      compared++;
      found += want;
      CHECK(r[i] == want, "round %d: string %u \"%.*s\", pattern \"%.*s\": %d, want %d", round, i, (int)len[i], s[i],
            (int)m, p, r[i], want);
    }
    free(cat);
  }
  CHECK(found * 10 > compared && found * 10 < 9 * compared, "%d of %d strings contained their pattern", found, compared);
  printf("test_str_scan: %d checks (%d strings, %d contain the pattern), %d failed\n", checks, compared, found, failures);
  return failures != 0;
}
