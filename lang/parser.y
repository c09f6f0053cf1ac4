/* lang/parser.y — the grammar of .seg files.
 *
 * Pure and reentrant, with byte-offset spans (seg_span) as locations.  Every
 * action is one call to an AST builder (lang/ast.c); syntax errors become
 * diagnostics and parsing resumes at the next declaration.  Comparisons do
 * not chain: `a < b < c` parses, and its builder reports the error. */
%define api.pure full
%define api.prefix {segyy}
%define api.location.type {seg_span}
%define parse.error custom
%define parse.lac full
%locations
%param {seg_parse *p}
%expect 0

%code requires {
#include "lang/ast.h"
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                            \
  do {                                                                         \
    if (N) {                                                                   \
      (Cur).file = YYRHSLOC(Rhs, 1).file;                                      \
      (Cur).start = YYRHSLOC(Rhs, 1).start;                                    \
      (Cur).end = YYRHSLOC(Rhs, N).end;                                        \
    } else {                                                                   \
      (Cur).file = YYRHSLOC(Rhs, 0).file;                                      \
      (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;                          \
    }                                                                          \
  } while (0)
}

%code provides {
int segyylex(SEGYYSTYPE *lval, SEGYYLTYPE *lloc, seg_parse *p);
void segyyerror(SEGYYLTYPE *lloc, seg_parse *p, const char *msg);
}

%union {
  const char *str;
  ast *node;
  int op;
  bool flag;
}

%token T_IMPORT "import" T_SCHEMA "schema" T_STREAM "stream" T_KEY "key"
%token T_CONST "const" T_SEGMENT "segment" T_TEST "test"
%token T_AS_OF "as_of" T_GIVEN "given" T_EXPECT "expect"
%token T_AND "and" T_OR "or" T_NOT "not" T_IN "in" T_IS "is" T_NULL "null"
%token T_BETWEEN "between" T_HAS "has" T_ANY "any" T_ALL "all" T_EMPTY "empty"
%token T_WHERE "where" T_TRUE "true" T_FALSE "false" T_NOW "now" T_TODAY "today"
%token T_EQ "==" T_NE "!=" T_LE "<=" T_GE ">=" T_LT "<" T_GT ">" T_COALESCE "??"
%token <str> T_IDENT "identifier" T_INT_LIT "integer" T_DECIMAL_LIT "decimal"
%token <str> T_STRING_LIT "string" T_DATE_LIT "date" T_TIMESTAMP_LIT "timestamp"
%token <str> T_DURATION_LIT "duration"
%token T_UNTERMINATED "unterminated string" T_BADCHAR "invalid character"

%type <node> expr pred cmp arith postfix primary args arglist list items type type_args type_arg events event event_fields
%type <op> cmpop
%type <flag> opt_null opt_key

%left "or"
%left "and"
%precedence "not"
%left "??"
%left '+' '-'
%left '*' '/' '%'
%precedence UMINUS

%%

file
  : %empty
  | file decl
  ;

decl
  : "import" T_STRING_LIT                             { ast_import(p, ast_lit_str(p, $2, @2)); }
  | "schema" T_IDENT '{' schema_items '}'             { ast_schema_end(p, $2, @2); }
  | "const" T_IDENT '=' expr                          { ast_const(p, $2, @2, $4); }
  | segment
  | "test" T_STRING_LIT '{'                           { ast_test_begin(p, ast_lit_str(p, $2, @2), @1); }
      test_items '}'                                  { ast_test_end(p); }
  | error
  ;

schema_items
  : %empty
  | schema_items field
  | schema_items "stream" T_IDENT '{'                 { ast_stream_begin(p); }
      stream_fields '}'                               { ast_stream_end(p, $3, @3); }
  ;

stream_fields
  : %empty
  | stream_fields field
  ;

field
  : T_IDENT ':' type opt_null opt_key                 { ast_schema_field(p, $1, @1, $3, $4, $5); }
  ;

type
  : T_IDENT                                           { $$ = ast_type(p, $1, NULL, @$); }
  | T_IDENT '(' type_args ')'                         { $$ = ast_type(p, $1, $3, @$); }
  ;

type_args
  : type_arg                                          { $$ = ast_list(p, NULL, $1); }
  | type_args ',' type_arg                            { $$ = ast_list(p, $1, $3); }
  ;

type_arg
  : T_IDENT                                           { $$ = ast_name(p, $1, @1); }
  | T_INT_LIT                                         { $$ = ast_lit_int(p, $1, @1); }
  ;

opt_null
  : %empty                                            { $$ = false; }
  | '?'                                               { $$ = true; }
  ;

opt_key
  : %empty                                            { $$ = false; }
  | "key"                                             { $$ = true; }
  ;

segment
  : "segment" T_IDENT '=' expr                        { ast_segment_begin(p, $2, @2, $4); }
      children                                        { ast_segment_end(p); }
  ;

children
  : %empty
  | '{' segments '}'
  ;

segments
  : %empty
  | segments segment
  ;

test_items
  : %empty
  | test_items "as_of" expr                           { ast_test_as_of(p, $3); }
  | test_items "given" '{' givens '}'
  | test_items "expect" expects
  ;

givens
  : %empty
  | given_list
  | given_list ','
  ;

given_list
  : given
  | given_list ',' given
  ;

given
  : T_IDENT ':' expr                                  { ast_test_given(p, $1, @1, $3); }
  | T_IDENT ':' list                                  { ast_test_given(p, $1, @1, $3); }
  | T_IDENT ':' '[' events ']'                        { ast_test_given(p, $1, @1, $4); }
  ;

events
  : event                                             { $$ = ast_list(p, NULL, $1); }
  | events ',' event                                  { $$ = ast_list(p, $1, $3); }
  | events ','
  ;

event
  : '{' '}'                                           { $$ = ast_record(p, @$); }
  | '{' event_fields '}'                              { $$ = $2; }
  | '{' event_fields ',' '}'                          { $$ = $2; }
  ;

event_fields
  : T_IDENT ':' expr                                  { $$ = ast_record_field(p, ast_record(p, @1), $1, @1, $3); }
  | event_fields ',' T_IDENT ':' expr                 { $$ = ast_record_field(p, $1, $3, @3, $5); }
  ;

expects
  : expr                                              { ast_test_expect(p, $1); }
  | expects ',' expr                                  { ast_test_expect(p, $3); }
  ;

expr
  : expr "or" expr                                    { $$ = ast_binary(p, AST_OR, $1, $3, @$); }
  | expr "and" expr                                   { $$ = ast_binary(p, AST_AND, $1, $3, @$); }
  | "not" expr                                        { $$ = ast_unary(p, AST_NOT, $2, @$); }
  | pred
  ;

pred
  : arith
  | cmp
  | arith "between" arith "and" arith                 { $$ = ast_between(p, $1, $3, $5, @$); }
  | arith "in" list                                   { $$ = ast_binary(p, AST_IN, $1, $3, @$); }
  | arith "in" T_IDENT                                { $$ = ast_binary(p, AST_IN, $1, ast_name(p, $3, @3), @$); }
  | arith "not" "in" list                             { $$ = ast_binary(p, AST_NOT_IN, $1, $4, @$); }
  | arith "is" "null"                                 { $$ = ast_unary(p, AST_IS_NULL, $1, @$); }
  | arith "is" "not" "null"                           { $$ = ast_unary(p, AST_IS_NOT_NULL, $1, @$); }
  | arith "is" "empty"                                { $$ = ast_unary(p, AST_IS_EMPTY, $1, @$); }
  | arith "has" arith                                 { $$ = ast_binary(p, AST_HAS, $1, $3, @$); }
  | arith "has" "any" '(' arglist ')'                 { $$ = ast_binary(p, AST_HAS_ANY, $1, $5, @$); }
  | arith "has" "all" '(' arglist ')'                 { $$ = ast_binary(p, AST_HAS_ALL, $1, $5, @$); }
  ;

cmp
  : arith cmpop arith                                 { $$ = ast_compare(p, $2, $1, $3, @$); }
  | cmp cmpop arith                                   { $$ = ast_chained_compare(p, $1, $2, $3, @2); }
  ;

cmpop
  : "=="                                              { $$ = CMP_EQ; }
  | "!="                                              { $$ = CMP_NE; }
  | "<"                                               { $$ = CMP_LT; }
  | "<="                                              { $$ = CMP_LE; }
  | ">"                                               { $$ = CMP_GT; }
  | ">="                                              { $$ = CMP_GE; }
  ;

arith
  : arith "??" arith                                  { $$ = ast_binary(p, AST_COALESCE, $1, $3, @$); }
  | arith '+' arith                                   { $$ = ast_binary(p, AST_ADD, $1, $3, @$); }
  | arith '-' arith                                   { $$ = ast_binary(p, AST_SUB, $1, $3, @$); }
  | arith '*' arith                                   { $$ = ast_binary(p, AST_MUL, $1, $3, @$); }
  | arith '/' arith                                   { $$ = ast_binary(p, AST_DIV, $1, $3, @$); }
  | arith '%' arith                                   { $$ = ast_binary(p, AST_MOD, $1, $3, @$); }
  | '-' arith %prec UMINUS                            { $$ = ast_unary(p, AST_NEG, $2, @$); }
  | postfix
  ;

postfix
  : primary
  | postfix '.' T_IDENT                               { $$ = ast_member(p, $1, $3, @$); }
  ;

primary
  : T_INT_LIT                                         { $$ = ast_lit_int(p, $1, @1); }
  | T_DECIMAL_LIT                                     { $$ = ast_lit_dec(p, $1, @1); }
  | T_STRING_LIT                                      { $$ = ast_lit_str(p, $1, @1); }
  | T_DATE_LIT                                        { $$ = ast_lit_date(p, $1, @1); }
  | T_TIMESTAMP_LIT                                   { $$ = ast_lit_ts(p, $1, @1); }
  | T_DURATION_LIT                                    { $$ = ast_lit_dur(p, $1, @1); }
  | "true"                                            { $$ = ast_lit_bool(p, true, @1); }
  | "false"                                           { $$ = ast_lit_bool(p, false, @1); }
  | "null"                                            { $$ = ast_new(p, AST_LIT_NULL, @1); }
  | "now"                                             { $$ = ast_new(p, AST_NOW, @1); }
  | "today"                                           { $$ = ast_new(p, AST_TODAY, @1); }
  | T_IDENT                                           { $$ = ast_name(p, $1, @1); }
  | T_IDENT '(' args ')'                              { $$ = ast_call(p, $1, $3, @$); }
  | T_IDENT '(' expr "where" expr ')'                 { $$ = ast_agg(p, $1, $3, $5, @$); }
  | '(' expr ')'                                      { $$ = $2; }
  ;

args
  : %empty                                            { $$ = ast_list(p, NULL, NULL); }
  | arglist
  ;

arglist
  : expr                                              { $$ = ast_list(p, NULL, $1); }
  | arglist ',' expr                                  { $$ = ast_list(p, $1, $3); }
  ;

list
  : '[' items ']'                                     { $$ = $2; }
  ;

items
  : %empty                                            { $$ = ast_list(p, NULL, NULL); }
  | arglist
  | arglist ','
  ;

%%

/* Hands bison's view of a syntax error to lang/syntax_error.c. */
static int yyreport_syntax_error(const yypcontext_t *ctx, seg_parse *p) {
  yysymbol_kind_t expected[64];
  int n = yypcontext_expected_tokens(ctx, expected, 64);
  const char *names[64];
  for (int i = 0; i < n && i < 64; i++) names[i] = yysymbol_name(expected[i]);
  syntax_error_report(p, *yypcontext_location(ctx), yysymbol_name(yypcontext_token(ctx)), names, n < 0 ? 0 : n);
  return 0;
}
