/* compiler/pack.h — a compiled rule pack and the context its code reads.
 *
 * A pack has outputs (every segment, then any extra expressions such as a
 * test's expectations), one native function that evaluates all of them for a
 * block of records, and the description of what that function expects at run
 * time: const values, per-dictionary-string tables for string predicates
 * ("lifts"), and expressions left to the interpreter ("slow" ones: string
 * operations over two fields).  pack_ctx is shared with the generated code:
 * its layout is mirrored in compiler/lower.c (ctx_field_*), keep them in
 * step. */
#ifndef SEGC_PACK_H
#define SEGC_PACK_H

#include "lang/ast.h"
#include "runtime/table.h"

/* An output's value for a record: in lift tables (2 bits each) and in
 * exec_result.bytes; the code's outputs are bitmaps (pack_eval_fn). */
enum { OUT_FALSE = 0, OUT_TRUE = 1, OUT_UNKNOWN = 2 };

typedef struct pack_ctx {
  int64_t now;                     /* the as-of instant, usec */
  const int64_t *consts;           /* const values (float64 as its bits) */
  const void *const *lift_vals;    /* per lift: uint8 truth[] for bools, int64[] otherwise */
  const uint8_t *const *lift_nulls;/* per lift (non-bool): 1 when null */
  int64_t ndict;                   /* the null slot of every lift table */
  void *slow_user;
  int64_t (*slow_eval)(void *user, int64_t expr, int64_t row, uint8_t *isnull);
  int64_t first_row;               /* global number of the block's first record */
  const rt_stream *streams;        /* the table's streams (events) */
  const int64_t *str_codes;        /* per string literal compared with codes: 2 * its code when in the
                                      dictionary, else 2 * (codes below it) - 1 */
  const uint8_t *const *lift_rows; /* per boolean lift table of a field: its byte for each record of the
                                      block (RT_BLOCK), filled before the block (runtime/exec.c) */
  const uint8_t *ahead;            /* the block this thread evaluates next (or this one): the main loops
                                      prefetch it while they compute (lower.c) */
  uint8_t *bad_values;             /* per field: set to 1 where the code finds a stored value out of its
                                      type's range that it relies on (lower_ratio.c); the run then fails */
  const int64_t *prefix_codes;     /* per pack_prefix: the first code of a string that starts with it, and
                                      the first code past those (exec.c) */
} pack_ctx;

/* out holds two bitmaps of RT_BLOCK bits per output (pack_out_true,
 * pack_out_unknown): bit i of the first is set when output k is TRUE for
 * record i, of the second when it is UNKNOWN (never for a segment; the
 * code leaves these bits alone where the output cannot be null, so they
 * keep the zeros the caller gave them).  n <= RT_BLOCK records are real,
 * and records [n, RT_BLOCK) of the block must hold valid values
 * (rt_block_padded); their bits are meaningless.  After the bitmaps, the
 * function's scratch space (pack_out_bytes in all). */
typedef void (*pack_eval_fn)(const uint8_t *block, int64_t n, const pack_ctx *ctx, uint8_t *out,
                             int64_t stride);

typedef struct pack_output {
  const char *name;
  const char *desc;
  ast *expr;
  bool is_segment;
} pack_output;

typedef struct pack_lift {
  ast *node;
  int field;        /* the string field it reads, or -1 for none */
  /* Where its values are (pack_lift_place): the table of lift `table`.  The
   * boolean lifts of a string field share byte tables four at a time, each
   * in the 2 bits at `shift` (OUT_FALSE, OUT_TRUE, OUT_UNKNOWN): one load
   * per record and table, and a quarter of the cache lines. */
  int table, shift;
} pack_lift;

/* A string that a prefix test (compiler/lower_prefix.c) looks for at the
 * start of a field's strings: a range of dictionary codes in a run. */
typedef struct pack_prefix {
  char *text;
  uint32_t len;
} pack_prefix;

struct lift_plan;

typedef struct seg_pack {
  seg_program *prog;
  rt_layout layout;
  pack_output *outputs;
  int noutputs;
  pack_lift *lifts;
  int nlifts;
  struct lift_plan *plans; /* [nlifts] their plans (runtime/lift_plan.h), made once for a loaded pack
                              (lifts_plan_pack); NULL: each run makes its own */
  ast **slow;
  int nslow;
  ast **strlits;    /* string literals compared with dictionary codes */
  int nstrlits;
  pack_prefix *prefixes;
  int nprefixes;
  int nscratch;     /* scratch columns: the aggregates', then the shared expressions' (lower.c) */
  /* the machine code: a block runs through the units' functions in order */
  struct obj_image *images;
  pack_eval_fn *units;
  int nunits;
  void **objects;    /* PACK_OBJECT: each unit's machine code */
  size_t *object_lens;
  double seconds_lower, seconds_optimise, seconds_jit;
} seg_pack;

/* Sets lifts[k].table and .shift from lifts 0 .. k (so lowering can place
 * each lift as it is made, and a loaded pack places them the same way). */
void pack_lift_place(pack_lift *lifts, int k);
/* Whether lift table t is one the code reads per record from
 * pack_ctx.lift_rows (a boolean table of a string field). */
bool pack_lift_rows_table(const seg_pack *p, int t);

/* Bytes the `out` buffer of pack_eval needs: the output bitmaps, then per
 * precomputed aggregate RT_BLOCK int64 values and RT_BLOCK null bytes. */
size_t pack_out_bytes(const seg_pack *p);
/* Output k's bitmaps in a block's out (see pack_eval_fn): RT_BLOCK / 64 words each. */
static inline uint64_t *pack_out_true(uint8_t *out, int k) {
  return (uint64_t *)(void *)(out + (size_t)k * (RT_BLOCK / 8));
}
static inline uint64_t *pack_out_unknown(const seg_pack *p, uint8_t *out, int k) {
  return pack_out_true(out, p->noutputs + k);
}
size_t pack_scratch_offset(const seg_pack *p);

/* Plans the outputs of a checked program plus `nextra` expressions. */
seg_pack *pack_new(seg_program *prog, ast **extra, const char **extra_names, int nextra);
void pack_free(seg_pack *p);

typedef enum { PACK_NATIVE, PACK_EMIT_IR, PACK_EMIT_ASM, PACK_OBJECT } pack_mode;
/* Lowers, optimises and JIT-compiles (or writes IR/assembly to `out`, or
 * keeps the machine code as an object file in p->object). */
bool pack_compile(seg_pack *p, pack_mode mode, FILE *out, char *err, size_t errlen);
/* Machine code loaded into memory (compiler/objload.h), not yet a pack's. */
typedef struct pack_code {
  struct obj_image *images;
  pack_eval_fn *units;
  int nunits;
} pack_code;
/* Links machine code made by PACK_OBJECT for this host, one object per unit.
 * It touches no pack, so a pack file's code links on one thread while its
 * sources are checked on another. */
bool pack_link(pack_code *c, const void *const *objects, const size_t *lens, int n, char *err, size_t errlen);
/* p runs c's code (p's lifts, slow expressions and scratch must be those
 * the code was compiled with); c is left empty. */
void pack_attach(seg_pack *p, pack_code *c);
void pack_code_free(pack_code *c);
/* Evaluates one block (see pack_eval_fn). */
static inline void pack_run(const seg_pack *p, const uint8_t *block, int64_t n, const pack_ctx *ctx, uint8_t *out) {
  for (int u = 0; u < p->nunits; u++) p->units[u](block, n, ctx, out, RT_BLOCK);
}
/* "llvm 14.0.6; x86_64-pc-linux-gnu; znver4; +avx,...": what native code is keyed by. */
void pack_host_key(char *buf, size_t size);

#endif
