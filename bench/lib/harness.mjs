// bench/lib/harness.mjs — what every peer process shares: its config (JSON
// file named on the command line), repeated timing, and its JSON report on
// stdout (everything else a peer prints goes to stderr).
import { readFileSync } from 'node:fs';
import { parseOracle, countsQuery, membershipSelect } from './sql.mjs';

export function config() {
  const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const segments = parseOracle(cfg.oracle);
  cfg.attrs = segments.filter((s) => !s.events);
  cfg.events = segments.filter((s) => s.events);
  cfg.tasks = cfg.tasks ?? ['counts', 'membership', 'events'];
  return cfg;
}

// The SQL of each task in a dialect.  counts and events: one row of counts
// (s0, s1, ...); membership: the SELECT to materialise.
export function taskSql(cfg, dialect) {
  return {
    counts: countsQuery(cfg.attrs, dialect),
    membership: membershipSelect(cfg.attrs, dialect),
    events: countsQuery(cfg.events, dialect),
  };
}

// Segment names of a task's count columns, in column order.
export function taskSegments(cfg, task) {
  return (task === 'events' ? cfg.events : cfg.attrs).map((s) => s.name);
}

// Run fn (async, returns its own seconds or undefined to time it here) up to
// cfg.runs times, stopping early once cfg.budget seconds have been spent (at
// least one run).  Returns the seconds of each run.
export async function repeat(cfg, fn) {
  const times = [];
  let spent = 0;
  while (times.length < cfg.runs && (times.length === 0 || spent < cfg.budget)) {
    const t0 = process.hrtime.bigint();
    const own = await fn(times.length);
    const s = own ?? Number(process.hrtime.bigint() - t0) / 1e9;
    times.push(s);
    spent += s;
  }
  return times;
}

// Turn a one-row result {s0: n, s1: n, ...} into {segment: count}.
export function namedCounts(cfg, task, row) {
  const names = taskSegments(cfg, task);
  const out = {};
  names.forEach((n, i) => { out[n] = Number(row[`s${i}`]); });
  return out;
}

// One JSON line per finished cell (task and thread count), written at once:
// a peer killed later (out of memory) keeps the cells it finished.
export function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

export function log(...a) {
  process.stderr.write(a.join(' ') + '\n');
}
