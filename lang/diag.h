/* lang/diag.h — source files, spans and diagnostics as values.
 *
 * Every AST node carries a seg_span (file index + byte offsets).  Library
 * code appends diagnostics to a seg_diags list and keeps going; line and
 * column are computed only when a diagnostic is rendered.  Only the CLI
 * decides what an error means for the exit code. */
#ifndef SEGC_DIAG_H
#define SEGC_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

typedef struct seg_span {
  int file;
  uint32_t start, end;
} seg_span;

typedef struct seg_source {
  const char *path;
  const char *text;   /* NUL-terminated */
  uint32_t len;
  uint32_t *lines;    /* byte offset where each line starts */
  int nlines;
} seg_source;

typedef enum { DIAG_ERROR, DIAG_WARNING } diag_level;

typedef struct seg_diag {
  diag_level level;
  seg_span span;
  bool has_span;
  const char *msg;
  const char *hint;     /* "did you mean ...", or NULL */
  const char *note;     /* extra line, or NULL */
  struct seg_diag *next;
} seg_diag;

typedef struct seg_diags {
  arena *a;
  seg_source **sources;
  int nsources, capsources;
  seg_diag *head, *tail;
  int nerrors, nwarnings;
} seg_diags;

void diag_init(seg_diags *d, arena *a);
/* Registers a source text (copied into the arena); returns its file index. */
int diag_add_source(seg_diags *d, const char *path, const char *text, size_t len);
seg_diag *diag_error(seg_diags *d, seg_span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
seg_diag *diag_warning(seg_diags *d, seg_span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error with no position (a file that cannot be read, say). */
seg_diag *diag_error_at_file(seg_diags *d, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_set_hint(seg_diags *d, seg_diag *g, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_set_note(seg_diags *d, seg_diag *g, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds the note "first declared at FILE:LINE:COL" for a duplicate of `first`. */
void diag_note_first(seg_diags *d, seg_diag *g, seg_span first);
/* The 1-based line of offset off (diag_line_col without the column). */
int diag_line(const seg_source *s, uint32_t off);
/* 1-based line and column (in code points) of a byte offset. */
void diag_line_col(const seg_source *s, uint32_t off, int *line, int *col);
/* Renders every diagnostic, ordered by file and position: the
 * `file:line:col: level: message` line, the source line, a caret under the
 * span, then hint/note lines. */
void diag_render(const seg_diags *d, FILE *out);
/* The candidate closest to `name` by edit distance, or NULL when none is close. */
const char *diag_suggest(const char *name, const char *const *cands, int n);

#endif
