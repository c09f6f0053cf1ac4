/* lang/load.c — reading .seg files into one program.
 *
 * Each file is read, registered as a source, scanned and parsed; its imports
 * are then loaded relative to the importing file's directory, each file once
 * (by canonical path).  Unreadable files and import errors are diagnostics. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

#include "parser.h"
#define YYSTYPE SEGYYSTYPE
#define YYLTYPE SEGYYLTYPE
#include "lexer.h"

seg_program *seg_program_new(void) {
  arena *a = arena_new();
  seg_program *p = arena_alloc(a, sizeof *p);
  p->a = a;
  diag_init(&p->diags, a);
  return p;
}

void seg_program_free(seg_program *p) {
  if (!p) return;
  for (int i = 0; i < p->regexes.n; i++) regfree(p->regexes.items[i]);
  arena_free(p->a);
}

int segyylex(SEGYYSTYPE *lval, SEGYYLTYPE *lloc, seg_parse *p) { return seglex_lex(lval, lloc, p->scanner); }

void segyyerror(SEGYYLTYPE *lloc, seg_parse *p, const char *msg) {
  /* bison's "syntax error, unexpected x, expecting y" reads better without its prefix */
  const char *prefix = "syntax error, ";
  if (strncmp(msg, prefix, strlen(prefix)) == 0) msg += strlen(prefix);
  diag_error(&p->prog->diags, *lloc, "%s", msg);
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s", strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  if (!buf || ferror(f)) {
    snprintf(err, errlen, "%s", buf ? strerror(errno) : "out of memory");
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  if (memchr(buf, 0, n)) {
    snprintf(err, errlen, "not a text file (it contains NUL bytes)");
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static void parse_text(seg_program *prog, int file, const char *path) {
  seg_parse p = {0};
  p.prog = prog;
  p.file = file;
  p.stream_start = -1;
  char *dup = strdup(path);
  const char *dir = dirname(dup);
  p.dir = arena_strndup(prog->a, dir, strlen(dir));
  free(dup);
  const seg_source *src = prog->diags.sources[file];
  yyscan_t scanner;
  if (seglex_lex_init_extra(&p, &scanner)) {
    diag_error_at_file(&prog->diags, path, "cannot start the scanner");
    return;
  }
  p.scanner = scanner;
  YY_BUFFER_STATE buf = seglex__scan_bytes(src->text, (int)src->len, scanner);
  segyyparse(&p);
  seglex__delete_buffer(buf, scanner);
  seglex_lex_destroy(scanner);
  for (int i = 0; i < p.imports.n; i++) {
    ast *imp = p.imports.items[i];
    char *target = imp->name[0] == '/' || strcmp(p.dir, ".") == 0 ? strdup(imp->name) : NULL;
    if (!target) {
      size_t n = strlen(p.dir) + strlen(imp->name) + 2;
      target = malloc(n);
      snprintf(target, n, "%s/%s", p.dir, imp->name);
    }
    seg_load_file(prog, target, imp->span, true);
    free(target);
  }
}

/* A file from the overlay: found by the path string the loader computes,
 * which is the one recorded when the pack was built. */
static bool load_overlay(seg_program *prog, const char *path, seg_span from, bool has_from) {
  for (int i = 0; i < prog->files.n; i++)
    if (strcmp(prog->files.items[i], path) == 0) return true;
  for (int i = 0; i < prog->noverlay; i++)
    if (strcmp(prog->overlay[i]->path, path) == 0) {
      ptrvec_push(prog->a, &prog->files, arena_strndup(prog->a, path, strlen(path)));
      int file = diag_add_source(&prog->diags, path, prog->overlay[i]->text, prog->overlay[i]->len);
      parse_text(prog, file, path);
      return true;
    }
  if (has_from) diag_error(&prog->diags, from, "cannot import %s: the pack holds no such file", path);
  else diag_error_at_file(&prog->diags, path, "the pack holds no such file");
  return false;
}

bool seg_load_file(seg_program *prog, const char *path, seg_span from, bool has_from) {
  if (prog->overlay) return load_overlay(prog, path, from, has_from);
  char canon[PATH_MAX];
  if (!realpath(path, canon)) {
    if (has_from) diag_error(&prog->diags, from, "cannot import %s: %s", path, strerror(errno));
    else diag_error_at_file(&prog->diags, path, "cannot read: %s", strerror(errno));
    return false;
  }
  for (int i = 0; i < prog->files.n; i++)
    if (strcmp(prog->files.items[i], canon) == 0) return true;
  ptrvec_push(prog->a, &prog->files, arena_strndup(prog->a, canon, strlen(canon)));
  char err[256];
  size_t len;
  char *text = read_file(path, &len, err, sizeof err);
  if (!text) {
    if (has_from) diag_error(&prog->diags, from, "cannot import %s: %s", path, err);
    else diag_error_at_file(&prog->diags, path, "cannot read: %s", err);
    return false;
  }
  /* paths as the user wrote them read better in messages; imports are shown joined */
  int file = diag_add_source(&prog->diags, path, text, len);
  free(text);
  parse_text(prog, file, path);
  return true;
}

void seg_load_text(seg_program *prog, const char *name, const char *text, size_t len) {
  int file = diag_add_source(&prog->diags, name, text, len);
  parse_text(prog, file, name);
}
