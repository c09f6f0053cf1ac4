/* compiler/segpack.c — prebuilt packs: the `.segpack` file (segpack.h,
 * docs/segpack-format.md).
 *
 * A pack file holds the rule sources (so it can always be recompiled), the
 * machine code of the pack's units (one object file each), and what the
 * runtime needs besides the code: the lifted and slow expressions, named by
 * their node numbers in the checked program (the same text checked by the
 * same segc numbers its nodes the same way), and the scratch column count.
 * The code is keyed by the sources, the schema fingerprint, the segc build,
 * LLVM's version and the host CPU; any difference means recompiling. */
#include "segpack.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang/load.h"

#define SEGPACK_MAGIC "SEGP"
#define SEGPACK_VERSION 2u
/* What the code expects of the runtime: bump SEGPACK_ABI with any change to
 * how generated code reads pack_ctx, blocks or events. */
#define SEGPACK_ABI 4

/* ---- a growable byte buffer ---- */

typedef struct buf {
  uint8_t *p;
  size_t n, cap;
  bool oom;
} buf;

static void put(buf *b, const void *v, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n) cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (!q) {
      b->oom = true;
      return;
    }
    b->p = q, b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, v, n);
  b->n += n;
}

static void put_u32(buf *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(b, x, 4);
}

static void put_u64(buf *b, uint64_t v) {
  put_u32(b, (uint32_t)v);
  put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(buf *b, const char *s, size_t n) {
  put_u64(b, n);
  put(b, s, n);
}

/* ---- reading, bounds-checked ---- */

typedef struct reader {
  const uint8_t *p;
  size_t n, pos;
  bool bad;
} reader;

static const uint8_t *take(reader *r, size_t n) {
  if (r->bad || n > r->n - r->pos) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *q = r->p + r->pos;
  r->pos += n;
  return q;
}

static uint32_t get_u32(reader *r) {
  const uint8_t *q = take(r, 4);
  return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24 : 0;
}

static uint64_t get_u64(reader *r) {
  uint64_t lo = get_u32(r);
  return lo | (uint64_t)get_u32(r) << 32;
}

static const char *get_str(reader *r, size_t *len) {
  uint64_t n = get_u64(r);
  const uint8_t *q = take(r, n);
  *len = q ? (size_t)n : 0;
  return (const char *)q;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *s = p;
  for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * UINT64_C(1099511628211);
  return h;
}

/* The key native code is valid for: the sources, the schema, segc, LLVM, the CPU. */
static uint64_t pack_key(const seg_program *prog, const char *host) {
  uint64_t h = UINT64_C(14695981039346656037);
  for (int i = 0; i < prog->diags.nsources; i++) {
    const seg_source *s = prog->diags.sources[i];
    h = fnv(h, s->path, strlen(s->path) + 1);
    h = fnv(h, s->text, s->len);
  }
  uint64_t abi[] = {SEGPACK_ABI, sizeof(pack_ctx), sizeof(rt_stream), RT_BLOCK};
  h = fnv(h, abi, sizeof abi);
  h = fnv(h, host, strlen(host));
  return h ^ ty_schema_fingerprint(prog->schema);
}

/* A node: its number, and its shape (a number found in a pack must name a
 * node of the same shape in the program checked again: another segc may
 * number nodes differently; the same shape computes the same value). */
static void put_node(buf *b, const ast *n) {
  put_u32(b, (uint32_t)n->id);
  put_u64(b, ast_hash(n));
}

bool segpack_write(const seg_pack *pk, const char *const *roots, int nroots, const char *path, char *err,
                   size_t errlen) {
  const seg_program *prog = pk->prog;
  char host[4096];
  pack_host_key(host, sizeof host);
  buf b = {0};
  put(&b, SEGPACK_MAGIC, 4);
  put_u32(&b, SEGPACK_VERSION);
  put_u64(&b, pack_key(prog, host));
  put_str(&b, host, strlen(host));
  put_u32(&b, (uint32_t)nroots);
  for (int i = 0; i < nroots; i++) put_str(&b, roots[i], strlen(roots[i]));
  put_u32(&b, (uint32_t)prog->diags.nsources);
  for (int i = 0; i < prog->diags.nsources; i++) {
    const seg_source *s = prog->diags.sources[i];
    put_str(&b, s->path, strlen(s->path));
    put_str(&b, s->text, s->len);
  }
  put_u32(&b, (uint32_t)pk->nlifts);
  for (int k = 0; k < pk->nlifts; k++) {
    put_node(&b, pk->lifts[k].node);
    put_u32(&b, (uint32_t)pk->lifts[k].field);
  }
  put_u32(&b, (uint32_t)pk->nslow);
  for (int k = 0; k < pk->nslow; k++) put_node(&b, pk->slow[k]);
  put_u32(&b, (uint32_t)pk->nstrlits);
  for (int k = 0; k < pk->nstrlits; k++) put_node(&b, pk->strlits[k]);
  put_u32(&b, (uint32_t)pk->nscratch);
  put_u32(&b, (uint32_t)pk->nunits);
  for (int u = 0; u < pk->nunits; u++) put_str(&b, pk->objects[u], pk->object_lens[u]);
  put_u64(&b, fnv(UINT64_C(14695981039346656037), b.p, b.n));
  if (b.oom) {
    free(b.p);
    snprintf(err, errlen, "%s: out of memory", path);
    return false;
  }
  size_t tl = strlen(path) + 32;
  char *tmp = malloc(tl);
  snprintf(tmp, tl, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  bool ok = f && fwrite(b.p, 1, b.n, f) == b.n;
  if (f) ok = (fflush(f) == 0) & (fsync(fileno(f)) == 0) & (fclose(f) == 0) & ok;
  if (ok) ok = rename(tmp, path) == 0;
  if (!ok) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
  }
  free(tmp);
  free(b.p);
  return ok;
}

/* node number -> node, over every expression a run's pack holds */
static void index_nodes(ast *n, ast **by_id, int nnodes) {
  if (!n) return;
  if (n->id >= 0 && n->id < nnodes) by_id[n->id] = n;
  index_nodes(n->a, by_id, nnodes);
  index_nodes(n->b, by_id, nnodes);
  index_nodes(n->c, by_id, nnodes);
  for (int i = 0; i < n->nargs; i++) index_nodes(n->args[i], by_id, nnodes);
}

/* A node named by the pack: its number, checked against its shape. */
static ast *get_node(reader *r, ast **by_id, int nnodes) {
  uint32_t id = get_u32(r);
  uint64_t h = get_u64(r);
  if (r->bad || id >= (uint32_t)nnodes || !by_id[id] || ast_hash(by_id[id]) != h) return NULL;
  return by_id[id];
}

static char *read_all(const char *path, size_t *len, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0, got;
  char *p = malloc(cap);
  while (p && (got = fread(p + n, 1, cap - n, f)) > 0)
    if ((n += got) == cap) {
      char *q = realloc(p, cap *= 2);
      if (!q) free(p);
      p = q;
    }
  fclose(f);
  if (!p) snprintf(err, errlen, "%s: out of memory", path);
  *len = n;
  return p;
}

/* The code section, found by skipping the node sections (fixed-size
 * records) that only the checked program can resolve. */
typedef struct code_section {
  uint32_t n;
  const void **objects;
  size_t *lens;
} code_section;

static bool find_code(reader r, code_section *cs) {
  static const size_t record[] = {16, 12, 12}; /* lifts (node, field), slow (node), string literals (node) */
  for (int k = 0; k < 3; k++) take(&r, (size_t)get_u32(&r) * record[k]);
  get_u32(&r); /* scratch columns */
  cs->n = get_u32(&r);
  if (r.bad || cs->n == 0 || cs->n > (r.n - r.pos) / 8) return false; /* each object takes 8 bytes at least */
  cs->objects = calloc(cs->n, sizeof *cs->objects);
  cs->lens = calloc(cs->n, sizeof *cs->lens);
  for (uint32_t u = 0; cs->objects && cs->lens && u < cs->n; u++) cs->objects[u] = get_str(&r, &cs->lens[u]);
  return cs->objects && cs->lens && !r.bad && r.pos == r.n;
}

/* Checks a pack's checksum and host, then links its code (pack_link), on
 * its own thread while the sources are parsed and checked: the code is used
 * only once the key matches. */
typedef struct linker {
  const char *data;
  size_t len;
  const char *host_in;     /* the pack's host text */
  size_t host_len;
  reader rest;             /* the pack after its sources */
  bool intact;             /* the checksum matches */
  bool host_ok;            /* built for this LLVM and CPU */
  char host[4096];         /* pack_host_key */
  code_section cs;
  pack_code code;
  pthread_t thread;
  bool running, ok;
  char err[512];
} linker;

static void *link_main(void *arg) {
  linker *lk = arg;
  reader tail = {(const uint8_t *)lk->data, lk->len, lk->len - 8, false};
  lk->intact = fnv(UINT64_C(14695981039346656037), lk->data, lk->len - 8) == get_u64(&tail);
  if (!lk->intact) return NULL;
  pack_host_key(lk->host, sizeof lk->host);
  lk->host_ok = lk->host_in && lk->host_len == strlen(lk->host) && memcmp(lk->host_in, lk->host, lk->host_len) == 0;
  if (lk->host_ok && find_code(lk->rest, &lk->cs))
    lk->ok = pack_link(&lk->code, lk->cs.objects, lk->cs.lens, (int)lk->cs.n, lk->err, sizeof lk->err);
  return NULL;
}

/* Waits for the thread, or does its work here when it could not start. */
static void linker_finish(linker *lk) {
  if (lk->running) pthread_join(lk->thread, NULL);
  else link_main(lk);
  lk->running = false;
}

static void linker_free(linker *lk) {
  if (lk->running) pthread_join(lk->thread, NULL);
  lk->running = false;
  pack_code_free(&lk->code);
  free(lk->cs.objects);
  free(lk->cs.lens);
}

segpack_status segpack_read(const char *path, seg_program **prog_out, seg_pack **pack_out, char *why, size_t whylen,
                            char *err, size_t errlen) {
  *prog_out = NULL;
  *pack_out = NULL;
  size_t len;
  char *data = read_all(path, &len, err, errlen);
  if (!data) return SEGPACK_REFUSED;
  segpack_status st = SEGPACK_REFUSED;
  reader r = {(const uint8_t *)data, len, 0, false};
  const uint8_t *magic = take(&r, 4);
  uint32_t version = get_u32(&r);
  seg_program *prog = NULL;
  seg_source **srcs = NULL;
  linker lk = {0};
  if (!magic || memcmp(magic, SEGPACK_MAGIC, 4) != 0) {
    snprintf(err, errlen, "%s is not a segc pack (bad magic)", path);
    goto done;
  }
  if (version != SEGPACK_VERSION) {
    snprintf(err, errlen, "%s has pack format version %u; this segc reads version %u (rebuild it with segc build)", path,
             version, SEGPACK_VERSION);
    goto done;
  }
  if (len < 16) {
    snprintf(err, errlen, "%s is corrupt (its checksum does not match)", path);
    goto done;
  }
  r.n = len - 8;
  uint64_t key = get_u64(&r);
  size_t hl, n;
  const char *host_in = get_str(&r, &hl);
  uint32_t nroots = get_u32(&r);
  const char **roots = calloc((size_t)nroots + 1, sizeof *roots);
  for (uint32_t i = 0; roots && i < nroots && !r.bad; i++) {
    const char *s = get_str(&r, &n);
    roots[i] = s ? strndup(s, n) : NULL;
  }
  uint32_t nsrc = get_u32(&r);
  srcs = calloc((size_t)nsrc + 1, sizeof *srcs);
  for (uint32_t i = 0; srcs && i < nsrc && !r.bad; i++) {
    srcs[i] = calloc(1, sizeof **srcs);
    size_t pl, tl;
    const char *p = get_str(&r, &pl), *t = get_str(&r, &tl);
    if (!srcs[i] || !p || !t) {
      r.bad = true;
      break;
    }
    srcs[i]->path = strndup(p, pl);
    srcs[i]->text = t;
    srcs[i]->len = (uint32_t)tl;
  }
  /* the checksum, the host and the code on a second thread; the sources here */
  lk = (linker){.data = data, .len = len, .host_in = host_in, .host_len = hl, .rest = r};
  lk.running = pthread_create(&lk.thread, NULL, link_main, &lk) == 0;
  if (r.bad || !roots || !srcs) {
    linker_finish(&lk); /* a corrupt pack is reported as such first */
    snprintf(err, errlen, lk.intact ? "%s is corrupt (bad source section)" : "%s is corrupt (its checksum does not match)",
             path);
    for (uint32_t i = 0; roots && i < nroots; i++) free((char *)roots[i]);
    free(roots);
    goto done;
  }
  /* the program, from the pack's own sources */
  prog = seg_program_new();
  prog->overlay = (const seg_source *const *)srcs;
  prog->noverlay = (int)nsrc;
  for (uint32_t i = 0; i < nroots; i++) seg_load_file(prog, roots[i], (seg_span){0}, false);
  for (uint32_t i = 0; i < nroots; i++) free((char *)roots[i]);
  free(roots);
  if (prog->diags.nerrors == 0) seg_check(prog);
  prog->overlay = NULL; /* the texts were copied into the program */
  *prog_out = prog;
  linker_finish(&lk);
  if (!lk.intact) {
    snprintf(err, errlen, "%s is corrupt (its checksum does not match)", path);
    goto done;
  }
  if (prog->diags.nerrors) {
    snprintf(err, errlen, "%s: its rules have errors", path);
    goto done;
  }
  st = SEGPACK_STALE;
  if (!lk.host_ok) {
    snprintf(why, whylen, "it was built for another machine or LLVM (%.*s)", (int)(hl > 80 ? 80 : hl), host_in);
    goto done;
  }
  if (key != pack_key(prog, lk.host)) {
    snprintf(why, whylen, "it was built by another segc");
    goto done;
  }
  /* the runtime's view of the code */
  seg_pack *pk = pack_new(prog, NULL, NULL, 0);
  ast **by_id = calloc((size_t)prog->nnodes + 1, sizeof *by_id);
  for (int i = 0; by_id && i < prog->segments.n; i++) index_nodes(((seg_segment *)prog->segments.items[i])->rule, by_id, prog->nnodes);
  pk->nlifts = (int)get_u32(&r);
  pk->lifts = calloc((size_t)pk->nlifts + 1, sizeof *pk->lifts);
  bool ids_ok = by_id && pk->lifts;
  for (int k = 0; ids_ok && k < pk->nlifts; k++) {
    ast *node = get_node(&r, by_id, prog->nnodes);
    int field = (int)get_u32(&r);
    ids_ok = node && field >= -1 && field < prog->schema->nfields;
    pk->lifts[k] = (pack_lift){.node = node, .field = field};
    if (ids_ok) pack_lift_place(pk->lifts, k);
  }
  pk->nslow = ids_ok ? (int)get_u32(&r) : 0;
  pk->slow = calloc((size_t)pk->nslow + 1, sizeof *pk->slow);
  for (int k = 0; ids_ok && pk->slow && k < pk->nslow; k++) ids_ok = (pk->slow[k] = get_node(&r, by_id, prog->nnodes));
  pk->nstrlits = ids_ok ? (int)get_u32(&r) : 0;
  pk->strlits = calloc((size_t)pk->nstrlits + 1, sizeof *pk->strlits);
  for (int k = 0; ids_ok && pk->strlits && k < pk->nstrlits; k++) {
    pk->strlits[k] = get_node(&r, by_id, prog->nnodes);
    ids_ok = pk->strlits[k] && pk->strlits[k]->kind == AST_LIT_STR;
  }
  pk->nscratch = (int)get_u32(&r);
  free(by_id);
  if (r.bad || !lk.cs.n) { /* find_code read the code section to its end */
    pack_free(pk);
    st = SEGPACK_REFUSED;
    snprintf(err, errlen, "%s is corrupt (bad code section)", path);
    goto done;
  }
  if (!ids_ok) { /* the sources check into other nodes here: another segc */
    pack_free(pk);
    snprintf(why, whylen, "it was built by another segc");
    goto done;
  }
  if (!lk.ok) {
    snprintf(err, errlen, "%s: %s", path, lk.err);
    pack_free(pk);
    st = SEGPACK_REFUSED;
    goto done;
  }
  pack_attach(pk, &lk.code);
  *pack_out = pk;
  st = SEGPACK_LOADED;
done:
  linker_free(&lk);
  for (uint32_t i = 0; srcs && srcs[i]; i++) {
    free((char *)srcs[i]->path);
    free(srcs[i]);
  }
  free(srcs);
  free(data);
  return st;
}
