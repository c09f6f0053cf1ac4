/* runtime/lifts.h — tabulating the pack's dictionary-lifted expressions.
 *
 * A lifted expression reads at most one string field (compiler/lower.c);
 * before a run it is evaluated by the interpreter once per dictionary string
 * that field uses, plus once for null, and the generated code looks the
 * result up by the record's string code. */
#ifndef SEGC_LIFTS_H
#define SEGC_LIFTS_H

#include "exec.h"

/* Fills (*vals)[k] and (*nulls)[k] for every lift of the pack, over
 * opt->threads threads: int64 slots and null bytes, or for a boolean its 2
 * bits (OUT_*) at pack_lift.shift in the byte table it shares with up to 3
 * others (vals[k] is vals[pack_lift.table]).  Entries for codes the field
 * does not use are left zero. */
bool lifts_make(const seg_pack *pk, const rt_table *t, const exec_options *opt, void ***vals, uint8_t ***nulls);
void lifts_free(const seg_pack *pk, void **vals, uint8_t **nulls);

#endif
