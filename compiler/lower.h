/* compiler/lower.h — lowering a pack to an LLVM module (lower.c). */
#ifndef SEGC_LOWER_H
#define SEGC_LOWER_H

#include <llvm-c/Core.h>

#include "pack.h"

/* Builds the module with `pack_eval`; records the pack's lifts and slow
 * expressions as it meets them. */
LLVMModuleRef lower_pack(seg_pack *pk, LLVMContextRef C);

#endif
