/* runtime/testrun.c — `test` blocks (language.md §5).
 *
 * Each test becomes a one-record table built from its `given` values (fields
 * left out are null, or zero / empty when not nullable).  Every `expect`
 * expression of every test is an extra output of one pack, compiled once;
 * each test is evaluated by the JIT and by the interpreter.  An expectation
 * passes when both say TRUE; a disagreement between them is a failure of its
 * own.  Failures show the expectation's sub-conditions with their values. */
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "library.h"
#include "output.h"
#include "segc.h"
#include "stdlib/calendar.h"

static const char *truth_name(int t) { return t == TRUTH_TRUE ? "TRUE" : t == TRUTH_FALSE ? "FALSE" : "UNKNOWN"; }

static void source_text(const seg_program *prog, seg_span sp, FILE *out) {
  const seg_source *s = prog->diags.sources[sp.file];
  fprintf(out, "%.*s", (int)(sp.end - sp.start), s->text + sp.start);
}

static void format_value(const ast *n, ival v, char *buf, size_t size) {
  if (v.null) snprintf(buf, size, "null");
  else if (n->type.kind == TY_BOOL) snprintf(buf, size, "%s", v.i ? "true" : "false");
  else if (n->type.kind == TY_FLOAT64) snprintf(buf, size, "%.17g", v.f);
  else if (n->type.kind == TY_STRING) snprintf(buf, size, "\"%.*s\"", (int)v.len, v.s);
  else if (n->type.kind == TY_DATE) cal_format_date(v.i, buf, size);
  else if (n->type.kind == TY_TIMESTAMP) cal_format_timestamp(v.i, buf, size);
  else if (n->type.kind == TY_ENUM && n->type.members) snprintf(buf, size, "%s", n->type.members->names[v.i]);
  else if (n->type.kind == TY_DECIMAL) output_decimal(v.i, n->type.scale, buf, size);
  else snprintf(buf, size, "%lld", (long long)v.i);
}


/* The sub-conditions of an expression, two levels deep, through segment references. */
static void explain(interp *it, const ast *n, int depth, FILE *out) {
  if (depth > 3) return;
  const ast *kids[3] = {n->a, n->b, n->c};
  if (n->kind == AST_SEGREF && depth < 3) {
    const seg_segment *s = it->prog->segments.items[n->index];
    explain(it, s->rule, depth + 1, out);
    return;
  }
  if (n->kind != AST_AND && n->kind != AST_OR && n->kind != AST_NOT) {
    char buf[128];
    ival v = interp_eval(it, n);
    format_value(n, v, buf, sizeof buf);
    fprintf(out, "      %*s", depth * 2, "");
    source_text(it->prog, n->span, out);
    fprintf(out, "  = %s\n", buf);
    /* and the operands of a comparison, unless they are literals */
    if ((n->kind == AST_CMP || n->kind == AST_BETWEEN) && depth < 3)
      for (int i = 0; i < 3; i++) {
        const ast *k = kids[i];
        while (k && k->kind == AST_CAST) k = k->a;
        if (k && !ast_is_literal(k)) explain(it, k, depth + 1, out);
      }
    return;
  }
  for (int i = 0; i < 3; i++)
    if (kids[i]) explain(it, kids[i], depth + 1, out);
}

/* The events a test gives to one stream (event fields left out are null,
 * or zero / empty when not nullable). */
static void add_events(rt_builder *b, interp *it, int stream, const ast *list, const rt_cell *key) {
  const seg_stream *st = &it->prog->schema->streams[stream];
  rt_cell *cells = calloc((size_t)st->nfields + 1, sizeof(rt_cell));
  for (int e = 0; e < list->nargs; e++) {
    const ast *ev = list->args[e];
    for (int f = 0; f < st->nfields; f++) cells[f] = (rt_cell){.null = st->fields[f].nullable};
    for (int j = 0; j < ev->nargs; j++) {
      const ast *fv = ev->args[j];
      if (fv->index < 0) continue;
      ival v = interp_eval(it, fv->a);
      cells[fv->index] = (rt_cell){.null = v.null, .i = v.i, .f = v.f, .s = v.s, .len = v.len};
    }
    rt_builder_add_event(b, stream, key, cells, (uint64_t)e + 1);
  }
  free(cells);
}

static bool build_record(const seg_program *prog, const seg_test *t, const ival *consts, rt_table *out) {
  const seg_schema *s = prog->schema;
  rt_cell *cells = calloc((size_t)s->nfields + 1, sizeof(rt_cell));
  for (int f = 0; f < s->nfields; f++) cells[f].null = s->fields[f].nullable;
  interp it;
  interp_init(&it, prog, NULL, 0, consts);
  for (int g = 0; g < t->ngiven; g++) {
    int f = ty_schema_find(s, t->given[g].field);
    if (f < 0 || t->given[g].stream >= 0) continue;
    ival v = interp_eval(&it, t->given[g].value);
    cells[f] = (rt_cell){.null = v.null, .i = v.i, .f = v.f, .s = v.s, .len = v.len};
  }
  rt_builder *b = rt_builder_new(s);
  rt_builder_add(b, cells, 1);
  for (int g = 0; g < t->ngiven; g++)
    if (t->given[g].stream >= 0) add_events(b, &it, t->given[g].stream, t->given[g].value, &cells[s->key]);
  rt_builder_finish(b, out, NULL, NULL);
  interp_reset(&it);
  free(cells);
  return true;
}

bool segc_test(segc_program *p, FILE *out, int *passed, int *failed, char *err, size_t errlen) {
  seg_program *prog = p->prog;
  *passed = *failed = 0;
  if (prog->diags.nerrors || !prog->checked) {
    snprintf(err, errlen, "the rules have %d error%s", prog->diags.nerrors, prog->diags.nerrors == 1 ? "" : "s");
    return false;
  }
  int nexp = 0;
  for (int i = 0; i < prog->tests.n; i++) nexp += ((seg_test *)prog->tests.items[i])->nexpects;
  ast **extra = calloc((size_t)nexp + 1, sizeof(ast *));
  nexp = 0;
  for (int i = 0; i < prog->tests.n; i++) {
    seg_test *t = prog->tests.items[i];
    for (int e = 0; e < t->nexpects; e++) extra[nexp++] = t->expects[e];
  }
  seg_pack *pk = pack_new(prog, extra, NULL, nexp);
  bool ok = pack_compile(pk, PACK_NATIVE, NULL, err, errlen);
  ival *consts = calloc((size_t)prog->consts.n + 1, sizeof(ival));
  int first = prog->segments.n;
  for (int i = 0; ok && i < prog->tests.n; i++) {
    seg_test *t = prog->tests.items[i];
    int64_t now = t->as_of ? t->as_of->v.i : library_wall_clock();
    if (!interp_consts(prog, now, consts, err, errlen)) {
      ok = false;
      break;
    }
    rt_table table;
    build_record(prog, t, consts, &table);
    exec_options eo = {.now = now, .threads = 1, .keep_bytes = true, .consts = consts};
    exec_result jit, ref;
    eo.interpreter = false;
    bool ran = exec_run(pk, &table, &eo, &jit, err, errlen);
    eo.interpreter = true;
    ran = ran && exec_run(pk, &table, &eo, &ref, err, errlen);
    if (!ran) {
      rt_table_free(&table);
      ok = false;
      break;
    }
    bool test_ok = true;
    for (int e = 0; e < t->nexpects; e++, first++) {
      int j = jit.bytes[first][0], r = ref.bytes[first][0];
      if (j == OUT_TRUE && r == OUT_TRUE) continue;
      int line, col;
      const seg_source *src = prog->diags.sources[t->expects[e]->span.file];
      diag_line_col(src, t->expects[e]->span.start, &line, &col);
      if (test_ok) fprintf(out, "FAIL %s:%d: test \"%s\"\n", src->path, line, t->name);
      test_ok = false;
      fprintf(out, "    expect ");
      source_text(prog, t->expects[e]->span, out);
      if (j != r) fprintf(out, "  -- the JIT says %s, the interpreter %s\n", truth_name(j), truth_name(r));
      else fprintf(out, "  -- is %s\n", truth_name(r));
      interp it;
      interp_init(&it, prog, &table, now, consts);
      explain(&it, t->expects[e], 0, out);
      interp_reset(&it);
    }
    if (test_ok) ++*passed;
    else ++*failed;
    exec_result_free(&jit);
    exec_result_free(&ref);
    rt_table_free(&table);
  }
  free(consts);
  free(extra);
  pack_free(pk);
  return ok;
}
