// bench/bench.mjs — runs segc and the peers on the data run.sh prepared,
// checks that every system finds the same members, and prints one table.
//
//   node bench/bench.mjs WORK/config.json      (run.sh writes the config)
//
// Tasks, each over the same customers and events:
//   counts      member counts of the attribute segments, one query per system
//   membership  every customer's membership of the attribute segments,
//               materialised (segc run --out; a table of one boolean column per
//               segment, one row per customer, for the peers)
//   events      member counts of the event segments
// Each (task, threads, system) cell is the median of up to cfg.runs runs (fewer
// when the runs so far took more than cfg.budget seconds; segc: see SEGC_RUNS).  Loading is timed
// separately.  A system that disagrees with segc on any count makes the bench
// exit 1 (after printing the table).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, rmSync, existsSync, openSync, readSync, closeSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePacks, writeManyPack } from './lib/packs.mjs';
import { parseOracle, AS_OF } from './lib/sql.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const TASKS = ['counts', 'membership', 'events'];

// ---- segc -------------------------------------------------------------------
const packDir = join(cfg.work, 'packs');
mkdirSync(packDir, { recursive: true });
const packs = writePacks(join(cfg.repo, 'examples/retail/rules.seg'), packDir);
const oracle = parseOracle(cfg.oracle);
for (const [task, names] of [['counts', packs.attrs], ['events', packs.events]]) {
  const sqlNames = oracle.filter((s) => s.events === (task === 'events')).map((s) => s.name);
  if (names.join() !== sqlNames.join()) {
    throw new Error(`rules.seg and rules.sql list different ${task} segments:\n  seg: ${names}\n  sql: ${sqlNames}`);
  }
}

// The packs are built ahead of time (segc build), as a user re-running them
// would; building is timed apart.
function segcBuild(pack) {
  const t0 = process.hrtime.bigint();
  const args = ['build', join(packDir, pack), '-o', join(packDir, pack.replace(/\.seg$/, '.segpack'))];
  const r = spawnSync(cfg.segc, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`segc ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function segcRun(pack, threads, outDir) {
  const args = ['run', join(packDir, pack), cfg.segd, '--as-of', AS_OF, '--threads', String(threads)];
  if (outDir) args.push('--out', outDir);
  const r = spawnSync(cfg.segc, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`segc ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('as of '));
  const num = (what) => { const m = new RegExp(`${what} ([0-9.]+) s`).exec(line); return m ? Number(m[1]) : 0; };
  const s = { load: num('load'), compile: num('compile'), evaluate: num('evaluate'), write: num('write') };
  const counts = {};
  for (const l of r.stdout.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+[0-9.]+%$/.exec(l);
    if (m) counts[m[1]] = Number(m[2]);
  }
  return { seconds: s.load + s.compile + s.evaluate + s.write, parts: s, counts };
}

// Compiling a pack of 1000+ segments (median of 3 builds) and loading it
// prebuilt (the compile part of a run's timing line: loading its code;
// median of 5 runs).
function segcManySegments() {
  const n = writeManyPack(packDir, 1000);
  const builds = [0, 1, 2].map(() => segcBuild('many.seg'));
  const runs = [0, 1, 2, 3, 4].map(() => segcRun('many.segpack', cfg.threads[cfg.threads.length - 1], null));
  const loads = runs.map((r) => r.parts.compile);
  log(`segc: ${n} segments: build ${builds.map((t) => t.toFixed(3)).join(' ')}, load prebuilt ${loads.map((t) => t.toFixed(4)).join(' ')}`);
  return { segments: n, build: median(builds), loadPrebuilt: median(loads), evaluate: median(runs.map((r) => r.parts.evaluate)) };
}

// segc's runs take seconds, so it runs at least SEGC_RUNS times per cell, and
// a task's thread counts take turns (1, 2, 1, 2, ...): a slow or fast phase of
// the machine then falls on both alike, and their ratio compares like with
// like.  Nine, not five: single runs here spread by 10-20%, and the median of
// five ratios (membership at 10M) was 1.32, 1.96 and 1.66 in three runs a few
// commits apart.
const SEGC_RUNS = Math.max(cfg.runs, 9);

function runSegc() {
  const outDir = join(cfg.outRoot, 'segc-membership');
  const results = [];
  const build = { attrs: segcBuild('attrs.seg'), events: segcBuild('events.seg') };
  for (const task of TASKS) {
    const cells = cfg.threads.map((threads) => ({ task, threads, times: [], counts: null, parts: [], spent: 0 }));
    const wanting = (c) => c.times.length < SEGC_RUNS && (c.times.length === 0 || c.spent < cfg.budget);
    while (cells.some(wanting)) {
      for (const c of cells.filter(wanting)) {
        rmSync(outDir, { recursive: true, force: true });
        const r = segcRun(task === 'events' ? 'events.segpack' : 'attrs.segpack', c.threads, task === 'membership' ? outDir : null);
        c.times.push(r.seconds);
        c.parts.push(r.parts);
        c.spent += r.seconds;
        c.counts = r.counts;
        if (task === 'membership') {
          const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8'));
          c.counts = { rows: summary.records, ...Object.fromEntries(summary.segments.map((g) => [g.name, g.count])) };
        }
      }
    }
    rmSync(outDir, { recursive: true, force: true });
    for (const { spent, ...c } of cells) {
      results.push(c);
      log(`segc: ${task} x${c.threads}: ${c.times.map((t) => t.toFixed(3)).join(' ')}`);
    }
  }
  return { system: 'segc', load: { seconds: cfg.ingest.seconds }, results, build, many: segcManySegments() };
}

// ---- peers ------------------------------------------------------------------
function runPeer(script, env, extra = {}) {
  const peerCfg = join(cfg.work, `peer-${script}-${Object.values(env).join('-') || 'all'}.json`);
  writeFileSync(peerCfg, JSON.stringify({
    oracle: cfg.oracle, data: cfg.data, work: cfg.work, threads: cfg.threads,
    runs: cfg.runs, budget: cfg.budget, pg: cfg.pg, ...extra,
  }));
  log(`== ${script} ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const r = spawnSync('node', [join(here, 'peers', `${script}.mjs`), peerCfg], {
    env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26,
  });
  // a line per finished cell (lib/harness.mjs report): one entry per system
  const bySystem = new Map();
  for (const line of (r.stdout ?? '').split('\n').filter((l) => l.trim())) {
    let cell;
    try {
      cell = JSON.parse(line);
    } catch (e) {
      if (r.status === 0) throw e;
      continue; // the line a killed peer was writing
    }
    if (!bySystem.has(cell.system)) bySystem.set(cell.system, { system: cell.system, load: cell.load, results: [] });
    bySystem.get(cell.system).results.push(...cell.results);
  }
  const out = [...bySystem.values()];
  if (r.status !== 0) {
    const kept = out.reduce((n, s) => n + s.results.length, 0);
    log(`!! ${script} failed (${r.status ?? r.signal}); the ${kept} cell(s) it finished are kept`);
    if (!out.length) out.push({ system: script, results: [] });
    out.forEach((s) => { s.failed = true; });
  }
  return out;
}

const systems = [];
if (cfg.systems.includes('segc')) systems.push(runSegc());
if (cfg.systems.includes('duckdb')) systems.push(...runPeer('duckdb', {}));
if (cfg.systems.includes('polars')) {
  const merged = { system: 'polars', results: [], load: null };
  for (const t of cfg.threads) {
    const [r] = runPeer('polars', { POLARS_MAX_THREADS: String(t) });
    if (r.failed) { merged.failed = true; (merged.failedThreads ??= []).push(t); }
    merged.results.push(...r.results);
    merged.load ??= r.load;
  }
  systems.push(merged);
}
if (cfg.systems.includes('postgres')) systems.push(...runPeer('postgres', {}));
if (cfg.systems.includes('sqlite')) systems.push(...runPeer('sqlite', {}));

// ---- check: the same members everywhere --------------------------------------
const segc = systems.find((s) => s.system === 'segc');
const problems = [], unfinished = [];
for (const sys of systems) {
  if (sys.failed) {
    const threads = sys.failedThreads ?? [];
    unfinished.push(sys.system + (threads.length ? ` with ${threads.join(' and ')} thread${threads.length > 1 || threads[0] > 1 ? 's' : ''}` : ''));
  }
  for (const r of sys.results) {
    let want;
    if (r.task === 'membership') want = { rows: cfg.customers };
    else want = segc?.results.find((x) => x.task === r.task && x.threads === r.threads)?.counts;
    if (!want) continue;
    if (sys.system === 'segc' && r.task === 'membership') {
      // summary.json of the --out run must agree with the counts run.
      const c = segc.results.find((x) => x.task === 'counts' && x.threads === r.threads).counts;
      want = { rows: cfg.customers, ...c };
    }
    for (const k of new Set([...Object.keys(want), ...Object.keys(r.counts)])) {
      if (want[k] !== r.counts[k]) problems.push(`${sys.system} ${r.task} x${r.threads}: ${k} = ${r.counts[k]}, segc ${want[k]}`);
    }
  }
}

// ---- bytes the packs must read, and memory bandwidth -----------------------------
// From the .segd header and field descriptions (docs/segd-format.md): each
// referenced field's values (and null bytes), per record; for a string field
// whose strings' bytes a function reads (lower, length, contains, ends_with,
// matches; starts_with of the field itself is a range of codes), its share of
// the dictionary (offsets and bytes: the lifts read those strings once); for
// the event pack also the stream's range array and referenced event fields,
// per event.
function segdLayout(path) {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(128);
  readSync(fd, head, 0, 128, 0);
  const nrecords = Number(head.readBigUInt64LE(16));
  const nfields = head.readUInt32LE(40);
  const ndict = Number(head.readBigUInt64LE(80)), dictBytes = Number(head.readBigUInt64LE(104));
  const fieldsOff = Number(head.readBigUInt64LE(48));
  const fieldsLen = Number(head.readBigUInt64LE(56));
  const streamsOff = Number(head.readBigUInt64LE(120));
  const fb = Buffer.alloc(fieldsLen);
  readSync(fd, fb, 0, fieldsLen, fieldsOff);
  const width = (t) => (/^(bool|enum)/.test(t) ? 1 : /^(int32|date|string)/.test(t) ? 4 : 8);
  const fields = [];
  for (let o = 0, i = 0; i < nfields; i++) {
    const n = fb.readUInt32LE(o), t = fb.readUInt32LE(o + 4), nullable = fb[o + 8], share = fb[o + 11];
    const name = fb.toString('utf8', o + 20, o + 20 + n);
    const type = fb.toString('utf8', o + 20 + n, o + 20 + n + t);
    fields.push({ name, bytes: width(type) + nullable, dict: type === 'string' ? Math.round((share / 255) * (8 * (ndict + 1) + dictBytes)) : 0 });
    o += 20 + n + t;
  }
  let nevents = 0;
  if (streamsOff) {
    const sb = Buffer.alloc(16);
    readSync(fd, sb, 0, 16, streamsOff);
    nevents = Number(sb.readBigUInt64LE(8));
  }
  closeSync(fd);
  return { nrecords, nevents, fields };
}

function packBytes(pack, layout) {
  const text = readFileSync(join(packDir, pack), 'utf8').replace(/#.*$/gm, '').replace(/"[^"]*"/g, '""');
  const ids = new Set(text.match(/[a-z_][a-z0-9_]*/g));
  let bytes = 0, dictionary = 0;
  for (const f of layout.fields) {
    if (ids.has(f.name)) bytes += f.bytes * layout.nrecords;
    const read = new RegExp(`\\b(lower|length|contains|ends_with|matches)\\(\\s*(lower\\(\\s*)*${f.name}\\b|\\bstarts_with\\(\\s*lower\\(\\s*${f.name}\\b`);
    if (f.dict && read.test(text)) dictionary += f.dict;
  }
  bytes += dictionary;
  if (/\bevents\b/.test(text)) {
    // the range array, and name (enum), at (timestamp), amount (decimal?)
    bytes += 8 * (layout.nrecords + 1);
    const ev = { name: 1, at: 8, amount: 9 };
    for (const [f, w] of Object.entries(ev)) if (new RegExp(`\\b${f}\\b`).test(text)) bytes += w * layout.nevents;
  }
  return { bytes, dictionary };
}

const layout = segdLayout(cfg.segd);
const readOf = { attrs: packBytes('attrs.seg', layout), events: packBytes('events.seg', layout) };
const bytesOf = { counts: readOf.attrs.bytes, membership: readOf.attrs.bytes, events: readOf.events.bytes };

// ---- the table -------------------------------------------------------------------
const order = ['segc', 'duckdb', 'polars', 'postgres', 'postgres_jit', 'sqlite'];
const label = { segc: 'segc', duckdb: 'DuckDB', polars: 'Polars', postgres: 'PG (JIT off)', postgres_jit: 'PG (JIT on)', sqlite: 'SQLite' };
const shown = order.filter((s) => systems.some((x) => x.system === s));
const fmt = (s) => (s === undefined ? '—' : s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3));
const lines = [];
lines.push(`| task | threads | ${shown.map((s) => label[s]).join(' | ')} | fastest peer | segc ÷ fastest peer | segc evaluate | segc GB/s | of memory bandwidth |`);
lines.push(`| --- | ---: | ${shown.map(() => '---:').join(' | ')} | --- | ---: | ---: | ---: | ---: |`);
const rowsJson = [];
for (const task of TASKS) {
  for (const threads of cfg.threads) {
    const cell = {};
    const runs = {};
    for (const s of shown) {
      const r = systems.find((x) => x.system === s)?.results.find((x) => x.task === task && x.threads === threads);
      if (r) { cell[s] = median(r.times); runs[s] = r.times.length; }
    }
    const peers = shown.filter((s) => s !== 'segc' && cell[s] !== undefined);
    const fastest = peers.sort((a, b) => cell[a] - cell[b])[0];
    const sr = segc?.results.find((x) => x.task === task && x.threads === threads);
    const evalS = sr ? median(sr.parts.map((p) => p.evaluate)) : undefined;
    const gbps = evalS ? bytesOf[task] / evalS / 1e9 : undefined;
    const bw = cfg.bandwidth.gbps[String(threads)];
    const ratio = fastest && cell.segc !== undefined ? cell.segc / cell[fastest] : undefined;
    const note = (s) => (runs[s] && runs[s] < cfg.runs ? ` (${runs[s]} runs)` : '');
    lines.push(`| ${task} | ${threads} | ${shown.map((s) => fmt(cell[s]) + note(s)).join(' | ')} | ${fastest ? label[fastest] : '—'} | ${ratio !== undefined ? ratio.toFixed(3) : '—'} | ${fmt(evalS)} | ${gbps !== undefined ? gbps.toFixed(2) : '—'} | ${gbps !== undefined && bw ? (100 * gbps / bw).toFixed(1) + '%' : '—'} |`);
    rowsJson.push({ task, threads, median: cell, runs, fastest, ratio, segc_evaluate: evalS, segc_gbps: gbps, bandwidth_gbps: bw });
  }
}

const mb = (b) => (b / 1e6).toFixed(1);
const csvBytes = cfg.csvBytes.customers + cfg.csvBytes.events;
const loadLines = [
  '| system | load (s) | CSV MB/s |',
  '| --- | ---: | ---: |',
  `| segc ingest | ${fmt(cfg.ingest.seconds)} | ${(csvBytes / cfg.ingest.seconds / 1e6).toFixed(0)} |`,
];
for (const s of systems) {
  if (s.system === 'segc' || !s.load || s.system === 'postgres_jit') continue;
  const name = s.system === 'postgres' ? 'PostgreSQL' : label[s.system];
  loadLines.push(`| ${name} | ${fmt(s.load.seconds)} | ${(csvBytes / s.load.seconds / 1e6).toFixed(0)} |`);
}

const segcParts = TASKS.map((t) => {
  const r = segc?.results.find((x) => x.task === t && x.threads === cfg.threads[0]);
  if (!r) return '';
  const p = (k) => median(r.parts.map((x) => x[k])).toFixed(3);
  return `${t} x${cfg.threads[0]}: open ${p('load')}, load pack ${p('compile')}, evaluate ${p('evaluate')}, write ${p('write')}`;
}).filter(Boolean);

// segc's speed-up from the first thread count to the last: its runs took
// turns, so run i of one and run i of the other met the same phase of the
// machine; the median of those pairs' ratios.
const speedups = cfg.threads.length < 2 ? [] : TASKS.map((t) => {
  const one = segc?.results.find((x) => x.task === t && x.threads === cfg.threads[0]);
  const more = segc?.results.find((x) => x.task === t && x.threads === cfg.threads[cfg.threads.length - 1]);
  if (!one || !more) return null;
  const n = Math.min(one.times.length, more.times.length);
  return `${t} ${median(one.times.slice(0, n).map((x, i) => x / more.times[i])).toFixed(2)}×`;
}).filter(Boolean);

const report = [
  `${cfg.customers} customers, ${layout.nevents} events (CSV ${mb(cfg.csvBytes.customers)} MB + ${mb(cfg.csvBytes.events)} MB); ` +
    `${packs.attrs.length} attribute segments, ${packs.events.length} event segments; as of ${AS_OF}; median of up to ${cfg.runs} runs (segc: ${SEGC_RUNS}), seconds.`,
  '',
  ...lines,
  '',
  `segc runs prebuilt packs (\`segc build\`: attrs ${segc?.build?.attrs.toFixed(2)} s, events ${segc?.build?.events.toFixed(2)} s, not in the times above). ` +
    `segc's time is the whole \`segc run\` of its own timing line: open the .segd + load the pack + evaluate (+ write); its parts (median, s): ${segcParts.join('; ')}.`,
  segc?.many ? `A ${segc.many.segments}-segment pack (bench/lib/packs.mjs writeManyPack): \`segc build\` ${segc.many.build.toFixed(2)} s (median of 3), loading it prebuilt ${(1000 * segc.many.loadPrebuilt).toFixed(1)} ms (median of 5), evaluating it over all customers ${segc.many.evaluate.toFixed(2)} s.` : '',
  speedups.length ? `segc with ${cfg.threads[cfg.threads.length - 1]} threads against ${cfg.threads[0]} (whole runs, median of the ratios of runs taken in turn): ${speedups.join(', ')}.` : '',
  `Bytes the pack must read: counts/membership ${mb(bytesOf.counts)} MB (of it ${mb(readOf.attrs.dictionary)} MB of the string dictionary), events ${mb(bytesOf.events)} MB. ` +
    `Memory read bandwidth (bench/bandwidth.c): ${Object.entries(cfg.bandwidth.gbps).map(([t, g]) => `${g} GB/s with ${t} thread${t === '1' ? '' : 's'}`).join(', ')}.`,
  '',
  'Loading (excluded from the times above; the peers load both CSVs into typed tables, PostgreSQL and SQLite also build an index on events):',
  '',
  ...loadLines,
];
const text = report.join('\n');
process.stdout.write('\n' + text + '\n');
writeFileSync(join(cfg.work, 'results.md'), text + '\n');
writeFileSync(join(cfg.work, 'results.json'), JSON.stringify({ config: cfg, bytes: bytesOf, rows: rowsJson, systems }, null, 1));

if (problems.length) {
  process.stdout.write(`\nMISMATCH: the systems disagree on member counts:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
if (unfinished.length) {
  // a peer that crashed or was killed (Polars runs out of memory on the 10M
  // events): what it did finish is in the table and agreed
  process.stdout.write(`\nINCOMPLETE: ${unfinished.join(', ')} did not finish every task (its missing cells are empty); every result that finished agreed with segc's members.\n`);
  process.exit(3);
}
process.stdout.write(`\nAll ${shown.length} systems found the same members for every segment of every task.\n`);
