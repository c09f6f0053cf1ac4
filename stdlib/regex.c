/* stdlib/regex.c — POSIX extended patterns to a byte DFA (regex.h).
 *
 * Three steps: the pattern is parsed to a tree (rejecting what glibc might
 * read differently), the tree is compiled to a Thompson NFA by continuation
 * (each node is built knowing the instruction that follows it), and the NFA
 * is determinised eagerly.  The search is unanchored: every DFA transition
 * also restarts the NFA, so a state is accepting as soon as a match ends at
 * the current byte.  `^` holds only before the first byte, `$` only after
 * the last, so they are resolved in the first state and at the end.
 * Over many subjects (rx_match_many) a pattern whose matches all have one
 * length is looked for only around the bytes one of its positions must
 * hold, or at the end when it ends with `$`, and an anchored one stops at
 * a first byte that cannot start it. */
#include "regex.h"
#include "str_scan.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the tree ---- */

enum { RN_SET, RN_BOL, RN_EOL, RN_CAT, RN_ALT, RN_REPEAT };
#define RX_MAX_NODES 1024
#define RX_MAX_REPEAT 64

typedef struct rnode {
  int kind;
  int a, b;          /* children (CAT, ALT; REPEAT: a) */
  int min, max;      /* REPEAT; max -1: unbounded */
  uint64_t set[4];   /* SET: the bytes */
} rnode;

typedef struct parser {
  const unsigned char *p;
  rnode nodes[RX_MAX_NODES];
  int n;
  bool ok;
} parser;

static int node(parser *ps, int kind) {
  if (ps->n == RX_MAX_NODES) {
    ps->ok = false;
    return 0;
  }
  memset(&ps->nodes[ps->n], 0, sizeof ps->nodes[0]);
  ps->nodes[ps->n].kind = kind;
  return ps->n++;
}

static void set_add(uint64_t *set, unsigned c) { set[c >> 6] |= UINT64_C(1) << (c & 63); }
static bool set_has(const uint64_t *set, unsigned c) { return set[c >> 6] >> (c & 63) & 1; }

/* a [:name:] class in the C locale */
static bool add_class(uint64_t *set, const char *name, size_t len) {
  static const char *const names[] = {"alpha", "digit", "alnum", "upper", "lower", "space",
                                      "blank", "punct", "print", "graph", "cntrl", "xdigit"};
  int k = -1;
  for (int i = 0; i < 12; i++)
    if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) k = i;
  if (k < 0) return false;
  for (unsigned c = 1; c < 128; c++) {
    bool in = false;
    switch (k) {
    case 0: in = (c | 32) >= 'a' && (c | 32) <= 'z'; break;
    case 1: in = c >= '0' && c <= '9'; break;
    case 2: in = ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9'); break;
    case 3: in = c >= 'A' && c <= 'Z'; break;
    case 4: in = c >= 'a' && c <= 'z'; break;
    case 5: in = c == ' ' || (c >= '\t' && c <= '\r'); break;
    case 6: in = c == ' ' || c == '\t'; break;
    case 7: in = c > ' ' && c < 127 && !(((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9')); break;
    case 8: in = c >= ' ' && c < 127; break;
    case 9: in = c > ' ' && c < 127; break;
    case 10: in = c < ' ' || c == 127; break;
    case 11: in = (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'f'); break;
    }
    if (in) set_add(set, c);
  }
  return true;
}

/* after '[': the bracket expression up to its ']' */
static int bracket(parser *ps) {
  int k = node(ps, RN_SET);
  uint64_t set[4] = {0};
  bool negate = *ps->p == '^';
  if (negate) ps->p++;
  bool first = true, after_range = false;
  for (;;) {
    unsigned c = *ps->p;
    if (c == 0) return ps->ok = false, k;
    if (c == ']' && !first) break;
    if (c == '-' && after_range && ps->p[1] != ']') return ps->ok = false, k; /* [a-c-e]: undefined in POSIX */
    first = after_range = false;
    if (c == '[' && (ps->p[1] == '=' || ps->p[1] == '.')) return ps->ok = false, k;
    if (c == '[' && ps->p[1] == ':') {
      const char *name = (const char *)ps->p + 2, *end = strstr(name, ":]");
      if (!end || !add_class(set, name, (size_t)(end - name))) return ps->ok = false, k;
      ps->p = (const unsigned char *)end + 2;
      if (*ps->p == '-' && ps->p[1] != ']') return ps->ok = false, k; /* a class as a range end */
      continue;
    }
    ps->p++;
    if (*ps->p == '-' && ps->p[1] != ']' && ps->p[1] != 0) {
      unsigned hi = ps->p[1];
      if (hi == '[' || c >= 128 || hi >= 128 || hi < c) return ps->ok = false, k;
      for (unsigned x = c; x <= hi; x++) set_add(set, x);
      ps->p += 2;
      after_range = true;
      continue;
    }
    set_add(set, c);
  }
  ps->p++;
  for (int w = 0; w < 4; w++) ps->nodes[k].set[w] = negate ? ~set[w] : set[w];
  ps->nodes[k].set[0] &= ~UINT64_C(1); /* never NUL */
  return k;
}

static int alternation(parser *ps);

static int atom(parser *ps) {
  unsigned c = *ps->p;
  int k;
  switch (c) {
  case '(':
    ps->p++;
    if (*ps->p == ')') return ps->ok = false, 0;
    k = alternation(ps);
    if (*ps->p != ')') return ps->ok = false, k;
    ps->p++;
    return k;
  case '[': ps->p++; return bracket(ps);
  case '.':
    ps->p++;
    k = node(ps, RN_SET);
    if (ps->ok) memset(ps->nodes[k].set, 0xFF, sizeof ps->nodes[k].set), ps->nodes[k].set[0] &= ~UINT64_C(1);
    return k;
  case '^': ps->p++; return node(ps, RN_BOL);
  case '$': ps->p++; return node(ps, RN_EOL);
  case '\\':
    c = ps->p[1];
    if (!c || !strchr("^.[]$()|*+?{}\\", (int)c)) return ps->ok = false, 0;
    ps->p += 2;
    break;
  case '*': case '+': case '?': case '{': case '|': case ')': case 0:
    return ps->ok = false, 0;
  default: ps->p++; break;
  }
  k = node(ps, RN_SET);
  if (ps->ok) set_add(ps->nodes[k].set, c);
  return k;
}

static bool number(parser *ps, int *out) {
  if (!isdigit(*ps->p)) return false;
  long v = 0;
  while (isdigit(*ps->p) && v <= RX_MAX_REPEAT) v = v * 10 + (*ps->p++ - '0');
  *out = (int)v;
  return v <= RX_MAX_REPEAT;
}

static bool has_anchor(const parser *ps, int k) {
  const rnode *r = &ps->nodes[k];
  if (r->kind == RN_BOL || r->kind == RN_EOL) return true;
  if (r->kind == RN_CAT || r->kind == RN_ALT) return has_anchor(ps, r->a) || has_anchor(ps, r->b);
  return r->kind == RN_REPEAT && has_anchor(ps, r->a);
}

static int piece(parser *ps) {
  int k = atom(ps);
  if (!ps->ok) return k;
  int min, max;
  switch (*ps->p) {
  case '*': min = 0, max = -1; ps->p++; break;
  case '+': min = 1, max = -1; ps->p++; break;
  case '?': min = 0, max = 1; ps->p++; break;
  case '{':
    ps->p++;
    if (!number(ps, &min)) return ps->ok = false, k;
    max = min;
    if (*ps->p == ',') {
      ps->p++;
      max = -1;
      if (*ps->p != '}' && (!number(ps, &max) || max < min)) return ps->ok = false, k;
    }
    if (*ps->p != '}') return ps->ok = false, k;
    ps->p++;
    break;
  default: return k;
  }
  /* GNU reads `^*` as a literal star, a second quantifier its own way, and
   * anchors inside a repeated group not as assertions: `(^a){2}` finds "aa" */
  if ((*ps->p && strchr("*+?{", *ps->p)) || has_anchor(ps, k)) return ps->ok = false, k;
  int r = node(ps, RN_REPEAT);
  if (ps->ok) ps->nodes[r].a = k, ps->nodes[r].min = min, ps->nodes[r].max = max;
  return r;
}

static int concatenation(parser *ps) {
  int k = piece(ps);
  while (ps->ok && *ps->p && *ps->p != '|' && *ps->p != ')') {
    int b = piece(ps), c = node(ps, RN_CAT);
    if (ps->ok) ps->nodes[c].a = k, ps->nodes[c].b = b;
    k = c;
  }
  return k;
}

static int alternation(parser *ps) {
  int k = concatenation(ps);
  while (ps->ok && *ps->p == '|') {
    ps->p++;
    int b = concatenation(ps), c = node(ps, RN_ALT);
    if (ps->ok) ps->nodes[c].a = k, ps->nodes[c].b = b;
    k = c;
  }
  return k;
}

/* ---- the NFA ---- */

enum { I_SET, I_SPLIT, I_BOL, I_EOL, I_MATCH };
#define RX_MAX_NFA 512

typedef struct inst {
  int op, x, y;        /* SET/BOL/EOL: x = next; SPLIT: x, y */
  const uint64_t *set;
} inst;

typedef struct nfa {
  const rnode *nodes;
  inst prog[RX_MAX_NFA];
  int n;
  bool ok;
} nfa;

static int emit(nfa *m, int op, int x, int y, const uint64_t *set) {
  if (m->n == RX_MAX_NFA) {
    m->ok = false;
    return 0;
  }
  m->prog[m->n] = (inst){op, x, y, set};
  return m->n++;
}

/* the entry of node k, continuing at `next` */
static int build(nfa *m, int k, int next) {
  const rnode *r = &m->nodes[k];
  if (!m->ok) return 0;
  switch (r->kind) {
  case RN_SET: return emit(m, I_SET, next, 0, r->set);
  case RN_BOL: return emit(m, I_BOL, next, 0, NULL);
  case RN_EOL: return emit(m, I_EOL, next, 0, NULL);
  case RN_CAT: return build(m, r->a, build(m, r->b, next));
  case RN_ALT: {
    int a = build(m, r->a, next), b = build(m, r->b, next);
    return emit(m, I_SPLIT, a, b, NULL);
  }
  default: { /* RN_REPEAT */
    int e = next;
    if (r->max < 0) {
      int loop = emit(m, I_SPLIT, 0, next, NULL);
      int body = build(m, r->a, loop);
      if (m->ok) m->prog[loop].x = body;
      e = loop;
    } else {
      for (int i = r->min; i < r->max && m->ok; i++) e = emit(m, I_SPLIT, build(m, r->a, e), next, NULL);
    }
    for (int i = 0; i < r->min && m->ok; i++) e = build(m, r->a, e);
    return e;
  }
  }
}

/* ---- the DFA ---- */

#define RX_FIXED_MAX 32 /* the longest fixed-length pattern looked at by windows */

struct rx {
  int nstates, init;
  int idle;                /* the state between matches: only the restart is alive (-1: none) */
  uint8_t stay[256];       /* bytes that keep the idle state idle, skipped in a tight loop */
  uint8_t start[4];        /* when the automaton starts idle: the bytes that do not keep it (NUL among them) */
  int nstart;              /* 1 to 4; 0: none of that (anchored, or more bytes) */
  bool accept_empty;       /* the pattern matches the empty subject (`^` and `$` both hold) */
  uint16_t *next;          /* [nstates][256] */
  uint8_t *accept;         /* a match ends at the byte that led here */
  uint8_t *accept_end;     /* a match ends at the end of the subject from here */
  uint8_t *dead;           /* no match can follow */
  uint8_t first_dead[256]; /* anchored: a subject starting with this byte has no match */
  int fixed_len;           /* every match is this long (1 to RX_FIXED_MAX; 0: not so) */
  bool fixed_at_end;       /* ... and ends the subject (`[0-9]{5}$`) */
  int nanchor;             /* ... and one place of 1 to 3 bytes: their count, and NUL's */
  uint64_t fixed_set[RX_FIXED_MAX][4]; /* the bytes each position of a match may hold */
  uint8_t fixed_order[RX_FIXED_MAX];   /* its other positions, fewest bytes first */
  int nfixed_order;
  str_class seq[STR_SEQ_MAX];          /* that place's and other places' ranges, for str_scan_seq */
  int nseq;
};

/* ---- fixed-length patterns ---- */

/* Every match of `(19|20)[0-9][0-9]@` is 5 bytes long with an `@` last:
 * the subjects' `@`s are the only places to look, and a window there
 * whose bytes are not all in their position's set cannot match.  Every
 * match of `\.(com|org)$` is the subject's last 4 bytes.
 *
 * fixed_shape: the length of every match of node k (-1: not one length,
 * or an anchor, or over RX_FIXED_MAX from `at`), or-ing each position's
 * bytes into set[at ..] */
static int fixed_shape(const rnode *nodes, int k, uint64_t (*set)[4], int at) {
  const rnode *r = &nodes[k];
  switch (r->kind) {
  case RN_SET:
    if (at >= RX_FIXED_MAX) return -1;
    for (int w = 0; w < 4; w++) set[at][w] |= r->set[w];
    return 1;
  case RN_CAT: {
    int a = fixed_shape(nodes, r->a, set, at), b = a < 0 ? -1 : fixed_shape(nodes, r->b, set, at + a);
    return b < 0 ? -1 : a + b;
  }
  case RN_ALT: {
    int a = fixed_shape(nodes, r->a, set, at), b = a < 0 ? -1 : fixed_shape(nodes, r->b, set, at);
    return a == b ? a : -1;
  }
  case RN_REPEAT: {
    if (r->min != r->max) return -1;
    int len = 0;
    for (int i = 0; i < r->min && len >= 0; i++) {
      int one = fixed_shape(nodes, r->a, set, at + len);
      len = one < 0 ? -1 : len + one;
    }
    return len;
  }
  default: return -1; /* ^ $ */
  }
}

static int popcount256(const uint64_t *set) {
  int n = 0;
  for (int w = 0; w < 4; w++) n += __builtin_popcountll(set[w]);
  return n;
}

/* Position x's set as a class for str_scan_seq: the range from its
 * least to its greatest byte, when that leaves out at least half of the
 * bytes (a wider one would filter little for its cost).  The windows it
 * lets through are tested in full by the automaton (rx_windows). */
static void seq_add(rx *r, int x) {
  const uint64_t *set = r->fixed_set[x];
  unsigned lo = 1, hi = 255;
  while (lo < 256 && !set_has(set, lo)) lo++;
  while (hi > lo && !set_has(set, hi)) hi--;
  if (lo == 256 || hi - lo >= 128 || r->nseq == STR_SEQ_MAX) return;
  r->seq[r->nseq++] = (str_class){.at = (uint8_t)x, .lo = (uint8_t)lo, .hi = (uint8_t)hi};
}

/* A fixed-length pattern's plan: when it ends with `$`, its window is at
 * the end; otherwise the position with the fewest bytes (at most 3; sets
 * never hold NUL) is r's anchor, and without one there is no plan. */
static void fixed_plan(rx *r, const rnode *nodes, int root) {
  memset(r->fixed_set, 0, sizeof r->fixed_set);
  bool at_end = nodes[root].kind == RN_CAT && nodes[nodes[root].b].kind == RN_EOL;
  int len = fixed_shape(nodes, at_end ? nodes[root].a : root, r->fixed_set, 0), best = -1;
  for (int x = 0; x < len; x++)
    if (best < 0 || popcount256(r->fixed_set[x]) < popcount256(r->fixed_set[best])) best = x;
  if (best < 0 || (!at_end && popcount256(r->fixed_set[best]) > 3)) return;
  r->fixed_len = len;
  r->fixed_at_end = at_end;
  for (int x = 0; x < len; x++) { /* insertion by size; an anchor holds */
    if (x == best && !at_end) continue;
    int y = r->nfixed_order++;
    for (; y > 0 && popcount256(r->fixed_set[r->fixed_order[y - 1]]) > popcount256(r->fixed_set[x]); y--)
      r->fixed_order[y] = r->fixed_order[y - 1];
    r->fixed_order[y] = (uint8_t)x;
  }
  if (at_end) return;
  r->nanchor = popcount256(r->fixed_set[best]) + 1;
  seq_add(r, best);
  for (int i = 0; i < r->nfixed_order; i++) seq_add(r, r->fixed_order[i]);
}

typedef struct dstate {
  int *pcs;                /* sorted SET, EOL and MATCH instructions */
  int n;
} dstate;

typedef struct det {
  const nfa *m;
  int start;
  int *mark, gen;
  int *stack, *buf;
  dstate states[RX_MAX_STATES];
  int nstates;
} det;

static int cmp_int(const void *a, const void *b) { return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b); }

/* the closure of seeds[0..ns) into d->buf; returns its size */
static int closure(det *d, const int *seeds, int ns, bool bol, bool eol) {
  int sp = 0, n = 0;
  d->gen++;
  for (int i = 0; i < ns; i++) d->stack[sp++] = seeds[i];
  while (sp) {
    int pc = d->stack[--sp];
    if (d->mark[pc] == d->gen) continue;
    d->mark[pc] = d->gen;
    const inst *in = &d->m->prog[pc];
    switch (in->op) {
    case I_SPLIT: d->stack[sp++] = in->y; d->stack[sp++] = in->x; break;
    case I_BOL: if (bol) d->stack[sp++] = in->x; break;
    case I_EOL:
      if (eol) d->stack[sp++] = in->x;
      else d->buf[n++] = pc;
      break;
    default: d->buf[n++] = pc; break;
    }
  }
  qsort(d->buf, (size_t)n, sizeof(int), cmp_int);
  return n;
}

static bool has_match(const det *d, const int *pcs, int n) {
  for (int i = 0; i < n; i++)
    if (d->m->prog[pcs[i]].op == I_MATCH) return true;
  return false;
}

/* the state for d->buf[0..n); -1 when there are too many */
static int intern(det *d, int n) {
  for (int s = 0; s < d->nstates; s++)
    if (d->states[s].n == n && memcmp(d->states[s].pcs, d->buf, sizeof(int) * (size_t)n) == 0) return s;
  if (d->nstates == RX_MAX_STATES) return -1;
  int *pcs = malloc(sizeof(int) * (size_t)(n + 1));
  if (!pcs) return -1;
  memcpy(pcs, d->buf, sizeof(int) * (size_t)n);
  d->states[d->nstates] = (dstate){pcs, n};
  return d->nstates++;
}

static bool determinise(det *d, rx *r) {
  r->next = malloc(sizeof(uint16_t) * 256 * RX_MAX_STATES);
  r->accept = calloc(RX_MAX_STATES, 1);
  r->accept_end = calloc(RX_MAX_STATES, 1);
  r->dead = calloc(RX_MAX_STATES, 1);
  int *seeds = malloc(sizeof(int) * (RX_MAX_NFA + 1));
  bool ok = r->next && r->accept && r->accept_end && r->dead && seeds;
  if (ok) r->init = intern(d, closure(d, &d->start, 1, true, false));
  ok = ok && r->init >= 0;
  if (ok) r->accept_empty = has_match(d, d->buf, closure(d, &d->start, 1, true, true));
  bool restart_empty = ok && closure(d, &d->start, 1, false, false) == 0;
  for (int s = 0; ok && s < d->nstates; s++) { /* states are added while we go */
    const dstate st = d->states[s];
    r->accept[s] = has_match(d, st.pcs, st.n);
    int ne = 0;
    for (int i = 0; i < st.n; i++)
      if (d->m->prog[st.pcs[i]].op == I_EOL) seeds[ne++] = st.pcs[i];
    r->accept_end[s] = r->accept[s] || (ne && has_match(d, d->buf, closure(d, seeds, ne, false, true)));
    r->dead[s] = st.n == 0 && restart_empty;
    for (unsigned c = 0; ok && c < 256; c++) {
      int ns = 0;
      for (int i = 0; i < st.n; i++) {
        const inst *in = &d->m->prog[st.pcs[i]];
        if (in->op == I_SET && set_has(in->set, c)) seeds[ns++] = in->x;
      }
      seeds[ns++] = d->start; /* unanchored: a match may start at the next byte */
      int t = intern(d, closure(d, seeds, ns, false, false));
      ok = t >= 0;
      if (ok) r->next[s * 256 + c] = (uint16_t)t;
    }
  }
  r->idle = -1;
  if (ok && !restart_empty) {
    int idle = intern(d, closure(d, &d->start, 1, false, false));
    if (idle >= 0 && idle < d->nstates && !r->accept[idle])
      for (int c = 0; c < 256; c++) r->stay[c] = c != 0 && r->next[idle * 256 + c] == idle;
    r->idle = idle >= 0 && !r->accept[idle] ? idle : -1;
  }
  int nstart = 0;
  for (int c = 0; r->idle >= 0 && c < 256 && nstart <= 4; c++)
    if (!r->stay[c]) {
      if (nstart < 4) r->start[nstart] = (uint8_t)c;
      nstart++;
    }
  r->nstart = nstart <= 4 ? nstart : 0;
  /* an anchored pattern (`^(info|sales)@`): most first bytes end the search */
  if (ok && r->init != r->idle && !r->accept[r->init] && !r->dead[r->init])
    for (int c = 1; c < 256; c++) r->first_dead[c] = r->dead[r->next[r->init * 256 + c]];
  free(seeds);
  r->nstates = d->nstates;
  uint16_t *fit = ok ? realloc(r->next, sizeof(uint16_t) * 256 * (size_t)r->nstates) : NULL;
  if (fit) r->next = fit;
  return ok;
}

rx *rx_compile(const char *pattern) {
  if (MB_CUR_MAX > 1) return NULL; /* regexec would read characters, not bytes */
  parser *ps = calloc(1, sizeof *ps);
  nfa *m = calloc(1, sizeof *m);
  det *d = calloc(1, sizeof *d);
  rx *r = calloc(1, sizeof *r);
  bool ok = ps && m && d && r;
  if (ok) {
    ps->p = (const unsigned char *)pattern;
    ps->ok = true;
    int root = alternation(ps);
    ok = ps->ok && *ps->p == 0;
    m->nodes = ps->nodes;
    m->ok = true;
    if (ok) d->start = build(m, root, emit(m, I_MATCH, 0, 0, NULL));
    ok = ok && m->ok;
    if (ok) fixed_plan(r, ps->nodes, root);
  }
  if (ok) {
    d->m = m;
    d->mark = calloc(RX_MAX_NFA, sizeof(int));
    d->stack = malloc(sizeof(int) * 3 * (RX_MAX_NFA + 1));
    d->buf = malloc(sizeof(int) * (RX_MAX_NFA + 1));
    ok = d->mark && d->stack && d->buf && determinise(d, r);
    for (int s = 0; s < d->nstates; s++) free(d->states[s].pcs);
    free(d->mark);
    free(d->stack);
    free(d->buf);
  }
  free(ps);
  free(m);
  free(d);
  if (!ok) {
    rx_free(r);
    return NULL;
  }
  return r;
}

/* The automaton from state st at byte i of a subject that does not start
 * with a NUL */
static bool rx_run(const rx *r, const unsigned char *p, size_t n, size_t i, int st) {
  for (; i < n; i++) {
    if (st == r->idle)
      while (i < n && r->stay[p[i]]) i++;
    if (i == n) break;
    if (r->accept[st]) return true;
    if (r->dead[st] || p[i] == 0) break;
    st = r->next[st * 256 + p[i]];
  }
  return r->accept_end[st];
}

bool rx_match(const rx *r, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  if (n == 0 || p[0] == 0) return r->accept_empty;
  return rx_run(r, p, n, 0, r->init);
}

/* A fixed-length pattern matches at w[0 .. fixed_len), a window of the
 * subject (its last bytes when fixed_at_end), by the automaton alone */
static bool rx_window_run(const rx *r, const unsigned char *w) {
  int st = r->init;
  for (int x = 0; x < r->fixed_len; x++) {
    st = r->next[st * 256 + w[x]];
    if (r->accept[st]) return true;
  }
  return r->fixed_at_end && r->accept_end[st];
}

/* The same, the cheap test of the position sets first (they never hold
 * NUL, so a window across the subject's end fails it) */
static bool rx_window(const rx *r, const unsigned char *w) {
  for (int i = 0; i < r->nfixed_order; i++) {
    int x = r->fixed_order[i];
    if (!(r->fixed_set[x][w[x] >> 6] >> (w[x] & 63) & 1)) return false;
  }
  return rx_window_run(r, w);
}

/* The windows among a subject's first 64 bytes that str_scan_seq found
 * (mask: where they start), each run through the automaton: every match
 * is fixed_len bytes, so one found from a window's start is the window. */
static bool rx_windows(const rx *r, const unsigned char *p, uint64_t mask) {
  for (; mask; mask &= mask - 1)
    if (rx_window_run(r, p + __builtin_ctzll(mask))) return true;
  return false;
}

void rx_match_many(const rx *r, const char *cat, const uint32_t *off, uint32_t count, uint8_t *out, uint64_t *scratch) {
  if (r->fixed_at_end) { /* the window before each subject's end: its length, or its first NUL */
    static const uint8_t nul = 0;
    uint32_t *end = (uint32_t *)scratch;
    str_scan_first_of(cat, off, count, &nul, 1, end);
    for (uint32_t i = 0; i < count; i++) {
      const unsigned char *p = (const unsigned char *)cat + off[i];
      out[i] = end[i] == 0 ? r->accept_empty : end[i] >= (uint32_t)r->fixed_len && rx_window(r, p + end[i] - r->fixed_len);
    }
    return;
  }
  /* windows, unless fewer bytes start a match than anchor one (both with
   * NUL); a match is fixed_len bytes, so the empty subject has none */
  if (r->fixed_len && r->nseq && (r->nstart == 0 || r->nanchor <= r->nstart)) {
    uint32_t *which = (uint32_t *)(scratch + count);
    uint32_t n = str_scan_seq(cat, off, count, r->seq, r->nseq, (uint32_t)r->fixed_len, scratch, which);
    for (uint32_t i = 0; i < count; i++) /* a subject over 64 bytes is run through whole, once */
      out[i] = off[i + 1] - off[i] > 64 && rx_match(r, cat + off[i], off[i + 1] - off[i]);
    for (uint32_t j = 0; j < n; j++) {
      uint32_t k = which[j];
      if (off[k + 1] - off[k] <= 64) out[k] = rx_windows(r, (const unsigned char *)cat + off[k], scratch[j]);
    }
    return;
  }
  if (r->nstart == 0 || r->idle != r->init) { /* anchored, or too many bytes start a match */
    for (uint32_t i = 0; i < count; i++) {
      const unsigned char *p = (const unsigned char *)cat + off[i];
      out[i] = off[i + 1] > off[i] && r->first_dead[p[0]] ? false : rx_match(r, cat + off[i], off[i + 1] - off[i]);
    }
    return;
  }
  /* the bytes before the first of the set keep the automaton idle, where it starts */
  uint32_t *first = (uint32_t *)scratch;
  str_scan_first_of(cat, off, count, r->start, r->nstart, first);
  for (uint32_t i = 0; i < count; i++) {
    const unsigned char *p = (const unsigned char *)cat + off[i];
    uint32_t n = off[i + 1] - off[i];
    out[i] = n == 0 || p[0] == 0 ? r->accept_empty : rx_run(r, p, n, first[i], r->idle);
  }
}

/* The walk of rx_prefixes from state st after the bytes path[0 .. depth):
 * false when the pattern is not a set of prefixes (or too many) */
typedef struct prefix_walk {
  const rx *r;
  char (*out)[RX_PREFIX_MAX];
  uint32_t *len;
  int n, max, steps;
  char path[RX_PREFIX_MAX];
} prefix_walk;

static bool prefix_walk_from(prefix_walk *w, int st, int depth) {
  for (int c = 1; c < 256; c++) { /* a NUL ends the subject: no match goes through it */
    int next = w->r->next[st * 256 + c];
    if (w->r->dead[next]) continue;
    if (++w->steps > 4096 || depth == RX_PREFIX_MAX) return false; /* unanchored, or too long */
    w->path[depth] = (char)c;
    if (w->r->accept[next]) { /* matched: whatever follows */
      if (w->n == w->max) return false;
      memcpy(w->out[w->n], w->path, (size_t)depth + 1);
      w->len[w->n++] = (uint32_t)depth + 1;
      continue;
    }
    if (w->r->accept_end[next] || !prefix_walk_from(w, next, depth + 1)) return false; /* a match that needs the end */
  }
  return true;
}

int rx_prefixes(const rx *r, char (*out)[RX_PREFIX_MAX], uint32_t *len, int max) {
  if (r->accept_empty || r->accept[r->init] || r->accept_end[r->init] || r->dead[r->init]) return -1;
  prefix_walk w = {.r = r, .out = out, .len = len, .max = max};
  return prefix_walk_from(&w, r->init, 0) ? w.n : -1;
}

void rx_free(rx *r) {
  if (!r) return;
  free(r->next);
  free(r->accept);
  free(r->accept_end);
  free(r->dead);
  free(r);
}
