/* compiler/llvm_compat.h — every difference between LLVM 14 and 19 the
 * project meets, in one place.
 *
 * LLVM 14 still has typed pointers: a load through an i8* needs a bitcast to
 * the element's pointer type first.  From LLVM 15 pointers are opaque and
 * such casts disappear.  No other file tests LLVM_VERSION_MAJOR. */
#ifndef SEGC_LLVM_COMPAT_H
#define SEGC_LLVM_COMPAT_H

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm/Config/llvm-config.h>

#if LLVM_VERSION_MAJOR < 14 || LLVM_VERSION_MAJOR > 19
#error "segc supports LLVM 14 to 19"
#endif

static inline const char *compat_llvm_version(void) { return LLVM_VERSION_STRING; }

/* instcombine in a textual pipeline: from LLVM 18 it checks by default that
 * one run reached a fixpoint (a testing aid that aborts), which the O-level
 * pipelines turn off; LLVM 14 has no such parameter. */
#if LLVM_VERSION_MAJOR >= 18
#define COMPAT_INSTCOMBINE "instcombine<no-verify-fixpoint>"
#else
#define COMPAT_INSTCOMBINE "instcombine"
#endif

/* The pointer type used for element type `elem` in address space 0. */
static inline LLVMTypeRef compat_ptr_type(LLVMContextRef ctx, LLVMTypeRef elem) {
#if LLVM_VERSION_MAJOR >= 15
  (void)elem;
  return LLVMPointerTypeInContext(ctx, 0);
#else
  (void)ctx;
  return LLVMPointerType(elem, 0);
#endif
}

/* `ptr` viewed as a pointer to `elem` (a no-op with opaque pointers). */
static inline LLVMValueRef compat_ptr_cast(LLVMBuilderRef b, LLVMValueRef ptr, LLVMTypeRef elem) {
#if LLVM_VERSION_MAJOR >= 15
  (void)b;
  (void)elem;
  return ptr;
#else
  return LLVMBuildBitCast(b, ptr, LLVMPointerType(elem, 0), "");
#endif
}

static inline LLVMValueRef compat_intrinsic(LLVMModuleRef m, const char *name, LLVMTypeRef *types, size_t ntypes) {
  unsigned id = LLVMLookupIntrinsicID(name, __builtin_strlen(name));
  return LLVMGetIntrinsicDeclaration(m, id, types, ntypes);
}

static inline LLVMTypeRef compat_intrinsic_type(LLVMContextRef ctx, const char *name, LLVMTypeRef *types, size_t ntypes) {
  unsigned id = LLVMLookupIntrinsicID(name, __builtin_strlen(name));
  return LLVMIntrinsicGetType(ctx, id, types, ntypes);
}

/* element k of a constant vector */
static inline LLVMValueRef compat_const_element(LLVMValueRef v, unsigned k) {
#if LLVM_VERSION_MAJOR >= 15
  return LLVMGetAggregateElement(v, k);
#else
  return LLVMGetElementAsConstant(v, k);
#endif
}

#endif
