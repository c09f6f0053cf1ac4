/* runtime/lifts.h — tabulating the pack's dictionary-lifted expressions.
 *
 * A lifted expression reads at most one string field (compiler/lower.c);
 * before a run it is evaluated by the interpreter once per dictionary string
 * that field uses, plus once for null, and the generated code looks the
 * result up by the record's string code. */
#ifndef SEGC_LIFTS_H
#define SEGC_LIFTS_H

#include "exec.h"

/* Fills (*vals)[k] (uint8 truth for bools, int64 slots otherwise) and
 * (*nulls)[k] for every lift of the pack, over opt->threads threads.
 * Entries for codes the field does not use are left zero. */
bool lifts_make(const seg_pack *pk, const rt_table *t, const exec_options *opt, void ***vals, uint8_t ***nulls);
void lifts_free(int n, void **vals, uint8_t **nulls);

#endif
