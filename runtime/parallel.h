/* runtime/parallel.h — running one job on several threads. */
#ifndef SEGC_PARALLEL_H
#define SEGC_PARALLEL_H

/* The cores online (1 to 256): the default thread count. */
int rt_cpus(void);

/* Calls fn(arg) n times at once, on n - 1 new threads and the caller's, and
 * returns when all calls have: each call takes its share of the job from
 * arg (a shared counter, say).  A call whose thread cannot start runs on
 * the caller's thread afterwards, so every share is done. */
void rt_parallel(int n, void *(*fn)(void *), void *arg);

#endif
