/* runtime/lifts.c — tabulating lifted string expressions (lifts.h).
 *
 * First every table is allocated, and the codes each string field uses are
 * marked (one pass over its column, shared by the threads) unless the
 * field uses nearly all the dictionary (mark_worth_it), or its tables are
 * made as the codes come (lazy_worth_it, lift_one_byte).  The lifts are
 * grouped by field: a group's work item covers a chunk of the field's codes
 * for all its lifts, so the boolean ones, which share byte tables
 * (pack_lift.shift; nibbles when compact), are written by one thread.  The
 * lifts with a plan (lift_plan.h) run on the chunk's strings gathered once,
 * and share one copy of them laid end to end (and folded); the others, and
 * the null slot of every lift, are run by the interpreter.  The (group,
 * chunk of codes) work items are shared by threads through an atomic
 * counter; each thread has its own interpreter. */
#include "lifts.h"
#include "parallel.h"

#include "lift_plan.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LIFT_CHUNK 4096u

typedef struct lift_group {
  int field;
  int first, n;             /* its lifts: order[first .. first + n) */
  int planned;              /* how many of them have a plan */
  bool lazy;                /* only the null slot now (lift_tables.lazy) */
} lift_group;

typedef struct lift_job {
  const seg_pack *pk;
  const rt_table *t;
  const exec_options *opt;
  lift_tables tab;
  bool *lazy_field;         /* [nfields] its tables are lazy */
  uint8_t **used;           /* [nfields] a byte per code: 1 when a string field uses it (ndict + 1: the last is scratch) */
  lift_plan *plans;         /* [nlifts]; nops 0: no plan */
  int *order;               /* [nlifts] the lifts, group by group */
  lift_group *groups;
  int ngroups;
  uint64_t *first_item;     /* [ngroups + 1] prefix sums of the work items per group */
  int depth;                /* the deepest plan's stack */
  atomic_uint_fast64_t next;
  atomic_bool failed;       /* a worker ran out of memory: its items may be undone */
} lift_job;

typedef struct lift_worker_state {
  interp it;
  const char *s[LIFT_CHUNK];
  uint32_t len[LIFT_CHUNK], code[LIFT_CHUNK];
  uint8_t out[LIFT_CHUNK], acc[LIFT_CHUNK];
  lp_scratch scratch;
  bool failed;
} lift_worker_state;

/* Marking the dictionary codes each lifted string field uses, a byte per
 * code: one pass over the blocks for all the fields, MARK_BLOCKS blocks per
 * work item, shared by the threads; each thread marks maps of its own, and
 * they are merged after.  A byte per code, stored without reading it first,
 * keeps the stores independent: setting bits in words, the records of a
 * field with few distinct values waited on each other's stores to the same
 * words (the bench's `city` at 10M customers: 9 ms against 7.5). */
#define MARK_BLOCKS 16u

typedef struct mark_job {
  const rt_table *t;
  const int *fields;
  int nfields;
  uint8_t **maps;           /* [thread * nfields + i], ndict + 1 bytes each */
  atomic_uint_fast64_t next;
  atomic_int slot;
} mark_job;

static void *mark_worker(void *arg) {
  mark_job *m = arg;
  const rt_table *t = m->t;
  uint8_t **mine = m->maps + (size_t)atomic_fetch_add(&m->slot, 1) * (size_t)m->nfields;
  for (;;) {
    uint64_t b0 = atomic_fetch_add(&m->next, 1) * MARK_BLOCKS;
    if (b0 >= t->nblocks) return NULL;
    for (uint64_t b = b0; b < b0 + MARK_BLOCKS && b < t->nblocks; b++)
      for (int i = 0; i < m->nfields; i++) {
        const uint32_t *codes = (const uint32_t *)(rt_block(t, b) + t->layout.val_off[m->fields[i]]);
        uint32_t count = rt_block_count(t, b);
        uint8_t *used = mine[i];
        uint32_t ndict = t->ndict;
        for (uint32_t r = 0; r < count; r++) used[codes[r] < ndict ? codes[r] : ndict] = 1; /* a null's code may be anything */
      }
  }
}

/* An environment variable set to 0 or 1, forcing a choice for the tests:
 * that value, else -1 */
static int lifts_forced(const char *name) {
  const char *v = getenv(name);
  return v && (v[0] == '0' || v[0] == '1') && !v[1] ? v[0] - '0' : -1;
}

/* Whether marking field f's codes costs less than running its lifts over
 * the codes it does not use, by the table's hint of the share of the
 * dictionary the field uses (rt_table.dict_share, counted when the table
 * was built; no hint: mark).  Marking costs about 1 ns a record (10M
 * emails: 11 ms), a planned lift about 8.5 ns a string (the four email
 * lifts of the bench: 35 ms for 1.02M strings), an interpreted one ten
 * times that.  The bench's `email` uses 99.98% of the codes: no marking,
 * 5% of the evaluation at 10M customers; its `city`, 142 of them, would
 * be marked, and is lazy instead (lazy_worth_it).  Without marking the lifts run on every code, which is always
 * right, so a wrong hint costs time, never results.  SEGC_MARK_CODES=0 or
 * 1 forces never or always (the differential test runs both). */
static bool mark_worth_it(const lift_job *j, int f) {
  const rt_table *t = j->t;
  int forced = lifts_forced("SEGC_MARK_CODES");
  if (forced >= 0) return forced;
  if (!t->dict_share || !t->dict_share[f]) return true;
  double weight = 0; /* in planned lifts */
  for (int k = 0; k < j->pk->nlifts; k++)
    if (j->pk->lifts[k].field == f) weight += j->plans[k].nops ? 1 : 10;
  double unused = (double)t->ndict * (1 - t->dict_share[f] / 255.0); /* at most */
  return unused * 8.5 * weight > 1.0 * (double)t->nrecords;
}

/* j->used[f] for every field a lift reads whose marking is worth it (the
 * others stay NULL: every code); false when out of memory */
static bool mark_used(lift_job *j, int nfields, int nthreads) {
  int *fields = calloc((size_t)nfields + 1, sizeof(int)), n = 0;
  for (int k = 0; fields && k < j->pk->nlifts; k++) {
    int f = j->pk->lifts[k].field, i = 0;
    while (i < n && fields[i] != f) i++;
    if (f >= 0 && i == n && !j->lazy_field[f]) fields[n++] = f;
  }
  int kept = 0;
  for (int i = 0; i < n; i++)
    if (mark_worth_it(j, fields[i])) fields[kept++] = fields[i];
  n = kept;
  uint64_t chunks = (j->t->nblocks + MARK_BLOCKS - 1) / MARK_BLOCKS;
  if ((uint64_t)nthreads > chunks) nthreads = chunks ? (int)chunks : 1;
  mark_job m = {.t = j->t, .fields = fields, .nfields = n};
  size_t bytes = (size_t)j->t->ndict + 1;
  m.maps = calloc((size_t)nthreads * (size_t)n + 1, sizeof(uint8_t *));
  bool ok = fields && m.maps;
  for (int i = 0; ok && i < nthreads * n; i++) ok = (m.maps[i] = calloc(bytes, 1)) != NULL;
  if (ok && n) {
    atomic_init(&m.next, 0);
    atomic_init(&m.slot, 0);
    rt_parallel(nthreads, mark_worker, &m);
    for (int i = 0; i < n; i++) {
      for (int th = 1; th < nthreads; th++)
        for (size_t c = 0; c < bytes; c++) m.maps[i][c] |= m.maps[th * n + i][c];
      j->used[fields[i]] = m.maps[i];
      m.maps[i] = NULL;
    }
  }
  for (int i = 0; m.maps && i < nthreads * n; i++) free(m.maps[i]);
  free(m.maps);
  free(fields);
  return ok;
}

static inline bool is_used(const uint8_t *used, uint64_t c) { return !used || used[c]; }

/* The bits gathered in w->acc to their codes' bytes (or for a compact
 * table nibbles) of table (NULL: none): one scatter for all the lifts of a
 * table.  A chunk's codes start even: no other thread writes its bytes. */
static void flush_bits(uint8_t *table, bool compact, lift_worker_state *w, uint32_t count) {
  if (!table || !count) return;
  uint32_t c0 = w->code[0];
  bool consecutive = w->code[count - 1] - c0 == count - 1; /* no code skipped: vector loops */
  if (consecutive && !compact) {
    for (uint32_t i = 0; i < count; i++) table[c0 + i] |= w->acc[i];
  } else if (consecutive && c0 % 2 == 0) { /* two codes a byte */
    uint8_t *at = table + c0 / 2;
    uint32_t i = 0;
    for (; i + 1 < count; i += 2) at[i / 2] |= (uint8_t)(w->acc[i] | w->acc[i + 1] << 4);
    if (i < count) at[i / 2] |= w->acc[i];
  } else if (compact) {
    for (uint32_t i = 0; i < count; i++) table[w->code[i] / 2] |= (uint8_t)(w->acc[i] << w->code[i] % 2 * 4);
  } else {
    for (uint32_t i = 0; i < count; i++) table[w->code[i]] |= w->acc[i];
  }
}

/* The group's plans on the present strings of codes [c0, c1); false when
 * out of memory */
static bool planned_chunk(lift_job *j, lift_worker_state *w, const lift_group *g, uint64_t c0, uint64_t c1) {
  const uint8_t *used = j->used[g->field];
  uint32_t count = 0;
  const uint64_t *doff = j->t->dict_off;
  uint64_t end = c1 < j->t->ndict ? c1 : j->t->ndict;
  if (!used) { /* every code: no test per code (1M bench, emails: 0.39 -> 0.30 ms) */
    const char *bytes = j->t->dict_bytes;
    count = end > c0 ? (uint32_t)(end - c0) : 0;
    for (uint32_t i = 0; i < count; i++) {
      w->s[i] = bytes + doff[c0 + i];
      w->len[i] = (uint32_t)(doff[c0 + i + 1] - doff[c0 + i]);
      w->code[i] = (uint32_t)(c0 + i);
    }
  } else {
    for (uint64_t c = c0; c < end; c++) { /* (rt_dict_str, inline) */
      if (!used[c]) continue;
      w->s[count] = j->t->dict_bytes + doff[c];
      w->len[count] = (uint32_t)(doff[c + 1] - doff[c]);
      w->code[count++] = (uint32_t)c;
    }
  }
  lp_scratch_new_chunk(&w->scratch);
  uint8_t *table = NULL; /* the table the bits in w->acc are for (pack_lift.shift) */
  bool compact = false;
  for (int q = g->first; q < g->first + g->n; q++) {
    int k = j->order[q];
    if (!j->plans[k].nops) continue;
    if (!lift_plan_run(&j->plans[k], count, w->s, w->len, w->out, &w->scratch)) return false;
    if (j->tab.vals[k] != table) {
      flush_bits(table, compact, w, count);
      table = j->tab.vals[k];
      compact = j->tab.compact[j->pk->lifts[k].table];
      memset(w->acc, 0, count);
    }
    int shift = compact ? j->pk->lifts[k].shift / 2 : j->pk->lifts[k].shift;
    for (uint32_t i = 0; i < count; i++) w->acc[i] |= (uint8_t)(w->out[i] << shift);
  }
  flush_bits(table, compact, w, count);
  return true;
}

/* Lift l by the interpreter at code c (the null slot is ndict) */
static ival interp_at(interp *it, const rt_table *t, const pack_lift *l, uint64_t c) {
  it->bind_field = l->field;
  it->bind = (ival){.null = c == t->ndict && l->field >= 0};
  if (!it->bind.null && l->field >= 0) {
    size_t len;
    it->bind.s = rt_dict_str(t, (uint32_t)c, &len);
    it->bind.len = (uint32_t)len;
    it->bind.i = (int64_t)c;
  }
  ival r = interp_eval(it, l->node);
  interp_reset(it);
  return r;
}

/* Lift k by the interpreter over codes [c0, c1) (the null slot is ndict) */
static void interp_chunk(lift_job *j, lift_worker_state *w, int k, uint64_t c0, uint64_t c1) {
  const pack_lift *l = &j->pk->lifts[k];
  const rt_table *t = j->t;
  bool is_bool = l->node->type.kind == TY_BOOL;
  for (uint64_t c = c0; c < c1; c++) {
    if (l->field >= 0 && c < t->ndict && !is_used(j->used[l->field], c)) continue;
    ival r = interp_at(&w->it, t, l, c);
    if (is_bool) { /* a compact table's lifts have plans: here only for the null slot */
      size_t at = j->tab.compact[l->table] ? lift_null_byte(t->ndict) : c;
      ((uint8_t *)j->tab.vals[k])[at] |= (uint8_t)(interp_truth(r) << l->shift);
    } else {
      ((int64_t *)j->tab.vals[k])[c] = interp_slot(r, l->node->type);
      j->tab.nulls[k][c] = r.null;
    }
  }
}

/* Work item `chunk` of group g */
static void group_chunk(lift_job *j, lift_worker_state *w, const lift_group *g, uint64_t chunk) {
  if (g->lazy) { /* the null slot, then stored as lazy bytes are (LIFT_MADE) */
    for (int q = g->first; q < g->first + g->n; q++) interp_chunk(j, w, j->order[q], j->t->ndict, j->t->ndict + 1);
    for (int q = g->first; q < g->first + g->n; q++)
      if (j->pk->lifts[j->order[q]].table == j->order[q]) ((uint8_t *)j->tab.vals[j->order[q]])[j->t->ndict] ^= LIFT_MADE;
    return;
  }
  uint64_t size = g->field < 0 ? 1 : (uint64_t)j->t->ndict + 1, c0 = chunk * LIFT_CHUNK;
  uint64_t c1 = c0 + LIFT_CHUNK < size ? c0 + LIFT_CHUNK : size;
  if (g->planned && !planned_chunk(j, w, g, c0, c1)) w->failed = true;
  for (int q = g->first; q < g->first + g->n; q++) { /* a plan leaves the null slot to the interpreter */
    int k = j->order[q];
    if (!j->plans[k].nops) interp_chunk(j, w, k, c0, c1);
    else if (c1 > j->t->ndict) interp_chunk(j, w, k, j->t->ndict, c1);
  }
}

/* The end of the dictionary's bytes: its strings can be scanned in place (lp_scratch.readable) */
static const char *dict_end(const rt_table *t) { return t->dict_off ? t->dict_bytes + t->dict_off[t->ndict] : NULL; }

static void *lift_worker(void *arg) {
  lift_job *j = arg;
  lift_worker_state *w = malloc(sizeof *w);
  uint8_t *stack = malloc((size_t)j->depth * LIFT_CHUNK + 1);
  if (!w || !stack) { /* the others take the items */
    free(w);
    free(stack);
    return NULL;
  }
  *w = (lift_worker_state){.scratch = {.stack = stack, .readable = dict_end(j->t)}};
  interp_init(&w->it, j->pk->prog, j->t, j->opt->now, j->opt->consts);
  uint64_t total = j->first_item[j->ngroups];
  while (!w->failed) {
    uint64_t item = atomic_fetch_add(&j->next, 1);
    if (item >= total) break;
    int g = 0;
    while (j->first_item[g + 1] <= item) g++;
    group_chunk(j, w, &j->groups[g], item - j->first_item[g]);
  }
  interp_reset(&w->it);
  if (w->failed) atomic_store(&j->failed, true);
  lp_scratch_free(&w->scratch);
  free(w);
  return NULL;
}

/* j->groups, j->order and j->first_item: each lift that reads no field on
 * its own, then per string field, its lifts */
static bool group_lifts(lift_job *j, int nfields) {
  int n = j->pk->nlifts;
  uint64_t chunks = ((uint64_t)j->t->ndict + 1 + LIFT_CHUNK - 1) / LIFT_CHUNK;
  j->order = calloc((size_t)n + 1, sizeof(int));
  j->groups = calloc((size_t)n + 1, sizeof(lift_group));
  j->first_item = calloc((size_t)n + 1, sizeof(uint64_t));
  if (!j->order || !j->groups || !j->first_item) return false;
  int q = 0;
  for (int f = -1; f < nfields; f++)
    for (int k = 0; k < n; k++) {
      if (j->pk->lifts[k].field != f) continue;
      if (f < 0 || !j->ngroups || j->groups[j->ngroups - 1].field != f)
        j->groups[j->ngroups++] = (lift_group){.field = f, .first = q, .lazy = f >= 0 && j->lazy_field[f]};
      j->groups[j->ngroups - 1].n++;
      j->groups[j->ngroups - 1].planned += j->plans[k].nops > 0;
      j->order[q++] = k;
    }
  for (int g = 0; g < j->ngroups; g++)
    j->first_item[g + 1] = j->first_item[g] + (j->groups[g].field < 0 || j->groups[g].lazy ? 1 : chunks);
  return true;
}

/* Whether field f's boolean table is worth keeping compact (lift_tables):
 * when the codes it uses are more than one in 64 of the dictionary (by the
 * hint, rt_table.dict_share), so that the table's cache lines they touch
 * halve.  The bench's `email` at 10M customers: filling the lift rows
 * took 24 ms instead of 31; its `city`, 142 codes, touches 142 lines
 * either way and took 4 ms more to widen.  SEGC_COMPACT_LIFTS=0 or 1 forces
 * never or always (the differential tests run both). */
static bool compact_worth_it(const rt_table *t, int f) {
  int forced = lifts_forced("SEGC_COMPACT_LIFTS");
  return forced >= 0 ? forced : t->dict_share && t->dict_share[f] >= 4;
}

/* Whether field f's tables are worth making lazy (lift_tables.lazy): when
 * marking the codes it uses is (mark_worth_it), and every lift of it is a
 * boolean read through the lift rows.  Then its column is not scanned before
 * the run: the bench's `city` (142 codes) at 10M customers cost 7.5 ms to
 * mark, and its 142 codes are made as the rows are filled.
 * SEGC_LAZY_LIFTS=0 or 1 forces never or, where it can be, always. */
static bool lazy_worth_it(const lift_job *j, int f) {
  bool lifted = false;
  for (int k = 0; k < j->pk->nlifts; k++) {
    if (j->pk->lifts[k].field != f) continue;
    if (!pack_lift_rows_table(j->pk, j->pk->lifts[k].table)) return false;
    lifted = true;
  }
  if (!lifted) return false;
  int forced = lifts_forced("SEGC_LAZY_LIFTS");
  return forced >= 0 ? forced : mark_worth_it(j, f);
}

/* pk's lifts' plans, nops 0 for a lift without one; NULL when out of memory */
static lift_plan *plans_make(const seg_pack *pk) {
  lift_plan *plans = calloc((size_t)pk->nlifts + 1, sizeof *plans);
  for (int k = 0; plans && k < pk->nlifts; k++) lift_plan_make(pk->prog, pk->lifts[k].node, pk->lifts[k].field, &plans[k]);
  return plans;
}

bool lifts_plan_pack(seg_pack *pk) {
  if (!pk->plans && pk->nlifts) pk->plans = plans_make(pk);
  return pk->plans || !pk->nlifts;
}

bool lifts_make(const seg_pack *pk, const rt_table *t, const exec_options *opt, lift_tables *out) {
  int n = pk->nlifts, nfields = t->schema->nfields;
  uint64_t size = (uint64_t)t->ndict + 1;
  lift_job j = {.pk = pk, .t = t, .opt = opt};
  lift_tables *tab = &j.tab;
  j.used = calloc((size_t)nfields + 1, sizeof(uint8_t *));
  j.plans = pk->plans ? pk->plans : plans_make(pk);
  tab->vals = calloc((size_t)n + 1, sizeof(void *));
  tab->nulls = calloc((size_t)n + 1, sizeof(uint8_t *));
  tab->compact = calloc((size_t)n + 1, sizeof(bool));
  tab->lazy = calloc((size_t)n + 1, sizeof(bool));
  j.lazy_field = calloc((size_t)nfields + 1, sizeof(bool));
  bool ok = j.used && j.plans && tab->vals && tab->nulls && tab->compact && tab->lazy && j.lazy_field;
  for (int k = 0; ok && k < n; k++)
    if (j.plans[k].depth > j.depth) j.depth = j.plans[k].depth;
  for (int f = 0; ok && f < nfields; f++) j.lazy_field[f] = lazy_worth_it(&j, f);
  for (int k = 0; ok && k < n; k++) {
    int f = pk->lifts[k].field;
    tab->lazy[k] = pack_lift_rows_table(pk, k) && j.lazy_field[f];
    tab->compact[k] = pack_lift_rows_table(pk, k) && !tab->lazy[k] && compact_worth_it(t, f);
  }
  for (int k = 0; ok && k < n; k++)
    if (!j.plans[k].nops) tab->compact[pk->lifts[k].table] = false;
  for (int k = 0; ok && k < n; k++) {
    const pack_lift *l = &pk->lifts[k];
    bool is_bool = l->node->type.kind == TY_BOOL;
    if (l->table != k) { /* a boolean in an earlier lift's table */
      tab->vals[k] = tab->vals[l->table];
    } else if (is_bool) { /* + 3: the generated code and lift_rows.c read 4 bytes at a code */
      ok = (tab->vals[k] = calloc((tab->compact[k] ? lift_null_byte(t->ndict) + 1 : size) + 3, 1)) != NULL;
    } else {
      tab->vals[k] = calloc(size, sizeof(int64_t));
      tab->nulls[k] = calloc(size + 3, 1);
      ok = tab->vals[k] && tab->nulls[k];
    }
  }
  int nthreads = opt->threads > 0 ? opt->threads : exec_default_threads();
  ok = ok && mark_used(&j, nfields, nthreads) && group_lifts(&j, nfields);
  if (ok && n) {
    atomic_init(&j.next, 0);
    if ((uint64_t)nthreads > j.first_item[j.ngroups]) nthreads = (int)j.first_item[j.ngroups];
    atomic_init(&j.failed, false);
    rt_parallel(nthreads, lift_worker, &j);
    ok = !atomic_load(&j.failed);
  }
  for (int f = 0; j.used && f < nfields; f++) free(j.used[f]);
  free(j.used);
  free(j.first_item);
  free(j.order);
  free(j.groups);
  free(j.lazy_field);
  tab->plans = j.plans; /* for lift_one_byte */
  *out = j.tab;
  return ok;
}

void lifts_free(const seg_pack *pk, lift_tables *lt) {
  for (int k = 0; lt->vals && k < pk->nlifts; k++) {
    if (pk->lifts[k].table != k) continue;
    if (lt->nulls) free(lt->nulls[k]);
    free(lt->vals[k]);
  }
  free(lt->vals);
  free(lt->nulls);
  free(lt->compact);
  free(lt->lazy);
  if (lt->plans != pk->plans) { /* made for the run */
    for (int k = 0; lt->plans && k < pk->nlifts; k++) lift_plan_free(&lt->plans[k]);
    free(lt->plans);
  }
  memset(lt, 0, sizeof *lt);
}

/* ---- lazy tables ---- */

struct lift_one {
  const seg_pack *pk;
  const rt_table *t;
  const lift_tables *tab;
  interp it;
  lp_scratch scratch;
};

lift_one *lift_one_new(const seg_pack *pk, const rt_table *t, const exec_options *opt, const lift_tables *tab) {
  lift_one *o = calloc(1, sizeof *o);
  int depth = 0;
  for (int k = 0; k < pk->nlifts; k++)
    if (tab->plans[k].depth > depth) depth = tab->plans[k].depth;
  if (o) o->scratch.stack = malloc((size_t)depth + 1);
  if (!o || !o->scratch.stack) {
    free(o);
    return NULL;
  }
  o->pk = pk, o->t = t, o->tab = tab;
  o->scratch.readable = dict_end(t);
  interp_init(&o->it, pk->prog, t, opt->now, opt->consts);
  return o;
}

uint8_t lift_one_byte(lift_one *o, int table, uint32_t code) {
  const rt_table *t = o->t;
  const char *s = t->dict_bytes + t->dict_off[code];
  uint32_t len = (uint32_t)(t->dict_off[code + 1] - t->dict_off[code]);
  uint8_t byte = 0;
  for (int k = table; k < o->pk->nlifts; k++) {
    const pack_lift *l = &o->pk->lifts[k];
    if (l->table != table) continue;
    uint8_t out, truth;
    lp_scratch_new_chunk(&o->scratch);
    if (o->tab->plans[k].nops && lift_plan_run(&o->tab->plans[k], 1, &s, &len, &out, &o->scratch)) truth = out ? OUT_TRUE : OUT_FALSE;
    else truth = (uint8_t)interp_truth(interp_at(&o->it, t, l, code));
    byte |= (uint8_t)(truth << l->shift);
  }
  __atomic_store_n((uint8_t *)o->tab->vals[table] + code, (uint8_t)(byte ^ LIFT_MADE), __ATOMIC_RELAXED);
  return byte;
}

void lift_one_free(lift_one *o) {
  if (!o) return;
  interp_reset(&o->it);
  lp_scratch_free(&o->scratch);
  free(o);
}
