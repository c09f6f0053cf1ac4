/* runtime/layout.c — the fixed layout of one block of records.
 *
 * Owns rt_layout_init/rt_layout_free.  Columns follow the schema's field
 * order: a field's values (ty_storage_width * RT_BLOCK bytes), then, when the
 * field is nullable, its null bytes (RT_BLOCK bytes).  Each column starts on
 * a 64-byte boundary and block_bytes is a multiple of 64, so every block and
 * every column inside it is cache-line aligned.  Stream fields are not part of
 * the record and have no column.  On allocation failure (or a layout too big
 * for 32-bit offsets) the layout is left empty: nfields 0, block_bytes 0. */
#include "table.h"

#include <stdlib.h>

static uint64_t layout_align64(uint64_t x) { return (x + 63) & ~(uint64_t)63; }

void rt_layout_init(rt_layout *l, const seg_schema *s) {
  l->nfields = 0;
  l->val_off = NULL;
  l->null_off = NULL;
  l->block_bytes = 0;
  int n = s ? s->nfields : 0;
  if (n <= 0) return;
  uint32_t *val = malloc((size_t)n * sizeof *val);
  uint32_t *nul = malloc((size_t)n * sizeof *nul);
  if (!val || !nul) goto fail;
  uint64_t off = 0;
  for (int i = 0; i < n; i++) {
    const seg_field *f = &s->fields[i];
    nul[i] = RT_NO_NULLS;
    if (f->type.kind == TY_STREAM) { /* not stored in the record */
      val[i] = 0;
      continue;
    }
    off = layout_align64(off);
    val[i] = (uint32_t)off;
    off += (uint64_t)ty_storage_width(f->type.kind) * RT_BLOCK;
    if (f->nullable) {
      off = layout_align64(off);
      nul[i] = (uint32_t)off;
      off += RT_BLOCK;
    }
    if (off > UINT32_MAX - 64) goto fail;
  }
  l->nfields = n;
  l->val_off = val;
  l->null_off = nul;
  l->block_bytes = (uint32_t)layout_align64(off);
  return;
fail:
  free(val);
  free(nul);
}

void rt_layout_free(rt_layout *l) {
  free(l->val_off);
  free(l->null_off);
  l->val_off = l->null_off = NULL;
  l->nfields = 0;
  l->block_bytes = 0;
}
