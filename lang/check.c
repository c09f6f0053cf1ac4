/* lang/check.c — name resolution and type checking (language.md §3-§4).
 *
 * Walks every const, segment rule, and test of a program, in place:
 *  - NAME / MEMBER nodes become FIELD, CONSTREF, SEGREF or ENUMLIT (a bare
 *    enum member resolves against the enum or set on the other side, before
 *    fields of the same name);
 *  - every node gets its type and whether it can be null;
 *  - operands are made explicit with CAST nodes (int64 -> decimal -> float64,
 *    date -> timestamp), literal casts are folded;
 *  - a child segment's rule becomes `parent and rule`;
 *  - cycles among segment references are reported with the cycle.
 * After checking, int32 never appears as an expression type (loads widen),
 * and a literal's value is in v.f when its type is float64, else in v.i. */
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "stdlib/builtins.h"
#include "stdlib/calendar.h"

const char *check_tyname(checker *c, seg_type t) {
  char buf[512];
  const char *name = ty_name(t, buf, sizeof buf);
  return arena_strndup(c->prog->a, name, strlen(name));
}

static bool is_time(seg_tykind k) { return k == TY_DATE || k == TY_TIMESTAMP; }
static bool is_int(seg_tykind k) { return k == TY_INT64 || k == TY_INT32; }
static bool is_error(const ast *n) { return n->type.kind == TY_ERROR; }


/* ---- casts --------------------------------------------------------------- */

/* n converted to type `to` at run time: a cast node, even of a literal */
static ast *cast_node(checker *c, ast *n, seg_type to) {
  seg_tykind from = n->type.kind;
  ast *k = ast_unary(&c->p, AST_CAST, n, n->span);
  k->type = to;
  k->nullable = n->nullable || (to.kind == TY_DECIMAL && to.scale > (from == TY_DECIMAL ? n->type.scale : 0));
  return k;
}

/* Converts n to type `to`, folding literals; reports literal overflow. */
ast *check_cast(checker *c, ast *n, seg_type to) {
  if (is_error(n) || to.kind == TY_ERROR || ty_equal(n->type, to)) return n;
  if (n->kind == AST_LIT_NULL) {
    n->type = to;
    return n;
  }
  seg_tykind from = n->type.kind;
  if (ast_is_literal(n)) {
    if (to.kind == TY_FLOAT64 && is_int(from)) {
      n->v.f = (double)n->v.i;
    } else if (to.kind == TY_FLOAT64 && from == TY_DECIMAL) {
      n->v.f = (double)n->v.i / (double)ty_pow10(n->type.scale);
    } else if (to.kind == TY_DECIMAL && (is_int(from) || from == TY_DECIMAL)) {
      int up = to.scale - (from == TY_DECIMAL ? n->type.scale : 0);
      int64_t r;
      if (__builtin_mul_overflow(n->v.i, ty_pow10(up), &r)) {
        diag_error(c->d, n->span, "this number does not fit in %s", check_tyname(c, to));
        n->type = ty(TY_ERROR);
        return n;
      }
      n->v.i = r;
    } else if (to.kind == TY_TIMESTAMP && from == TY_DATE) {
      n->v.i *= CAL_USEC_PER_DAY;
    } else if (to.kind == TY_INT64 && from == TY_INT32) {
    } else {
      goto node;
    }
    n->type = to;
    return n;
  }
node:
  return cast_node(c, n, to);
}

/* Casts an operand of a comparison to the type the comparison meets at.
 * Numbers meeting at a decimal keep their own scale (an integer becomes a
 * decimal of scale 0): the comparison of two scales is exact, where raising
 * a huge integer to the other scale would overflow into null. */
static ast *cast_cmp(checker *c, ast *n, seg_type to) {
  if (to.kind == TY_DECIMAL && (is_int(n->type.kind) || n->type.kind == TY_DECIMAL))
    return check_cast(c, n, ty_dec(n->type.kind == TY_DECIMAL ? n->type.scale : 0));
  return check_cast(c, n, to);
}

/* The type two operands meet at, or false when they cannot meet. */
static bool common_type(seg_type a, seg_type b, seg_type *out) {
  if (a.kind == TY_ERROR || b.kind == TY_ERROR) *out = ty(TY_ERROR);
  else if (a.kind == TY_NULL) *out = b;
  else if (b.kind == TY_NULL) *out = a;
  else if (ty_is_numeric(a.kind) && ty_is_numeric(b.kind)) {
    if (a.kind == TY_FLOAT64 || b.kind == TY_FLOAT64) *out = ty(TY_FLOAT64);
    else if (a.kind == TY_DECIMAL || b.kind == TY_DECIMAL)
      *out = ty_dec(a.kind == TY_DECIMAL && b.kind == TY_DECIMAL ? (a.scale > b.scale ? a.scale : b.scale)
                    : a.kind == TY_DECIMAL ? a.scale : b.scale);
    else *out = ty(TY_INT64);
  } else if (is_time(a.kind) && is_time(b.kind)) {
    *out = ty(a.kind == b.kind ? a.kind : TY_TIMESTAMP);
  } else if (ty_equal(a, b)) {
    *out = a;
  } else {
    return false;
  }
  return true;
}

/* ---- names --------------------------------------------------------------- */

static uint64_t name_hash(const char *s) {
  uint64_t h = UINT64_C(14695981039346656037);
  for (; *s; s++) h = (h ^ (uint8_t)*s) * UINT64_C(1099511628211);
  return h;
}

/* The segments by name (open addressing, load <= 1/2), built on first use:
 * a pack of a thousand segments resolves thousands of names. */
static bool index_segments(checker *c) {
  int n = c->prog->segments.n;
  size_t cap = 16;
  while (cap < 2 * (size_t)n + 2) cap *= 2;
  c->seg_index = arena_alloc(c->prog->a, cap * sizeof *c->seg_index);
  if (!c->seg_index) return false;
  memset(c->seg_index, 0, cap * sizeof *c->seg_index);
  c->seg_cap = cap;
  for (int i = 0; i < n; i++) {
    seg_segment *s = c->prog->segments.items[i];
    size_t k = (size_t)name_hash(s->name) & (cap - 1);
    while (c->seg_index[k] && strcmp(c->seg_index[k]->name, s->name) != 0) k = (k + 1) & (cap - 1);
    if (!c->seg_index[k]) c->seg_index[k] = s; /* the first of equal names, as declared */
  }
  return true;
}

static seg_segment *find_segment(checker *c, const char *name) {
  if (!c->seg_index && !index_segments(c)) return NULL;
  for (size_t k = (size_t)name_hash(name) & (c->seg_cap - 1); c->seg_index[k]; k = (k + 1) & (c->seg_cap - 1))
    if (strcmp(c->seg_index[k]->name, name) == 0) return c->seg_index[k];
  return NULL;
}

static const char *suggest_segment(checker *c, const char *name) {
  int n = c->prog->segments.n;
  const char **names = arena_alloc(c->prog->a, sizeof *names * (size_t)(n + 1));
  for (int i = 0; i < n; i++) names[i] = ((seg_segment *)c->prog->segments.items[i])->name;
  return diag_suggest(name, names, n);
}

static seg_const *find_const(checker *c, const char *name) {
  for (int i = 0; i < c->prog->consts.n; i++) {
    seg_const *k = c->prog->consts.items[i];
    if (k->name == name) return k;
  }
  return NULL;
}

static int find_member(const seg_type *t, const char *name) {
  if (!t || (t->kind != TY_ENUM && t->kind != TY_SET) || !t->members) return -1;
  for (int i = 0; i < t->members->n; i++)
    if (t->members->names[i] == name) return i;
  return -1;
}

/* A bare name that is no field, const or segment: an enum member, maybe. */
static bool is_bare_member(checker *c, const ast *n) {
  if (n->kind != AST_NAME || check_in_scope(c, n->name)) return false;
  const seg_schema *s = c->prog->schema;
  return !(s && ty_schema_find(s, n->name) >= 0) && !find_const(c, n->name) && !find_segment(c, n->name);
}

static void unknown_name(checker *c, ast *n, const seg_type *hint) {
  const char **cands = malloc(sizeof(char *) * 1024);
  int nc = 0;
  const seg_schema *s = c->prog->schema;
  if (hint && (hint->kind == TY_ENUM || hint->kind == TY_SET) && hint->members) {
    for (int i = 0; i < hint->members->n && nc < 1024; i++) cands[nc++] = hint->members->names[i];
    char buf[512];
    seg_diag *g = diag_error(c->d, n->span, "%s is not a member of %s", n->name, ty_name(*hint, buf, sizeof buf));
    const char *sug = diag_suggest(n->name, cands, nc);
    if (sug) diag_set_hint(c->d, g, "did you mean %s?", sug);
    free(cands);
    return;
  }
  for (int i = 0; s && i < s->nfields && nc < 1024; i++) cands[nc++] = s->fields[i].name;
  for (int i = 0; i < c->prog->consts.n && nc < 1024; i++) cands[nc++] = ((seg_const *)c->prog->consts.items[i])->name;
  for (int i = 0; i < c->prog->segments.n && nc < 1024; i++) cands[nc++] = ((seg_segment *)c->prog->segments.items[i])->name;
  seg_diag *g = diag_error(c->d, n->span, "unknown name %s", n->name);
  const char *sug = diag_suggest(n->name, cands, nc);
  if (sug) diag_set_hint(c->d, g, "did you mean %s?", sug);
  else if (!s) diag_set_hint(c->d, g, "no schema is declared: import the file that declares it");
  free(cands);
}

static ast *resolve_name(checker *c, ast *n, const seg_type *hint) {
  int m = find_member(hint, n->name);
  if (m >= 0) {
    n->kind = AST_ENUMLIT;
    n->v.i = m;
    n->type = *hint;
    n->type.kind = TY_ENUM;
    return n;
  }
  ast *ev = check_stream_name(c, n);
  if (ev) return ev;
  const seg_schema *s = c->prog->schema;
  int f = s ? ty_schema_find(s, n->name) : -1;
  if (f >= 0) {
    if (c->in_const) {
      diag_error(c->d, n->span, "a const cannot read the field %s", n->name);
      n->type = ty(TY_ERROR);
      return n;
    }
    n->kind = AST_FIELD;
    n->index = f;
    n->type = s->fields[f].type;
    if (n->type.kind == TY_INT32) n->type.kind = TY_INT64;
    n->nullable = s->fields[f].nullable;
    return n;
  }
  seg_const *k = find_const(c, n->name);
  if (k) {
    n->kind = AST_CONSTREF;
    n->index = k->index;
    n->type = k->type;
    if (k->type.kind == TY_ERROR && !k->value) n->type = ty(TY_ERROR);
    return n;
  }
  seg_segment *sg = find_segment(c, n->name);
  if (sg) {
    if (c->in_const) {
      diag_error(c->d, n->span, "a const cannot use the segment %s", n->name);
      n->type = ty(TY_ERROR);
      return n;
    }
    n->kind = AST_SEGREF;
    n->index = sg->index;
    n->type = ty(TY_BOOL);
    return n;
  }
  unknown_name(c, n, hint);
  n->type = ty(TY_ERROR);
  return n;
}

/* a.b.c: a child segment's full name */
static const char *dotted(checker *c, ast *n) {
  if (n->kind == AST_NAME) return n->name;
  if (n->kind != AST_MEMBER) return NULL;
  const char *left = dotted(c, n->a);
  return left ? arena_printf(c->prog->a, "%s.%s", left, n->name) : NULL;
}

/* ---- expressions --------------------------------------------------------- */


ast *check_bool(checker *c, ast *n, const char *what) {
  n = check_expr(c, n, NULL);
  if (!is_error(n) && n->type.kind != TY_BOOL && n->type.kind != TY_NULL)
    diag_error(c->d, n->span, "%s needs a bool, but this is %s", what, check_tyname(c, n->type));
  if (n->type.kind == TY_NULL) n->type = ty(TY_BOOL);
  return n;
}

/* Checks two operands that must meet; a bare enum member takes the other's type. */
static bool check_pair(checker *c, ast **a, ast **b) {
  if (is_bare_member(c, *a) && !is_bare_member(c, *b)) {
    *b = check_expr(c, *b, NULL);
    *a = check_expr(c, *a, &(*b)->type);
  } else {
    *a = check_expr(c, *a, NULL);
    if (is_error(*a) && is_bare_member(c, *b)) { /* its member would only draw a follow-on error */
      (*b)->type = ty(TY_ERROR);
      return false;
    }
    *b = check_expr(c, *b, &(*a)->type);
  }
  return !is_error(*a) && !is_error(*b);
}

static bool meet(checker *c, ast *n, ast **a, ast **b, seg_type *out, bool compare) {
  if (!common_type((*a)->type, (*b)->type, out)) {
    diag_error(c->d, n->span, "cannot use %s with %s and %s", ast_kind_names[n->kind] ? (n->kind == AST_CMP ? cmp_op_text[n->op] : ast_kind_names[n->kind]) : "?",
               check_tyname(c, (*a)->type), check_tyname(c, (*b)->type));
    return false;
  }
  if (out->kind == TY_NULL) *out = ty(TY_BOOL); /* null op null */
  *a = compare ? cast_cmp(c, *a, *out) : check_cast(c, *a, *out);
  *b = compare ? cast_cmp(c, *b, *out) : check_cast(c, *b, *out);
  return true;
}

static void warn_null_compare(checker *c, ast *n, ast *a, ast *b) {
  if (a->kind == AST_LIT_NULL || b->kind == AST_LIT_NULL) {
    seg_diag *g = diag_warning(c->d, n->span, "a comparison with null is always unknown");
    diag_set_hint(c->d, g, "write `x is null` or `x is not null`");
  }
}

/* a == b, a < b, ... */
static ast *check_cmp(checker *c, ast *n) {
  seg_type t;
  if (!check_pair(c, &n->a, &n->b) || !meet(c, n, &n->a, &n->b, &t, true)) {
    n->type = ty(TY_ERROR);
    return n;
  }
  bool ordered = n->op != CMP_EQ && n->op != CMP_NE;
  if (t.kind == TY_SET) {
    seg_diag *g = diag_error(c->d, n->span, "sets cannot be compared with %s", cmp_op_text[n->op]);
    diag_set_hint(c->d, g, "use `has`, `has any(...)`, `has all(...)` or `is empty`");
  } else if (ordered && t.kind == TY_BOOL) {
    diag_error(c->d, n->span, "bools have no order: %s needs numbers, strings, enums or times", cmp_op_text[n->op]);
  }
  warn_null_compare(c, n, n->a, n->b);
  n->type = ty(TY_BOOL);
  n->nullable = n->a->nullable || n->b->nullable;
  return n;
}

/* x between lo and hi */
static ast *check_between(checker *c, ast *n) {
  n->a = check_expr(c, n->a, NULL);
  n->b = check_expr(c, n->b, &n->a->type);
  n->c = check_expr(c, n->c, &n->a->type);
  seg_type t1, t;
  n->type = ty(TY_BOOL);
  if (is_error(n->a) || is_error(n->b) || is_error(n->c)) return n;
  if (!common_type(n->a->type, n->b->type, &t1) || !common_type(t1, n->c->type, &t) || t.kind == TY_SET ||
      t.kind == TY_BOOL) {
    diag_error(c->d, n->span, "cannot use between with %s, %s and %s", check_tyname(c, n->a->type),
               check_tyname(c, n->b->type), check_tyname(c, n->c->type));
    n->type = ty(TY_ERROR);
    return n;
  }
  n->a = cast_cmp(c, n->a, t);
  n->b = cast_cmp(c, n->b, t);
  n->c = cast_cmp(c, n->c, t);
  n->nullable = n->a->nullable || n->b->nullable || n->c->nullable;
  return n;
}

/* x in [a, b], x not in [a, b] */
static ast *check_in(checker *c, ast *n) {
  n->type = ty(TY_BOOL);
  if (n->b->kind != AST_LIST) {
    seg_diag *g = diag_error(c->d, n->b->span, "`in` needs a list here");
    diag_set_hint(c->d, g, "write `x in [a, b, c]`");
    n->type = ty(TY_ERROR);
    return n;
  }
  n->a = check_expr(c, n->a, NULL);
  if (is_error(n->a)) return n;
  seg_type t = n->a->type;
  bool ok = true;
  for (int i = 0; i < n->b->nargs; i++) {
    ast *it = n->b->args[i] = check_expr(c, n->b->args[i], &n->a->type);
    seg_type u;
    if (is_error(it)) ok = false;
    else if (!common_type(t, it->type, &u)) {
      diag_error(c->d, it->span, "this %s cannot be in a list of %s", check_tyname(c, it->type), check_tyname(c, n->a->type));
      ok = false;
    } else t = u;
  }
  if (!ok) {
    n->type = ty(TY_ERROR);
    return n;
  }
  if (t.kind == TY_SET || t.kind == TY_NULL) {
    diag_error(c->d, n->span, "`in` cannot test %s values", check_tyname(c, t));
    n->type = ty(TY_ERROR);
    return n;
  }
  n->a = cast_cmp(c, n->a, t);
  n->nullable = n->a->nullable;
  for (int i = 0; i < n->b->nargs; i++) {
    n->b->args[i] = cast_cmp(c, n->b->args[i], t);
    n->nullable |= n->b->args[i]->nullable;
  }
  return n;
}

static bool need_set(checker *c, ast *n, const char *what) {
  if (is_error(n)) return false;
  if (n->type.kind != TY_SET) {
    diag_error(c->d, n->span, "%s needs a set, but this is %s", what, check_tyname(c, n->type));
    return false;
  }
  return true;
}

/* s has m, s has any(m, ...), s has all(m, ...) */
static ast *check_has(checker *c, ast *n) {
  n->type = ty(TY_BOOL);
  n->a = check_expr(c, n->a, NULL);
  if (!need_set(c, n->a, "has")) {
    n->type = ty(TY_ERROR);
    return n;
  }
  seg_type set = n->a->type;
  ast **items = n->kind == AST_HAS ? &n->b : n->b->args;
  int count = n->kind == AST_HAS ? 1 : n->b->nargs;
  int64_t mask = 0;
  for (int i = 0; i < count; i++) {
    ast *m = items[i];
    if (m->kind != AST_NAME || find_member(&set, m->name) < 0) {
      if (m->kind == AST_NAME) unknown_name(c, m, &set);
      else diag_error(c->d, m->span, "has needs member names of %s", check_tyname(c, set));
      n->type = ty(TY_ERROR);
      continue;
    }
    mask |= INT64_C(1) << find_member(&set, m->name);
    items[i] = check_expr(c, m, &set);
  }
  n->v.i = mask; /* the members tested, as a mask */
  n->nullable = n->a->nullable;
  return n;
}

/* a + b, a - b */
static ast *check_additive(checker *c, ast *n) {
  if (!check_pair(c, &n->a, &n->b)) {
    n->type = ty(TY_ERROR);
    return n;
  }
  seg_tykind ka = n->a->type.kind, kb = n->b->type.kind;
  n->nullable = true;
  if (ka == TY_NULL || kb == TY_NULL) {
    diag_error(c->d, n->span, "arithmetic with a bare null is always null");
    n->type = ty(TY_ERROR);
  } else if (ty_is_numeric(ka) && ty_is_numeric(kb)) {
    meet(c, n, &n->a, &n->b, &n->type, false);
  } else if (is_time(ka) && kb == TY_DURATION) {
    n->a = check_cast(c, n->a, ty(TY_TIMESTAMP));
    n->type = ty(TY_TIMESTAMP);
  } else if (ka == TY_DURATION && is_time(kb) && n->kind == AST_ADD) {
    n->b = check_cast(c, n->b, ty(TY_TIMESTAMP));
    n->type = ty(TY_TIMESTAMP);
  } else if (ka == TY_DURATION && kb == TY_DURATION) {
    n->type = ty(TY_DURATION);
  } else if (is_time(ka) && is_time(kb) && n->kind == AST_SUB) {
    n->a = check_cast(c, n->a, ty(TY_TIMESTAMP));
    n->b = check_cast(c, n->b, ty(TY_TIMESTAMP));
    n->type = ty(TY_DURATION);
  } else {
    seg_diag *g = diag_error(c->d, n->span, "cannot %s %s and %s", n->kind == AST_ADD ? "add" : "subtract",
                             check_tyname(c, n->a->type), check_tyname(c, n->b->type));
    if ((is_time(ka) && is_int(kb)) || (is_int(ka) && is_time(kb)))
      diag_set_hint(c->d, g, "write a duration such as 30d, 12h or 2w");
    n->type = ty(TY_ERROR);
  }
  return n;
}

/* a * b, a / b, a % b */
static ast *check_multiplicative(checker *c, ast *n) {
  if (!check_pair(c, &n->a, &n->b)) {
    n->type = ty(TY_ERROR);
    return n;
  }
  seg_type ta = n->a->type, tb = n->b->type;
  n->nullable = true;
  if (!ty_is_numeric(ta.kind) || !ty_is_numeric(tb.kind)) {
    diag_error(c->d, n->span, "%s needs numbers, not %s and %s", ast_kind_names[n->kind], check_tyname(c, ta), check_tyname(c, tb));
    n->type = ty(TY_ERROR);
  } else if (n->kind == AST_DIV) {
    /* integers and decimals divide as their unscaled values (ast_scaled_div):
       a literal among them stays what it is, not a float already rounded */
    bool exact = (is_int(ta.kind) || ta.kind == TY_DECIMAL) && (is_int(tb.kind) || tb.kind == TY_DECIMAL);
    n->a = exact ? cast_node(c, n->a, ty(TY_FLOAT64)) : check_cast(c, n->a, ty(TY_FLOAT64));
    n->b = exact ? cast_node(c, n->b, ty(TY_FLOAT64)) : check_cast(c, n->b, ty(TY_FLOAT64));
    n->type = ty(TY_FLOAT64);
  } else if (n->kind == AST_MUL && ta.kind != TY_FLOAT64 && tb.kind != TY_FLOAT64 &&
             (ta.kind == TY_DECIMAL || tb.kind == TY_DECIMAL)) {
    /* exact: each side keeps its scale, the product's scale is their sum */
    int sa = ta.kind == TY_DECIMAL ? ta.scale : 0, sb = tb.kind == TY_DECIMAL ? tb.scale : 0;
    if (sa + sb > 18) {
      diag_error(c->d, n->span, "this product would have %d decimal places; at most 18 are kept", sa + sb);
      n->type = ty(TY_ERROR);
      return n;
    }
    n->a = check_cast(c, n->a, ty_dec(sa));
    n->b = check_cast(c, n->b, ty_dec(sb));
    n->type = ty_dec(sa + sb);
  } else {
    meet(c, n, &n->a, &n->b, &n->type, false);
  }
  return n;
}

static ast *check_call(checker *c, ast *n) {
  for (int i = 0; i < AGG__COUNT; i++)
    if (strcmp(n->name, agg_names[i]) == 0 && n->nargs == 1) { /* count(events), min(events.amount) */
      n->kind = AST_AGG;
      n->a = n->args[0];
      n->b = NULL;
      n->args = NULL;
      n->nargs = 0;
      return check_agg(c, n);
    }
  int id = builtin_find(n->name);
  n->type = ty(TY_ERROR);
  if (id < 0) {
    const char *names[BI__COUNT];
    for (int i = 0; i < BI__COUNT; i++) names[i] = builtins[i].name;
    seg_diag *g = diag_error(c->d, n->span, "unknown function %s", n->name);
    const char *sug = diag_suggest(n->name, names, BI__COUNT);
    if (sug) diag_set_hint(c->d, g, "did you mean %s?", sug);
    return n;
  }
  const builtin *b = &builtins[id];
  n->op = id;
  if (n->nargs < b->min_args || n->nargs > b->max_args) {
    if (b->min_args == b->max_args)
      diag_error(c->d, n->span, "%s takes %d argument%s, not %d", b->name, b->min_args, b->min_args == 1 ? "" : "s", n->nargs);
    else
      diag_error(c->d, n->span, "%s takes %d to %d arguments, not %d", b->name, b->min_args, b->max_args, n->nargs);
    return n;
  }
  bool ok = true;
  n->nullable = b->may_null;
  for (int i = 0; i < n->nargs; i++) {
    n->args[i] = check_expr(c, n->args[i], NULL);
    ok &= !is_error(n->args[i]);
    n->nullable |= n->args[i]->nullable;
  }
  if (!ok) return n;
  seg_type t0 = n->args[0]->type;
  const char *want = NULL;
  switch (b->args) {
  case ARG_NUMERIC:
    if (!ty_is_numeric(t0.kind)) want = "a number";
    break;
  case ARG_NUMERIC2: {
    seg_type t;
    if (!ty_is_numeric(t0.kind) || !ty_is_numeric(n->args[1]->type.kind) || !common_type(t0, n->args[1]->type, &t)) {
      want = "two numbers";
      break;
    }
    n->args[0] = check_cast(c, n->args[0], t);
    n->args[1] = check_cast(c, n->args[1], t);
    t0 = t;
    break;
  }
  case ARG_ROUND:
    if (!ty_is_numeric(t0.kind)) want = "a number";
    else if (n->nargs == 2 && (n->args[1]->kind != AST_LIT_INT && !(n->args[1]->kind == AST_NEG && n->args[1]->a->kind == AST_LIT_INT)))
      want = "a number and a whole number of digits (a literal)";
    break;
  case ARG_STR:
    if (t0.kind != TY_STRING) want = "a string";
    break;
  case ARG_STR2:
  case ARG_STR_PATTERN:
    if (t0.kind != TY_STRING || n->args[1]->type.kind != TY_STRING) want = "two strings";
    else if (b->args == ARG_STR_PATTERN && n->args[1]->kind != AST_LIT_STR) want = "a string and a pattern literal";
    break;
  case ARG_TIME:
    if (!is_time(t0.kind)) want = "a date or a timestamp";
    break;
  case ARG_TIMESTAMP:
    if (t0.kind != TY_TIMESTAMP) want = "a timestamp";
    break;
  }
  if (want) {
    char buf[1024] = "";
    size_t k = 0;
    for (int i = 0; i < n->nargs; i++)
      k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? ", " : "", check_tyname(c, n->args[i]->type));
    diag_error(c->d, n->span, "%s takes %s, not (%s)", b->name, want, buf);
    return n;
  }
  if (id == BI_MATCHES) { /* a pattern seen before has its regex (glibc's regcomp takes ~10 us) */
    const char *pattern = n->args[1]->name;
    n->index = -1;
    for (int i = 0; i < c->prog->regex_texts.n && n->index < 0; i++)
      if (strcmp(c->prog->regex_texts.items[i], pattern) == 0) n->index = i;
    if (n->index < 0) {
      regex_t *re = arena_alloc(c->prog->a, sizeof *re);
      int rc = regcomp(re, pattern, SEG_REGEX_FLAGS);
      if (rc != 0) {
        char why[256];
        regerror(rc, re, why, sizeof why);
        diag_error(c->d, n->args[1]->span, "this is not a valid regular expression: %s", why);
        return n;
      }
      n->index = c->prog->regexes.n;
      ptrvec_push(c->prog->a, &c->prog->regexes, re);
      ptrvec_push(c->prog->a, &c->prog->regex_texts, (void *)pattern);
    }
  }
  switch (b->result) {
  case RES_ARG0:
  case RES_COMMON: n->type = t0; break;
  case RES_BOOL: n->type = ty(TY_BOOL); break;
  case RES_STRING: n->type = ty(TY_STRING); break;
  case RES_INT64: n->type = ty(TY_INT64); break;
  case RES_DATE: n->type = ty(TY_DATE); break;
  }
  return n;
}

/* Checks one node; `hint` is the type a bare enum member should take. */
ast *check_expr(checker *c, ast *n, const seg_type *hint) {
  switch (n->kind) {
  case AST_LIT_NULL: n->type = ty(TY_NULL); n->nullable = true; break;
  case AST_LIT_BOOL: n->type = ty(TY_BOOL); break;
  case AST_LIT_INT:
    n->type = ty(TY_INT64);
    if (n->op == AST_LIT_INT_MIN_MAGNITUDE) {
      diag_error(c->d, n->span, "integer literal 9223372036854775808 does not fit in int64");
      n->type = ty(TY_ERROR);
    }
    break;
  case AST_LIT_DEC: break; /* typed by its builder */
  case AST_LIT_STR: n->type = ty(TY_STRING); break;
  case AST_LIT_DATE: n->type = ty(TY_DATE); break;
  case AST_LIT_TS: n->type = ty(TY_TIMESTAMP); break;
  case AST_LIT_DUR: n->type = ty(TY_DURATION); break;
  case AST_NOW: n->type = ty(TY_TIMESTAMP); break;
  case AST_TODAY: n->type = ty(TY_DATE); break;
  case AST_NAME: return resolve_name(c, n, hint);
  case AST_MEMBER: {
    ast *ev = check_stream_member(c, n);
    if (ev) return ev;
    const char *full = dotted(c, n);
    seg_segment *s = full ? find_segment(c, full) : NULL;
    if (!s) {
      seg_diag *g = diag_error(c->d, n->span, full ? "unknown segment %s" : "`.%s` can only name a child segment",
                               full ? full : n->name);
      const char *sug = full ? suggest_segment(c, full) : NULL;
      if (sug) diag_set_hint(c->d, g, "did you mean %s?", sug);
      n->type = ty(TY_ERROR);
      return n;
    }
    n->kind = AST_SEGREF;
    n->index = s->index;
    n->type = ty(TY_BOOL);
    break;
  }
  case AST_CALL: return check_call(c, n);
  case AST_AGG: return check_agg(c, n);
  case AST_AND:
  case AST_OR:
    n->a = check_bool(c, n->a, n->kind == AST_AND ? "and" : "or");
    n->b = check_bool(c, n->b, n->kind == AST_AND ? "and" : "or");
    n->type = ty(TY_BOOL);
    n->nullable = n->a->nullable || n->b->nullable;
    break;
  case AST_NOT:
    n->a = check_bool(c, n->a, "not");
    n->type = ty(TY_BOOL);
    n->nullable = n->a->nullable;
    break;
  case AST_CMP: return check_cmp(c, n);
  case AST_BETWEEN: return check_between(c, n);
  case AST_IN:
  case AST_NOT_IN: return check_in(c, n);
  case AST_IS_NULL:
  case AST_IS_NOT_NULL:
    n->a = check_expr(c, n->a, NULL);
    n->type = ty(TY_BOOL);
    if (!is_error(n->a) && !n->a->nullable && n->a->kind != AST_LIT_NULL)
      diag_warning(c->d, n->span, "this can never be null, so `%s` is always %s", ast_kind_names[n->kind],
                   n->kind == AST_IS_NULL ? "false" : "true");
    break;
  case AST_COALESCE: {
    if (!check_pair(c, &n->a, &n->b) || !meet(c, n, &n->a, &n->b, &n->type, false)) {
      n->type = ty(TY_ERROR);
      return n;
    }
    n->nullable = n->b->nullable;
    break;
  }
  case AST_ADD:
  case AST_SUB: return check_additive(c, n);
  case AST_MUL:
  case AST_DIV:
  case AST_MOD: return check_multiplicative(c, n);
  case AST_NEG:
    if (n->a->kind == AST_LIT_INT && n->a->op == AST_LIT_INT_MIN_MAGNITUDE) { /* -9223372036854775808 */
      n->a->op = 0;
      n->a->span = n->span;
      n->a->type = ty(TY_INT64);
      return n->a;
    }
    n->a = check_expr(c, n->a, NULL);
    if (is_error(n->a)) {
      n->type = n->a->type;
      return n;
    }
    if (!ty_is_numeric(n->a->type.kind) && n->a->type.kind != TY_DURATION) {
      diag_error(c->d, n->span, "cannot negate %s", check_tyname(c, n->a->type));
      n->type = ty(TY_ERROR);
      return n;
    }
    if (n->a->kind == AST_LIT_INT || n->a->kind == AST_LIT_DEC || n->a->kind == AST_LIT_DUR) {
      ast *lit = n->a; /* fold: -5 is a literal */
      if (lit->v.i == INT64_MIN) {
        diag_error(c->d, n->span, "-(-9223372036854775808) does not fit in int64");
        n->type = ty(TY_ERROR);
        return n;
      }
      lit->v.i = -lit->v.i;
      lit->span = n->span;
      if (lit->type.kind == TY_INT32) lit->type.kind = TY_INT64;
      return lit;
    }
    n->type = n->a->type.kind == TY_INT32 ? ty(TY_INT64) : n->a->type;
    n->nullable = true;
    break;
  case AST_HAS:
  case AST_HAS_ANY:
  case AST_HAS_ALL: return check_has(c, n);
  case AST_IS_EMPTY:
    n->a = check_expr(c, n->a, NULL);
    n->type = need_set(c, n->a, "is empty") ? ty(TY_BOOL) : ty(TY_ERROR);
    n->nullable = n->a->nullable;
    break;
  case AST_FIELD: case AST_CONSTREF: case AST_SEGREF: case AST_ENUMLIT: case AST_CAST: case AST_LIST:
  case AST_EVFIELD: case AST__COUNT:
    break;
  case AST_RECORD: case AST_FIELDVAL: /* only in a test's given events (check_given_events) */
    diag_error(c->d, n->span, "an event { ... } can only be given in a test");
    n->type = ty(TY_ERROR);
    break;
  }
  return n;
}

/* ---- declarations -------------------------------------------------------- */

static bool is_constant(const ast *n) {
  if (!n) return true;
  if (n->kind == AST_FIELD || n->kind == AST_SEGREF || n->kind == AST_NOW || n->kind == AST_TODAY ||
      n->kind == AST_AGG || n->kind == AST_EVFIELD)
    return false;
  if (!is_constant(n->a) || !is_constant(n->b) || !is_constant(n->c)) return false;
  for (int i = 0; i < n->nargs; i++)
    if (!is_constant(n->args[i])) return false;
  return true;
}

static void check_consts(checker *c) {
  for (int i = 0; i < c->prog->consts.n; i++) {
    seg_const *k = c->prog->consts.items[i];
    const seg_schema *s = c->prog->schema;
    for (int j = 0; j < i; j++)
      if (((seg_const *)c->prog->consts.items[j])->name == k->name)
        diag_note_first(c->d, diag_error(c->d, k->span, "const %s is declared twice", k->name),
                        ((seg_const *)c->prog->consts.items[j])->span);
    if (s && ty_schema_find(s, k->name) >= 0)
      diag_error(c->d, k->span, "const %s has the name of a schema field", k->name);
    k->type = ty(TY_ERROR);
    c->in_const = true;
    /* a const may use the consts declared before it */
    int nconsts = c->prog->consts.n;
    c->prog->consts.n = i;
    k->value = check_expr(c, k->value, NULL);
    c->prog->consts.n = nconsts;
    c->in_const = false;
    k->type = k->value->type;
    if (k->type.kind == TY_NULL) {
      diag_error(c->d, k->value->span, "a const cannot be null");
      k->type = ty(TY_ERROR);
    } else if (!is_error(k->value) && !is_constant(k->value)) {
      diag_error(c->d, k->value->span, "a const must be a constant expression (now and today change per run)");
    }
  }
}

static void check_cycles(checker *c, seg_segment *s, seg_segment **stack, int depth);

static void visit_refs(checker *c, ast *n, seg_segment **stack, int depth) {
  if (!n) return;
  if (n->kind == AST_SEGREF) check_cycles(c, c->prog->segments.items[n->index], stack, depth);
  visit_refs(c, n->a, stack, depth);
  visit_refs(c, n->b, stack, depth);
  visit_refs(c, n->c, stack, depth);
  for (int i = 0; i < n->nargs; i++) visit_refs(c, n->args[i], stack, depth);
}

/* Depth-first over references: state 1 = on the stack, 2 = done. */
static void check_cycles(checker *c, seg_segment *s, seg_segment **stack, int depth) {
  if (s->state == 2) return;
  if (s->state == 1) {
    int from = depth > 0 ? depth - 1 : 0; /* s is on the stack: depth > 0 */
    while (from > 0 && stack[from] != s) from--;
    size_t len = 0;
    for (int i = from; i < depth; i++) len += strlen(stack[i]->name) + 4;
    char *text = arena_alloc(c->prog->a, len + strlen(s->name) + 1);
    for (int i = from; i < depth; i++) strcat(strcat(text, stack[i]->name), " -> ");
    strcat(text, s->name);
    if (from == depth - 1) {
      diag_error(c->d, s->span, "segment %s refers to itself", s->name);
    } else {
      seg_diag *g = diag_error(c->d, s->span, "segments refer to each other in a cycle: %s", text);
      diag_set_hint(c->d, g, "a segment cannot depend on itself, directly or through other segments");
    }
    s->state = 2; /* report each cycle once */
    return;
  }
  s->state = 1;
  stack[depth] = s;
  visit_refs(c, s->rule, stack, depth + 1);
  s->state = 2;
}

static void check_segments(checker *c) {
  ptrvec *segs = &c->prog->segments;
  const seg_schema *sch = c->prog->schema;
  for (int i = 0; i < segs->n; i++) {
    seg_segment *s = segs->items[i], *first = find_segment(c, s->name);
    if (first && first != s) {
      seg_diag *g = diag_error(c->d, s->span, "segment %s is declared twice", s->name);
      diag_note_first(c->d, g, first->span);
    }
    if (sch && ty_schema_find(sch, s->name) >= 0)
      diag_error(c->d, s->span, "segment %s has the name of a schema field", s->name);
    if (find_const(c, s->name)) diag_error(c->d, s->span, "segment %s has the name of a const", s->name);
  }
  for (int i = 0; i < segs->n; i++) {
    seg_segment *s = segs->items[i];
    s->rule = check_bool(c, s->rule, "a segment rule");
    if (s->parent) {
      ast *ref = ast_new(&c->p, AST_SEGREF, s->span);
      ref->index = s->parent->index;
      ref->type = ty(TY_BOOL);
      ast *both = ast_binary(&c->p, AST_AND, ref, s->rule, s->rule->span);
      both->type = ty(TY_BOOL);
      both->nullable = s->rule->nullable;
      s->rule = both;
    }
  }
  seg_segment **stack = malloc(sizeof(*stack) * (size_t)(segs->n + 1));
  for (int i = 0; i < segs->n; i++) check_cycles(c, segs->items[i], stack, 0);
  free(stack);
}

ast *check_given_value(checker *c, const seg_field *f, ast *value) {
  seg_type ft = f->type;
  if (ft.kind == TY_INT32) ft.kind = TY_INT64;
  c->in_const = true;
  if (ft.kind == TY_SET && value->kind == AST_LIST) {
    int64_t mask = 0;
    for (int k = 0; k < value->nargs; k++) {
      ast *m = value->args[k];
      int idx = m->kind == AST_NAME ? find_member(&ft, m->name) : -1;
      if (idx < 0) {
        if (m->kind == AST_NAME) unknown_name(c, m, &ft);
        else diag_error(c->d, m->span, "a set is given as a list of member names");
      }
      else mask |= INT64_C(1) << idx;
    }
    ast *lit = ast_new(&c->p, AST_LIT_INT, value->span);
    lit->v.i = mask;
    lit->type = ft;
    value = lit;
  } else {
    value = check_expr(c, value, &ft);
    seg_type u;
    if (is_error(value)) {
    } else if (!common_type(ft, value->type, &u) || !ty_equal(u, ft)) {
      diag_error(c->d, value->span, "%s is %s, but this is %s", f->name, check_tyname(c, ft), check_tyname(c, value->type));
    } else if (value->kind == AST_LIT_NULL && !f->nullable) {
      diag_error(c->d, value->span, "%s is not nullable", f->name);
    } else {
      value = check_cast(c, value, ft);
      if (!is_constant(value)) diag_error(c->d, value->span, "given values are constants");
    }
  }
  c->in_const = false;
  return value;
}

static void check_tests(checker *c) {
  const seg_schema *s = c->prog->schema;
  for (int i = 0; i < c->prog->tests.n; i++) {
    seg_test *t = c->prog->tests.items[i];
    if (t->as_of) {
      t->as_of = check_expr(c, t->as_of, NULL);
      if (!is_error(t->as_of)) {
        if (!is_time(t->as_of->type.kind) || !ast_is_literal(t->as_of))
          diag_error(c->d, t->as_of->span, "as_of takes a timestamp or date literal");
        else t->as_of = check_cast(c, t->as_of, ty(TY_TIMESTAMP));
      }
    }
    for (int g = 0; g < t->ngiven; g++) {
      seg_given *gv = &t->given[g];
      int f = s ? ty_schema_find(s, gv->field) : -1;
      for (int h = 0; h < g; h++)
        if (t->given[h].field == gv->field) diag_error(c->d, gv->span, "%s is given twice", gv->field);
      gv->stream = check_find_stream(s, gv->field);
      if (gv->stream >= 0) {
        gv->value = check_given_events(c, gv->stream, gv->value);
        continue;
      }
      if (f < 0) {
        const char **names = malloc(sizeof(char *) * (size_t)(s ? s->nfields + 1 : 1));
        for (int j = 0; s && j < s->nfields; j++) names[j] = s->fields[j].name;
        seg_diag *dg = diag_error(c->d, gv->span, "the schema has no field %s", gv->field);
        const char *sug = s ? diag_suggest(gv->field, names, s->nfields) : NULL;
        if (sug) diag_set_hint(c->d, dg, "did you mean %s?", sug);
        free(names);
        continue;
      }
      gv->value = check_given_value(c, &s->fields[f], gv->value);
    }
    for (int e = 0; e < t->nexpects; e++) t->expects[e] = check_bool(c, t->expects[e], "expect");
  }
}

bool seg_check(seg_program *prog) {
  checker c = {0};
  c.prog = prog;
  c.d = &prog->diags;
  c.p.prog = prog;
  if (!prog->schema) {
    diag_error_at_file(c.d, prog->diags.nsources ? prog->diags.sources[0]->path : "input",
                       "no schema is declared (import the file that declares it)");
    return false;
  }
  check_consts(&c);
  check_segments(&c);
  check_tests(&c);
  prog->checked = true;
  return prog->diags.nerrors == 0;
}
