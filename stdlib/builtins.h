/* stdlib/builtins.h — the registry of built-in functions (builtins.def). */
#ifndef SEGC_BUILTINS_H
#define SEGC_BUILTINS_H

#include <stdbool.h>

typedef enum {
#define B(id, name, mn, mx, arg, res, mayn) BI_##id,
#include "builtins.def"
#undef B
  BI__COUNT
} builtin_id;

typedef enum {
  ARG_NUMERIC, ARG_NUMERIC2, ARG_ROUND, ARG_STR, ARG_STR2, ARG_STR_PATTERN, ARG_TIME, ARG_TIMESTAMP
} builtin_args;

typedef enum { RES_ARG0, RES_COMMON, RES_BOOL, RES_STRING, RES_INT64, RES_DATE } builtin_result;

typedef struct builtin {
  const char *name;
  int min_args, max_args;
  builtin_args args;
  builtin_result result;
  bool may_null;
} builtin;

extern const builtin builtins[BI__COUNT];
/* -1 when no builtin has that name. */
int builtin_find(const char *name);

#endif
