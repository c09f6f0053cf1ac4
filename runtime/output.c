/* runtime/output.c — summary.json and the .ids files (see output.h). */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stdlib/calendar.h"

char *output_decimal(int64_t v, int scale, char *buf, size_t size) {
  uint64_t p = 1;
  for (int i = 0; i < scale; i++) p *= 10;
  uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  if (scale) snprintf(buf, size, "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long)(a / p), scale, (unsigned long long)(a % p));
  else snprintf(buf, size, "%lld", (long long)v);
  return buf;
}

const char *output_key(const rt_table *t, uint64_t row, char *buf, size_t size, size_t *len) {
  const seg_field *f = &t->schema->fields[t->schema->key];
  int64_t v = rt_get_i64(t, t->schema->key, row);
  switch (f->type.kind) {
  case TY_STRING: return rt_dict_str(t, (uint32_t)v, len);
  case TY_DATE: cal_format_date(v, buf, size); break;
  case TY_TIMESTAMP: cal_format_timestamp(v, buf, size); break;
  case TY_ENUM: snprintf(buf, size, "%s", f->type.members->names[v]); break;
  case TY_DECIMAL: output_decimal(v, f->type.scale, buf, size); break;
  default: snprintf(buf, size, "%lld", (long long)v); break;
  }
  *len = strlen(buf);
  return buf;
}

void output_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c == '\n') fputs("\\n", f);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

typedef struct pending {
  char *tmp, *final;
} pending;

static FILE *open_tmp(const char *dir, const char *name, pending *p, char *err, size_t errlen) {
  size_t n = strlen(dir) + strlen(name) + 64;
  p->final = malloc(n);
  p->tmp = malloc(n);
  snprintf(p->final, n, "%s/%s", dir, name);
  snprintf(p->tmp, n, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
  FILE *f = fopen(p->tmp, "wb");
  if (!f) snprintf(err, errlen, "cannot write %s: %s", p->tmp, strerror(errno));
  return f;
}

/* Closes a temporary file; its data reach the disk with the one syncfs
 * before the renames (output_write). */
static bool close_tmp(FILE *f, pending *p, char *err, size_t errlen) {
  bool ok = !ferror(f);
  ok &= fflush(f) == 0;
  ok &= fclose(f) == 0;
  if (!ok) snprintf(err, errlen, "cannot write %s: %s", p->tmp, strerror(errno));
  return ok;
}

/* Decimal digits of v at the end of buf[0..20]; returns the first. */
static char *format_i64(int64_t v, char *end) {
  uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  char *p = end;
  do *--p = (char)('0' + a % 10);
  while (a /= 10);
  if (v < 0) *--p = '-';
  return p;
}

/* The members' keys, ascending, one per line, through a large buffer;
 * integer keys are formatted without printf. */
static bool write_ids(const rt_table *t, const exec_result *res, int k, FILE *f) {
  enum { BUF = 1 << 20 };
  char *out = malloc(BUF), key[64];
  if (!out) return false;
  size_t used = 0;
  bool ok = true, int_key = t->schema->fields[t->schema->key].type.kind == TY_INT64 ||
                            t->schema->fields[t->schema->key].type.kind == TY_INT32;
  uint64_t words = (t->nrecords + 63) / 64;
  for (uint64_t w = 0; ok && w < words; w++) {
    uint64_t word = res->bits[k][w];
    while (word) {
      uint64_t row = w * 64 + (uint64_t)__builtin_ctzll(word);
      word &= word - 1;
      size_t len;
      const char *s;
      if (int_key) {
        s = format_i64(rt_get_i64(t, t->schema->key, row), key + 32);
        len = (size_t)(key + 32 - s);
      } else {
        s = output_key(t, row, key, sizeof key, &len);
      }
      if (used + len + 1 > BUF) {
        ok = fwrite(out, 1, used, f) == used;
        used = 0;
      }
      if (len + 1 > BUF) { /* a string key longer than the buffer */
        ok = ok && fwrite(s, 1, len, f) == len && fputc('\n', f) != EOF;
        continue;
      }
      memcpy(out + used, s, len);
      out[used + len] = '\n';
      used += len + 1;
    }
  }
  if (ok && used) ok = fwrite(out, 1, used, f) == used;
  free(out);
  return ok && !ferror(f);
}

/* The .ids files, written by all cores: each takes the next file. */
typedef struct ids_job {
  const rt_table *t;
  const exec_result *res;
  const char *dir;
  pending *ps;        /* [nfiles] */
  const char **names; /* [nfiles] segment names */
  int *seg_of;        /* [nfiles] output index */
  int nfiles;
  atomic_int next;
  atomic_bool failed;
  pthread_mutex_t lock;
  char err[1024];
} ids_job;

static void *ids_worker(void *arg) {
  ids_job *j = arg;
  for (int i; !atomic_load(&j->failed) && (i = atomic_fetch_add(&j->next, 1)) < j->nfiles;) {
    char name[4096], err[1024] = "";
    snprintf(name, sizeof name, "%s.ids", j->names[i]);
    FILE *f = open_tmp(j->dir, name, &j->ps[i], err, sizeof err);
    bool ok = f != NULL;
    if (ok && !write_ids(j->t, j->res, j->seg_of[i], f)) {
      snprintf(err, sizeof err, "cannot write %s: %s", j->ps[i].tmp, strerror(errno ? errno : EIO));
      ok = false;
    }
    char cerr[1024];
    if (f && !close_tmp(f, &j->ps[i], cerr, sizeof cerr) && ok) {
      snprintf(err, sizeof err, "%s", cerr);
      ok = false;
    }
    if (!ok) {
      pthread_mutex_lock(&j->lock);
      if (!atomic_load(&j->failed)) snprintf(j->err, sizeof j->err, "%s", err);
      atomic_store(&j->failed, true);
      pthread_mutex_unlock(&j->lock);
    }
  }
  return NULL;
}

static bool ids_write_all(ids_job *j, char *err, size_t errlen) {
  atomic_init(&j->next, 0);
  atomic_init(&j->failed, false);
  pthread_mutex_init(&j->lock, NULL);
  int nthreads = exec_default_threads();
  if (nthreads > j->nfiles) nthreads = j->nfiles;
  pthread_t th[256];
  bool started[256] = {false};
  for (int i = 1; i < nthreads && i < 256; i++) started[i] = pthread_create(&th[i], NULL, ids_worker, j) == 0;
  ids_worker(j);
  for (int i = 1; i < nthreads && i < 256; i++)
    if (started[i]) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&j->lock);
  if (atomic_load(&j->failed)) snprintf(err, errlen, "%s", j->err);
  return !atomic_load(&j->failed);
}

static void write_summary(FILE *f, const seg_pack *pk, const exec_result *res, const segc_report *rep) {
  fprintf(f, "{\n  \"as_of\": ");
  output_json_string(f, rep->as_of);
  fprintf(f, ",\n  \"records\": %llu,\n  \"seconds\": {\"load\": %.6f, \"compile\": %.6f, \"evaluate\": %.6f, \"write\": %.6f},\n",
          (unsigned long long)rep->records, rep->seconds_load, rep->seconds_compile, rep->seconds_eval, rep->seconds_write);
  fprintf(f, "  \"segments\": [");
  for (int k = 0; k < pk->noutputs; k++) {
    if (!pk->outputs[k].is_segment) continue;
    fprintf(f, "%s\n    {\"name\": ", k ? "," : "");
    output_json_string(f, pk->outputs[k].name);
    fprintf(f, ", \"description\": ");
    if (pk->outputs[k].desc) output_json_string(f, pk->outputs[k].desc);
    else fputs("null", f);
    fprintf(f, ", \"count\": %llu}", (unsigned long long)res->counts[k]);
  }
  fprintf(f, "\n  ]\n}\n");
}

bool output_write(const seg_pack *pk, const rt_table *t, const exec_result *res, const segc_report *rep,
                  const char *dir, char *err, size_t errlen) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    return false;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int n = pk->noutputs + 1;
  pending *ps = calloc((size_t)n, sizeof(pending));
  ids_job job = {.t = t, .res = res, .dir = dir, .ps = ps};
  job.seg_of = calloc((size_t)n, sizeof(int));
  bool ok = ps && job.seg_of;
  for (int k = 0; ok && k < pk->noutputs; k++) {
    if (!pk->outputs[k].is_segment) continue;
    job.names = realloc(job.names, sizeof(char *) * (size_t)(job.nfiles + 1));
    job.names[job.nfiles] = pk->outputs[k].name;
    job.seg_of[job.nfiles++] = k;
  }
  if (ok) ok = ids_write_all(&job, err, errlen);
  int done = job.nfiles;
  free(job.names);
  free(job.seg_of);
  if (ok) {
    FILE *f = open_tmp(dir, "summary.json", &ps[done], err, errlen);
    if (f) {
      done++;
      segc_report timed = *rep; /* the summary records the time spent on the .ids files */
      clock_gettime(CLOCK_MONOTONIC, &t1);
      timed.seconds_write = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
      write_summary(f, pk, res, &timed);
      ok = close_tmp(f, &ps[done - 1], err, errlen);
    } else ok = false;
  }
  /* all written: to the disk once, then into place; on failure remove the temporaries */
  if (ok) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || syncfs(dfd) != 0) {
      snprintf(err, errlen, "cannot write %s: %s", dir, strerror(errno));
      ok = false;
    }
    if (dfd >= 0) close(dfd);
  }
  for (int i = 0; i < done; i++) {
    if (ok && rename(ps[i].tmp, ps[i].final) != 0) {
      snprintf(err, errlen, "cannot rename %s: %s", ps[i].tmp, strerror(errno));
      ok = false;
    }
    if (!ok) unlink(ps[i].tmp);
  }
  if (ok) { /* the renames themselves */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
  }
  for (int i = 0; i < n; i++) {
    free(ps[i].tmp);
    free(ps[i].final);
  }
  free(ps);
  return ok;
}
