/* tests/unit/test_parallel.c — rt_parallel (runtime/parallel.c): a thread
 * the pool starts for a job takes a share of that job; every job
 * makes exactly n calls and its items are each done once, whether the pool's
 * threads are awake, asleep (after a pause longer than they spin), busy with
 * another caller's job (two callers at once), or the caller is itself a
 * share (a job inside a job); and in a child forked while the pool's
 * thread goes to sleep (the pool it copies has no threads).
 * rt_parallel_madvise maps in every page of its range. */
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/parallel.h"
#include "unit.h"

#define ITEMS 5000

typedef struct job {
  atomic_int calls, next, done[ITEMS];
  int inner; /* > 0: each share also runs a job of this many shares */
} job;

static int run_job(job *j, int n);
static atomic_int nested_problems; /* run_job's problems in shares and other callers (CHECK counts on one thread) */

static void *share(void *arg) {
  job *j = arg;
  atomic_fetch_add(&j->calls, 1);
  for (int i; (i = atomic_fetch_add(&j->next, 1)) < ITEMS;) atomic_fetch_add(&j->done[i], 1);
  if (j->inner) {
    static job nested[64];
    static atomic_int used;
    int k = atomic_fetch_add(&used, 1) % 64;
    atomic_fetch_add(&nested_problems, run_job(&nested[k], j->inner));
  }
  return NULL;
}

/* Runs a job of n shares on j (reset first); its problems (reported on
 * stderr): wrong call counts and items not done exactly once. */
static int run_job(job *j, int n) {
  atomic_store(&j->calls, 0);
  atomic_store(&j->next, 0);
  for (int i = 0; i < ITEMS; i++) atomic_store(&j->done[i], 0);
  rt_parallel(n, share, j);
  int wrong = 0, calls = atomic_load(&j->calls);
  for (int i = 0; i < ITEMS; i++) wrong += atomic_load(&j->done[i]) != 1;
  if (calls != n) fprintf(stderr, "%d calls for %d shares\n", calls, n);
  if (wrong) fprintf(stderr, "%d items not done exactly once (%d shares)\n", wrong, n);
  return (calls != n) + (wrong != 0);
}

/* A share that lasts 200 ms, long enough for a new thread to start, and
 * notes which thread ran it. */
static pthread_t ran_on[8];
static atomic_int nran;
static void *slow_share(void *unused) {
  (void)unused;
  ran_on[atomic_fetch_add(&nran, 1) % 8] = pthread_self();
  nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
  return NULL;
}

static void *caller(void *arg) {
  static job jobs[2];
  int who = (int)(intptr_t)arg;
  for (int round = 0; round < 200; round++) atomic_fetch_add(&nested_problems, run_job(&jobs[who], 1 + round % 4));
  return NULL;
}

/* rt_parallel_madvise maps in every page of a range whose last slice is
 * short, with 1 to 3 threads (where the kernel has MADV_POPULATE_WRITE). */
static void check_madvise(void) {
#ifdef MADV_POPULATE_WRITE
  long page = sysconf(_SC_PAGESIZE);
  size_t len = (size_t)(4 << 20) + 3 * (size_t)page, npages = len / (size_t)page;
  unsigned char *resident = malloc(npages);
  for (int n = 1; n <= 3; n++) {
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
    if (m == MAP_FAILED) break;
    if (madvise(m, (size_t)page, MADV_POPULATE_WRITE) != 0) { /* a kernel before 5.14 */
      munmap(m, len);
      break;
    }
    rt_parallel_madvise(m, len, (size_t)1 << 20, MADV_POPULATE_WRITE, n);
    size_t in = 0;
    if (mincore(m, len, resident) == 0)
      for (size_t i = 0; i < npages; i++) in += resident[i] & 1;
    CHECK(in == npages, "%d threads: %zu of %zu pages mapped in", n, in, npages);
    munmap(m, len);
  }
  free(resident);
#endif
}

int main(void) {
  /* the first jobs: each starts a pool thread, which must take its share */
  for (int n = 2; n <= 3; n++) {
    atomic_store(&nran, 0);
    rt_parallel(n, slow_share, NULL);
    int distinct = 0;
    for (int a = 0; a < n && a < atomic_load(&nran); a++) {
      bool seen = false;
      for (int b = 0; b < a; b++) seen |= pthread_equal(ran_on[a], ran_on[b]) != 0;
      distinct += !seen;
    }
    CHECK(distinct == n, "a job of %d shares ran on %d threads", n, distinct);
  }
  static job j;
  for (int round = 0; round < 300; round++) CHECK(run_job(&j, 1 + round % 8) == 0, "a job of %d shares", 1 + round % 8);
  /* after a pause the pool's threads are asleep */
  for (int round = 0; round < 3; round++) {
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    CHECK(run_job(&j, 2 + round) == 0, "a job of %d shares after a pause", 2 + round);
  }
  /* two callers at once */
  pthread_t other;
  bool started = pthread_create(&other, NULL, caller, (void *)(intptr_t)1) == 0;
  CHECK(started, "could not start a second caller");
  caller((void *)(intptr_t)0);
  if (started) pthread_join(other, NULL);
  /* forked children, some while the pool's thread is on its way to sleep
     (5 ms after a job): each runs jobs of its own, or is killed after 10 s
     (not under ThreadSanitizer, which refuses threads after such a fork) */
#ifndef __SANITIZE_THREAD__
  for (int round = 0; round < 12; round++) {
    CHECK(run_job(&j, 2) == 0, "a job before a fork");
    nanosleep(&(struct timespec){0, 4700000 + 50000 * round}, NULL);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
      alarm(10);
      int problems = 0;
      for (int k = 0; k < 5; k++) problems += run_job(&j, 2 + k % 2);
      _exit(problems ? 1 : 0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "a forked child's jobs (round %d): %s %d", round, WIFSIGNALED(status) ? "killed by signal" : "exit status",
          WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
  }
#endif
  /* a job inside a job */
  j.inner = 3;
  for (int round = 0; round < 20; round++) CHECK(run_job(&j, 2 + round % 3) == 0, "a job of %d shares with jobs inside", 2 + round % 3);
  CHECK(atomic_load(&nested_problems) == 0, "%d problems in jobs run by other callers and inside shares", atomic_load(&nested_problems));
  check_madvise();
  printf("parallel: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}
