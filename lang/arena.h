/* lang/arena.h — the bump allocator that owns one compilation.
 *
 * Tokens' text, AST nodes, types, symbols and diagnostics of one program all
 * come from one arena and are released by arena_free.  Nothing allocated
 * here is freed individually. */
#ifndef SEGC_ARENA_H
#define SEGC_ARENA_H

#include <stddef.h>

typedef struct arena arena;

arena *arena_new(void);
void arena_free(arena *a);
/* Zeroed, 16-byte aligned memory; aborts only if the machine is out of memory. */
void *arena_alloc(arena *a, size_t size);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Interns an identifier: equal strings give the same pointer. */
const char *arena_intern(arena *a, const char *s, size_t n);

/* A growable array of pointers in an arena (old storage is abandoned). */
typedef struct ptrvec {
  void **items;
  int n, cap;
} ptrvec;
void ptrvec_push(arena *a, ptrvec *v, void *item);

#endif
