/* tests/unit/test_image.c — program images (lang/image.h), on every file
 * given (the spec files, the retail example): the image of a checked
 * program read back and imaged again gives the same bytes; its segments have
 * the same shapes; its test blocks print exactly what the checked program's
 * print.  Damaged images (every truncation, flipped bytes) are refused or
 * read without a crash (run under ASan+UBSan in CI).  Self-checking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/image.h"
#include "lang/load.h"
#include "runtime/library.h"
#include "segc.h"
#include "unit.h"

/* what `segc test` prints for a program, and its counts */
static char *test_output(seg_program *prog, int *passed, int *failed) {
  segc_program p = {.prog = prog};
  char *text = NULL, err[512] = "";
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  if (!segc_test(&p, out, passed, failed, err, sizeof err)) fprintf(out, "error: %s\n", err);
  fclose(out);
  return text;
}

static seg_program *reread(const bytes_buf *b, const seg_program *from) {
  ast **by_id;
  seg_program *q = image_read(b->p, b->n, (const seg_source *const *)from->diags.sources, from->diags.nsources, &by_id);
  free(by_id);
  return q;
}

static void round_trip(const char *path, bytes_buf *keep, seg_program **keep_prog) {
  seg_program *prog = seg_program_new();
  seg_load_file(prog, path, (seg_span){0}, false);
  if (prog->diags.nerrors == 0) seg_check(prog);
  CHECK(prog->diags.nerrors == 0 && prog->checked, "%s does not check", path);
  bytes_buf b = {0}, again = {0};
  CHECK(image_write(prog, &b), "%s: no image", path);
  seg_program *q = reread(&b, prog);
  CHECK(q != NULL, "%s: its image is not read back", path);
  if (q) {
    CHECK(image_write(q, &again) && again.n == b.n && memcmp(again.p, b.p, b.n) == 0, "%s: imaged again, %zu bytes, not %zu",
          path, again.n, b.n);
    CHECK(q->nnodes == prog->nnodes && q->segments.n == prog->segments.n && q->tests.n == prog->tests.n,
          "%s: counts differ", path);
    for (int i = 0; i < prog->segments.n && i < q->segments.n; i++) {
      const seg_segment *s = prog->segments.items[i], *t = q->segments.items[i];
      CHECK(strcmp(s->name, t->name) == 0 && ast_hash(s->rule) == ast_hash(t->rule) &&
                (s->parent ? s->parent->index : -1) == (t->parent ? t->parent->index : -1),
            "%s: segment %s differs", path, s->name);
    }
    int p1 = 0, f1 = 0, p2 = 0, f2 = 0;
    char *o1 = test_output(prog, &p1, &f1), *o2 = test_output(q, &p2, &f2);
    CHECK(p1 == p2 && f1 == f2 && strcmp(o1, o2) == 0, "%s: tests from the image print\n%s\nnot\n%s", path, o2, o1);
    CHECK(prog->tests.n == 0 || p1 > 0, "%s: no test passed", path);
    free(o1);
    free(o2);
  }
  seg_program_free(q);
  free(again.p);
  if (b.n > keep->n) { /* the largest image is damaged below */
    free(keep->p);
    *keep = b;
    seg_program_free(*keep_prog);
    *keep_prog = prog;
  } else {
    free(b.p);
    seg_program_free(prog);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_image FILE.seg...\n");
    return 2;
  }
  bytes_buf big = {0};
  seg_program *big_prog = NULL;
  for (int i = 1; i < argc; i++) round_trip(argv[i], &big, &big_prog);

  /* every truncation is refused */
  for (size_t cut = 0; big_prog && cut < big.n; cut += big.n / 211 + 1) {
    bytes_buf part = {big.p, cut, cut, false};
    seg_program *q = reread(&part, big_prog);
    CHECK(q == NULL, "cut at %zu of %zu read", cut, big.n);
    seg_program_free(q);
  }
  /* flipped bytes: refused, or read into a program that can be imaged again */
  unsigned char *copy = malloc(big.n + 1);
  int read_back = 0;
  for (size_t at = 0; big_prog && copy && at < big.n; at += big.n / 600 + 1)
    for (int bit = 0; bit < 8; bit += 3) {
      memcpy(copy, big.p, big.n);
      copy[at] ^= (unsigned char)(1u << bit);
      bytes_buf bad = {copy, big.n, big.n, false}, again = {0};
      seg_program *q = reread(&bad, big_prog);
      if (q) {
        read_back++;
        image_write(q, &again);
        free(again.p);
      }
      seg_program_free(q);
    }
  CHECK(read_back > 0, "no damaged image was read back (the damage test does not reach the values)");
  free(copy);
  free(big.p);
  seg_program_free(big_prog);
  if (failures) fprintf(stderr, "%d of %d checks failed\n", failures, checks);
  else printf("%d checks passed\n", checks);
  return failures ? 1 : 0;
}
