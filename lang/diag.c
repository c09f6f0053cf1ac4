/* lang/diag.c — the source table, the diagnostics list and its rendering,
 * and did-you-mean suggestions by edit distance. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(seg_diags *d, arena *a) {
  memset(d, 0, sizeof *d);
  d->a = a;
}

int diag_add_source(seg_diags *d, const char *path, const char *text, size_t len) {
  seg_source *s = arena_alloc(d->a, sizeof *s);
  s->path = arena_strndup(d->a, path, strlen(path));
  s->text = arena_strndup(d->a, text, len);
  s->len = (uint32_t)len;
  int n = 1;
  for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p))); p++) n++;
  s->lines = arena_alloc(d->a, sizeof(uint32_t) * (size_t)n);
  s->lines[0] = 0;
  int k = 1;
  for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
    s->lines[k++] = (uint32_t)(p - text) + 1;
  s->nlines = n;
  if (d->nsources == d->capsources) {
    int cap = d->capsources ? d->capsources * 2 : 8;
    seg_source **v = arena_alloc(d->a, sizeof(*v) * (size_t)cap);
    if (d->nsources) memcpy(v, d->sources, sizeof(*v) * (size_t)d->nsources);
    d->sources = v;
    d->capsources = cap;
  }
  d->sources[d->nsources] = s;
  return d->nsources++;
}

static seg_diag *add(seg_diags *d, diag_level level, seg_span span, bool has_span,
                     const char *fmt, va_list ap) {
  seg_diag *g = arena_alloc(d->a, sizeof *g);
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  char *msg = arena_alloc(d->a, (size_t)n + 1);
  vsnprintf(msg, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  g->level = level;
  g->span = span;
  g->has_span = has_span;
  g->msg = msg;
  /* one error per position: a second one there is a consequence of the
   * first (a name already reported, say); it stays detached, unreported */
  for (seg_diag *e = d->head; has_span && level == DIAG_ERROR && e; e = e->next)
    if (e->level == DIAG_ERROR && e->has_span && e->span.file == span.file && e->span.start == span.start) return g;
  if (d->tail) d->tail->next = g;
  else d->head = g;
  d->tail = g;
  if (level == DIAG_ERROR) d->nerrors++;
  else d->nwarnings++;
  return g;
}

seg_diag *diag_error(seg_diags *d, seg_span span, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  seg_diag *g = add(d, DIAG_ERROR, span, true, fmt, ap);
  va_end(ap);
  return g;
}

seg_diag *diag_warning(seg_diags *d, seg_span span, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  seg_diag *g = add(d, DIAG_WARNING, span, true, fmt, ap);
  va_end(ap);
  return g;
}

seg_diag *diag_error_at_file(seg_diags *d, const char *path, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  seg_span none = {-1, 0, 0};
  seg_diag *g = add(d, DIAG_ERROR, none, false, fmt, ap);
  va_end(ap);
  g->msg = arena_printf(d->a, "%s: %s", path, g->msg);
  return g;
}

void diag_set_hint(seg_diags *d, seg_diag *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  g->hint = arena_strndup(d->a, buf, strlen(buf));
}

void diag_note_first(seg_diags *d, seg_diag *g, seg_span first) {
  if (first.file < 0 || first.file >= d->nsources) return;
  int line, col;
  diag_line_col(d->sources[first.file], first.start, &line, &col);
  diag_set_note(d, g, "first declared at %s:%d:%d", d->sources[first.file]->path, line, col);
}

void diag_set_note(seg_diags *d, seg_diag *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  g->note = arena_strndup(d->a, buf, strlen(buf));
}

static int find_line(const seg_source *s, uint32_t off) {
  int lo = 0, hi = s->nlines - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (s->lines[mid] <= off) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/* Columns count code points: continuation bytes do not advance. */
static int width(const char *p, const char *end) {
  int w = 0;
  for (; p < end; p++) w += ((unsigned char)*p & 0xC0) != 0x80;
  return w;
}

int diag_line(const seg_source *s, uint32_t off) { return find_line(s, off > s->len ? s->len : off) + 1; }

void diag_line_col(const seg_source *s, uint32_t off, int *line, int *col) {
  if (off > s->len) off = s->len;
  int l = find_line(s, off);
  *line = l + 1;
  *col = width(s->text + s->lines[l], s->text + off) + 1;
}

static int cmp_diag(const void *x, const void *y) {
  const seg_diag *a = *(seg_diag *const *)x, *b = *(seg_diag *const *)y;
  if (a->has_span != b->has_span) return a->has_span ? 1 : -1;
  if (a->span.file != b->span.file) return a->span.file < b->span.file ? -1 : 1;
  if (a->span.start != b->span.start) return a->span.start < b->span.start ? -1 : 1;
  return 0;
}

static void render_one(const seg_diags *d, const seg_diag *g, FILE *out) {
  const char *level = g->level == DIAG_ERROR ? "error" : "warning";
  if (!g->has_span || g->span.file < 0 || g->span.file >= d->nsources) {
    fprintf(out, "%s: %s\n", level, g->msg);
  } else {
    const seg_source *s = d->sources[g->span.file];
    int line, col;
    diag_line_col(s, g->span.start, &line, &col);
    fprintf(out, "%s:%d:%d: %s: %s\n", s->path, line, col, level, g->msg);
    const char *ls = s->text + s->lines[line - 1];
    const char *le = strchr(ls, '\n');
    if (!le) le = s->text + s->len;
    if (le > ls && le[-1] == '\r') le--;
    fprintf(out, "  %.*s\n  ", (int)(le - ls), ls);
    const char *p = ls, *start = s->text + g->span.start;
    for (; p < start && p < le; p++)
      if (((unsigned char)*p & 0xC0) != 0x80) fputc(*p == '\t' ? '\t' : ' ', out);
    const char *end = s->text + (g->span.end > g->span.start ? g->span.end : g->span.start + 1);
    if (end > le) end = le > start ? le : start + 1;
    int w = width(start, end);
    fputc('^', out);
    for (int i = 1; i < w; i++) fputc('~', out);
    fputc('\n', out);
  }
  if (g->hint) fprintf(out, "  hint: %s\n", g->hint);
  if (g->note) fprintf(out, "  note: %s\n", g->note);
}

void diag_render(const seg_diags *d, FILE *out) {
  int n = 0;
  for (seg_diag *g = d->head; g; g = g->next) n++;
  if (!n) return;
  seg_diag **v = malloc(sizeof(*v) * (size_t)n);
  if (!v) return;
  n = 0;
  for (seg_diag *g = d->head; g; g = g->next) v[n++] = g;
  /* qsort is not stable: break ties by insertion order. */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && cmp_diag(&v[j - 1], &v[j]) > 0; j--) {
      seg_diag *t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  for (int i = 0; i < n; i++) render_one(d, v[i], out);
  free(v);
}

static int edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 1000;
  int row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int prev = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cur = row[j];
      int best = prev + (a[i - 1] != b[j - 1]);
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      prev = cur;
    }
  }
  return row[lb];
}

const char *diag_suggest(const char *name, const char *const *cands, int n) {
  const char *best = NULL;
  int bestd = 1000;
  int limit = (int)strlen(name) / 3 + 1;
  for (int i = 0; i < n; i++) {
    if (!cands[i]) continue;
    int dist = edit_distance(name, cands[i]);
    if (dist < bestd) bestd = dist, best = cands[i];
  }
  return bestd <= limit ? best : NULL;
}
