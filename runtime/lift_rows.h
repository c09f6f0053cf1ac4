/* runtime/lift_rows.h — a block's bytes of a boolean lift table
 * (pack_ctx.lift_rows): for each of the RT_BLOCK records, the table's byte
 * at its string code, or at the null slot where the record's string is null.
 *
 * These are the random reads of the run (a table of the 10M bench's emails
 * holds 1M codes); with AVX2 they are gathers, eight records a step, else
 * one load a record. */
#ifndef SEGC_LIFT_ROWS_H
#define SEGC_LIFT_ROWS_H

#include <stdbool.h>
#include <stdint.h>

/* A byte table: out[i] = vals[nulls && nulls[i] ? null_code : codes[i]].
 * vals holds 3 readable bytes after its last entry (null_code). */
void lift_rows_bytes(const uint8_t *vals, const uint32_t *codes, const uint8_t *nulls, uint32_t null_code, uint8_t *out);

/* A compact table (lift_tables.compact): code c's nibble, bits (c % 2) * 4
 * of byte c / 2, widened to 2 bits a lift (bit k to bits 2k, 2k+1 = OUT_FALSE
 * or OUT_TRUE); null_value for a null.  vals holds 3 readable bytes after
 * the last code's byte. */
void lift_rows_compact(const uint8_t *vals, const uint32_t *codes, const uint8_t *nulls, uint8_t null_value, uint8_t *out);

/* Tests: true runs the one-load-a-record loops even where AVX2 is there,
 * or the AVX2 gathers even where AVX-512 is. */
extern bool lift_rows_baseline, lift_rows_no_avx512;

#endif
