/* tests/unit/test_str_scan.c — str_scan_contains and
 * str_scan_contains_any (stdlib/str_scan.c) against str_contains,
 * str_scan_affix and str_scan_affix_any against str_starts_with,
 * str_ends_with and str_compare,
 * str_scan_first_of and str_scan_seq against a byte loop, string by
 * string: generated chunks of strings over a small alphabet (so that patterns occur often,
 * across string boundaries too, and in the padding), with empty strings,
 * patterns of 0 to 9 bytes, of 15 to 18 (around the 16 bytes compared at
 * once) and longer than every string, 1 to 8 patterns at once with up to 6
 * first bytes, sets of 1 to 4 bytes, windows of 1 to 32 bytes with 1 to 4
 * byte classes and a NUL in some strings; strings of up to 149 bytes (several
 * windows); with AVX-512 (where the CPU has it), with AVX2 and with the
 * baseline scan.  The buffer is exactly as large as the contract says, so
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

static const char ALPHA[] = "ab@.xy";

/* a pattern over the first `letters` letters of ALPHA */
static uint32_t pattern(char *p, int letters) {
  int pick = rn(8);
  uint32_t m = (uint32_t)(pick == 0 ? 41 + rn(6) : pick == 1 ? 15 + rn(4) : rn(10));
  for (uint32_t k = 0; k < m; k++) p[k] = ALPHA[rn(letters)];
  return m;
}

/* The first, last (or all, whole) of up to 16 bytes of s into p: its length */
static uint32_t where_piece(const char *s, uint32_t len, char *p, int where) {
  uint32_t take = where == STR_WHOLE ? len : (uint32_t)rn((len < 16 ? (int)len : 16) + 1);
  if (take > 16) take = 16;
  memcpy(p, s + (where == STR_AT_END ? len - take : 0), take);
  return take;
}

int main(void) {
  int compared = 0, found = 0, affixes = 0, affix_any_hits = 0, seq_hits = 0;
  for (int round = 0; round < 4000; round++) {
    str_scan_baseline = round % 3 == 2, str_scan_no_avx512 = round % 3 == 1;
    uint32_t count = (uint32_t)rn(round % 10 == 0 ? 300 : 12);
    uint32_t off[301];
    const char *s[300];
    uint32_t len[300];
    uint32_t total = 0;
    for (uint32_t i = 0; i < count; i++) total += len[i] = (uint32_t)(rn(4) == 0 ? 0 : rn(8) == 0 ? rn(150) : rn(40));
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
    uint32_t m = pattern(p, 4);
    if (count && rn(3) == 0) { /* the start or the end of one of the strings */
      uint32_t q = (uint32_t)rn((int)count), take = (uint32_t)rn(len[q] < 18 ? (int)len[q] + 1 : 19);
      memcpy(p, s[q] + (rn(2) ? 0 : len[q] - take), m = take);
      if (m && rn(2)) p[rn((int)m)] = ALPHA[rn(6)]; /* or nearly */
    }
    uint8_t r[300];
    memset(r, 0, sizeof r);
    str_scan_contains(cat, off, count, p, m, r);
    /* several patterns at once, and a pattern at the start, at the end, or whole */
    char pats[8][48];
    const char *pp[8];
    uint32_t pm[8];
    int npats = 1 + rn(8);
    for (int j = 0; j < npats; j++) pp[j] = pats[j], pm[j] = pattern(pats[j], rn(3) == 0 ? 6 : 4);
    if (rn(10) == 0) pm[0] = 0; /* the empty pattern */
    for (int j = 0; j < npats && count; j++)
      if (rn(4) == 0) { /* a piece of one of the strings, to be found */
        uint32_t q = (uint32_t)rn((int)count), at = (uint32_t)rn((int)len[q] + 1);
        pm[j] = (uint32_t)rn((int)(len[q] - at < 47 ? len[q] - at : 47) + 1);
        memcpy(pats[j], s[q] + at, pm[j]);
        if (pm[j] && rn(2)) pats[j][pm[j] - 1] = ALPHA[rn(6)]; /* or nearly */
      }
    uint8_t any[300];
    memset(any, 0, sizeof any);
    str_scan_contains_any(cat, off, count, pp, pm, npats, any);
    str_where where = (str_where)rn(3);
    uint8_t fix[300];
    bool fixed = str_scan_affix(cat, off, count, p, m, where, fix);
    CHECK(fixed == (m <= 16), "round %d: str_scan_affix took a pattern of %u bytes: %d", round, m, fixed);
    /* several patterns of at most 16 bytes at the start, at the end, or whole: pieces of the strings there */
    char apats[8][16];
    const char *ap[8];
    uint32_t am[8];
    int nap = 1 + rn(8);
    for (int j = 0; j < nap; j++) {
      ap[j] = apats[j];
      am[j] = (uint32_t)rn(17);
      for (uint32_t k = 0; k < am[j]; k++) apats[j][k] = ALPHA[rn(4)];
      if (count && rn(2)) {
        uint32_t q = (uint32_t)rn((int)count);
        am[j] = where_piece(s[q], len[q], apats[j], rn(3));
        if (am[j] && rn(3) == 0) apats[j][rn((int)am[j])] = ALPHA[rn(6)]; /* or nearly */
      }
    }
    uint8_t affany[300];
    memset(affany, 0, sizeof affany);
    str_scan_affix_any(cat, off, count, ap, am, nap, where, affany);
    for (uint32_t i = 0; i < count; i++) {
      bool want = false;
      for (int j = 0; j < nap; j++)
        want |= where == STR_AT_START ? str_starts_with(s[i], len[i], ap[j], am[j], false)
                : where == STR_AT_END ? str_ends_with(s[i], len[i], ap[j], am[j], false)
                                      : str_compare(s[i], len[i], ap[j], am[j], false) == 0;
      affix_any_hits += want;
      CHECK(affany[i] == want, "round %d: string %u \"%.*s\", %d patterns (first \"%.*s\") at %d: %d, want %d", round, i,
            (int)len[i], s[i], nap, (int)am[0], ap[0], (int)where, affany[i], want);
    }
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
    /* windows of 1 to 4 byte classes, on a copy with a NUL in some strings */
    str_class cls[STR_SEQ_MAX];
    int ncls = 1 + rn(STR_SEQ_MAX);
    uint32_t wlen = (uint32_t)(rn(4) == 0 ? 9 + rn(24) : 1 + rn(8));
    for (int c = 0; c < ncls; c++) {
      static const uint8_t sorted[] = ".@ab";
      int a = rn(4), b = rn(4);
      cls[c] = (str_class){.at = (uint8_t)rn((int)wlen), .lo = sorted[a < b ? a : b], .hi = sorted[a < b ? b : a]};
    }
    char *cz = malloc(total + STR_SCAN_PAD);
    memcpy(cz, cat, total + STR_SCAN_PAD);
    for (uint32_t i = 0; i < count; i++)
      if (len[i] && rn(5) == 0) cz[off[i] + (uint32_t)rn((int)len[i])] = 0;
    uint64_t smask[300];
    uint32_t which[300], nwhich = str_scan_seq(cz, off, count, cls, ncls, wlen, smask, which), j = 0;
    for (uint32_t i = 0; i < count; i++) {
      uint64_t want = 0;
      for (uint32_t b = 0; b < 64 && b + wlen <= len[i] && cz[off[i] + b] != 0; b++) { /* up to the first NUL */
        bool in = true;
        for (int c = 0; c < ncls; c++) {
          uint8_t x = (uint8_t)cz[off[i] + b + cls[c].at];
          in &= x >= cls[c].lo && x <= cls[c].hi;
        }
        if (in) want |= UINT64_C(1) << b;
      }
      uint64_t got = j < nwhich && which[j] == i ? smask[j++] : 0;
      seq_hits += want != 0;
      CHECK(got == want, "round %d: string %u \"%.*s\", %d classes over %u bytes: windows %llx, want %llx", round, i,
            (int)len[i], cz + off[i], ncls, wlen, (unsigned long long)got, (unsigned long long)want);
    }
    CHECK(j == nwhich, "round %d: %u strings listed with windows, %u checked", round, nwhich, j);
    free(cz);
    for (uint32_t i = 0; i < count; i++) {
      bool want = false;
      for (int j = 0; j < npats; j++) want |= str_contains(s[i], len[i], pp[j], pm[j], false);
      CHECK(any[i] == want, "round %d: string %u \"%.*s\", %d patterns (first \"%.*s\"): %d, want %d", round, i,
            (int)len[i], s[i], npats, (int)pm[0], pp[0], any[i], want);
      want = where == STR_AT_START ? str_starts_with(s[i], len[i], p, m, false)
             : where == STR_AT_END ? str_ends_with(s[i], len[i], p, m, false)
                                   : str_compare(s[i], len[i], p, m, false) == 0;
      affixes += want;
      CHECK(!fixed || fix[i] == want, "round %d: string %u \"%.*s\", pattern \"%.*s\" at %d: %d, want %d", round, i,
            (int)len[i], s[i], (int)m, p, (int)where, fix[i], want);
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
  CHECK(affix_any_hits * 5 > compared, "only %d of %d strings started with, ended with or were one of their patterns",
        affix_any_hits, compared);
  CHECK(seq_hits * 20 > compared, "only %d of %d strings had windows of their classes", seq_hits, compared);
  CHECK(affixes * 20 > compared, "only %d of %d strings started with, ended with or were their pattern", affixes, compared);
  printf("test_str_scan: %d checks (%d strings, %d contain the pattern), %d failed\n", checks, compared, found, failures);
  return failures != 0;
}
