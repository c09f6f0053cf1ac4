/* lang/image.h — a checked program as bytes, and back.
 *
 * A prebuilt pack (compiler/segpack.c) stores the image of the program its
 * code was compiled from, so that loading the pack does not parse and check
 * its sources again.  An image is only read back by the segc build that
 * wrote it (the pack's key says so): it is a dump of this build's data
 * structures, not a stable format.  Reading is bounds-checked throughout and
 * every node reference is checked, so a damaged image is refused, never
 * followed. */
#ifndef SEGC_IMAGE_H
#define SEGC_IMAGE_H

#include "ast.h"
#include "bytes.h"

/* Appends the image of a checked program to b; false when a node number is
 * out of range or taken by two nodes (the image could not name them). */
bool image_write(const seg_program *p, bytes_buf *b);

/* Reads an image over the program's sources (in its file order) into a new
 * checked program; *by_id (prog->nnodes entries, the caller frees it) maps
 * node numbers to nodes.  NULL when the image is malformed. */
seg_program *image_read(const uint8_t *data, size_t len, const seg_source *const *sources, int nsources,
                        ast ***by_id);

#endif
