/* runtime/builder.h — the in-memory table builder's state, shared by
 * builder.c (customer records, dictionary, key order, blocks),
 * builder_events.c (stream events) and builder_sort.c.  Private to them. */
#ifndef SEGC_BUILDER_H
#define SEGC_BUILDER_H

#include <pthread.h>

#include "table.h"

typedef struct { uint64_t key, idx; } builder_kv;

/* A string of an added record waiting to be interned (builder_flush):
 * its bytes at pend_bytes + off. */
#define BUILDER_BATCH 64
typedef struct { uint32_t field, len; uint64_t row, off; } builder_pend;

/* The events added to one stream, in the order they were added.  Each
 * stream (and each group of rt_builder below that one thread writes while
 * the other reads) starts a cache line of its own: sharing one with what
 * the customers' thread writes for every record made every event wait for
 * the line to come back (builder_alloc). */
typedef struct builder_stream {
  _Alignas(64) uint64_t n, cap;
  /* [cap] each event's customer key (the order-preserving image of its
     value, or a provisional string code) and its index; the first nsorted
     sorted by key, stable (events_by_key), the rest in the order added */
  builder_kv *kv;
  uint64_t nsorted;
  uint64_t *lines;
  uint8_t **col;    /* [nfields] values at storage width */
  uint8_t **nulls;  /* [nfields] null bytes, NULL when not nullable */
} builder_stream;

struct rt_builder {
  /* read by both threads while they add (rt_builder_share) */
  const seg_schema *schema;
  int nfields;
  bool failed;
  bool shared;
  builder_stream *streams; /* [schema->nstreams] */
  rt_orphan_fn on_orphan;
  /* held by builder_intern while `shared` */
  _Alignas(64) pthread_mutex_t intern_lock;
  /* the records, written by the customers' thread */
  _Alignas(64) uint64_t n, cap;
  uint8_t **col;    /* [nfields] values at storage width, NULL for streams */
  uint8_t **nulls;  /* [nfields] null bytes, NULL when not nullable */
  uint64_t *lines;  /* [cap] source line of each record */
  builder_pend pend[BUILDER_BATCH];
  int npend;
  char *pend_bytes;
  size_t pend_len, pend_cap;
  /* interned strings, written under intern_lock while `shared` */
  _Alignas(64) char *arena;
  size_t arena_len, arena_cap;
  uint64_t *str_off;
  uint32_t *str_len, *str_hash;
  uint32_t nstr, str_cap;
  uint32_t *ht; /* string id + 1, 0 = empty */
  uint32_t ht_mask;
  /* the first half of finishing (the dictionary and the key order), done by
     rt_builder_prepare or by rt_builder_finish; kept UINT64_MAX: it failed */
  bool prepared;
  uint64_t *perm, kept;
  uint64_t *keys; /* [kept] the kept records' key images in order, when perm and streams */
  bool blocks_built, blocks_ok; /* the record blocks, built by rt_builder_prepare */
};

/* Zeroed memory for n objects of `size` bytes, aligned to 64 bytes for
 * the structs above (free() frees it); NULL when out of memory. */
void *builder_alloc(size_t n, size_t size);

/* builder.c */
bool builder_intern(rt_builder *b, const char *s, size_t n, uint32_t *code);

/* Stores cell c of field fd as row r of column p (and its null byte). */
bool builder_store(rt_builder *b, const seg_field *fd, const rt_cell *c, uint8_t *p, uint8_t *nulls, uint64_t r);
uint64_t builder_image(seg_tykind k, int64_t v);
uint64_t builder_key_image(const rt_builder *b, int f, uint64_t r);

/* builder_sort.c: stable sort by key (radix); false when memory ran out. */
bool builder_radix_sort(builder_kv *a, uint64_t n);

/* builder_events.c */
void builder_events_remap(rt_builder *b, const uint32_t *remap);
bool builder_events_finish(rt_builder *b, rt_table *out, const uint64_t *perm, uint64_t kept, void *user);
void builder_events_free(rt_builder *b);

#endif
