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

#define RX_MAX_STATES 512

typedef struct rx rx;

rx *rx_compile(const char *pattern);
/* True when the pattern matches somewhere in s[0..n) (up to its first NUL,
 * as regexec reads a C string). */
bool rx_match(const rx *r, const char *s, size_t n);
void rx_free(rx *r);

#endif
