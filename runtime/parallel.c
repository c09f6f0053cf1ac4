/* runtime/parallel.c — running one job on several threads (parallel.h).
 *
 * The threads are kept: a pool, started on first use and grown as a job
 * needs, whose threads wait for the next job spinning for a while
 * (POOL_SPIN_NS) and then asleep.  A run makes several parallel jobs in a
 * row (the data file's checks, the lifts, the blocks), with short serial
 * steps between them; a thread started for each job began its share up to
 * 3 ms late on this project's 2-core machine (1M customers: a fifth of the
 * attribute pack's evaluation on two threads), and one already running
 * starts at once.
 *
 * A job is n shares; a share is one call fn(arg), which takes its work from
 * a counter in arg, so a share that starts late, or runs after the others,
 * finds less or nothing to do.  The caller runs a share, then every share
 * no pool thread has taken yet, then waits for those that have been taken.
 * One job at a time: a second caller (another thread, or a share calling
 * rt_parallel) gets threads of its own, started and joined as before. */
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POOL_PAUSE() _mm_pause()
#else
#define POOL_PAUSE() ((void)0)
#endif

#define POOL_SPIN_NS 5000000 /* how long an idle pool thread waits awake */
#define POOL_MAX 255

static struct {
  pthread_mutex_t mu;
  pthread_cond_t posted;  /* a job was posted (for the threads asleep) */
  int started, asleep;    /* under mu */
  atomic_uint job;        /* the number of the current job */
  void *(*fn)(void *);    /* the current job, set before `job` is bumped */
  void *arg;
  atomic_int shares;      /* shares of the current job not taken yet */
  atomic_int running;     /* shares of the current job not finished, taken or not */
  atomic_bool busy;       /* a caller is using the pool */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .posted = PTHREAD_COND_INITIALIZER};

int rt_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Takes and runs shares of the current job while some are left. */
static void run_shares(void) {
  while (atomic_fetch_sub(&pool.shares, 1) > 0) {
    pool.fn(pool.arg);
    atomic_fetch_sub(&pool.running, 1);
  }
}

/* Pool thread number `index` (1, 2, ...) waits awake only while the
 * machine has a core for it besides the caller's.  It is started for a
 * job before the job is posted: the jobs it waits for come after
 * born[index], the number before that one (reading pool.job once running
 * could already see that job's, and miss it). */
static unsigned born[POOL_MAX + 1];

static void *pool_thread(void *index) {
  int64_t spin_ns = (intptr_t)index < rt_cpus() ? POOL_SPIN_NS : 0;
  unsigned seen = born[(intptr_t)index];
  for (;;) {
    int64_t since = now_ns();
    unsigned job;
    for (int spins = 0; (job = atomic_load(&pool.job)) == seen; spins++) {
      POOL_PAUSE();
      if (spins % 256 == 0 && now_ns() - since >= spin_ns) {
        pthread_mutex_lock(&pool.mu);
        pool.asleep++;
        while ((job = atomic_load(&pool.job)) == seen) pthread_cond_wait(&pool.posted, &pool.mu);
        pool.asleep--;
        pthread_mutex_unlock(&pool.mu);
        break;
      }
    }
    seen = job;
    run_shares();
  }
  return NULL;
}

/* fork() copies the pool's memory but none of its threads, and could copy
 * its mutex held by a thread on its way to sleep: the child would wait for
 * it for ever (test_streams opens files in forked children).  So the
 * mutex is taken across a fork, and the child starts with an empty pool. */
static void pool_fork_prepare(void) { pthread_mutex_lock(&pool.mu); }
static void pool_fork_parent(void) { pthread_mutex_unlock(&pool.mu); }
static void pool_fork_child(void) {
  pthread_mutex_init(&pool.mu, NULL);
  pthread_cond_init(&pool.posted, NULL);
  pool.started = pool.asleep = 0;
  atomic_store(&pool.shares, 0);
  atomic_store(&pool.running, 0);
  atomic_store(&pool.busy, false);
}
static void pool_at_fork(void) { pthread_atfork(pool_fork_prepare, pool_fork_parent, pool_fork_child); }

/* Threads started and joined for this job alone (the pool is in use). */
static void parallel_own(int n, void *(*fn)(void *), void *arg) {
  pthread_t *th = malloc(sizeof *th * (size_t)n);
  bool *started = calloc((size_t)n, sizeof *started);
  for (int i = 1; th && started && i < n; i++) started[i] = pthread_create(&th[i], NULL, fn, arg) == 0;
  fn(arg);
  for (int i = 1; i < n; i++)
    if (th && started && started[i]) pthread_join(th[i], NULL);
    else fn(arg);
  free(th);
  free(started);
}

void rt_parallel(int n, void *(*fn)(void *), void *arg) {
  if (n <= 1) {
    fn(arg);
    return;
  }
  if (atomic_exchange(&pool.busy, true)) {
    parallel_own(n, fn, arg);
    return;
  }
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, pool_at_fork);
  pthread_mutex_lock(&pool.mu);
  for (pthread_t th; pool.started < n - 1 && pool.started < POOL_MAX; pool.started++) {
    born[pool.started + 1] = atomic_load(&pool.job);
    if (pthread_create(&th, NULL, pool_thread, (void *)(intptr_t)(pool.started + 1)) != 0 || pthread_detach(th) != 0) break;
  }
  pool.fn = fn;
  pool.arg = arg;
  atomic_store(&pool.running, n - 1);
  atomic_store(&pool.shares, n - 1);
  atomic_fetch_add(&pool.job, 1);
  if (pool.asleep) pthread_cond_broadcast(&pool.posted);
  pthread_mutex_unlock(&pool.mu);
  fn(arg);
  run_shares(); /* those no thread took: fewer threads than shares, or late ones */
  for (int spins = 0; atomic_load(&pool.running) > 0; spins++) /* the last shares usually end soon */
    if (spins < 4096) POOL_PAUSE();
    else sched_yield(); /* and may need this core, with more threads than cores */
  atomic_store(&pool.busy, false);
}

typedef struct madvise_job {
  char *from;
  size_t len, slice;
  int advice;
  atomic_size_t next;
} madvise_job;

static void *madvise_share(void *arg) {
  madvise_job *m = arg;
  for (size_t at; (at = atomic_fetch_add(&m->next, m->slice)) < m->len;)
    madvise(m->from + at, m->len - at < m->slice ? m->len - at : m->slice, m->advice);
  return NULL;
}

void rt_parallel_madvise(void *from, size_t len, size_t slice, int advice, int n) {
  if (!len || !slice) return;
  madvise_job m = {.from = from, .len = len, .slice = slice, .advice = advice};
  atomic_init(&m.next, 0);
  size_t slices = (len + slice - 1) / slice;
  rt_parallel(slices < (size_t)n ? (int)slices : n, madvise_share, &m);
}
