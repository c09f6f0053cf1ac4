/* lang/ast.c — the builders the grammar actions call.
 *
 * Expression builders allocate nodes in the program's arena and decode
 * literal text (numbers, strings, dates, durations), reporting malformed
 * literals as diagnostics.  Declaration builders append schema fields,
 * consts, segments (with their children) and tests to the program, and attach
 * the comment block directly above a declaration as its description. */
#include "ast.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/calendar.h"

const char *const ast_kind_names[AST__COUNT] = {
#define X(k, s) s,
#include "ast_nodes.def"
#undef X
};

const char *const cmp_op_text[6] = {"==", "!=", "<", "<=", ">", ">="};

static seg_diags *D(seg_parse *p) { return &p->prog->diags; }

ast *ast_new(seg_parse *p, ast_kind k, seg_span sp) {
  ast *n = arena_alloc(p->prog->a, sizeof *n);
  n->kind = k;
  n->span = sp;
  n->index = -1;
  n->id = p->prog->nnodes++;
  return n;
}

/* the scale of an integer (0) or decimal operand; -1 for anything else */
static int operand_scale(const ast *x) {
  switch (x->type.kind) {
  case TY_INT32: case TY_INT64: return 0;
  case TY_DECIMAL: return x->type.scale;
  default: return -1;
  }
}

bool ast_scaled_div(const ast *n, int *up_a, int *up_b) {
  if (n->kind != AST_DIV || n->a->kind != AST_CAST || n->b->kind != AST_CAST) return false;
  int sa = operand_scale(n->a->a), sb = operand_scale(n->b->a);
  if (sa < 0 || sb < 0) return false;
  *up_a = sb > sa ? sb - sa : 0;
  *up_b = sa > sb ? sa - sb : 0;
  return true;
}

bool ast_is_literal(const ast *n) {
  switch (n->kind) {
  case AST_LIT_NULL: case AST_LIT_BOOL: case AST_LIT_INT: case AST_LIT_DEC: case AST_LIT_STR:
  case AST_LIT_DATE: case AST_LIT_TS: case AST_LIT_DUR: case AST_ENUMLIT:
    return true;
  default:
    return false;
  }
}

ast *ast_unary(seg_parse *p, ast_kind k, ast *a, seg_span sp) {
  ast *n = ast_new(p, k, sp);
  n->a = a;
  return n;
}

ast *ast_binary(seg_parse *p, ast_kind k, ast *a, ast *b, seg_span sp) {
  ast *n = ast_new(p, k, sp);
  n->a = a;
  n->b = b;
  return n;
}

ast *ast_compare(seg_parse *p, cmp_op op, ast *a, ast *b, seg_span sp) {
  ast *n = ast_binary(p, AST_CMP, a, b, sp);
  n->op = (int)op;
  return n;
}

ast *ast_chained_compare(seg_parse *p, ast *left, cmp_op op, ast *b, seg_span sp) {
  seg_diag *g = diag_error(D(p), sp, "comparisons do not chain");
  diag_set_hint(D(p), g, "write `a %s b and b %s c`", cmp_op_text[left->op], cmp_op_text[op]);
  return left;
}

ast *ast_between(seg_parse *p, ast *x, ast *lo, ast *hi, seg_span sp) {
  ast *n = ast_binary(p, AST_BETWEEN, x, lo, sp);
  n->c = hi;
  return n;
}

ast *ast_name(seg_parse *p, const char *name, seg_span sp) {
  ast *n = ast_new(p, AST_NAME, sp);
  n->name = name;
  return n;
}

ast *ast_member(seg_parse *p, ast *a, const char *name, seg_span sp) {
  ast *n = ast_unary(p, AST_MEMBER, a, sp);
  n->name = name;
  return n;
}

ast *ast_call(seg_parse *p, const char *name, ast *list, seg_span sp) {
  ast *n = ast_new(p, AST_CALL, sp);
  n->name = name;
  n->args = list->args;
  n->nargs = list->nargs;
  return n;
}

ast *ast_agg(seg_parse *p, const char *name, ast *source, ast *where, seg_span sp) {
  ast *n = ast_binary(p, AST_AGG, source, where, sp);
  n->name = name;
  return n;
}

const char *const agg_names[AGG__COUNT] = {"count", "exists", "sum", "min", "max", "avg", "first", "last"};

/* A test's given event `{ name: value, ... }`, empty at first. */
ast *ast_record(seg_parse *p, seg_span sp) { return ast_new(p, AST_RECORD, sp); }

ast *ast_record_field(seg_parse *p, ast *record, const char *name, seg_span sp, ast *value) {
  ast *fv = ast_unary(p, AST_FIELDVAL, value, span_join(sp, value->span));
  fv->name = name;
  return ast_list(p, record, fv);
}

/* A LIST node grows by one item; its storage is abandoned in the arena. */
ast *ast_list(seg_parse *p, ast *list, ast *item) {
  if (!list) list = ast_new(p, AST_LIST, item ? item->span : (seg_span){p->file, p->pos, p->pos});
  if (!item) return list;
  ast **args = arena_alloc(p->prog->a, sizeof(ast *) * (size_t)(list->nargs + 1));
  if (list->nargs) memcpy(args, list->args, sizeof(ast *) * (size_t)list->nargs);
  args[list->nargs++] = item;
  list->args = args;
  list->span = span_join(list->span, item->span);
  return list;
}

ast *ast_lit_int(seg_parse *p, const char *text, seg_span sp) {
  ast *n = ast_new(p, AST_LIT_INT, sp);
  uint64_t v = 0;
  for (const char *s = text; *s; s++) {
    if (v > (UINT64_C(9223372036854775808) - (uint64_t)(*s - '0')) / 10) {
      diag_error(D(p), sp, "integer literal %s does not fit in int64", text);
      return n;
    }
    v = v * 10 + (uint64_t)(*s - '0');
  }
  if (v == UINT64_C(9223372036854775808)) { /* only valid negated: the checker decides */
    n->v.i = INT64_MIN;
    n->op = AST_LIT_INT_MIN_MAGNITUDE;
    return n;
  }
  n->v.i = (int64_t)v;
  return n;
}

/* decimal literal: digits '.' digits, exact, at most 18 digits in all */
ast *ast_lit_dec(seg_parse *p, const char *text, seg_span sp) {
  ast *n = ast_new(p, AST_LIT_DEC, sp);
  int digits = 0, scale = 0;
  bool frac = false, lead = true;
  int64_t v = 0;
  for (const char *s = text; *s; s++) {
    if (*s == '.') {
      frac = true;
      continue;
    }
    if (lead && *s == '0' && !frac) continue;
    lead = false;
    digits++;
    if (frac) scale++;
    if (digits > 18) {
      diag_error(D(p), sp, "decimal literal %s has more than 18 digits", text);
      return n;
    }
    v = v * 10 + (*s - '0');
  }
  n->v.i = v;
  n->type.kind = TY_DECIMAL;
  n->type.scale = (uint8_t)scale;
  n->type.prec = (uint8_t)(digits > scale ? digits : scale);
  if (n->type.prec == 0) n->type.prec = 1;
  return n;
}

/* string literal: "..." with \" \\ \n \t escapes */
ast *ast_lit_str(seg_parse *p, const char *text, seg_span sp) {
  ast *n = ast_new(p, AST_LIT_STR, sp);
  size_t len = strlen(text);
  char *out = arena_alloc(p->prog->a, len + 1);
  size_t k = 0;
  for (size_t i = 1; i + 1 < len; i++) {
    char c = text[i];
    if (c == '\\') {
      c = text[++i];
      switch (c) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case '"':
      case '\\': break;
      default: {
        seg_span at = {sp.file, sp.start + (uint32_t)i - 1, sp.start + (uint32_t)i + 1};
        seg_diag *g = diag_error(D(p), at, "unknown escape \\%c in string", c);
        diag_set_hint(D(p), g, "the escapes are \\\" \\\\ \\n \\t");
      }
      }
    }
    out[k++] = c;
  }
  out[k] = 0;
  n->name = out;
  n->len = (uint32_t)k;
  return n;
}

ast *ast_lit_date(seg_parse *p, const char *text, seg_span sp) {
  ast *n = ast_new(p, AST_LIT_DATE, sp);
  if (!cal_parse_date(text, strlen(text), &n->v.i))
    diag_error(D(p), sp, "%s is not a valid date", text);
  return n;
}

ast *ast_lit_ts(seg_parse *p, const char *text, seg_span sp) {
  ast *n = ast_new(p, AST_LIT_TS, sp);
  if (!cal_parse_timestamp(text, strlen(text), &n->v.i))
    diag_error(D(p), sp, "%s is not a valid timestamp", text);
  return n;
}

ast *ast_lit_dur(seg_parse *p, const char *text, seg_span sp) {
  ast *n = ast_new(p, AST_LIT_DUR, sp);
  size_t len = strlen(text);
  int64_t unit = 0;
  switch (text[len - 1]) {
  case 'w': unit = 7 * CAL_USEC_PER_DAY; break;
  case 'd': unit = CAL_USEC_PER_DAY; break;
  case 'h': unit = 3600 * CAL_USEC_PER_SEC; break;
  case 'm': unit = 60 * CAL_USEC_PER_SEC; break;
  default: unit = CAL_USEC_PER_SEC; break;
  }
  int64_t v = 0;
  for (size_t i = 0; i + 1 < len; i++) {
    if (v > (INT64_MAX / unit - (text[i] - '0')) / 10) {
      diag_error(D(p), sp, "duration %s is too long", text);
      return n;
    }
    v = v * 10 + (text[i] - '0');
  }
  n->v.i = v * unit;
  return n;
}

ast *ast_lit_bool(seg_parse *p, bool v, seg_span sp) {
  ast *n = ast_new(p, AST_LIT_BOOL, sp);
  n->v.i = v;
  return n;
}

/* True when a syntax error came earlier on this line: the rest of the line
 * is being skipped, and what it holds would only draw follow-on errors. */
static bool after_syntax_error(seg_parse *p, seg_span sp) {
  if (!p->had_syntax_error || p->syntax_error_at > sp.start) return false;
  const seg_source *s = D(p)->sources[p->file];
  return !memchr(s->text + p->syntax_error_at, '\n', sp.start - p->syntax_error_at);
}

/* Identifiers are snake_case: `totalSpent` is an error whose hint, and whose
 * name from then on (so no second error follows), is `total_spent`. */
const char *ast_ident(seg_parse *p, const char *text, size_t len, seg_span sp) {
  size_t i = 0;
  while (i < len && !isupper((unsigned char)text[i])) i++;
  if (i == len || after_syntax_error(p, sp)) return arena_intern(p->prog->a, text, len);
  char *snake = arena_alloc(p->prog->a, 2 * len + 1);
  size_t n = 0;
  for (i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)text[i];
    bool word_start = isupper(ch) && i > 0 && n > 0 && snake[n - 1] != '_' &&
                      (!isupper((unsigned char)text[i - 1]) || (i + 1 < len && islower((unsigned char)text[i + 1])));
    if (word_start) snake[n++] = '_';
    snake[n++] = (char)tolower(ch);
  }
  snake[n] = 0;
  seg_diag *g = diag_error(D(p), sp, "names are snake_case: `%.*s`", (int)len, text);
  diag_set_hint(D(p), g, "write `%s`", snake);
  return arena_intern(p->prog->a, snake, n);
}

/* ---- descriptions ------------------------------------------------------ */

void ast_comment(seg_parse *p, seg_span sp) {
  const seg_source *s = D(p)->sources[p->file];
  uint32_t i = sp.start;
  while (i > 0 && (s->text[i - 1] == ' ' || s->text[i - 1] == '\t')) i--;
  if (i > 0 && s->text[i - 1] != '\n') return; /* a trailing comment */
  seg_span *c = arena_alloc(p->prog->a, sizeof *c);
  *c = sp;
  ptrvec_push(p->prog->a, &p->comments, c);
}

/* The whole-line comments on the lines directly above `at`, joined. */
static const char *description(seg_parse *p, seg_span at) {
  const seg_source *s = D(p)->sources[p->file];
  int first = -1, want = diag_line(s, at.start) - 1;
  for (int k = p->comments.n - 1; k >= 0; k--) {
    seg_span *c = p->comments.items[k];
    int cl = diag_line(s, c->start);
    if (cl > want) continue;
    if (cl < want) break;
    first = k;
    want--;
  }
  if (first < 0) return NULL;
  size_t total = 0;
  for (int k = first; k < p->comments.n; k++) {
    seg_span *c = p->comments.items[k];
    if (c->start >= at.start) break;
    total += c->end - c->start + 1;
  }
  char *out = arena_alloc(p->prog->a, total + 1);
  size_t n = 0;
  for (int k = first; k < p->comments.n; k++) {
    seg_span *c = p->comments.items[k];
    if (c->start >= at.start) break;
    const char *t = s->text + c->start + 1;
    size_t len = c->end - c->start - 1;
    while (len && (*t == ' ' || *t == '#')) t++, len--;
    while (len && (t[len - 1] == ' ' || t[len - 1] == '\r')) len--;
    if (n && len) out[n++] = ' ';
    memcpy(out + n, t, len);
    n += len;
  }
  out[n] = 0;
  return out;
}

/* ---- imports and schema ------------------------------------------------ */

void ast_import(seg_parse *p, ast *path) { ptrvec_push(p->prog->a, &p->imports, path); }

ast *ast_type(seg_parse *p, const char *name, ast *args, seg_span sp) {
  ast *n = ast_new(p, AST_CALL, sp);
  n->name = name;
  if (args) {
    n->args = args->args;
    n->nargs = args->nargs;
  }
  n->index = args != NULL;
  return n;
}

static const seg_members *members_of(seg_parse *p, ast *t, int max) {
  seg_program *prog = p->prog;
  const char **names = arena_alloc(prog->a, sizeof(char *) * (size_t)(t->nargs ? t->nargs : 1));
  int n = 0;
  for (int i = 0; i < t->nargs; i++) {
    ast *m = t->args[i];
    if (m->kind != AST_NAME) {
      diag_error(D(p), m->span, "%s members are names", t->name);
      continue;
    }
    bool dup = false;
    for (int j = 0; j < n; j++) dup |= names[j] == m->name;
    if (dup) diag_error(D(p), m->span, "member %s appears twice", m->name);
    else names[n++] = m->name;
  }
  if (n == 0) diag_error(D(p), t->span, "%s needs at least one member", t->name);
  if (n > max) diag_error(D(p), t->span, "%s has %d members; at most %d are allowed", t->name, n, max);
  /* identical member lists are one type */
  for (int k = 0; k < prog->member_lists.n; k++) {
    const seg_members *o = prog->member_lists.items[k];
    if (o->n == n && memcmp(o->names, names, sizeof(char *) * (size_t)n) == 0) return o;
  }
  seg_members *m = arena_alloc(prog->a, sizeof *m);
  ptrvec_push(prog->a, &prog->member_lists, m);
  m->n = n;
  m->names = names;
  return m;
}

static const char *const type_names[] = {"bool",   "int32",  "int64", "float64", "decimal",
                                          "string", "enum",   "set",   "date",    "timestamp"};

/* What other languages call our types: `integer` is int64, ... */
static const char *type_alias(const char *name) {
  static const char *const aliases[][2] = {
      {"int", "int64"},        {"integer", "int64"},   {"bigint", "int64"},   {"long", "int64"},
      {"smallint", "int32"},   {"float", "float64"},   {"double", "float64"}, {"real", "float64"},
      {"numeric", "decimal"},  {"money", "decimal"},   {"text", "string"},    {"varchar", "string"},
      {"str", "string"},       {"boolean", "bool"},    {"datetime", "timestamp"}, {"timestamptz", "timestamp"},
  };
  for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
    if (strcmp(name, aliases[i][0]) == 0) return aliases[i][1];
  return NULL;
}

static bool field_type(seg_parse *p, ast *t, seg_type *out) {
  memset(out, 0, sizeof *out);
  static const seg_tykind kinds[] = {TY_BOOL,   TY_INT32, TY_INT64, TY_FLOAT64, TY_DECIMAL,
                                     TY_STRING, TY_ENUM,  TY_SET,   TY_DATE,    TY_TIMESTAMP};
  int k = -1;
  for (int i = 0; i < 10; i++)
    if (strcmp(t->name, type_names[i]) == 0) k = i;
  if (k < 0) {
    seg_diag *g = diag_error(D(p), t->span, "unknown type %s", t->name);
    const char *s = type_alias(t->name);
    if (!s) s = diag_suggest(t->name, type_names, 10);
    if (s) diag_set_hint(D(p), g, "did you mean %s?", s);
    return false;
  }
  out->kind = kinds[k];
  bool takes_args = out->kind == TY_DECIMAL || out->kind == TY_ENUM || out->kind == TY_SET;
  if (takes_args != (t->index == 1)) {
    diag_error(D(p), t->span, takes_args ? "%s needs arguments, as in %s" : "%s takes no arguments",
               t->name,
               out->kind == TY_DECIMAL ? "decimal(12,2)" : out->kind == TY_ENUM ? "enum(a, b)" : "set(a, b)");
    return false;
  }
  if (out->kind == TY_DECIMAL) {
    if (t->nargs != 2 || t->args[0]->kind != AST_LIT_INT || t->args[1]->kind != AST_LIT_INT) {
      diag_error(D(p), t->span, "decimal takes a precision and a scale, as in decimal(12,2)");
      return false;
    }
    int64_t prec = t->args[0]->v.i, scale = t->args[1]->v.i;
    if (prec < 1 || prec > 18 || scale > prec) {
      diag_error(D(p), t->span, "decimal(%lld,%lld): the precision must be 1 to 18 and the scale at most the precision",
                 (long long)prec, (long long)scale);
      return false;
    }
    out->prec = (uint8_t)prec;
    out->scale = (uint8_t)scale;
  } else if (takes_args) {
    out->members = members_of(p, t, out->kind == TY_SET ? 64 : 255);
  }
  return true;
}

void ast_schema_field(seg_parse *p, const char *name, seg_span sp, ast *type, bool nullable, bool key) {
  seg_field *f = arena_alloc(p->prog->a, sizeof *f);
  f->name = name;
  f->nullable = nullable;
  f->key = key;
  f->span_start = sp.start;
  f->span_end = sp.end;
  f->file = sp.file;
  if (!field_type(p, type, &f->type)) f->type.kind = TY_ERROR;
  bool in_stream = p->stream_start >= 0; /* there, `key` marks the order: checked by ast_stream_end */
  if (key && nullable && !in_stream) diag_error(D(p), sp, "the key field %s cannot be nullable", name);
  if (key && !in_stream && (f->type.kind == TY_FLOAT64 || f->type.kind == TY_SET || f->type.kind == TY_BOOL))
    diag_error(D(p), sp, "a %s field cannot be the key", f->type.kind == TY_FLOAT64 ? "float64" : f->type.kind == TY_SET ? "set" : "bool");
  for (int i = 0; i < p->fields.n; i++) {
    seg_field *o = p->fields.items[i];
    if (o->name == name && (p->stream_start < 0 || i >= p->stream_start))
      diag_note_first(D(p), diag_error(D(p), sp, "field %s is declared twice", name),
                      (seg_span){o->file, o->span_start, o->span_end});
  }
  ptrvec_push(p->prog->a, &p->fields, f);
}

void ast_stream_begin(seg_parse *p) { p->stream_start = p->fields.n; }

void ast_stream_end(seg_parse *p, const char *name, seg_span sp) {
  seg_stream *s = arena_alloc(p->prog->a, sizeof *s);
  s->name = name;
  s->span_start = sp.start;
  s->span_end = sp.end;
  s->file = sp.file;
  s->nfields = p->fields.n - p->stream_start;
  s->fields = arena_alloc(p->prog->a, sizeof(seg_field) * (size_t)(s->nfields + 1));
  s->order = -1;
  for (int i = 0; i < s->nfields; i++) {
    seg_field *f = &s->fields[i];
    *f = *(seg_field *)p->fields.items[p->stream_start + i];
    f->index = i;
    bool is_time = f->type.kind == TY_TIMESTAMP || f->type.kind == TY_DATE;
    seg_span fs = {f->file, f->span_start, f->span_end};
    if (f->key && !is_time) {
      diag_error(D(p), fs, "`key` in a stream marks the time that orders its events: %s is not a timestamp or date", f->name);
    } else if (f->key && s->order >= 0 && s->fields[s->order].key) {
      diag_error(D(p), fs, "stream %s has two order fields: %s and %s", name, s->fields[s->order].name, f->name);
    } else if (is_time && (f->key || s->order < 0)) {
      s->order = i;
    }
  }
  if (s->order >= 0 && s->fields[s->order].nullable) {
    seg_field *f = &s->fields[s->order];
    seg_diag *g = diag_error(D(p), (seg_span){f->file, f->span_start, f->span_end},
                             "%s orders the events of stream %s, so it cannot be nullable", f->name, name);
    diag_set_hint(D(p), g, "drop the `?`, or mark another timestamp with `key`");
  }
  p->fields.n = p->stream_start;
  p->stream_start = -1;
  ptrvec_push(p->prog->a, &p->streams, s);
}

/* Stream names are unique and no field's; an events CSV names its customer
 * by the key column, so no stream field may share the key's name. */
static void schema_check_streams(seg_parse *p, const seg_schema *s) {
  for (int i = 0; i < s->nstreams; i++) {
    const seg_stream *st = &s->streams[i];
    seg_span sp = {st->file, st->span_start, st->span_end};
    for (int j = 0; j < i; j++)
      if (s->streams[j].name == st->name) diag_error(D(p), sp, "schema %s has two streams named %s", s->name, st->name);
    for (int f = 0; f < s->nfields; f++)
      if (s->fields[f].name == st->name) diag_error(D(p), sp, "stream %s has the name of a field of %s", st->name, s->name);
    for (int f = 0; s->key >= 0 && f < st->nfields; f++)
      if (st->fields[f].name == s->fields[s->key].name) {
        seg_diag *g = diag_error(D(p), (seg_span){st->fields[f].file, st->fields[f].span_start, st->fields[f].span_end},
                                 "stream field %s has the name of the key field", st->fields[f].name);
        diag_set_note(D(p), g, "the events CSV names each event's customer in the %s column", st->fields[f].name);
      }
  }
}

void ast_schema_end(seg_parse *p, const char *name, seg_span sp) {
  seg_program *prog = p->prog;
  seg_schema *s = arena_alloc(prog->a, sizeof *s);
  s->name = name;
  s->nfields = p->fields.n;
  s->fields = arena_alloc(prog->a, sizeof(seg_field) * (size_t)(s->nfields + 1));
  s->key = -1;
  for (int i = 0; i < s->nfields; i++) {
    s->fields[i] = *(seg_field *)p->fields.items[i];
    s->fields[i].index = i;
    if (s->fields[i].key) {
      if (s->key >= 0) diag_error(D(p), (seg_span){s->fields[i].file, s->fields[i].span_start, s->fields[i].span_end},
                                  "schema %s has two key fields: %s and %s", name, s->fields[s->key].name, s->fields[i].name);
      else s->key = i;
    }
  }
  s->nstreams = p->streams.n;
  s->streams = arena_alloc(prog->a, sizeof(seg_stream) * (size_t)(s->nstreams + 1));
  for (int i = 0; i < s->nstreams; i++) s->streams[i] = *(seg_stream *)p->streams.items[i];
  schema_check_streams(p, s);
  p->fields.n = 0;
  p->streams.n = 0;
  if (s->key < 0) {
    seg_diag *g = diag_error(D(p), sp, "schema %s has no key field", name);
    diag_set_hint(D(p), g, "mark exactly one field with `key`, as in `id : int64 key`");
  }
  if (prog->schema) {
    seg_diag *g = diag_error(D(p), sp, "a second schema (%s); a program has exactly one", name);
    diag_set_note(D(p), g, "the first is %s", prog->schema->name);
    return;
  }
  prog->schema = s;
  prog->schema_span = sp;
}

/* ---- consts, segments, tests ------------------------------------------- */

void ast_const(seg_parse *p, const char *name, seg_span sp, ast *value) {
  seg_const *c = arena_alloc(p->prog->a, sizeof *c);
  c->name = name;
  c->span = sp;
  c->value = value;
  c->desc = description(p, sp);
  c->index = p->prog->consts.n;
  ptrvec_push(p->prog->a, &p->prog->consts, c);
}

void ast_segment_begin(seg_parse *p, const char *name, seg_span sp, ast *rule) {
  seg_segment *s = arena_alloc(p->prog->a, sizeof *s);
  s->short_name = name;
  s->parent = p->parents.n ? p->parents.items[p->parents.n - 1] : NULL;
  s->name = s->parent ? arena_intern(p->prog->a, arena_printf(p->prog->a, "%s.%s", s->parent->name, name),
                                     strlen(s->parent->name) + 1 + strlen(name))
                      : name;
  s->span = sp;
  s->rule = rule;
  s->desc = description(p, sp);
  s->index = p->prog->segments.n;
  ptrvec_push(p->prog->a, &p->prog->segments, s);
  ptrvec_push(p->prog->a, &p->parents, s);
}

void ast_segment_end(seg_parse *p) { p->parents.n--; }

void ast_test_begin(seg_parse *p, ast *name, seg_span sp) {
  seg_test *t = arena_alloc(p->prog->a, sizeof *t);
  t->name = name->name;
  t->span = span_join(sp, name->span);
  p->test = t;
  p->test_given.n = p->test_expects.n = 0;
}

void ast_test_as_of(seg_parse *p, ast *ts) {
  if (p->test->as_of) diag_error(D(p), ts->span, "as_of is given twice in this test");
  p->test->as_of = ts;
}

void ast_test_given(seg_parse *p, const char *field, seg_span sp, ast *value) {
  seg_given *g = arena_alloc(p->prog->a, sizeof *g);
  g->field = field;
  g->span = sp;
  g->value = value;
  ptrvec_push(p->prog->a, &p->test_given, g);
}

void ast_test_expect(seg_parse *p, ast *e) { ptrvec_push(p->prog->a, &p->test_expects, e); }

void ast_test_end(seg_parse *p) {
  seg_test *t = p->test;
  t->ngiven = p->test_given.n;
  t->given = arena_alloc(p->prog->a, sizeof(seg_given) * (size_t)(t->ngiven + 1));
  for (int i = 0; i < t->ngiven; i++) t->given[i] = *(seg_given *)p->test_given.items[i];
  t->nexpects = p->test_expects.n;
  t->expects = arena_alloc(p->prog->a, sizeof(ast *) * (size_t)(t->nexpects + 1));
  for (int i = 0; i < t->nexpects; i++) t->expects[i] = p->test_expects.items[i];
  if (!t->nexpects) diag_error(D(p), t->span, "test \"%s\" expects nothing", t->name);
  ptrvec_push(p->prog->a, &p->prog->tests, t);
  p->test = NULL;
}
