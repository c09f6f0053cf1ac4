/* runtime/interp.h — the reference interpreter.
 *
 * Evaluates a checked expression for one record by walking the tree, with
 * the semantics of language.md §4 written as plainly as possible.  It is the
 * oracle the JIT is tested against, evaluates consts and test `given`
 * values, computes the JIT's per-dictionary-string tables, and backs
 * `segc explain`.  Not thread-safe per interp value; use one per thread. */
#ifndef SEGC_INTERP_H
#define SEGC_INTERP_H

#include "lang/ast.h"
#include "table.h"

typedef struct ival {
  bool null;
  int64_t i;         /* bool, integer-like kinds, string dictionary code (if any) */
  double f;          /* float64 */
  const char *s;     /* string bytes */
  uint32_t len;
} ival;

typedef struct interp {
  const seg_program *prog;
  const rt_table *t;   /* NULL when evaluating constants */
  uint64_t row;
  int64_t now;         /* the as-of instant, microseconds */
  const ival *consts;  /* [prog->consts.n] */
  uint64_t ev[AGG_MAX_DEPTH]; /* the current event of each enclosing aggregate */
  int bind_field;      /* -1, or a field whose value is `bind` instead of the record's */
  ival bind;
  char buf[4096];      /* strings made during one evaluation (lower(), matches' copy) */
  size_t bufused;
  void **scratch;      /* the ones that did not fit in buf; freed by interp_reset */
  int nscratch, capscratch;
} interp;

enum { TRUTH_FALSE = 0, TRUTH_TRUE = 1, TRUTH_UNKNOWN = 2 };

void interp_init(interp *it, const seg_program *prog, const rt_table *t, int64_t now, const ival *consts);
void interp_reset(interp *it);   /* drops the strings made since the last reset */
ival interp_eval(interp *it, const ast *n);
int interp_truth(ival v);
/* A value as the generated code's 64-bit slot: a float64's bits, else i. */
int64_t interp_slot(ival v, seg_type t);
/* Evaluates every const in order; false with err set when one fails (a null result). */
bool interp_consts(const seg_program *prog, int64_t now, ival *out, char *err, size_t errlen);

#endif
