/* compiler/segpack.h — prebuilt packs (`segc build`): the machine code of a
 * rule pack with its sources, loaded without compiling when it was built
 * for this host, this segc and these sources (docs/segpack-format.md). */
#ifndef SEGC_SEGPACK_H
#define SEGC_SEGPACK_H

#include "pack.h"

/* Writes pk (compiled with PACK_OBJECT), its program's sources and the
 * image of its checked program; roots are the rule files the program was
 * loaded from.  Atomic. */
bool segpack_write(const seg_pack *pk, const char *const *roots, int nroots, const char *path, char *err,
                   size_t errlen);

typedef enum {
  SEGPACK_LOADED,   /* *pack_out runs the pack's code */
  SEGPACK_STALE,    /* *prog_out is good, but the code is for another host or segc: `why` says which; compile it */
  SEGPACK_REFUSED,  /* not a pack, corrupt, or its rules have errors: `err` says why (*prog_out may hold diagnostics) */
} segpack_status;

/* Reads a pack: when the key and the host match, *prog_out is read from the
 * pack's program image and its code is loaded into *pack_out; otherwise
 * *prog_out is its sources parsed and checked (SEGPACK_STALE).  The caller
 * frees *prog_out whatever the status. */
segpack_status segpack_read(const char *path, seg_program **prog_out, seg_pack **pack_out, char *why, size_t whylen,
                            char *err, size_t errlen);

#endif
