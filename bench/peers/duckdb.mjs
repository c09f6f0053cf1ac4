// bench/peers/duckdb.mjs — DuckDB (@duckdb/node-api), in memory, in this
// process.  Loads customers.csv and events.csv with read_csv into the typed
// tables the SQL expects (load time reported), then times each task at each
// thread count (SET threads).
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { config, taskSql, repeat, namedCounts, report, log } from '../lib/harness.mjs';

const cfg = config();
const sql = taskSql(cfg, 'duckdb');
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const run = (q) => con.runAndReadAll(q);

const customersCsv = join(cfg.data, 'customers.csv');
const eventsCsv = join(cfg.data, 'events.csv');

await run(`SET threads = ${Math.max(...cfg.threads)}`);
const t0 = process.hrtime.bigint();
await run(`
CREATE TABLE customers AS
SELECT id, email, age, birth_date, gender, country, city, signup_date,
       CAST(CAST(signup_date AS DATE) - DATE '1970-01-01' AS BIGINT) AS signup_day,
       CAST(epoch(last_purchase_at) AS BIGINT) AS last_purchase_s,
       CAST(epoch(last_login_at) AS BIGINT) AS last_login_s,
       CAST(total_spent * 100 AS BIGINT) AS total_spent_c,
       CAST(spend_90d * 100 AS BIGINT) AS spend_90d_c,
       CAST(spend_prev_90d * 100 AS BIGINT) AS spend_prev_90d_c,
       orders, lead_score, plan,
       '|' || COALESCE(channels, '') || '|' AS channels,
       is_subscribed, email_opens_30d, referrals,
       CAST(churn_risk * 1000 AS INTEGER) AS churn_risk_m
FROM read_csv('${customersCsv}', header = true, auto_detect = false, columns = {
  'id': 'BIGINT', 'email': 'VARCHAR', 'age': 'INTEGER', 'birth_date': 'VARCHAR',
  'gender': 'VARCHAR', 'country': 'VARCHAR', 'city': 'VARCHAR', 'signup_date': 'VARCHAR',
  'last_purchase_at': 'TIMESTAMP', 'last_login_at': 'TIMESTAMP', 'total_spent': 'DECIMAL(12,2)',
  'spend_90d': 'DECIMAL(12,2)', 'spend_prev_90d': 'DECIMAL(12,2)', 'orders': 'INTEGER',
  'lead_score': 'INTEGER', 'plan': 'VARCHAR', 'channels': 'VARCHAR', 'is_subscribed': 'BOOLEAN',
  'email_opens_30d': 'INTEGER', 'referrals': 'INTEGER', 'churn_risk': 'DECIMAL(4,3)'})`);
const tCustomers = Number(process.hrtime.bigint() - t0) / 1e9;
await run(`
CREATE TABLE events_raw AS
FROM read_csv('${eventsCsv}', header = true, auto_detect = false, columns = {
  'id': 'BIGINT', 'name': 'VARCHAR', 'at': 'TIMESTAMP', 'amount': 'DECIMAL(12,2)'})`);
// seq: the row's place in the file (insertion order), how ingest breaks ties.
await run(`
CREATE TABLE events AS
SELECT rowid + 1 AS seq, id, name, CAST(epoch("at") AS BIGINT) AS at_s,
       CAST(amount * 100 AS BIGINT) AS amount_c
FROM events_raw ORDER BY rowid`);
await run('DROP TABLE events_raw');
const load = Number(process.hrtime.bigint() - t0) / 1e9;
log(`duckdb: loaded in ${load.toFixed(2)} s (customers ${tCustomers.toFixed(2)} s)`);

for (const threads of cfg.threads) {
  await run(`SET threads = ${threads}`);
  for (const task of cfg.tasks) {
    let counts = null;
    const times = await repeat(cfg, async () => {
      if (task === 'membership') {
        await run(`CREATE OR REPLACE TEMP TABLE membership AS ${sql.membership}`);
      } else {
        const r = await run(sql[task]);
        counts = namedCounts(cfg, task, r.getRowObjects()[0]);
      }
    });
    if (task === 'membership') {
      const r = await run('SELECT count(*) AS n FROM membership');
      counts = { rows: Number(r.getRowObjects()[0].n) };
      await run('DROP TABLE membership');
    }
    report({ system: 'duckdb', load: { seconds: load, customers_seconds: tCustomers }, results: [{ task, threads, times, counts }] });
    log(`duckdb: ${task} x${threads}: ${times.map((t) => t.toFixed(3)).join(' ')}`);
  }
}
