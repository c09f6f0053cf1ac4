/* compiler/lower.h — lowering a pack to LLVM modules (lower.c). */
#ifndef SEGC_LOWER_H
#define SEGC_LOWER_H

#include <llvm-c/Core.h>

#include "pack.h"

/* One compilation unit: a module in its own context, so units are optimised
 * and compiled on separate threads.  It defines `name` (pack_unit_<i>), a
 * pack_eval_fn; a block runs through the units in order. */
typedef struct lower_unit {
  LLVMContextRef C;
  LLVMModuleRef M;
  char name[24];
  bool aggregates; /* the aggregates loop (scalar, inner loops), else main loops */
} lower_unit;

/* Lowers the pack into *nunits units (a malloc'd array; the caller disposes
 * each module and context), the main loops vf records at a time; records
 * the pack's lifts, slow expressions and aggregates as it meets them. */
lower_unit *lower_pack(seg_pack *pk, int vf, int *nunits);

#endif
