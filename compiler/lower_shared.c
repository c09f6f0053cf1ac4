/* compiler/lower_shared.c — expressions computed once per record for every
 * main loop that uses them.
 *
 * The main loops each compute their own outputs, so an expression used by
 * segments in several loops (`days_since(last_purchase_at)`, `month(birth_date)`
 * in a pack of many similar segments) would be computed, and compiled, once
 * per loop.  A call on record fields that occurs, with the same shape
 * (ast_same), in the outputs of two loops or more is instead computed in a
 * loop of its own before the main loops, into a scratch column after the
 * aggregates' (lower_scratch_store), and every occurrence reads it. */
#include <stdlib.h>

#include "lower_internal.h"

/* A call worth sharing: reads a field, and no strings (lifts), aggregates,
 * events or segments (which other loops provide). */
static bool shared_reads_field(const ast *n, bool *bad) {
  if (!n) return false;
  if (n->kind == AST_AGG || n->kind == AST_EVFIELD || n->kind == AST_SEGREF || n->type.kind == TY_STRING) *bad = true;
  bool f = n->kind == AST_FIELD;
  f |= shared_reads_field(n->a, bad);
  f |= shared_reads_field(n->b, bad);
  f |= shared_reads_field(n->c, bad);
  for (int i = 0; i < n->nargs; i++) f |= shared_reads_field(n->args[i], bad);
  return f;
}

static bool shared_candidate(const lower *L, const ast *n) {
  if (n->kind != AST_CALL || n->id < 0 || n->id >= L->pk->prog->nnodes) return false;
  bool bad = false;
  return shared_reads_field(n, &bad) && !bad;
}

typedef struct shared_class {
  ast *rep;
  int first_loop, slot; /* slot: -1 until it occurs in a second loop */
} shared_class;

typedef struct shared_plan {
  shared_class *classes;
  int nclasses;
  int *index; /* open addressing: class number + 1, or 0 */
  size_t cap;
  int *class_of; /* [nnodes]: class number + 1 of each candidate */
  bool oom;
} shared_plan;

/* Grows the index to cap slots, and the classes to cap / 2 (the load stays <= 1/2). */
static void shared_rehash(shared_plan *P, size_t cap) {
  int *index = calloc(cap, sizeof *index);
  shared_class *classes = index ? realloc(P->classes, sizeof *classes * (cap / 2)) : NULL;
  if (!classes) {
    free(index);
    P->oom = true;
    return;
  }
  P->classes = classes;
  for (int c = 0; c < P->nclasses; c++) {
    size_t s = (size_t)ast_hash(P->classes[c].rep) & (cap - 1);
    while (index[s]) s = (s + 1) & (cap - 1);
    index[s] = c + 1;
  }
  free(P->index);
  P->index = index;
  P->cap = cap;
}

static void shared_note(shared_plan *P, ast *n, int loop) {
  if (2 * (size_t)(P->nclasses + 1) >= P->cap) shared_rehash(P, P->cap ? 2 * P->cap : 64);
  if (P->oom) return;
  size_t s = (size_t)ast_hash(n) & (P->cap - 1);
  for (; P->index[s]; s = (s + 1) & (P->cap - 1)) {
    shared_class *c = &P->classes[P->index[s] - 1];
    if (ast_same(c->rep, n)) {
      if (c->first_loop != loop) c->slot = 0; /* seen in two loops: gets a slot */
      P->class_of[n->id] = P->index[s];
      return;
    }
  }
  P->classes[P->nclasses] = (shared_class){n, loop, -1};
  P->index[s] = ++P->nclasses;
  P->class_of[n->id] = P->nclasses;
}

/* The outermost candidates of n (a candidate's own calls are computed with it). */
static void shared_walk(lower *L, shared_plan *P, ast *n, int loop) {
  if (!n || n->kind == AST_AGG) return;
  if (shared_candidate(L, n)) {
    shared_note(P, n, loop);
    return;
  }
  shared_walk(L, P, n->a, loop);
  shared_walk(L, P, n->b, loop);
  shared_walk(L, P, n->c, loop);
  for (int i = 0; i < n->nargs; i++) shared_walk(L, P, n->args[i], loop);
}

void lower_shared_plan(lower *L) {
  const seg_pack *pk = L->pk;
  int nnodes = pk->prog->nnodes;
  shared_plan P = {0};
  P.class_of = calloc((size_t)nnodes + 1, sizeof *P.class_of);
  L->shared_slot = calloc((size_t)nnodes + 1, sizeof *L->shared_slot);
  if (!P.class_of || !L->shared_slot) goto done;
  for (int k = 0; k < pk->noutputs && !P.oom; k++) shared_walk(L, &P, pk->outputs[k].expr, k / LOWER_CHUNK);
  if (P.oom) goto done; /* nothing is shared: every loop computes its own */
  L->shared = malloc(sizeof(ast *) * (size_t)(P.nclasses + 1));
  L->shared_null = calloc((size_t)P.nclasses + 1, sizeof *L->shared_null);
  if (!L->shared || !L->shared_null) goto done;
  for (int c = 0; c < P.nclasses; c++)
    if (P.classes[c].slot == 0) {
      P.classes[c].slot = L->naggs + L->nshared;
      L->shared[L->nshared++] = P.classes[c].rep;
    }
  for (int id = 0; id < nnodes; id++)
    if (P.class_of[id] && P.classes[P.class_of[id] - 1].slot >= 0) L->shared_slot[id] = P.classes[P.class_of[id] - 1].slot + 1;
done:
  free(P.classes);
  free(P.index);
  free(P.class_of);
}

void lower_shared_loop(lower *L) {
  if (!L->nshared) return;
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(L->B);
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(L->C, L->fn, "shared");
  LLVMBuildBr(L->B, body);
  LLVMPositionBuilderAtEnd(L->B, body);
  L->i = LLVMBuildPhi(L->B, L->i64, "i");
  for (int s = 0; s < L->nshared; s++) {
    lv v = lower_node(L, L->shared[s]);
    L->shared_null[s] = v.null != NULL;
    lower_scratch_store(L, L->naggs + s, v, L->shared[s]->type);
  }
  LLVMValueRef next = LLVMBuildAdd(L->B, L->i, c64(L, 1), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(L->B);
  LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(L->C, L->fn, "shared_done");
  LLVMBuildCondBr(L->B, LLVMBuildICmp(L->B, LLVMIntULT, next, c64(L, RT_BLOCK), ""), body, after);
  LLVMValueRef zero = c64(L, 0);
  LLVMAddIncoming(L->i, &zero, &pre, 1);
  LLVMAddIncoming(L->i, &next, &latch, 1);
  LLVMPositionBuilderAtEnd(L->B, after);
  L->shared_ready = true;
}

bool lower_shared_value(lower *L, const ast *n, lv *out) {
  if (!L->shared_ready || L->in_loop || n->id < 0 || n->id >= L->pk->prog->nnodes || !L->shared_slot[n->id]) return false;
  int slot = L->shared_slot[n->id] - 1;
  *out = lower_scratch_load(L, slot, n->type, L->shared_null[slot - L->naggs]);
  return true;
}
