/* lang/check_stream.c — stream aggregates (language.md §3 "Stream
 * aggregates"): scopes, event fields, aggregate types, and the events a
 * test gives.
 *
 * An aggregate `sum(events.amount where at >= now - 90d)` opens a scope over
 * its stream.  Inside it, a bare name is first a field of the innermost
 * scope without a binder (shadowing a customer field of the same name, with
 * a warning); `e.field` reads the event bound by `e in events`; and
 * `events.field` reads the innermost scope over `events`.  Each of these
 * becomes an EVFIELD node that records the depth of the scope it reads, so
 * nested aggregates ("cart_add not followed by purchase") can read the
 * outer event. */
#include <string.h>

#include "check_internal.h"

int check_find_stream(const seg_schema *s, const char *name) {
  for (int i = 0; s && i < s->nstreams; i++)
    if (s->streams[i].name[0] == name[0] && strcmp(s->streams[i].name, name) == 0) return i;
  return -1;
}

static int stream_field(const seg_stream *st, const char *name) {
  for (int i = 0; i < st->nfields; i++)
    if (st->fields[i].name[0] == name[0] && strcmp(st->fields[i].name, name) == 0) return i;
  return -1;
}

static ast *error_node(ast *n) {
  n->type = ty(TY_ERROR);
  return n;
}

static ast *unknown_field(checker *c, ast *n, const seg_stream *st, const char *field) {
  const char **names = arena_alloc(c->prog->a, sizeof *names * (size_t)(st->nfields + 1));
  for (int i = 0; i < st->nfields; i++) names[i] = st->fields[i].name;
  seg_diag *g = diag_error(c->d, n->span, "stream %s has no field %s", st->name, field);
  const char *sug = diag_suggest(field, names, st->nfields);
  if (sug) diag_set_hint(c->d, g, "did you mean %s?", sug);
  return error_node(n);
}

static ast *event_field(checker *c, ast *n, int depth, const char *field) {
  const seg_stream *st = &c->prog->schema->streams[c->scopes[depth].stream];
  int f = stream_field(st, field);
  if (f < 0) return unknown_field(c, n, st, field);
  n->kind = AST_EVFIELD;
  n->op = c->scopes[depth].stream;
  n->index = f;
  n->scope = depth;
  n->a = NULL;
  n->type = st->fields[f].type;
  if (n->type.kind == TY_INT32) n->type.kind = TY_INT64;
  n->nullable = st->fields[f].nullable;
  return n;
}

/* A binder name met outside its aggregate: true after reporting it. */
static bool stale_binder(checker *c, ast *n, const char *x) {
  for (int i = 0; i < c->binders.n; i++)
    if (c->binders.items[i] == x) {
      seg_diag *g = diag_error(c->d, n->span, "%s is bound only inside its aggregate", x);
      diag_set_hint(c->d, g, "use %s inside the `where` of the aggregate that binds it (%s in ...)", x, x);
      return true;
    }
  return false;
}

bool check_in_scope(checker *c, const char *name) {
  for (int d = c->nscopes - 1; d >= 0; d--) {
    const check_scope *sc = &c->scopes[d];
    if (sc->binder == name || (!sc->binder && stream_field(&c->prog->schema->streams[sc->stream], name) >= 0))
      return true;
  }
  return false;
}

ast *check_stream_name(checker *c, ast *n) {
  const seg_schema *s = c->prog->schema;
  for (int d = c->nscopes - 1; d >= 0; d--) {
    const check_scope *sc = &c->scopes[d];
    if (sc->binder && sc->binder == n->name) {
      seg_diag *g = diag_error(c->d, n->span, "%s is an event of %s, not a value", n->name, s->streams[sc->stream].name);
      diag_set_hint(c->d, g, "read one of its fields: %s.field", n->name);
      return error_node(n);
    }
    if (!sc->binder && stream_field(&s->streams[sc->stream], n->name) >= 0) {
      if (ty_schema_find(s, n->name) >= 0) {
        seg_diag *g = diag_warning(c->d, n->span, "%s here is the field of stream %s, not the customer field %s",
                                   n->name, s->streams[sc->stream].name, n->name);
        diag_set_hint(c->d, g, "bind the events (e in %s) to reach both: e.%s and %s", s->streams[sc->stream].name,
                      n->name, n->name);
      }
      return event_field(c, n, d, n->name);
    }
  }
  if (ty_schema_find(s, n->name) < 0 && stale_binder(c, n, n->name)) return error_node(n);
  if (check_find_stream(s, n->name) >= 0) {
    seg_diag *g = diag_error(c->d, n->span, "%s is a stream: it has no single value", n->name);
    diag_set_hint(c->d, g, "aggregate it, e.g. count(%s) or exists(%s where ...)", n->name, n->name);
    return error_node(n);
  }
  return NULL;
}

ast *check_stream_member(checker *c, ast *n) {
  if (n->a->kind != AST_NAME) return NULL;
  const char *x = n->a->name;
  for (int d = c->nscopes - 1; d >= 0; d--)
    if (c->scopes[d].binder == x) return event_field(c, n, d, n->name);
  if (check_find_stream(c->prog->schema, x) < 0 && stale_binder(c, n, x)) return error_node(n);
  int s = check_find_stream(c->prog->schema, x);
  if (s < 0) return NULL;
  for (int d = c->nscopes - 1; d >= 0; d--)
    if (c->scopes[d].stream == s) return event_field(c, n, d, n->name);
  seg_diag *g = diag_error(c->d, n->span, "%s.%s is a field of each event: it has no single value", x, n->name);
  diag_set_hint(c->d, g, "aggregate it, e.g. last(%s.%s), count(%s.%s) or exists(%s where %s ...)", x, n->name, x,
                n->name, x, n->name);
  return error_node(n);
}

static int agg_find(const char *name);

/* The stream a value expression reads as `stream.field` (outside nested
 * aggregates, which read their own), or -1. */
static int mentioned_stream(checker *c, const ast *n) {
  if (!n || n->kind == AST_AGG || (n->kind == AST_CALL && n->nargs == 1 && agg_find(n->name) >= 0)) return -1;
  if (n->kind == AST_MEMBER && n->a && n->a->kind == AST_NAME) {
    bool bound = false;
    for (int d = 0; d < c->nscopes; d++) bound |= c->scopes[d].binder == n->a->name;
    int s = bound ? -1 : check_find_stream(c->prog->schema, n->a->name);
    if (s >= 0) return s;
  }
  int s = mentioned_stream(c, n->a);
  if (s < 0) s = mentioned_stream(c, n->b);
  if (s < 0) s = mentioned_stream(c, n->c);
  for (int i = 0; s < 0 && i < n->nargs; i++) s = mentioned_stream(c, n->args[i]);
  return s;
}

static void unknown_stream(checker *c, const ast *n) {
  const seg_schema *s = c->prog->schema;
  seg_diag *g = diag_error(c->d, n->span, "%s is not a stream of the schema", n->name);
  if (!s->nstreams) {
    diag_set_hint(c->d, g, "declare one inside the schema: stream %s { ... }", n->name);
    return;
  }
  const char **names = arena_alloc(c->prog->a, sizeof *names * (size_t)s->nstreams);
  for (int i = 0; i < s->nstreams; i++) names[i] = s->streams[i].name;
  const char *sug = diag_suggest(n->name, names, s->nstreams);
  if (sug) diag_set_hint(c->d, g, "did you mean %s?", sug);
}

static int agg_find(const char *name) {
  for (int i = 0; i < AGG__COUNT; i++)
    if (strcmp(agg_names[i], name) == 0) return i;
  return -1;
}

/* The type of an aggregate of `value`, or an error message. */
static const char *agg_type(agg_kind k, const ast *value, seg_type *out) {
  seg_type v = value ? value->type : ty(TY_NULL);
  switch (k) {
  case AGG_COUNT: *out = ty(TY_INT64); return NULL;
  case AGG_EXISTS: *out = ty(TY_BOOL); return NULL;
  case AGG_SUM:
  case AGG_AVG:
    if (!ty_is_numeric(v.kind)) return "needs numbers";
    *out = k == AGG_AVG ? ty(TY_FLOAT64) : v.kind == TY_DECIMAL ? ty_dec(v.scale) : v;
    return NULL;
  case AGG_MIN:
  case AGG_MAX:
    if (!ty_is_numeric(v.kind) && v.kind != TY_DATE && v.kind != TY_TIMESTAMP && v.kind != TY_DURATION)
      return "needs numbers, dates or timestamps";
    *out = v;
    return NULL;
  default:
    if (v.kind == TY_NULL) return "needs a value";
    *out = v;
    return NULL;
  }
}

ast *check_agg(checker *c, ast *n) {
  int kind = agg_find(n->name);
  if (kind < 0) {
    seg_diag *g = diag_error(c->d, n->span, "unknown aggregate %s", n->name);
    const char *sug = diag_suggest(n->name, agg_names, AGG__COUNT);
    if (sug) diag_set_hint(c->d, g, "did you mean %s?", sug);
    return error_node(n);
  }
  if (c->in_const) {
    diag_error(c->d, n->span, "a const cannot read events");
    return error_node(n);
  }
  if (c->nscopes == AGG_MAX_DEPTH) {
    diag_error(c->d, n->span, "aggregates nest at most %d deep", AGG_MAX_DEPTH);
    return error_node(n);
  }
  const seg_schema *s = c->prog->schema;
  ast *src = n->a, *value = NULL;
  const char *binder = NULL;
  int stream = -1;
  if (src->kind == AST_NAME && (stream = check_find_stream(s, src->name)) >= 0) {
  } else if (src->kind == AST_IN && src->a->kind == AST_NAME && src->b->kind == AST_NAME) {
    binder = src->a->name;
    stream = check_find_stream(s, src->b->name);
    if (stream < 0) {
      unknown_stream(c, src->b);
      return error_node(n);
    }
  } else if ((stream = mentioned_stream(c, src)) >= 0) {
    value = src;
  } else if (src->kind == AST_NAME) {
    unknown_stream(c, src);
    return error_node(n);
  } else {
    seg_diag *g = diag_error(c->d, src->span, "%s reads a stream, but this names none", n->name);
    diag_set_hint(c->d, g, "write %s(events ...), %s(events.field ...) or %s(e in events ...)", n->name, n->name,
                  n->name);
    return error_node(n);
  }
  if (!value && kind >= AGG_SUM) {
    seg_diag *g = diag_error(c->d, src->span, "%s needs a value of each event", n->name);
    diag_set_hint(c->d, g, "write %s(%s.field ...)", n->name, s->streams[stream].name);
    return error_node(n);
  }
  if (binder) ptrvec_push(c->prog->a, &c->binders, (void *)binder);
  int depth = c->nscopes++;
  c->scopes[depth] = (check_scope){stream, binder};
  if (value) value = check_expr(c, value, NULL);
  ast *where = n->b ? check_bool(c, n->b, "where") : NULL;
  c->nscopes--;
  n->op = kind;
  n->index = stream;
  n->a = value;
  n->b = where;
  n->scope = depth;
  if ((value && value->type.kind == TY_ERROR) || (where && where->type.kind == TY_ERROR)) return error_node(n);
  const char *why = agg_type((agg_kind)kind, value, &n->type);
  if (why) {
    diag_error(c->d, value ? value->span : n->span, "%s %s, but this is %s", n->name, why,
               check_tyname(c, value ? value->type : ty(TY_NULL)));
    return error_node(n);
  }
  n->nullable = kind != AGG_COUNT && kind != AGG_EXISTS;
  return n;
}

ast *check_given_events(checker *c, int stream, ast *list) {
  const seg_stream *st = &c->prog->schema->streams[stream];
  if (list->kind != AST_LIST) {
    seg_diag *g = diag_error(c->d, list->span, "%s is a stream: give it a list of events", st->name);
    diag_set_hint(c->d, g, "write %s: [ { %s: ... }, ... ]", st->name, st->nfields ? st->fields[0].name : "field");
    return error_node(list);
  }
  for (int i = 0; i < list->nargs; i++) {
    ast *ev = list->args[i];
    if (ev->kind != AST_RECORD) {
      diag_error(c->d, ev->span, "an event is written { field: value, ... }");
      continue;
    }
    for (int j = 0; j < ev->nargs; j++) {
      ast *fv = ev->args[j];
      int f = stream_field(st, fv->name);
      for (int k = 0; k < j; k++)
        if (ev->args[k]->name == fv->name) diag_error(c->d, fv->span, "%s is given twice", fv->name);
      if (f < 0) {
        unknown_field(c, fv, st, fv->name);
        fv->index = -1;
        continue;
      }
      fv->index = f;
      fv->a = check_given_value(c, &st->fields[f], fv->a);
    }
  }
  list->type = ty(TY_STREAM);
  return list;
}
