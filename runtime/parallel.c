/* runtime/parallel.c — running one job on several threads (parallel.h). */
#include "parallel.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

int rt_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

void rt_parallel(int n, void *(*fn)(void *), void *arg) {
  pthread_t *th = n > 1 ? malloc(sizeof *th * (size_t)n) : NULL;
  bool *started = n > 1 ? calloc((size_t)n, sizeof *started) : NULL;
  for (int i = 1; th && started && i < n; i++) started[i] = pthread_create(&th[i], NULL, fn, arg) == 0;
  fn(arg);
  for (int i = 1; i < n; i++)
    if (th && started && started[i]) pthread_join(th[i], NULL);
    else fn(arg);
  free(th);
  free(started);
}
