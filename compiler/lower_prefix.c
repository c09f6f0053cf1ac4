/* compiler/lower_prefix.c — prefix tests as ranges of dictionary codes.
 *
 * The dictionary is sorted bytewise (runtime/table.h), so the strings that
 * start with "info@" have consecutive codes, from the first string not
 * below "info@" on (rt_dict_prefix_range finds both ends).  So
 * `starts_with(email, "info@")`, and `matches(email, "^(info|sales)@")`,
 * whose matches are exactly the strings with one of a few prefixes
 * (rx_prefixes), are two comparisons of the record's code per prefix in
 * the main loop, with bounds found by binary search before the run
 * (pack_ctx.prefix_codes, exec.c): no lift table to fill over the
 * dictionary's strings, no byte per record to gather.  Only for a string
 * field itself (a lower()'d one has no order of its own). */
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"
#include "stdlib/builtins.h"
#include "stdlib/regex.h"

/* at most this many prefixes in one test: each costs two compares per record */
#define PREFIX_TESTS_MAX 8

/* pk's prefix equal to text, or a new one; -1 when out of memory */
static int prefix_index(seg_pack *pk, const char *text, uint32_t len) {
  for (int k = 0; k < pk->nprefixes; k++)
    if (pk->prefixes[k].len == len && memcmp(pk->prefixes[k].text, text, len) == 0) return k;
  pack_prefix *grown = realloc(pk->prefixes, sizeof *grown * (size_t)(pk->nprefixes + 1));
  if (!grown) return -1;
  pk->prefixes = grown;
  char *copy = malloc((size_t)len + 1);
  if (!copy) return -1;
  memcpy(copy, text, len);
  copy[len] = 0;
  pk->prefixes[pk->nprefixes] = (pack_prefix){copy, len};
  return pk->nprefixes++;
}

/* The prefixes n tests for, when it is starts_with(field, "literal") or
 * matches(field, pattern) of a prefix pattern; their count, or -1 */
static int prefixes_of(const ast *n, char (*text)[RX_PREFIX_MAX], uint32_t *len, const char **one) {
  if (n->kind != AST_CALL || n->nargs != 2 || n->args[0]->kind != AST_FIELD || n->args[0]->type.kind != TY_STRING ||
      n->args[1]->kind != AST_LIT_STR)
    return -1;
  if (n->op == BI_STARTS_WITH) {
    *one = n->args[1]->name;
    len[0] = n->args[1]->len;
    return 1;
  }
  if (n->op != BI_MATCHES) return -1;
  rx *r = rx_compile(n->args[1]->name);
  int count = r ? rx_prefixes(r, text, len, PREFIX_TESTS_MAX) : -1;
  rx_free(r);
  return count;
}

bool lower_prefix_value(lower *L, ast *n, lv *out) {
  char text[PREFIX_TESTS_MAX][RX_PREFIX_MAX];
  uint32_t len[PREFIX_TESTS_MAX];
  const char *one = NULL;
  if (L->in_loop) return false; /* an event loop: strings there are the interpreter's */
  int count = prefixes_of(n, text, len, &one);
  if (count < 0) return false;
  int index[PREFIX_TESTS_MAX];
  for (int k = 0; k < count; k++)
    if ((index[k] = prefix_index(L->pk, one ? one : text[k], len[k])) < 0) return false;
  lv code = lower_node(L, n->args[0]);
  LLVMValueRef code32 = LLVMBuildTrunc(L->B, code.v, L->v32, ""), hit = cbool(L, false);
  for (int k = 0; k < count; k++) { /* bounds: first code with it, first code past them; as 32-bit lanes, as codes are */
    LLVMValueRef lo = lower_entry_code(L, CTX_PREFIX_CODES, 2 * index[k]);
    LLVMValueRef hi = lower_entry_code(L, CTX_PREFIX_CODES, 2 * index[k] + 1);
    LLVMValueRef in = LLVMBuildAnd(L->B, LLVMBuildICmp(L->B, LLVMIntUGE, code32, lo, ""),
                                   LLVMBuildICmp(L->B, LLVMIntULT, code32, hi, ""), "");
    hit = LLVMBuildOr(L->B, hit, in, "");
  }
  *out = (lv){hit, code.null};
  return true;
}
