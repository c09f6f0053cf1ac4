// bench/lib/sql.mjs — the peers' SQL, generated from the SQL oracle.
//
// tests/sql_oracle/rules.sql holds every segment of examples/retail/rules.seg
// as a SQLite query, checked id for id against segc by the test suite.  The
// bench does not write the segments a second time: it reads that file, takes
// each segment's WHERE clause, and
//   * translates the few SQLite-only pieces for DuckDB, PostgreSQL and Polars
//     (see DIALECTS below; every other piece is standard SQL all four take);
//   * inlines the as-of-dependent helper columns of load.sql (ds_last_purchase,
//     ds_last_login, age_years_birth) so that every system, like segc, works
//     them out at query time from the raw column;
//   * builds one query per task: the member counts of all segments (one
//     `sum(CASE WHEN ... THEN 1 ELSE 0 END)` per segment) and the membership
//     table (one boolean column per segment, one row per customer).
// A segment whose clause mentions `FROM events` is an event segment.
import { readFileSync } from 'node:fs';

// now = 2026-11-23T00:00:00Z, as in rules.sql (the bench runs at this as-of).
export const AS_OF = '2026-11-23T00:00:00Z';

// Parse rules.sql: `.output sql/NAME.ids` then `SELECT id FROM customers [c]
// WHERE <clause> ORDER BY id;`.
export function parseOracle(path) {
  const text = readFileSync(path, 'utf8');
  const segments = [];
  const re = /^\.output sql\/([A-Za-z0-9_.]+)\.ids\n([\s\S]*?);\s*$/gm;
  for (let m; (m = re.exec(text));) {
    const body = m[2].split('\n').filter((l) => !l.startsWith('--')).join('\n');
    const w = /^SELECT id FROM customers(?: c)?\s+WHERE\s+([\s\S]*?)\s+ORDER BY id$/.exec(body.trim());
    if (!w) throw new Error(`rules.sql: cannot read the query of ${m[1]}`);
    const where = w[1].replace(/\s+/g, ' ');
    segments.push({ name: m[1], where, events: /\bFROM events\b/.test(where) });
  }
  if (segments.length < 25) throw new Error(`rules.sql: only ${segments.length} segments found`);
  return segments;
}

// A SQLite GLOB pattern (as rules.sql uses them: *, ? and [0-9] classes, no
// escapes) as LIKE when it has no class, else as an anchored regex.
function globTo(subject, pat, regexOp) {
  if (!/[[?]/.test(pat)) return `${subject} LIKE '${pat.replace(/\*/g, '%')}'`;
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const ch = pat[i];
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[') { const j = pat.indexOf(']', i); re += pat.slice(i, j + 1); i = j; }
    else if ('.+()|{}^$\\'.includes(ch)) re += '\\' + ch;
    else re += ch;
  }
  return regexOp(subject, `^${re}$`);
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = UPPER.toLowerCase();

// What differs per system.  idiv: integer division of non-negative operands.
const DIALECTS = {
  sqlite: {
    idiv: (a, b) => `(${a}) / ${b}`,
    bool: (c) => `(${c})`,
    real: 'REAL',
    instr: 'instr',
    glob: null, // native
    greatest: null, // max(a, b)
    regex: null,
    asciiLower: null, // lower() folds ASCII only, as segc's
  },
  duckdb: {
    idiv: (a, b) => `(${a}) // ${b}`,
    bool: (c) => `CAST(${c} AS INTEGER)`,
    real: 'DOUBLE',
    instr: 'instr',
    glob: null,
    greatest: 'GREATEST',
    asciiLower: (x) => `translate(${x}, '${UPPER}', '${LOWER}')`,
  },
  postgres: {
    idiv: (a, b) => `(${a}) / ${b}`,
    bool: (c) => `CAST(${c} AS INTEGER)`,
    real: 'DOUBLE PRECISION',
    instr: 'strpos',
    glob: (s, p) => globTo(s, p, (x, r) => `${x} ~ '${r}'`),
    greatest: 'GREATEST',
    asciiLower: null, // the bench's cluster is initdb --locale=C: lower() is ASCII-only
  },
  polars: {
    idiv: (a, b) => `CAST(FLOOR((${a}) / ${b}) AS BIGINT)`,
    bool: (c) => `CASE WHEN ${c} THEN 1 ELSE 0 END`,
    real: 'DOUBLE',
    instr: null, // STRPOS takes a regex: instr(x, 'lit') > 0 becomes x LIKE '%lit%'
    glob: (s, p) => globTo(s, p, (x, r) => `${x} ~ '${r}'`),
    greatest: 'GREATEST',
    // Polars SQL has no TRANSLATE: one REPLACE per letter.
    asciiLower: (x) => [...UPPER].reduce((acc, c) => `REPLACE(${acc}, '${c}', '${c.toLowerCase()}')`, x),
  },
};

const NOW = 1795392000;

export function translate(where, dialect) {
  const d = DIALECTS[dialect];
  if (!d) throw new Error(`unknown dialect ${dialect}`);
  let s = where;
  const sub = (re, f) => { s = s.replace(re, f); };
  // load.sql's as-of-dependent helper columns, worked out at query time:
  // days_since(ts) = floor((now - ts) / 86400), via a shift that keeps the
  // dividend positive; age_years(birth_date) = whole years to today.
  const ds = (col) => `(${d.idiv(`${NOW} + 8640000000 - ${col}`, 86400)} - 100000)`;
  sub(/\bds_last_purchase\b/g, () => ds('last_purchase_s'));
  sub(/\bds_last_login\b/g, () => ds('last_login_s'));
  sub(/\bage_years_birth\b/g, () =>
    `(2026 - CAST(substr(birth_date, 1, 4) AS INTEGER) - ${d.bool("substr(birth_date, 6, 5) > '11-23'")})`);
  if (dialect === 'sqlite') return s;

  sub(/CAST\(strftime\('%m', '(\d{4})-(\d\d)-\d\d'\) AS INTEGER\)/g, (_, y, m) => String(Number(m)));
  // weekday 0 = Sunday (1970-01-01 was a Thursday), hour of the day, in UTC.
  sub(/CAST\(strftime\('%w', ([a-z_]+), 'unixepoch'\) AS INTEGER\)/g,
    (_, x) => `((${d.idiv(x, 86400)} + 4) % 7)`);
  sub(/CAST\(strftime\('%H', ([a-z_]+), 'unixepoch'\) AS INTEGER\)/g,
    (_, x) => d.idiv(`${x} % 86400`, 3600));
  if (d.instr) sub(/\binstr\(/g, () => `${d.instr}(`);
  else sub(/\binstr\(((?:lower\()?[a-z_.]+\)?), '([^'%_]*)'\) > 0/g, (_, x, lit) => `${x} LIKE '%${lit}%'`);
  sub(/\bmax\(([^(),]+),([^(),]+)\)/g, (_, a, b) => `${d.greatest}(${a},${b})`);
  sub(/\bAS REAL\)/g, () => `AS ${d.real})`);
  // SQLite's x / 0 is NULL; PostgreSQL raises an error, Polars gives inf.
  sub(/\/ ([a-z_][a-z0-9_]*)\b/g, (_, v) => `/ NULLIF(${v}, 0)`);
  if (d.glob) sub(/((?:lower\()?[a-z_.]+\)?) GLOB '([^']*)'/g, (_, x, p) => d.glob(x, p));
  // segc's lower() folds ASCII only (so does SQLite's); DuckDB's and Polars'
  // fold all of Unicode ("MÜNCHEN" would become "münchen").
  if (d.asciiLower) sub(/\blower\(([a-z_]+)\)/g, (_, x) => d.asciiLower(x));
  if (/strftime|unixepoch/.test(s) || (d.glob && /\bGLOB\b/.test(s))) throw new Error(`untranslated SQLite in: ${s}`);
  return s;
}

// One query with every segment's count (columns s0, s1, ... in order).
export function countsQuery(segments, dialect) {
  const cols = segments.map((g, i) => `  sum(CASE WHEN ${translate(g.where, dialect)} THEN 1 ELSE 0 END) AS s${i}`);
  return `SELECT\n${cols.join(',\n')}\nFROM customers c`;
}

// The membership table: one row per customer, one boolean per segment.
export function membershipSelect(segments, dialect) {
  const cols = segments.map((g, i) => `  (${translate(g.where, dialect)}) IS TRUE AS s${i}`);
  return `SELECT c.id,\n${cols.join(',\n')}\nFROM customers c`;
}
