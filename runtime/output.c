/* runtime/output.c — summary.json and the .ids files (see output.h). */
#include "output.h"

#include <errno.h>
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

static bool close_tmp(FILE *f, pending *p, char *err, size_t errlen) {
  bool ok = !ferror(f);
  ok &= fflush(f) == 0;
  ok &= fsync(fileno(f)) == 0;
  ok &= fclose(f) == 0;
  if (!ok) snprintf(err, errlen, "cannot write %s: %s", p->tmp, strerror(errno));
  return ok;
}

static bool write_ids(const rt_table *t, const exec_result *res, int k, FILE *f) {
  char buf[64];
  uint64_t words = (t->nrecords + 63) / 64;
  for (uint64_t w = 0; w < words; w++) {
    uint64_t word = res->bits[k][w];
    while (word) {
      uint64_t row = w * 64 + (uint64_t)__builtin_ctzll(word);
      word &= word - 1;
      size_t len;
      const char *key = output_key(t, row, buf, sizeof buf, &len);
      fwrite(key, 1, len, f);
      fputc('\n', f);
    }
  }
  return !ferror(f);
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
  bool ok = true;
  int done = 0;
  for (int k = 0; ok && k < pk->noutputs; k++) {
    if (!pk->outputs[k].is_segment) continue;
    char name[4096];
    snprintf(name, sizeof name, "%s.ids", pk->outputs[k].name);
    FILE *f = open_tmp(dir, name, &ps[done], err, errlen);
    if (!f) {
      ok = false;
      break;
    }
    done++;
    if (!write_ids(t, res, k, f)) snprintf(err, errlen, "cannot write %s: %s", ps[done - 1].tmp, strerror(errno));
    ok = close_tmp(f, &ps[done - 1], err, errlen);
  }
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
  /* all written: move them into place; on failure remove the temporaries */
  for (int i = 0; i < done; i++) {
    if (ok && rename(ps[i].tmp, ps[i].final) != 0) {
      snprintf(err, errlen, "cannot rename %s: %s", ps[i].tmp, strerror(errno));
      ok = false;
    }
    if (!ok) unlink(ps[i].tmp);
  }
  for (int i = 0; i < n; i++) {
    free(ps[i].tmp);
    free(ps[i].final);
  }
  free(ps);
  return ok;
}
