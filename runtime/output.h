/* runtime/output.h — writing a run's results: DIR/summary.json and, per
 * segment, DIR/<segment>.ids (the members' keys, ascending, one per line).
 * Every file is written under a temporary name and renamed into place. */
#ifndef SEGC_OUTPUT_H
#define SEGC_OUTPUT_H

#include "exec.h"
#include "segc.h"

/* Writes the files with `threads` threads (<= 0: all cores). */
bool output_write(const seg_pack *pk, const rt_table *t, const exec_result *res, const segc_report *rep, int threads,
                  const char *dir, char *err, size_t errlen);
/* Formats the key of record `row` (digits, date, text...) into buf. */
const char *output_key(const rt_table *t, uint64_t row, char *buf, size_t size, size_t *len);
/* A scaled decimal as text: output_decimal(-505, 2) is "-5.05". */
char *output_decimal(int64_t v, int scale, char *buf, size_t size);
/* Writes `s` as a JSON string literal. */
void output_json_string(FILE *f, const char *s);

#endif
