/* runtime/parallel.h — running one job on several threads. */
#ifndef SEGC_PARALLEL_H
#define SEGC_PARALLEL_H

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

#endif
