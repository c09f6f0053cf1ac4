/* runtime/library.c — the public API (include/segc.h) over the stages:
 * load + check (lang/), compile (compiler/), ingest, execute and write
 * (runtime/).  Each call owns its intermediate state and frees it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/segpack.h"
#include "exec.h"
#include "ingest.h"
#include "lang/load.h"
#include "library.h"
#include "lifts.h"
#include "output.h"
#include "segc.h"
#include "stdlib/calendar.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

segc_program *segc_load(const char *const *paths, int npaths) {
  segc_program *p = calloc(1, sizeof *p);
  p->prog = seg_program_new();
  p->roots = calloc((size_t)npaths + 1, sizeof *p->roots);
  for (int i = 0; p->roots && i < npaths; i++) p->roots[p->nroots++] = strdup(paths[i]);
  for (int i = 0; i < npaths; i++) seg_load_file(p->prog, paths[i], (seg_span){0}, false);
  if (npaths == 0) diag_error_at_file(&p->prog->diags, "segc", "no rule files given");
  if (p->prog->diags.nerrors == 0) seg_check(p->prog);
  else if (p->prog->schema) seg_check(p->prog); /* report type errors too */
  return p;
}

int segc_error_count(const segc_program *p) { return p->prog->diags.nerrors; }
int segc_warning_count(const segc_program *p) { return p->prog->diags.nwarnings; }
void segc_print_diagnostics(const segc_program *p, FILE *out) { diag_render(&p->prog->diags, out); }

void segc_free(segc_program *p) {
  if (!p) return;
  pack_free(p->prebuilt);
  seg_program_free(p->prog);
  for (int i = 0; i < p->nroots; i++) free(p->roots[i]);
  free(p->roots);
  free(p);
}

static bool usable(const segc_program *p, char *err, size_t errlen) {
  if (p->prog->diags.nerrors || !p->prog->checked) {
    snprintf(err, errlen, "the rules have %d error%s", p->prog->diags.nerrors, p->prog->diags.nerrors == 1 ? "" : "s");
    return false;
  }
  return true;
}

bool segc_build(segc_program *p, const char *pack_path, char *err, size_t errlen) {
  if (!usable(p, err, errlen)) return false;
  seg_pack *pk = pack_new(p->prog, NULL, NULL, 0);
  bool ok = pack_compile(pk, PACK_OBJECT, NULL, err, errlen) &&
            segpack_write(pk, (const char *const *)p->roots, p->nroots, pack_path, err, errlen);
  pack_free(pk);
  return ok;
}

segc_program *segc_load_pack(const char *pack_path, char *note, size_t notelen, char *err, size_t errlen) {
  seg_program *prog;
  seg_pack *pk;
  char why[512] = "";
  if (note && notelen) note[0] = 0;
  double t0 = now_seconds();
  segpack_status st = segpack_read(pack_path, &prog, &pk, why, sizeof why, err, errlen);
  if (pk && !lifts_plan_pack(pk)) { /* made once here, not in every run */
    snprintf(err, errlen, "%s: out of memory", pack_path);
    pack_free(pk);
    seg_program_free(prog);
    return NULL;
  }
  if (pk) pk->seconds_jit = now_seconds() - t0; /* reported as the run's compile time: reading, checking, loading, planning */
  if (st == SEGPACK_REFUSED) {
    seg_program_free(prog);
    return NULL;
  }
  segc_program *p = calloc(1, sizeof *p);
  p->prog = prog;
  p->prebuilt = pk;
  if (st == SEGPACK_STALE && note) snprintf(note, notelen, "%s: %s; compiling it", pack_path, why);
  return p;
}

bool segc_emit(segc_program *p, bool assembly, FILE *out, char *err, size_t errlen) {
  if (!usable(p, err, errlen)) return false;
  seg_pack *pk = pack_new(p->prog, NULL, NULL, 0);
  bool ok = pack_compile(pk, assembly ? PACK_EMIT_ASM : PACK_EMIT_IR, out, err, errlen);
  pack_free(pk);
  return ok;
}

bool segc_ingest(const segc_program *p, const segc_ingest_options *o, segc_ingest_report *rep, char *err,
                 size_t errlen) {
  if (!p->prog->schema) {
    snprintf(err, errlen, "no schema was loaded");
    return false;
  }
  if (p->prog->diags.nerrors) {
    snprintf(err, errlen, "the schema has errors");
    return false;
  }
  const seg_schema *s = p->prog->schema;
  const char **paths = calloc((size_t)s->nstreams + 1, sizeof *paths);
  if (!paths) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  for (int i = 0; i < o->nstreams; i++) {
    int k = -1;
    for (int j = 0; j < s->nstreams; j++)
      if (strcmp(s->streams[j].name, o->stream_names[i]) == 0) k = j;
    if (k < 0 || paths[k]) {
      snprintf(err, errlen, k < 0 ? "the schema has no stream %s" : "stream %s is given twice", o->stream_names[i]);
      free(paths);
      return false;
    }
    paths[k] = o->stream_paths[i];
  }
  ingest_options io = {.csv_path = o->csv_path, .out_path = o->out_path, .bad_rows_path = o->bad_rows_path,
                       .stream_paths = paths, .on_reject = o->on_reject, .on_warning = o->on_warning, .user = o->user};
  ingest_report r = {0};
  bool ok = ingest_csv(s, &io, &r, err, errlen);
  free(paths);
  *rep = (segc_ingest_report){r.rows_read,   r.rows_kept,       r.rows_rejected,    r.bytes_read,
                              r.events_read, r.events_kept,     r.events_rejected,  r.event_bytes_read,
                              r.event_seconds, r.seconds};
  return ok;
}

bool library_parse_instant(const char *text, int64_t *usec) {
  int64_t days;
  size_t n = strlen(text);
  if (cal_parse_timestamp(text, n, usec)) return true;
  if (cal_parse_date(text, n, &days)) {
    *usec = days * CAL_USEC_PER_DAY;
    return true;
  }
  return false;
}

int64_t library_wall_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * CAL_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Evaluates consts, then applies NAME=VALUE overrides typed like the const. */
bool library_consts(const seg_program *prog, int64_t now, const char *const *set, int nset, ival *out, char *err,
                    size_t errlen) {
  if (!interp_consts(prog, now, out, err, errlen)) return false;
  for (int i = 0; i < nset; i++) {
    const char *eq = strchr(set[i], '=');
    if (!eq) {
      snprintf(err, errlen, "--set %s: write NAME=VALUE", set[i]);
      return false;
    }
    int k = -1;
    for (int j = 0; j < prog->consts.n; j++) {
      const seg_const *c = prog->consts.items[j];
      if (strlen(c->name) == (size_t)(eq - set[i]) && strncmp(c->name, set[i], (size_t)(eq - set[i])) == 0) k = j;
    }
    if (k < 0) {
      snprintf(err, errlen, "--set %s: no const named %.*s", set[i], (int)(eq - set[i]), set[i]);
      return false;
    }
    const seg_const *c = prog->consts.items[k];
    seg_field f = {.name = c->name, .type = c->type};
    rt_cell cell;
    const char *why = NULL;
    const char *value = eq + 1;
    if (c->type.kind == TY_DURATION || c->type.kind == TY_STRING) {
      why = "only numbers, bools, enums, dates and timestamps can be set";
    } else if (!ingest_parse_cell(&f, value, strlen(value), &cell, &why) || cell.null) {
      if (!why) why = "it is empty";
    } else {
      out[k] = (ival){.i = cell.i, .f = cell.f};
      continue;
    }
    char tn[256];
    snprintf(err, errlen, "--set %s: %s is %s: %s", set[i], c->name, ty_name(c->type, tn, sizeof tn), why);
    return false;
  }
  return true;
}

/* Marks the fields and streams an expression reads. */
static void library_uses(const ast *n, bool *fields, bool *streams) {
  if (!n) return;
  if (n->kind == AST_FIELD) fields[n->index] = true;
  if (n->kind == AST_AGG) streams[n->index] = true;
  if (n->kind == AST_EVFIELD) streams[n->op] = true;
  library_uses(n->a, fields, streams);
  library_uses(n->b, fields, streams);
  library_uses(n->c, fields, streams);
  for (int i = 0; i < n->nargs; i++) library_uses(n->args[i], fields, streams);
}

bool segc_run(segc_program *p, const char *data_path, const segc_run_options *opt, segc_report *rep, char *err,
              size_t errlen) {
  memset(rep, 0, sizeof *rep);
  if (!usable(p, err, errlen)) return false;
  seg_program *prog = p->prog;
  int64_t now = library_wall_clock();
  if (opt->as_of && !library_parse_instant(opt->as_of, &now)) {
    snprintf(err, errlen, "--as-of %s is not a timestamp (2026-11-23T08:00:00Z) or a date", opt->as_of);
    return false;
  }
  rep->as_of_usec = now;
  cal_format_timestamp(now, rep->as_of, sizeof rep->as_of);
  ival *consts = calloc((size_t)prog->consts.n + 1, sizeof(ival));
  if (!library_consts(prog, now, opt->set, opt->nset, consts, err, errlen)) {
    free(consts);
    return false;
  }
  double t0 = now_seconds();
  /* the data's values are checked for the columns the segments read */
  bool *fields = calloc((size_t)prog->schema->nfields + 1, sizeof(bool));
  bool *streams = calloc((size_t)prog->schema->nstreams + 1, sizeof(bool));
  for (int i = 0; fields && streams && i < prog->segments.n; i++)
    library_uses(((const seg_segment *)prog->segments.items[i])->rule, fields, streams);
  rt_needs needs = {fields, streams, opt->out_dir != NULL, opt->threads};
  rt_table t;
  bool opened = rt_table_open_for(data_path, prog->schema, fields && streams ? &needs : NULL, &t, err, errlen);
  free(fields);
  free(streams);
  if (!opened) {
    free(consts);
    return false;
  }
  double t1 = now_seconds();
  seg_pack *pk = p->prebuilt && !opt->interpreter ? p->prebuilt : pack_new(prog, NULL, NULL, 0);
  bool ok = opt->interpreter || pk == p->prebuilt || pack_compile(pk, PACK_NATIVE, NULL, err, errlen);
  double t2 = now_seconds();
  exec_result res = {0};
  if (ok) {
    exec_options eo = {.now = now, .threads = opt->threads, .interpreter = opt->interpreter, .consts = consts,
                       .keep_bits = opt->out_dir != NULL, .source = data_path};
    ok = exec_run(pk, &t, &eo, &res, err, errlen);
  }
  double t3 = now_seconds();
  rep->records = t.nrecords;
  rep->seconds_load = t1 - t0;
  rep->seconds_compile = pk == p->prebuilt ? pk->seconds_jit : t2 - t1; /* a prebuilt pack: loading its code */
  rep->seconds_eval = t3 - t2;
  if (ok) {
    rep->nsegments = prog->segments.n;
    rep->segments = calloc((size_t)rep->nsegments + 1, sizeof(segc_segment_result));
    for (int k = 0; k < rep->nsegments; k++)
      rep->segments[k] = (segc_segment_result){pk->outputs[k].name, pk->outputs[k].desc, res.counts[k]};
    if (opt->out_dir) {
      ok = output_write(pk, &t, &res, rep, opt->threads, opt->out_dir, err, errlen);
      rep->seconds_write = now_seconds() - t3;
      /* summary.json carries the write time of everything before it */
    }
  }
  exec_result_free(&res);
  if (pk != p->prebuilt) pack_free(pk);
  rt_table_free(&t);
  free(consts);
  return ok;
}

void segc_report_free(segc_report *rep) {
  free(rep->segments);
  memset(rep, 0, sizeof *rep);
}
