/* lang/ast.h — the syntax tree and the declarations of a program.
 *
 * The parser builds nodes through the ast_* builders (one call per grammar
 * action); the checker then resolves names in place (NAME -> FIELD, CONSTREF,
 * SEGREF, ENUMLIT), fills `type` and `nullable` on every node and inserts
 * CAST nodes so that later stages never guess.  Everything lives in the
 * program's arena. */
#ifndef SEGC_AST_H
#define SEGC_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "types.h"

typedef enum {
#define X(k, s) AST_##k,
#include "ast_nodes.def"
#undef X
  AST__COUNT
} ast_kind;

extern const char *const ast_kind_names[AST__COUNT];

/* regcomp flags of matches(): POSIX extended, no submatches */
#define SEG_REGEX_FLAGS (REG_EXTENDED | REG_NOSUB)

typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } cmp_op;
extern const char *const cmp_op_text[6];
/* Whether `a op b` holds, given c = <0, 0, >0 as a is below, equal to, above b. */
static inline bool cmp_holds(int op, int c) {
  switch (op) {
  case CMP_EQ: return c == 0;
  case CMP_NE: return c != 0;
  case CMP_LT: return c < 0;
  case CMP_LE: return c <= 0;
  case CMP_GT: return c > 0;
  default: return c >= 0;
  }
}
/* The op that holds for `b op' a` exactly when `a op b` does. */
static inline int cmp_mirror(int op) {
  static const int mirrored[] = {[CMP_EQ] = CMP_EQ, [CMP_NE] = CMP_NE, [CMP_LT] = CMP_GT,
                                 [CMP_LE] = CMP_GE, [CMP_GT] = CMP_LT, [CMP_GE] = CMP_LE};
  return mirrored[op];
}

/* LIT_INT's op when its text is 9223372036854775808: valid only under a unary minus */
#define AST_LIT_INT_MIN_MAGNITUDE 1

typedef struct ast ast;
struct ast {
  ast_kind kind;
  seg_span span;
  int op;              /* CMP: cmp_op; CALL: builtin id; */
  ast *a, *b, *c;      /* operands */
  ast **args;          /* CALL arguments, LIST items */
  int nargs;
  const char *name;    /* NAME/MEMBER/CALL identifier (interned); LIT_STR bytes */
  uint32_t len;        /* LIT_STR length */
  union {
    int64_t i;         /* LIT_INT, LIT_BOOL, LIT_DEC (scaled), dates, timestamps, durations */
    double f;
  } v;
  int index;           /* resolved field / const / segment / member / list-of-consts */
  /* filled by the checker */
  seg_type type;
  bool nullable;
  int id;              /* dense number of the node in its program */
  int scope;           /* AGG: nesting depth (0 = outermost); EVFIELD: its aggregate's depth */
};

/* Stream aggregates (AGG nodes' op after checking). */
typedef enum { AGG_COUNT, AGG_EXISTS, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG, AGG_FIRST, AGG_LAST, AGG__COUNT } agg_kind;
extern const char *const agg_names[AGG__COUNT];
#define AGG_MAX_DEPTH 8

typedef struct seg_const {
  const char *name;
  seg_span span;
  const char *desc;
  ast *value;
  seg_type type;
  int index;
} seg_const;

typedef struct seg_segment seg_segment;
struct seg_segment {
  const char *name;        /* full name: parent.child */
  const char *short_name;
  seg_span span;           /* the name */
  const char *desc;
  ast *rule;               /* for a child: its own rule (the parent is implied) */
  seg_segment *parent;
  int index;
  int state;               /* cycle detection */
};

typedef struct seg_given {
  const char *field;
  seg_span span;
  ast *value;              /* a constant; for a stream, a LIST of RECORDs of FIELDVALs (index = stream field) */
  int stream;              /* the stream given, or -1 for a customer field */
} seg_given;

typedef struct seg_test {
  const char *name;
  seg_span span;
  ast *as_of;              /* NULL: the default as-of */
  seg_given *given;
  int ngiven;
  ast **expects;
  int nexpects;
} seg_test;

/* A whole program: every file after imports, one schema. */
typedef struct seg_program {
  arena *a;
  seg_diags diags;
  seg_schema *schema;
  seg_span schema_span;
  ptrvec consts;    /* seg_const* */
  ptrvec segments;  /* seg_segment*, in declaration order */
  ptrvec tests;     /* seg_test* */
  ptrvec files;     /* const char* canonical paths already loaded */
  ptrvec regexes;   /* regex_t* compiled by the checker for matches() (SEG_REGEX_FLAGS); freed with the program */
  ptrvec regex_texts; /* const char*: the pattern of each (one regex per distinct pattern) */
  ptrvec member_lists; /* seg_members*: identical enum/set member lists are shared */
  int nnodes;
  bool checked;
  const seg_source *const *overlay; /* when set, files are read from these texts (a prebuilt pack's), not the disk */
  int noverlay;
} seg_program;

/* The parse context handed to the bison parser and the flex scanner. */
typedef struct seg_parse {
  seg_program *prog;
  int file;
  const char *dir;           /* directory of the file, for imports */
  ptrvec imports;            /* ast LIT_STR nodes of `import` */
  ptrvec comments;           /* seg_span of whole-line comments */
  ptrvec fields;             /* pending schema fields (seg_field*) while a schema is parsed */
  int stream_start;          /* index in `fields` where the open stream's fields begin */
  ptrvec streams;            /* seg_stream* of the schema being parsed */
  uint32_t pos;              /* scanner position, byte offset */
  seg_segment *parent;       /* the enclosing segment of a children block */
  ptrvec parents;
  seg_test *test;            /* the test being parsed */
  ptrvec test_given, test_expects;
  const char *bad_char;       /* text of the last invalid character, for its message */
  bool had_syntax_error;
  uint32_t syntax_error_at;   /* byte offset of the last syntax error */
  void *scanner;
} seg_parse;

/* lang/syntax_error.c: one diagnostic for a syntax error at `at`, given the
 * bison names of the unexpected token and of the n tokens expected there */
void syntax_error_report(seg_parse *p, seg_span at, const char *unexpected, const char *const *expected, int n);

/* lang/ast_shape.c: an expression's shape (kinds, operators, resolved
 * indexes, types, literals, recursively).  The hash is the same in every
 * process for the same node; equal shapes compute equal values. */
uint64_t ast_hash(const ast *n);
bool ast_same(const ast *a, const ast *b);

/* A value per expression shape (open addressing on ast_hash, load <= 1/2). */
typedef struct ast_map {
  struct ast_map_entry *entries; /* [cap] */
  size_t cap, n;
} ast_map;
/* The value of n's shape: the one put with an equal node before, else
 * `value`, which n's shape then keeps.  -1 when out of memory (nothing is
 * kept). */
int ast_map_get_or_put(ast_map *m, const ast *n, int value);
void ast_map_free(ast_map *m);

/* n is a / b with both sides integers or decimals (cast to float64 by the
 * checker): the quotient is taken of their unscaled values, A * 10^up_a /
 * (B * 10^up_b), one rounding instead of one per cast (docs/language.md).
 * The interpreter and the code generator both use it. */
bool ast_scaled_div(const ast *n, int *up_a, int *up_b);

/* Node builders, one per grammar action shape. */
ast *ast_new(seg_parse *p, ast_kind k, seg_span sp);
bool ast_is_literal(const ast *n);
ast *ast_unary(seg_parse *p, ast_kind k, ast *a, seg_span sp);
ast *ast_binary(seg_parse *p, ast_kind k, ast *a, ast *b, seg_span sp);
ast *ast_compare(seg_parse *p, cmp_op op, ast *a, ast *b, seg_span sp);
ast *ast_chained_compare(seg_parse *p, ast *left, cmp_op op, ast *b, seg_span sp);
ast *ast_between(seg_parse *p, ast *x, ast *lo, ast *hi, seg_span sp);
ast *ast_name(seg_parse *p, const char *name, seg_span sp);
ast *ast_member(seg_parse *p, ast *a, const char *name, seg_span sp);
ast *ast_call(seg_parse *p, const char *name, ast *list, seg_span sp);
ast *ast_agg(seg_parse *p, const char *name, ast *source, ast *where, seg_span sp);
ast *ast_list(seg_parse *p, ast *list, ast *item);
ast *ast_record(seg_parse *p, seg_span sp);
ast *ast_record_field(seg_parse *p, ast *record, const char *name, seg_span sp, ast *value);
ast *ast_lit_int(seg_parse *p, const char *text, seg_span sp);
ast *ast_lit_dec(seg_parse *p, const char *text, seg_span sp);
ast *ast_lit_str(seg_parse *p, const char *text, seg_span sp);
ast *ast_lit_date(seg_parse *p, const char *text, seg_span sp);
ast *ast_lit_ts(seg_parse *p, const char *text, seg_span sp);
ast *ast_lit_dur(seg_parse *p, const char *text, seg_span sp);
ast *ast_lit_bool(seg_parse *p, bool v, seg_span sp);

/* Declaration builders. */
void ast_import(seg_parse *p, ast *path);
void ast_schema_begin(seg_parse *p);
void ast_schema_field(seg_parse *p, const char *name, seg_span sp, ast *type, bool nullable, bool key);
void ast_stream_begin(seg_parse *p);
void ast_stream_end(seg_parse *p, const char *name, seg_span sp);
void ast_schema_end(seg_parse *p, const char *name, seg_span sp);
ast *ast_type(seg_parse *p, const char *name, ast *args, seg_span sp);
void ast_const(seg_parse *p, const char *name, seg_span sp, ast *value);
void ast_segment_begin(seg_parse *p, const char *name, seg_span sp, ast *rule);
void ast_segment_end(seg_parse *p);
void ast_test_begin(seg_parse *p, ast *name, seg_span sp);
void ast_test_as_of(seg_parse *p, ast *ts);
void ast_test_given(seg_parse *p, const char *field, seg_span sp, ast *value);
void ast_test_expect(seg_parse *p, ast *e);
void ast_test_end(seg_parse *p);
void ast_comment(seg_parse *p, seg_span sp);
const char *ast_ident(seg_parse *p, const char *text, size_t len, seg_span sp);

static inline seg_span span_join(seg_span a, seg_span b) {
  seg_span s = {a.file, a.start, b.end > a.end ? b.end : a.end};
  return s;
}

#endif
