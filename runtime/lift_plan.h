/* runtime/lift_plan.h — fast tabulation of common string predicates.
 *
 * Most lifted expressions (lifts.h) are boolean combinations of tests on one
 * string field with literal operands: `ends_with(lower(email), "@gmail.com")
 * or matches(email, "^info@")`.  For a present string such a test is never
 * null, so the expression is two-valued there.  A plan is the expression in
 * postfix form; it is run a chunk of dictionary strings at a time, one test
 * over the whole chunk before the next (no per-string dispatch).  Anything
 * else, and the null slot, stays with the interpreter. */
#ifndef SEGC_LIFT_PLAN_H
#define SEGC_LIFT_PLAN_H

#include "lang/ast.h"

typedef enum {
  LP_CONST,     /* k */
  LP_STARTS, LP_ENDS, LP_CONTAINS, LP_MATCHES,
  LP_CONTAINS_ANY,  /* contains(subject, a) or contains(subject, b) or ... */
  LP_AFFIX_ANY,     /* the same of starts_with, of ends_with or of == (where), or subject in [a, b, ...] */
  LP_CMP,       /* subject <op> text */
  LP_LENGTH,    /* length(subject) <op> k */
  LP_NOT, LP_AND, LP_OR,
} lp_kind;

typedef struct lp_op {
  lp_kind kind;
  bool fold;              /* the subject is lower(field) */
  int cmp;                /* cmp_op */
  const char *text;       /* literal operand */
  uint32_t len;
  int64_t k;
  int regex;              /* LP_MATCHES: the program's regex number */
  struct rx *dfa;         /* LP_MATCHES: its DFA (stdlib/regex.h), NULL: use regexec */
  const char **any;       /* LP_*_ANY: the patterns, any_len their lengths */
  uint32_t *any_len;
  int nany;
  int where;              /* LP_AFFIX_ANY: a str_where (stdlib/str_scan.h) */
} lp_op;

typedef struct lift_plan {
  lp_op *ops;
  int nops, depth;        /* depth: the evaluation stack it needs */
} lift_plan;

/* Plans bool expression n over string field `field`; false (nothing
 * allocated) when some part of n is not covered. */
bool lift_plan_make(const seg_program *prog, const ast *n, int field, lift_plan *out);
void lift_plan_free(lift_plan *p);
/* One thread's working memory for lift_plan_run.  glibc's regexec locks its
 * regex_t, so each thread compiles its own copies of the patterns. */
typedef struct lp_scratch {
  uint8_t *stack;         /* depth * count bytes */
  char *buf;              /* a NUL-terminated copy of a string for regexec */
  size_t bufcap;
  void **regexes;         /* [prog->regexes.n] regex_t*, compiled on first use */
  int nregexes;
  char *cat[2];           /* the chunk's strings end to end, as they are and folded (str_scan.h) */
  size_t catcap[2];
  const char *laid[2];    /* where they are: cat[fold], or for fold 0 the strings themselves when they
                             are end to end already with STR_SCAN_PAD readable bytes after them */
  const char *readable;   /* set by the caller: the strings and the bytes up to here are readable */
  bool have_cat[2];       /* cat[fold] holds the current chunk */
  bool have_off;          /* off, total and in_place are the current chunk's (both layouts share them) */
  bool in_place;          /* its strings are end to end already */
  uint64_t total;         /* their bytes */
  uint32_t *off;          /* [count + 1] where each string starts in cat */
  uint64_t *scratch;      /* [2 * count] for rx_match_many */
  uint32_t offcap;
} lp_scratch;

void lp_scratch_free(lp_scratch *w);
/* The strings given to the next lift_plan_run are new: what the runs before
 * kept of them (cat) is stale. */
void lp_scratch_new_chunk(lp_scratch *w);
/* out[i] = n's truth (0 or 1) for the present string s[i] of len[i] bytes.
 * Runs on the same strings (no lp_scratch_new_chunk between) share the
 * scratch's copies of them.  False when out of memory. */
bool lift_plan_run(const lift_plan *p, uint32_t count, const char *const *s, const uint32_t *len, uint8_t *out,
                   lp_scratch *w);

#endif
