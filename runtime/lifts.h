/* runtime/lifts.h — tabulating the pack's dictionary-lifted expressions.
 *
 * A lifted expression reads at most one string field (compiler/lower.c);
 * before a run it is evaluated by the interpreter once per dictionary string
 * that field uses, plus once for null, and the generated code looks the
 * result up by the record's string code. */
#ifndef SEGC_LIFTS_H
#define SEGC_LIFTS_H

#include "exec.h"

/* The tables of a pack's lifts (vals[k] is vals[pack_lift.table] for a
 * boolean sharing an earlier lift's table). */
typedef struct lift_tables {
  void **vals;       /* [nlifts] int64 slots, or for a boolean its 2 bits (OUT_*) at pack_lift.shift in
                        a byte per code it shares with up to 3 others; the null slot is code ndict */
  uint8_t **nulls;   /* [nlifts] null bytes of the int64 slots; NULL for a boolean */
  bool *compact;     /* [nlifts] a boolean table read only through pack_ctx.lift_rows whose lifts are
                        never unknown for a present string: a bit per lift (at shift / 2) in a nibble
                        per code (code c: byte c / 2, bits (c % 2) * 4), half the bytes to keep in
                        the cache; its null slot is the byte at lift_null_byte(ndict), as above */
} lift_tables;

static inline size_t lift_null_byte(uint32_t ndict) { return (size_t)ndict / 2 + 1; }

/* Fills every table of the pack's lifts, over opt->threads threads.
 * Entries for codes the field does not use are left zero. */
bool lifts_make(const seg_pack *pk, const rt_table *t, const exec_options *opt, lift_tables *out);
void lifts_free(const seg_pack *pk, lift_tables *lt);

#endif
