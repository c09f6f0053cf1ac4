/* bench/bandwidth.c — this machine's memory read bandwidth, the yardstick for
 * segc's throughput.  Reads a buffer far larger than the caches (1 GiB by
 * default; argv[1] in MiB) with 1, 2, ... N threads (argv[2], default 2), each
 * thread summing its contiguous share with independent 64-bit accumulators,
 * and prints the best of 7 passes per thread count as one JSON object:
 *   {"bytes": 1073741824, "gbps": {"1": 11.8, "2": 19.5}}
 * (GB = 1e9 bytes).  Built by bench/run.sh with cc -O2 -pthread.  */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct share { const uint64_t *p; size_t n; uint64_t sum; };

static void *reader(void *arg) {
  struct share *s = arg;
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 8 <= s->n; i += 8) {
    a += s->p[i] ^ s->p[i + 4];
    b += s->p[i + 1] ^ s->p[i + 5];
    c += s->p[i + 2] ^ s->p[i + 6];
    d += s->p[i + 3] ^ s->p[i + 7];
  }
  for (; i < s->n; i++) a += s->p[i];
  s->sum = a + b + c + d;
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
  int maxthreads = argc > 2 ? atoi(argv[2]) : 2;
  if (mib == 0 || maxthreads < 1 || maxthreads > 64) {
    fprintf(stderr, "usage: bandwidth [MiB] [max threads]\n");
    return 2;
  }
  size_t bytes = mib << 20, words = bytes / 8;
  uint64_t *buf = malloc(bytes);
  if (!buf) { perror("malloc"); return 1; }
  for (size_t i = 0; i < words; i++) buf[i] = i * 0x9E3779B97F4A7C15ull; /* touch every page */

  uint64_t sink = 0;
  printf("{\"bytes\": %zu, \"gbps\": {", bytes);
  for (int t = 1; t <= maxthreads; t++) {
    double best = 1e30;
    for (int pass = 0; pass < 7; pass++) {
      pthread_t th[64];
      struct share sh[64];
      double t0 = now();
      for (int k = 0; k < t; k++) {
        size_t lo = words / t * k, hi = k == t - 1 ? words : words / t * (k + 1);
        sh[k] = (struct share){buf + lo, hi - lo, 0};
        if (pthread_create(&th[k], NULL, reader, &sh[k]) != 0) { perror("pthread_create"); return 1; }
      }
      for (int k = 0; k < t; k++) { pthread_join(th[k], NULL); sink += sh[k].sum; }
      double s = now() - t0;
      if (s < best) best = s;
    }
    printf("%s\"%d\": %.2f", t > 1 ? ", " : "", t, bytes / best / 1e9);
  }
  printf("}, \"checksum\": %llu}\n", (unsigned long long)(sink & 0xffff));
  free(buf);
  return 0;
}
