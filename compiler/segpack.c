/* compiler/segpack.c — prebuilt packs: the `.segpack` file (segpack.h,
 * docs/segpack-format.md).
 *
 * A pack file holds the rule sources (so it can always be recompiled), the
 * image of the checked program the code was compiled from (lang/image.h: a
 * load does not parse or check the sources again), the machine code of the
 * pack's units (one object file each), and what the runtime needs besides
 * the code: the lifted and slow expressions, named by their node numbers in
 * that program, and the scratch column count.  The code and the image are
 * keyed by the sources, segc's own sources and the pack ABI, and the code by
 * the host (LLVM's version and the CPU); any difference means compiling the
 * sources again. */
#include "segpack.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lang/bytes.h"
#include "lang/image.h"
#include "lang/load.h"
#include "segc_source_hash.h" /* generated: scripts/source_hash.cmake */

#define SEGPACK_MAGIC "SEGP"
#define SEGPACK_VERSION 4u
/* What the code expects of the runtime: bump SEGPACK_ABI with any change to
 * how generated code reads pack_ctx, blocks or events. */
#define SEGPACK_ABI 7

/* The key a pack's image and code are valid for: its sources, segc's own
 * sources, and the layouts the image and the code rely on. */
static uint64_t pack_key(const seg_source *const *srcs, int nsrc) {
  uint64_t h = bytes_hash(BYTES_HASH_SEED, SEGC_SOURCE_HASH, strlen(SEGC_SOURCE_HASH));
  uint64_t layout[] = {SEGPACK_ABI, sizeof(pack_ctx), sizeof(rt_stream), RT_BLOCK,
                       sizeof(ast), AST__COUNT, sizeof(seg_type), TY_STREAM, sizeof(seg_field)};
  h = bytes_hash(h, layout, sizeof layout);
  for (int i = 0; i < nsrc; i++) {
    h = bytes_hash(h, srcs[i]->path, strlen(srcs[i]->path));
    h = bytes_hash(h, srcs[i]->text, srcs[i]->len);
  }
  return h;
}

bool segpack_write(const seg_pack *pk, const char *const *roots, int nroots, const char *path, char *err,
                   size_t errlen) {
  const seg_program *prog = pk->prog;
  const seg_source *const *srcs = (const seg_source *const *)prog->diags.sources;
  char host[4096];
  pack_host_key(host, sizeof host);
  bytes_buf b = {0}, image = {0};
  bool imaged = image_write(prog, &image);
  bytes_put(&b, SEGPACK_MAGIC, 4);
  bytes_put_u32(&b, SEGPACK_VERSION);
  bytes_put_u64(&b, pack_key(srcs, prog->diags.nsources));
  bytes_put_str(&b, host, strlen(host));
  bytes_put_u32(&b, (uint32_t)nroots);
  for (int i = 0; i < nroots; i++) bytes_put_str(&b, roots[i], strlen(roots[i]));
  bytes_put_u32(&b, (uint32_t)prog->diags.nsources);
  for (int i = 0; i < prog->diags.nsources; i++) {
    bytes_put_str(&b, srcs[i]->path, strlen(srcs[i]->path));
    bytes_put_str(&b, srcs[i]->text, srcs[i]->len);
  }
  bytes_put_str(&b, (const char *)image.p, image.n);
  bytes_put_u32(&b, (uint32_t)pk->nlifts);
  for (int k = 0; k < pk->nlifts; k++) {
    bytes_put_u32(&b, (uint32_t)pk->lifts[k].node->id);
    bytes_put_u32(&b, (uint32_t)pk->lifts[k].field);
  }
  bytes_put_u32(&b, (uint32_t)pk->nslow);
  for (int k = 0; k < pk->nslow; k++) bytes_put_u32(&b, (uint32_t)pk->slow[k]->id);
  bytes_put_u32(&b, (uint32_t)pk->nstrlits);
  for (int k = 0; k < pk->nstrlits; k++) bytes_put_u32(&b, (uint32_t)pk->strlits[k]->id);
  bytes_put_u32(&b, (uint32_t)pk->nprefixes);
  for (int k = 0; k < pk->nprefixes; k++) bytes_put_str(&b, pk->prefixes[k].text, pk->prefixes[k].len);
  bytes_put_u32(&b, (uint32_t)pk->nscratch);
  bytes_put_u32(&b, (uint32_t)pk->nunits);
  for (int u = 0; u < pk->nunits; u++) bytes_put_str(&b, pk->objects[u], pk->object_lens[u]);
  bytes_put_u64(&b, bytes_hash(BYTES_HASH_SEED, b.p, b.n));
  free(image.p);
  if (b.oom || image.oom || !imaged) {
    free(b.p);
    snprintf(err, errlen, imaged ? "%s: out of memory" : "%s: the program cannot be stored (a node numbered twice)", path);
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

/* A node named by the pack: its number in the program's image. */
static ast *get_node(bytes_reader *r, ast **by_id, int nnodes) {
  uint32_t id = bytes_get_u32(r);
  return r->bad || id >= (uint32_t)nnodes ? NULL : by_id[id];
}

/* The pack's bytes: mapped (a regular file), else read into memory. */
typedef struct pack_bytes {
  char *p;
  size_t len;
  bool mapped;
} pack_bytes;

static bool pack_bytes_open(const char *path, pack_bytes *pb, char *err, size_t errlen) {
  *pb = (pack_bytes){0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return false;
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m != MAP_FAILED) {
      close(fd);
      *pb = (pack_bytes){m, (size_t)st.st_size, true};
      return true;
    }
  }
  size_t cap = 1 << 16;
  ssize_t got;
  pb->p = malloc(cap);
  while (pb->p && (got = read(fd, pb->p + pb->len, cap - pb->len)) > 0)
    if ((pb->len += (size_t)got) == cap) {
      char *q = realloc(pb->p, cap *= 2);
      if (!q) free(pb->p);
      pb->p = q;
    }
  close(fd);
  if (!pb->p) snprintf(err, errlen, "%s: out of memory", path);
  return pb->p != NULL;
}

static void pack_bytes_close(pack_bytes *pb) {
  if (pb->mapped) munmap(pb->p, pb->len);
  else free(pb->p);
}

/* The code section, found by skipping the node sections (fixed-size
 * records) that only the program can resolve. */
typedef struct code_section {
  uint32_t n;
  const void **objects;
  size_t *lens;
} code_section;

static bool find_code(bytes_reader r, code_section *cs) {
  static const size_t record[] = {8, 4, 4}; /* lifts (node, field), slow (node), string literals (node) */
  for (int k = 0; k < 3; k++) bytes_take(&r, (size_t)bytes_get_u32(&r) * record[k]);
  for (uint32_t k = 0, n = bytes_get_u32(&r); k < n && !r.bad; k++) { /* prefixes: strings */
    size_t len;
    bytes_get_str(&r, &len);
  }
  bytes_get_u32(&r); /* scratch columns */
  cs->n = bytes_get_u32(&r);
  if (r.bad || cs->n == 0 || cs->n > (r.n - r.pos) / 8) return false; /* each object takes 8 bytes at least */
  cs->objects = calloc(cs->n, sizeof *cs->objects);
  cs->lens = calloc(cs->n, sizeof *cs->lens);
  for (uint32_t u = 0; cs->objects && cs->lens && u < cs->n; u++)
    cs->objects[u] = bytes_get_str(&r, &cs->lens[u]);
  return cs->objects && cs->lens && !r.bad && r.pos == r.n;
}

/* Checks a pack's checksum and host, then links its code (pack_link), on
 * its own thread while the program is read: the code is used only once the
 * key matches.  Whichever thread claims the work first does it (a second
 * CPU that is slow to wake up does not delay the load). */
typedef struct linker {
  const char *data;
  size_t len;
  const char *host_in;     /* the pack's host text */
  size_t host_len;
  bytes_reader rest;       /* the pack after its program */
  bool intact;             /* the checksum matches */
  bool host_ok;            /* built for this LLVM and CPU */
  char host[4096];         /* pack_host_key */
  code_section cs;
  pack_code code;
  pthread_t thread;
  atomic_bool claimed;
  bool running, ok;
  char err[512];
} linker;

static void link_work(linker *lk) {
  bytes_reader tail = {(const uint8_t *)lk->data, lk->len, lk->len - 8, false};
  lk->intact = bytes_hash(BYTES_HASH_SEED, lk->data, lk->len - 8) == bytes_get_u64(&tail);
  if (!lk->intact) return;
  pack_host_key(lk->host, sizeof lk->host);
  lk->host_ok = lk->host_in && lk->host_len == strlen(lk->host) && memcmp(lk->host_in, lk->host, lk->host_len) == 0;
  if (lk->host_ok && find_code(lk->rest, &lk->cs))
    lk->ok = pack_link(&lk->code, lk->cs.objects, lk->cs.lens, (int)lk->cs.n, lk->err, sizeof lk->err);
}

static void *link_main(void *arg) {
  linker *lk = arg;
  if (!atomic_exchange(&lk->claimed, true)) link_work(lk);
  return NULL;
}

static void linker_start(linker *lk) { lk->running = pthread_create(&lk->thread, NULL, link_main, lk) == 0; }

/* The work done, here when the thread has not claimed it. */
static void linker_finish(linker *lk) {
  if (!atomic_exchange(&lk->claimed, true)) link_work(lk);
  if (lk->running) pthread_join(lk->thread, NULL);
  lk->running = false;
}

static void linker_free(linker *lk) {
  if (lk->running) pthread_join(lk->thread, NULL);
  lk->running = false;
  pack_code_free(&lk->code);
  free(lk->cs.objects);
  free(lk->cs.lens);
}

/* The program from the pack's own sources, parsed and checked (a pack
 * built by another segc or for another host). */
static seg_program *program_from_sources(seg_source **srcs, uint32_t nsrc, const char **roots, uint32_t nroots) {
  seg_program *prog = seg_program_new();
  prog->overlay = (const seg_source *const *)srcs;
  prog->noverlay = (int)nsrc;
  for (uint32_t i = 0; i < nroots; i++) seg_load_file(prog, roots[i], (seg_span){0}, false);
  if (prog->diags.nerrors == 0) seg_check(prog);
  prog->overlay = NULL; /* the texts were copied into the program */
  return prog;
}

/* The runtime's view of the code: the nodes the pack names, in the program read. */
static seg_pack *pack_from(seg_program *prog, ast **by_id, bytes_reader *r) {
  seg_pack *pk = pack_new(prog, NULL, NULL, 0);
  pk->nlifts = bytes_get_count(r, 8);
  pk->lifts = calloc((size_t)pk->nlifts + 1, sizeof *pk->lifts);
  bool ok = pk->lifts && !r->bad;
  for (int k = 0; ok && k < pk->nlifts; k++) {
    ast *node = get_node(r, by_id, prog->nnodes);
    int field = (int)bytes_get_u32(r);
    ok = node && field >= -1 && (field == -1 || (prog->schema && field < prog->schema->nfields));
    pk->lifts[k] = (pack_lift){.node = node, .field = field};
    if (ok) pack_lift_place(pk->lifts, k);
  }
  pk->nslow = bytes_get_count(r, 4);
  pk->slow = calloc((size_t)pk->nslow + 1, sizeof *pk->slow);
  ok = ok && pk->slow;
  for (int k = 0; ok && k < pk->nslow; k++) ok = (pk->slow[k] = get_node(r, by_id, prog->nnodes));
  pk->nstrlits = bytes_get_count(r, 4);
  pk->strlits = calloc((size_t)pk->nstrlits + 1, sizeof *pk->strlits);
  ok = ok && pk->strlits;
  for (int k = 0; ok && k < pk->nstrlits; k++) {
    pk->strlits[k] = get_node(r, by_id, prog->nnodes);
    ok = pk->strlits[k] && pk->strlits[k]->kind == AST_LIT_STR;
  }
  pk->nprefixes = bytes_get_count(r, 8); /* strings: 8 bytes of length at least */
  pk->prefixes = calloc((size_t)pk->nprefixes + 1, sizeof *pk->prefixes);
  ok = ok && pk->prefixes;
  for (int k = 0; ok && k < pk->nprefixes; k++) {
    size_t len;
    const char *text = bytes_get_str(r, &len);
    pk->prefixes[k].text = text && len < UINT32_MAX ? malloc(len + 1) : NULL;
    ok = pk->prefixes[k].text != NULL;
    if (ok) {
      memcpy(pk->prefixes[k].text, text, len);
      pk->prefixes[k].text[len] = 0;
      pk->prefixes[k].len = (uint32_t)len;
    }
  }
  uint32_t nscratch = bytes_get_u32(r);
  pk->nscratch = nscratch <= 1u << 20 ? (int)nscratch : 0;
  if (!ok || r->bad || nscratch > 1u << 20) {
    pack_free(pk);
    return NULL;
  }
  return pk;
}

segpack_status segpack_read(const char *path, seg_program **prog_out, seg_pack **pack_out, char *why, size_t whylen,
                            char *err, size_t errlen) {
  *prog_out = NULL;
  *pack_out = NULL;
  pack_bytes pb;
  if (!pack_bytes_open(path, &pb, err, errlen)) return SEGPACK_REFUSED;
  const char *data = pb.p;
  size_t len = pb.len;
  segpack_status st = SEGPACK_REFUSED;
  bytes_reader r = {(const uint8_t *)data, len, 0, false};
  const uint8_t *magic = bytes_take(&r, 4);
  uint32_t version = bytes_get_u32(&r);
  seg_program *prog = NULL;
  seg_source **srcs = NULL;
  const char **roots = NULL;
  uint32_t nroots = 0, nsrc = 0;
  ast **by_id = NULL;
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
  uint64_t key = bytes_get_u64(&r);
  size_t hl, n;
  const char *host_in = bytes_get_str(&r, &hl);
  nroots = (uint32_t)bytes_get_count(&r, 8);
  roots = calloc((size_t)nroots + 1, sizeof *roots);
  for (uint32_t i = 0; roots && i < nroots && !r.bad; i++) {
    const char *s = bytes_get_str(&r, &n);
    roots[i] = s ? strndup(s, n) : NULL;
  }
  nsrc = (uint32_t)bytes_get_count(&r, 16);
  srcs = calloc((size_t)nsrc + 1, sizeof *srcs);
  for (uint32_t i = 0; srcs && i < nsrc && !r.bad; i++) {
    srcs[i] = calloc(1, sizeof **srcs);
    size_t pl, tl;
    const char *p = bytes_get_str(&r, &pl), *t = bytes_get_str(&r, &tl);
    if (!srcs[i] || !p || !t || tl > UINT32_MAX) {
      r.bad = true;
      break;
    }
    srcs[i]->path = strndup(p, pl);
    srcs[i]->text = t;
    srcs[i]->len = (uint32_t)tl;
  }
  size_t image_len;
  const uint8_t *image = (const uint8_t *)bytes_get_str(&r, &image_len);
  /* the checksum, the host and the code on a second thread; the program here */
  lk = (linker){.data = data, .len = len, .host_in = host_in, .host_len = hl, .rest = r};
  linker_start(&lk);
  if (r.bad || !roots || !srcs) {
    linker_finish(&lk); /* a corrupt pack is reported as such first */
    snprintf(err, errlen, lk.intact ? "%s is corrupt (bad source section)" : "%s is corrupt (its checksum does not match)",
             path);
    goto done;
  }
  bool key_ok = key == pack_key((const seg_source *const *)srcs, (int)nsrc);
  if (key_ok) prog = image_read(image, image_len, (const seg_source *const *)srcs, (int)nsrc, &by_id);
  linker_finish(&lk);
  *prog_out = prog; /* the caller frees it, whatever the outcome */
  if (!lk.intact) {
    snprintf(err, errlen, "%s is corrupt (its checksum does not match)", path);
    goto done;
  }
  if (!lk.host_ok || !key_ok) { /* compiled again from the sources */
    seg_program_free(prog);
    prog = *prog_out = program_from_sources(srcs, nsrc, roots, nroots);
    if (prog->diags.nerrors) {
      snprintf(err, errlen, "%s: its rules have errors", path);
      goto done;
    }
    st = SEGPACK_STALE;
    if (!lk.host_ok)
      snprintf(why, whylen, "it was built for another machine or LLVM (%.*s)", (int)(hl > 80 ? 80 : hl), host_in);
    else
      snprintf(why, whylen, "it was built by another segc");
    goto done;
  }
  seg_pack *pk = prog ? pack_from(prog, by_id, &r) : NULL;
  if (!pk || !lk.cs.n) { /* find_code read the code section to its end */
    snprintf(err, errlen, "%s is corrupt (bad %s section)", path, prog ? "code" : "program");
    goto done;
  }
  if (!lk.ok) {
    snprintf(err, errlen, "%s: %s", path, lk.err);
    pack_free(pk);
    goto done;
  }
  pack_attach(pk, &lk.code);
  *pack_out = pk;
  st = SEGPACK_LOADED;
done:
  linker_free(&lk);
  free(by_id);
  for (uint32_t i = 0; roots && i < nroots; i++) free((char *)roots[i]);
  free(roots);
  for (uint32_t i = 0; srcs && srcs[i]; i++) {
    free((char *)srcs[i]->path);
    free(srcs[i]);
  }
  free(srcs);
  pack_bytes_close(&pb);
  return st;
}
