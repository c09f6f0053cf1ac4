/* lang/syntax_error.c — the wording of syntax errors.
 *
 * Bison knows which token it did not expect and which it would have taken;
 * this file turns that into one diagnostic in the user's words: keywords and
 * punctuation in backquotes, token classes as phrases ("a name"), any place
 * where an expression may start as "an expression", and a hint for the
 * characters people carry over from other languages (`&`, `|`, `!`, `'`). */
#include <stdio.h>
#include <string.h>

#include "ast.h"

/* bison names of token classes, and how a message calls them */
static const char *const class_names[][2] = {
    {"identifier", "a name"},       {"integer", "a whole number"},
    {"decimal", "a decimal number"}, {"string", "a string"},
    {"date", "a date"},             {"timestamp", "a timestamp"},
    {"duration", "a duration"},     {"end of file", "end of file"},
    {"invalid token", "an invalid token"},
};

/* A bison token name without the quotes bison may put around it */
static const char *unquoted(seg_parse *p, const char *name) {
  size_t n = strlen(name);
  if (n < 2 || (name[0] != '"' && name[0] != '\'')) return name;
  return arena_strndup(p->prog->a, name + 1, n - 2);
}

static const char *backquoted(seg_parse *p, const char *text, size_t n) {
  char *s = arena_alloc(p->prog->a, n + 3);
  s[0] = '`';
  memcpy(s + 1, text, n);
  s[n + 1] = '`';
  s[n + 2] = 0;
  return s;
}

/* A token as a message shows it: `and`, `=`, a name, ... */
static const char *token_words(seg_parse *p, const char *bison_name) {
  const char *name = unquoted(p, bison_name);
  for (size_t i = 0; i < sizeof class_names / sizeof *class_names; i++)
    if (strcmp(name, class_names[i][0]) == 0) return class_names[i][1];
  return backquoted(p, name, strlen(name));
}

/* The source text of the unexpected token, quoted, or NULL when it has none */
static const char *token_text(seg_parse *p, seg_span at) {
  const seg_diags *d = &p->prog->diags;
  if (at.file < 0 || at.file >= d->nsources || at.end <= at.start || at.end > d->sources[at.file]->len) return NULL;
  const char *t = d->sources[at.file]->text + at.start;
  size_t n = at.end - at.start;
  if (memchr(t, '\n', n) || n > 40) return NULL;
  return backquoted(p, t, n);
}

static bool has(seg_parse *p, const char *const *names, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(unquoted(p, names[i]), name) == 0) return true;
  return false;
}

static bool is_operator(const char *name) {
  static const char *const ops[] = {"and", "or", "not", "in", "is", "between", "has", "==", "!=", "<=", ">=",
                                    "<", ">", "??", "+", "-", "*", "/", "%", "."};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
    if (strcmp(name, ops[i]) == 0) return true;
  return false;
}

static bool is_decl_keyword(const char *name) {
  return !strcmp(name, "import") || !strcmp(name, "schema") || !strcmp(name, "const") || !strcmp(name, "segment") ||
         !strcmp(name, "test");
}

static const char *bad_char_hint(const char *c) {
  if (!c) return NULL;
  if (strcmp(c, "&") == 0) return "write `and`";
  if (strcmp(c, "|") == 0) return "write `or`";
  if (strcmp(c, "!") == 0) return "write `not` (or `!=` for not equal)";
  if (strcmp(c, "'") == 0 || strcmp(c, "\xe2\x80\x9c") == 0 || strcmp(c, "\xe2\x80\x9d") == 0 ||
      strcmp(c, "\xe2\x80\x98") == 0 || strcmp(c, "\xe2\x80\x99") == 0)
    return "strings are written in plain double quotes: \"text\"";
  if (strcmp(c, ";") == 0) return "declarations need no `;`";
  if (strcmp(c, "$") == 0 || strcmp(c, "@") == 0) return "names are letters, digits and `_`";
  return NULL;
}

void syntax_error_report(seg_parse *p, seg_span at, const char *unexpected, const char *const *expected, int n) {
  seg_diags *d = &p->prog->diags;
  p->had_syntax_error = true;
  p->syntax_error_at = at.start;
  unexpected = unquoted(p, unexpected);
  if (strcmp(unexpected, "unterminated string") == 0) {
    seg_diag *g = diag_error(d, at, "this string has no closing `\"`");
    diag_set_hint(d, g, "a string ends on the line where it starts; write \\\" for a quote inside it");
    return;
  }
  if (strcmp(unexpected, "invalid character") == 0) {
    const char *c = p->bad_char ? p->bad_char : "?";
    seg_diag *g = (unsigned char)c[0] < 0x20 || c[0] == 0x7f ? diag_error(d, at, "invalid character (byte 0x%02x)", (unsigned char)c[0])
                                                             : diag_error(d, at, "invalid character `%s`", c);
    const char *hint = bad_char_hint(c);
    if (hint) diag_set_hint(d, g, "%s", hint);
    return;
  }
  const char *what = token_text(p, at);
  if (!what) what = token_words(p, unexpected);
  if (n == 0) {
    diag_error(d, at, "unexpected %s", what);
    return;
  }
  /* an expression may start here: one phrase instead of twenty tokens */
  if (has(p, expected, n, "identifier") && has(p, expected, n, "integer") && has(p, expected, n, "(")) {
    diag_error(d, at, "unexpected %s, expected an expression", what);
    return;
  }
  /* many operators could continue the expression: one phrase for them all */
  const char *words[65];
  int nw = 0, nops = 0;
  for (int i = 0; i < n && i < 64; i++) nops += is_operator(unquoted(p, expected[i]));
  /* and where a declaration may start, one phrase for its keywords */
  bool decl = has(p, expected, n, "import") && has(p, expected, n, "schema") && has(p, expected, n, "const") &&
              has(p, expected, n, "segment") && has(p, expected, n, "test");
  if (nops >= 3) words[nw++] = "an operator";
  if (decl) words[nw++] = "a new declaration";
  for (int i = 0; i < n && i < 64; i++) {
    const char *name = unquoted(p, expected[i]);
    if (nops >= 3 && is_operator(name)) continue;
    if (decl && (is_decl_keyword(name) || strcmp(name, "end of file") == 0)) continue;
    words[nw++] = token_words(p, expected[i]);
  }
  char list[512] = "";
  size_t len = 0;
  for (int i = 0; i < nw && len < sizeof list - 64; i++) {
    const char *sep = i == 0 ? "" : i == nw - 1 ? " or " : ", ";
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", sep, words[i]);
  }
  diag_error(d, at, "unexpected %s, expected %s", what, list);
}
