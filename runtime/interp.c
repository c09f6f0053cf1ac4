/* runtime/interp.c — the reference interpreter (see interp.h).
 *
 * One function per node shape.  Values carry their own null flag; every
 * operator states its null rule first, then computes.  Overflow, division by
 * zero and non-finite floats give null. */
#include "interp.h"

#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/builtins.h"
#include "stdlib/calendar.h"

static const ival NULLV = {.null = true};

static ival I(int64_t v) { return (ival){.i = v}; }
static ival F(double v) { return isfinite(v) ? (ival){.f = v} : NULLV; }
static ival B(bool v) { return (ival){.i = v}; }

void interp_init(interp *it, const seg_program *prog, const rt_table *t, int64_t now, const ival *consts) {
  memset(it, 0, sizeof *it);
  it->prog = prog;
  it->t = t;
  it->now = now;
  it->consts = consts;
  it->bind_field = -1;
}

void interp_reset(interp *it) {
  it->bufused = 0;
  for (int i = 0; i < it->nscratch; i++) free(it->scratch[i]);
  it->nscratch = 0;
  if (!it->capscratch) return;
  free(it->scratch);
  it->scratch = NULL;
  it->capscratch = 0;
}

int64_t interp_slot(ival v, seg_type t) {
  if (t.kind == TY_FLOAT64) {
    int64_t bits;
    memcpy(&bits, &v.f, sizeof bits);
    return bits;
  }
  return v.i;
}

int interp_truth(ival v) { return v.null ? TRUTH_UNKNOWN : v.i ? TRUTH_TRUE : TRUTH_FALSE; }

static ival field(interp *it, int f) {
  if (f == it->bind_field) return it->bind;
  const seg_field *fd = &it->prog->schema->fields[f];
  if (!it->t || (fd->nullable && rt_is_null(it->t, f, it->row))) return NULLV;
  ival v = {0};
  if (fd->type.kind == TY_FLOAT64) {
    v.f = rt_get_f64(it->t, f, it->row);
  } else {
    v.i = rt_get_i64(it->t, f, it->row);
    if (fd->type.kind == TY_STRING) {
      size_t len;
      v.s = rt_dict_str(it->t, (uint32_t)v.i, &len);
      v.len = (uint32_t)len;
    }
  }
  return v;
}

static ival literal(const ast *n) {
  if (n->kind == AST_LIT_NULL) return NULLV;
  if (n->type.kind == TY_FLOAT64) return (ival){.f = n->v.f};
  if (n->type.kind == TY_STRING) return (ival){.s = n->name, .len = n->len};
  return I(n->v.i);
}

/* <0, 0, >0 for decimals of scales sa < sb: b = q * 10^(sb-sa) + r exactly,
 * so a != q decides by itself and a == q leaves the sign of r */
static int compare_scaled(int64_t a, int sa, int64_t b, int sb) {
  int64_t p = ty_pow10(sb - sa), q = b / p, r = b % p;
  if (a != q) return (a > q) - (a < q);
  return (r < 0) - (r > 0);
}

/* <0, 0, >0 for two present values of types that met for a comparison */
static int compare(seg_type ta, seg_type tb, ival a, ival b) {
  seg_tykind k = ta.kind;
  if (k == TY_FLOAT64) return (a.f > b.f) - (a.f < b.f);
  if (k == TY_DECIMAL && ta.scale < tb.scale) return compare_scaled(a.i, ta.scale, b.i, tb.scale);
  if (k == TY_DECIMAL && ta.scale > tb.scale) return -compare_scaled(b.i, tb.scale, a.i, ta.scale);
  if (k == TY_STRING) {
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.s, b.s, n);
    if (c) return c;
    return (a.len > b.len) - (a.len < b.len);
  }
  return (a.i > b.i) - (a.i < b.i);
}

/* SQL's AND / OR truth tables over TRUTH_* values */
static ival and3(ival a, ival b) {
  if ((!a.null && !a.i) || (!b.null && !b.i)) return B(false);
  if (a.null || b.null) return NULLV;
  return B(true);
}

static ival or3(ival a, ival b) {
  if ((!a.null && a.i) || (!b.null && b.i)) return B(true);
  if (a.null || b.null) return NULLV;
  return B(false);
}

static ival arith(int kind, seg_type t, ival a, ival b) {
  if (a.null || b.null) return NULLV;
  int64_t r;
  if (t.kind == TY_FLOAT64) {
    switch (kind) {
    case AST_ADD: return F(a.f + b.f);
    case AST_SUB: return F(a.f - b.f);
    case AST_MUL: return F(a.f * b.f);
    case AST_DIV: return b.f == 0 ? NULLV : F(a.f / b.f);
    default: return b.f == 0 ? NULLV : F(fmod(a.f, b.f));
    }
  }
  switch (kind) {
  case AST_ADD: return __builtin_add_overflow(a.i, b.i, &r) ? NULLV : I(r);
  case AST_SUB: return __builtin_sub_overflow(a.i, b.i, &r) ? NULLV : I(r);
  case AST_MUL: return __builtin_mul_overflow(a.i, b.i, &r) ? NULLV : I(r);
  default: /* AST_MOD: the dividend's sign, as C's % */
    if (b.i == 0) return NULLV;
    if (b.i == -1) return I(0);
    return I(a.i % b.i);
  }
}

/* len bytes that live until the next interp_reset; NULL when out of memory */
static char *scratch(interp *it, size_t len) {
  if (len <= sizeof it->buf - it->bufused) {
    char *z = it->buf + it->bufused;
    it->bufused += len;
    return z;
  }
  if (it->nscratch == it->capscratch) {
    int cap = it->capscratch ? it->capscratch * 2 : 8;
    void **v = realloc(it->scratch, sizeof(void *) * (size_t)cap);
    if (!v) return NULL;
    it->scratch = v;
    it->capscratch = cap;
  }
  char *z = malloc(len);
  if (z) it->scratch[it->nscratch++] = z;
  return z;
}

static ival cast(const ast *n, ival v) {
  if (v.null) return v;
  seg_type from = n->a->type, to = n->type;
  int64_t r;
  switch (to.kind) {
  case TY_FLOAT64:
    if (from.kind == TY_DECIMAL) return F((double)v.i / (double)ty_pow10(from.scale));
    return F((double)v.i);
  case TY_DECIMAL: {
    int up = to.scale - (from.kind == TY_DECIMAL ? from.scale : 0);
    return __builtin_mul_overflow(v.i, ty_pow10(up), &r) ? NULLV : I(r);
  }
  case TY_TIMESTAMP:
    return __builtin_mul_overflow(v.i, CAL_USEC_PER_DAY, &r) ? NULLV : I(r);
  default:
    return v;
  }
}

/* round half away from zero to a multiple of d (d >= 1) */
static ival round_to(int64_t x, int64_t d) {
  if (d == 1) return I(x);
  int64_t q = x / d, r = x % d, out;
  if ((r < 0 ? -r : r) >= d - (r < 0 ? -r : r)) q += x < 0 ? -1 : 1;
  return __builtin_mul_overflow(q, d, &out) ? NULLV : I(out);
}

static int64_t days_of(seg_tykind k, int64_t v) { return k == TY_DATE ? v : cal_floordiv(v, CAL_USEC_PER_DAY); }

static ival builtin_call(interp *it, const ast *n) {
  ival a[2] = {{0}, {0}};
  for (int i = 0; i < n->nargs; i++) {
    a[i] = interp_eval(it, n->args[i]);
    if (a[i].null) return NULLV;
  }
  seg_type t0 = n->args[0]->type;
  bool fl = t0.kind == TY_FLOAT64;
  int scale = t0.kind == TY_DECIMAL ? t0.scale : 0;
  switch ((builtin_id)n->op) {
  case BI_ABS:
    if (fl) return F(fabs(a[0].f));
    return a[0].i == INT64_MIN ? NULLV : I(a[0].i < 0 ? -a[0].i : a[0].i);
  case BI_MIN:
  case BI_MAX: {
    int c = compare(t0, t0, a[0], a[1]);
    return (n->op == BI_MIN) == (c <= 0) ? a[0] : a[1];
  }
  case BI_ROUND: {
    int64_t digits = n->nargs == 2 ? (n->args[1]->kind == AST_NEG ? -n->args[1]->a->v.i : n->args[1]->v.i) : 0;
    if (fl) {
      if (digits > 300 || digits < -300) return digits > 0 ? a[0] : F(0.0 * a[0].f);
      double m = pow(10.0, (double)(digits < 0 ? -digits : digits));
      return F(digits >= 0 ? round(a[0].f * m) / m : round(a[0].f / m) * m);
    }
    int64_t drop = scale - digits;
    if (drop <= 0) return a[0];
    if (drop > 18) return I(0);
    return round_to(a[0].i, ty_pow10((int)drop));
  }
  case BI_FLOOR:
  case BI_CEIL: {
    if (fl) return F(n->op == BI_FLOOR ? floor(a[0].f) : ceil(a[0].f));
    int64_t d = ty_pow10(scale), q = cal_floordiv(a[0].i, d), r;
    if (n->op == BI_CEIL && q * d != a[0].i) q++;
    return __builtin_mul_overflow(q, d, &r) ? NULLV : I(r);
  }
  case BI_STARTS_WITH: return B(a[1].len <= a[0].len && memcmp(a[0].s, a[1].s, a[1].len) == 0);
  case BI_ENDS_WITH:
    return B(a[1].len <= a[0].len && memcmp(a[0].s + a[0].len - a[1].len, a[1].s, a[1].len) == 0);
  case BI_CONTAINS: return B(a[1].len == 0 || memmem(a[0].s, a[0].len, a[1].s, a[1].len) != NULL);
  case BI_MATCHES: {
    char *z = scratch(it, a[0].len + 1);
    if (!z) return NULLV;
    memcpy(z, a[0].s, a[0].len);
    z[a[0].len] = 0;
    return B(regexec(it->prog->regexes.items[n->index], z, 0, NULL, 0) == 0);
  }
  case BI_LOWER: {
    char *z = scratch(it, a[0].len + 1);
    if (!z) return NULLV;
    for (uint32_t i = 0; i < a[0].len; i++) {
      char ch = a[0].s[i];
      z[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    return (ival){.s = z, .len = a[0].len};
  }
  case BI_LENGTH: {
    int64_t count = 0;
    for (uint32_t i = 0; i < a[0].len; i++) count += ((unsigned char)a[0].s[i] & 0xC0) != 0x80;
    return I(count);
  }
  case BI_DAYS_SINCE: { /* floor((now - t) / 1 day) without computing now - t, which can overflow for a computed t */
    int64_t dn = cal_floordiv(it->now, CAL_USEC_PER_DAY);
    if (t0.kind == TY_DATE) return I(dn - a[0].i);
    int64_t dt = cal_floordiv(a[0].i, CAL_USEC_PER_DAY);
    return I(dn - dt - (cal_floormod(it->now, CAL_USEC_PER_DAY) < cal_floormod(a[0].i, CAL_USEC_PER_DAY)));
  }
  case BI_DATE: return I(days_of(t0.kind, a[0].i));
  case BI_YEAR:
  case BI_MONTH:
  case BI_DAY: {
    int64_t y;
    unsigned m, d;
    cal_civil_from_days(days_of(t0.kind, a[0].i), &y, &m, &d);
    return I(n->op == BI_YEAR ? y : n->op == BI_MONTH ? (int64_t)m : (int64_t)d);
  }
  case BI_WEEKDAY: return I(cal_weekday(days_of(t0.kind, a[0].i)));
  case BI_HOUR: return I(cal_floormod(a[0].i, CAL_USEC_PER_DAY) / (3600 * CAL_USEC_PER_SEC));
  case BI_AGE_YEARS:
    return I(cal_age_years(days_of(t0.kind, a[0].i), cal_floordiv(it->now, CAL_USEC_PER_DAY)));
  case BI__COUNT: break;
  }
  return NULLV;
}

static ival ev_field(interp *it, const ast *n) {
  uint64_t k = it->ev[n->scope];
  int s = n->op, f = n->index;
  if (!it->t || rt_ev_is_null(it->t, s, f, k)) return NULLV;
  ival v = {0};
  if (n->type.kind == TY_FLOAT64) {
    v.f = rt_ev_get_f64(it->t, s, f, k);
  } else {
    v.i = rt_ev_get_i64(it->t, s, f, k);
    if (n->type.kind == TY_STRING) {
      size_t len;
      v.s = rt_dict_str(it->t, (uint32_t)v.i, &len);
      v.len = (uint32_t)len;
    }
  }
  return v;
}

/* An aggregate over the current record's events: the selected events are
 * those whose `where` is TRUE; null values are skipped. */
static ival aggregate(interp *it, const ast *n) {
  uint64_t a = 0, b = 0;
  if (it->t && it->t->streams && it->row < it->t->nrecords) {
    const rt_stream *st = &it->t->streams[n->index];
    a = st->start[it->row], b = st->start[it->row + 1];
  }
  seg_type vt = n->a ? n->a->type : n->type;
  int64_t count = 0;
  __int128 isum = 0; /* exact: < 2^64 events of |value| < 2^63 */
  double fsum = 0;
  ival acc = NULLV;
  uint64_t saved = it->ev[n->scope]; /* a segment's aggregate may run inside another's loop */
  for (uint64_t k = a; k < b; k++) {
    it->ev[n->scope] = k;
    if (n->b && interp_truth(interp_eval(it, n->b)) != TRUTH_TRUE) continue;
    ival v = {0};
    if (n->a && (v = interp_eval(it, n->a)).null) continue;
    count++;
    switch ((agg_kind)n->op) {
    case AGG_SUM:
    case AGG_AVG:
      if (vt.kind == TY_FLOAT64) fsum += v.f;
      else isum += v.i;
      break;
    case AGG_MIN: if (acc.null || compare(vt, vt, v, acc) < 0) acc = v; break;
    case AGG_MAX: if (acc.null || compare(vt, vt, v, acc) > 0) acc = v; break;
    case AGG_FIRST: if (acc.null) acc = v; break;
    case AGG_LAST: acc = v; break;
    default: break;
    }
  }
  it->ev[n->scope] = saved;
  switch ((agg_kind)n->op) {
  case AGG_COUNT: return I(count);
  case AGG_EXISTS: return B(count > 0);
  case AGG_SUM:
    if (vt.kind == TY_FLOAT64) return F(fsum);
    return isum < INT64_MIN || isum > INT64_MAX ? NULLV : I((int64_t)isum);
  case AGG_AVG: {
    if (count == 0) return NULLV;
    if (vt.kind == TY_FLOAT64) return F(fsum / (double)count);
    /* the exact sum as a double: exact below 2^53, one rounding up to 2^63,
       and hi * 2^64 + lo beyond (as lower_agg.c computes it) */
    double d = isum >= INT64_MIN && isum <= INT64_MAX
                   ? (double)(int64_t)isum
                   : (double)(int64_t)(isum >> 64) * 0x1p64 + (double)(uint64_t)isum;
    return F((vt.kind == TY_DECIMAL ? d / (double)ty_pow10(vt.scale) : d) / (double)count);
  }
  default: return acc;
  }
}

/* x in [items]: true on a match, else unknown if x or an item is null, else false */
static ival in_list(interp *it, const ast *n) {
  ival x = interp_eval(it, n->a);
  if (x.null) return NULLV;
  bool saw_null = false;
  for (int i = 0; i < n->b->nargs; i++) {
    ival v = interp_eval(it, n->b->args[i]);
    if (v.null) saw_null = true;
    else if (compare(n->a->type, n->b->args[i]->type, x, v) == 0) return B(true);
  }
  return saw_null ? NULLV : B(false);
}

ival interp_eval(interp *it, const ast *n) {
  ival a, b;
  switch (n->kind) {
  case AST_LIT_NULL: case AST_LIT_BOOL: case AST_LIT_INT: case AST_LIT_DEC: case AST_LIT_STR:
  case AST_LIT_DATE: case AST_LIT_TS: case AST_LIT_DUR: case AST_ENUMLIT:
    return literal(n);
  case AST_NOW: return I(it->now);
  case AST_TODAY: return I(cal_floordiv(it->now, CAL_USEC_PER_DAY));
  case AST_FIELD: return field(it, n->index);
  case AST_CONSTREF: return it->consts[n->index];
  case AST_SEGREF: {
    const seg_segment *s = it->prog->segments.items[n->index];
    return B(interp_truth(interp_eval(it, s->rule)) == TRUTH_TRUE);
  }
  case AST_AND: return and3(interp_eval(it, n->a), interp_eval(it, n->b));
  case AST_OR: return or3(interp_eval(it, n->a), interp_eval(it, n->b));
  case AST_NOT:
    a = interp_eval(it, n->a);
    return a.null ? NULLV : B(!a.i);
  case AST_CMP:
    a = interp_eval(it, n->a);
    b = interp_eval(it, n->b);
    if (a.null || b.null) return NULLV;
    return B(cmp_holds(n->op, compare(n->a->type, n->b->type, a, b)));
  case AST_BETWEEN: {
    ival x = interp_eval(it, n->a), lo = interp_eval(it, n->b), hi = interp_eval(it, n->c);
    ival ge = (x.null || lo.null) ? NULLV : B(compare(n->a->type, n->b->type, x, lo) >= 0);
    ival le = (x.null || hi.null) ? NULLV : B(compare(n->a->type, n->c->type, x, hi) <= 0);
    return and3(ge, le);
  }
  case AST_IN: return in_list(it, n);
  case AST_NOT_IN:
    a = in_list(it, n);
    return a.null ? NULLV : B(!a.i);
  case AST_IS_NULL: return B(interp_eval(it, n->a).null);
  case AST_IS_NOT_NULL: return B(!interp_eval(it, n->a).null);
  case AST_COALESCE:
    a = interp_eval(it, n->a);
    return a.null ? interp_eval(it, n->b) : a;
  case AST_ADD: case AST_SUB: case AST_MUL: case AST_DIV: case AST_MOD: {
    int up_a, up_b;
    if (ast_scaled_div(n, &up_a, &up_b)) { /* as compiler/lower.c: in this order, so the roundings are the same */
      a = interp_eval(it, n->a->a);
      b = interp_eval(it, n->b->a);
      if (a.null || b.null || b.i == 0) return NULLV;
      return F((double)a.i * (double)ty_pow10(up_a) / ((double)b.i * (double)ty_pow10(up_b)));
    }
    seg_type t = n->kind == AST_DIV ? n->type : n->a->type;
    if (n->kind != AST_DIV && n->type.kind == TY_FLOAT64) t = n->type;
    return arith(n->kind, t, interp_eval(it, n->a), interp_eval(it, n->b));
  }
  case AST_NEG:
    a = interp_eval(it, n->a);
    if (a.null) return a;
    if (n->type.kind == TY_FLOAT64) return F(-a.f);
    return a.i == INT64_MIN ? NULLV : I(-a.i);
  case AST_CAST: return cast(n, interp_eval(it, n->a));
  case AST_AGG: return aggregate(it, n);
  case AST_EVFIELD: return ev_field(it, n);
  case AST_HAS:
  case AST_HAS_ANY:
    a = interp_eval(it, n->a);
    return a.null ? NULLV : B((a.i & n->v.i) != 0);
  case AST_HAS_ALL:
    a = interp_eval(it, n->a);
    return a.null ? NULLV : B((a.i & n->v.i) == n->v.i);
  case AST_IS_EMPTY:
    a = interp_eval(it, n->a);
    return a.null ? NULLV : B(a.i == 0);
  case AST_CALL: return builtin_call(it, n);
  case AST_NAME: case AST_MEMBER: case AST_LIST: case AST_RECORD: case AST_FIELDVAL: case AST__COUNT:
    break;
  }
  return NULLV;
}

bool interp_consts(const seg_program *prog, int64_t now, ival *out, char *err, size_t errlen) {
  interp it;
  interp_init(&it, prog, NULL, now, out);
  bool ok = true;
  for (int i = 0; i < prog->consts.n && ok; i++) {
    const seg_const *k = prog->consts.items[i];
    out[i] = interp_eval(&it, k->value);
    if (out[i].null) {
      snprintf(err, errlen, "const %s evaluates to null (an overflow or a division by zero)", k->name);
      ok = false;
    } else if (k->type.kind == TY_STRING) {
      out[i].s = arena_strndup(prog->a, out[i].s, out[i].len); /* outlives the scratch */
    }
  }
  interp_reset(&it);
  return ok;
}
