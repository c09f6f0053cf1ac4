/* runtime/library.h — what the public API's implementation files share. */
#ifndef SEGC_LIBRARY_H
#define SEGC_LIBRARY_H

#include "interp.h"
#include "lang/ast.h"

struct segc_program {
  seg_program *prog;
  char **roots;          /* the rule files it was loaded from */
  int nroots;
  struct seg_pack *prebuilt; /* from a .segpack: runs without compiling */
};

bool library_parse_instant(const char *text, int64_t *usec);
int64_t library_wall_clock(void);
bool library_consts(const seg_program *prog, int64_t now, const char *const *set, int nset, ival *out, char *err,
                    size_t errlen);

#endif
