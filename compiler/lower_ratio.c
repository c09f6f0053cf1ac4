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
 * keep the division. */
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
 * is an int64 expression) */
static uint64_t magnitude(const seg_schema *s, const ast *n) {
  seg_tykind k = n->type.kind;
  if (k != TY_INT32 && k != TY_INT64 && k != TY_DECIMAL) return RATIO_UNBOUNDED;
  switch (n->kind) {
  case AST_FIELD: {
    seg_type t = n->index >= 0 && n->index < s->nfields ? s->fields[n->index].type : n->type;
    return t.kind == TY_INT32 ? UINT64_C(1) << 31 : t.kind == TY_DECIMAL ? (uint64_t)ty_decimal_limit(t) : RATIO_UNBOUNDED;
  }
  case AST_LIT_INT:
  case AST_LIT_DEC: return n->v.i < 0 ? (uint64_t)0 - (uint64_t)n->v.i : (uint64_t)n->v.i;
  case AST_NEG: return magnitude(s, n->a);
  case AST_CAST: {
    int up = scale_of(n->type) - scale_of(n->a->type);
    return up < 0 || up > 18 ? RATIO_UNBOUNDED : bound_mul(magnitude(s, n->a), (uint64_t)ty_pow10(up));
  }
  case AST_ADD:
  case AST_SUB: /* the checker brings both sides to the result's type */
    if (scale_of(n->a->type) != scale_of(n->type) || scale_of(n->b->type) != scale_of(n->type)) return RATIO_UNBOUNDED;
    return bound_add(magnitude(s, n->a), magnitude(s, n->b));
  case AST_MUL: return bound_mul(magnitude(s, n->a), magnitude(s, n->b)); /* scales add up, unscaled values multiply */
  case AST_MOD: { /* |a % b| < |b|, and <= |a| */
    if (scale_of(n->a->type) != scale_of(n->type) || scale_of(n->b->type) != scale_of(n->type)) return RATIO_UNBOUNDED;
    uint64_t a = magnitude(s, n->a), b = magnitude(s, n->b);
    return a < b ? a : b;
  }
  case AST_COALESCE: {
    uint64_t a = magnitude(s, n->a), b = magnitude(s, n->b);
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

bool lower_ratio_compare(lower *L, const ast *n, lv *r) {
  static const int mirror[] = {[CMP_EQ] = CMP_EQ, [CMP_NE] = CMP_NE, [CMP_LT] = CMP_GT,
                               [CMP_LE] = CMP_GE, [CMP_GT] = CMP_LT, [CMP_GE] = CMP_LE};
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
  uint64_t mx = bound_mul(magnitude(s, div->a->a), (uint64_t)ty_pow10(up_a));
  uint64_t my = bound_mul(magnitude(s, div->b->a), (uint64_t)ty_pow10(up_b));
  uint64_t mx_j = bound_mul(mx, UINT64_C(1) << j), m_y = bound_mul((uint64_t)(m < 0 ? -m : m), my);
  if (mx > RATIO_EXACT || my > RATIO_EXACT || mx_j >= RATIO_EXACT || m_y == RATIO_UNBOUNDED || bound_add(mx_j, m_y) == RATIO_UNBOUNDED)
    return false;
  lv a = lower_node(L, div->a->a), b = lower_node(L, div->b->a);
  LLVMValueRef x = up_a ? LLVMBuildMul(L->B, a.v, c64(L, ty_pow10(up_a)), "") : a.v;
  LLVMValueRef y = up_b ? LLVMBuildMul(L->B, b.v, c64(L, ty_pow10(up_b)), "") : b.v;
  LLVMValueRef d = LLVMBuildSub(L->B, j ? LLVMBuildShl(L->B, x, c64(L, j), "") : x, LLVMBuildMul(L->B, y, c64(L, m), ""), "");
  LLVMValueRef neg = LLVMBuildICmp(L->B, LLVMIntSLT, y, c64(L, 0), "");
  d = LLVMBuildSelect(L->B, neg, LLVMBuildNeg(L->B, d, ""), d, "");
  seg_type i64 = {.kind = TY_INT64};
  r->v = lower_compare(L, left ? n->op : mirror[n->op], i64, i64, d, c64(L, 0));
  r->null = or_null(L, or_null(L, a.null, b.null), LLVMBuildICmp(L->B, LLVMIntEQ, b.v, c64(L, 0), ""));
  return true;
}
