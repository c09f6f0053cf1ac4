/* runtime/lifts.c — tabulating lifted string expressions (lifts.h).
 *
 * First, sequentially, every table is allocated and each string field's used
 * codes are marked (one scan of its column).  Then the (lift, chunk of
 * codes) work items are shared by threads through an atomic counter; each
 * thread has its own interpreter and writes disjoint table entries. */
#include "lifts.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define LIFT_CHUNK 4096u

typedef struct lift_job {
  const seg_pack *pk;
  const rt_table *t;
  const exec_options *opt;
  void **vals;
  uint8_t **nulls;
  uint8_t **used;           /* [nfields] codes a string field uses */
  uint64_t *first_item;     /* [nlifts + 1] prefix sums of the work items per lift */
  atomic_uint_fast64_t next;
} lift_job;

/* Marks the dictionary codes a string field uses (one scan of its column). */
static uint8_t *codes_used(const rt_table *t, int field) {
  uint8_t *used = calloc((size_t)t->ndict + 1, 1);
  if (!used) return NULL;
  for (uint64_t b = 0; b < t->nblocks; b++) {
    const uint32_t *codes = (const uint32_t *)(rt_block(t, b) + t->layout.val_off[field]);
    uint32_t count = rt_block_count(t, b);
    for (uint32_t i = 0; i < count; i++)
      if (codes[i] < t->ndict) used[codes[i]] = 1;
  }
  return used;
}

static void lift_chunk(lift_job *j, interp *it, int k, uint64_t c0) {
  const pack_lift *l = &j->pk->lifts[k];
  const rt_table *t = j->t;
  bool is_bool = l->node->type.kind == TY_BOOL;
  uint64_t size = l->field < 0 ? 1 : (uint64_t)t->ndict + 1, c1 = c0 + LIFT_CHUNK < size ? c0 + LIFT_CHUNK : size;
  it->bind_field = l->field;
  for (uint64_t c = c0; c < c1; c++) {
    if (l->field >= 0 && c < t->ndict && !j->used[l->field][c]) continue;
    it->bind = (ival){.null = c == t->ndict && l->field >= 0};
    if (!it->bind.null && l->field >= 0) {
      size_t len;
      it->bind.s = rt_dict_str(t, (uint32_t)c, &len);
      it->bind.len = (uint32_t)len;
      it->bind.i = (int64_t)c;
    }
    ival r = interp_eval(it, l->node);
    interp_reset(it);
    if (is_bool) {
      ((uint8_t *)j->vals[k])[c] = (uint8_t)interp_truth(r);
    } else {
      ((int64_t *)j->vals[k])[c] = interp_slot(r, l->node->type);
      j->nulls[k][c] = r.null;
    }
  }
}

static void *lift_worker(void *arg) {
  lift_job *j = arg;
  interp it;
  interp_init(&it, j->pk->prog, j->t, j->opt->now, j->opt->consts);
  uint64_t total = j->first_item[j->pk->nlifts];
  for (;;) {
    uint64_t item = atomic_fetch_add(&j->next, 1);
    if (item >= total) break;
    int k = 0;
    while (j->first_item[k + 1] <= item) k++;
    lift_chunk(j, &it, k, (item - j->first_item[k]) * LIFT_CHUNK);
  }
  interp_reset(&it);
  return NULL;
}

bool lifts_make(const seg_pack *pk, const rt_table *t, const exec_options *opt, void ***vals, uint8_t ***nulls) {
  int n = pk->nlifts, nfields = t->schema->nfields;
  uint64_t size = (uint64_t)t->ndict + 1;
  lift_job j = {.pk = pk, .t = t, .opt = opt};
  j.used = calloc((size_t)nfields + 1, sizeof(uint8_t *));
  j.first_item = calloc((size_t)n + 1, sizeof(uint64_t));
  *vals = calloc((size_t)n + 1, sizeof(void *));
  *nulls = calloc((size_t)n + 1, sizeof(uint8_t *));
  bool ok = j.used && j.first_item && *vals && *nulls;
  for (int k = 0; ok && k < n; k++) {
    const pack_lift *l = &pk->lifts[k];
    bool is_bool = l->node->type.kind == TY_BOOL;
    uint8_t *nu = calloc(size, 1);
    void *v = is_bool ? (void *)nu : calloc(size, sizeof(int64_t));
    (*vals)[k] = v;
    (*nulls)[k] = is_bool ? NULL : nu;
    if (!is_bool && !v) {
      free(nu);
      (*nulls)[k] = nu = NULL;
    }
    if (l->field >= 0 && !j.used[l->field]) j.used[l->field] = codes_used(t, l->field);
    ok = nu && v && (l->field < 0 || j.used[l->field]);
    j.first_item[k + 1] = j.first_item[k] + (l->field < 0 ? 1 : (size + LIFT_CHUNK - 1) / LIFT_CHUNK);
  }
  if (ok && n) {
    j.vals = *vals;
    j.nulls = *nulls;
    atomic_init(&j.next, 0);
    int nthreads = opt->threads > 0 ? opt->threads : exec_default_threads();
    if ((uint64_t)nthreads > j.first_item[n]) nthreads = (int)j.first_item[n];
    pthread_t *th = calloc((size_t)nthreads + 1, sizeof *th);
    bool *started = calloc((size_t)nthreads + 1, sizeof *started);
    for (int i = 1; th && started && i < nthreads; i++) started[i] = pthread_create(&th[i], NULL, lift_worker, &j) == 0;
    lift_worker(&j); /* this thread works too; items a failed thread would take are taken by the others */
    for (int i = 1; th && started && i < nthreads; i++)
      if (started[i]) pthread_join(th[i], NULL);
    free(th);
    free(started);
  }
  for (int f = 0; j.used && f < nfields; f++) free(j.used[f]);
  free(j.used);
  free(j.first_item);
  return ok;
}

void lifts_free(int n, void **vals, uint8_t **nulls) {
  for (int k = 0; vals && k < n; k++) {
    if (nulls && nulls[k]) free(nulls[k]);
    free(vals[k]);
  }
  free(vals);
  free(nulls);
}
