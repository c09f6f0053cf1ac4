/* lang/types.h — the type system shared by every stage.
 *
 * A seg_type names a scalar kind plus its parameters (decimal scale, the
 * member list of an enum or set).  Nullability is not part of the type: a
 * schema field carries it, and the checker decides per expression whether it
 * can be null.  The physical representation of each kind (storage width in a
 * data block, value class in expressions) is fixed here and used by the
 * checker, the interpreter, the JIT and the data files alike. */
#ifndef SEGC_TYPES_H
#define SEGC_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef enum {
  TY_ERROR,     /* an expression that already produced a diagnostic */
  TY_NULL,      /* the literal null, before it takes its context's type */
  TY_BOOL,
  TY_INT32,     /* storage type only: expressions widen it to int64 */
  TY_INT64,
  TY_DECIMAL,   /* scaled int64: value = raw / 10^scale */
  TY_FLOAT64,
  TY_STRING,    /* stored as a code into the data file's sorted dictionary */
  TY_ENUM,      /* stored as the member's index (uint8) */
  TY_SET,       /* stored as a 64-bit mask of member indexes */
  TY_DATE,      /* days since 1970-01-01 (int32 storage, int64 in expressions) */
  TY_TIMESTAMP, /* microseconds since 1970-01-01T00:00:00Z */
  TY_DURATION,  /* microseconds */
  TY_STREAM,    /* a stream name: only valid inside aggregates */
} seg_tykind;

/* The members of an enum or set, interned; identical lists are one type. */
typedef struct seg_members {
  int n;
  const char **names;
} seg_members;

typedef struct seg_type {
  seg_tykind kind;
  uint8_t prec, scale;          /* TY_DECIMAL */
  const seg_members *members;   /* TY_ENUM, TY_SET */
} seg_type;

/* One schema field.  `slot` is its position in the record layout. */
typedef struct seg_field {
  const char *name;             /* interned */
  seg_type type;
  bool nullable;
  bool key;
  uint32_t span_start, span_end; /* byte offsets in the schema's file */
  int file;
  int index;
} seg_field;

/* A stream: an ordered list of events per customer.  `order` is the field
 * the events are sorted by (the one marked `key`, else the first timestamp
 * or date field; ties keep file order), or -1 to keep file order. */
typedef struct seg_stream {
  const char *name;
  seg_field *fields;
  int nfields;
  int order;
  uint32_t span_start, span_end; /* its name in the schema's file */
  int file;
} seg_stream;

typedef struct seg_schema {
  const char *name;
  seg_field *fields;
  int nfields;
  int key;                      /* index of the key field, -1 when missing */
  seg_stream *streams;
  int nstreams;
} seg_schema;

/* Value class of a kind inside expressions: every integer-like kind is
 * carried as int64, float64 as double, bool as a truth value. */
typedef enum { VC_BOOL, VC_I64, VC_F64 } seg_vclass;

seg_vclass ty_vclass(seg_tykind k);
/* Bytes one value of this kind takes in a data block. */
int ty_storage_width(seg_tykind k);
/* 10^n for a decimal scale or a difference of scales (0 <= n <= 18) */
int64_t ty_pow10(int n);
/* 10^p for decimal(p, s): every stored value of the type is below it in
 * magnitude (ingest keeps at most p digits; a p outside 1..18 counts as 18) */
int64_t ty_decimal_limit(seg_type t);
bool ty_is_numeric(seg_tykind k);
bool ty_equal(seg_type a, seg_type b);
/* Writes e.g. "decimal(12,2)" or "enum(free, trial)"; returns buf. */
const char *ty_name(seg_type t, char *buf, size_t size);
/* A stable 64-bit fingerprint of a schema's stored fields (names, types,
 * nullability, key), used to refuse data written for another schema. */
uint64_t ty_schema_fingerprint(const seg_schema *s);
int ty_schema_find(const seg_schema *s, const char *name);

#endif
