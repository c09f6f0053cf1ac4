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
  bool *lazy;        /* [nlifts] a boolean table read only through pack_ctx.lift_rows, of a field
                        that uses few of the dictionary's codes: each byte stored XOR LIFT_MADE, so
                        0 (as allocated) until a thread needs it (lift_one_byte); its null slot is
                        made before the run */
  struct lift_plan *plans; /* [nlifts] (lift_plan.h), for lift_one_byte: the pack's own (pack->plans), or
                              made for the run and freed with the tables */
} lift_tables;

/* A lazy table's bytes are stored XOR this: never a byte of 2-bit values
 * (OUT_UNKNOWN is 2), so a stored 0 is one not made yet, and the table
 * needs no filling (the 1M bench's `city` table: 286 KB, 0.2 ms). */
#define LIFT_MADE 0xFF

static inline size_t lift_null_byte(uint32_t ndict) { return (size_t)ndict / 2 + 1; }

/* Makes the plans of pk's lifts once (pk->plans), for every run of the
 * pack to use: compiling their regular expressions to automata takes about
 * 0.3 ms for the bench's attribute pack.  False when out of memory. */
bool lifts_plan_pack(seg_pack *pk);

/* Fills every table of the pack's lifts, over opt->threads threads.
 * Entries for codes the field does not use are left zero. */
bool lifts_make(const seg_pack *pk, const rt_table *t, const exec_options *opt, lift_tables *out);
void lifts_free(const seg_pack *pk, lift_tables *lt);

/* One thread's means to fill in a lazy table's codes. */
typedef struct lift_one lift_one;
lift_one *lift_one_new(const seg_pack *pk, const rt_table *t, const exec_options *opt, const lift_tables *tab);
/* Lazy table `table`'s byte for dictionary code `code` (< ndict): made and
 * stored (XOR LIFT_MADE) when still 0.  Threads may make the same byte at
 * once; they store the same value. */
uint8_t lift_one_byte(lift_one *o, int table, uint32_t code);
void lift_one_free(lift_one *o);

#endif
