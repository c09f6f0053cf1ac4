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
  int nclasses, cap;
  ast_map shapes; /* class numbers */
  int *class_of;  /* [nnodes]: class number + 1 of each candidate */
  bool oom;
} shared_plan;

static void shared_note(shared_plan *P, ast *n, int loop) {
  if (P->nclasses == P->cap) {
    int cap = P->cap ? 2 * P->cap : 64;
    shared_class *grown = realloc(P->classes, sizeof *grown * (size_t)cap);
    if (!grown) {
      P->oom = true;
      return;
    }
    P->classes = grown, P->cap = cap;
  }
  int c = ast_map_get_or_put(&P->shapes, n, P->nclasses);
  if (c < 0) {
    P->oom = true;
    return;
  }
  if (c == P->nclasses) P->classes[P->nclasses++] = (shared_class){n, loop, -1};
  else if (P->classes[c].first_loop != loop) P->classes[c].slot = 0; /* seen in two loops: gets a slot */
  P->class_of[n->id] = c + 1;
}

/* The outermost candidates of n (a candidate's own calls are computed with it). */
static void shared_walk(lower *L, shared_plan *P, ast *n, int loop) {
  if (!n || n->kind == AST_AGG) return;
  const ast *t, *k;
  int op;
  if (lower_days_compare(n, &t, &k, &op)) return; /* its days_since is never computed (t is a field or a constant) */
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
  ast_map_free(&P.shapes);
  free(P.class_of);
}

void lower_shared_loop(lower *L) {
  if (!L->nshared) return;
  lower_loop loop = lower_loop_begin(L, s64(L, RT_BLOCK)); /* the whole block, as the main loops */
  lower_prefetch_ahead(L);
  /* the values, then the stores, so that the loads all come first (out of
     memory: each store after its value) */
  lv *vals = malloc(sizeof *vals * (size_t)L->nshared);
  for (int s = 0; s < L->nshared; s++) {
    lv v = lower_node(L, L->shared[s]);
    L->shared_null[s] = v.null != NULL;
    if (vals) vals[s] = v;
    else lower_scratch_store(L, L->naggs + s, v, L->shared[s]->type);
  }
  for (int s = 0; vals && s < L->nshared; s++) lower_scratch_store(L, L->naggs + s, vals[s], L->shared[s]->type);
  free(vals);
  lower_loop_end(L, loop);
  L->shared_ready = true;
}

bool lower_shared_value(lower *L, const ast *n, lv *out) {
  if (!L->shared_ready || L->in_loop || n->id < 0 || n->id >= L->pk->prog->nnodes || !L->shared_slot[n->id]) return false;
  int slot = L->shared_slot[n->id] - 1;
  *out = lower_scratch_load(L, slot, n->type, L->shared_null[slot - L->naggs]);
  return true;
}
