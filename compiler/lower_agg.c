/* compiler/lower_agg.c — stream aggregates to loops over a customer's events.
 *
 * The pack function first runs an "aggregates" loop over the block's
 * records: for each stream, one pass over the record's event range
 * [start[row], start[row+1]) updates every top-level aggregate over that
 * stream at once (shared pass), and the results go to the scratch space
 * after the outputs (int64 slot + null byte per record).  The main loops
 * then read them like fields, and stay straight-line vector code.  An
 * aggregate nested in another's `where` runs its own inner loop at that
 * point.  Aggregates that read strings are left to the interpreter (lower.c's
 * slow path).
 *
 * Each accumulator lives in an alloca of the entry block (promoted to
 * registers by the optimiser) and is updated without branches: an event is
 * taken when its `where` is TRUE and its value is not null. */
#include <stdlib.h>

#include "lower_internal.h"

static LLVMValueRef stream_member_here(lower *L, int stream, int member, LLVMTypeRef t) {
  LLVMValueRef streams = LLVMBuildLoad2(L->B, ptr_to(L, L->stream_t),
                                        LLVMBuildStructGEP2(L->B, L->ctx_t, L->ctx, CTX_STREAMS, ""), "");
  LLVMValueRef st = LLVMBuildGEP2(L->B, L->stream_t, streams, (LLVMValueRef[]){s64(L, stream)}, 1, "");
  return LLVMBuildLoad2(L->B, t, LLVMBuildStructGEP2(L->B, L->stream_t, st, (unsigned)member, ""), "");
}

/* a member of ctx->streams[stream], loaded in the entry block */
static LLVMValueRef stream_member(lower *L, int stream, int member, LLVMTypeRef t) {
  LLVMBasicBlockRef was = lower_at_entry(L);
  LLVMValueRef v = stream_member_here(L, stream, member, t);
  lower_resume(L, was);
  return v;
}

/* the address of column f's array (vals or nulls) of a stream, as elem*,
 * loaded in the entry block */
static LLVMValueRef stream_column(lower *L, int stream, int member, int f, LLVMTypeRef elem) {
  LLVMTypeRef p8 = ptr_to(L, L->i8);
  LLVMBasicBlockRef was = lower_at_entry(L);
  LLVMValueRef cols = stream_member_here(L, stream, member, ptr_to(L, p8));
  LLVMValueRef col = LLVMBuildLoad2(L->B, p8, LLVMBuildGEP2(L->B, p8, cols, (LLVMValueRef[]){s64(L, f)}, 1, ""), "");
  col = compat_ptr_cast(L->B, col, elem);
  lower_resume(L, was);
  return col;
}

lv lower_evfield(lower *L, const ast *n) {
  const seg_field *fd = &L->pk->prog->schema->streams[n->op].fields[n->index];
  LLVMValueRef k = L->ev[n->scope];
  lv r = {0};
  LLVMTypeRef elem;
  switch (ty_storage_width(fd->type.kind)) {
  case 1: elem = L->i8; break;
  case 4: elem = L->i32; break;
  default: elem = fd->type.kind == TY_FLOAT64 ? L->f64 : L->i64; break;
  }
  LLVMValueRef v = LLVMBuildLoad2(L->B, elem, LLVMBuildGEP2(L->B, elem, stream_column(L, n->op, STREAM_VALS, n->index, elem), &k, 1, ""), "");
  switch (fd->type.kind) {
  case TY_BOOL: r.v = LLVMBuildICmp(L->B, LLVMIntNE, v, LLVMConstInt(L->i8, 0, 0), ""); break;
  case TY_ENUM:
  case TY_STRING: r.v = LLVMBuildZExt(L->B, v, L->i64, ""); break;
  case TY_INT32:
  case TY_DATE: r.v = LLVMBuildSExt(L->B, v, L->i64, ""); break;
  default: r.v = v; break;
  }
  if (fd->nullable) {
    LLVMValueRef nb = stream_column(L, n->op, STREAM_NULLS, n->index, L->i8);
    r.null = LLVMBuildICmp(L->B, LLVMIntNE, LLVMBuildLoad2(L->B, L->i8, LLVMBuildGEP2(L->B, L->i8, nb, &k, 1, ""), ""),
                           LLVMConstInt(L->i8, 0, 0), "");
  }
  return r;
}

/* ---- planning ---- */

static void plan_walk(lower *L, ast *n) {
  if (!n) return;
  if (n->kind == AST_AGG) {
    if (lower_has_string(n)) return; /* the interpreter's */
    for (int i = 0; i < L->naggs; i++)
      if (L->aggs[i] == n) return;
    L->aggs = realloc(L->aggs, sizeof(ast *) * (size_t)(L->naggs + 1));
    L->aggs[L->naggs++] = n;
    return;
  }
  plan_walk(L, n->a);
  plan_walk(L, n->b);
  plan_walk(L, n->c);
  for (int i = 0; i < n->nargs; i++) plan_walk(L, n->args[i]);
}

void lower_agg_plan(lower *L) {
  const seg_program *prog = L->pk->prog;
  for (int i = 0; i < prog->segments.n; i++) plan_walk(L, ((seg_segment *)prog->segments.items[i])->rule);
  for (int k = 0; k < L->pk->noutputs; k++)
    if (!L->pk->outputs[k].is_segment) plan_walk(L, L->pk->outputs[k].expr);
}

/* ---- one pass over a record's events ---- */

static LLVMTypeRef value_type(lower *L, seg_type t) {
  return t.kind == TY_FLOAT64 ? L->f64 : t.kind == TY_BOOL ? L->i1 : L->i64;
}

static LLVMValueRef entry_alloca(lower *L, LLVMTypeRef t, LLVMValueRef init) {
  LLVMBuilderRef eb = LLVMCreateBuilderInContext(L->C);
  LLVMPositionBuilder(eb, L->entry, LLVMGetFirstInstruction(L->entry));
  LLVMValueRef slot = LLVMBuildAlloca(eb, t, "acc");
  LLVMDisposeBuilder(eb);
  LLVMBuildStore(L->B, init, slot); /* at the loop's start: reset per record */
  return slot;
}

typedef struct acc {
  LLVMValueRef count, value; /* allocas: i64, the accumulator's type */
  LLVMTypeRef vt;
} acc;

static bool has_agg(const ast *n) {
  if (!n) return false;
  if (n->kind == AST_AGG) return true;
  if (has_agg(n->a) || has_agg(n->b) || has_agg(n->c)) return true;
  for (int i = 0; i < n->nargs; i++)
    if (has_agg(n->args[i])) return true;
  return false;
}

/* The conjuncts of an `and` chain, into out[] (at most max). */
static int conjuncts(ast *n, ast **out, int k, int max) {
  if (n->kind == AST_AND && k + 2 <= max) return conjuncts(n->b, out, conjuncts(n->a, out, k, max - 1), max);
  out[k] = n;
  return k + 1;
}

static LLVMValueRef is_true(lower *L, ast *n) {
  lv w = lower_node(L, n);
  return w.null ? LLVMBuildAnd(L->B, w.v, LLVMBuildNot(L->B, w.null, ""), "") : w.v;
}

/* Whether an event is taken: its `where` is TRUE.  Conjuncts with a nested
 * aggregate (an inner loop over the events) are evaluated only when the
 * others are TRUE: `e.name == cart_add and not exists(p in events ...)`
 * runs the inner loop for cart_add events alone. */
static LLVMValueRef taken(lower *L, ast *where) {
  enum { MAXC = 32 };
  ast *c[MAXC];
  int nc = conjuncts(where, c, 0, MAXC), ncheap = 0;
  for (int i = 0; i < nc; i++) ncheap += !has_agg(c[i]);
  if (ncheap == 0 || ncheap == nc) return is_true(L, where);
  LLVMValueRef pre = cbool(L, true);
  for (int i = 0; i < nc; i++)
    if (!has_agg(c[i])) pre = LLVMBuildAnd(L->B, pre, is_true(L, c[i]), "");
  LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(L->B));
  LLVMBasicBlockRef from = LLVMGetInsertBlock(L->B);
  LLVMBasicBlockRef costly = LLVMAppendBasicBlockInContext(L->C, fn, "where_rest");
  LLVMBasicBlockRef merge = LLVMAppendBasicBlockInContext(L->C, fn, "where_done");
  LLVMBuildCondBr(L->B, pre, costly, merge);
  LLVMPositionBuilderAtEnd(L->B, costly);
  LLVMValueRef rest = cbool(L, true);
  for (int i = 0; i < nc; i++)
    if (has_agg(c[i])) rest = LLVMBuildAnd(L->B, rest, is_true(L, c[i]), "");
  LLVMBasicBlockRef costly_end = LLVMGetInsertBlock(L->B);
  LLVMBuildBr(L->B, merge);
  LLVMPositionBuilderAtEnd(L->B, merge);
  LLVMValueRef phi = LLVMBuildPhi(L->B, L->i1, "taken");
  LLVMValueRef no = cbool(L, false);
  LLVMAddIncoming(phi, &no, &from, 1);
  LLVMAddIncoming(phi, &rest, &costly_end, 1);
  return phi;
}

static void update(lower *L, const ast *n, acc *a) {
  LLVMValueRef take = n->b ? taken(L, n->b) : cbool(L, true);
  lv v = {0};
  if (n->a) {
    v = lower_node(L, n->a);
    if (v.null) take = LLVMBuildAnd(L->B, take, LLVMBuildNot(L->B, v.null, ""), "");
  }
  LLVMValueRef count = LLVMBuildLoad2(L->B, L->i64, a->count, "");
  LLVMValueRef first = LLVMBuildICmp(L->B, LLVMIntEQ, count, c64(L, 0), "");
  LLVMValueRef cur = n->a ? LLVMBuildLoad2(L->B, a->vt, a->value, "") : NULL, next = cur;
  seg_type vt = n->a ? n->a->type : n->type;
  switch ((agg_kind)n->op) {
  case AGG_SUM:
  case AGG_AVG:
    if (vt.kind == TY_FLOAT64) next = LLVMBuildSelect(L->B, take, LLVMBuildFAdd(L->B, cur, v.v, ""), cur, "");
    else next = LLVMBuildSelect(L->B, take, LLVMBuildAdd(L->B, cur, LLVMBuildSExt(L->B, v.v, L->i128, ""), ""), cur, "");
    break;
  case AGG_MIN:
  case AGG_MAX: {
    LLVMValueRef better = lower_compare(L, n->op == AGG_MIN ? CMP_LT : CMP_GT, vt, vt, v.v, cur);
    next = LLVMBuildSelect(L->B, LLVMBuildAnd(L->B, take, LLVMBuildOr(L->B, first, better, ""), ""), v.v, cur, "");
    break;
  }
  case AGG_FIRST: next = LLVMBuildSelect(L->B, LLVMBuildAnd(L->B, take, first, ""), v.v, cur, ""); break;
  case AGG_LAST: next = LLVMBuildSelect(L->B, take, v.v, cur, ""); break;
  default: break;
  }
  if (next) LLVMBuildStore(L->B, next, a->value);
  LLVMBuildStore(L->B, LLVMBuildAdd(L->B, count, LLVMBuildZExt(L->B, take, L->i64, ""), ""), a->count);
}

static lv result(lower *L, const ast *n, const acc *a) {
  LLVMValueRef count = LLVMBuildLoad2(L->B, L->i64, a->count, "");
  LLVMValueRef none = LLVMBuildICmp(L->B, LLVMIntEQ, count, c64(L, 0), "");
  LLVMValueRef v = n->a ? LLVMBuildLoad2(L->B, a->vt, a->value, "") : NULL;
  seg_type vt = n->a ? n->a->type : n->type;
  lv r = {0};
  switch ((agg_kind)n->op) {
  case AGG_COUNT: r.v = count; break;
  case AGG_EXISTS: r.v = LLVMBuildNot(L->B, none, ""); break;
  case AGG_SUM:
    if (vt.kind == TY_FLOAT64) return lower_float_result(L, v, NULL);
    r.v = LLVMBuildTrunc(L->B, v, L->i64, "");
    r.null = LLVMBuildICmp(L->B, LLVMIntNE, LLVMBuildSExt(L->B, r.v, L->i128, ""), v, "");
    break;
  case AGG_AVG: {
    LLVMValueRef sum = v;
    if (vt.kind != TY_FLOAT64) {
      /* the exact sum as a double, as interp.c computes it */
      LLVMValueRef lo = LLVMBuildTrunc(L->B, v, L->i64, "");
      LLVMValueRef fits = LLVMBuildICmp(L->B, LLVMIntEQ, LLVMBuildSExt(L->B, lo, L->i128, ""), v, "");
      LLVMValueRef hi = LLVMBuildTrunc(L->B, LLVMBuildAShr(L->B, v, LLVMConstInt(L->i128, 64, 0), ""), L->i64, "");
      LLVMValueRef wide = LLVMBuildFAdd(L->B, LLVMBuildFMul(L->B, LLVMBuildSIToFP(L->B, hi, L->f64, ""), LLVMConstReal(L->f64, 0x1p64), ""),
                                        LLVMBuildUIToFP(L->B, lo, L->f64, ""), "");
      sum = LLVMBuildSelect(L->B, fits, LLVMBuildSIToFP(L->B, lo, L->f64, ""), wide, "");
      if (vt.kind == TY_DECIMAL) {
        int64_t p = 1;
        for (int i = 0; i < vt.scale; i++) p *= 10;
        sum = LLVMBuildFDiv(L->B, sum, LLVMConstReal(L->f64, (double)p), "");
      }
    }
    LLVMValueRef nullv = none;
    /* count 0 divides by 1 instead; the result is null then anyway */
    LLVMValueRef d = LLVMBuildSIToFP(L->B, LLVMBuildSelect(L->B, none, c64(L, 1), count, ""), L->f64, "");
    return lower_float_result(L, LLVMBuildFDiv(L->B, sum, d, ""), nullv);
  }
  default:
    r.v = v;
    r.null = none;
    break;
  }
  return r;
}

/* One loop over the current record's events of `stream` updating every
 * aggregate in aggs (all over that stream, at nesting depth `depth`). */
static void event_loop(lower *L, ast **aggs, int naggs, int stream, int depth, lv *out) {
  LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(L->B));
  LLVMValueRef row = LLVMBuildAdd(L->B, LLVMBuildLoad2(L->B, L->i64, LLVMBuildStructGEP2(L->B, L->ctx_t, L->ctx, CTX_FIRST_ROW, ""), ""), L->i, "");
  LLVMValueRef start = stream_member(L, stream, STREAM_START, ptr_to(L, L->i64));
  LLVMValueRef a = LLVMBuildLoad2(L->B, L->i64, LLVMBuildGEP2(L->B, L->i64, start, &row, 1, ""), "");
  LLVMValueRef row1 = LLVMBuildAdd(L->B, row, c64(L, 1), "");
  LLVMValueRef b = LLVMBuildLoad2(L->B, L->i64, LLVMBuildGEP2(L->B, L->i64, start, &row1, 1, ""), "");
  acc *accs = calloc((size_t)naggs, sizeof *accs);
  for (int j = 0; j < naggs; j++) {
    const ast *n = aggs[j];
    accs[j].count = entry_alloca(L, L->i64, c64(L, 0));
    if (n->a) {
      bool wide = (n->op == AGG_SUM || n->op == AGG_AVG) && n->a->type.kind != TY_FLOAT64;
      accs[j].vt = wide ? L->i128 : value_type(L, n->a->type); /* sums are exact in 128 bits */
      accs[j].value = entry_alloca(L, accs[j].vt, LLVMConstNull(accs[j].vt));
    }
  }
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(L->B);
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(L->C, fn, "events");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(L->C, fn, "events_done");
  LLVMBuildCondBr(L->B, LLVMBuildICmp(L->B, LLVMIntULT, a, b, ""), body, done);
  LLVMPositionBuilderAtEnd(L->B, body);
  LLVMValueRef k = LLVMBuildPhi(L->B, L->i64, "k");
  LLVMValueRef saved = L->ev[depth];
  L->ev[depth] = k;
  L->in_loop++;
  for (int j = 0; j < naggs; j++) update(L, aggs[j], &accs[j]);
  L->in_loop--;
  L->ev[depth] = saved;
  LLVMValueRef k1 = LLVMBuildAdd(L->B, k, c64(L, 1), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(L->B);
  LLVMBuildCondBr(L->B, LLVMBuildICmp(L->B, LLVMIntULT, k1, b, ""), body, done);
  LLVMAddIncoming(k, &a, &pre, 1);
  LLVMAddIncoming(k, &k1, &latch, 1);
  LLVMPositionBuilderAtEnd(L->B, done);
  for (int j = 0; j < naggs; j++) out[j] = result(L, aggs[j], &accs[j]);
  free(accs);
}

/* ---- the aggregates loop and the main loop's view of it ---- */

void lower_agg_phase(lower *L) {
  if (!L->naggs) return;
  lower_loop loop = lower_loop_begin(L, L->n); /* the real records only: padding has no events */
  ast **group = malloc(sizeof(ast *) * (size_t)L->naggs);
  lv *res = malloc(sizeof(lv) * (size_t)L->naggs);
  for (int s = 0; s < L->pk->prog->schema->nstreams; s++) {
    int ng = 0;
    for (int j = 0; j < L->naggs; j++)
      if (L->aggs[j]->index == s) group[ng++] = L->aggs[j];
    if (!ng) continue;
    event_loop(L, group, ng, s, 0, res);
    for (int g = 0; g < ng; g++) {
      int slot = 0;
      while (L->aggs[slot] != group[g]) slot++;
      lower_scratch_store(L, slot, res[g], group[g]->type);
    }
  }
  free(group);
  free(res);
  lower_loop_end(L, loop);
}

lv lower_agg(lower *L, ast *n) {
  if (!L->in_loop)
    for (int j = 0; j < L->naggs; j++)
      if (L->aggs[j] == n) return lower_scratch_load(L, j, n->type, n->nullable);
  lv r;
  event_loop(L, &n, 1, n->index, n->scope, &r);
  return r;
}
