// bench/peers/postgres.mjs — PostgreSQL through psql, on the throwaway
// cluster run.sh starts (unix socket only; cfg.pg = {host, port, user}).
// Loads the CSVs with \copy into typed tables (load time reported), then times
// each task with JIT off and on (as two systems: "postgres" and
// "postgres_jit") and 1 or 2 processes per query
// (max_parallel_workers_per_gather = threads - 1).  Each run is one psql
// session; its time is psql's \timing of the query alone.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { config, taskSql, repeat, namedCounts, report, log } from '../lib/harness.mjs';

const cfg = config();
const sql = taskSql(cfg, 'postgres');

function psql(script) {
  const r = spawnSync('psql', ['-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1',
    '-h', cfg.pg.host, '-p', String(cfg.pg.port), '-U', cfg.pg.user, '-d', 'postgres'],
  { input: script, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}\n--- script:\n${script.slice(0, 2000)}`);
  return r.stdout;
}
// The query's time from psql's \timing ("Time: 12.345 ms"), and its output.
function timed(setup, query, after = '') {
  const out = psql(`${setup}\n\\timing on\n${query};\n\\timing off\n${after}\n`);
  const m = /^Time: ([0-9.]+) ms/m.exec(out);
  if (!m) throw new Error(`no timing in psql output: ${out.slice(0, 500)}`);
  const rows = out.split('\n').filter((l) => l && !l.startsWith('Time:'));
  return { seconds: Number(m[1]) / 1000, rows };
}

const t0 = process.hrtime.bigint();
psql(`
DROP TABLE IF EXISTS customers, customers_raw, events, events_raw;
CREATE UNLOGGED TABLE customers_raw (
  id bigint, email text, age int, birth_date text, gender text, country text, city text,
  signup_date date, last_purchase_at timestamp, last_login_at timestamp, total_spent numeric(12,2),
  spend_90d numeric(12,2), spend_prev_90d numeric(12,2), orders int, lead_score int, plan text,
  channels text, is_subscribed boolean, email_opens_30d int, referrals int, churn_risk numeric(4,3));
\\copy customers_raw FROM '${join(cfg.data, 'customers.csv')}' WITH (FORMAT csv, HEADER true)
CREATE UNLOGGED TABLE customers AS
SELECT id, email, age, birth_date, gender, country, city, signup_date::text AS signup_date,
       (signup_date - DATE '1970-01-01')::bigint AS signup_day,
       extract(epoch FROM last_purchase_at)::bigint AS last_purchase_s,
       extract(epoch FROM last_login_at)::bigint AS last_login_s,
       (total_spent * 100)::bigint AS total_spent_c,
       (spend_90d * 100)::bigint AS spend_90d_c,
       (spend_prev_90d * 100)::bigint AS spend_prev_90d_c,
       orders, lead_score, plan, '|' || COALESCE(channels, '') || '|' AS channels,
       is_subscribed, email_opens_30d, referrals, (churn_risk * 1000)::int AS churn_risk_m
FROM customers_raw;
DROP TABLE customers_raw;
ALTER TABLE customers ADD PRIMARY KEY (id);
CREATE UNLOGGED TABLE events_raw (seq bigserial, id bigint, name text, at timestamp, amount numeric(12,2));
\\copy events_raw (id, name, at, amount) FROM '${join(cfg.data, 'events.csv')}' WITH (FORMAT csv, HEADER true)
CREATE UNLOGGED TABLE events AS
SELECT seq, id, name, extract(epoch FROM at)::bigint AS at_s, (amount * 100)::bigint AS amount_c
FROM events_raw ORDER BY seq;
DROP TABLE events_raw;
CREATE INDEX events_by_customer ON events (id, name, at_s);
VACUUM ANALYZE customers;
VACUUM ANALYZE events;
`);
const load = Number(process.hrtime.bigint() - t0) / 1e9;
log(`postgres: loaded in ${load.toFixed(2)} s`);

const systems = { postgres: 'off', postgres_jit: 'on' };
for (const [system, jit] of Object.entries(systems)) {
  for (const threads of cfg.threads) {
    const setup = `SET jit = ${jit}; SET max_parallel_workers_per_gather = ${threads - 1};`;
    for (const task of cfg.tasks) {
      let counts = null;
      const times = await repeat(cfg, async () => {
        if (task === 'membership') {
          return timed(setup, `CREATE UNLOGGED TABLE membership AS ${sql.membership}`,
            'DROP TABLE membership;').seconds;
        }
        const r = timed(setup, sql[task]);
        const row = {};
        r.rows[0].split('|').forEach((v, i) => { row[`s${i}`] = v; });
        counts = namedCounts(cfg, task, row);
        return r.seconds;
      });
      if (task === 'membership') {
        const n = timed(setup, `CREATE UNLOGGED TABLE membership AS ${sql.membership}`,
          'SELECT count(*) FROM membership; DROP TABLE membership;').rows[0];
        counts = { rows: Number(n) };
      }
      report({ system, load: { seconds: load }, results: [{ task, threads, times, counts }] });
      log(`${system}: ${task} x${threads}: ${times.map((t) => t.toFixed(3)).join(' ')}`);
    }
  }
}
