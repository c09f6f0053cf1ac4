/* compiler/lower.c — checked rules to LLVM IR.
 *
 * A pack is a few compilation units (lower_pack), each one function
 *   void pack_unit_<i>(const u8 *block, i64 n, const pack_ctx *ctx, u8 *out, i64 stride)
 * run in order on each block: the aggregates loop when the pack has
 * aggregates (lower_agg.c), then the main loops, LOWER_UNIT outputs per unit
 * and LOWER_CHUNK per loop; the first main unit starts with the loop of the
 * shared expressions (lower_shared.c).  A main loop computes its outputs for
 * each record in one pass and stores one byte per output
 * (OUT_FALSE/TRUE/UNKNOWN) at out[k * stride + i].  The aggregates loop
 * covers the n real records; the main loops cover all RT_BLOCK (a constant
 * trip count: no remainder loops), so the records past a partial block's
 * end must hold valid values: zeros as written, else exec.c runs a copy
 * padded with its first record (rt_block_padded).  The main
 * loops are emitted as vector code, vf records per iteration (the host's
 * int64 lanes, pack.c): every value is a vector, a field one vector load,
 * a lift table one load per lane, a "slow" expression one call per lane.
 * Their bodies are one basic block with the stores last.
 *
 * Values are pairs (value, is-null); a null part of NULL means "never null".
 * Bools are i1, every integer-like kind i64, float64 double.  Fields are read
 * at constant offsets of the block layout.  Each segment's membership is
 * computed once per record and reused by references; identical pure
 * expressions are merged by LLVM's early CSE inside a loop, and by
 * lower_shared.c across loops.
 *
 * Strings never reach the IR as bytes: a maximal expression that reads at
 * most one string field (`city == "Paris"`, `starts_with(lower(city), "new")`)
 * becomes a table lookup by dictionary code, the table being filled once per
 * run by the interpreter ("lift"; equal expressions share one table);
 * comparisons between string fields compare dictionary codes (the dictionary
 * is sorted); anything else calls back into the interpreter ("slow"). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"
#include "stdlib/builtins.h"
#include "stdlib/calendar.h"

_Static_assert(offsetof(pack_ctx, str_codes) == 72 && offsetof(pack_ctx, lift_rows) == 80 && offsetof(pack_ctx, ahead) == 88 &&
                   offsetof(pack_ctx, bad_values) == 96 && offsetof(pack_ctx, prefix_codes) == 104 && sizeof(pack_ctx) == 112,
               "pack_ctx layout is mirrored in lower.c");

/* address block + off + i * width, as a pointer to elem */
static LLVMValueRef column_addr(lower *L, uint32_t off, LLVMTypeRef elem) {
  LLVMValueRef base = LLVMBuildGEP2(L->B, L->i8, L->block, (LLVMValueRef[]){s64(L, off)}, 1, "");
  base = compat_ptr_cast(L->B, base, elem);
  return LLVMBuildGEP2(L->B, elem, base, &L->i, 1, "");
}

/* the vf values of scalar type elem from p on (one vector load) */
static LLVMValueRef load_lanes(lower *L, LLVMTypeRef elem, LLVMValueRef p) {
  if (L->vf == 1) return LLVMBuildLoad2(L->B, elem, p, "");
  LLVMTypeRef vt = LLVMVectorType(elem, (unsigned)L->vf);
  LLVMValueRef v = LLVMBuildLoad2(L->B, vt, compat_ptr_cast(L->B, p, vt), "");
  LLVMSetAlignment(v, 1);
  return v;
}

static void store_lanes(lower *L, LLVMValueRef v, LLVMValueRef p) {
  LLVMValueRef st = LLVMBuildStore(L->B, v, compat_ptr_cast(L->B, p, LLVMTypeOf(v)));
  if (L->vf > 1) LLVMSetAlignment(st, 1);
}

/* ---- output bitmaps (pack_out_true) ---- */

/* The byte of output k's bitmap (unknown: of its UNKNOWN bitmap) that holds the current record */
static LLVMValueRef out_bits_at(lower *L, int k, bool unknown) {
  int64_t map = unknown ? L->pk->noutputs + k : k;
  LLVMValueRef idx = LLVMBuildAdd(L->B, s64(L, map * (RT_BLOCK / 8)), LLVMBuildLShr(L->B, L->i, s64(L, 3), ""), "");
  return LLVMBuildGEP2(L->B, L->i8, L->out, &idx, 1, "");
}

/* i % 8, the current record's bit in its byte (fewer than 8 lanes) */
static LLVMValueRef bit_in_byte(lower *L) { return LLVMBuildTrunc(L->B, LLVMBuildAnd(L->B, L->i, s64(L, 7), ""), L->i8, ""); }

/* the bits of records [i, i + vf) at byte p: a vf-bit integer, from bit 0
 * of p when vf >= 8 (i is a multiple of vf), else from bit i % 8 */
static void store_bits(lower *L, LLVMValueRef v, LLVMValueRef p) {
  LLVMTypeRef word = LLVMIntTypeInContext(L->C, (unsigned)L->vf);
  LLVMValueRef bits = L->vf > 1 ? LLVMBuildBitCast(L->B, v, word, "") : v;
  if (L->vf >= 8) {
    store_lanes(L, bits, p);
    return;
  }
  /* fewer than 8 lanes: or'ed into the byte, which the byte's first lanes overwrite */
  LLVMValueRef at = bit_in_byte(L), old = LLVMBuildLoad2(L->B, L->i8, p, "");
  old = LLVMBuildSelect(L->B, LLVMBuildICmp(L->B, LLVMIntEQ, at, LLVMConstInt(L->i8, 0, 0), ""), LLVMConstInt(L->i8, 0, 0), old, "");
  LLVMBuildStore(L->B, LLVMBuildOr(L->B, old, LLVMBuildShl(L->B, LLVMBuildZExt(L->B, bits, L->i8, ""), at, ""), ""), p);
}

static LLVMValueRef load_bits(lower *L, LLVMValueRef p) {
  LLVMTypeRef word = LLVMIntTypeInContext(L->C, (unsigned)L->vf);
  LLVMValueRef bits;
  if (L->vf >= 8) {
    bits = LLVMBuildLoad2(L->B, word, compat_ptr_cast(L->B, p, word), "");
    LLVMSetAlignment(bits, 1);
  } else {
    bits = LLVMBuildTrunc(L->B, LLVMBuildLShr(L->B, LLVMBuildLoad2(L->B, L->i8, p, ""), bit_in_byte(L), ""), word, "");
  }
  return L->vf > 1 ? LLVMBuildBitCast(L->B, bits, L->v1, "") : bits;
}

/* base[idx] for each lane of idx (int64): llvm.masked.gather, one gather
 * instruction where the CPU has them and one load per lane elsewhere.  A
 * byte table is read 4 bytes at a time (lifts.c pads it by 3). */
static LLVMValueRef gather(lower *L, LLVMTypeRef elem, LLVMValueRef base, LLVMValueRef idx) {
  if (L->vf == 1) return LLVMBuildLoad2(L->B, elem, LLVMBuildGEP2(L->B, elem, base, &idx, 1, ""), "");
  bool byte = elem == L->i8;
  LLVMTypeRef word = byte ? L->i32 : elem;
  LLVMValueRef ptrs = LLVMBuildGEP2(L->B, elem, base, &idx, 1, "");
  LLVMTypeRef vw = LLVMVectorType(word, (unsigned)L->vf), vp = LLVMVectorType(ptr_to(L, word), (unsigned)L->vf);
  if (byte) ptrs = LLVMBuildBitCast(L->B, ptrs, vp, "");
  LLVMValueRef args[] = {ptrs, LLVMConstInt(L->i32, byte ? 1 : 8, 0), cbool(L, true), LLVMGetUndef(vw)};
  LLVMTypeRef ty[] = {vw, vp};
  LLVMValueRef g = LLVMBuildCall2(L->B, compat_intrinsic_type(L->C, "llvm.masked.gather", ty, 2),
                                  compat_intrinsic(L->M, "llvm.masked.gather", ty, 2), args, 4, "");
  return byte ? LLVMBuildTrunc(L->B, g, L->v8, "") : g;
}

/* v, a value of the entry block, in every lane (splat there once) */
static LLVMValueRef entry_lanes(lower *L, LLVMValueRef v) {
  if (L->vf == 1) return v;
  LLVMBasicBlockRef was = lower_at_entry(L);
  LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(v), (unsigned)L->vf);
  LLVMValueRef one = LLVMBuildInsertElement(L->B, LLVMGetUndef(vt), v, LLVMConstInt(L->i32, 0, 0), "");
  v = LLVMBuildShuffleVector(L->B, one, LLVMGetUndef(vt), LLVMConstNull(LLVMVectorType(L->i32, (unsigned)L->vf)), "");
  lower_resume(L, was);
  return v;
}

/* ctx->field[index], an array of t, loaded once in the entry block */
static LLVMValueRef ctx_element(lower *L, int field, LLVMTypeRef t, int64_t index) {
  LLVMValueRef base = load_ctx(L, field, ptr_to(L, t));
  LLVMBasicBlockRef was = lower_at_entry(L);
  LLVMValueRef v = LLVMBuildLoad2(L->B, t, LLVMBuildGEP2(L->B, t, base, (LLVMValueRef[]){s64(L, index)}, 1, ""), "");
  lower_resume(L, was);
  return v;
}

LLVMValueRef lower_entry_element(lower *L, int field, int64_t index) { return entry_lanes(L, ctx_element(L, field, L->i64, index)); }

LLVMValueRef lower_entry_code(lower *L, int field, int64_t index) {
  LLVMValueRef v = ctx_element(L, field, L->i64, index);
  LLVMBasicBlockRef was = lower_at_entry(L);
  v = LLVMBuildTrunc(L->B, v, L->i32, "");
  lower_resume(L, was);
  return entry_lanes(L, v);
}

/* ---- leaves -------------------------------------------------------------- */

/* Field f of the current records; read once per main loop (its body is one
 * basic block, so the first read dominates the others). */
static lv lower_field(lower *L, int f) {
  if (L->vf > 1 && L->field_loop[f] == L->loop_id) return L->field_cache[f];
  const seg_field *fd = &L->pk->prog->schema->fields[f];
  const rt_layout *ly = &L->pk->layout;
  lv r = {0};
  switch (fd->type.kind) {
  case TY_BOOL:
    r.v = LLVMBuildICmp(L->B, LLVMIntNE, load_lanes(L, L->i8, column_addr(L, ly->val_off[f], L->i8)), cint(L->v8, 0), "");
    break;
  case TY_ENUM: r.v = LLVMBuildZExt(L->B, load_lanes(L, L->i8, column_addr(L, ly->val_off[f], L->i8)), L->v64, ""); break;
  case TY_STRING: r.v = LLVMBuildZExt(L->B, load_lanes(L, L->i32, column_addr(L, ly->val_off[f], L->i32)), L->v64, ""); break;
  case TY_INT32:
  case TY_DATE: r.v = LLVMBuildSExt(L->B, load_lanes(L, L->i32, column_addr(L, ly->val_off[f], L->i32)), L->v64, ""); break;
  case TY_FLOAT64: r.v = load_lanes(L, L->f64, column_addr(L, ly->val_off[f], L->f64)); break;
  default: r.v = load_lanes(L, L->i64, column_addr(L, ly->val_off[f], L->i64)); break;
  }
  if (fd->nullable)
    r.null = LLVMBuildICmp(L->B, LLVMIntNE, load_lanes(L, L->i8, column_addr(L, ly->null_off[f], L->i8)), cint(L->v8, 0), "");
  if (L->vf > 1) L->field_cache[f] = r, L->field_loop[f] = L->loop_id;
  return r;
}

static lv lower_literal(lower *L, const ast *n) {
  lv r = {0};
  if (n->kind == AST_LIT_NULL) {
    r.null = cbool(L, true);
    r.v = n->type.kind == TY_FLOAT64 ? cf64(L, 0) : n->type.kind == TY_BOOL ? cbool(L, false) : c64(L, 0);
  } else if (n->type.kind == TY_FLOAT64) {
    r.v = cf64(L, n->v.f);
  } else if (n->type.kind == TY_BOOL) {
    r.v = cbool(L, n->v.i != 0);
  } else {
    r.v = c64(L, n->v.i);
  }
  return r;
}

lv lower_from_slot(lower *L, LLVMValueRef raw, seg_type t) {
  lv r = {0};
  if (t.kind == TY_FLOAT64) r.v = LLVMBuildBitCast(L->B, raw, L->vf64, "");
  else if (t.kind == TY_BOOL) r.v = LLVMBuildICmp(L->B, LLVMIntNE, raw, c64(L, 0), "");
  else r.v = raw;
  return r;
}

static lv lower_const(lower *L, const ast *n) {
  return lower_from_slot(L, entry_lanes(L, ctx_element(L, CTX_CONSTS, L->i64, n->index)), n->type);
}

/* floor(x / d) for a constant d > 0, in the width of x */
static LLVMValueRef floordiv(lower *L, LLVMValueRef x, int64_t d) {
  LLVMTypeRef t = LLVMTypeOf(x);
  LLVMValueRef cd = cint(t, d);
  LLVMValueRef q = LLVMBuildSDiv(L->B, x, cd, "");
  LLVMValueRef r = LLVMBuildSRem(L->B, x, cd, "");
  LLVMValueRef adj = LLVMBuildICmp(L->B, LLVMIntSLT, r, cint(t, 0), "");
  return LLVMBuildSub(L->B, q, LLVMBuildZExt(L->B, adj, t, ""), "");
}

static LLVMValueRef floormod(lower *L, LLVMValueRef x, int64_t d) {
  LLVMTypeRef t = LLVMTypeOf(x);
  return LLVMBuildSub(L->B, x, LLVMBuildMul(L->B, floordiv(L, x, d), cint(t, d), ""), "");
}

static LLVMValueRef call1(lower *L, const char *intrinsic, LLVMValueRef x);

/* floor(x / 1 day) for microseconds, without a 64-bit division (which no
 * vector unit has) or a double one (slow, one divider per core): 1 day =
 * 2^11 * d us with d = 42187500; the shift floors exactly, and y = x >> 11,
 * |y| < 2^52, is exact in double.  floor(y * fl(1/d)) is floor(y / d):
 * fl(1/d) = (1/d)(1 + e) with e = -0.74 * 2^-54, so for t = y / d
 * (|t| < 2^27) the product is t(1 + e) before rounding.  An integer t = k
 * is off by |k e| < half an ulp of k, and rounds back to k; otherwise t is
 * at least 1/d = 2.4e-8 from both neighbouring integers, the error |t e| is
 * below 5.6e-9, and rounding adds at most half an ulp (< 7.5e-9): the
 * product stays strictly between them. */
static LLVMValueRef floordiv_day(lower *L, LLVMValueRef x) {
  LLVMValueRef y = LLVMBuildSIToFP(L->B, LLVMBuildAShr(L->B, x, c64(L, 11), ""), L->vf64, "");
  LLVMValueRef q = call1(L, "llvm.floor", LLVMBuildFMul(L->B, y, cf64(L, 1.0 / 42187500.0), ""));
  return LLVMBuildFPToSI(L->B, q, L->v64, "");
}

/* x - days * 1 day: the time of day of x when days = floordiv_day(x) */
static LLVMValueRef time_of_day(lower *L, LLVMValueRef x, LLVMValueRef days) {
  return LLVMBuildSub(L->B, x, LLVMBuildMul(L->B, days, c64(L, CAL_USEC_PER_DAY), ""), "");
}

/* ---- strings: lifts and slow calls -------------------------------------- */

bool lower_has_string(const ast *n) {
  if (!n) return false;
  if (n->type.kind == TY_STRING) return true;
  if (lower_has_string(n->a) || lower_has_string(n->b) || lower_has_string(n->c)) return true;
  for (int i = 0; i < n->nargs; i++)
    if (lower_has_string(n->args[i])) return true;
  return false;
}

/* True when n reads no record data but string field *field (or none). */
static bool liftable(const seg_program *prog, const ast *n, int *field) {
  if (!n) return true;
  if (n->kind == AST_SEGREF || n->kind == AST_AGG || n->kind == AST_EVFIELD) return false;
  if (n->kind == AST_FIELD) {
    if (prog->schema->fields[n->index].type.kind != TY_STRING) return false;
    if (*field >= 0 && *field != n->index) return false;
    *field = n->index;
    return true;
  }
  if (!liftable(prog, n->a, field) || !liftable(prog, n->b, field) || !liftable(prog, n->c, field)) return false;
  for (int i = 0; i < n->nargs; i++)
    if (!liftable(prog, n->args[i], field)) return false;
  return true;
}

/* A string expression whose value is a dictionary code. */
static bool codeable(const ast *n) {
  if (n->kind == AST_FIELD) return true;
  if (n->kind == AST_COALESCE) return codeable(n->a) && codeable(n->b);
  return false;
}

/* A comparison of codeable strings and literals, at least one not a literal:
 * `city == "Paris"`, `city in ["Paris", "Lyon"]`, `a < b`. */
static bool code_comparison(const ast *n) {
  if (n->kind != AST_CMP && n->kind != AST_BETWEEN && n->kind != AST_IN && n->kind != AST_NOT_IN) return false;
  if (n->a->type.kind != TY_STRING || !codeable(n->a)) return false; /* the tested value: a field's code */
  const ast *const *items = n->kind == AST_IN || n->kind == AST_NOT_IN ? (const ast *const *)n->b->args : (const ast *const[]){n->b, n->c};
  int count = n->kind == AST_IN || n->kind == AST_NOT_IN ? n->b->nargs : n->c ? 2 : 1;
  for (int i = 0; i < count; i++)
    if (!codeable(items[i]) && items[i]->kind != AST_LIT_STR) return false;
  return true;
}

/* `email is null`: the null byte answers it, no table needed */
static bool code_null_test(const ast *n) { return (n->kind == AST_IS_NULL || n->kind == AST_IS_NOT_NULL) && codeable(n->a); }

/* The code bound that `code <op> literal` means (code_compare), in 32-bit
 * lanes, worked out in the entry block from the literal's place p among
 * the dictionary's codes, as exec.c fills ctx str_codes: 2 * its code when
 * the dictionary has it, else 2 * the code of the first string above it
 * - 1.  For == and != the code p / 2 when p is even, else none (2^32 - 1 is
 * never a code); for < and >= the code (p + 1) / 2; for <= and > the code
 * (p + 2) / 2, as < and >=. */
static LLVMValueRef literal_bound(lower *L, ast *lit, int op) {
  seg_pack *pk = L->pk;
  int k = pk->nstrlits++;
  pk->strlits = realloc(pk->strlits, sizeof(ast *) * (size_t)pk->nstrlits);
  pk->strlits[k] = lit;
  LLVMValueRef p = ctx_element(L, CTX_STR_CODES, L->i64, k), bound;
  LLVMBasicBlockRef was = lower_at_entry(L);
  if (op == CMP_EQ || op == CMP_NE)
    bound = LLVMBuildSelect(L->B, LLVMBuildTrunc(L->B, p, L->i1, ""), s64(L, UINT32_MAX), LLVMBuildAShr(L->B, p, s64(L, 1), ""), "");
  else
    bound = LLVMBuildAShr(L->B, LLVMBuildAdd(L->B, p, s64(L, op == CMP_LT || op == CMP_GE ? 1 : 2), ""), s64(L, 1), "");
  bound = LLVMBuildTrunc(L->B, bound, L->i32, "");
  lower_resume(L, was);
  return entry_lanes(L, bound);
}

/* code <op> b, for a string's code (zero-extended) and b codeable or a
 * literal (literal_bound); *b_null: where b is null.  The compare is of
 * 32-bit codes: eight in 256 bits rather than 512, which Zen 4 runs in two
 * passes. */
static LLVMValueRef code_compare(lower *L, int op, LLVMValueRef code, ast *b, LLVMValueRef *b_null) {
  static const LLVMIntPredicate by_code[] = {LLVMIntEQ, LLVMIntNE, LLVMIntULT, LLVMIntULE, LLVMIntUGT, LLVMIntUGE};
  static const LLVMIntPredicate by_bound[] = {LLVMIntEQ, LLVMIntNE, LLVMIntULT, LLVMIntULT, LLVMIntUGE, LLVMIntUGE};
  LLVMValueRef code32 = LLVMBuildTrunc(L->B, code, L->v32, "");
  if (b->kind == AST_LIT_STR) {
    *b_null = NULL;
    return LLVMBuildICmp(L->B, by_bound[op], code32, literal_bound(L, b, op), "");
  }
  lv y = lower_node(L, b);
  *b_null = y.null;
  return LLVMBuildICmp(L->B, by_code[op], code32, LLVMBuildTrunc(L->B, y.v, L->v32, ""), "");
}


/* The lift table of n over field: an existing one when an equal expression
 * was lifted before (a pack's copies of `ends_with(lower(email), ...)` share
 * one table, computed once per run), else a new one.  Equal shapes read
 * the same field. */
static int lift_index(lower *L, ast *n, int field) {
  seg_pack *pk = L->pk;
  int k = ast_map_get_or_put(&L->lift_shapes, n, pk->nlifts);
  if (k >= 0 && k < pk->nlifts) return k;
  k = pk->nlifts++;
  pk->lifts = realloc(pk->lifts, sizeof(pack_lift) * (size_t)pk->nlifts);
  pk->lifts[k] = (pack_lift){.node = n, .field = field};
  pack_lift_place(pk->lifts, k);
  return k;
}

static lv lower_lift(lower *L, ast *n, int field) {
  int k = lift_index(L, n, field);
  const pack_lift *l = &L->pk->lifts[k];
  LLVMValueRef table = ctx_element(L, CTX_LIFT_VALS, ptr_to(L, L->i8), l->table);
  lv r = {0};
  if (n->type.kind == TY_BOOL) { /* its 2 bits of a shared byte table; the loads of one table are one after CSE */
    LLVMValueRef t;
    if (field >= 0) { /* the table's bytes for the block's records, gathered before the block (pack_ctx.lift_rows) */
      LLVMValueRef rows = ctx_element(L, CTX_LIFT_ROWS, ptr_to(L, L->i8), l->table);
      t = load_lanes(L, L->i8, LLVMBuildGEP2(L->B, L->i8, rows, &L->i, 1, ""));
    } else {
      t = gather(L, L->i8, table, c64(L, 0));
    }
    t = LLVMBuildAnd(L->B, LLVMBuildLShr(L->B, t, cint(L->v8, l->shift), ""), cint(L->v8, 3), "");
    r.v = LLVMBuildICmp(L->B, LLVMIntEQ, t, cint(L->v8, OUT_TRUE), "");
    if (n->nullable) r.null = LLVMBuildICmp(L->B, LLVMIntEQ, t, cint(L->v8, OUT_UNKNOWN), "");
    return r;
  }
  LLVMValueRef idx = c64(L, 0);
  if (field >= 0) {
    lv s = lower_field(L, field);
    idx = s.null ? LLVMBuildSelect(L->B, s.null, entry_lanes(L, load_ctx(L, CTX_NDICT, L->i64)), s.v, "") : s.v;
  }
  r = lower_from_slot(L, gather(L, L->i64, compat_ptr_cast(L->B, table, L->i64), idx), n->type);
  if (n->nullable) {
    LLVMValueRef nt = ctx_element(L, CTX_LIFT_NULLS, ptr_to(L, L->i8), k);
    r.null = LLVMBuildICmp(L->B, LLVMIntNE, gather(L, L->i8, nt, idx), cint(L->v8, 0), "");
  }
  return r;
}

static lv lower_slow(lower *L, ast *n) {
  seg_pack *pk = L->pk;
  int k = pk->nslow++;
  pk->slow = realloc(pk->slow, sizeof(ast *) * (size_t)pk->nslow);
  pk->slow[k] = n;
  LLVMBuilderRef eb = LLVMCreateBuilderInContext(L->C); /* allocas belong in the entry block */
  LLVMPositionBuilder(eb, L->entry, LLVMGetFirstInstruction(L->entry));
  LLVMValueRef slot = LLVMBuildAlloca(eb, L->i8, "isnull");
  LLVMDisposeBuilder(eb);
  LLVMValueRef fn = load_ctx(L, CTX_SLOW_EVAL, ptr_to(L, L->slow_t));
  LLVMValueRef user = load_ctx(L, CTX_SLOW_USER, ptr_to(L, L->i8)), first = load_ctx(L, CTX_FIRST_ROW, L->i64);
  /* the main loops run over the whole block; a padding record asks for the
     block's last real record instead of reading past the table */
  LLVMValueRef last = LLVMBuildSub(L->B, L->n, s64(L, 1), "");
  LLVMValueRef raw = NULL, null = NULL;
  for (int lane = 0; lane < L->vf; lane++) { /* one call per record */
    LLVMValueRef rec = LLVMBuildAdd(L->B, L->i, s64(L, lane), "");
    LLVMValueRef i = LLVMBuildSelect(L->B, LLVMBuildICmp(L->B, LLVMIntSLT, rec, L->n, ""), rec, last, "");
    LLVMValueRef args[] = {user, s64(L, k), LLVMBuildAdd(L->B, first, i, ""), slot};
    LLVMValueRef v = LLVMBuildCall2(L->B, L->slow_t, fn, args, 4, "");
    LLVMValueRef isnull = LLVMBuildICmp(L->B, LLVMIntNE, LLVMBuildLoad2(L->B, L->i8, slot, ""), LLVMConstInt(L->i8, 0, 0), "");
    if (L->vf == 1) {
      raw = v, null = isnull;
      break;
    }
    LLVMValueRef at = LLVMConstInt(L->i32, (unsigned long long)lane, 0);
    raw = LLVMBuildInsertElement(L->B, raw ? raw : LLVMGetUndef(L->v64), v, at, "");
    null = LLVMBuildInsertElement(L->B, null ? null : LLVMGetUndef(L->v1), isnull, at, "");
  }
  lv r = lower_from_slot(L, raw, n->type);
  r.null = null;
  return r;
}

/* ---- operators ----------------------------------------------------------- */

LLVMValueRef lower_compare(lower *L, int op, seg_type ta, seg_type tb, LLVMValueRef a, LLVMValueRef b) {
  seg_tykind k = ta.kind;
  if (k == TY_DECIMAL && ta.scale != tb.scale) {
    /* exact across scales (interp.c): raise the coarser side; where that
       overflows, it is beyond every value of the finer side */
    if (ta.scale > tb.scale) {
      return lower_compare(L, cmp_mirror(op), tb, ta, b, a);
    }
    int64_t m = ty_pow10(tb.scale - ta.scale);
    LLVMValueRef hi = LLVMBuildICmp(L->B, LLVMIntSGT, a, c64(L, INT64_MAX / m), "");
    LLVMValueRef lo = LLVMBuildICmp(L->B, LLVMIntSLT, a, c64(L, INT64_MIN / m), "");
    LLVMValueRef up = lower_compare(L, op, tb, tb, LLVMBuildMul(L->B, a, c64(L, m), ""), b);
    bool when_greater = op == CMP_NE || op == CMP_GT || op == CMP_GE;
    bool when_less = op == CMP_NE || op == CMP_LT || op == CMP_LE;
    return LLVMBuildSelect(L->B, hi, cbool(L, when_greater), LLVMBuildSelect(L->B, lo, cbool(L, when_less), up, ""), "");
  }
  if (k == TY_FLOAT64) {
    static const LLVMRealPredicate fp[] = {LLVMRealOEQ, LLVMRealONE, LLVMRealOLT, LLVMRealOLE, LLVMRealOGT, LLVMRealOGE};
    return LLVMBuildFCmp(L->B, fp[op], a, b, "");
  }
  static const LLVMIntPredicate ip[] = {LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntSLE, LLVMIntSGT, LLVMIntSGE};
  return LLVMBuildICmp(L->B, ip[op], a, b, "");
}

/* Three-valued AND and OR.  A value's v is undefined where it is null, so
 * the cases with a side that is never null, or both null together, need
 * fewer operations than the general one. */
static lv and3(lower *L, lv a, lv b) {
  lv r;
  r.v = LLVMBuildAnd(L->B, a.v, b.v, "");
  if (a.null == b.null) { /* both never null, or null together */
    r.null = a.null;
    return r;
  }
  if (!a.null || !b.null) { /* unknown where the nullable side is, unless the other is false */
    r.null = a.null ? LLVMBuildAnd(L->B, a.null, b.v, "") : LLVMBuildAnd(L->B, b.null, a.v, "");
    return r;
  }
  /* unknown unless one side is a known false */
  LLVMValueRef a_false = LLVMBuildAnd(L->B, LLVMBuildNot(L->B, null_of(L, a.null), ""), LLVMBuildNot(L->B, a.v, ""), "");
  LLVMValueRef b_false = LLVMBuildAnd(L->B, LLVMBuildNot(L->B, null_of(L, b.null), ""), LLVMBuildNot(L->B, b.v, ""), "");
  LLVMValueRef any_false = LLVMBuildOr(L->B, a_false, b_false, "");
  r.null = LLVMBuildAnd(L->B, or_null(L, a.null, b.null), LLVMBuildNot(L->B, any_false, ""), "");
  r.v = LLVMBuildAnd(L->B, r.v, LLVMBuildNot(L->B, any_false, ""), "");
  return r;
}

static lv or3(lower *L, lv a, lv b) {
  lv r;
  if (a.null == b.null || !a.null || !b.null) {
    r.v = LLVMBuildOr(L->B, a.v, b.v, "");
    if (a.null == b.null) r.null = a.null;
    else /* unknown where the nullable side is, unless the other is true */
      r.null = LLVMBuildAnd(L->B, a.null ? a.null : b.null, LLVMBuildNot(L->B, a.null ? b.v : a.v, ""), "");
    return r;
  }
  LLVMValueRef a_true = LLVMBuildAnd(L->B, LLVMBuildNot(L->B, null_of(L, a.null), ""), a.v, "");
  LLVMValueRef b_true = LLVMBuildAnd(L->B, LLVMBuildNot(L->B, null_of(L, b.null), ""), b.v, "");
  r.v = LLVMBuildOr(L->B, a_true, b_true, "");
  r.null = LLVMBuildAnd(L->B, or_null(L, a.null, b.null), LLVMBuildNot(L->B, r.v, ""), "");
  return r;
}

static LLVMValueRef is_finite(lower *L, LLVMValueRef x) {
  return LLVMBuildFCmp(L->B, LLVMRealOLT, call1(L, "llvm.fabs", x), cf64(L, INFINITY), "");
}

lv lower_float_result(lower *L, LLVMValueRef v, LLVMValueRef null) {
  lv r = {v, or_null(L, null, LLVMBuildNot(L->B, is_finite(L, v), ""))};
  return r;
}

static LLVMValueRef call1(lower *L, const char *intrinsic, LLVMValueRef x) {
  LLVMTypeRef t = LLVMTypeOf(x);
  return LLVMBuildCall2(L->B, compat_intrinsic_type(L->C, intrinsic, &t, 1), compat_intrinsic(L->M, intrinsic, &t, 1), &x, 1, "");
}

/* Whether v is a constant integer, the same in every lane; *c its value. */
static bool splat_value(LLVMValueRef v, int64_t *c) {
  if (LLVMIsAConstantInt(v)) {
    *c = LLVMConstIntGetSExtValue(v);
    return true;
  }
  if (LLVMIsAConstantAggregateZero(v)) {
    *c = 0;
    return true;
  }
  if (!LLVMIsAConstantDataVector(v)) return false;
  LLVMValueRef e0 = compat_const_element(v, 0);
  for (unsigned k = 1; k < LLVMGetVectorSize(LLVMTypeOf(v)); k++)
    if (compat_const_element(v, k) != e0) return false;
  *c = LLVMConstIntGetSExtValue(e0);
  return true;
}

/* a * b with a flag for int64 overflow.  No 128-bit product and no
 * overflow intrinsic (neither vectorises): against a constant, two range
 * compares; otherwise the wrapped product divided back. */
static LLVMValueRef mul_ovf(lower *L, LLVMValueRef a, LLVMValueRef b, LLVMValueRef *ovf) {
  int64_t c;
  if (splat_value(a, &c)) {
    LLVMValueRef t = a;
    a = b, b = t;
  }
  LLVMValueRef r = LLVMBuildMul(L->B, a, b, "");
  if (splat_value(b, &c)) {
    if (c == 0 || c == 1) *ovf = cbool(L, false);
    else if (c == -1) *ovf = LLVMBuildICmp(L->B, LLVMIntEQ, a, c64(L, INT64_MIN), "");
    else {
      int64_t hi = c > 0 ? INT64_MAX / c : INT64_MIN / c, lo = c > 0 ? INT64_MIN / c : INT64_MAX / c;
      *ovf = LLVMBuildOr(L->B, LLVMBuildICmp(L->B, LLVMIntSGT, a, c64(L, hi), ""),
                         LLVMBuildICmp(L->B, LLVMIntSLT, a, c64(L, lo), ""), "");
    }
    return r;
  }
  /* overflow iff b != 0 and r / b != a, or a == INT64_MIN and b == -1 (the division itself would trap) */
  LLVMValueRef bz = LLVMBuildICmp(L->B, LLVMIntEQ, b, c64(L, 0), "");
  LLVMValueRef bm1 = LLVMBuildICmp(L->B, LLVMIntEQ, b, c64(L, -1), "");
  LLVMValueRef safe = LLVMBuildSelect(L->B, LLVMBuildOr(L->B, bz, bm1, ""), c64(L, 1), b, "");
  LLVMValueRef back = LLVMBuildICmp(L->B, LLVMIntNE, LLVMBuildSDiv(L->B, r, safe, ""), a, "");
  LLVMValueRef min_m1 = LLVMBuildAnd(L->B, bm1, LLVMBuildICmp(L->B, LLVMIntEQ, a, c64(L, INT64_MIN), ""), "");
  *ovf = LLVMBuildOr(L->B, LLVMBuildAnd(L->B, LLVMBuildNot(L->B, LLVMBuildOr(L->B, bz, bm1, ""), ""), back, ""), min_m1, "");
  return r;
}

/* a / b of integers or decimals (ast_scaled_div): A * 10^up_a / (B * 10^up_b) */
static lv lower_scaled_div(lower *L, ast *n, int up_a, int up_b) {
  lv a = lower_node(L, n->a->a), b = lower_node(L, n->b->a);
  LLVMValueRef x = LLVMBuildSIToFP(L->B, a.v, L->vf64, ""), y = LLVMBuildSIToFP(L->B, b.v, L->vf64, "");
  if (up_a) x = LLVMBuildFMul(L->B, x, cf64(L, (double)ty_pow10(up_a)), "");
  if (up_b) y = LLVMBuildFMul(L->B, y, cf64(L, (double)ty_pow10(up_b)), "");
  LLVMValueRef zero = LLVMBuildICmp(L->B, LLVMIntEQ, b.v, c64(L, 0), "");
  LLVMValueRef safe = LLVMBuildSelect(L->B, zero, cf64(L, 1), y, "");
  return lower_float_result(L, LLVMBuildFDiv(L->B, x, safe, ""), or_null(L, or_null(L, a.null, b.null), zero));
}

static lv lower_arith(lower *L, ast *n) {
  int up_a, up_b;
  if (ast_scaled_div(n, &up_a, &up_b)) return lower_scaled_div(L, n, up_a, up_b);
  lv a = lower_node(L, n->a), b = lower_node(L, n->b), r;
  LLVMValueRef null = or_null(L, a.null, b.null), ovf;
  if (n->type.kind == TY_FLOAT64) {
    switch (n->kind) {
    case AST_ADD: return lower_float_result(L, LLVMBuildFAdd(L->B, a.v, b.v, ""), null);
    case AST_SUB: return lower_float_result(L, LLVMBuildFSub(L->B, a.v, b.v, ""), null);
    case AST_MUL: return lower_float_result(L, LLVMBuildFMul(L->B, a.v, b.v, ""), null);
    default: {
      LLVMValueRef zero = LLVMBuildFCmp(L->B, LLVMRealOEQ, b.v, cf64(L, 0), "");
      LLVMValueRef safe = LLVMBuildSelect(L->B, zero, cf64(L, 1), b.v, "");
      LLVMValueRef v = n->kind == AST_DIV ? LLVMBuildFDiv(L->B, a.v, safe, "") : LLVMBuildFRem(L->B, a.v, safe, "");
      return lower_float_result(L, v, or_null(L, null, zero));
    }
    }
  }
  switch (n->kind) {
  case AST_ADD:
    r.v = LLVMBuildAdd(L->B, a.v, b.v, "");
    ovf = LLVMBuildAnd(L->B, LLVMBuildXor(L->B, a.v, r.v, ""), LLVMBuildXor(L->B, b.v, r.v, ""), "");
    ovf = LLVMBuildICmp(L->B, LLVMIntSLT, ovf, c64(L, 0), "");
    break;
  case AST_SUB:
    r.v = LLVMBuildSub(L->B, a.v, b.v, "");
    ovf = LLVMBuildAnd(L->B, LLVMBuildXor(L->B, a.v, b.v, ""), LLVMBuildXor(L->B, a.v, r.v, ""), "");
    ovf = LLVMBuildICmp(L->B, LLVMIntSLT, ovf, c64(L, 0), "");
    break;
  case AST_MUL:
    r.v = mul_ovf(L, a.v, b.v, &ovf);
    break;
  default: { /* AST_MOD: the dividend's sign; x % 0 is null, x % -1 is 0 */
    LLVMValueRef zero = LLVMBuildICmp(L->B, LLVMIntEQ, b.v, c64(L, 0), "");
    LLVMValueRef minus1 = LLVMBuildICmp(L->B, LLVMIntEQ, b.v, c64(L, -1), "");
    LLVMValueRef safe = LLVMBuildSelect(L->B, LLVMBuildOr(L->B, zero, minus1, ""), c64(L, 1), b.v, "");
    int64_t c;
    if (LLVMIsASExtInst(a.v) && LLVMTypeOf(LLVMGetOperand(a.v, 0)) == L->v32 && splat_value(b.v, &c) && c > 1 && c <= INT32_MAX)
      /* a 32-bit value (a date part) by a constant: in 32 bits, where it vectorises (no 64-bit vector division) */
      r.v = LLVMBuildSExt(L->B, LLVMBuildSRem(L->B, LLVMGetOperand(a.v, 0), cint(L->v32, c), ""), L->v64, "");
    else
      r.v = LLVMBuildSelect(L->B, minus1, c64(L, 0), LLVMBuildSRem(L->B, a.v, safe, ""), "");
    ovf = zero;
  }
  }
  r.null = or_null(L, null, ovf);
  return r;
}

/* n is a date or time within the range segd.c checks stored ones for: a
 * stored value, a literal, now or today (the parser's range), where no
 * day arithmetic overflows */
static bool in_time_range(const ast *n) {
  return n->kind == AST_FIELD || n->kind == AST_EVFIELD || n->kind == AST_LIT_DATE || n->kind == AST_LIT_TS ||
         n->kind == AST_NOW || n->kind == AST_TODAY;
}

bool lower_days_compare(const ast *n, const ast **t, const ast **k, int *op) {
  if (n->kind != AST_CMP) return false;
  bool left = n->a->kind == AST_CALL && n->a->op == BI_DAYS_SINCE;
  const ast *call = left ? n->a : n->b, *other = left ? n->b : n->a;
  if (call->kind != AST_CALL || call->op != BI_DAYS_SINCE || call->args[0]->type.kind != TY_TIMESTAMP ||
      !in_time_range(call->args[0]) || other->type.kind != TY_INT64 ||
      (other->kind != AST_LIT_INT && other->kind != AST_CONSTREF))
    return false;
  *t = call->args[0], *k = other, *op = left ? n->op : cmp_mirror(n->op);
  return true;
}

/* days_since(t) <op> k without dividing by a day (lower_days_compare):
 *   days_since(t) >= k  <=>  now - t >= k days  <=>  t <= now - k days,
 * and > k is >= k + 1.  The thresholds are worked out once, in the entry
 * block, with k clamped to +-10^7 days: more than the 3.65M days from
 * 0001-01-01 to 9999-12-31, so no stored time's answer changes, and the
 * thresholds stay far from overflowing. */
static bool lower_days_threshold(lower *L, const ast *n, lv *r) {
  const ast *t, *k;
  int op;
  if (!lower_days_compare(n, &t, &k, &op)) return false;
  lv x = lower_node(L, (ast *)t);
  LLVMBasicBlockRef was = lower_at_entry(L);
  LLVMValueRef kv = k->kind == AST_LIT_INT ? LLVMConstInt(L->i64, (unsigned long long)k->v.i, 1)
                                           : ctx_element(L, CTX_CONSTS, L->i64, k->index);
  LLVMValueRef lim = LLVMConstInt(L->i64, 10000000, 1), neg = LLVMConstInt(L->i64, (unsigned long long)-10000000, 1);
  kv = LLVMBuildSelect(L->B, LLVMBuildICmp(L->B, LLVMIntSGT, kv, lim, ""), lim, kv, "");
  kv = LLVMBuildSelect(L->B, LLVMBuildICmp(L->B, LLVMIntSLT, kv, neg, ""), neg, kv, "");
  LLVMValueRef day = LLVMConstInt(L->i64, (unsigned long long)CAL_USEC_PER_DAY, 1);
  LLVMValueRef at_k = LLVMBuildSub(L->B, load_ctx(L, CTX_NOW, L->i64), LLVMBuildMul(L->B, kv, day, ""), "");
  LLVMValueRef past_k = LLVMBuildSub(L->B, at_k, day, ""); /* days_since(t) > k  <=>  t <= past_k */
  lower_resume(L, was);
  LLVMValueRef ge = LLVMBuildICmp(L->B, LLVMIntSLE, x.v, entry_lanes(L, at_k), "");
  LLVMValueRef gt = LLVMBuildICmp(L->B, LLVMIntSLE, x.v, entry_lanes(L, past_k), "");
  switch (op) {
  case CMP_GE: r->v = ge; break;
  case CMP_GT: r->v = gt; break;
  case CMP_LT: r->v = LLVMBuildNot(L->B, ge, ""); break;
  case CMP_LE: r->v = LLVMBuildNot(L->B, gt, ""); break;
  case CMP_EQ: r->v = LLVMBuildAnd(L->B, ge, LLVMBuildNot(L->B, gt, ""), ""); break;
  default: r->v = LLVMBuildOr(L->B, gt, LLVMBuildNot(L->B, ge, ""), ""); break;
  }
  r->null = x.null;
  return true;
}

static lv lower_cast(lower *L, ast *n) {
  lv a = lower_node(L, n->a), r = a;
  seg_type from = n->a->type, to = n->type;
  if (to.kind == TY_FLOAT64) {
    r.v = LLVMBuildSIToFP(L->B, a.v, L->vf64, "");
    if (from.kind == TY_DECIMAL) r.v = LLVMBuildFDiv(L->B, r.v, cf64(L, (double)ty_pow10(from.scale)), "");
  } else if (to.kind == TY_DECIMAL) {
    int64_t m = ty_pow10(to.scale - (from.kind == TY_DECIMAL ? from.scale : 0));
    LLVMValueRef hi = LLVMBuildICmp(L->B, LLVMIntSGT, a.v, c64(L, INT64_MAX / m), "");
    LLVMValueRef lo = LLVMBuildICmp(L->B, LLVMIntSLT, a.v, c64(L, INT64_MIN / m), "");
    r.v = LLVMBuildMul(L->B, a.v, c64(L, m), "");
    r.null = or_null(L, a.null, LLVMBuildOr(L->B, hi, lo, ""));
  } else if (to.kind == TY_TIMESTAMP) {
    LLVMValueRef ovf = NULL; /* date(t) of a computed t can be a day before INT64_MIN's first whole day */
    r.v = in_time_range(n->a) ? LLVMBuildMul(L->B, a.v, c64(L, CAL_USEC_PER_DAY), "") : mul_ovf(L, a.v, c64(L, CAL_USEC_PER_DAY), &ovf);
    if (ovf) r.null = or_null(L, a.null, ovf);
  }
  return r;
}

/* Civil date parts (32-bit) of a day number, as calendar.c computes them,
 * with no division: Neri and Schneider's Euclidean affine functions
 * ("Euclidean affine functions and their application to calendar
 * algorithms", 2022), every division by a constant a multiply and a shift.
 * The day number is moved by K 400-year eras so that all of it is
 * unsigned, and the values the multiplies see stay below 2^32, where x86
 * multiplies 64-bit lanes in one instruction (vpmuludq).  A C transcription
 * agreed with cal_civil_from_days on every day number in [-2^28, 2^28)
 * (735,000 years either way; the day of any int64 timestamp is within
 * 1.1e8, and a .segd's dates are years 1 to 9999, segd.c);
 * tests/unit/test_calendar_jit.c runs this code over 356,175 days. */
#define CIVIL_K 1835
static void civil(lower *L, LLVMValueRef days, LLVMValueRef *y, LLVMValueRef *m, LLVMValueRef *d) {
  LLVMBuilderRef B = L->B;
#define K(v) c64(L, v)
  LLVMValueRef n = LLVMBuildAdd(B, days, K(719468 + INT64_C(146097) * CIVIL_K), "");
  LLVMValueRef n1 = LLVMBuildAnd(B, LLVMBuildAdd(B, LLVMBuildShl(B, n, K(2), ""), K(3), ""), K(0xFFFFFFFF), "");
  LLVMValueRef c = LLVMBuildLShr(B, LLVMBuildMul(B, n1, K(3853261556), ""), K(49), "");     /* n1 / 146097: centuries */
  LLVMValueRef r = LLVMBuildAnd(B, LLVMBuildSub(B, n1, LLVMBuildMul(B, c, K(146097), ""), ""), K(0xFFFFFFFF), "");
  LLVMValueRef p2 = LLVMBuildMul(B, LLVMBuildOr(B, r, K(3), ""), K(2939745), "");
  LLVMValueRef z = LLVMBuildLShr(B, p2, K(32), "");                                          /* year of the century */
  LLVMValueRef ny = LLVMBuildSub(B, LLVMBuildLShr(B, r, K(2), ""), LLVMBuildLShr(B, LLVMBuildMul(B, z, K(1461), ""), K(2), ""), "");
  ny = LLVMBuildAnd(B, ny, K(0xFFFF), "");                                                   /* day of the year from March 1 */
  LLVMValueRef n3 = LLVMBuildAdd(B, LLVMBuildMul(B, ny, K(2141), ""), K(197913), "");
  LLVMValueRef mm = LLVMBuildLShr(B, n3, K(16), "");
  LLVMValueRef dd = LLVMBuildLShr(B, LLVMBuildMul(B, LLVMBuildAnd(B, n3, K(0xFFFF), ""), K(125379), ""), K(28), ""); /* / 2141 */
  LLVMValueRef jan_feb = LLVMBuildICmp(B, LLVMIntUGE, ny, K(306), "");
  LLVMValueRef yy = LLVMBuildAdd(B, LLVMBuildAdd(B, LLVMBuildMul(B, c, K(100), ""), z, ""), LLVMBuildZExt(B, jan_feb, L->v64, ""), "");
  *y = LLVMBuildTrunc(B, LLVMBuildSub(B, yy, K(400 * CIVIL_K), ""), L->v32, "");
  *m = LLVMBuildTrunc(B, LLVMBuildSelect(B, jan_feb, LLVMBuildSub(B, mm, K(12), ""), mm, ""), L->v32, "");
  *d = LLVMBuildTrunc(B, LLVMBuildAdd(B, dd, K(1), ""), L->v32, "");
#undef K
}

static LLVMValueRef days_of(lower *L, seg_tykind k, LLVMValueRef v) {
  return k == TY_DATE ? v : floordiv_day(L, v);
}

/* round half away from zero to a multiple of constant d */
static lv round_to(lower *L, LLVMValueRef x, int64_t d) {
  lv r = {x, NULL};
  if (d == 1) return r;
  LLVMValueRef q = LLVMBuildSDiv(L->B, x, c64(L, d), "");
  LLVMValueRef rem = LLVMBuildSRem(L->B, x, c64(L, d), "");
  LLVMValueRef arem = LLVMBuildSelect(L->B, LLVMBuildICmp(L->B, LLVMIntSLT, rem, c64(L, 0), ""), LLVMBuildNeg(L->B, rem, ""), rem, "");
  LLVMValueRef up = LLVMBuildICmp(L->B, LLVMIntSGE, arem, LLVMBuildSub(L->B, c64(L, d), arem, ""), "");
  LLVMValueRef step = LLVMBuildSelect(L->B, LLVMBuildICmp(L->B, LLVMIntSLT, x, c64(L, 0), ""), c64(L, -1), c64(L, 1), "");
  q = LLVMBuildAdd(L->B, q, LLVMBuildSelect(L->B, up, step, c64(L, 0), ""), "");
  r.v = mul_ovf(L, q, c64(L, d), &r.null);
  return r;
}

static lv lower_call(lower *L, ast *n) {
  lv a[2] = {{0}, {0}};
  LLVMValueRef null = NULL;
  for (int i = 0; i < n->nargs; i++) {
    a[i] = lower_node(L, n->args[i]);
    null = or_null(L, null, a[i].null);
  }
  seg_type t0 = n->args[0]->type;
  bool fl = t0.kind == TY_FLOAT64;
  int scale = t0.kind == TY_DECIMAL ? t0.scale : 0;
  lv r = {NULL, null};
  LLVMValueRef now = n->op == BI_DAYS_SINCE || n->op == BI_AGE_YEARS ? entry_lanes(L, load_ctx(L, CTX_NOW, L->i64)) : NULL;
  switch ((builtin_id)n->op) {
  case BI_ABS:
    if (fl) {
      r.v = call1(L, "llvm.fabs", a[0].v);
    } else {
      LLVMValueRef neg = LLVMBuildICmp(L->B, LLVMIntSLT, a[0].v, c64(L, 0), "");
      r.v = LLVMBuildSelect(L->B, neg, LLVMBuildNeg(L->B, a[0].v, ""), a[0].v, "");
      r.null = or_null(L, null, LLVMBuildICmp(L->B, LLVMIntEQ, a[0].v, c64(L, INT64_MIN), ""));
    }
    break;
  case BI_MIN:
  case BI_MAX: {
    LLVMValueRef pick_a = lower_compare(L, n->op == BI_MIN ? CMP_LE : CMP_GT, t0, t0, a[0].v, a[1].v);
    r.v = LLVMBuildSelect(L->B, pick_a, a[0].v, a[1].v, "");
    break;
  }
  case BI_ROUND: {
    int64_t digits = n->nargs == 2 ? (n->args[1]->kind == AST_NEG ? -n->args[1]->a->v.i : n->args[1]->v.i) : 0;
    if (fl) {
      if (digits > 300 || digits < -300) {
        r.v = digits > 0 ? a[0].v : LLVMBuildFMul(L->B, cf64(L, 0.0), a[0].v, "");
        break;
      }
      LLVMValueRef m = cf64(L, pow(10.0, (double)(digits < 0 ? -digits : digits)));
      if (digits >= 0) r.v = LLVMBuildFDiv(L->B, call1(L, "llvm.round", LLVMBuildFMul(L->B, a[0].v, m, "")), m, "");
      else r.v = LLVMBuildFMul(L->B, call1(L, "llvm.round", LLVMBuildFDiv(L->B, a[0].v, m, "")), m, "");
      return lower_float_result(L, r.v, null);
    }
    int64_t drop = scale - digits;
    if (drop <= 0) r.v = a[0].v;
    else if (drop > 18) r.v = c64(L, 0);
    else {
      lv q = round_to(L, a[0].v, ty_pow10((int)drop));
      r.v = q.v;
      r.null = or_null(L, null, q.null);
    }
    break;
  }
  case BI_FLOOR:
  case BI_CEIL: {
    if (fl) {
      r.v = call1(L, n->op == BI_FLOOR ? "llvm.floor" : "llvm.ceil", a[0].v);
      break;
    }
    int64_t d = ty_pow10(scale);
    LLVMValueRef q = floordiv(L, a[0].v, d);
    if (n->op == BI_CEIL) {
      LLVMValueRef exact = LLVMBuildICmp(L->B, LLVMIntEQ, LLVMBuildMul(L->B, q, c64(L, d), ""), a[0].v, "");
      q = LLVMBuildAdd(L->B, q, LLVMBuildZExt(L->B, LLVMBuildNot(L->B, exact, ""), L->v64, ""), "");
    }
    LLVMValueRef ovf;
    r.v = mul_ovf(L, q, c64(L, d), &ovf);
    r.null = or_null(L, null, ovf);
    break;
  }
  case BI_DAYS_SINCE: /* of a date d: floor((now - d days) / 1 day) = floor(now / 1 day) - d, the first part the same for all records */
    if (t0.kind == TY_DATE) {
      r.v = LLVMBuildSub(L->B, floordiv_day(L, now), a[0].v, "");
    } else if (in_time_range(n->args[0])) { /* now - t cannot overflow */
      r.v = floordiv_day(L, LLVMBuildSub(L->B, now, a[0].v, ""));
    } else { /* any time: floor(now / day) - floor(t / day), less one when now's time of day is earlier than t's */
      LLVMValueRef dn = floordiv_day(L, now), dt = floordiv_day(L, a[0].v);
      LLVMValueRef earlier = LLVMBuildICmp(L->B, LLVMIntSLT, time_of_day(L, now, dn), time_of_day(L, a[0].v, dt), "");
      r.v = LLVMBuildSub(L->B, LLVMBuildSub(L->B, dn, dt, ""), LLVMBuildZExt(L->B, earlier, L->v64, ""), "");
    }
    break;
  case BI_DATE: r.v = days_of(L, t0.kind, a[0].v); break;
  case BI_YEAR:
  case BI_MONTH:
  case BI_DAY: {
    LLVMValueRef y, m, d;
    civil(L, days_of(L, t0.kind, a[0].v), &y, &m, &d);
    r.v = LLVMBuildSExt(L->B, n->op == BI_YEAR ? y : n->op == BI_MONTH ? m : d, L->v64, "");
    break;
  }
  case BI_WEEKDAY: { /* day numbers of valid times fit in 32 bits */
    LLVMValueRef d32 = LLVMBuildTrunc(L->B, LLVMBuildAdd(L->B, days_of(L, t0.kind, a[0].v), c64(L, 3), ""), L->v32, "");
    r.v = LLVMBuildSExt(L->B, LLVMBuildAdd(L->B, floormod(L, d32, 7), cint(L->v32, 1), ""), L->v64, ""); /* a compare with it stays 32-bit */
    break;
  }
  case BI_HOUR: { /* the time of day is below 2^37, exact in double; times fl(1 / 1 hour) it floors as in floordiv_day
                     (the same relative error e, and the quotient below 24) */
    LLVMValueRef tod = time_of_day(L, a[0].v, floordiv_day(L, a[0].v));
    r.v = LLVMBuildFPToSI(L->B, LLVMBuildFMul(L->B, LLVMBuildSIToFP(L->B, tod, L->vf64, ""), cf64(L, 1.0 / (3600.0 * 1e6)), ""), L->v64, "");
    break;
  }
  case BI_AGE_YEARS: {
    LLVMValueRef fy, fm, fd, ty, tm, td;
    civil(L, days_of(L, t0.kind, a[0].v), &fy, &fm, &fd);
    civil(L, floordiv_day(L, now), &ty, &tm, &td);
    LLVMValueRef before = LLVMBuildOr(L->B, LLVMBuildICmp(L->B, LLVMIntSLT, tm, fm, ""),
                                      LLVMBuildAnd(L->B, LLVMBuildICmp(L->B, LLVMIntEQ, tm, fm, ""), LLVMBuildICmp(L->B, LLVMIntSLT, td, fd, ""), ""), "");
    r.v = LLVMBuildSub(L->B, LLVMBuildSub(L->B, ty, fy, ""), LLVMBuildZExt(L->B, before, L->v32, ""), ""); /* |years| < 2^23 */
    r.v = LLVMBuildSExt(L->B, r.v, L->v64, "");
    break;
  }
  default: /* string functions are lifted or slow; never here */
    r.v = c64(L, 0);
    r.null = cbool(L, true);
    break;
  }
  return r;
}

/* x in [items] */
static lv lower_in(lower *L, ast *n) {
  bool str = n->a->type.kind == TY_STRING;
  lv x = lower_node(L, n->a);
  LLVMValueRef found = cbool(L, false), saw_null = NULL;
  for (int i = 0; i < n->b->nargs; i++) {
    lv it;
    LLVMValueRef eq;
    if (str) {
      eq = code_compare(L, CMP_EQ, x.v, n->b->args[i], &it.null);
    } else {
      it = lower_node(L, n->b->args[i]);
      eq = lower_compare(L, CMP_EQ, n->a->type, n->b->args[i]->type, x.v, it.v);
    }
    if (it.null) eq = LLVMBuildAnd(L->B, eq, LLVMBuildNot(L->B, it.null, ""), "");
    found = LLVMBuildOr(L->B, found, eq, "");
    saw_null = or_null(L, saw_null, it.null);
  }
  lv r;
  r.v = n->kind == AST_IN ? found : LLVMBuildNot(L->B, found, "");
  r.null = saw_null ? LLVMBuildAnd(L->B, saw_null, LLVMBuildNot(L->B, found, ""), "") : NULL;
  r.null = or_null(L, x.null, r.null);
  return r;
}

static lv lower_segment(lower *L, int index) {
  if (L->in_loop) { /* inside an event loop: a cached value would not dominate its uses */
    const seg_segment *s = L->pk->prog->segments.items[index];
    lv v = lower_node(L, s->rule);
    return (lv){v.null ? LLVMBuildAnd(L->B, v.v, LLVMBuildNot(L->B, v.null, ""), "") : v.v, NULL};
  }
  if (index < L->stored_segments) /* computed by an earlier loop: its output bits */
    return (lv){load_bits(L, out_bits_at(L, index, false)), NULL};
  if (!L->seg_done[index]) {
    const seg_segment *s = L->pk->prog->segments.items[index];
    lv v = lower_node(L, s->rule);
    lv m = {v.null ? LLVMBuildAnd(L->B, v.v, LLVMBuildNot(L->B, v.null, ""), "") : v.v, NULL};
    L->seg_cache[index] = m;
    L->seg_done[index] = true;
  }
  return L->seg_cache[index];
}

/* Whether n reads nothing of the record: the same value for all of them. */
static bool record_free(const ast *n) {
  if (!n) return true;
  if (n->kind == AST_FIELD || n->kind == AST_SEGREF || n->kind == AST_AGG || n->kind == AST_EVFIELD) return false;
  if (!record_free(n->a) || !record_free(n->b) || !record_free(n->c)) return false;
  for (int i = 0; i < n->nargs; i++)
    if (!record_free(n->args[i])) return false;
  return true;
}

/* A record-free expression of a main loop (`month(today)`, `now - 30d`),
 * computed once per call in the entry block (once per unit). */
static bool hoistable(lower *L, const ast *n) {
  if (L->vf == 1 || L->hoisting || n->id < 0 || n->id >= L->pk->prog->nnodes) return false;
  switch (n->kind) {
  case AST_LIT_NULL: case AST_LIT_BOOL: case AST_LIT_INT: case AST_LIT_DEC: case AST_LIT_DATE:
  case AST_LIT_TS: case AST_LIT_DUR: case AST_ENUMLIT: case AST_LIT_STR:
    return false; /* constants already */
  default: return record_free(n) && !lower_has_string(n);
  }
}

static lv lower_hoisted(lower *L, ast *n) {
  if (L->invariant_unit[n->id] != L->unit_id) {
    LLVMBasicBlockRef was = lower_at_entry(L);
    L->hoisting = true;
    L->invariant[n->id] = lower_node(L, n);
    L->hoisting = false;
    lower_resume(L, was);
    L->invariant_unit[n->id] = L->unit_id;
  }
  return L->invariant[n->id];
}

/* Lowers one checked node to a (value, null) pair. */
lv lower_node(lower *L, ast *n) {
  lv a, b, r = {0};
  int field = -1;
  if (lower_shared_value(L, n, &r)) return r;
  if (hoistable(L, n)) return lower_hoisted(L, n);
  if (lower_prefix_value(L, n, &r)) return r;
  if (n->type.kind != TY_STRING && lower_has_string(n) && !code_comparison(n) && !code_null_test(n)) {
    if (liftable(L->pk->prog, n, &field)) return lower_lift(L, n, field);
    bool native = n->kind == AST_CMP || n->kind == AST_IN || n->kind == AST_NOT_IN || n->kind == AST_BETWEEN ||
                  n->kind == AST_IS_NULL || n->kind == AST_IS_NOT_NULL;
    if (native && n->kind != AST_IS_NULL && n->kind != AST_IS_NOT_NULL) {
      native = codeable(n->a) && (!n->b || n->kind == AST_IN || n->kind == AST_NOT_IN || codeable(n->b)) && (!n->c || codeable(n->c));
      for (int i = 0; native && (n->kind == AST_IN || n->kind == AST_NOT_IN) && i < n->b->nargs; i++) native = codeable(n->b->args[i]);
    }
    bool children_ok = n->kind == AST_AND || n->kind == AST_OR || n->kind == AST_NOT || n->kind == AST_COALESCE;
    if (!native && !children_ok && n->kind != AST_IS_NULL && n->kind != AST_IS_NOT_NULL) return lower_slow(L, n);
  }
  switch (n->kind) {
  case AST_LIT_NULL: case AST_LIT_BOOL: case AST_LIT_INT: case AST_LIT_DEC: case AST_LIT_DATE:
  case AST_LIT_TS: case AST_LIT_DUR: case AST_ENUMLIT:
    return lower_literal(L, n);
  case AST_NOW: r.v = entry_lanes(L, load_ctx(L, CTX_NOW, L->i64)); return r;
  case AST_TODAY: r.v = floordiv_day(L, entry_lanes(L, load_ctx(L, CTX_NOW, L->i64))); return r;
  case AST_FIELD: return lower_field(L, n->index);
  case AST_CONSTREF: return lower_const(L, n);
  case AST_SEGREF: return lower_segment(L, n->index);
  case AST_AND: return and3(L, lower_node(L, n->a), lower_node(L, n->b));
  case AST_OR: return or3(L, lower_node(L, n->a), lower_node(L, n->b));
  case AST_NOT:
    a = lower_node(L, n->a);
    r.v = LLVMBuildNot(L->B, a.v, "");
    r.null = a.null;
    return r;
  case AST_CMP:
    if (lower_days_threshold(L, n, &r) || lower_ratio_compare(L, n, &r)) return r;
    a = lower_node(L, n->a);
    if (n->a->type.kind == TY_STRING) {
      r.v = code_compare(L, n->op, a.v, n->b, &b.null);
    } else {
      b = lower_node(L, n->b);
      r.v = lower_compare(L, n->op, n->a->type, n->b->type, a.v, b.v);
    }
    r.null = or_null(L, a.null, b.null);
    return r;
  case AST_BETWEEN: {
    lv x = lower_node(L, n->a), ge, le;
    if (n->a->type.kind == TY_STRING) {
      ge.v = code_compare(L, CMP_GE, x.v, n->b, &ge.null);
      le.v = code_compare(L, CMP_LE, x.v, n->c, &le.null);
    } else {
      lv lo = lower_node(L, n->b), hi = lower_node(L, n->c);
      ge = (lv){lower_compare(L, CMP_GE, n->a->type, n->b->type, x.v, lo.v), lo.null};
      le = (lv){lower_compare(L, CMP_LE, n->a->type, n->c->type, x.v, hi.v), hi.null};
    }
    ge.null = or_null(L, x.null, ge.null);
    le.null = or_null(L, x.null, le.null);
    return and3(L, ge, le);
  }
  case AST_IN:
  case AST_NOT_IN: return lower_in(L, n);
  case AST_IS_NULL:
  case AST_IS_NOT_NULL:
    if (n->a->type.kind == TY_STRING && !codeable(n->a)) {
      int f = -1;
      if (liftable(L->pk->prog, n, &f)) return lower_lift(L, n, f);
      return lower_slow(L, n);
    }
    a = lower_node(L, n->a);
    r.v = null_of(L, a.null);
    if (n->kind == AST_IS_NOT_NULL) r.v = LLVMBuildNot(L->B, r.v, "");
    return r;
  case AST_COALESCE:
    a = lower_node(L, n->a);
    b = lower_node(L, n->b);
    if (!a.null) return a;
    r.v = LLVMBuildSelect(L->B, a.null, b.v, a.v, "");
    r.null = b.null ? LLVMBuildAnd(L->B, a.null, b.null, "") : NULL;
    return r;
  case AST_ADD: case AST_SUB: case AST_MUL: case AST_DIV: case AST_MOD: return lower_arith(L, n);
  case AST_NEG:
    a = lower_node(L, n->a);
    if (n->type.kind == TY_FLOAT64) {
      r.v = LLVMBuildFNeg(L->B, a.v, "");
      r.null = a.null;
    } else {
      r.v = LLVMBuildNeg(L->B, a.v, "");
      r.null = or_null(L, a.null, LLVMBuildICmp(L->B, LLVMIntEQ, a.v, c64(L, INT64_MIN), ""));
    }
    return r;
  case AST_CAST: return lower_cast(L, n);
  case AST_AGG: return lower_agg(L, n);
  case AST_EVFIELD: return lower_evfield(L, n);
  case AST_HAS:
  case AST_HAS_ANY:
  case AST_HAS_ALL: {
    a = lower_node(L, n->a);
    LLVMValueRef m = LLVMBuildAnd(L->B, a.v, c64(L, n->v.i), "");
    r.v = LLVMBuildICmp(L->B, n->kind == AST_HAS_ALL ? LLVMIntEQ : LLVMIntNE, m, n->kind == AST_HAS_ALL ? c64(L, n->v.i) : c64(L, 0), "");
    r.null = a.null;
    return r;
  }
  case AST_IS_EMPTY:
    a = lower_node(L, n->a);
    r.v = LLVMBuildICmp(L->B, LLVMIntEQ, a.v, c64(L, 0), "");
    r.null = a.null;
    return r;
  case AST_CALL: return lower_call(L, n);
  default:
    r.v = c64(L, 0);
    r.null = cbool(L, true);
    return r;
  }
}

/* ---- scratch columns ------------------------------------------------------ */

/* Slot `slot` of the scratch area after the outputs (pack_out_bytes): RT_BLOCK
 * int64 values, then RT_BLOCK null bytes; the element of the current record. */
static LLVMValueRef scratch(lower *L, int slot, bool nulls, LLVMTypeRef elem) {
  size_t off = pack_scratch_offset(L->pk) + (size_t)slot * RT_BLOCK * 9 + (nulls ? (size_t)RT_BLOCK * 8 : 0);
  LLVMValueRef base = LLVMBuildGEP2(L->B, L->i8, L->out, (LLVMValueRef[]){s64(L, (int64_t)off)}, 1, "");
  return LLVMBuildGEP2(L->B, elem, compat_ptr_cast(L->B, base, elem), &L->i, 1, "");
}

void lower_scratch_store(lower *L, int slot, lv v, seg_type t) {
  LLVMValueRef raw = v.v;
  if (t.kind == TY_FLOAT64) raw = LLVMBuildBitCast(L->B, raw, L->v64, "");
  else if (t.kind == TY_BOOL) raw = LLVMBuildZExt(L->B, raw, L->v64, "");
  store_lanes(L, raw, scratch(L, slot, false, L->i64));
  LLVMValueRef nb = v.null ? LLVMBuildZExt(L->B, v.null, L->v8, "") : cint(L->v8, 0);
  store_lanes(L, nb, scratch(L, slot, true, L->i8));
}

lv lower_scratch_load(lower *L, int slot, seg_type t, bool nullable) {
  lv r = lower_from_slot(L, load_lanes(L, L->i64, scratch(L, slot, false, L->i64)), t);
  if (nullable) r.null = LLVMBuildICmp(L->B, LLVMIntNE, load_lanes(L, L->i8, scratch(L, slot, true, L->i8)), cint(L->v8, 0), "");
  return r;
}

/* ---- loops over a block's records ------------------------------------------ */

lower_loop lower_loop_begin(lower *L, LLVMValueRef bound) {
  lower_loop loop = {LLVMGetInsertBlock(L->B), LLVMAppendBasicBlockInContext(L->C, L->fn, "records"), bound};
  LLVMBuildBr(L->B, loop.body);
  LLVMPositionBuilderAtEnd(L->B, loop.body);
  L->i = LLVMBuildPhi(L->B, L->i64, "i");
  L->loop_id++;
  return loop;
}

void lower_loop_end(lower *L, lower_loop loop) {
  if (L->vf > 1) lower_range_flush(L);
  LLVMValueRef next = LLVMBuildAdd(L->B, L->i, s64(L, L->vf), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(L->B);
  LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(L->C, L->fn, "records_done");
  LLVMBuildCondBr(L->B, LLVMBuildICmp(L->B, LLVMIntSLT, next, loop.bound, ""), loop.body, after);
  LLVMValueRef zero = s64(L, 0);
  LLVMAddIncoming(L->i, &zero, &loop.before, 1);
  LLVMAddIncoming(L->i, &next, &latch, 1);
  LLVMPositionBuilderAtEnd(L->B, after);
}

/* Reading a block from memory costs about a quarter of the main loops'
 * time when it waits for the loads: the hardware prefetchers start again
 * at each column's pages.  So the loops also prefetch the columns the pack
 * reads of the block that comes next (pack_ctx.ahead), spread evenly over
 * all the loops: `per` cache lines per iteration, their offsets in a
 * constant array per loop.  (One burst of prefetches before each block
 * cost more than it saved: they stall once the miss buffers are full; and
 * prefetching whole blocks slowed the event pack, which reads few of their
 * columns, by 10%.)  The prefetches fill the L2 cache, not L1 (locality 2:
 * prefetcht1): the lines are read a block later, long after 32 KB of L1
 * would have kept them, and filling L1 with them pushed out the lines the
 * current block's loops were reading (10M customers, attribute pack:
 * 0.160 -> 0.147 s on one thread, 0.081 -> 0.074 s on two). */
static void ahead_add_field(const lower *L, int f, bool *seen) {
  const rt_layout *ly = &L->pk->layout;
  int width = ty_storage_width(L->pk->prog->schema->fields[f].type.kind);
  uint32_t cols[2][2] = {{ly->val_off[f], (uint32_t)width * RT_BLOCK}, {ly->null_off[f], RT_BLOCK}};
  for (int c = 0; c < 2; c++) {
    if (cols[c][0] == RT_NO_NULLS) continue;
    for (uint32_t at = cols[c][0] / 64 * 64; at < cols[c][0] + cols[c][1]; at += 64) seen[at / 64] = true;
  }
}

static void ahead_walk(const lower *L, const ast *n, bool *seen) {
  if (!n) return;
  if (n->kind == AST_FIELD && n->index >= 0 && n->index < L->pk->prog->schema->nfields) ahead_add_field(L, n->index, seen);
  ahead_walk(L, n->a, seen);
  ahead_walk(L, n->b, seen);
  ahead_walk(L, n->c, seen);
  for (int i = 0; i < n->nargs; i++) ahead_walk(L, n->args[i], seen);
}

/* L->ahead: the offsets of the lines of the columns the outputs read (a
 * superset of what the main loops read: string fields are read before
 * the block, exec.c), in order */
static void ahead_plan(lower *L) {
  uint32_t nlines = (L->pk->layout.block_bytes + 63) / 64;
  bool *seen = calloc((size_t)nlines + 1, 1);
  L->ahead = calloc((size_t)nlines + 1, sizeof *L->ahead);
  if (!seen || !L->ahead) {
    free(seen);
    return;
  }
  for (int k = 0; k < L->pk->noutputs; k++) {
    const pack_output *o = &L->pk->outputs[k];
    ahead_walk(L, o->is_segment ? ((seg_segment *)L->pk->prog->segments.items[k])->rule : o->expr, seen);
  }
  L->ahead_lines = 0;
  for (uint32_t line = 0; line < nlines; line++)
    if (seen[line]) L->ahead[L->ahead_lines++] = line * 64;
  free(seen);
}

void lower_prefetch_ahead(lower *L) {
  int64_t iters = RT_BLOCK / L->vf, loops = L->ahead_loops, lines = L->ahead_lines;
  if (!lines || loops <= 0) return;
  int64_t per = (lines + loops * iters - 1) / (loops * iters), first = L->ahead_loop++ * iters * per;
  if (first >= lines) return; /* the loops before cover them */
  LLVMValueRef *offs = malloc(sizeof *offs * (size_t)(iters * per));
  if (!offs) return;
  for (int64_t q = 0; q < iters * per; q++) /* the last loop's tail repeats the last line */
    offs[q] = LLVMConstInt(L->i32, L->ahead[first + q < lines ? first + q : lines - 1], 0);
  LLVMTypeRef arr_t = LLVMArrayType(L->i32, (unsigned)(iters * per));
  LLVMValueRef table = LLVMAddGlobal(L->M, arr_t, "ahead");
  LLVMSetInitializer(table, LLVMConstArray(L->i32, offs, (unsigned)(iters * per)));
  LLVMSetGlobalConstant(table, 1);
  LLVMSetLinkage(table, LLVMPrivateLinkage);
  free(offs);
  LLVMValueRef base = load_ctx(L, CTX_AHEAD, ptr_to(L, L->i8));
  LLVMValueRef at = LLVMBuildMul(L->B, LLVMBuildUDiv(L->B, L->i, s64(L, L->vf), ""), s64(L, per), "");
  LLVMTypeRef p8 = ptr_to(L, L->i8);
  LLVMValueRef fn = compat_intrinsic(L->M, "llvm.prefetch", &p8, 1);
  LLVMTypeRef fn_t = compat_intrinsic_type(L->C, "llvm.prefetch", &p8, 1);
  LLVMValueRef rw = LLVMConstInt(L->i32, 0, 0), locality = LLVMConstInt(L->i32, 2, 0) /* L2 */, data = LLVMConstInt(L->i32, 1, 0);
  for (int64_t k = 0; k < per; k++) {
    LLVMValueRef idx[] = {s64(L, 0), LLVMBuildAdd(L->B, at, s64(L, k), "")};
    LLVMValueRef off = LLVMBuildLoad2(L->B, L->i32, LLVMBuildGEP2(L->B, arr_t, table, idx, 2, ""), "");
    off = LLVMBuildZExt(L->B, off, L->i64, "");
    LLVMValueRef args[] = {LLVMBuildGEP2(L->B, L->i8, base, &off, 1, ""), rw, locality, data};
    LLVMBuildCall2(L->B, fn_t, fn, args, 4, "");
  }
}

/* ---- the pack function --------------------------------------------------- */

/* The value a pointer is computed from, through GEPs and casts. */
static LLVMValueRef pointer_base(LLVMValueRef p) {
  for (;;) {
    LLVMOpcode op = LLVMIsAInstruction(p) ? LLVMGetInstructionOpcode(p) : LLVMIsAConstantExpr(p) ? LLVMGetConstOpcode(p) : 0;
    if (op != LLVMGetElementPtr && op != LLVMBitCast) return p;
    p = LLVMGetOperand(p, 0);
  }
}

/* Tells the optimiser of the aggregates loop (O3) that the records and the
 * events (every load not from `out`) never alias the results being written
 * (every store to `out`), so it can keep loads out of the inner loops.
 * Byte stores (null bytes) and wider ones (values) get scopes of their own
 * too: they are disjoint columns.  The main loops need none of it: their
 * loads all come before their stores. */
static void mark_noalias(lower *L, LLVMValueRef fn) {
  LLVMMetadataRef domain_ops[] = {LLVMMDStringInContext2(L->C, "segc", 4)};
  LLVMMetadataRef domain = LLVMMDNodeInContext2(L->C, domain_ops, 1);
  static const char *const names[] = {"segc.inputs", "segc.done", "segc.out", "segc.out_wide"};
  LLVMMetadataRef scope[4];
  for (int k = 0; k < 4; k++) {
    LLVMMetadataRef ops[] = {LLVMMDStringInContext2(L->C, names[k], strlen(names[k])), domain};
    scope[k] = LLVMMDNodeInContext2(L->C, ops, 2);
  }
  LLVMValueRef list[4];
  for (int k = 0; k < 4; k++) list[k] = LLVMMetadataAsValue(L->C, LLVMMDNodeInContext2(L->C, &scope[k], 1));
  LLVMMetadataRef not_bytes[] = {scope[0], scope[1], scope[3]}, not_wide[] = {scope[0], scope[1], scope[2]};
  LLVMValueRef stores = LLVMMetadataAsValue(L->C, LLVMMDNodeInContext2(L->C, &scope[2], 2));
  LLVMValueRef bytes_noalias = LLVMMetadataAsValue(L->C, LLVMMDNodeInContext2(L->C, not_bytes, 3));
  LLVMValueRef wide_noalias = LLVMMetadataAsValue(L->C, LLVMMDNodeInContext2(L->C, not_wide, 3));
  unsigned scope_kind = LLVMGetMDKindIDInContext(L->C, "alias.scope", 11);
  unsigned noalias_kind = LLVMGetMDKindIDInContext(L->C, "noalias", 7);
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
    for (LLVMValueRef ins = LLVMGetFirstInstruction(bb); ins; ins = LLVMGetNextInstruction(ins)) {
      LLVMOpcode op = LLVMGetInstructionOpcode(ins);
      if (op != LLVMLoad && op != LLVMStore) continue;
      bool to_out = pointer_base(LLVMGetOperand(ins, op == LLVMLoad ? 0 : 1)) == L->out;
      if (op == LLVMStore && to_out) {
        LLVMTypeRef t = LLVMTypeOf(LLVMGetOperand(ins, 0));
        bool byte = (LLVMGetTypeKind(t) == LLVMVectorTypeKind ? LLVMGetElementType(t) : t) == L->i8;
        LLVMSetMetadata(ins, scope_kind, list[byte ? 2 : 3]);
        LLVMSetMetadata(ins, noalias_kind, byte ? bytes_noalias : wide_noalias);
      } else if (op == LLVMLoad) {
        LLVMSetMetadata(ins, scope_kind, list[to_out ? 1 : 0]);
        LLVMSetMetadata(ins, noalias_kind, stores);
      }
    }
}

/* Starts unit u: its context, module and function `pack_unit_<index>`,
 * with the builder in a block that runs when the block has records; its
 * values have vf lanes. */
static void unit_begin(lower *L, lower_unit *u, int index, int vf) {
  LLVMContextRef C = L->C = u->C = LLVMContextCreate();
  snprintf(u->name, sizeof u->name, "pack_unit_%d", index);
  L->M = u->M = LLVMModuleCreateWithNameInContext(u->name, C);
  L->B = LLVMCreateBuilderInContext(C);
  L->i1 = LLVMInt1TypeInContext(C);
  L->i8 = LLVMInt8TypeInContext(C);
  L->i32 = LLVMInt32TypeInContext(C);
  L->i64 = LLVMInt64TypeInContext(C);
  L->i128 = LLVMIntTypeInContext(C, 128);
  L->f64 = LLVMDoubleTypeInContext(C);
  L->unit_id++;
  L->vf = vf;
  L->v1 = vf > 1 ? LLVMVectorType(L->i1, (unsigned)vf) : L->i1;
  L->v8 = vf > 1 ? LLVMVectorType(L->i8, (unsigned)vf) : L->i8;
  L->v32 = vf > 1 ? LLVMVectorType(L->i32, (unsigned)vf) : L->i32;
  L->v64 = vf > 1 ? LLVMVectorType(L->i64, (unsigned)vf) : L->i64;
  L->vf64 = vf > 1 ? LLVMVectorType(L->f64, (unsigned)vf) : L->f64;
  LLVMTypeRef p8 = ptr_to(L, L->i8);
  LLVMTypeRef slow_args[] = {p8, L->i64, L->i64, p8};
  L->slow_t = LLVMFunctionType(L->i64, slow_args, 4, 0);
  LLVMTypeRef stream_fields[] = {L->i64, ptr_to(L, L->i64), ptr_to(L, p8), ptr_to(L, p8)};
  L->stream_t = LLVMStructTypeInContext(C, stream_fields, 4, 0);
  LLVMTypeRef ctx_fields[] = {L->i64, ptr_to(L, L->i64), ptr_to(L, p8), ptr_to(L, p8), L->i64, p8, ptr_to(L, L->slow_t), L->i64,
                              ptr_to(L, L->stream_t), ptr_to(L, L->i64), ptr_to(L, p8), p8, p8, ptr_to(L, L->i64)};
  L->ctx_t = LLVMStructTypeInContext(C, ctx_fields, 14, 0);
  LLVMTypeRef params[] = {p8, L->i64, ptr_to(L, L->ctx_t), p8, L->i64};
  LLVMValueRef fn = L->fn = LLVMAddFunction(L->M, u->name, LLVMFunctionType(LLVMVoidTypeInContext(C), params, 5, 0));
  unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
  unsigned readonly = LLVMGetEnumAttributeKindForName("readonly", 8);
  unsigned nocapture = LLVMGetEnumAttributeKindForName("nocapture", 9);
  for (unsigned i = 1; i <= 4; i += 1) {
    if (i == 2) continue;
    LLVMAddAttributeAtIndex(fn, i, LLVMCreateEnumAttribute(C, noalias, 0));
    LLVMAddAttributeAtIndex(fn, i, LLVMCreateEnumAttribute(C, nocapture, 0));
    if (i != 4) LLVMAddAttributeAtIndex(fn, i, LLVMCreateEnumAttribute(C, readonly, 0));
  }
  /* vf = 8 means 512-bit vectors: let the code generator use them whole */
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateStringAttribute(C, "prefer-vector-width", 19, "512", 3));
  L->block = LLVMGetParam(fn, 0);
  L->n = LLVMGetParam(fn, 1);
  L->ctx = LLVMGetParam(fn, 2);
  L->out = LLVMGetParam(fn, 3);
  L->stride = LLVMGetParam(fn, 4);
  L->entry = LLVMAppendBasicBlockInContext(C, fn, "entry");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(C, fn, "records");
  L->done = LLVMAppendBasicBlockInContext(C, fn, "done");
  LLVMPositionBuilderAtEnd(L->B, L->entry);
  LLVMBuildCondBr(L->B, LLVMBuildICmp(L->B, LLVMIntSGT, L->n, s64(L, 0), ""), body, L->done);
  LLVMPositionBuilderAtEnd(L->B, body);
}

static void unit_end(lower *L) {
  LLVMBuildBr(L->B, L->done);
  LLVMPositionBuilderAtEnd(L->B, L->done);
  LLVMBuildRetVoid(L->B);
  if (L->vf == 1) mark_noalias(L, L->fn);
  LLVMDisposeBuilder(L->B);
}

/* One main loop over the whole block, vf records at a time: outputs
 * [k0, k1) (at most LOWER_CHUNK).  The stores come after every value is
 * computed, so every load of the body precedes them and equal loads merge
 * (early CSE). */
static void main_loop(lower *L, int k0, int k1) {
  seg_pack *pk = L->pk;
  int nseg = pk->prog->segments.n;
  /* every main loop covers the whole block (a partial one's padding holds
     valid values, rt_block_padded): a constant trip count that vf divides */
  lower_loop loop = lower_loop_begin(L, s64(L, RT_BLOCK));
  lower_prefetch_ahead(L);
  memset(L->seg_done, 0, (size_t)nseg * sizeof *L->seg_done); /* values of another loop do not dominate */
  L->stored_segments = k0 < nseg ? k0 : nseg;
  lv v[LOWER_CHUNK];
  for (int k = k0; k < k1; k++) {
    const pack_output *o = &pk->outputs[k];
    v[k - k0] = o->is_segment ? lower_segment(L, ((seg_segment *)pk->prog->segments.items[k])->index) : lower_node(L, o->expr);
  }
  for (int k = k0; k < k1; k++) { /* TRUE: value and not null; UNKNOWN: null */
    lv x = v[k - k0];
    store_bits(L, x.null ? LLVMBuildAnd(L->B, x.v, LLVMBuildNot(L->B, x.null, ""), "") : x.v, out_bits_at(L, k, false));
    if (x.null) store_bits(L, x.null, out_bits_at(L, k, true));
  }
  lower_loop_end(L, loop);
}

lower_unit *lower_pack(seg_pack *pk, int vf, int *nunits) {
  lower L = {0};
  L.pk = pk;
  int nseg = pk->prog->segments.n;
  int nloops = (pk->noutputs + LOWER_CHUNK - 1) / LOWER_CHUNK, per_unit = LOWER_UNIT / LOWER_CHUNK;
  lower_unit *units = calloc((size_t)(nloops + per_unit - 1) / (size_t)per_unit + 2, sizeof *units);
  L.seg_cache = calloc((size_t)nseg + 1, sizeof(lv));
  L.seg_done = calloc((size_t)nseg + 1, sizeof(bool));
  int nfields = pk->prog->schema->nfields;
  L.field_cache = calloc((size_t)nfields + 1, sizeof(lv));
  L.field_loop = calloc((size_t)nfields + 1, sizeof(int));
  L.range_loop = calloc((size_t)nfields + 1, sizeof(int));
  L.range_bad = calloc((size_t)nfields + 1, sizeof(LLVMValueRef));
  L.invariant = calloc((size_t)pk->prog->nnodes + 1, sizeof(lv));
  L.invariant_unit = calloc((size_t)pk->prog->nnodes + 1, sizeof(int));
  int n = 0;
  if (!units || !L.seg_cache || !L.seg_done || !L.field_cache || !L.field_loop || !L.range_loop || !L.range_bad ||
      !L.invariant || !L.invariant_unit)
    goto done;
  /* the aggregates first, in their own loop and unit (it has inner loops),
     so the main loops stay free of them: one basic block of vector code */
  lower_agg_plan(&L);
  lower_shared_plan(&L);
  pk->nscratch = L.naggs + L.nshared;
  L.ahead_loops = nloops + (L.nshared > 0);
  ahead_plan(&L);
  if (L.naggs) {
    unit_begin(&L, &units[n], n, 1);
    units[n++].aggregates = true;
    lower_agg_phase(&L);
    unit_end(&L);
  }
  /* the outputs, LOWER_CHUNK at a time, each chunk in its own loop (which
     keeps each body's values few enough for the registers), and LOWER_UNIT
     at a time in units compiled in parallel */
  for (int k0 = 0; k0 < pk->noutputs; k0 += LOWER_UNIT) {
    unit_begin(&L, &units[n], n, vf);
    n++;
    if (k0 == 0) lower_shared_loop(&L);
    for (int c0 = k0; c0 < k0 + LOWER_UNIT && c0 < pk->noutputs; c0 += LOWER_CHUNK)
      main_loop(&L, c0, c0 + LOWER_CHUNK < pk->noutputs ? c0 + LOWER_CHUNK : pk->noutputs);
    unit_end(&L);
  }
  if (n == 0) { /* nothing to compute: one empty function */
    unit_begin(&L, &units[n], n, 1);
    n++;
    unit_end(&L);
  }
done:
  free(L.seg_cache);
  free(L.seg_done);
  free(L.field_cache);
  free(L.field_loop);
  free(L.range_loop);
  free(L.range_bad);
  free(L.invariant);
  free(L.invariant_unit);
  free(L.aggs);
  ast_map_free(&L.lift_shapes);
  free(L.shared);
  free(L.shared_slot);
  free(L.shared_null);
  free(L.ahead);
  *nunits = n;
  return units;
}
