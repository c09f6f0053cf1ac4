/* stdlib/strings.c — the string builtins' byte-level kernels (strings.h). */
#include "strings.h"

#include <string.h>

static inline unsigned char fold1(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

/* s[0..m) folded (or not) equals p[0..m) */
static bool equal_at(const char *s, const char *p, size_t m, bool fold) {
  if (!fold) return memcmp(s, p, m) == 0;
  for (size_t i = 0; i < m; i++)
    if (fold1((unsigned char)s[i]) != (unsigned char)p[i]) return false;
  return true;
}

bool str_starts_with(const char *s, size_t n, const char *p, size_t m, bool fold) {
  return m <= n && equal_at(s, p, m, fold);
}

bool str_ends_with(const char *s, size_t n, const char *p, size_t m, bool fold) {
  return m <= n && equal_at(s + n - m, p, m, fold);
}

/* Finds the pattern's first byte with memchr and compares the rest there;
 * a folded subject matches a lower-case letter in either case, an upper-case
 * letter never. */
bool str_contains(const char *s, size_t n, const char *p, size_t m, bool fold) {
  if (m == 0) return true;
  if (m > n) return false;
  unsigned char c = (unsigned char)p[0];
  if (!fold || !(c >= 'a' && c <= 'z')) {
    if (fold && c >= 'A' && c <= 'Z') return false;
    if (!fold && n > 256) return memmem(s, n, p, m) != NULL;
    const char *end = s + n - m + 1, *at = s;
    while ((at = memchr(at, c, (size_t)(end - at))) != NULL) {
      if (equal_at(at + 1, p + 1, m - 1, fold)) return true;
      at++;
    }
    return false;
  }
  for (size_t i = 0; i + m <= n; i++)
    if (fold1((unsigned char)s[i]) == c && equal_at(s + i + 1, p + 1, m - 1, true)) return true;
  return false;
}

int str_compare(const char *s, size_t n, const char *p, size_t m, bool fold) {
  size_t k = n < m ? n : m;
  for (size_t i = 0; i < k; i++) {
    unsigned char c = fold ? fold1((unsigned char)s[i]) : (unsigned char)s[i], t = (unsigned char)p[i];
    if (c != t) return c < t ? -1 : 1;
  }
  return (n > m) - (n < m);
}

void str_fold(char *out, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (char)fold1((unsigned char)s[i]);
}

bool str_has_upper(const char *s, size_t n) {
  unsigned char any = 0; /* no early exit: the loop vectorises */
  for (size_t i = 0; i < n; i++) any |= (unsigned char)((unsigned char)s[i] - 'A') < 26;
  return any != 0;
}
