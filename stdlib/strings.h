/* stdlib/strings.h — the string builtins' byte-level kernels.
 *
 * Strings are (pointer, length) byte ranges, not NUL-terminated.  With
 * `fold` set, the subject is compared as lower() would fold it (ASCII A-Z to
 * a-z, language.md §5) without making the folded copy; the pattern is taken
 * as written, so `contains(lower(s), "A")` stays false. */
#ifndef SEGC_STRINGS_H
#define SEGC_STRINGS_H

#include <stdbool.h>
#include <stddef.h>

bool str_starts_with(const char *s, size_t n, const char *p, size_t m, bool fold);
bool str_ends_with(const char *s, size_t n, const char *p, size_t m, bool fold);
bool str_contains(const char *s, size_t n, const char *p, size_t m, bool fold);
/* <0, 0, >0: the subject against the pattern, bytewise, shorter first */
int str_compare(const char *s, size_t n, const char *p, size_t m, bool fold);
/* lower(): writes n folded bytes of s to out */
void str_fold(char *out, const char *s, size_t n);
/* whether lower() would change s: some byte is A-Z */
bool str_has_upper(const char *s, size_t n);

#endif
