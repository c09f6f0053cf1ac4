/* tests/unit/test_objload.c — compiler/objload.c on a real unit object
 * (taken out of a pack that `segc build` wrote, with a `%` on doubles, so it
 * calls fmod): it loads from aligned and misaligned memory; a missing entry
 * or an unknown C function is an error with a message; and thousands of
 * damaged copies (flipped bytes, truncations) are loaded or refused without
 * a crash (the suite also runs under AddressSanitizer).  Whether loaded
 * code runs right is what every other JIT test checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/objload.h"
#include "segc.h"
#include "unit.h"

/* The first ELF object in the pack file, copied (its length from its header). */
static unsigned char *first_object(const unsigned char *pack, size_t n, size_t *len) {
  for (size_t i = 0; i + 64 <= n; i++) {
    if (memcmp(pack + i, "\x7f" "ELF", 4) != 0) continue;
    uint64_t shoff;
    uint16_t shentsize, shnum;
    memcpy(&shoff, pack + i + 0x28, 8);
    memcpy(&shentsize, pack + i + 0x3a, 2);
    memcpy(&shnum, pack + i + 0x3c, 2);
    *len = (size_t)(shoff + (uint64_t)shentsize * shnum);
    if (*len > n - i) return NULL;
    unsigned char *o = malloc(*len);
    memcpy(o, pack + i, *len);
    return o;
  }
  return NULL;
}

static bool try_load(const unsigned char *o, size_t len, const char *entry, char *err, size_t errlen) {
  obj_image img;
  void *fn;
  bool ok = obj_load(o, len, entry, &img, &fn, err, errlen);
  if (ok) CHECK(fn && (uintptr_t)fn >= (uintptr_t)img.mem && (uintptr_t)fn < (uintptr_t)img.mem + img.len, "entry outside the image");
  obj_unload(&img);
  return ok;
}

int main(void) {
  if (!unit_tmpdir("segc-objload")) return 2;
  const char *schema = "schema customer {\n  id : int64 key\n  churn : float64?\n  spent : decimal(12,2)\n}\n";
  const char *rules = "import \"schema.seg\"\nsegment odd = churn % 0.3 > 0.1\nsegment big = spent / 3 >= 150\n";
  write_file(tpath("schema.seg"), schema, strlen(schema));
  write_file(tpath("rules.seg"), rules, strlen(rules));
  const char *rp = tpath("rules.seg");
  char err[1024];
  segc_program *p = segc_load(&rp, 1);
  CHECK(p && segc_build(p, tpath("rules.segpack"), err, sizeof err), "build: %s", err);
  segc_free(p);
  size_t n = 0, len = 0;
  unsigned char *pack = (unsigned char *)read_file(tpath("rules.segpack"), &n);
  unsigned char *o = pack ? first_object(pack, n, &len) : NULL;
  CHECK(o != NULL, "no ELF object in the pack");
  if (!o) return 1;

  CHECK(try_load(o, len, "pack_unit_0", err, sizeof err), "the object does not load: %s", err);
  unsigned char *shifted = malloc(len + 1);
  memcpy(shifted + 1, o, len);
  CHECK(try_load(shifted + 1, len, "pack_unit_0", err, sizeof err), "a misaligned object does not load: %s", err);
  free(shifted);
  CHECK(!try_load(o, len, "pack_unit_7", err, sizeof err) && strstr(err, "no function pack_unit_7"), "missing entry: %s", err);
  unsigned char *renamed = malloc(len);
  memcpy(renamed, o, len);
  unsigned char *f = memmem(renamed, len, "fmod", 5);
  CHECK(f != NULL, "the object calls no fmod");
  if (f) f[3] = 'q';
  CHECK(!try_load(renamed, len, "pack_unit_0", err, sizeof err) && strstr(err, "fmoq"), "unknown function: %s", err);
  free(renamed);
  CHECK(!try_load(o, 40, "pack_unit_0", err, sizeof err) && strstr(err, "not a relocatable"), "a stub: %s", err);

  /* damaged copies: refused or loaded, never a crash */
  srand(7);
  unsigned char *d = malloc(len);
  int refused = 0, tries = 4000;
  for (int t = 0; t < tries; t++) {
    memcpy(d, o, len);
    size_t dlen = len;
    if (t % 4 == 0) dlen = (size_t)rand() % len;
    else
      for (int k = 0; k < 1 + t % 3; k++) d[(size_t)rand() % len] ^= (unsigned char)(1 + rand() % 255);
    refused += !try_load(d, dlen, "pack_unit_0", err, sizeof err);
  }
  free(d);
  CHECK(refused > tries / 8, "only %d of %d damaged objects refused", refused, tries);
  free(o);
  free(pack);
  printf("test_objload: %d checks, %d failed (%d of %d damaged objects refused)\n", checks, failures, refused, tries);
  unit_rmtmp();
  return failures != 0;
}
