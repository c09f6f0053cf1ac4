/* lang/bytes.c — little-endian byte buffers, bounds-checked readers and the
 * 64-bit hash of prebuilt packs (bytes.h). */
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

void bytes_put(bytes_buf *b, const void *v, size_t n) {
  if (b->oom) return;
  if (n > b->cap - b->n) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < n) cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (!q) {
      b->oom = true;
      return;
    }
    b->p = q, b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, v, n);
  b->n += n;
}

void bytes_put_u32(bytes_buf *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  bytes_put(b, x, 4);
}

void bytes_set_u32(bytes_buf *b, size_t at, uint32_t v) {
  if (b->oom || at + 4 > b->n) return;
  for (int i = 0; i < 4; i++) b->p[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

void bytes_put_u64(bytes_buf *b, uint64_t v) {
  bytes_put_u32(b, (uint32_t)v);
  bytes_put_u32(b, (uint32_t)(v >> 32));
}

void bytes_put_str(bytes_buf *b, const char *s, size_t n) {
  bytes_put_u64(b, n);
  bytes_put(b, s, n);
}

const char *bytes_get_str(bytes_reader *r, size_t *len) {
  uint64_t n = bytes_get_u64(r);
  const uint8_t *q = n <= SIZE_MAX ? bytes_take(r, (size_t)n) : NULL;
  if (!q) r->bad = true;
  *len = q ? (size_t)n : 0;
  return (const char *)q;
}

static uint64_t mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * UINT64_C(0x9E3779B97F4A7C15);
  return h ^ (h >> 29);
}

uint64_t bytes_hash(uint64_t h, const void *p, size_t n) {
  const uint8_t *s = p;
  uint64_t lane[4] = {h, h ^ 1, h ^ 2, h ^ 3}, w[4];
  size_t i = 0;
  for (; i + 32 <= n; i += 32) { /* four independent lanes: one multiply chain would bound the speed */
    memcpy(w, s + i, 32);
    for (int k = 0; k < 4; k++) lane[k] = mix(lane[k], w[k]);
  }
  h = mix(mix(mix(lane[0], lane[1]), lane[2]), lane[3]);
  for (; i + 8 <= n; i += 8) {
    memcpy(w, s + i, 8);
    h = mix(h, w[0]);
  }
  uint64_t last = 0;
  if (n > i) memcpy(&last, s + i, n - i);
  return mix(h, last ^ (uint64_t)n << 56);
}
