/* lang/arena.c — chunked bump allocation plus an identifier intern table
 * (open addressing, owned by the arena). */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
  struct chunk *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
} chunk;

struct arena {
  chunk *head;
  const char **interned;
  size_t ninterned, capinterned;
};

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) {
    fputs("segc: out of memory\n", stderr);
    abort();
  }
  return p;
}

arena *arena_new(void) { return xcalloc(1, sizeof(arena)); }

void arena_free(arena *a) {
  if (!a) return;
  for (chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(a->interned);
  free(a);
}

void *arena_alloc(arena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  chunk *c = a->head;
  if (!c || c->size - c->used < size) {
    size_t csize = size > 65536 ? size : 65536;
    c = xcalloc(1, sizeof(chunk) + csize);
    c->size = csize;
    c->next = a->head;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *arena_printf(arena *a, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = arena_alloc(a, (size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}

static uint64_t hash(const char *s, size_t n) {
  uint64_t h = UINT64_C(14695981039346656037);
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
  return h;
}

const char *arena_intern(arena *a, const char *s, size_t n) {
  if (a->ninterned * 2 >= a->capinterned) {
    size_t cap = a->capinterned ? a->capinterned * 2 : 256;
    const char **t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < a->capinterned; i++) {
      const char *e = a->interned[i];
      if (!e) continue;
      size_t j = hash(e, strlen(e)) & (cap - 1);
      while (t[j]) j = (j + 1) & (cap - 1);
      t[j] = e;
    }
    free(a->interned);
    a->interned = t;
    a->capinterned = cap;
  }
  size_t j = hash(s, n) & (a->capinterned - 1);
  for (; a->interned[j]; j = (j + 1) & (a->capinterned - 1))
    if (strncmp(a->interned[j], s, n) == 0 && a->interned[j][n] == 0) return a->interned[j];
  a->ninterned++;
  return a->interned[j] = arena_strndup(a, s, n);
}

void ptrvec_push(arena *a, ptrvec *v, void *item) {
  if (v->n == v->cap) {
    int cap = v->cap ? v->cap * 2 : 8;
    void **items = arena_alloc(a, sizeof(void *) * (size_t)cap);
    if (v->n) memcpy(items, v->items, sizeof(void *) * (size_t)v->n);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = item;
}
