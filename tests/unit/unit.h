/* tests/unit/unit.h — what the C unit tests share: a CHECK that counts and
 * reports without stopping, schema fields, and files in a per-run temporary
 * directory, removed after a run that passed. */
#ifndef SEGC_TESTS_UNIT_H
#define SEGC_TESTS_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "lang/types.h"

static int failures, checks;

/* a schema field of kind k (members, scale and the rest zero) */
static inline seg_field fld(const char *name, seg_tykind k, bool nullable) {
  seg_field f = {0};
  f.name = name;
  f.type.kind = k;
  f.nullable = nullable;
  return f;
}
static char tmpdir[256];

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    checks++;                                                                   \
    if (!(cond)) {                                                              \
      failures++;                                                               \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);  \
      fprintf(stderr, __VA_ARGS__);                                             \
      fputc('\n', stderr);                                                      \
    }                                                                           \
  } while (0)

/* Makes the run's temporary directory, /tmp/<prefix>-XXXXXX, for tpath. */
static inline bool unit_tmpdir(const char *prefix) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/%s-XXXXXX", prefix);
  if (mkdtemp(tmpdir)) return true;
  perror("mkdtemp");
  return false;
}

/* Removes it when every check passed; a failed run leaves its files to
 * look at. */
static inline void unit_rmtmp(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (failures == 0 && tmpdir[0] && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* name inside the run's temporary directory (eight results live at once) */
static inline const char *tpath(const char *name) {
  static char buf[8][512];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  return p;
}

static inline void write_file(const char *path, const void *text, size_t n) {
  FILE *fp = fopen(path, "wb");
  if (!fp || (n && fwrite(text, 1, n, fp) != n)) {
    perror(path);
    exit(2);
  }
  fclose(fp);
}

/* the whole file, NUL-terminated; NULL when it cannot be read */
static inline char *read_file(const char *path, size_t *n) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *buf = malloc((size_t)len + 1);
  if (fread(buf, 1, (size_t)len, fp) != (size_t)len) len = 0;
  buf[len] = 0;
  fclose(fp);
  if (n) *n = (size_t)len;
  return buf;
}

#endif
