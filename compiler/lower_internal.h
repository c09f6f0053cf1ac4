/* compiler/lower_internal.h — what the lowering's files share: lower.c
 * (records, operators, the pack function) and lower_agg.c (stream
 * aggregates). */
#ifndef SEGC_LOWER_INTERNAL_H
#define SEGC_LOWER_INTERNAL_H

#include "llvm_compat.h"
#include "lower.h"

/* outputs per main loop, and per compilation unit (see lower_pack); 16 per
 * loop measured 4% faster than 32 on the bench's attribute pack at 10M
 * (fewer values live at once, fewer spills), 8 no faster than 16 */
#define LOWER_CHUNK 16
#define LOWER_UNIT 128

/* pack_ctx and rt_stream, field by field (their layout is asserted in lower.c) */
enum { CTX_NOW, CTX_CONSTS, CTX_LIFT_VALS, CTX_LIFT_NULLS, CTX_NDICT, CTX_SLOW_USER, CTX_SLOW_EVAL, CTX_FIRST_ROW, CTX_STREAMS,
       CTX_STR_CODES, CTX_LIFT_ROWS, CTX_AHEAD, CTX_BAD_VALUES, CTX_PREFIX_CODES };
enum { STREAM_NEVENTS, STREAM_START, STREAM_VALS, STREAM_NULLS };

typedef struct lv {
  LLVMValueRef v, null;
} lv;

/* Values are lanes: a main loop computes L->vf records at a time, in vector
 * IR of that width (lower_pack), the aggregates loop one.  i1..f64 are the
 * scalar types (addresses, the ctx, lift tables); v1..vf64 the types of
 * values, vectors of vf lanes in a main loop. */
typedef struct lower {
  seg_pack *pk;
  LLVMContextRef C;
  LLVMModuleRef M;
  LLVMBuilderRef B;
  LLVMTypeRef i1, i8, i32, i64, i128, f64, ctx_t, slow_t, stream_t;
  LLVMTypeRef v1, v8, v32, v64, vf64;
  int vf; /* lanes of the current unit's values */
  LLVMValueRef fn, block, ctx, out, stride, i, n; /* n: the block's records (the rest is padding) */
  LLVMBasicBlockRef entry, done;
  lv *seg_cache;
  bool *seg_done;
  lv *field_cache;                /* fields read in the current main loop (one basic block) */
  int *field_loop;                /* [field]: the loop field_cache holds it for */
  int *range_loop;                /* [field]: the main loop that checks its range (lower_ratio.c) */
  LLVMValueRef *range_bad;        /* [field]: that check's verdict, stored as the loop ends */
  int loop_id;                    /* lower_loop_begin's count */
  lv *invariant;                  /* [nnodes] values of record-free expressions, in the entry block */
  int *invariant_unit;            /* [nnodes] the unit `invariant` holds them for */
  int unit_id;                    /* unit_begin's count */
  bool hoisting;                  /* lowering into the entry block */
  int stored_segments;            /* segments [0, this) are already in `out` (earlier loops) */
  ast_map lift_shapes;            /* pk->lifts by shape */
  /* stream aggregates (lower_agg.c) */
  LLVMValueRef ev[AGG_MAX_DEPTH]; /* the current event of each enclosing aggregate loop */
  int in_loop;                    /* > 0 inside an event loop: segment values are not cached */
  ast **aggs;                     /* the top-level aggregates computed before the main loop */
  int naggs;
  /* shared expressions (lower_shared.c) */
  ast **shared;                   /* one per shape, computed in scratch slots naggs.. */
  int nshared;
  int *shared_slot;               /* [nnodes] scratch slot + 1 of a node that reads its shared value */
  bool *shared_null;              /* [nshared] whether the value can be null (overflow can make it so
                                     where the checker's `nullable` says no) */
  bool shared_ready;              /* the shared loop was emitted: later loops read it */
  /* prefetching the next block (lower_prefetch_ahead) */
  uint32_t *ahead;                /* offsets of the lines to prefetch in a block */
  int64_t ahead_lines;
  int ahead_loops;                /* the pack's loops over whole blocks (shared and main) */
  int ahead_loop;                 /* the current one's number among them */
} lower;

/* the scalar constant c in n lanes (n = 1: c itself; n <= 16) */
static inline LLVMValueRef splat_const(LLVMValueRef c, unsigned n) {
  if (n == 1) return c;
  LLVMValueRef lanes[16];
  for (unsigned k = 0; k < n; k++) lanes[k] = c;
  return LLVMConstVector(lanes, n);
}
/* integer constant v of type t (an integer type or a vector of one) */
static inline LLVMValueRef cint(LLVMTypeRef t, int64_t v) {
  bool vec = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
  LLVMValueRef c = LLVMConstInt(vec ? LLVMGetElementType(t) : t, (unsigned long long)v, v < 0);
  return splat_const(c, vec ? LLVMGetVectorSize(t) : 1);
}
static inline LLVMValueRef cf64(lower *L, double v) { return splat_const(LLVMConstReal(L->f64, v), (unsigned)L->vf); }
static inline LLVMValueRef c64(lower *L, int64_t v) { return cint(L->v64, v); }
static inline LLVMValueRef cbool(lower *L, bool v) { return cint(L->v1, v); }
/* a scalar int64 (addresses, indexes) */
static inline LLVMValueRef s64(lower *L, int64_t v) { return LLVMConstInt(L->i64, (unsigned long long)v, 1); }

/* null OR null, where NULL means never null */
static inline LLVMValueRef or_null(lower *L, LLVMValueRef a, LLVMValueRef b) {
  if (!a) return b;
  if (!b) return a;
  return LLVMBuildOr(L->B, a, b, "");
}

static inline LLVMValueRef null_of(lower *L, LLVMValueRef n) { return n ? n : cbool(L, false); }

/* Moves the builder to the end of the entry block (before its branch), for
 * values that hold for the whole call: loads, and expressions that read no
 * record.  Returns where the builder was, for lower_resume: the end of a
 * block, or the entry block's (before its branch), so the pair nests. */
static inline LLVMBasicBlockRef lower_at_entry(lower *L) {
  LLVMBasicBlockRef was = LLVMGetInsertBlock(L->B);
  LLVMValueRef term = LLVMGetBasicBlockTerminator(L->entry);
  if (term) LLVMPositionBuilderBefore(L->B, term);
  else LLVMPositionBuilderAtEnd(L->B, L->entry);
  return was;
}
static inline void lower_resume(lower *L, LLVMBasicBlockRef was) {
  LLVMValueRef term = was == L->entry ? LLVMGetBasicBlockTerminator(L->entry) : NULL;
  if (term) LLVMPositionBuilderBefore(L->B, term);
  else LLVMPositionBuilderAtEnd(L->B, was);
}

/* a field of the ctx argument, loaded once in the entry block */
static inline LLVMValueRef load_ctx(lower *L, int field, LLVMTypeRef t) {
  LLVMBasicBlockRef was = lower_at_entry(L);
  LLVMValueRef p = LLVMBuildStructGEP2(L->B, L->ctx_t, L->ctx, (unsigned)field, "");
  LLVMValueRef v = LLVMBuildLoad2(L->B, t, p, "");
  lower_resume(L, was);
  return v;
}

static inline LLVMTypeRef ptr_to(lower *L, LLVMTypeRef elem) { return compat_ptr_type(L->C, elem); }

/* lower.c */
lv lower_node(lower *L, ast *n);
lv lower_from_slot(lower *L, LLVMValueRef raw, seg_type t);
LLVMValueRef lower_compare(lower *L, int op, seg_type ta, seg_type tb, LLVMValueRef a, LLVMValueRef b);
/* a float result: null when not finite (or when `null`) */
lv lower_float_result(lower *L, LLVMValueRef v, LLVMValueRef null);
bool lower_has_string(const ast *n);
/* n is days_since(t) <op> k (or k <op> days_since(t)) with t a time in the
 * stored range and k an integer literal or const: lowered as a comparison
 * of t with a threshold (lower.c).  Sets *t, *k and *op (as if
 * days_since(t) came first). */
bool lower_days_compare(const ast *n, const ast **t, const ast **k, int *op);
/* A comparison of integers' or decimals' quotient with a number, decided
 * without dividing when the operands are bounded (lower_ratio.c); false
 * (nothing emitted) otherwise. */
bool lower_ratio_compare(lower *L, const ast *n, lv *r);
/* The range checks of the main loop ending, to pack_ctx.bad_values */
void lower_range_flush(lower *L);

/* A loop over a block's records, vf at a time: i = 0, vf, 2 vf, .. < bound
 * (bound >= 1, a multiple of vf).  Begin leaves the builder in its body
 * with L->i the first record of the iteration; end closes it and leaves the
 * builder after it. */
typedef struct lower_loop {
  LLVMBasicBlockRef before, body;
  LLVMValueRef bound;
} lower_loop;
lower_loop lower_loop_begin(lower *L, LLVMValueRef bound);
void lower_loop_end(lower *L, lower_loop loop);
/* In the body of a loop over the whole block: prefetches this loop's share
 * of the lines the pack reads of the block at pack_ctx.ahead, a few per
 * iteration. */
void lower_prefetch_ahead(lower *L);

/* Scratch slot `slot` (pack_out_bytes) for the current record: v of type t
 * stored as int64 plus a null byte; read back (its null byte only when
 * `nullable`). */
void lower_scratch_store(lower *L, int slot, lv v, seg_type t);
lv lower_scratch_load(lower *L, int slot, seg_type t, bool nullable);

/* lower_shared.c */
/* Finds the calls on fields that the outputs of several main loops share. */
void lower_shared_plan(lower *L);
/* Emits the loop that computes them, before the main loops. */
void lower_shared_loop(lower *L);
/* n's shared value, when it has one and the shared loop ran. */
bool lower_shared_value(lower *L, const ast *n, lv *out);

/* ctx->field[index] of an int64 array, in every lane (loaded and splat once, in the entry block) */
LLVMValueRef lower_entry_element(lower *L, int field, int64_t index);
/* the same for a bound of string codes (below 2^32), in 32-bit lanes */
LLVMValueRef lower_entry_code(lower *L, int field, int64_t index);

/* lower_prefix.c */
/* n's value as ranges of dictionary codes, in a main loop, when it is a
 * prefix test of a string field (starts_with, or matches of a pattern whose
 * matches are the strings with one of a few prefixes). */
bool lower_prefix_value(lower *L, ast *n, lv *out);

/* lower_agg.c */
/* Collects the pack's top-level aggregates that compile to loops (those
 * reading no strings) into L->aggs. */
void lower_agg_plan(lower *L);
/* Emits, at the builder's position, the loop over the block's records that
 * computes L->aggs into the scratch area after the outputs. */
void lower_agg_phase(lower *L);
/* An aggregate: its precomputed slot in the main loop, its own event loop
 * when nested. */
lv lower_agg(lower *L, ast *n);
lv lower_evfield(lower *L, const ast *n);

#endif
