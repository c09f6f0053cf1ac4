/* runtime/output.c — summary.json and the .ids files (see output.h). */
#include "output.h"
#include "parallel.h"

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

/* Decimal digits of v at the end of buf[0..20]; returns the first.  Two
 * digits per division. */
static char *format_i64(int64_t v, char *end) {
  static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                              "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                              "8081828384858687888990919293949596979899";
  uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  char *p = end;
  while (a >= 100) {
    unsigned d = (unsigned)(a % 100);
    a /= 100;
    p -= 2;
    memcpy(p, pairs + 2 * d, 2);
  }
  if (a >= 10) {
    p -= 2;
    memcpy(p, pairs + 2 * a, 2);
  } else {
    *--p = (char)('0' + a);
  }
  if (v < 0) *--p = '-';
  return p;
}

/* The .ids files, written by all cores.  Thread t takes every nthreads-th
 * file and walks the records a block at a time: integer keys of the block
 * are formatted once into fixed slots of KEY_SLOT bytes ("digits\n", its
 * length in the last byte), then each of its files appends its members of
 * the block, one fixed-size copy per member, so the slots stay in cache. */
enum { KEY_SLOT = 24, IDS_BUF = 1 << 18 };

typedef struct ids_job {
  const rt_table *t;
  int nthreads;
  const exec_result *res;
  const char *dir;
  pending *ps;        /* [nfiles] */
  const char **names; /* [nfiles] segment names */
  int *seg_of;        /* [nfiles] output index */
  int nfiles;
  atomic_int next;    /* the next thread number */
  atomic_bool failed;
  pthread_mutex_t lock;
  char err[1024];
} ids_job;

typedef struct ids_file {
  FILE *f;
  char *buf;
  size_t used;
  int file;
} ids_file;

static bool ids_flush(ids_file *o) {
  bool ok = fwrite(o->buf, 1, o->used, o->f) == o->used;
  o->used = 0;
  return ok;
}

/* file o's members among records [b * RT_BLOCK, + count) */
static bool ids_block(const ids_job *j, ids_file *o, uint64_t b, uint32_t count, const char *slots) {
  const uint64_t *bits = j->res->bits[j->seg_of[o->file]] + b * (RT_BLOCK / 64);
  char key[64], *buf = o->buf;
  size_t used = o->used; /* a local: stores through buf cannot change it */
  for (uint32_t w = 0; w < (count + 63) / 64; w++) {
    for (uint64_t word = bits[w]; word; word &= word - 1) {
      uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(word);
      if (slots) {
        if (used + KEY_SLOT > IDS_BUF) {
          o->used = used;
          if (!ids_flush(o)) return false;
          used = 0;
        }
        const char *slot = slots + (size_t)i * KEY_SLOT;
        memcpy(buf + used, slot, KEY_SLOT);
        used += (size_t)slot[KEY_SLOT - 1];
        continue;
      }
      size_t len;
      const char *s = output_key(j->t, b * RT_BLOCK + i, key, sizeof key, &len);
      if (used + len + 1 > IDS_BUF) {
        o->used = used;
        if (!ids_flush(o)) return false;
        used = 0;
      }
      if (len + 1 > IDS_BUF) { /* a string key longer than the buffer */
        if (fwrite(s, 1, len, o->f) != len || fputc('\n', o->f) == EOF) return false;
        continue;
      }
      memcpy(buf + used, s, len);
      buf[used + len] = '\n';
      used += len + 1;
    }
  }
  o->used = used;
  return true;
}

static void ids_fail(ids_job *j, const char *err) {
  pthread_mutex_lock(&j->lock);
  if (!atomic_load(&j->failed)) snprintf(j->err, sizeof j->err, "%s", err);
  atomic_store(&j->failed, true);
  pthread_mutex_unlock(&j->lock);
}

static void *ids_worker(void *arg) {
  ids_job *j = arg;
  int t = atomic_fetch_add(&j->next, 1), mine = 0;
  ids_file *files = calloc((size_t)j->nfiles / (size_t)j->nthreads + 1, sizeof(ids_file));
  seg_tykind kk = j->t->schema->fields[j->t->schema->key].type.kind;
  char *slots = kk == TY_INT64 || kk == TY_INT32 ? malloc((size_t)RT_BLOCK * KEY_SLOT) : NULL;
  char err[1024] = "";
  bool ok = files && (slots || !(kk == TY_INT64 || kk == TY_INT32));
  if (!ok) snprintf(err, sizeof err, "out of memory writing %s", j->dir);
  for (int i = t; ok && i < j->nfiles; i += j->nthreads) {
    char name[4096];
    snprintf(name, sizeof name, "%s.ids", j->names[i]);
    ids_file *o = &files[mine];
    o->file = i;
    o->f = open_tmp(j->dir, name, &j->ps[i], err, sizeof err);
    o->buf = malloc(IDS_BUF);
    ok = o->f && o->buf;
    if (o->f || o->buf) mine++;
    if (o->f && !o->buf) snprintf(err, sizeof err, "out of memory writing %s", j->dir);
  }
  for (uint64_t b = 0; ok && b < j->t->nblocks && !atomic_load(&j->failed); b++) {
    uint32_t count = rt_block_count(j->t, b);
    for (uint32_t i = 0; slots && i < count; i++) {
      char key[32], *slot = slots + (size_t)i * KEY_SLOT;
      const char *s = format_i64(rt_get_i64(j->t, j->t->schema->key, b * RT_BLOCK + i), key + 31);
      size_t len = (size_t)(key + 31 - s);
      memcpy(slot, s, len);
      slot[len] = '\n';
      slot[KEY_SLOT - 1] = (char)(len + 1);
    }
    for (int m = 0; ok && m < mine; m++)
      if (!ids_block(j, &files[m], b, count, slots))
        snprintf(err, sizeof err, "cannot write %s: %s", j->ps[files[m].file].tmp, strerror(errno ? errno : EIO)), ok = false;
  }
  for (int m = 0; m < mine; m++) {
    ids_file *o = &files[m];
    if (ok && o->used && !ids_flush(o))
      snprintf(err, sizeof err, "cannot write %s: %s", j->ps[o->file].tmp, strerror(errno ? errno : EIO)), ok = false;
    char cerr[1024];
    if (o->f && !close_tmp(o->f, &j->ps[o->file], cerr, sizeof cerr) && ok) {
      snprintf(err, sizeof err, "%s", cerr);
      ok = false;
    }
    free(o->buf);
  }
  if (!ok) ids_fail(j, err);
  free(files);
  free(slots);
  return NULL;
}

static bool ids_write_all(ids_job *j, char *err, size_t errlen) {
  atomic_init(&j->next, 0);
  atomic_init(&j->failed, false);
  pthread_mutex_init(&j->lock, NULL);
  if (j->nthreads > j->nfiles) j->nthreads = j->nfiles > 0 ? j->nfiles : 1;
  rt_parallel(j->nthreads, ids_worker, j); /* each call takes the next thread number's files */
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

bool output_write(const seg_pack *pk, const rt_table *t, const exec_result *res, const segc_report *rep, int threads,
                  const char *dir, char *err, size_t errlen) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    return false;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int n = pk->noutputs + 1;
  pending *ps = calloc((size_t)n, sizeof(pending));
  ids_job job = {.t = t, .res = res, .dir = dir, .ps = ps, .nthreads = threads > 0 ? threads : exec_default_threads()};
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
    if (!ok && ps[i].tmp) unlink(ps[i].tmp);
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
