/* compiler/lower_ratio.c — a quotient compared with a number, without
 * dividing.
 *
 * `spend_90d / spend_prev_90d >= 2` is a float64 quotient q = fl(X / Y) of
 * two integers (the operands' unscaled values brought to one scale,
 * ast_scaled_div) compared with a double c.  When the operands are bounded
 * (by their types: int32 fields, decimal(p,s) fields, literals, and sums,
 * products and remainders of those) the comparison is decided exactly in
 * integers, with no vector division (the slowest instruction a main loop
 * had: three such segments of the bench took 0.3 ms of 8.3 at 1M):
 *
 *   c = m / 2^j, with j the least such that m is an integer;
 *   x = X / Y exactly; x - c = (X 2^j - m Y) / (Y 2^j).
 *
 * If x != c then |x - c| >= 1 / (|Y| 2^j), while rounding moves x by at
 * most |x| 2^-53 = |X| 2^-53 / |Y|; with |X| 2^j < 2^53 rounding cannot
 * reach c, so q is on the same side of c as x, and q == c exactly when
 * x == c.  The conversions and the division are exact up to the single
 * rounding when |X|, |Y| <= 2^53 (lower_scaled_div, interp.c).  So
 *
 *   q <op> c  <=>  sign(Y) * (X 2^j - m Y) <op> 0,
 *
 * computed in int64 (bounded below 2^62), null where an operand is null or
 * Y is 0 (division by zero), as the quotient is.  A threshold that is not
 * such a dyadic number (0.2) or operands without bounds (int64 fields)
 * keep the division.
 *
 * An int32 field cannot leave its bound; a decimal(p,s) field's p digits
 * are what ingest writes, not what a .segd must hold.  The loop checks each
 * decimal field a rewritten comparison reads, once per loop, and flags one
 * with a present value of more than p digits in pack_ctx.bad_values; the
 * run then fails with the file called corrupt (exec.c), as the checks at
 * open do for other out-of-range values.  (Checking the columns at open
 * read them from memory once more: 2.5 ms of a 1M run for the bench's
 * three; a branch to a dividing path in the loops spilled registers.) */
#include "lower_internal.h"

#include <math.h>

#define RATIO_UNBOUNDED UINT64_MAX
#define RATIO_EXACT (UINT64_C(1) << 53) /* integers a double holds exactly */

static uint64_t bound_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  return a == RATIO_UNBOUNDED || b == RATIO_UNBOUNDED || __builtin_mul_overflow(a, b, &r) || r > (UINT64_C(1) << 62)
             ? RATIO_UNBOUNDED
             : r;
}

static uint64_t bound_add(uint64_t a, uint64_t b) {
  return a == RATIO_UNBOUNDED || b == RATIO_UNBOUNDED || a + b > (UINT64_C(1) << 62) ? RATIO_UNBOUNDED : a + b;
}

static int scale_of(seg_type t) { return t.kind == TY_DECIMAL ? t.scale : 0; }

/* A bound on |unscaled value| of integer or decimal expression n, or
 * RATIO_UNBOUNDED; a field's from its stored type (an int32 field's value
 * is an int64 expression).  Sets *soft when a decimal field's precision is
 * part of it. */
static uint64_t magnitude(const seg_schema *s, const ast *n, bool *soft) {
  seg_tykind k = n->type.kind;
  if (k != TY_INT32 && k != TY_INT64 && k != TY_DECIMAL) return RATIO_UNBOUNDED;
  switch (n->kind) {
  case AST_FIELD: {
    seg_type t = n->index >= 0 && n->index < s->nfields ? s->fields[n->index].type : n->type;
    *soft |= t.kind == TY_DECIMAL;
    return t.kind == TY_INT32 ? UINT64_C(1) << 31 : t.kind == TY_DECIMAL ? (uint64_t)ty_decimal_limit(t) : RATIO_UNBOUNDED;
  }
  case AST_LIT_INT:
  case AST_LIT_DEC: return n->v.i < 0 ? (uint64_t)0 - (uint64_t)n->v.i : (uint64_t)n->v.i;
  case AST_NEG: return magnitude(s, n->a, soft);
  case AST_CAST: {
    int up = scale_of(n->type) - scale_of(n->a->type);
    return up < 0 || up > 18 ? RATIO_UNBOUNDED : bound_mul(magnitude(s, n->a, soft), (uint64_t)ty_pow10(up));
  }
  case AST_ADD:
  case AST_SUB: /* the checker brings both sides to the result's type */
    if (scale_of(n->a->type) != scale_of(n->type) || scale_of(n->b->type) != scale_of(n->type)) return RATIO_UNBOUNDED;
    return bound_add(magnitude(s, n->a, soft), magnitude(s, n->b, soft));
  case AST_MUL: return bound_mul(magnitude(s, n->a, soft), magnitude(s, n->b, soft)); /* scales add up, unscaled values multiply */
  case AST_MOD: { /* |a % b| < |b|, and <= |a| */
    if (scale_of(n->a->type) != scale_of(n->type) || scale_of(n->b->type) != scale_of(n->type)) return RATIO_UNBOUNDED;
    uint64_t a = magnitude(s, n->a, soft), b = magnitude(s, n->b, soft);
    return a < b ? a : b;
  }
  case AST_COALESCE: {
    uint64_t a = magnitude(s, n->a, soft), b = magnitude(s, n->b, soft);
    return a == RATIO_UNBOUNDED || b == RATIO_UNBOUNDED ? RATIO_UNBOUNDED : a > b ? a : b;
  }
  default: return RATIO_UNBOUNDED;
  }
}

/* c = m / 2^j with j >= 0 the least such (|m| < 2^53); false when c needs
 * more than 52 binary places */
static bool dyadic(double c, int64_t *m, int *j) {
  if (!isfinite(c)) return false;
  for (int e = 0; e <= 52; e++) {
    double v = ldexp(c, e);
    if (v == floor(v)) {
      if (fabs(v) >= 0x1p53) return false;
      *m = (int64_t)v;
      *j = e;
      return true;
    }
  }
  return false;
}

/* some lane of v (i1 lanes) is set */
static LLVMValueRef any_lane(lower *L, LLVMValueRef v) {
  if (L->vf == 1) return v;
  LLVMTypeRef t = LLVMTypeOf(v);
  return LLVMBuildCall2(L->B, compat_intrinsic_type(L->C, "llvm.vector.reduce.or", &t, 1),
                        compat_intrinsic(L->M, "llvm.vector.reduce.or", &t, 1), &v, 1, "");
}

/* ctx->bad_values[f] |= bad */
static void flag_bad(lower *L, int f, LLVMValueRef bad) {
  LLVMValueRef at = LLVMBuildGEP2(L->B, L->i8, load_ctx(L, CTX_BAD_VALUES, ptr_to(L, L->i8)), (LLVMValueRef[]){s64(L, f)}, 1, "");
  LLVMValueRef was = LLVMBuildLoad2(L->B, L->i8, at, "");
  LLVMBuildStore(L->B, LLVMBuildOr(L->B, was, LLVMBuildZExt(L->B, bad, L->i8, ""), ""), at);
}

/* Whether some present value of each decimal field n reads has more digits
 * than its type's precision: flagged at once in a scalar loop, at the end
 * of a main loop (lower_range_flush: its loads before any store) */
static void check_decimals(lower *L, const ast *n) {
  if (!n) return;
  const seg_schema *s = L->pk->prog->schema;
  if (n->kind == AST_FIELD && n->index >= 0 && n->index < s->nfields && s->fields[n->index].type.kind == TY_DECIMAL) {
    int f = n->index;
    if (L->vf > 1 && L->range_loop[f] == L->loop_id) return;
    lv v = lower_node(L, (ast *)n);
    int64_t lim = ty_decimal_limit(s->fields[f].type);
    LLVMValueRef out = LLVMBuildOr(L->B, LLVMBuildICmp(L->B, LLVMIntSGE, v.v, c64(L, lim), ""),
                                   LLVMBuildICmp(L->B, LLVMIntSLE, v.v, c64(L, -lim), ""), "");
    if (v.null) out = LLVMBuildAnd(L->B, out, LLVMBuildNot(L->B, v.null, ""), "");
    if (L->vf == 1) {
      flag_bad(L, f, out);
      return;
    }
    L->range_loop[f] = L->loop_id;
    L->range_bad[f] = any_lane(L, out);
    return;
  }
  check_decimals(L, n->a);
  check_decimals(L, n->b);
  check_decimals(L, n->c);
  for (int i = 0; i < n->nargs; i++) check_decimals(L, n->args[i]);
}

void lower_range_flush(lower *L) {
  for (int f = 0; f < L->pk->prog->schema->nfields; f++)
    if (L->range_loop[f] == L->loop_id && L->range_bad[f]) flag_bad(L, f, L->range_bad[f]);
}

bool lower_ratio_compare(lower *L, const ast *n, lv *r) {
  int up_a, up_b;
  if (n->kind != AST_CMP) return false;
  bool left = ast_scaled_div(n->a, &up_a, &up_b);
  const ast *div = left ? n->a : n->b, *lit = left ? n->b : n->a;
  if (!left && !ast_scaled_div(div, &up_a, &up_b)) return false;
  if ((lit->kind != AST_LIT_INT && lit->kind != AST_LIT_DEC) || lit->type.kind != TY_FLOAT64) return false;
  int64_t m;
  int j;
  if (!dyadic(lit->v.f, &m, &j)) return false;
  const seg_schema *s = L->pk->prog->schema;
  bool soft = false;
  uint64_t ma = magnitude(s, div->a->a, &soft), mb = magnitude(s, div->b->a, &soft);
  uint64_t mx = bound_mul(ma, (uint64_t)ty_pow10(up_a)), my = bound_mul(mb, (uint64_t)ty_pow10(up_b));
  uint64_t mx_j = bound_mul(mx, UINT64_C(1) << j), m_y = bound_mul((uint64_t)(m < 0 ? -m : m), my);
  if (mx > RATIO_EXACT || my > RATIO_EXACT || mx_j >= RATIO_EXACT || m_y == RATIO_UNBOUNDED || bound_add(mx_j, m_y) == RATIO_UNBOUNDED)
    return false;
  int op = left ? n->op : cmp_mirror(n->op);
  lv a = lower_node(L, div->a->a), b = lower_node(L, div->b->a);
  LLVMValueRef x = up_a ? LLVMBuildMul(L->B, a.v, c64(L, ty_pow10(up_a)), "") : a.v;
  LLVMValueRef y = up_b ? LLVMBuildMul(L->B, b.v, c64(L, ty_pow10(up_b)), "") : b.v;
  LLVMValueRef d = LLVMBuildSub(L->B, j ? LLVMBuildShl(L->B, x, c64(L, j), "") : x, LLVMBuildMul(L->B, y, c64(L, m), ""), "");
  LLVMValueRef neg = LLVMBuildICmp(L->B, LLVMIntSLT, y, c64(L, 0), "");
  d = LLVMBuildSelect(L->B, neg, LLVMBuildNeg(L->B, d, ""), d, "");
  seg_type i64 = {.kind = TY_INT64};
  r->v = lower_compare(L, op, i64, i64, d, c64(L, 0));
  r->null = or_null(L, or_null(L, a.null, b.null), LLVMBuildICmp(L->B, LLVMIntEQ, b.v, c64(L, 0), ""));
  if (soft) {
    check_decimals(L, div->a->a);
    check_decimals(L, div->b->a);
  }
  return true;
}
