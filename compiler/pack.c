/* compiler/pack.c — a pack's outputs, and its compilation pipeline: lower
 * into units -> verify, optimise and generate machine code for the host CPU,
 * one unit per thread at a time -> load the objects into memory
 * (objload.h), or emit the IR / assembly instead.  One LLVM context per
 * unit. */
#include "pack.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llvm_compat.h"
#include "runtime/lift_plan.h"
#include "lower.h"
#include "objload.h"
#include "runtime/parallel.h"

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
  for (int u = 0; p->images && u < p->nunits; u++) obj_unload(&p->images[u]);
  free(p->images);
  free(p->units);
  for (int u = 0; p->objects && u < p->nunits; u++) free(p->objects[u]);
  free(p->objects);
  free(p->object_lens);
  rt_layout_free(&p->layout);
  free(p->outputs);
  for (int k = 0; p->plans && k < p->nlifts; k++) lift_plan_free(&p->plans[k]);
  free(p->plans);
  free(p->lifts);
  free(p->slow);
  free(p->strlits);
  for (int k = 0; p->prefixes && k < p->nprefixes; k++) free(p->prefixes[k].text);
  free(p->prefixes);
  free(p);
}

static bool take_error(LLVMErrorRef e, const char *what, char *err, size_t errlen) {
  if (!e) return true;
  char *msg = LLVMGetErrorMessage(e);
  snprintf(err, errlen, "%s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
  return false;
}

static void host_machine_init_once(void) {
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
}

static void host_machine_init(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, host_machine_init_once);
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
  /* Position-independent code in the small model: objload.c puts a unit's
   * sections in one mapping, so its constants are reached relative to the
   * instruction; the JIT's large model loaded every constant's address
   * with a movabs first (30 of the 550 instructions of the bench's
   * attribute loops, 1-3% of their time). */
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive,
                                                    LLVMRelocPIC, LLVMCodeModelSmall);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  LLVMDisposeMessage(triple);
  return tm;
}

/* Records per iteration of the main loops: the int64 lanes of the host's
 * vector registers (512 bits with AVX-512, 256 with AVX2, else 128).
 * SEGC_LANES (1, 2, 4, 8 or 16) overrides it, for the tests. */
static int host_lanes(void) {
  const char *env = getenv("SEGC_LANES");
  int forced = env ? atoi(env) : 0;
  if (forced == 1 || forced == 2 || forced == 4 || forced == 8 || forced == 16) return forced;
  char *f = LLVMGetHostCPUFeatures();
  int vf = strstr(f, "+avx512f") ? 8 : strstr(f, "+avx2") ? 4 : 2;
  LLVMDisposeMessage(f);
  return vf;
}

/* ---- compiling the units, in parallel ---- */

/* The main loops come out of lower.c as vector code with every load before
 * the stores: early CSE merges the loads and expressions that segments
 * share, and instcombine narrows and folds what lowering left wide (an
 * int32 field compared with a constant: one 256-bit compare of the loaded
 * values, not a sign extension and a 512-bit one).  No loop vectoriser, no
 * GVN: most of what their optimisation cost.  The aggregates loop (inner
 * loops, reductions, branches) gets all of O3. */
#define PACK_LOOP_PASSES "function(early-cse," COMPAT_INSTCOMBINE ")"

typedef struct unit_job {
  lower_unit *u;
  pack_mode mode;
  char *code; /* IR or assembly text, or an object file */
  size_t len;
  bool ok;
  char err[512];
} unit_job;

typedef struct unit_queue {
  unit_job *jobs;
  int njobs;
  atomic_int next;
} unit_queue;

static bool compile_unit(LLVMTargetMachineRef tm, unit_job *job) {
  LLVMModuleRef M = job->u->M;
  char *msg = NULL;
  if (LLVMVerifyModule(M, LLVMReturnStatusAction, &msg)) {
    snprintf(job->err, sizeof job->err, "internal error: the generated module does not verify: %s", msg);
    LLVMDisposeMessage(msg);
    return false;
  }
  LLVMDisposeMessage(msg);
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
  bool ok = take_error(LLVMRunPasses(M, job->u->aggregates ? "default<O3>" : PACK_LOOP_PASSES, tm, opts), "optimising",
                       job->err, sizeof job->err);
  LLVMDisposePassBuilderOptions(opts);
  if (!ok) return false;
  if (job->mode == PACK_EMIT_IR) {
    char *ir = LLVMPrintModuleToString(M);
    job->len = strlen(ir);
    job->code = malloc(job->len + 1);
    if (job->code) memcpy(job->code, ir, job->len + 1);
    LLVMDisposeMessage(ir);
  } else {
    LLVMMemoryBufferRef buf;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, M, job->mode == PACK_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile, &msg,
                                            &buf)) {
      snprintf(job->err, sizeof job->err, "generating machine code: %s", msg);
      LLVMDisposeMessage(msg);
      return false;
    }
    job->len = LLVMGetBufferSize(buf);
    job->code = malloc(job->len + 1);
    if (job->code) memcpy(job->code, LLVMGetBufferStart(buf), job->len);
    LLVMDisposeMemoryBuffer(buf);
  }
  if (!job->code) snprintf(job->err, sizeof job->err, "out of memory");
  return job->code != NULL;
}

/* Takes units off the queue until it is empty; each thread has its own
 * target machine, each unit its own context. */
static void *compile_worker(void *arg) {
  unit_queue *q = arg;
  LLVMTargetMachineRef tm = NULL;
  for (int j; (j = atomic_fetch_add(&q->next, 1)) < q->njobs;) {
    unit_job *job = &q->jobs[j];
    if (!tm) tm = host_machine(job->err, sizeof job->err);
    job->ok = tm && compile_unit(tm, job);
    LLVMDisposeModule(job->u->M);
    LLVMContextDispose(job->u->C);
  }
  if (tm) LLVMDisposeTargetMachine(tm);
  return NULL;
}

bool pack_compile(seg_pack *p, pack_mode mode, FILE *out, char *err, size_t errlen) {
  double t0 = now_seconds();
  for (int k = 0; k < p->nprefixes; k++) free(p->prefixes[k].text);
  p->nlifts = p->nslow = p->nstrlits = p->nprefixes = 0;
  host_machine_init();
  int nunits = 0;
  lower_unit *units = lower_pack(p, host_lanes(), &nunits);
  unit_job *jobs = calloc((size_t)nunits + 1, sizeof *jobs);
  if (!units || !jobs || nunits == 0) {
    for (int u = 0; units && u < nunits; u++) LLVMDisposeModule(units[u].M), LLVMContextDispose(units[u].C);
    free(units);
    free(jobs);
    snprintf(err, errlen, "out of memory lowering the pack");
    return false;
  }
  double t1 = now_seconds();
  unit_queue q = {jobs, nunits, 0};
  for (int u = 0; u < nunits; u++) jobs[u] = (unit_job){.u = &units[u], .mode = mode == PACK_NATIVE ? PACK_OBJECT : mode};
  rt_parallel(rt_cpus() < nunits ? rt_cpus() : nunits, compile_worker, &q);
  double t2 = now_seconds();
  p->seconds_lower = t1 - t0;
  p->seconds_optimise = t2 - t1;
  bool ok = true;
  for (int u = 0; ok && u < nunits; u++)
    if (!jobs[u].ok) {
      snprintf(err, errlen, "%s", jobs[u].err);
      ok = false;
    }
  if (ok && (mode == PACK_EMIT_IR || mode == PACK_EMIT_ASM))
    for (int u = 0; u < nunits; u++) fwrite(jobs[u].code, 1, jobs[u].len, out);
  if (ok && mode == PACK_NATIVE) {
    const void **objs = calloc((size_t)nunits, sizeof *objs);
    size_t *lens = calloc((size_t)nunits, sizeof *lens);
    for (int u = 0; objs && lens && u < nunits; u++) objs[u] = jobs[u].code, lens[u] = jobs[u].len;
    pack_code code;
    ok = objs && lens && pack_link(&code, objs, lens, nunits, err, errlen);
    if (ok) pack_attach(p, &code);
    p->seconds_jit = now_seconds() - t2;
    free(objs);
    free(lens);
  }
  if (ok && mode == PACK_OBJECT) {
    p->objects = calloc((size_t)nunits, sizeof *p->objects);
    p->object_lens = calloc((size_t)nunits, sizeof *p->object_lens);
    ok = p->objects && p->object_lens;
    for (int u = 0; ok && u < nunits; u++) {
      p->objects[u] = jobs[u].code, p->object_lens[u] = jobs[u].len;
      jobs[u].code = NULL;
    }
    if (ok) p->nunits = nunits;
    else snprintf(err, errlen, "out of memory");
  }
  for (int u = 0; u < nunits; u++) free(jobs[u].code);
  free(jobs);
  free(units);
  return ok;
}

bool pack_link(pack_code *c, const void *const *objects, const size_t *lens, int n, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  c->images = calloc((size_t)n + 1, sizeof *c->images);
  c->units = calloc((size_t)n + 1, sizeof *c->units);
  if (!c->images || !c->units) {
    snprintf(err, errlen, "out of memory loading the pack's machine code");
    pack_code_free(c);
    return false;
  }
  for (c->nunits = 0; c->nunits < n; c->nunits++) {
    char name[32];
    void *fn;
    snprintf(name, sizeof name, "pack_unit_%d", c->nunits);
    if (!obj_load(objects[c->nunits], lens[c->nunits], name, &c->images[c->nunits], &fn, err, errlen)) {
      pack_code_free(c);
      return false;
    }
    c->units[c->nunits] = (pack_eval_fn)(uintptr_t)fn;
  }
  return true;
}

void pack_attach(seg_pack *p, pack_code *c) {
  p->images = c->images;
  p->units = c->units;
  p->nunits = c->nunits;
  memset(c, 0, sizeof *c);
}

void pack_code_free(pack_code *c) {
  for (int u = 0; c->images && u < c->nunits; u++) obj_unload(&c->images[u]);
  free(c->images);
  free(c->units);
  memset(c, 0, sizeof *c);
}

size_t pack_scratch_offset(const seg_pack *p) { return ((size_t)p->noutputs * 2 * (RT_BLOCK / 8) + 63) / 64 * 64; }

void pack_lift_place(pack_lift *lifts, int k) {
  pack_lift *l = &lifts[k];
  l->table = k, l->shift = 0;
  if (l->field < 0 || l->node->type.kind != TY_BOOL) return;
  for (int i = k - 1; i >= 0; i--) /* the field's boolean lift before: its table, if it has room */
    if (lifts[i].field == l->field && lifts[i].node->type.kind == TY_BOOL) {
      if (lifts[i].shift < 6) l->table = lifts[i].table, l->shift = lifts[i].shift + 2;
      return;
    }
}

bool pack_lift_rows_table(const seg_pack *p, int t) {
  return t >= 0 && t < p->nlifts && p->lifts[t].table == t && p->lifts[t].field >= 0 &&
         p->lifts[t].node->type.kind == TY_BOOL;
}

size_t pack_out_bytes(const seg_pack *p) {
  size_t n = pack_scratch_offset(p) + (size_t)p->nscratch * RT_BLOCK * 9;
  return n ? n : RT_BLOCK;
}

/* What native code depends on besides the pack's text: LLVM and the CPU
 * (no target needs to be initialised to ask). */
void pack_host_key(char *buf, size_t size) {
  char *triple = LLVMGetDefaultTargetTriple(), *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
  snprintf(buf, size, "llvm %s; %s; %s; %s", compat_llvm_version(), triple, cpu, features);
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
}
