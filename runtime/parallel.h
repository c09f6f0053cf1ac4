/* runtime/parallel.h — running one job on several threads. */
#ifndef SEGC_PARALLEL_H
#define SEGC_PARALLEL_H

#include <stddef.h>

/* The cores online (1 to 256): the default thread count. */
int rt_cpus(void);

/* Calls fn(arg) n times at once, on n - 1 threads of a pool kept for the
 * process (started on first use) and the caller's, and returns when all
 * calls have: each call takes its share of the job from arg (a shared
 * counter, say).  A share no thread has begun when the caller's own is done
 * runs on the caller's thread, so every share is done, and a late or
 * missing thread only means less parallelism.  Safe to call from several
 * threads at once and from inside a share (those calls start threads of
 * their own). */
void rt_parallel(int n, void *(*fn)(void *), void *arg);

/* madvise(advice) over [from, from + len), `slice` bytes a call, the
 * slices shared out among n threads: with MADV_POPULATE_READ or _WRITE,
 * mapping pages in on all of them at once.  Its errors are ignored: a
 * kernel without the advice leaves the pages to be faulted in. */
void rt_parallel_madvise(void *from, size_t len, size_t slice, int advice, int n);

#endif
