/* lang/types.c — properties of types: value classes, storage widths, names,
 * equality and the schema fingerprint. */
#include "types.h"

#include <stdio.h>
#include <string.h>

seg_vclass ty_vclass(seg_tykind k) {
  switch (k) {
  case TY_BOOL: return VC_BOOL;
  case TY_FLOAT64: return VC_F64;
  default: return VC_I64;
  }
}

int64_t ty_pow10(int n) {
  int64_t v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

int64_t ty_decimal_limit(seg_type t) { return ty_pow10(t.prec >= 1 && t.prec <= 18 ? t.prec : 18); }

int ty_storage_width(seg_tykind k) {
  switch (k) {
  case TY_BOOL:
  case TY_ENUM: return 1;
  case TY_INT32:
  case TY_DATE:
  case TY_STRING: return 4;
  default: return 8;
  }
}

bool ty_is_numeric(seg_tykind k) {
  return k == TY_INT32 || k == TY_INT64 || k == TY_DECIMAL || k == TY_FLOAT64;
}

bool ty_equal(seg_type a, seg_type b) {
  if (a.kind != b.kind) return false;
  if (a.kind == TY_DECIMAL) return a.scale == b.scale;
  if (a.kind == TY_ENUM || a.kind == TY_SET) return a.members == b.members;
  return true;
}

static const char *kind_names[] = {
    [TY_ERROR] = "<error>", [TY_NULL] = "null",         [TY_BOOL] = "bool",
    [TY_INT32] = "int32",   [TY_INT64] = "int64",       [TY_DECIMAL] = "decimal",
    [TY_FLOAT64] = "float64", [TY_STRING] = "string",   [TY_ENUM] = "enum",
    [TY_SET] = "set",       [TY_DATE] = "date",         [TY_TIMESTAMP] = "timestamp",
    [TY_DURATION] = "duration", [TY_STREAM] = "stream",
};

const char *ty_name(seg_type t, char *buf, size_t size) {
  if (t.kind == TY_DECIMAL) {
    snprintf(buf, size, "decimal(%d,%d)", t.prec, t.scale);
  } else if ((t.kind == TY_ENUM || t.kind == TY_SET) && t.members) {
    size_t n = (size_t)snprintf(buf, size, "%s(", kind_names[t.kind]);
    for (int i = 0; i < t.members->n && n < size; i++)
      n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", t.members->names[i]);
    if (n < size) snprintf(buf + n, size - n, ")");
  } else {
    snprintf(buf, size, "%s", kind_names[t.kind]);
  }
  return buf;
}

/* FNV-1a over a canonical text of every stored field. */
static uint64_t fnv(uint64_t h, const char *s) {
  for (; *s; s++) h = (h ^ (uint8_t)*s) * UINT64_C(1099511628211);
  return (h ^ 0xff) * UINT64_C(1099511628211);
}

uint64_t ty_schema_fingerprint(const seg_schema *s) {
  uint64_t h = UINT64_C(14695981039346656037);
  char buf[4096];
  for (int i = 0; i < s->nfields; i++) {
    const seg_field *f = &s->fields[i];
    h = fnv(h, f->name);
    h = fnv(h, ty_name(f->type, buf, sizeof buf));
    h = fnv(h, f->nullable ? "?" : "");
    h = fnv(h, f->key ? "key" : "");
  }
  for (int j = 0; j < s->nstreams; j++) {
    h = fnv(h, "stream");
    h = fnv(h, s->streams[j].name);
    for (int i = 0; i < s->streams[j].nfields; i++) {
      const seg_field *f = &s->streams[j].fields[i];
      h = fnv(h, f->name);
      h = fnv(h, ty_name(f->type, buf, sizeof buf));
      h = fnv(h, f->nullable ? "?" : "");
      h = fnv(h, f->key ? "key" : "");
    }
  }
  return h;
}

/* The checker asks for every name it meets: the first byte rules most fields out. */
int ty_schema_find(const seg_schema *s, const char *name) {
  for (int i = 0; i < s->nfields; i++) {
    const char *f = s->fields[i].name;
    if (f[0] == name[0] && strcmp(f, name) == 0) return i;
  }
  return -1;
}
