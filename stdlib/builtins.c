/* stdlib/builtins.c — the registry table expanded from builtins.def. */
#include "builtins.h"

#include <string.h>

const builtin builtins[BI__COUNT] = {
#define B(id, name, mn, mx, arg, res, mayn) {name, mn, mx, arg, res, mayn},
#include "builtins.def"
#undef B
};

int builtin_find(const char *name) {
  for (int i = 0; i < BI__COUNT; i++)
    if (strcmp(builtins[i].name, name) == 0) return i;
  return -1;
}
