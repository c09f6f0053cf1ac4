/* lang/check_internal.h — what the checker's files share (check.c for the
 * expression language, check_stream.c for stream aggregates). */
#ifndef SEGC_CHECK_INTERNAL_H
#define SEGC_CHECK_INTERNAL_H

#include "load.h"

/* An enclosing aggregate: its stream, and its binder name (NULL: the
 * stream's fields are in scope by bare name). */
typedef struct check_scope {
  int stream;
  const char *binder;
} check_scope;

typedef struct checker {
  seg_program *prog;
  seg_diags *d;
  bool in_const;   /* const values may not read records */
  seg_parse p;     /* to build nodes */
  check_scope scopes[AGG_MAX_DEPTH];
  int nscopes;
  ptrvec binders;  /* every binder name met so far (interned), for messages */
  seg_segment **seg_index; /* find_segment's hash index */
  size_t seg_cap;
} checker;

static inline seg_type ty(seg_tykind k) {
  seg_type t = {0};
  t.kind = k;
  return t;
}

static inline seg_type ty_dec(int scale) {
  seg_type t = ty(TY_DECIMAL);
  t.prec = 18;
  t.scale = (uint8_t)scale;
  return t;
}

/* check.c */
ast *check_expr(checker *c, ast *n, const seg_type *hint);
ast *check_bool(checker *c, ast *n, const char *what);
ast *check_cast(checker *c, ast *n, seg_type to);
const char *check_tyname(checker *c, seg_type t);
/* A test's given value for field f (a set may be a list of members). */
ast *check_given_value(checker *c, const seg_field *f, ast *value);

/* check_stream.c */
ast *check_agg(checker *c, ast *n);
/* Resolves a bare name or `x.field` against the enclosing aggregates; NULL
 * when it names nothing of theirs (then the usual rules apply). */
ast *check_stream_name(checker *c, ast *n);
ast *check_stream_member(checker *c, ast *n);
/* True when a bare name means an event field or a binder here. */
bool check_in_scope(checker *c, const char *name);
/* A test's `given` for a stream: a list of events. */
ast *check_given_events(checker *c, int stream, ast *list);
int check_find_stream(const seg_schema *s, const char *name);

#endif
