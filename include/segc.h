/* segc.h — the public C API of libsegc.
 *
 * Load and check rule sources against their schema, ingest CSV into a packed
 * .segd data file, compile a rule pack with LLVM and evaluate it over a data
 * file, run the sources' `test` blocks, and inspect the generated code.
 * Nothing here prints unless it is handed a stream, and nothing exits. */
#ifndef SEGC_H
#define SEGC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segc_program segc_program;

/* Parses and checks files (and their imports).  Never NULL: inspect
 * segc_error_count and render the diagnostics. */
segc_program *segc_load(const char *const *paths, int npaths);
int segc_error_count(const segc_program *p);
int segc_warning_count(const segc_program *p);
/* `file:line:col: error: message`, the source line, a caret, hints. */
void segc_print_diagnostics(const segc_program *p, FILE *out);
void segc_free(segc_program *p);

/* Writes the optimised LLVM IR (asm = false) or host assembly of the pack. */
bool segc_emit(segc_program *p, bool assembly, FILE *out, char *err, size_t errlen);

/* Compiles the pack and writes it, with its sources, to a .segpack file. */
bool segc_build(segc_program *p, const char *pack_path, char *err, size_t errlen);
/* Loads a .segpack: its rules, and its machine code when it was built for
 * this host and this segc (else the pack is compiled on the first run and
 * `note` says why).  NULL, with err set, for a file that is not a usable
 * pack. */
segc_program *segc_load_pack(const char *pack_path, char *note, size_t notelen, char *err, size_t errlen);

typedef struct segc_ingest_options {
  const char *csv_path;
  const char *out_path;
  const char *bad_rows_path;   /* optional; a stream's bad rows go to "bad.<stream>.csv" next to it */
  /* Events: nstreams CSV files, stream_names[i] (a stream of the schema) from stream_paths[i]. */
  int nstreams;
  const char *const *stream_names;
  const char *const *stream_paths;
  void (*on_reject)(void *user, const char *file, uint64_t line, int column, const char *column_name,
                    const char *reason);
  void (*on_warning)(void *user, const char *message);
  void *user;
} segc_ingest_options;

typedef struct segc_ingest_report {
  uint64_t rows_read, rows_kept, rows_rejected, bytes_read;
  uint64_t events_read, events_kept, events_rejected, event_bytes_read; /* over every stream */
  double event_seconds;        /* reading the event files */
  double seconds;              /* the whole ingest */
} segc_ingest_report;

bool segc_ingest(const segc_program *p, const segc_ingest_options *opt, segc_ingest_report *rep, char *err,
                 size_t errlen);

typedef struct segc_run_options {
  const char *as_of;          /* NULL: now; else a timestamp or date */
  int threads;                /* <= 0: all cores */
  const char *const *set;     /* "NAME=VALUE" const overrides */
  int nset;
  bool interpreter;           /* evaluate with the reference interpreter */
  const char *out_dir;        /* NULL: no files */
} segc_run_options;

typedef struct segc_segment_result {
  const char *name;
  const char *description;    /* may be NULL */
  uint64_t members;
} segc_segment_result;

typedef struct segc_report {
  int64_t as_of_usec;
  char as_of[40];
  uint64_t records;
  int nsegments;
  segc_segment_result *segments;
  double seconds_load, seconds_compile, seconds_eval, seconds_write;
} segc_report;

bool segc_run(segc_program *p, const char *data_path, const segc_run_options *opt, segc_report *rep, char *err,
              size_t errlen);
void segc_report_free(segc_report *rep);

/* Runs every `test` block (with the JIT and the interpreter, which must
 * agree); writes each failure to `out`. */
bool segc_test(segc_program *p, FILE *out, int *passed, int *failed, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
