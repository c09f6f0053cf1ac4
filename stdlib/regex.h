/* stdlib/regex.h — a DFA for the common POSIX extended regular expressions.
 *
 * matches(s, p) is "glibc's regexec(p, s) in the C locale finds a match
 * anywhere".  For a pattern made of literal bytes, `.`, bracket expressions
 * (ranges and [:class:]es), groups, `|`, `* + ?`, bounds {m} {m,} {m,n} and
 * the anchors `^ $`, rx_compile builds the whole deterministic automaton up
 * front (at most RX_MAX_STATES states); matching is then one table lookup
 * per byte, stopping at the first accepting or dead state.  For anything
 * else (back-references, GNU escapes like \w, a quantifier where GNU and
 * POSIX differ, a multibyte locale, too many states) rx_compile returns NULL
 * and the caller uses regexec. */
#ifndef SEGC_REGEX_H
#define SEGC_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RX_MAX_STATES 512

typedef struct rx rx;

rx *rx_compile(const char *pattern);
/* True when the pattern matches somewhere in s[0..n) (up to its first NUL,
 * as regexec reads a C string). */
bool rx_match(const rx *r, const char *s, size_t n);
/* out[i] = rx_match(r, string i) for count strings laid end to end as
 * str_scan.h has them (cat[off[i] .. off[i + 1]), padded).  A pattern whose
 * matches all have one length and a byte of a small set at one place
 * (`(19|20)[0-9][0-9]@`: an `@` fifth) looks only at the windows whose
 * bytes at up to four places are each in its place's range of bytes (the
 * `@`, `1`-`2`, two digits), found by vector compares over all the strings
 * at once, and one that ends with `$` only at the subject's end; a
 * pattern that can start a match at only a few bytes skips to the first of
 * them; an anchored one stops at a first byte that cannot start it.
 * scratch is 2 * count words. */
void rx_match_many(const rx *r, const char *cat, const uint32_t *off, uint32_t count, uint8_t *out, uint64_t *scratch);
/* When the subjects the pattern matches are exactly those that start with
 * one of a few strings (`^(info|sales)@`: "info@", "sales@"), those
 * strings: their count (at most `max`, none empty, none over RX_PREFIX_MAX
 * bytes, none with a NUL), each in out[k] with its length in len[k];
 * else -1.  Such a test is a range of codes in a sorted dictionary per
 * string (compiler/lower_prefix.c). */
#define RX_PREFIX_MAX 16
int rx_prefixes(const rx *r, char (*out)[RX_PREFIX_MAX], uint32_t *len, int max);
void rx_free(rx *r);

#endif
