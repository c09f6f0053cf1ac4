/* tests/unit/test_regex.c — the DFA of stdlib/regex.c against glibc's
 * regexec, the reference matches() is defined by: generated patterns over a
 * small alphabet with every construct the DFA takes, on generated subjects,
 * must agree exactly, and rx_match_many on the subjects laid end to end
 * with rx_match; patterns at the edges of rx_match_many's window paths
 * against regexec; what the DFA does not take must be handed back.  A
 * pattern rx_prefixes reads as a set of prefixes must match, by regexec,
 * exactly the subjects that start with one of them.
 * `test_regex [PATTERNS [SEED]]` runs more. */
#include <regex.h>
#include <string.h>

#include "stdlib/regex.h"
#include "stdlib/str_scan.h"
#include "unit.h"

static unsigned long long seed = 1;
static int rn(int n) {
  seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return (int)((seed >> 33) % (unsigned)n);
}

static const char ALPHA[] = "ab@1 A.";

static void gen(char *out, size_t cap, int depth) {
  size_t n = strlen(out);
  if (n + 24 > cap) return;
  char *p = out + n;
  switch (depth <= 0 ? rn(4) : rn(14)) {
  case 0: case 1: *p++ = ALPHA[rn(6)]; *p = 0; break;
  case 2: strcpy(p, (const char *[]){".", "[ab]", "[^a]", "[a-c]", "[[:digit:]]", "[[:alpha:]@]", "\\.", "[]a]", "[a-]"}[rn(9)]); break;
  case 3: strcpy(p, rn(2) ? "^" : "$"); break;
  case 4: case 5: case 6: gen(out, cap, depth - 1); gen(out, cap, depth - 1); break;
  case 7: case 8:
    strcat(out, "(");
    gen(out, cap, depth - 1);
    strcat(out, "|");
    gen(out, cap, depth - 1);
    strcat(out, ")");
    break;
  default: {
    strcat(out, "(");
    gen(out, cap, depth - 1);
    strcat(out, ")");
    strcat(out, (const char *[]){"*", "+", "?", "{2}", "{0,2}", "{1,}"}[rn(6)]);
    break;
  }
  }
}

/* 40 generated subjects over alpha: each every-th one (from the fourth) 56
 * to 95 bytes long, around the 64 that the vector masks cover, the others
 * below short_max; a NUL put inside every 13th.  rx_match agrees with
 * regexec on each before its NUL, and rx_match_many on them laid end to
 * end (str_scan.h) with regexec after (regexec stops at the NUL).  Returns
 * how many subjects were compared. */
static int check_subjects(rx *r, regex_t *re, const char *pat, const char *alpha, int every, int short_max, bool baseline) {
  enum { N = 40, LONGEST = 135 };
  char cat[N * LONGEST + STR_SCAN_PAD];
  uint32_t off[N + 1] = {0};
  uint64_t scratch[2 * N];
  uint8_t want[N], many[N];
  int nalpha = (int)strlen(alpha);
  for (int j = 0; j < N; j++) {
    char s[LONGEST + 1];
    int len = j % every == 3 ? 56 + rn(40) : rn(short_max);
    for (int i = 0; i < len; i++) s[i] = alpha[rn(nalpha)];
    s[len] = 0;
    bool got = rx_match(r, s, (size_t)len);
    want[j] = regexec(re, s, 0, NULL, 0) == 0;
    CHECK(want[j] == got, "/%s/ on \"%s\": regexec %d, DFA %d", pat, s, want[j], got);
    if (j % 13 == 5 && len > 1) s[rn(len)] = 0, want[j] = regexec(re, s, 0, NULL, 0) == 0; /* a NUL inside */
    memcpy(cat + off[j], s, (size_t)len);
    off[j + 1] = off[j] + (uint32_t)len;
  }
  for (int i = 0; i < STR_SCAN_PAD; i++) cat[off[N] + i] = alpha[rn(nalpha)]; /* as the dictionary's next strings */
  str_scan_baseline = baseline;
  rx_match_many(r, cat, off, N, many, scratch);
  for (int j = 0; j < N; j++)
    CHECK(many[j] == want[j], "/%s/ on \"%.*s\" (subject %d of %d): rx_match_many %d, regexec %d", pat,
          (int)(off[j + 1] - off[j]), cat + off[j], j, N, many[j], want[j]);
  return N;
}

/* When r's matches are the subjects with one of its prefixes (rx_prefixes),
 * regexec agrees on 60 subjects: each prefix with tails, cut short, and
 * random ones, some with a NUL inside.  Returns whether it was such a pattern. */
static bool check_prefixes(rx *r, regex_t *re, const char *pat) {
  char pre[16][RX_PREFIX_MAX];
  uint32_t len[16];
  int n = rx_prefixes(r, pre, len, 16);
  if (n < 0) return false;
  for (int j = 0; j < 60; j++) {
    char s[40];
    int at = 0;
    if (n && j % 3 < 2) { /* a prefix, whole or cut, then a tail */
      int k = rn(n), keep = j % 3 == 0 ? (int)len[k] : rn((int)len[k] + 1);
      memcpy(s, pre[k], (size_t)keep);
      at = keep;
    }
    for (int tail = rn(6); tail > 0; tail--) s[at++] = ALPHA[rn(7)];
    if (j % 11 == 4 && at > 0) s[rn(at)] = 0;
    s[at] = 0;
    bool starts = false;
    for (int k = 0; k < n; k++) starts |= (uint32_t)at >= len[k] && memcmp(s, pre[k], len[k]) == 0;
    bool want = regexec(re, s, 0, NULL, 0) == 0;
    CHECK(want == starts, "/%s/ on \"%s\": regexec %d, one of its %d prefixes %d", pat, s, want, n, starts);
  }
  return true;
}

int main(int argc, char **argv) {
  int compared = 0, taken = 0, valid = 0, prefixed = 0, npatterns = argc > 1 ? atoi(argv[1]) : 3000;
  if (argc > 2) seed = strtoull(argv[2], NULL, 10);
  for (int k = 0; k < npatterns; k++) {
    char pat[256] = "";
    gen(pat, sizeof pat, 1 + rn(4));
    regex_t re;
    if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0) continue; /* the checker refuses these */
    valid++;
    rx *r = rx_compile(pat);
    if (!r && getenv("SHOW")) printf("not taken: %s\n", pat);
    if (r) {
      taken++;
      compared += check_subjects(r, &re, pat, ALPHA, 8, 9, k % 2);
      prefixed += check_prefixes(r, &re, pat);
      rx_free(r);
    }
    regfree(&re);
  }
  /* about a fifth of the generated patterns repeat a group with an anchor in it */
  CHECK(taken * 10 >= valid * 7, "the DFA took only %d of %d valid patterns", taken, valid);
  /* anchored ones, which are sets of prefixes more often */
  for (int k = 0; k < npatterns / 4; k++) {
    char pat[256] = "^";
    gen(pat, sizeof pat, 1 + rn(3));
    regex_t re;
    if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0) continue;
    rx *r = rx_compile(pat);
    if (r) {
      compared += check_subjects(r, &re, pat, ALPHA, 8, 9, k % 2);
      prefixed += check_prefixes(r, &re, pat);
    }
    rx_free(r);
    regfree(&re);
  }
  CHECK(prefixed * 10 >= npatterns, "only %d patterns were sets of prefixes", prefixed);
  if (getenv("SHOW")) printf("%d sets of prefixes\n", prefixed);

  /* sets of prefixes, and what is not one */
  struct {
    const char *pat;
    int max, n;
    const char *first;
  } sets[] = {{"^(info|sales|admin|office|contact)@", 8, 5, "admin@"}, {"^(info|in)", 8, 1, "in"}, {"^a[b-c]", 8, 2, "ab"},
              {"^[0-9]", 16, 10, "0"}, {"^[0-9]", 8, -1, NULL}, {"^a$", 8, -1, NULL}, {"a", 8, -1, NULL},
              {"^$", 8, -1, NULL}, {"^a*", 8, -1, NULL}, {"^a{17}", 8, -1, NULL}, {"^(ab|a$)", 8, -1, NULL}};
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
    rx *r = rx_compile(sets[i].pat);
    char pre[16][RX_PREFIX_MAX];
    uint32_t len[16];
    int n = r ? rx_prefixes(r, pre, len, sets[i].max) : -2;
    CHECK(n == sets[i].n, "/%s/: %d prefixes, not %d", sets[i].pat, n, sets[i].n);
    if (n > 0 && sets[i].first)
      CHECK(len[0] == strlen(sets[i].first) && memcmp(pre[0], sets[i].first, len[0]) == 0, "/%s/: first prefix %.*s",
            sets[i].pat, (int)len[0], pre[0]);
    rx_free(r);
  }

  /* the edges of the window paths (stdlib/regex.c): fixed lengths around
     RX_FIXED_MAX (32), windows at the end, subjects past the 64 bytes the
     vector masks cover, NULs inside */
  const char *edges[] = {"a{32}", "a{31}@", "@a{31}", "a{33}", "(ab){16}$", "[ab]{32}$", "@[0-9]{30}$",
                         "(x|y)@(a|b)", ".{32}$", "@$", "(19|20)[0-9][0-9]@"};
  for (size_t e = 0; e < sizeof edges / sizeof *edges; e++) {
    rx *r = rx_compile(edges[e]);
    regex_t re;
    bool both = r && regcomp(&re, edges[e], REG_EXTENDED | REG_NOSUB) == 0;
    CHECK(both, "/%s/ not taken", edges[e]);
    if (!both) {
      rx_free(r);
      continue;
    }
    for (int round = 0; round < 30; round++) check_subjects(r, &re, edges[e], "aab@0123xy", 1, 136, round % 2);
    rx_free(r);
    regfree(&re);
  }

  /* the benchmark's and the example's patterns are taken */
  const char *common[] = {"^(info|sales|admin|office|contact)@", "(19|20)[0-9][0-9]@", "^[A-Z][a-z]+$", "[[:space:]]",
                          "^.{3}$", "a{2,}", "[^a-z]", "\\.(com|org)$"};
  for (size_t i = 0; i < sizeof common / sizeof *common; i++) {
    rx *r = rx_compile(common[i]);
    CHECK(r != NULL, "/%s/ not taken", common[i]);
    rx_free(r);
  }
  /* what glibc reads its own way is handed back */
  const char *others[] = {"(a)\\1", "\\w+", "a**", "\\bword", "[[=a=]]", "[[.a.]]", "()", "(|a)", "^*", "a{,2}", "x{1000}", "[a-c-e]"};
  for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
    rx *r = rx_compile(others[i]);
    CHECK(r == NULL, "/%s/ taken", others[i]);
    rx_free(r);
  }
  /* a NUL ends the subject, as for regexec */
  rx *r = rx_compile("b$");
  CHECK(r && rx_match(r, "ab\0c", 4) && !rx_match(r, "a\0b", 3), "NUL ends the subject");
  rx_free(r);

  printf("test_regex: %d checks (%d subjects on %d of %d patterns), %d failed\n", checks, compared, taken, valid, failures);
  return failures != 0;
}
