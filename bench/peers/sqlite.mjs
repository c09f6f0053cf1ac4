// bench/peers/sqlite.mjs — SQLite through the sqlite3 shell (one thread).
// Loads the CSVs with the oracle's own tests/sql_oracle/load.sql (load time
// reported), then times each task; each run is one sqlite3 process on the
// database file (memory-mapped, so the tables come from the OS page cache)
// and its time is the shell's `.timer` for the query alone.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { config, taskSql, repeat, namedCounts, report, log } from '../lib/harness.mjs';

const cfg = config();
const sql = taskSql(cfg, 'sqlite');
const db = join(cfg.work, 'sqlite.db');
const pragmas = 'PRAGMA mmap_size = 30000000000; PRAGMA cache_size = -2000000; PRAGMA temp_store = memory;';

function sqlite(script, cwd) {
  const r = spawnSync('sqlite3', ['-bail', '-batch', db], { input: script, cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout;
}
function timed(query, after = '') {
  const out = sqlite(`.output /dev/null\n${pragmas}\n.output stdout\n.timer on\n${query};\n.timer off\n${after}\n`);
  const m = /^Run Time: real ([0-9.]+)/m.exec(out);
  if (!m) throw new Error(`no timing in sqlite3 output: ${out.slice(0, 500)}`);
  return { seconds: Number(m[1]), rows: out.split('\n').filter((l) => l && !l.startsWith('Run Time:')) };
}

const t0 = process.hrtime.bigint();
sqlite(`.read ${join(dirname(cfg.oracle), 'load.sql')}\n`, cfg.data);
const load = Number(process.hrtime.bigint() - t0) / 1e9;
log(`sqlite: loaded in ${load.toFixed(2)} s`);

const threads = 1;
for (const task of cfg.tasks) {
  let counts = null;
  const times = await repeat(cfg, async () => {
    if (task === 'membership') {
      return timed(`CREATE TEMP TABLE membership AS ${sql.membership}`).seconds;
    }
    const r = timed(sql[task]);
    const row = {};
    r.rows[0].split('|').forEach((v, i) => { row[`s${i}`] = v; });
    counts = namedCounts(cfg, task, row);
    return r.seconds;
  });
  if (task === 'membership') {
    counts = { rows: Number(timed(`CREATE TEMP TABLE membership AS ${sql.membership}`, 'SELECT count(*) FROM membership;').rows[0]) };
  }
  report({ system: 'sqlite', load: { seconds: load }, results: [{ task, threads, times, counts }] });
  log(`sqlite: ${task} x${threads}: ${times.map((t) => t.toFixed(3)).join(' ')}`);
}
