/* runtime/ingest.h — CSV to .segd.
 *
 * A header row names the columns; every schema field must be present; extra
 * columns are ignored and reported once through on_warning.  A stream's
 * events come from their own CSV: the schema's key column (which customer),
 * then the stream's fields, rows in any order.  Values follow the schema's types; a row that cannot be
 * read is rejected with its line, column and reason, counted, and (with a
 * bad-rows path) copied verbatim to that file.  Nothing is dropped silently. */
#ifndef SEGC_INGEST_H
#define SEGC_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "../lang/types.h"
#include "table.h"

typedef struct ingest_report {
  uint64_t rows_read;      /* data rows in the file */
  uint64_t rows_kept;
  uint64_t rows_rejected;  /* bad values, wrong column count, duplicate keys */
  uint64_t bytes_read;
  uint64_t events_read, events_kept, events_rejected; /* over every stream; rejected includes orphans */
  uint64_t event_bytes_read;
  double event_seconds;    /* reading and parsing the event files */
  double seconds;          /* the whole ingest */
} ingest_report;

typedef struct ingest_options {
  const char *csv_path;
  const char *out_path;       /* the .segd to write (atomically) */
  const char *bad_rows_path;  /* NULL: rejected rows are only reported; a stream's go next to
                                 it, "bad.csv" -> "bad.events.csv" */
  const char *const *stream_paths; /* [schema->nstreams] each stream's events CSV, or NULL */
  /* Called for every rejected row: its file, line (1-based, the header is
   * line 1), column (1-based field position, 0 when the whole row is
   * wrong), the column's name (or NULL) and the reason.  An event whose key
   * matches no customer is a rejected row of its file. */
  void (*on_reject)(void *user, const char *file, uint64_t line, int column, const char *column_name,
                    const char *reason);
  /* Called for warnings that are not about one row (ignored columns). */
  void (*on_warning)(void *user, const char *message);
  void *user;
} ingest_options;

/* Returns false with err filled when the whole ingest fails (unreadable
 * file, missing columns, cannot write output). */
bool ingest_csv(const seg_schema *schema, const ingest_options *opt, ingest_report *rep, char *err,
                size_t errlen);

/* Parses one CSV value for a field; false with *why set when it is not valid.
 * An empty text is null for a nullable field, the empty string / empty set for
 * a non-nullable string / set field, and invalid otherwise. */
bool ingest_parse_cell(const seg_field *f, const char *text, size_t len, rt_cell *out,
                       const char **why);

/* Set by tests: split every record one field at a time, as records with a
 * quote are, instead of a whole record from one mask of its separators. */
extern bool ingest_csv_field_at_a_time;

#endif
