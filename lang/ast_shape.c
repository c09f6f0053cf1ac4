/* lang/ast_shape.c — the shape of a checked expression: a hash that is the
 * same in every process for the same text (segpack names nodes by it), and
 * structural equality (the compiler computes equal lifted expressions once). */
#include <string.h>

#include "ast.h"

static uint64_t shape_fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *s = p;
  for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * UINT64_C(1099511628211);
  return h;
}

static size_t shape_name_len(const ast *n) { return n->kind == AST_LIT_STR ? n->len : strlen(n->name); }

uint64_t ast_hash(const ast *n) {
  uint64_t h = UINT64_C(1469598103934665603);
  if (!n) return h;
  int64_t fixed[] = {n->kind, n->op, n->index, n->type.kind, n->type.scale, n->v.i, n->nargs, n->scope, n->nullable};
  h = shape_fnv(h, fixed, sizeof fixed);
  if (n->name) h = shape_fnv(h, n->name, shape_name_len(n));
  uint64_t kids[] = {ast_hash(n->a), ast_hash(n->b), ast_hash(n->c)};
  h = shape_fnv(h, kids, sizeof kids);
  for (int i = 0; i < n->nargs; i++) {
    uint64_t k = ast_hash(n->args[i]);
    h = shape_fnv(h, &k, sizeof k);
  }
  return h;
}

bool ast_same(const ast *a, const ast *b) {
  if (a == b) return true;
  if (!a || !b) return false;
  if (a->kind != b->kind || a->op != b->op || a->index != b->index || a->v.i != b->v.i || a->nargs != b->nargs ||
      a->scope != b->scope || a->nullable != b->nullable || a->type.kind != b->type.kind ||
      a->type.prec != b->type.prec || a->type.scale != b->type.scale || a->type.members != b->type.members)
    return false;
  if (!a->name != !b->name) return false;
  if (a->name && (shape_name_len(a) != shape_name_len(b) || memcmp(a->name, b->name, shape_name_len(a)) != 0)) return false;
  if (!ast_same(a->a, b->a) || !ast_same(a->b, b->b) || !ast_same(a->c, b->c)) return false;
  for (int i = 0; i < a->nargs; i++)
    if (!ast_same(a->args[i], b->args[i])) return false;
  return true;
}
