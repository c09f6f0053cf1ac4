/* runtime/lift_plan.c — planning and running string predicate tables
 * (lift_plan.h). */
#include "lift_plan.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/builtins.h"
#include "stdlib/regex.h"
#include "stdlib/str_scan.h"
#include "stdlib/strings.h"

typedef struct planner {
  const seg_program *prog;
  int field;
  lp_op *ops;
  int n, cap, depth, max_depth;
} planner;

static bool emit(planner *p, lp_op op) {
  if (p->n == p->cap) {
    int cap = p->cap ? p->cap * 2 : 16;
    lp_op *v = realloc(p->ops, sizeof *v * (size_t)cap);
    if (!v) return false;
    p->ops = v;
    p->cap = cap;
  }
  p->ops[p->n++] = op;
  p->depth += op.kind == LP_AND || op.kind == LP_OR ? -1 : op.kind == LP_NOT ? 0 : 1;
  if (p->depth > p->max_depth) p->max_depth = p->depth;
  return true;
}

/* n is the field or lower(field); sets *fold for the latter */
static bool subject(const planner *p, const ast *n, bool *fold) {
  *fold = n->kind == AST_CALL && n->op == BI_LOWER;
  if (*fold) n = n->args[0];
  return n->kind == AST_FIELD && n->index == p->field;
}

/* The kinds of test an `or` of tests of one kind (plan_any) can join: a
 * str_where, or contains */
#define ANY_CONTAINS 3
_Static_assert((int)STR_AT_START < ANY_CONTAINS && (int)STR_AT_END < ANY_CONTAINS && (int)STR_WHOLE < ANY_CONTAINS,
               "a str_where is an any_leaf kind");

/* n is contains(subject, "literal"), starts_with or ends_with (the
 * literal at most 16 bytes) or subject == "literal" (the same), with
 * subject the field or lower(field): its kind, ANY_CONTAINS or a
 * str_where; -1 when it is none of these */
static int any_leaf(const planner *p, const ast *n, bool *fold) {
  *fold = false;
  if (n->kind == AST_CMP && n->op == CMP_EQ && n->b->kind == AST_LIT_STR && n->b->len <= 16 && subject(p, n->a, fold))
    return STR_WHOLE;
  if (n->kind != AST_CALL || n->nargs != 2 || n->args[1]->kind != AST_LIT_STR || !subject(p, n->args[0], fold)) return -1;
  bool affix = n->args[1]->len <= 16;
  return n->op == BI_CONTAINS ? ANY_CONTAINS : n->op == BI_STARTS_WITH && affix ? STR_AT_START
                                                : n->op == BI_ENDS_WITH && affix ? STR_AT_END : -1;
}

/* How many tests of one kind on the field, all folded or all not (fold),
 * n joins by `or`; -1 when some part of n is not such a test */
static int any_tests(const planner *p, const ast *n, int kind, bool fold) {
  if (n->kind == AST_OR) {
    int a = any_tests(p, n->a, kind, fold), b = a < 0 ? -1 : any_tests(p, n->b, kind, fold);
    return b < 0 ? -1 : a + b;
  }
  bool f;
  return any_leaf(p, n, &f) == kind && f == fold ? 1 : -1;
}

/* The literals of those tests, left to right */
static void any_literals(const ast *n, lp_op *op) {
  if (n->kind == AST_OR) {
    any_literals(n->a, op);
    any_literals(n->b, op);
    return;
  }
  const ast *lit = n->kind == AST_CMP ? n->b : n->args[1];
  op->any[op->nany] = lit->name;
  op->any_len[op->nany++] = lit->len;
}

/* count patterns of one kind as one scan, from an `or` of tests or from
 * the list of an `in` */
static bool emit_any(planner *p, int kind, bool fold, int count, const ast *or_tests, const ast *list) {
  lp_op op = {.kind = kind == ANY_CONTAINS ? LP_CONTAINS_ANY : LP_AFFIX_ANY, .where = kind, .fold = fold,
              .regex = -1, .any = malloc(sizeof(char *) * (size_t)count), .any_len = malloc(sizeof(uint32_t) * (size_t)count)};
  if (op.any && op.any_len) {
    if (or_tests) any_literals(or_tests, &op);
    for (int i = 0; list && i < count; i++) op.any[i] = list->args[i]->name, op.any_len[i] = list->args[i]->len;
    op.nany = count;
    if (emit(p, op)) return true;
  }
  free(op.any);
  free(op.any_len);
  return false;
}

/* An `or` of two or more tests of one kind on the same subject, as one scan */
static bool plan_any(planner *p, const ast *n) {
  bool fold;
  const ast *leftmost = n;
  while (leftmost->kind == AST_OR) leftmost = leftmost->a;
  int kind = any_leaf(p, leftmost, &fold);
  int count = kind < 0 ? -1 : any_tests(p, n, kind, fold);
  return count >= 2 && count <= STR_SCAN_ANY && emit_any(p, kind, fold, count, n, NULL);
}

/* subject in [a, b, ...] of two or more literals of at most 16 bytes, as one scan */
static bool plan_in_any(planner *p, const ast *n, bool fold) {
  const ast *list = n->b;
  if (list->nargs < 2 || list->nargs > STR_SCAN_ANY) return false;
  for (int i = 0; i < list->nargs; i++)
    if (list->args[i]->kind != AST_LIT_STR || list->args[i]->len > 16) return false;
  return emit_any(p, STR_WHOLE, fold, list->nargs, NULL, list);
}

static bool plan(planner *p, const ast *n) {
  bool fold;
  switch (n->kind) {
  case AST_LIT_BOOL: return emit(p, (lp_op){.kind = LP_CONST, .k = n->v.i != 0});
  case AST_IS_NULL:
  case AST_IS_NOT_NULL: return subject(p, n->a, &fold) && emit(p, (lp_op){.kind = LP_CONST, .k = n->kind == AST_IS_NOT_NULL});
  case AST_NOT: return plan(p, n->a) && emit(p, (lp_op){.kind = LP_NOT});
  case AST_OR:
    if (plan_any(p, n)) return true;
    /* fall through */
  case AST_AND: return plan(p, n->a) && plan(p, n->b) && emit(p, (lp_op){.kind = n->kind == AST_AND ? LP_AND : LP_OR});
  case AST_CALL: {
    static const lp_kind kinds[] = {[BI_STARTS_WITH] = LP_STARTS, [BI_ENDS_WITH] = LP_ENDS, [BI_CONTAINS] = LP_CONTAINS,
                                    [BI_MATCHES] = LP_MATCHES};
    bool known = n->op == BI_STARTS_WITH || n->op == BI_ENDS_WITH || n->op == BI_CONTAINS || n->op == BI_MATCHES;
    if (!known || !subject(p, n->args[0], &fold) || n->args[1]->kind != AST_LIT_STR) return false;
    lp_op op = {.kind = kinds[n->op], .fold = fold, .text = n->args[1]->name, .len = n->args[1]->len};
    op.regex = op.kind == LP_MATCHES ? n->index : -1;
    if (op.kind == LP_MATCHES) op.dfa = rx_compile(op.text);
    if (emit(p, op)) return true;
    rx_free(op.dfa);
    return false;
  }
  case AST_CMP:
    if (n->a->kind == AST_CALL && n->a->op == BI_LENGTH && subject(p, n->a->args[0], &fold) && n->b->kind == AST_LIT_INT)
      return emit(p, (lp_op){.kind = LP_LENGTH, .cmp = n->op, .k = n->b->v.i});
    return subject(p, n->a, &fold) && n->b->kind == AST_LIT_STR &&
           emit(p, (lp_op){.kind = LP_CMP, .fold = fold, .cmp = n->op, .text = n->b->name, .len = n->b->len});
  case AST_IN:
  case AST_NOT_IN: {
    if (!subject(p, n->a, &fold) || n->b->nargs == 0) return false;
    if (plan_in_any(p, n, fold)) return n->kind == AST_IN || emit(p, (lp_op){.kind = LP_NOT});
    for (int i = 0; i < n->b->nargs; i++) {
      const ast *item = n->b->args[i];
      if (item->kind != AST_LIT_STR) return false;
      if (!emit(p, (lp_op){.kind = LP_CMP, .fold = fold, .cmp = CMP_EQ, .text = item->name, .len = item->len})) return false;
      if (i > 0 && !emit(p, (lp_op){.kind = LP_OR})) return false;
    }
    return n->kind == AST_IN || emit(p, (lp_op){.kind = LP_NOT});
  }
  default: return false;
  }
}

bool lift_plan_make(const seg_program *prog, const ast *n, int field, lift_plan *out) {
  planner p = {.prog = prog, .field = field};
  if (field < 0 || n->type.kind != TY_BOOL || !plan(&p, n)) {
    lift_plan failed = {p.ops, p.n, 0};
    lift_plan_free(&failed);
    return false;
  }
  *out = (lift_plan){p.ops, p.n, p.max_depth};
  return true;
}

void lift_plan_free(lift_plan *p) {
  for (int k = 0; k < p->nops; k++) {
    rx_free(p->ops[k].dfa);
    free(p->ops[k].any);
    free(p->ops[k].any_len);
  }
  free(p->ops);
  memset(p, 0, sizeof *p);
}

static int64_t code_points(const char *s, uint32_t n) {
  int64_t count = 0;
  for (uint32_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
  return count;
}

void lp_scratch_new_chunk(lp_scratch *w) { w->have_cat[0] = w->have_cat[1] = w->have_off = false; }

void lp_scratch_free(lp_scratch *w) {
  for (int i = 0; i < w->nregexes; i++)
    if (w->regexes[i]) {
      regfree(w->regexes[i]);
      free(w->regexes[i]);
    }
  free(w->regexes);
  free(w->cat[0]);
  free(w->cat[1]);
  free(w->off);
  free(w->scratch);
  free(w->buf);
  free(w->stack);
  memset(w, 0, sizeof *w);
}

/* this thread's copy of the pattern (valid: the checker compiled it) */
static regex_t *own_regex(lp_scratch *w, const lp_op *op) {
  if (op->regex >= w->nregexes) {
    void **v = realloc(w->regexes, sizeof(void *) * (size_t)(op->regex + 1));
    if (!v) return NULL;
    memset(v + w->nregexes, 0, sizeof(void *) * (size_t)(op->regex + 1 - w->nregexes));
    w->regexes = v;
    w->nregexes = op->regex + 1;
  }
  if (!w->regexes[op->regex]) {
    regex_t *re = malloc(sizeof *re);
    if (re && regcomp(re, op->text, SEG_REGEX_FLAGS) != 0) {
      free(re);
      re = NULL;
    }
    w->regexes[op->regex] = re;
  }
  return w->regexes[op->regex];
}

/* The strings end to end in w->laid[fold] (folded when fold), with w->off;
 * false when out of memory or when they do not fit 32-bit offsets.  The
 * strings of consecutive dictionary codes are end to end already: the
 * unfolded ones are then used in place, the folded ones too when they
 * hold no upper-case letter, else folded straight from there. */
static bool concatenate(lp_scratch *w, bool fold, uint32_t count, const char *const *s, const uint32_t *len) {
  if (!w->have_off) { /* once per chunk for both layouts: a pass over 4096 strings each took 0.2 ms of the bench's lifts */
    if (count + 1 > w->offcap) {
      uint32_t *v = realloc(w->off, sizeof *v * (count + 1));
      if (v) w->off = v;
      uint64_t *f = v ? realloc(w->scratch, sizeof *f * (2 * (size_t)count + 1)) : NULL; /* rx_match_many: 2 words a string */
      if (!f) return false;
      w->scratch = f;
      w->offcap = count + 1;
    }
    uint64_t at = 0;
    bool in_place = count > 0;
    for (uint32_t i = 0; i < count; i++) {
      w->off[i] = (uint32_t)at;
      at += len[i];
      in_place &= i + 1 == count || s[i + 1] == s[i] + len[i];
    }
    w->off[count] = (uint32_t)at;
    w->total = at, w->in_place = in_place, w->have_off = true;
  }
  uint64_t total = w->total;
  bool in_place = w->in_place;
  if (total > UINT32_MAX - STR_SCAN_PAD) return false;
  /* in place, also for lower() when it would change nothing: the
     dictionary is sorted, so the strings with upper-case letters (6% of
     the bench's emails) are in few chunks */
  if (in_place && w->readable && w->readable - (s[0] + total) >= STR_SCAN_PAD && (!fold || !str_has_upper(s[0], total))) {
    w->laid[fold] = s[0];
    return true;
  }
  if (total + STR_SCAN_PAD > w->catcap[fold]) {
    char *v = realloc(w->cat[fold], total + STR_SCAN_PAD);
    if (!v) return false;
    w->cat[fold] = v;
    w->catcap[fold] = total + STR_SCAN_PAD;
  }
  char *c = w->cat[fold];
  if (in_place && fold) {
    str_fold(c, s[0], total);
  } else {
    for (uint32_t i = 0, run = 0; i < count; i++) /* runs of strings adjacent in the dictionary: one copy each */
      if (i + 1 == count || s[i + 1] != s[i] + len[i]) {
        memcpy(c + w->off[run], s[run], w->off[i + 1] - w->off[run]);
        run = i + 1;
      }
    if (fold) str_fold(c, c, total);
  }
  memset(c + total, 0, STR_SCAN_PAD);
  w->laid[fold] = c;
  return true;
}

/* True when w->laid[fold] holds the chunk's strings (made now if need be). */
static bool made(lp_scratch *w, bool fold, uint32_t count, const char *const *s, const uint32_t *len) {
  if (!w->have_cat[fold]) w->have_cat[fold] = concatenate(w, fold, count, s, len);
  return w->have_cat[fold];
}

/* True when op folds and w->laid[1] holds the folded strings: op then
 * compares them as they are. */
static bool folded(const lp_op *op, uint32_t count, const char *const *s, const uint32_t *len, lp_scratch *w) {
  return op->fold && made(w, true, count, s, len);
}

/* starts_with, ends_with and comparisons */
static void run_fixed(const lp_op *op, uint32_t count, const char *const *s, const uint32_t *len, uint8_t *r,
                      lp_scratch *w) {
  bool eq = op->kind == LP_CMP && (op->cmp == CMP_EQ || op->cmp == CMP_NE);
  if ((op->kind != LP_CMP || eq) && op->len <= 16 && made(w, op->fold, count, s, len)) { /* one masked compare each */
    str_where where = op->kind == LP_STARTS ? STR_AT_START : op->kind == LP_ENDS ? STR_AT_END : STR_WHOLE;
    str_scan_affix(w->laid[op->fold], w->off, count, op->text, op->len, where, r);
    if (op->kind == LP_CMP && op->cmp == CMP_NE)
      for (uint32_t i = 0; i < count; i++) r[i] ^= 1;
    return;
  }
  bool f = folded(op, count, s, len, w), fold = op->fold && !f;
  for (uint32_t i = 0; i < count; i++) {
    const char *x = f ? w->laid[1] + w->off[i] : s[i];
    r[i] = op->kind == LP_STARTS ? str_starts_with(x, len[i], op->text, op->len, fold)
           : op->kind == LP_ENDS ? str_ends_with(x, len[i], op->text, op->len, fold)
                                 : cmp_holds(op->cmp, str_compare(x, len[i], op->text, op->len, fold));
  }
}

static void run_contains(const lp_op *op, uint32_t count, const char *const *s, const uint32_t *len, uint8_t *r,
                         lp_scratch *w) {
  if (made(w, op->fold, count, s, len)) {
    memset(r, 0, count);
    str_scan_contains(w->laid[op->fold], w->off, count, op->text, op->len, r);
    return;
  }
  for (uint32_t i = 0; i < count; i++) r[i] = str_contains(s[i], len[i], op->text, op->len, op->fold);
}

static void run_contains_any(const lp_op *op, uint32_t count, const char *const *s, const uint32_t *len, uint8_t *r,
                             lp_scratch *w) {
  memset(r, 0, count);
  if (made(w, op->fold, count, s, len)) {
    str_scan_contains_any(w->laid[op->fold], w->off, count, op->any, op->any_len, op->nany, r);
    return;
  }
  for (uint32_t i = 0; i < count; i++)
    for (int j = 0; j < op->nany && !r[i]; j++) r[i] = str_contains(s[i], len[i], op->any[j], op->any_len[j], op->fold);
}

static void run_affix_any(const lp_op *op, uint32_t count, const char *const *s, const uint32_t *len, uint8_t *r,
                          lp_scratch *w) {
  memset(r, 0, count);
  if (made(w, op->fold, count, s, len)) {
    str_scan_affix_any(w->laid[op->fold], w->off, count, op->any, op->any_len, op->nany, (str_where)op->where, r);
    return;
  }
  for (uint32_t i = 0; i < count; i++)
    for (int j = 0; j < op->nany && !r[i]; j++) {
      const char *x = op->any[j];
      uint32_t m = op->any_len[j];
      r[i] = op->where == STR_AT_START ? str_starts_with(s[i], len[i], x, m, op->fold)
             : op->where == STR_AT_END ? str_ends_with(s[i], len[i], x, m, op->fold)
                                       : str_compare(s[i], len[i], x, m, op->fold) == 0;
    }
}

static bool run_matches(const lp_op *op, uint32_t count, const char *const *s, const uint32_t *len, uint8_t *r,
                        lp_scratch *w) {
  if (op->dfa && made(w, op->fold, count, s, len)) {
    rx_match_many(op->dfa, w->laid[op->fold], w->off, count, r, w->scratch);
    return true;
  }
  regex_t *re = op->dfa ? NULL : own_regex(w, op);
  if (!re && !op->dfa) return false;
  for (uint32_t i = 0; i < count; i++) {
    if (len[i] + 1 > w->bufcap) {
      size_t cap = (size_t)len[i] + 1 > 2 * w->bufcap ? (size_t)len[i] + 1 : 2 * w->bufcap;
      char *b = realloc(w->buf, cap);
      if (!b) return false;
      w->buf = b;
      w->bufcap = cap;
    }
    if (op->fold) str_fold(w->buf, s[i], len[i]);
    else memcpy(w->buf, s[i], len[i]);
    w->buf[len[i]] = 0;
    r[i] = op->dfa ? rx_match(op->dfa, w->buf, len[i]) : regexec(re, w->buf, 0, NULL, 0) == 0;
  }
  return true;
}

bool lift_plan_run(const lift_plan *p, uint32_t count, const char *const *s, const uint32_t *len, uint8_t *out,
                   lp_scratch *w) {
  uint8_t *stack = w->stack;
  int top = 0; /* stack[(top - 1) * count ...] is the top vector */
  for (int k = 0; k < p->nops; k++) {
    const lp_op *op = &p->ops[k];
    uint8_t *r = stack + (size_t)top * count, *below = r - count;
    switch (op->kind) {
    case LP_CONST: memset(r, (int)op->k, count); break;
    case LP_STARTS:
    case LP_ENDS:
    case LP_CMP: run_fixed(op, count, s, len, r, w); break;
    case LP_CONTAINS: run_contains(op, count, s, len, r, w); break;
    case LP_CONTAINS_ANY: run_contains_any(op, count, s, len, r, w); break;
    case LP_AFFIX_ANY: run_affix_any(op, count, s, len, r, w); break;
    case LP_MATCHES:
      if (!run_matches(op, count, s, len, r, w)) return false;
      break;
    case LP_LENGTH:
      for (uint32_t i = 0; i < count; i++) {
        int64_t n = code_points(s[i], len[i]);
        r[i] = cmp_holds(op->cmp, (n > op->k) - (n < op->k));
      }
      break;
    case LP_NOT:
      for (uint32_t i = 0; i < count; i++) below[i] ^= 1;
      continue;
    case LP_AND:
    case LP_OR: {
      uint8_t *x = below - count;
      if (op->kind == LP_AND)
        for (uint32_t i = 0; i < count; i++) x[i] &= below[i];
      else
        for (uint32_t i = 0; i < count; i++) x[i] |= below[i];
      top--;
      continue;
    }
    }
    top++;
  }
  memcpy(out, stack, count);
  return true;
}
