/* lang/ast_shape.c — the shape of a checked expression: a hash that is the
 * same in every process for the same text (segpack names nodes by it),
 * structural equality, and a map keyed by shape (the compiler computes equal
 * lifted and shared expressions once). */
#include <stdlib.h>
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

struct ast_map_entry {
  uint64_t hash;
  const ast *key; /* NULL: empty */
  int value;
};

static bool ast_map_grow(ast_map *m) {
  size_t cap = m->cap ? 2 * m->cap : 64;
  struct ast_map_entry *e = calloc(cap, sizeof *e);
  if (!e) return false;
  for (size_t i = 0; i < m->cap; i++)
    if (m->entries[i].key) {
      size_t s = (size_t)m->entries[i].hash & (cap - 1);
      while (e[s].key) s = (s + 1) & (cap - 1);
      e[s] = m->entries[i];
    }
  free(m->entries);
  m->entries = e;
  m->cap = cap;
  return true;
}

int ast_map_get_or_put(ast_map *m, const ast *n, int value) {
  if (2 * (m->n + 1) > m->cap && !ast_map_grow(m)) return -1;
  uint64_t h = ast_hash(n);
  size_t s = (size_t)h & (m->cap - 1);
  for (; m->entries[s].key; s = (s + 1) & (m->cap - 1))
    if (m->entries[s].hash == h && ast_same(m->entries[s].key, n)) return m->entries[s].value;
  m->entries[s] = (struct ast_map_entry){h, n, value};
  m->n++;
  return value;
}

void ast_map_free(ast_map *m) {
  free(m->entries);
  m->entries = NULL;
  m->cap = m->n = 0;
}
