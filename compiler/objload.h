/* compiler/objload.h — loading the machine code of a pack unit.
 *
 * pack_compile makes each unit a relocatable x86-64 ELF object (large code
 * model: its code reaches constants and C library functions through 64-bit
 * absolute addresses).  obj_load places its sections in fresh memory,
 * applies its relocations, resolves the C library functions it calls
 * (`fmod` for `%` on doubles) in the process, and makes the code executable:
 * what an LLVM JIT would do, in a fraction of its time (docs/performance.md).
 * Every offset and index in the object is checked, so a damaged object is an
 * error, never a crash. */
#ifndef SEGC_OBJLOAD_H
#define SEGC_OBJLOAD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct obj_image {
  void *mem;
  size_t len;
} obj_image;

/* Loads the object data[0..len) and finds its function `entry`; false with
 * a message in err when the object is malformed, uses a relocation this
 * loader does not know, or calls a function the process does not have. */
bool obj_load(const void *data, size_t len, const char *entry, obj_image *img, void **fn, char *err, size_t errlen);
void obj_unload(obj_image *img);

#endif
