/* lang/image.c — a checked program written to bytes and read back (image.h).
 *
 * Layout, in order: node count; the name table; member lists; the schema;
 * the nodes, each after the nodes it refers to (so a reference is always to
 * a node already read); constants; segments; tests; loaded files; regular
 * expressions (compiled again on reading); the checked flag.  A node
 * reference is its number plus one, 0 for none; a member list reference is
 * its index plus one; a name is its index in the table.  The table's names
 * are interned on reading, so equal names are one pointer as after
 * checking. */
#include "image.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

/* A node record: number, kind and flags, span, type, then only the fields
 * its flags say are present (most are zero, or -1 for `index`). */
enum {
  F_A = 1 << 8, F_B = 1 << 9, F_C = 1 << 10, F_ARGS = 1 << 11, F_NAME = 1 << 12, F_NULLABLE = 1 << 13,
  F_OP = 1 << 14, F_LEN = 1 << 15, F_V = 1 << 16, F_INDEX = 1 << 17, F_SCOPE = 1 << 18,
};
_Static_assert(AST__COUNT <= 256, "a node's kind takes the low byte of its flags");

/* ---- writing ---- */

typedef struct writer {
  const seg_program *p;
  bytes_buf *b;
  const ast **seen; /* node number -> the node written under it */
  bool ok;
  /* the names written, each text once: text -> index + 1 (open addressing) */
  const char **names;
  uint32_t *slots;
  uint32_t nnames, nslots;
} writer;

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

/* A name's index in the image's name table. */
static void put_name(writer *w, const char *s) {
  if (2 * (w->nnames + 1) > w->nslots) {
    uint32_t nslots = w->nslots ? 2 * w->nslots : 256;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    const char **names = realloc(w->names, sizeof *names * nslots / 2);
    if (!slots || !names) {
      free(slots);
      if (names) w->names = names;
      w->ok = false;
      return;
    }
    for (uint32_t i = 0; i < w->nnames; i++) {
      uint32_t h = name_hash(names[i]) & (nslots - 1);
      while (slots[h]) h = (h + 1) & (nslots - 1);
      slots[h] = i + 1;
    }
    free(w->slots);
    w->slots = slots, w->names = names, w->nslots = nslots;
  }
  uint32_t h = name_hash(s) & (w->nslots - 1);
  while (w->slots[h] && strcmp(w->names[w->slots[h] - 1], s) != 0) h = (h + 1) & (w->nslots - 1);
  if (!w->slots[h]) {
    w->names[w->nnames++] = s;
    w->slots[h] = w->nnames;
  }
  bytes_put_u32(w->b, w->slots[h] - 1);
}

static void put_opt_str(bytes_buf *b, const char *s) {
  bytes_put_u32(b, s != NULL);
  if (s) bytes_put_str(b, s, strlen(s));
}

static void put_span(bytes_buf *b, seg_span sp) {
  bytes_put_u32(b, (uint32_t)sp.file);
  bytes_put_u32(b, sp.start);
  bytes_put_u32(b, sp.end);
}

static void put_type(writer *w, seg_type t) {
  uint32_t m = 0;
  for (int k = 0; t.members && k < w->p->member_lists.n; k++)
    if (w->p->member_lists.items[k] == t.members) m = (uint32_t)k + 1;
  if (t.members && !m) w->ok = false;
  bytes_put_u32(w->b, (uint32_t)t.kind | (uint32_t)t.prec << 8 | (uint32_t)t.scale << 16);
  bytes_put_u32(w->b, m);
}

static uint32_t ref(const ast *n) { return n ? (uint32_t)n->id + 1 : 0; }

/* n and what it refers to, each once, referred nodes first */
static void put_node(writer *w, const ast *n) {
  if (!n || !w->ok) return;
  if (n->id < 0 || n->id >= w->p->nnodes || (w->seen[n->id] && w->seen[n->id] != n)) {
    w->ok = false;
    return;
  }
  if (w->seen[n->id]) return;
  w->seen[n->id] = n;
  put_node(w, n->a);
  put_node(w, n->b);
  put_node(w, n->c);
  for (int i = 0; n->args && i < n->nargs; i++) put_node(w, n->args[i]);
  bytes_buf *b = w->b;
  uint32_t flags = (n->a ? F_A : 0) | (n->b ? F_B : 0) | (n->c ? F_C : 0) | (n->args ? F_ARGS : 0) |
                   (n->name ? F_NAME : 0) | (n->nullable ? F_NULLABLE : 0) | (n->op ? F_OP : 0) | (n->len ? F_LEN : 0) |
                   (n->v.i ? F_V : 0) | (n->index != -1 ? F_INDEX : 0) | (n->scope ? F_SCOPE : 0);
  bytes_put_u32(b, (uint32_t)n->id);
  bytes_put_u32(b, (uint32_t)n->kind | flags);
  put_span(b, n->span);
  put_type(w, n->type);
  if (n->op) bytes_put_u32(b, (uint32_t)n->op);
  if (n->len) bytes_put_u32(b, n->len);
  if (n->v.i) bytes_put_u64(b, (uint64_t)n->v.i);
  if (n->index != -1) bytes_put_u32(b, (uint32_t)n->index);
  if (n->scope) bytes_put_u32(b, (uint32_t)n->scope);
  if (n->a) bytes_put_u32(b, ref(n->a));
  if (n->b) bytes_put_u32(b, ref(n->b));
  if (n->c) bytes_put_u32(b, ref(n->c));
  if (n->args) {
    bytes_put_u32(b, (uint32_t)n->nargs);
    for (int i = 0; i < n->nargs; i++) bytes_put_u32(b, ref(n->args[i]));
  }
  if (n->name && n->kind == AST_LIT_STR) bytes_put_str(b, n->name, n->len);
  else if (n->name) put_name(w, n->name);
}

static void put_field(writer *w, const seg_field *f) {
  put_name(w, f->name);
  put_type(w, f->type);
  bytes_put_u32(w->b, (uint32_t)f->nullable | (uint32_t)f->key << 1);
  bytes_put_u32(w->b, f->span_start);
  bytes_put_u32(w->b, f->span_end);
  bytes_put_u32(w->b, (uint32_t)f->file);
  bytes_put_u32(w->b, (uint32_t)f->index);
}

static void put_schema(writer *w, const seg_schema *s) {
  bytes_buf *b = w->b;
  bytes_put_u32(b, s != NULL);
  if (!s) return;
  put_name(w, s->name);
  bytes_put_u32(b, (uint32_t)s->nfields);
  for (int i = 0; i < s->nfields; i++) put_field(w, &s->fields[i]);
  bytes_put_u32(b, (uint32_t)s->key);
  bytes_put_u32(b, (uint32_t)s->nstreams);
  for (int i = 0; i < s->nstreams; i++) {
    const seg_stream *st = &s->streams[i];
    put_name(w, st->name);
    bytes_put_u32(b, (uint32_t)st->nfields);
    for (int f = 0; f < st->nfields; f++) put_field(w, &st->fields[f]);
    bytes_put_u32(b, (uint32_t)st->order);
    bytes_put_u32(b, st->span_start);
    bytes_put_u32(b, st->span_end);
    bytes_put_u32(b, (uint32_t)st->file);
  }
}

bool image_write(const seg_program *p, bytes_buf *out) {
  bytes_buf body = {0}, *b = &body; /* after the name table, which it fills */
  writer w = {.p = p, .b = b, .seen = calloc((size_t)p->nnodes + 1, sizeof *w.seen), .ok = true};
  if (!w.seen) return false;
  bytes_put_u32(b, (uint32_t)p->member_lists.n);
  for (int k = 0; k < p->member_lists.n; k++) {
    const seg_members *m = p->member_lists.items[k];
    bytes_put_u32(b, (uint32_t)m->n);
    for (int i = 0; i < m->n; i++) put_name(&w, m->names[i]);
  }
  put_schema(&w, p->schema);
  put_span(b, p->schema_span);
  /* the nodes: a count-prefixed section, so that it can be written in one walk */
  size_t count_at = b->n;
  bytes_put_u32(b, 0);
  for (int i = 0; i < p->consts.n; i++) put_node(&w, ((const seg_const *)p->consts.items[i])->value);
  for (int i = 0; i < p->segments.n; i++) put_node(&w, ((const seg_segment *)p->segments.items[i])->rule);
  for (int i = 0; i < p->tests.n; i++) {
    const seg_test *t = p->tests.items[i];
    put_node(&w, t->as_of);
    for (int g = 0; g < t->ngiven; g++) put_node(&w, t->given[g].value);
    for (int e = 0; e < t->nexpects; e++) put_node(&w, t->expects[e]);
  }
  uint32_t nwritten = 0;
  for (int i = 0; i < p->nnodes; i++) nwritten += w.seen[i] != NULL;
  bytes_set_u32(b, count_at, nwritten);
  bytes_put_u32(b, (uint32_t)p->consts.n);
  for (int i = 0; i < p->consts.n; i++) {
    const seg_const *k = p->consts.items[i];
    put_name(&w, k->name);
    put_span(b, k->span);
    put_opt_str(b, k->desc);
    bytes_put_u32(b, ref(k->value));
    put_type(&w, k->type);
    bytes_put_u32(b, (uint32_t)k->index);
  }
  bytes_put_u32(b, (uint32_t)p->segments.n);
  for (int i = 0; i < p->segments.n; i++) {
    const seg_segment *s = p->segments.items[i];
    put_name(&w, s->name);
    put_name(&w, s->short_name);
    put_span(b, s->span);
    put_opt_str(b, s->desc);
    bytes_put_u32(b, ref(s->rule));
    bytes_put_u32(b, s->parent ? (uint32_t)s->parent->index + 1 : 0);
    bytes_put_u32(b, (uint32_t)s->index);
  }
  bytes_put_u32(b, (uint32_t)p->tests.n);
  for (int i = 0; i < p->tests.n; i++) {
    const seg_test *t = p->tests.items[i];
    put_name(&w, t->name);
    put_span(b, t->span);
    bytes_put_u32(b, ref(t->as_of));
    bytes_put_u32(b, (uint32_t)t->ngiven);
    for (int g = 0; g < t->ngiven; g++) {
      put_name(&w, t->given[g].field);
      put_span(b, t->given[g].span);
      bytes_put_u32(b, ref(t->given[g].value));
      bytes_put_u32(b, (uint32_t)t->given[g].stream);
    }
    bytes_put_u32(b, (uint32_t)t->nexpects);
    for (int e = 0; e < t->nexpects; e++) bytes_put_u32(b, ref(t->expects[e]));
  }
  bytes_put_u32(b, (uint32_t)p->files.n);
  for (int i = 0; i < p->files.n; i++) bytes_put_str(b, p->files.items[i], strlen(p->files.items[i]));
  bytes_put_u32(b, (uint32_t)p->regex_texts.n);
  for (int i = 0; i < p->regex_texts.n; i++)
    bytes_put_str(b, p->regex_texts.items[i], strlen(p->regex_texts.items[i]));
  bytes_put_u32(b, p->checked);
  bytes_put_u32(out, (uint32_t)p->nnodes);
  bytes_put_u32(out, w.nnames);
  for (uint32_t i = 0; i < w.nnames; i++) bytes_put_str(out, w.names[i], strlen(w.names[i]));
  bytes_put(out, body.p, body.n);
  bool ok = w.ok && !body.oom && !out->oom;
  free(body.p);
  free(w.seen);
  free(w.names);
  free(w.slots);
  return ok;
}

/* ---- reading ---- */

typedef struct loader {
  bytes_reader r;
  seg_program *p;
  ast **by_id;
  const char **names; /* the name table, interned */
  uint32_t nnames;
} loader;

static int get_int(loader *l) { return (int)bytes_get_u32(&l->r); }

static const char *get_name(loader *l) {
  uint32_t k = bytes_get_u32(&l->r);
  if (k < l->nnames) return l->names[k];
  l->r.bad = true;
  return NULL;
}

static const char *get_opt_str(loader *l) {
  if (!bytes_get_u32(&l->r)) return NULL;
  size_t n;
  const char *s = bytes_get_str(&l->r, &n);
  return s ? arena_strndup(l->p->a, s, n) : NULL;
}

static seg_span get_span(loader *l) {
  seg_span sp = {get_int(l), bytes_get_u32(&l->r), bytes_get_u32(&l->r)};
  if (sp.file < 0 || sp.file >= l->p->diags.nsources || sp.start > sp.end || sp.end > l->p->diags.sources[sp.file]->len)
    l->r.bad = true;
  return sp;
}

static seg_type get_type(loader *l) {
  uint32_t k = bytes_get_u32(&l->r), m = bytes_get_u32(&l->r);
  seg_type t = {(seg_tykind)(k & 0xff), (uint8_t)(k >> 8), (uint8_t)(k >> 16), NULL};
  if ((k & 0xff) > TY_STREAM || k >> 24 || m > (uint32_t)l->p->member_lists.n) l->r.bad = true;
  else if (m) t.members = l->p->member_lists.items[m - 1];
  return t;
}

/* a reference to a node already read (0: none) */
static ast *get_ref(loader *l) {
  uint32_t id = bytes_get_u32(&l->r);
  if (id == 0) return NULL;
  if (id > (uint32_t)l->p->nnodes || !l->by_id[id - 1]) {
    l->r.bad = true;
    return NULL;
  }
  return l->by_id[id - 1];
}

/* a reference that must name a node */
static ast *get_node(loader *l) {
  ast *n = get_ref(l);
  if (!n) l->r.bad = true;
  return n;
}

/* a node record; a number out of range or already read, or an unknown kind or flag, makes r bad */
static void read_node(loader *l) {
  uint32_t id = bytes_get_u32(&l->r), flags = bytes_get_u32(&l->r), kind = flags & 0xff;
  if (l->r.bad || id >= (uint32_t)l->p->nnodes || l->by_id[id] || kind >= AST__COUNT || flags >> 19) {
    l->r.bad = true;
    return;
  }
  ast *n = arena_alloc(l->p->a, sizeof *n);
  n->id = (int)id;
  n->kind = (ast_kind)kind;
  n->nullable = flags & F_NULLABLE;
  n->span = get_span(l);
  n->type = get_type(l);
  n->op = flags & F_OP ? get_int(l) : 0;
  n->len = flags & F_LEN ? bytes_get_u32(&l->r) : 0;
  n->v.i = flags & F_V ? (int64_t)bytes_get_u64(&l->r) : 0;
  n->index = flags & F_INDEX ? get_int(l) : -1;
  n->scope = flags & F_SCOPE ? get_int(l) : 0;
  if (flags & F_A) n->a = get_node(l);
  if (flags & F_B) n->b = get_node(l);
  if (flags & F_C) n->c = get_node(l);
  if (flags & F_ARGS) {
    n->nargs = bytes_get_count(&l->r, 4);
    n->args = arena_alloc(l->p->a, sizeof(ast *) * ((size_t)n->nargs + 1));
    for (int i = 0; i < n->nargs; i++) n->args[i] = get_ref(l);
  }
  if (flags & F_NAME && kind == AST_LIT_STR) {
    size_t len;
    const char *s = bytes_get_str(&l->r, &len);
    n->name = s && len == n->len ? arena_strndup(l->p->a, s, len) : NULL;
    if (!n->name) l->r.bad = true;
  } else if (flags & F_NAME) {
    n->name = get_name(l);
  }
  l->by_id[id] = n;
}

static seg_field *get_fields(loader *l, int *nfields) {
  *nfields = bytes_get_count(&l->r, 32);
  seg_field *f = arena_alloc(l->p->a, sizeof *f * ((size_t)*nfields + 1));
  for (int i = 0; i < *nfields && !l->r.bad; i++) {
    f[i].name = get_name(l);
    f[i].type = get_type(l);
    uint32_t bits = bytes_get_u32(&l->r);
    f[i].nullable = bits & 1;
    f[i].key = bits & 2;
    f[i].span_start = bytes_get_u32(&l->r);
    f[i].span_end = bytes_get_u32(&l->r);
    f[i].file = get_int(l);
    f[i].index = get_int(l);
  }
  return f;
}

static void get_schema(loader *l) {
  if (!bytes_get_u32(&l->r)) return;
  seg_schema *s = arena_alloc(l->p->a, sizeof *s);
  s->name = get_name(l);
  s->fields = get_fields(l, &s->nfields);
  s->key = get_int(l);
  if (s->key < -1 || s->key >= s->nfields) l->r.bad = true;
  s->nstreams = bytes_get_count(&l->r, 24);
  s->streams = arena_alloc(l->p->a, sizeof *s->streams * ((size_t)s->nstreams + 1));
  for (int i = 0; i < s->nstreams && !l->r.bad; i++) {
    seg_stream *st = &s->streams[i];
    st->name = get_name(l);
    st->fields = get_fields(l, &st->nfields);
    st->order = get_int(l);
    st->span_start = bytes_get_u32(&l->r);
    st->span_end = bytes_get_u32(&l->r);
    st->file = get_int(l);
    if (st->order < -1 || st->order >= st->nfields) l->r.bad = true;
  }
  l->p->schema = s;
}

static void read_program(loader *l) {
  seg_program *p = l->p;
  int nlists = bytes_get_count(&l->r, 4);
  for (int k = 0; k < nlists && !l->r.bad; k++) {
    seg_members *m = arena_alloc(p->a, sizeof *m);
    m->n = bytes_get_count(&l->r, 4);
    const char **names = arena_alloc(p->a, sizeof *names * ((size_t)m->n + 1));
    for (int i = 0; i < m->n && !l->r.bad; i++) names[i] = get_name(l);
    m->names = names;
    ptrvec_push(p->a, &p->member_lists, m);
  }
  get_schema(l);
  p->schema_span = get_span(l);
  int nread = bytes_get_count(&l->r, 28);
  for (int i = 0; i < nread && !l->r.bad; i++) read_node(l);
  int nconsts = bytes_get_count(&l->r, 36);
  for (int i = 0; i < nconsts && !l->r.bad; i++) {
    seg_const *k = arena_alloc(p->a, sizeof *k);
    k->name = get_name(l);
    k->span = get_span(l);
    k->desc = get_opt_str(l);
    k->value = get_ref(l);
    k->type = get_type(l);
    k->index = get_int(l);
    ptrvec_push(p->a, &p->consts, k);
  }
  int nsegs = bytes_get_count(&l->r, 36);
  for (int i = 0; i < nsegs && !l->r.bad; i++) {
    seg_segment *s = arena_alloc(p->a, sizeof *s);
    s->name = get_name(l);
    s->short_name = get_name(l);
    s->span = get_span(l);
    s->desc = get_opt_str(l);
    s->rule = get_ref(l);
    uint32_t parent = bytes_get_u32(&l->r);
    if (parent > (uint32_t)i) l->r.bad = true; /* a parent is declared before its children */
    else if (parent) s->parent = p->segments.items[parent - 1];
    s->index = get_int(l);
    if (s->index != i) l->r.bad = true;
    ptrvec_push(p->a, &p->segments, s);
  }
  int ntests = bytes_get_count(&l->r, 28);
  for (int i = 0; i < ntests && !l->r.bad; i++) {
    seg_test *t = arena_alloc(p->a, sizeof *t);
    t->name = get_name(l);
    t->span = get_span(l);
    t->as_of = get_ref(l);
    t->ngiven = bytes_get_count(&l->r, 24);
    t->given = arena_alloc(p->a, sizeof *t->given * ((size_t)t->ngiven + 1));
    for (int g = 0; g < t->ngiven && !l->r.bad; g++) {
      t->given[g].field = get_name(l);
      t->given[g].span = get_span(l);
      t->given[g].value = get_ref(l);
      t->given[g].stream = get_int(l);
    }
    t->nexpects = bytes_get_count(&l->r, 4);
    t->expects = arena_alloc(p->a, sizeof *t->expects * ((size_t)t->nexpects + 1));
    for (int e = 0; e < t->nexpects && !l->r.bad; e++) t->expects[e] = get_ref(l);
    ptrvec_push(p->a, &p->tests, t);
  }
  int nfiles = bytes_get_count(&l->r, 8);
  for (int i = 0; i < nfiles && !l->r.bad; i++) {
    size_t n;
    const char *s = bytes_get_str(&l->r, &n);
    if (s) ptrvec_push(p->a, &p->files, arena_strndup(p->a, s, n));
  }
  int nregex = bytes_get_count(&l->r, 8);
  for (int i = 0; i < nregex && !l->r.bad; i++) {
    size_t n;
    const char *s = bytes_get_str(&l->r, &n);
    if (!s) break;
    const char *text = arena_strndup(p->a, s, n);
    regex_t *re = arena_alloc(p->a, sizeof *re);
    if (regcomp(re, text, SEG_REGEX_FLAGS) != 0) {
      l->r.bad = true;
      break;
    }
    ptrvec_push(p->a, &p->regexes, re);
    ptrvec_push(p->a, &p->regex_texts, (void *)text);
  }
  p->checked = bytes_get_u32(&l->r) == 1;
}

seg_program *image_read(const uint8_t *data, size_t len, const seg_source *const *sources, int nsources,
                        ast ***by_id) {
  *by_id = NULL;
  loader l = {.r = {data, len, 0, false}, .p = seg_program_new()};
  for (int i = 0; i < nsources; i++) diag_add_source(&l.p->diags, sources[i]->path, sources[i]->text, sources[i]->len);
  uint32_t nnodes = bytes_get_u32(&l.r);
  l.p->nnodes = (int)nnodes;
  /* unread nodes (numbered, then dropped by the checker) are few: a damaged count is refused here */
  l.by_id = nnodes <= len * 4 + 1024 && nnodes < INT32_MAX ? calloc((size_t)nnodes + 1, sizeof *l.by_id) : NULL;
  l.nnames = l.by_id ? bytes_get_u32(&l.r) : 0;
  l.names = l.nnames <= (len - l.r.pos) / 8 ? malloc(sizeof *l.names * ((size_t)l.nnames + 1)) : NULL;
  for (uint32_t i = 0; l.names && i < l.nnames; i++) {
    size_t n;
    const char *s = bytes_get_str(&l.r, &n);
    l.names[i] = s ? arena_intern(l.p->a, s, n) : "";
  }
  bool ok = l.by_id && l.names;
  if (ok) read_program(&l);
  free(l.names);
  if (!ok || l.r.bad || l.r.pos != l.r.n || !l.p->checked) {
    free(l.by_id);
    seg_program_free(l.p);
    return NULL;
  }
  *by_id = l.by_id;
  return l.p;
}
