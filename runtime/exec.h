/* runtime/exec.h — running a pack over a table.
 *
 * Splits the table's blocks over threads; each block is evaluated by the
 * pack's native function (or, for differential testing and explain, by the
 * interpreter) into bitmaps per output (TRUE, UNKNOWN), which become the
 * membership bitmaps and counts.  Before the run, consts are laid out for the native
 * code and every dictionary-lifted string expression is tabulated. */
#ifndef SEGC_EXEC_H
#define SEGC_EXEC_H

#include "compiler/pack.h"
#include "interp.h"
#include "table.h"

typedef struct exec_options {
  int64_t now;
  int threads;          /* <= 0: all cores */
  bool interpreter;     /* evaluate with the reference interpreter instead */
  bool keep_bits;       /* keep the membership bitmaps (bits), to write them; else only count */
  bool keep_bytes;      /* also keep every output byte (OUT_*), for tests */
  const ival *consts;   /* [prog->consts.n] values, overrides applied */
  const char *source;   /* the data's file, for messages (NULL: "the data") */
} exec_options;

typedef struct exec_result {
  int noutputs;
  uint64_t nrecords;
  uint64_t *counts;     /* [noutputs] records where the output is TRUE */
  uint64_t *unknown;    /* [noutputs] records where it is UNKNOWN */
  uint64_t **bits;      /* [noutputs][ceil(nrecords/64)] membership, in bits_mem, when keep_bits */
  void *bits_mem;
  uint8_t **bytes;      /* [noutputs][nrecords] when keep_bytes */
  double seconds;
} exec_result;

bool exec_run(const seg_pack *pk, const rt_table *t, const exec_options *opt, exec_result *res, char *err,
              size_t errlen);
void exec_result_free(exec_result *res);
int exec_default_threads(void);

#endif
