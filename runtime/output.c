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
  if (scale > 18) scale = 18; /* decimal(p, s) has p <= 18 */
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

/* p's names: dir/name, and the temporary it is written to first. */
static bool pending_init(const char *dir, const char *name, pending *p) {
  size_t n = strlen(dir) + strlen(name) + 64;
  p->final = malloc(n);
  p->tmp = malloc(n);
  if (!p->final || !p->tmp) return false;
  snprintf(p->final, n, "%s/%s", dir, name);
  snprintf(p->tmp, n, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
  return true;
}

static FILE *open_tmp(const char *dir, const char *name, pending *p, char *err, size_t errlen) {
  FILE *f = pending_init(dir, name, p) ? fopen(p->tmp, "wb") : NULL;
  if (!f) snprintf(err, errlen, "cannot write %s: %s", p->tmp ? p->tmp : dir, strerror(errno));
  return f;
}

static int open_tmp_fd(const char *dir, const char *name, pending *p) {
  if (!pending_init(dir, name, p)) return errno = ENOMEM, -1;
  return open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
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

/* The .ids files, written by all cores in two passes over the records, cut
 * into parts of whole blocks: many per thread, so that the threads finish
 * within a small part of each other (with one thread, one part).  Pass 1
 * measures each file's bytes in each part; their running sums give every
 * (file, part) its offset.  Pass 2 formats each part's keys once (an
 * integer key into a fixed slot of KEY_SLOT bytes: "digits\n", its length
 * in the last byte) and writes each file's members of the part at the
 * part's offset, so any thread can write any part and the slots stay in
 * cache. */
enum { KEY_SLOT = 24, IDS_BUF_MAX = 1 << 18, IDS_BUF_MIN = 1 << 12, IDS_BUFS = 1 << 23, IDS_PARTS_PER_THREAD = 32 };

typedef struct ids_job {
  const rt_table *t;
  int nthreads;
  const exec_result *res;
  const char *dir;
  pending *ps;        /* [nfiles] */
  const char **names; /* [nfiles] segment names */
  int *seg_of;        /* [nfiles] output index */
  int nfiles;
  int *fd;            /* [nfiles] */
  int nparts;
  uint64_t *bytes;    /* [nfiles][nparts]: pass 1's sizes, then the offsets */
  size_t buf_size;    /* per file and thread */
  bool slots;         /* integer keys */
  atomic_int next;    /* the next part of the pass */
  atomic_bool failed;
  pthread_mutex_t lock;
  char err[1024];
} ids_job;

/* The first failure wins: "cannot write <path>: <errno e>", or with e ==
 * ENOMEM "out of memory writing <path>". */
static void ids_fail(ids_job *j, const char *path, int e) {
  pthread_mutex_lock(&j->lock);
  if (!atomic_load(&j->failed)) {
    if (e == ENOMEM) snprintf(j->err, sizeof j->err, "out of memory writing %s", path);
    else snprintf(j->err, sizeof j->err, "cannot write %s: %s", path, strerror(e ? e : EIO));
  }
  atomic_store(&j->failed, true);
  pthread_mutex_unlock(&j->lock);
}

static void ids_part_blocks(const ids_job *j, int p, uint64_t *b0, uint64_t *b1) {
  *b0 = j->t->nblocks * (uint64_t)p / (uint64_t)j->nparts;
  *b1 = j->t->nblocks * (uint64_t)(p + 1) / (uint64_t)j->nparts;
}

/* Record i of block b's integer key (an int64 or int32 key column). */
static int64_t ids_key(const rt_table *t, uint64_t b, uint32_t i) {
  int key = t->schema->key;
  const uint8_t *col = rt_block(t, b) + t->layout.val_off[key];
  if (t->schema->fields[key].type.kind == TY_INT32) {
    int32_t v;
    memcpy(&v, col + (size_t)i * 4, 4);
    return v;
  }
  int64_t v;
  memcpy(&v, col + (size_t)i * 8, 8);
  return v;
}

/* The block's integer keys into their slots. */
static void ids_slots(const rt_table *t, uint64_t b, uint32_t count, char *slots) {
  for (uint32_t i = 0; i < count; i++) {
    char key[32], *slot = slots + (size_t)i * KEY_SLOT;
    const char *s = format_i64(ids_key(t, b, i), key + 31);
    size_t len = (size_t)(key + 31 - s);
    memcpy(slot, s, len);
    slot[len] = '\n';
    slot[KEY_SLOT - 1] = (char)(len + 1);
  }
}

/* The length of integer key v's line: its digits, a sign, the newline. */
static uint8_t ids_int_line(int64_t v) {
  uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  uint8_t n = v < 0 ? 3 : 2;
  for (; a >= 10; a /= 10) n++;
  return n;
}

/* The one line length of block b's integer keys, or -1 when they differ
 * (then lines[] holds each record's).  The keys ascend (rt_table), so when
 * they all have one sign the first and last key bound every length. */
static int ids_block_lines(const rt_table *t, uint64_t b, uint32_t count, uint8_t *lines) {
  int64_t first = ids_key(t, b, 0), last = ids_key(t, b, count - 1);
  if ((first >= 0 || last < 0) && ids_int_line(first) == ids_int_line(last)) return ids_int_line(first);
  for (uint32_t i = 0; i < count; i++) lines[i] = ids_int_line(ids_key(t, b, i));
  return -1;
}

/* Pass 1, one part: each file's bytes.  Built with and without popcnt, as
 * exec.c's emit_block. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("popcnt", "default")))
#endif
static void ids_measure(ids_job *j, int p) {
  uint8_t lines[RT_BLOCK]; /* integer keys: each record's line length */
  uint64_t b0, b1;
  ids_part_blocks(j, p, &b0, &b1);
  for (uint64_t b = b0; b < b1; b++) {
    uint32_t count = rt_block_count(j->t, b), words = (count + 63) / 64;
    int same = -1; /* the one line length of the block's keys, if they share it */
    if (j->slots) same = ids_block_lines(j->t, b, count, lines);
    for (int f = 0; f < j->nfiles; f++) {
      const uint64_t *bits = j->res->bits[j->seg_of[f]] + b * (RT_BLOCK / 64);
      uint64_t n = 0;
      if (same >= 0) {
        for (uint32_t w = 0; w < words; w++) n += (uint64_t)__builtin_popcountll(bits[w]);
        n *= (uint64_t)same;
      } else {
        for (uint32_t w = 0; w < words; w++)
          for (uint64_t word = bits[w]; word; word &= word - 1) {
            uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(word);
            size_t len;
            char key[64];
            if (j->slots) len = lines[i];
            else output_key(j->t, b * RT_BLOCK + i, key, sizeof key, &len), len++;
            n += len;
          }
      }
      j->bytes[(size_t)f * (size_t)j->nparts + (size_t)p] += n;
    }
  }
}

/* One file's buffer in pass 2: its bytes go to fd at off. */
typedef struct ids_out {
  char *buf;
  size_t used;
  uint64_t off;
} ids_out;

static bool ids_pwrite(int fd, const char *p, size_t n, uint64_t off) {
  while (n) {
    ssize_t w = pwrite(fd, p, n, (off_t)off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w, n -= (size_t)w, off += (uint64_t)w;
  }
  return true;
}

static bool ids_flush(const ids_job *j, int f, ids_out *o) {
  if (!o->used) return true;
  bool ok = ids_pwrite(j->fd[f], o->buf, o->used, o->off);
  /* the disk can start on it now: less for the syncfs before the renames to wait for */
  if (ok) sync_file_range(j->fd[f], (off_t)o->off, (off_t)o->used, SYNC_FILE_RANGE_WRITE);
  o->off += o->used;
  o->used = 0;
  return ok;
}

/* File f's members in one block, integer keys: their slots copied whole
 * (a slot's bytes past its line are overwritten by the next one).  The
 * buffer's room is checked once per word of members. */
static bool ids_put_slots(const ids_job *j, int f, const uint64_t *bits, uint32_t words, const char *slots, ids_out *o) {
  char *buf = o->buf;
  size_t used = o->used; /* a local: stores through buf cannot change it */
  for (uint32_t w = 0; w < words; w++) {
    uint64_t word = bits[w];
    if (!word) continue;
    if (used + 64 * KEY_SLOT > j->buf_size) {
      o->used = used;
      if (!ids_flush(j, f, o)) return false;
      used = 0;
    }
    const char *base = slots + (size_t)w * 64 * KEY_SLOT;
    for (; word; word &= word - 1) {
      const char *s = base + (size_t)__builtin_ctzll(word) * KEY_SLOT;
      memcpy(buf + used, s, KEY_SLOT);
      used += (uint8_t)s[KEY_SLOT - 1];
    }
  }
  o->used = used;
  return true;
}

/* File f's members in block b, any other key: formatted one by one. */
static bool ids_put_keys(const ids_job *j, int f, uint64_t b, const uint64_t *bits, uint32_t words, ids_out *o) {
  for (uint32_t w = 0; w < words; w++)
    for (uint64_t word = bits[w]; word; word &= word - 1) {
      char key[64];
      size_t len;
      const char *s = output_key(j->t, b * RT_BLOCK + w * 64 + (uint32_t)__builtin_ctzll(word), key, sizeof key, &len);
      if (o->used + len + 1 > j->buf_size && !ids_flush(j, f, o)) return false;
      if (len + 1 > j->buf_size) { /* a key longer than the buffer */
        if (!ids_pwrite(j->fd[f], s, len, o->off) || !ids_pwrite(j->fd[f], "\n", 1, o->off + len)) return false;
        o->off += len + 1;
        continue;
      }
      memcpy(o->buf + o->used, s, len);
      o->buf[o->used + len] = '\n';
      o->used += len + 1;
    }
  return true;
}

/* Pass 2, one part: the members, written.  false: cannot write file *bad. */
static bool ids_write_part(const ids_job *j, int p, char *slots, ids_out *outs, int *bad) {
  uint64_t b0, b1;
  ids_part_blocks(j, p, &b0, &b1);
  for (int f = 0; f < j->nfiles; f++) outs[f].off = j->bytes[(size_t)f * (size_t)j->nparts + (size_t)p];
  for (uint64_t b = b0; b < b1; b++) {
    uint32_t count = rt_block_count(j->t, b), words = (count + 63) / 64;
    if (slots) ids_slots(j->t, b, count, slots);
    for (int f = 0; f < j->nfiles; f++) {
      const uint64_t *bits = j->res->bits[j->seg_of[f]] + b * (RT_BLOCK / 64);
      if (!(slots ? ids_put_slots(j, f, bits, words, slots, &outs[f]) : ids_put_keys(j, f, b, bits, words, &outs[f])))
        return *bad = f, false;
    }
  }
  for (int f = 0; f < j->nfiles; f++)
    if (outs[f].used && !ids_flush(j, f, &outs[f])) return *bad = f, false;
  return true;
}

static void *ids_measure_worker(void *arg) {
  ids_job *j = arg;
  for (int p; !atomic_load(&j->failed) && (p = atomic_fetch_add(&j->next, 1)) < j->nparts;) ids_measure(j, p);
  return NULL;
}

static void *ids_write_worker(void *arg) {
  ids_job *j = arg;
  char *slots = j->slots ? malloc((size_t)RT_BLOCK * KEY_SLOT) : NULL;
  ids_out *outs = calloc((size_t)j->nfiles + 1, sizeof *outs);
  char *bufs = malloc((size_t)j->nfiles * j->buf_size + 1);
  if ((j->slots && !slots) || !outs || !bufs) {
    ids_fail(j, j->dir, ENOMEM);
  } else {
    for (int f = 0; f < j->nfiles; f++) outs[f].buf = bufs + (size_t)f * j->buf_size;
    int bad = 0;
    for (int p; !atomic_load(&j->failed) && (p = atomic_fetch_add(&j->next, 1)) < j->nparts;)
      if (!ids_write_part(j, p, slots, outs, &bad)) ids_fail(j, j->ps[bad].tmp, errno);
  }
  free(slots);
  free(outs);
  free(bufs);
  return NULL;
}

static bool ids_write_all(ids_job *j, char *err, size_t errlen) {
  atomic_init(&j->failed, false);
  pthread_mutex_init(&j->lock, NULL);
  seg_tykind kk = j->t->schema->fields[j->t->schema->key].type.kind;
  j->slots = kk == TY_INT64 || kk == TY_INT32;
  uint64_t parts = j->nthreads > 1 ? (uint64_t)j->nthreads * IDS_PARTS_PER_THREAD : 1;
  j->nparts = (int)(j->t->nblocks < parts ? j->t->nblocks : parts);
  size_t bs = j->nfiles ? IDS_BUFS / (size_t)j->nfiles : IDS_BUF_MAX;
  j->buf_size = bs > IDS_BUF_MAX ? IDS_BUF_MAX : bs < IDS_BUF_MIN ? IDS_BUF_MIN : bs;
  j->fd = malloc(((size_t)j->nfiles + 1) * sizeof *j->fd);
  j->bytes = calloc((size_t)j->nfiles * (size_t)j->nparts + 1, sizeof *j->bytes);
  if (!j->fd || !j->bytes) ids_fail(j, j->dir, ENOMEM);
  int opened = 0;
  for (; !atomic_load(&j->failed) && opened < j->nfiles; opened++) {
    char name[4096];
    snprintf(name, sizeof name, "%s.ids", j->names[opened]);
    j->fd[opened] = open_tmp_fd(j->dir, name, &j->ps[opened]);
    if (j->fd[opened] < 0) ids_fail(j, j->ps[opened].tmp ? j->ps[opened].tmp : j->dir, errno);
  }
  int threads = j->nthreads < j->nparts ? j->nthreads : j->nparts;
  if (!atomic_load(&j->failed) && j->nparts) {
    atomic_init(&j->next, 0);
    rt_parallel(threads, ids_measure_worker, j);
    for (int f = 0; f < j->nfiles; f++) { /* sizes -> offsets */
      uint64_t *row = j->bytes + (size_t)f * (size_t)j->nparts, sum = 0;
      for (int p = 0; p < j->nparts; p++) {
        uint64_t n = row[p];
        row[p] = sum;
        sum += n;
      }
    }
    atomic_init(&j->next, 0);
    if (!atomic_load(&j->failed)) rt_parallel(threads, ids_write_worker, j);
  }
  for (int f = 0; f < opened; f++)
    if (j->fd[f] >= 0 && close(j->fd[f]) != 0) ids_fail(j, j->ps[f].tmp, errno);
  free(j->fd);
  free(j->bytes);
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
