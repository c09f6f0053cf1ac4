/* compiler/pack.c — a pack's outputs, and its compilation pipeline:
 * lower -> verify -> optimise (O3 for the host CPU) -> JIT with ORC, or emit
 * the IR / assembly instead.  One LLVM context and one JIT per pack. */
#include "pack.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llvm_compat.h"
#include "lower.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

seg_pack *pack_new(seg_program *prog, ast **extra, const char **extra_names, int nextra) {
  seg_pack *p = calloc(1, sizeof *p);
  p->prog = prog;
  rt_layout_init(&p->layout, prog->schema);
  int nseg = prog->segments.n;
  p->noutputs = nseg + nextra;
  p->outputs = calloc((size_t)p->noutputs + 1, sizeof(pack_output));
  for (int i = 0; i < nseg; i++) {
    seg_segment *s = prog->segments.items[i];
    p->outputs[i] = (pack_output){s->name, s->desc, s->rule, true};
  }
  for (int i = 0; i < nextra; i++) p->outputs[nseg + i] = (pack_output){extra_names ? extra_names[i] : "", NULL, extra[i], false};
  return p;
}

void pack_free(seg_pack *p) {
  if (!p) return;
  if (p->jit) LLVMOrcDisposeLLJIT(p->jit);
  rt_layout_free(&p->layout);
  free(p->outputs);
  free(p->lifts);
  free(p->slow);
  free(p->strlits);
  free(p->object);
  free(p);
}

static bool take_error(LLVMErrorRef e, const char *what, char *err, size_t errlen) {
  if (!e) return true;
  char *msg = LLVMGetErrorMessage(e);
  snprintf(err, errlen, "%s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
  return false;
}

static void host_machine_init(void) {
  static bool ready;
  if (!ready) {
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    ready = true;
  }
}

static LLVMTargetMachineRef host_machine(char *err, size_t errlen) {
  host_machine_init();
  char *triple = LLVMGetDefaultTargetTriple();
  LLVMTargetRef target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    snprintf(err, errlen, "no LLVM target for %s: %s", triple, msg);
    LLVMDisposeMessage(msg);
    LLVMDisposeMessage(triple);
    return NULL;
  }
  char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive,
                                                    LLVMRelocDefault, LLVMCodeModelJITDefault);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  LLVMDisposeMessage(triple);
  return tm;
}

/* An LLJIT for jtmb's machine (consumed) that resolves C library symbols
 * in the process (frem on doubles becomes a call to fmod). */
static LLVMOrcLLJITRef start_jit(LLVMOrcJITTargetMachineBuilderRef jtmb, char *err, size_t errlen) {
  LLVMOrcLLJITBuilderRef jb = LLVMOrcCreateLLJITBuilder();
  LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(jb, jtmb);
  LLVMOrcLLJITRef jit;
  if (!take_error(LLVMOrcCreateLLJIT(&jit, jb), "starting the JIT", err, errlen)) return NULL;
  LLVMOrcDefinitionGeneratorRef gen;
  if (!take_error(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(jit), NULL, NULL),
                  "starting the JIT", err, errlen)) {
    LLVMOrcDisposeLLJIT(jit);
    return NULL;
  }
  LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), gen);
  return jit;
}

/* Looks pack_eval up (which materialises the code) and keeps the JIT. */
static bool finish_jit(seg_pack *p, LLVMOrcLLJITRef jit, char *err, size_t errlen) {
  LLVMOrcExecutorAddress addr = 0;
  if (!take_error(LLVMOrcLLJITLookup(jit, &addr, "pack_eval"), "compiling", err, errlen)) {
    LLVMOrcDisposeLLJIT(jit);
    return false;
  }
  p->jit = jit;
  p->eval = (pack_eval_fn)(uintptr_t)addr;
  return true;
}

bool pack_compile(seg_pack *p, pack_mode mode, FILE *out, char *err, size_t errlen) {
  double t0 = now_seconds();
  LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
  LLVMContextRef C = LLVMOrcThreadSafeContextGetContext(tsc);
  p->nlifts = p->nslow = p->nstrlits = 0;
  LLVMModuleRef M = lower_pack(p, C);
  char *msg = NULL;
  if (LLVMVerifyModule(M, LLVMReturnStatusAction, &msg)) {
    snprintf(err, errlen, "internal error: the generated module does not verify: %s", msg);
    LLVMDisposeMessage(msg);
    LLVMDisposeModule(M);
    LLVMOrcDisposeThreadSafeContext(tsc);
    return false;
  }
  LLVMDisposeMessage(msg);
  double t1 = now_seconds();
  LLVMTargetMachineRef tm = host_machine(err, errlen);
  if (!tm) {
    LLVMDisposeModule(M);
    LLVMOrcDisposeThreadSafeContext(tsc);
    return false;
  }
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  char *layout = LLVMCopyStringRepOfTargetData(td);
  LLVMSetDataLayout(M, layout);
  LLVMDisposeMessage(layout);
  LLVMDisposeTargetData(td);
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(M, triple);
  LLVMDisposeMessage(triple);
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  LLVMPassBuilderOptionsSetLoopVectorization(opts, 1);
  LLVMPassBuilderOptionsSetSLPVectorization(opts, 1);
  bool ok = take_error(LLVMRunPasses(M, "default<O3>", tm, opts), "optimising", err, errlen);
  LLVMDisposePassBuilderOptions(opts);
  double t2 = now_seconds();
  p->seconds_lower = t1 - t0;
  p->seconds_optimise = t2 - t1;
  if (ok && mode == PACK_EMIT_IR) {
    char *ir = LLVMPrintModuleToString(M);
    fputs(ir, out);
    LLVMDisposeMessage(ir);
  } else if (ok && mode == PACK_EMIT_ASM) {
    LLVMMemoryBufferRef buf;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, M, LLVMAssemblyFile, &msg, &buf)) {
      snprintf(err, errlen, "emitting assembly: %s", msg);
      LLVMDisposeMessage(msg);
      ok = false;
    } else {
      fwrite(LLVMGetBufferStart(buf), 1, LLVMGetBufferSize(buf), out);
      LLVMDisposeMemoryBuffer(buf);
    }
  }
  if (ok && mode == PACK_OBJECT) {
    LLVMMemoryBufferRef buf;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, M, LLVMObjectFile, &msg, &buf)) {
      snprintf(err, errlen, "emitting machine code: %s", msg);
      LLVMDisposeMessage(msg);
      ok = false;
    } else {
      p->object_len = LLVMGetBufferSize(buf);
      p->object = malloc(p->object_len + 1);
      if (p->object) memcpy(p->object, LLVMGetBufferStart(buf), p->object_len);
      else ok = false;
      LLVMDisposeMemoryBuffer(buf);
    }
  }
  if (!ok || mode != PACK_NATIVE) {
    LLVMDisposeTargetMachine(tm);
    LLVMDisposeModule(M);
    LLVMOrcDisposeThreadSafeContext(tsc);
    return ok;
  }
  /* JIT for the same host machine: the builder takes the target machine */
  LLVMOrcJITTargetMachineBuilderRef jtmb = LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm);
  LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(M, tsc);
  LLVMOrcDisposeThreadSafeContext(tsc);
  LLVMOrcLLJITRef jit = start_jit(jtmb, err, errlen);
  if (!jit) {
    LLVMOrcDisposeThreadSafeModule(tsm);
    return false;
  }
  if (!take_error(LLVMOrcLLJITAddLLVMIRModule(jit, LLVMOrcLLJITGetMainJITDylib(jit), tsm), "adding the module", err, errlen)) {
    LLVMOrcDisposeLLJIT(jit);
    return false;
  }
  if (!finish_jit(p, jit, err, errlen)) return false;
  p->seconds_jit = now_seconds() - t2;
  return true;
}

bool pack_load_object(seg_pack *p, const void *object, size_t len, char *err, size_t errlen) {
  double t0 = now_seconds();
  host_machine_init();
  LLVMOrcJITTargetMachineBuilderRef jtmb;
  if (!take_error(LLVMOrcJITTargetMachineBuilderDetectHost(&jtmb), "starting the JIT", err, errlen)) return false;
  LLVMOrcLLJITRef jit = start_jit(jtmb, err, errlen);
  if (!jit) return false;
  LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(object, len, "segpack");
  if (!take_error(LLVMOrcLLJITAddObjectFile(jit, LLVMOrcLLJITGetMainJITDylib(jit), buf), "loading the pack", err, errlen)) {
    LLVMOrcDisposeLLJIT(jit);
    return false;
  }
  if (!finish_jit(p, jit, err, errlen)) return false;
  p->seconds_jit = now_seconds() - t0;
  return true;
}

size_t pack_scratch_offset(const seg_pack *p) { return ((size_t)p->noutputs * RT_BLOCK + 63) / 64 * 64; }

size_t pack_out_bytes(const seg_pack *p) {
  size_t n = pack_scratch_offset(p) + (size_t)p->naggs * RT_BLOCK * 9;
  return n ? n : RT_BLOCK;
}

/* What native code depends on besides the pack's text: LLVM and the CPU. */
void pack_host_key(char *buf, size_t size) {
  host_machine_init();
  char *triple = LLVMGetDefaultTargetTriple(), *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
  snprintf(buf, size, "llvm %s; %s; %s; %s", compat_llvm_version(), triple, cpu, features);
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
}
