-- tests/sql_oracle/load.sql — loads the retail example's customers.csv and
-- events.csv into SQLite as the oracle's typed `customers` and `events`
-- tables.
--
-- Run with the working directory holding both CSVs (run.sh does this):
--   sqlite3 oracle.db < load.sql
-- The CSV is imported verbatim into customers_raw (every column TEXT), checked
-- against the format examples/retail/gen.c promises, then converted once:
--   * an empty text is NULL for the nullable fields (email, age, birth_date,
--     last_purchase_at, last_login_at, churn_risk);
--   * decimal(12,2) fields become INTEGER cents by deleting the '.' from the
--     text: the check below guarantees exactly two decimals, so "1234.50"
--     -> 123450 with no floating point anywhere;
--   * churn_risk (float64?) becomes INTEGER thousandths the same way ("0.700"
--     -> 700).  segc holds the double nearest to 0.700; comparing it with the
--     double nearest to a literal such as 0.7 orders exactly like comparing
--     the decimals, because distinct 3-decimal values in [0,1) are far more
--     than an ulp apart and ties parse to the same double.  Comparing
--     integers here avoids depending on SQLite's own text-to-REAL rounding;
--   * dates stay 'YYYY-MM-DD' text and also become day numbers (days since
--     1970-01-01); timestamps become unix seconds (the generator writes whole
--     seconds, UTC);
--   * sets become '|m1|m2|' so `channels has sms` is instr(channels, '|sms|');
--   * bools become 0/1.
-- Three columns implement segc built-ins once, for the as-of time
-- now = 2026-11-23 00:00:00 UTC = unix 1795392000, today = day 20780:
--   days_since(ts) = floor((now - ts) / 86400): the numerator is shifted by
--     100000 days so that SQLite's truncating integer division floors it
--     (a login a few hours in the future is day -1, not 0);
--   age_years(birth_date) = whole years to today (2026-11-23), one less when
--     the birthday (MM-DD) is still ahead this year.
--
-- events.csv (the `events` stream) becomes the `events` table:
--   * seq is the row number in the file (SQLite assigns rowids in import
--     order): ingest orders a customer's events by `at`, ties in file order,
--     so first/last are ORDER BY at_s, seq;
--   * at_s: unix seconds (the generator writes whole seconds, UTC), so
--     `at >= now - 7d` is at_s >= 1795392000 - 7 * 86400, exactly;
--   * amount_c: INTEGER cents (NULL for an empty amount), as for the
--     customers' decimals;
--   * events whose id is no customer's (retail_gen --orphans) stay in the
--     table; every query joins on the customer, so they are never counted.
.bail on

DROP TABLE IF EXISTS customers_raw;
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS load_checks;

CREATE TABLE customers_raw (
  id TEXT, email TEXT, age TEXT, birth_date TEXT, gender TEXT, country TEXT, city TEXT,
  signup_date TEXT, last_purchase_at TEXT, last_login_at TEXT, total_spent TEXT,
  spend_90d TEXT, spend_prev_90d TEXT, orders TEXT, lead_score TEXT, plan TEXT,
  channels TEXT, is_subscribed TEXT, email_opens_30d TEXT, referrals TEXT, churn_risk TEXT
);

.import --csv --skip 1 customers.csv customers_raw

-- Every row must be in the promised format; a failed check aborts the load.
CREATE TABLE load_checks (what TEXT, ok INTEGER CHECK (ok));
INSERT INTO load_checks SELECT 'rows', count(*) > 0 FROM customers_raw;
INSERT INTO load_checks SELECT 'decimals have exactly two decimals', count(*) = 0 FROM customers_raw
  WHERE NOT (total_spent GLOB '[0-9]*.[0-9][0-9]' AND total_spent NOT GLOB '*.*.*'
         AND spend_90d GLOB '[0-9]*.[0-9][0-9]' AND spend_90d NOT GLOB '*.*.*'
         AND spend_prev_90d GLOB '[0-9]*.[0-9][0-9]' AND spend_prev_90d NOT GLOB '*.*.*');
INSERT INTO load_checks SELECT 'churn_risk is empty or 0.ddd', count(*) = 0 FROM customers_raw
  WHERE NOT (churn_risk = '' OR churn_risk GLOB '0.[0-9][0-9][0-9]');
INSERT INTO load_checks SELECT 'dates and timestamps', count(*) = 0 FROM customers_raw
  WHERE NOT (signup_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
         AND (birth_date = '' OR birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
         AND (last_purchase_at = '' OR length(last_purchase_at) = 19)
         AND (last_login_at = '' OR length(last_login_at) = 19));
INSERT INTO load_checks SELECT 'bools', count(*) = 0 FROM customers_raw
  WHERE is_subscribed NOT IN ('true', 'false');
INSERT INTO load_checks SELECT 'ids unique', count(DISTINCT id) = count(*) FROM customers_raw;

CREATE TABLE customers AS
SELECT
  CAST(id AS INTEGER)                                        AS id,
  NULLIF(email, '')                                          AS email,
  CAST(NULLIF(age, '') AS INTEGER)                           AS age,
  NULLIF(birth_date, '')                                     AS birth_date,
  gender,
  country,
  city,
  signup_date,
  CAST(strftime('%s', signup_date) AS INTEGER) / 86400       AS signup_day,
  CAST(strftime('%s', NULLIF(last_purchase_at, '')) AS INTEGER) AS last_purchase_s,
  CAST(strftime('%s', NULLIF(last_login_at, '')) AS INTEGER)    AS last_login_s,
  CAST(replace(total_spent, '.', '') AS INTEGER)             AS total_spent_c,
  CAST(replace(spend_90d, '.', '') AS INTEGER)               AS spend_90d_c,
  CAST(replace(spend_prev_90d, '.', '') AS INTEGER)          AS spend_prev_90d_c,
  CAST(orders AS INTEGER)                                    AS orders,
  CAST(lead_score AS INTEGER)                                AS lead_score,
  plan,
  '|' || channels || '|'                                     AS channels,
  (is_subscribed = 'true')                                   AS is_subscribed,
  CAST(email_opens_30d AS INTEGER)                           AS email_opens_30d,
  CAST(referrals AS INTEGER)                                 AS referrals,
  CAST(replace(NULLIF(churn_risk, ''), '.', '') AS INTEGER)  AS churn_risk_m
FROM customers_raw;

ALTER TABLE customers ADD COLUMN ds_last_purchase INTEGER;  -- days_since(last_purchase_at)
ALTER TABLE customers ADD COLUMN ds_last_login INTEGER;     -- days_since(last_login_at)
ALTER TABLE customers ADD COLUMN age_years_birth INTEGER;   -- age_years(birth_date)
UPDATE customers SET
  ds_last_purchase = (1795392000 + 100000 * 86400 - last_purchase_s) / 86400 - 100000,
  ds_last_login    = (1795392000 + 100000 * 86400 - last_login_s) / 86400 - 100000,
  age_years_birth  = 2026 - CAST(substr(birth_date, 1, 4) AS INTEGER)
                     - (substr(birth_date, 6, 5) > '11-23');

CREATE UNIQUE INDEX customers_id ON customers (id);
DROP TABLE customers_raw;

-- ---- the events stream ----------------------------------------------------

DROP TABLE IF EXISTS events_raw;
DROP TABLE IF EXISTS events;

CREATE TABLE events_raw (id TEXT, name TEXT, at TEXT, amount TEXT);

.import --csv --skip 1 events.csv events_raw

INSERT INTO load_checks SELECT 'event ids are integers', count(*) = 0 FROM events_raw
  WHERE NOT (id GLOB '[0-9]*' AND id NOT GLOB '*[^0-9]*');
INSERT INTO load_checks SELECT 'event names are members of the enum', count(*) = 0 FROM events_raw
  WHERE name NOT IN ('purchase', 'friend_added', 'page_view', 'email_open', 'cart_add', 'redeem');
INSERT INTO load_checks SELECT 'event times are YYYY-MM-DD HH:MM:SS', count(*) = 0 FROM events_raw
  WHERE NOT (at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]'
             AND strftime('%Y-%m-%d %H:%M:%S', at) = at);
INSERT INTO load_checks SELECT 'event amounts are empty or have exactly two decimals', count(*) = 0 FROM events_raw
  WHERE NOT (amount = '' OR (amount GLOB '[0-9]*.[0-9][0-9]' AND amount NOT GLOB '*[^0-9.]*'
                             AND amount NOT GLOB '*.*.*'));
INSERT INTO load_checks SELECT 'only purchases and redeems have amounts', count(*) = 0 FROM events_raw
  WHERE amount != '' AND name NOT IN ('purchase', 'redeem');

CREATE TABLE events AS
SELECT
  rowid                                                AS seq,
  CAST(id AS INTEGER)                                  AS id,
  name,
  CAST(strftime('%s', at) AS INTEGER)                  AS at_s,
  CAST(replace(NULLIF(amount, ''), '.', '') AS INTEGER) AS amount_c
FROM events_raw
ORDER BY rowid;

CREATE INDEX events_by_customer ON events (id, name, at_s);
DROP TABLE events_raw;
