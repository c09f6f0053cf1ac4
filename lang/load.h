/* lang/load.h — building a program from files and texts. */
#ifndef SEGC_LOAD_H
#define SEGC_LOAD_H

#include "ast.h"

seg_program *seg_program_new(void);
void seg_program_free(seg_program *p);
/* Loads a file and (recursively) its imports; `from` is the import's span. */
bool seg_load_file(seg_program *prog, const char *path, seg_span from, bool has_from);
/* Parses an in-memory text as a file named `name` (imports resolve against
 * its directory). */
void seg_load_text(seg_program *prog, const char *name, const char *text, size_t len);
/* Resolves names and types every expression (lang/check.c); false on error. */
bool seg_check(seg_program *prog);

#endif
