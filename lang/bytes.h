/* lang/bytes.h — little-endian byte buffers for the files segc writes (a
 * prebuilt pack, a program image), bounds-checked readers for the files it
 * reads back, and the fast hash they are keyed and checksummed with. */
#ifndef SEGC_BYTES_H
#define SEGC_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable buffer; `oom` is set (and further writes dropped) when memory runs out. */
typedef struct bytes_buf {
  uint8_t *p;
  size_t n, cap;
  bool oom;
} bytes_buf;

void bytes_put(bytes_buf *b, const void *v, size_t n);
void bytes_put_u32(bytes_buf *b, uint32_t v);
void bytes_put_u64(bytes_buf *b, uint64_t v);
/* a u64 length, then the bytes */
void bytes_put_str(bytes_buf *b, const char *s, size_t n);
/* overwrites the u32 written at offset `at` */
void bytes_set_u32(bytes_buf *b, size_t at, uint32_t v);

/* A reader over n bytes; any read past the end sets `bad` and returns 0 / NULL. */
typedef struct bytes_reader {
  const uint8_t *p;
  size_t n, pos;
  bool bad;
} bytes_reader;

static inline const uint8_t *bytes_take(bytes_reader *r, size_t n) {
  if (r->bad || n > r->n - r->pos) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *q = r->p + r->pos;
  r->pos += n;
  return q;
}

static inline uint32_t bytes_get_u32(bytes_reader *r) {
  const uint8_t *q = bytes_take(r, 4);
  return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24 : 0;
}

static inline uint64_t bytes_get_u64(bytes_reader *r) {
  uint64_t lo = bytes_get_u32(r);
  return lo | (uint64_t)bytes_get_u32(r) << 32;
}

/* a u32 count of records of at least `each` bytes: 0 (and r bad) when they
 * cannot fit in what is left */
static inline int bytes_get_count(bytes_reader *r, size_t each) {
  uint32_t n = bytes_get_u32(r);
  if (r->bad || n > (r->n - r->pos) / each || n > INT32_MAX) {
    r->bad = true;
    return 0;
  }
  return (int)n;
}

/* a string written by bytes_put_str: points into the reader's bytes (not NUL-terminated) */
const char *bytes_get_str(bytes_reader *r, size_t *len);

#define BYTES_HASH_SEED UINT64_C(14695981039346656037)
/* A 64-bit hash of n bytes continuing from h, eight bytes per step (for
 * keys and checksums against accidental change, not an adversary). */
uint64_t bytes_hash(uint64_t h, const void *p, size_t n);

#endif
