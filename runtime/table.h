/* runtime/table.h — customer records in packed, blocked columnar form.
 *
 * Records are grouped in blocks of RT_BLOCK records.  Inside a block every
 * field's values are contiguous (the storage width of its type, see
 * ty_storage_width), followed for each nullable field by one null byte per
 * record (1 = null, 0 = present).  Every block has the same size and the same
 * offsets (rt_layout), so generated code addresses a field as
 * `block_base + layout.val_off[f] + i * width` with constants only.  The last
 * block is padded with zeroed records.
 *
 * Strings are codes into one dictionary shared by every string field of the
 * table; the dictionary is sorted bytewise and has no duplicates, so comparing
 * two codes orders the strings.  Records are sorted by key, ascending, and
 * keys are unique.
 *
 * An rt_table is either built in memory (rt_builder) or mapped from a .segd
 * file (rt_table_open); docs/segd-format.md describes the file. */
#ifndef SEGC_TABLE_H
#define SEGC_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lang/types.h"

#define RT_BLOCK 4096u
#define RT_NO_NULLS UINT32_MAX

typedef struct rt_layout {
  int nfields;
  uint32_t *val_off;    /* [nfields] offset of the field's values in a block */
  uint32_t *null_off;   /* [nfields] offset of its null bytes, or RT_NO_NULLS */
  uint32_t block_bytes; /* a multiple of 64; every column starts 64-aligned */
} rt_layout;

/* Computes the layout of a schema's fields (streams excluded). */
void rt_layout_init(rt_layout *l, const seg_schema *s);
void rt_layout_free(rt_layout *l);

/* The events of one stream: customer r's events are [start[r], start[r+1]),
 * in the stream's order (seg_stream.order; ties in the order they were
 * added).  Each field's values are contiguous over all events (storage
 * width of its type), with one null byte per event for nullable fields. */
typedef struct rt_stream {
  uint64_t nevents;
  const uint64_t *start;      /* [nrecords + 1] */
  const uint8_t **vals;       /* [nfields] */
  const uint8_t **nulls;      /* [nfields], NULL entries for fields that are not nullable */
} rt_stream;

typedef struct rt_table {
  const seg_schema *schema;   /* the schema the table was checked against */
  rt_layout layout;
  uint64_t nrecords;
  uint64_t nblocks;
  const uint8_t *blocks;      /* nblocks * layout.block_bytes, 64-aligned */
  uint32_t ndict;             /* dictionary: string i is dict_bytes[dict_off[i] .. dict_off[i+1]) */
  const uint64_t *dict_off;   /* [ndict + 1] */
  const char *dict_bytes;
  int nstreams;               /* = schema->nstreams */
  rt_stream *streams;
  uint8_t *dict_share;        /* [nfields] or NULL: per string field, the share of the dictionary its
                                 values use, in 255ths rounded down (0 for other fields, or unknown).
                                 A hint for evaluation (runtime/lifts.c), never relied on. */
  /* ownership (private) */
  void *map;
  size_t map_len;
  void *owned_blocks, *owned_dict_off, *owned_dict_bytes;
  void **owned_stream_mem;    /* malloc'd stream arrays, when built in memory */
  int nowned_stream_mem;
} rt_table;

void rt_table_free(rt_table *t);

static inline const uint8_t *rt_block(const rt_table *t, uint64_t b) {
  return t->blocks + b * t->layout.block_bytes;
}
static inline uint32_t rt_block_count(const rt_table *t, uint64_t b) {
  uint64_t left = t->nrecords - b * RT_BLOCK;
  return left < RT_BLOCK ? (uint32_t)left : RT_BLOCK;
}
/* Block b as a full block: itself when it is full or its records past the
 * last are zeros (as writers leave them, and the dictionary has a code 0),
 * else a copy in dst (layout.block_bytes, 64-aligned) whose records past the
 * last are copies of its first record, so code running over all RT_BLOCK
 * records reads only values the table's checks accepted.  Copying the
 * 1M bench's last block into memory touched for the first time took 0.7 ms
 * of the run; checking its zeros, reading the mapped file, about 0.05. */
const uint8_t *rt_block_padded(const rt_table *t, uint64_t b, uint8_t *dst);
/* Accessors for one record (row = global record number). */
bool rt_is_null(const rt_table *t, int field, uint64_t row);
int64_t rt_get_i64(const rt_table *t, int field, uint64_t row);   /* every integer-like kind, widened */
double rt_get_f64(const rt_table *t, int field, uint64_t row);
const char *rt_dict_str(const rt_table *t, uint32_t code, size_t *len);
/* The number of dictionary strings ordered before s; *found when s is one of them. */
uint32_t rt_dict_lower_bound(const rt_table *t, const char *s, size_t len, bool *found);
/* The codes of the dictionary strings that start with p[0 .. len): [*lo, *hi)
 * (the dictionary is sorted bytewise, so they follow one another). */
void rt_dict_prefix_range(const rt_table *t, const char *p, size_t len, uint32_t *lo, uint32_t *hi);
/* Accessors for one event (k = event number in its stream), widened as above. */
bool rt_ev_is_null(const rt_table *t, int stream, int field, uint64_t k);
int64_t rt_ev_get_i64(const rt_table *t, int stream, int field, uint64_t k);
double rt_ev_get_f64(const rt_table *t, int stream, int field, uint64_t k);

/* One value of a record being added: `i` for integer-like kinds (bool 0/1,
 * int, decimal raw scaled value, enum index, set mask, date days, timestamp
 * usec), `f` for float64, `s`/`len` for strings (copied). */
typedef struct rt_cell {
  bool null;
  int64_t i;
  double f;
  const char *s;
  size_t len;
} rt_cell;

typedef struct rt_builder rt_builder;

rt_builder *rt_builder_new(const seg_schema *s);
/* Adds a record; `line` is where it came from (reported for duplicate keys). */
void rt_builder_add(rt_builder *b, const rt_cell *cells, uint64_t line);
/* Adds an event of stream `stream` for the customer whose key is `key`
 * (cells: one per stream field); `line` is where it came from. */
void rt_builder_add_event(rt_builder *b, int stream, const rt_cell *key, const rt_cell *cells, uint64_t line);
/* While shared, one thread may add records and others events (one thread
 * per stream) at the same time: the string dictionary is locked.  The table
 * built is the same either way.  False when out of memory. */
bool rt_builder_share(rt_builder *b, bool shared);
/* Sorts stream s's events added so far by customer key, as finishing
 * would (for keys that are not strings, whose order is known only then):
 * called by the thread that added them, it takes that work off the finish.
 * False when out of memory (finishing sorts them then). */
bool rt_builder_sort_events(rt_builder *b, int s);
/* Called once per event whose key matches no customer; the event is dropped
 * from the table.  Set before rt_builder_finish; its user is finish's. */
typedef void (*rt_orphan_fn)(void *user, int stream, uint64_t line);
void rt_builder_on_orphan(rt_builder *b, rt_orphan_fn fn);
/* Called once per record whose key repeats an earlier one; that record is dropped from the table. */
typedef void (*rt_dup_fn)(void *user, uint64_t line, uint64_t first_line);
/* Sorts by key, drops duplicate keys (reporting each, in key order), builds
 * the dictionary and the blocks into *out.  Frees the builder.  Returns the
 * records kept, or UINT64_MAX when memory ran out (rt_builder_new may also
 * return NULL); *out is then an empty table that rt_table_free accepts. */
uint64_t rt_builder_finish(rt_builder *b, rt_table *out, rt_dup_fn on_dup, void *user);
/* The first half of rt_builder_finish (the dictionary and the key order,
 * reporting the duplicates, and the record blocks), into *out, by the thread that added the
 * records while another still adds events (rt_builder_share): finish then
 * does the rest, with the same *out, on_dup and user.  Not done (false)
 * when the events intern strings, which the dictionary must hold first;
 * false too when memory ran out, which finish then reports. */
bool rt_builder_prepare(rt_builder *b, rt_table *out, rt_dup_fn on_dup, void *user);
/* Frees a builder that will not be finished (NULL is fine). */
void rt_builder_free(rt_builder *b);

/* Writes a table to a .segd file atomically (temporary name, then rename).
 * Returns false and fills err on failure. */
bool rt_table_write(const rt_table *t, const char *path, char *err, size_t errlen);
/* Maps a .segd file read-only and checks it against `schema`: a bad magic,
 * version, truncated file or different schema is refused with a message that
 * says why (for a schema mismatch: which fields differ). */
bool rt_table_open(const char *path, const seg_schema *schema, rt_table *out, char *err,
                   size_t errlen);

/* What a run reads, so that opening checks the stored values of those
 * columns only: fields[f] for the schema's fields, streams[s] for each
 * stream's events, key for the key column (the ids of written outputs).
 * The header, every section's bounds, the dictionary and the event ranges
 * are always checked: the generated code indexes by them. */
typedef struct rt_needs {
  const bool *fields;    /* [nfields] */
  const bool *streams;   /* [nstreams] */
  bool key;
  int threads;           /* checking threads; <= 0: all cores */
} rt_needs;

/* rt_table_open, checking only the values `needs` names (NULL: all). */
bool rt_table_open_for(const char *path, const seg_schema *schema, const rt_needs *needs, rt_table *out, char *err,
                       size_t errlen);

#endif
