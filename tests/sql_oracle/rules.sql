-- tests/sql_oracle/rules.sql — every segment of examples/retail/rules.seg as
-- a SQLite query: the oracle segc's `run` output is diffed against.
--
-- Run in the directory holding oracle.db (built by load.sql) and a `sql/`
-- directory; each query writes sql/<segment full name>.ids, one id a line,
-- ascending.  Each WHERE clause is the segc rule transcribed, wrapped in
-- `(...) IS TRUE`: SQL's three-valued logic is segc's.  The transcription:
--   * now = 2026-11-23 00:00:00 UTC = unix 1795392000; today = 2026-11-23,
--     day 20780 (a Monday); `now - 30d` = 1795392000 - 30 * 86400;
--   * a date compared with a timestamp is the date at 00:00:00 UTC
--     (signup_day * 86400);
--   * days_since / age_years: the ds_* and age_years_birth columns of
--     load.sql; days_since of a date is 20780 - day number;
--   * decimals are INTEGER cents (exact), churn_risk INTEGER thousandths;
--     decimal comparisons and products are rewritten over integers with the
--     same value (e.g. spend_90d < spend_prev_90d * 0.5 is
--     2 * spend_90d_c < spend_prev_90d_c);
--   * `/` is float division (CAST ... AS REAL), NULL on a zero divisor as in
--     SQLite; `%` on integers as in SQLite (the dividend's sign);
--   * a segment reference is `(its rule) IS TRUE`; a nested segment is
--     `(parent) IS TRUE AND (child rule) IS TRUE`;
--   * sets are '|a|b|' text: `has x` is instr(channels, '|x|') > 0;
--   * lower() in SQLite folds ASCII only, like segc's; length() on TEXT
--     counts code points, like segc's; starts_with(s, p) is
--     substr(s, 1, length(p)) = p (a character prefix of valid UTF-8 equals
--     the byte prefix);
--   * matches(s, re): SQLite has no REGEXP, so each pattern used is one whose
--     ERE search is exactly a GLOB (case-sensitive; no GLOB metacharacter in
--     the literal parts): "^(a|b)@" is s GLOB 'a@*' OR s GLOB 'b@*', and
--     "(19|20)[0-9][0-9]@" anywhere is s GLOB '*19[0-9][0-9]@*' OR
--     s GLOB '*20[0-9][0-9]@*';
--   * weekday(d) is ISO: strftime('%w') gives Sunday 0, mapped to 7 (this
--     SQLite predates '%u'); hour(ts) is strftime('%H') in UTC.
--   * stream aggregates are correlated subqueries over `events` (load.sql)
--     of the customer: `events where P` is `FROM events e WHERE e.id = c.id
--     AND (P)` (SQL WHERE keeps the rows where P is TRUE, like segc);
--     count(events) is count(*), count(events.f) is count(f) (non-null
--     values); exists is EXISTS; sum is COALESCE(SUM(...), 0) (0 over no
--     values); min/max are MIN/MAX (NULL over no values); first/last of
--     `at` are MIN/MAX(at_s), of another field the value of the first/last
--     row with a non-null value ORDER BY at_s, seq (seq = file order, how
--     ingest breaks ties);
--   * avg(amount) >= X compares the exact rational: SUM(cents) >=
--     X_cents * COUNT(cents) (NULL when there are no amounts, as avg is).
--     segc's avg is a double, but sum / count is at least 1/(100 count)
--     away from X unless equal, far more than its rounding error, and an
--     exact X is computed exactly, so the two agree;
--   * `e in events` binders are table aliases (e, p).
.bail on
.headers off
.mode list

-- gen_z: age < 25
.output sql/gen_z.ids
SELECT id FROM customers WHERE (age < 25) IS TRUE ORDER BY id;

-- women_25_44: gender == female and age between 25 and 44
.output sql/women_25_44.ids
SELECT id FROM customers WHERE (gender = 'female' AND age BETWEEN 25 AND 44) IS TRUE ORDER BY id;

-- seniors: age >= 65
.output sql/seniors.ids
SELECT id FROM customers WHERE (age >= 65) IS TRUE ORDER BY id;

-- known_45_plus: not (age < 45)
.output sql/known_45_plus.ids
SELECT id FROM customers WHERE (NOT (age < 45)) IS TRUE ORDER BY id;

-- profile_incomplete: age is null or gender == unknown or email is null
.output sql/profile_incomplete.ids
SELECT id FROM customers WHERE (age IS NULL OR gender = 'unknown' OR email IS NULL) IS TRUE ORDER BY id;

-- birthday_this_month: month(birth_date) == month(today)
.output sql/birthday_this_month.ids
SELECT id FROM customers
WHERE (CAST(substr(birth_date, 6, 2) AS INTEGER) = CAST(strftime('%m', '2026-11-23') AS INTEGER)) IS TRUE
ORDER BY id;

-- milestone_birthday_ahead: age_years(birth_date) % 10 == 9
.output sql/milestone_birthday_ahead.ids
SELECT id FROM customers WHERE (age_years_birth % 10 = 9) IS TRUE ORDER BY id;

-- dach: country in ["DE", "AT", "CH"]
.output sql/dach.ids
SELECT id FROM customers WHERE (country IN ('DE', 'AT', 'CH')) IS TRUE ORDER BY id;

-- us_flagship_cities: country == "US" and city in ["New York", "Los Angeles", "Chicago"]
.output sql/us_flagship_cities.ids
SELECT id FROM customers
WHERE (country = 'US' AND city IN ('New York', 'Los Angeles', 'Chicago')) IS TRUE ORDER BY id;

-- saint_cities: starts_with(city, "San ") or starts_with(city, "São ") or starts_with(city, "Saint")
.output sql/saint_cities.ids
SELECT id FROM customers
WHERE (substr(city, 1, 4) = 'San ' OR substr(city, 1, 4) = 'São ' OR substr(city, 1, 5) = 'Saint') IS TRUE
ORDER BY id;

-- outside_core_markets: country not in ["US", "GB", "DE", "FR"]
.output sql/outside_core_markets.ids
SELECT id FROM customers WHERE (country NOT IN ('US', 'GB', 'DE', 'FR')) IS TRUE ORDER BY id;

-- munich: lower(city) in ["münchen", "munich"]
.output sql/munich.ids
SELECT id FROM customers WHERE (lower(city) IN ('münchen', 'munich')) IS TRUE ORDER BY id;

-- sms_long_city: channels has sms and length(city) > 10
.output sql/sms_long_city.ids
SELECT id FROM customers WHERE (instr(channels, '|sms|') > 0 AND length(city) > 10) IS TRUE ORDER BY id;

-- never_purchased: last_purchase_at is null
.output sql/never_purchased.ids
SELECT id FROM customers WHERE (last_purchase_s IS NULL) IS TRUE ORDER BY id;

-- recent_buyers: last_purchase_at >= now - 30d
.output sql/recent_buyers.ids
SELECT id FROM customers WHERE (last_purchase_s >= 1795392000 - 30 * 86400) IS TRUE ORDER BY id;

-- lapsed: days_since(last_purchase_at) > lapse_days (120)
.output sql/lapsed.ids
SELECT id FROM customers WHERE (ds_last_purchase > 120) IS TRUE ORDER BY id;

-- frequent_buyers: orders >= 10
.output sql/frequent_buyers.ids
SELECT id FROM customers WHERE (orders >= 10) IS TRUE ORDER BY id;

-- one_and_done: orders == 1 and days_since(last_purchase_at) > 60
.output sql/one_and_done.ids
SELECT id FROM customers WHERE (orders = 1 AND ds_last_purchase > 60) IS TRUE ORDER BY id;

-- new_signups: signup_date >= now - 90d
.output sql/new_signups.ids
SELECT id FROM customers WHERE (signup_day * 86400 >= 1795392000 - 90 * 86400) IS TRUE ORDER BY id;

-- weekend_shoppers: weekday(date(last_purchase_at)) in [6, 7] and last_purchase_at >= now - 90d
.output sql/weekend_shoppers.ids
SELECT id FROM customers
WHERE ((CASE CAST(strftime('%w', last_purchase_s, 'unixepoch') AS INTEGER) WHEN 0 THEN 7
        ELSE CAST(strftime('%w', last_purchase_s, 'unixepoch') AS INTEGER) END) IN (6, 7)
       AND last_purchase_s >= 1795392000 - 90 * 86400) IS TRUE
ORDER BY id;

-- night_owls: hour(last_login_at) < 6 and last_login_at >= now - 14d
.output sql/night_owls.ids
SELECT id FROM customers
WHERE (CAST(strftime('%H', last_login_s, 'unixepoch') AS INTEGER) < 6
       AND last_login_s >= 1795392000 - 14 * 86400) IS TRUE
ORDER BY id;

-- signup_anniversary_week: month(signup_date) == month(today)
--   and day(signup_date) between day(today) and day(today) + 6 and year(signup_date) < year(today)
.output sql/signup_anniversary_week.ids
SELECT id FROM customers
WHERE (CAST(substr(signup_date, 6, 2) AS INTEGER) = 11
       AND CAST(substr(signup_date, 9, 2) AS INTEGER) BETWEEN 23 AND 23 + 6
       AND CAST(substr(signup_date, 1, 4) AS INTEGER) < 2026) IS TRUE
ORDER BY id;

-- active_today: days_since(last_login_at) == 0
.output sql/active_today.ids
SELECT id FROM customers WHERE (ds_last_login = 0) IS TRUE ORDER BY id;

-- dormant_app_users: last_login_at is null or last_login_at < now - 60d
.output sql/dormant_app_users.ids
SELECT id FROM customers
WHERE (last_login_s IS NULL OR last_login_s < 1795392000 - 60 * 86400) IS TRUE ORDER BY id;

-- veterans: days_since(signup_date) >= 4 * 365 and orders >= 3
.output sql/veterans.ids
SELECT id FROM customers WHERE (20780 - signup_day >= 4 * 365 AND orders >= 3) IS TRUE ORDER BY id;

-- high_value: total_spent >= 1000 and orders >= 5
.output sql/high_value.ids
SELECT id FROM customers WHERE (total_spent_c >= 100000 AND orders >= 5) IS TRUE ORDER BY id;

-- vip: total_spent >= big_spender (2000.00)
.output sql/vip.ids
SELECT id FROM customers WHERE (total_spent_c >= 200000) IS TRUE ORDER BY id;

-- vip.new_york: vip and city == "New York"
.output sql/vip.new_york.ids
SELECT id FROM customers
WHERE (total_spent_c >= 200000) IS TRUE AND (city = 'New York') IS TRUE ORDER BY id;

-- vip.sms_only: vip and channels has sms and not (channels has email)
.output sql/vip.sms_only.ids
SELECT id FROM customers
WHERE (total_spent_c >= 200000) IS TRUE
  AND (instr(channels, '|sms|') > 0 AND NOT (instr(channels, '|email|') > 0)) IS TRUE
ORDER BY id;

-- vip.cooling: vip and spend_90d < spend_prev_90d * 0.5
.output sql/vip.cooling.ids
SELECT id FROM customers
WHERE (total_spent_c >= 200000) IS TRUE AND (2 * spend_90d_c < spend_prev_90d_c) IS TRUE ORDER BY id;

-- declining_spenders: spend_prev_90d > 0 and spend_90d < spend_prev_90d * 0.5
.output sql/declining_spenders.ids
SELECT id FROM customers WHERE (spend_prev_90d_c > 0 AND 2 * spend_90d_c < spend_prev_90d_c) IS TRUE ORDER BY id;

-- growing_spenders: spend_90d / spend_prev_90d >= 2
-- Float division, NULL when spend_prev_90d is 0.  Exact at the boundary
-- whether segc divides the scaled integers or their double values: a ratio
-- of exactly 2 stays exactly 2 (doubling is exact in binary floating point),
-- and any other ratio of cents below 1e10 is more than 1e-10 away from 2.
.output sql/growing_spenders.ids
SELECT id FROM customers
WHERE (CAST(spend_90d_c AS REAL) / spend_prev_90d_c >= 2) IS TRUE ORDER BY id;

-- big_basket: total_spent / orders >= 150
-- Float division, NULL when orders is 0.  An average of exactly 150 comes out
-- as exactly 150.0 (cents / 100.0 is exact for a whole amount), other values
-- are at least 1e-12 relative away.
.output sql/big_basket.ids
SELECT id FROM customers WHERE ((total_spent_c / 100.0) / orders >= 150) IS TRUE ORDER BY id;

-- steady_spenders: spend_90d > 0 and abs(spend_90d - spend_prev_90d) <= 25.00
.output sql/steady_spenders.ids
SELECT id FROM customers
WHERE (spend_90d_c > 0 AND abs(spend_90d_c - spend_prev_90d_c) <= 2500) IS TRUE ORDER BY id;

-- quarter_peak: max(spend_90d, spend_prev_90d) >= 500.00
.output sql/quarter_peak.ids
SELECT id FROM customers WHERE (max(spend_90d_c, spend_prev_90d_c) >= 50000) IS TRUE ORDER BY id;

-- lapsed_vips: vip and days_since(last_purchase_at) > 90
.output sql/lapsed_vips.ids
SELECT id FROM customers
WHERE ((total_spent_c >= 200000) IS TRUE AND ds_last_purchase > 90) IS TRUE ORDER BY id;

-- active_high_value: high_value and not lapsed
.output sql/active_high_value.ids
SELECT id FROM customers
WHERE ((total_spent_c >= 100000 AND orders >= 5) IS TRUE AND NOT ((ds_last_purchase > 120) IS TRUE)) IS TRUE
ORDER BY id;

-- sms_reachable: channels has sms and is_subscribed
.output sql/sms_reachable.ids
SELECT id FROM customers WHERE (instr(channels, '|sms|') > 0 AND is_subscribed) IS TRUE ORDER BY id;

-- omnichannel: channels has all(email, sms, push)
.output sql/omnichannel.ids
SELECT id FROM customers
WHERE (instr(channels, '|email|') > 0 AND instr(channels, '|sms|') > 0 AND instr(channels, '|push|') > 0) IS TRUE
ORDER BY id;

-- text_reachable: channels has any(sms, whatsapp)
.output sql/text_reachable.ids
SELECT id FROM customers
WHERE (instr(channels, '|sms|') > 0 OR instr(channels, '|whatsapp|') > 0) IS TRUE
ORDER BY id;

-- unreachable: channels is empty or not is_subscribed
.output sql/unreachable.ids
SELECT id FROM customers WHERE (channels = '||' OR NOT is_subscribed) IS TRUE ORDER BY id;

-- email_engaged: channels has email and email_opens_30d * 7 / 30 >= 2
-- (7 * opens) / 30.0 equals 2 for no integer, so float rounding cannot matter.
.output sql/email_engaged.ids
SELECT id FROM customers
WHERE (instr(channels, '|email|') > 0 AND CAST(email_opens_30d * 7 AS REAL) / 30 >= 2) IS TRUE ORDER BY id;

-- gmail_users: ends_with(lower(email), "@gmail.com") or ends_with(lower(email), "@googlemail.com")
.output sql/gmail_users.ids
SELECT id FROM customers
WHERE (lower(email) GLOB '*@gmail.com' OR lower(email) GLOB '*@googlemail.com') IS TRUE ORDER BY id;

-- role_accounts: matches(email, "^(info|sales|admin|office|contact)@")
.output sql/role_accounts.ids
SELECT id FROM customers
WHERE (email GLOB 'info@*' OR email GLOB 'sales@*' OR email GLOB 'admin@*' OR email GLOB 'office@*'
       OR email GLOB 'contact@*') IS TRUE
ORDER BY id;

-- email_with_birth_year: matches(email, "(19|20)[0-9][0-9]@")
.output sql/email_with_birth_year.ids
SELECT id FROM customers
WHERE (email GLOB '*19[0-9][0-9]@*' OR email GLOB '*20[0-9][0-9]@*') IS TRUE ORDER BY id;

-- b2b_candidates: plan in [pro, enterprise] and not (contains(lower(email), "@gmail.") or ... "@icloud.")
.output sql/b2b_candidates.ids
SELECT id FROM customers
WHERE (plan IN ('pro', 'enterprise')
       AND NOT (instr(lower(email), '@gmail.') > 0 OR instr(lower(email), '@googlemail.') > 0
                OR instr(lower(email), '@yahoo.') > 0 OR instr(lower(email), '@hotmail.') > 0
                OR instr(lower(email), '@outlook.') > 0 OR instr(lower(email), '@icloud.') > 0)) IS TRUE
ORDER BY id;

-- warm_leads: lead_score between 40 and 69 and plan in [free, trial]
.output sql/warm_leads.ids
SELECT id FROM customers WHERE (lead_score BETWEEN 40 AND 69 AND plan IN ('free', 'trial')) IS TRUE ORDER BY id;

-- hot_leads: lead_score >= hot_lead_score (80) and plan != enterprise and not unreachable
.output sql/hot_leads.ids
SELECT id FROM customers
WHERE (lead_score >= 80 AND plan != 'enterprise'
       AND NOT ((channels = '||' OR NOT is_subscribed) IS TRUE)) IS TRUE
ORDER BY id;

-- trial_gone_quiet: plan == trial and (last_login_at is null or days_since(last_login_at) >= 14)
.output sql/trial_gone_quiet.ids
SELECT id FROM customers
WHERE (plan = 'trial' AND (last_login_s IS NULL OR ds_last_login >= 14)) IS TRUE ORDER BY id;

-- churn_watch: churn_risk >= churn_alert (0.7)
.output sql/churn_watch.ids
SELECT id FROM customers WHERE (churn_risk_m >= 700) IS TRUE ORDER BY id;

-- likely_churners: churn_risk ?? 0.5 > 0.6 and days_since(last_purchase_at) > 45
.output sql/likely_churners.ids
SELECT id FROM customers WHERE (COALESCE(churn_risk_m, 500) > 600 AND ds_last_purchase > 45) IS TRUE ORDER BY id;

-- loyal_low_risk: churn_risk < 0.2 and orders >= 5
.output sql/loyal_low_risk.ids
SELECT id FROM customers WHERE (churn_risk_m < 200 AND orders >= 5) IS TRUE ORDER BY id;

-- unscored_big_spenders: churn_risk is null and total_spent >= 500
.output sql/unscored_big_spenders.ids
SELECT id FROM customers WHERE (churn_risk_m IS NULL AND total_spent_c >= 50000) IS TRUE ORDER BY id;

-- holdout: id % 20 == 0
.output sql/holdout.ids
SELECT id FROM customers WHERE (id % 20 = 0) IS TRUE ORDER BY id;

-- advocates: referrals >= 3 and not (churn_risk >= 0.5)
.output sql/advocates.ids
SELECT id FROM customers WHERE (referrals >= 3 AND NOT (churn_risk_m >= 500)) IS TRUE ORDER BY id;

-- ---- behaviour in the event log ------------------------------------------

-- friend_magnets: count(events where name == friend_added) >= 5
.output sql/friend_magnets.ids
SELECT id FROM customers c
WHERE ((SELECT count(*) FROM events e WHERE e.id = c.id AND e.name = 'friend_added') >= 5) IS TRUE
ORDER BY id;

-- bought_last_week: exists(events where name == purchase and at >= now - 7d)
.output sql/bought_last_week.ids
SELECT id FROM customers c
WHERE (EXISTS (SELECT 1 FROM events e WHERE e.id = c.id AND e.name = 'purchase'
                                        AND e.at_s >= 1795392000 - 7 * 86400)) IS TRUE
ORDER BY id;

-- email_silent_60d: not exists(events where name == email_open and at >= now - 60d)
.output sql/email_silent_60d.ids
SELECT id FROM customers c
WHERE (NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.id AND e.name = 'email_open'
                                            AND e.at_s >= 1795392000 - 60 * 86400)) IS TRUE
ORDER BY id;

-- big_spenders_90d: sum(events.amount where name == purchase and at >= now - 90d) > 500
.output sql/big_spenders_90d.ids
SELECT id FROM customers c
WHERE ((SELECT COALESCE(SUM(e.amount_c), 0) FROM events e
        WHERE e.id = c.id AND e.name = 'purchase' AND e.at_s >= 1795392000 - 90 * 86400) > 50000) IS TRUE
ORDER BY id;

-- abandoned_cart: exists(e in events where e.name == cart_add and e.at >= now - 3d
--                   and not exists(p in events where p.name == purchase and p.at > e.at))
.output sql/abandoned_cart.ids
SELECT id FROM customers c
WHERE (EXISTS (SELECT 1 FROM events e
               WHERE e.id = c.id AND e.name = 'cart_add' AND e.at_s >= 1795392000 - 3 * 86400
                 AND NOT EXISTS (SELECT 1 FROM events p
                                 WHERE p.id = c.id AND p.name = 'purchase' AND p.at_s > e.at_s))) IS TRUE
ORDER BY id;

-- cart_reminder_email: abandoned_cart and channels has email and is_subscribed
.output sql/cart_reminder_email.ids
SELECT id FROM customers c
WHERE ((EXISTS (SELECT 1 FROM events e
                WHERE e.id = c.id AND e.name = 'cart_add' AND e.at_s >= 1795392000 - 3 * 86400
                  AND NOT EXISTS (SELECT 1 FROM events p
                                  WHERE p.id = c.id AND p.name = 'purchase' AND p.at_s > e.at_s))) IS TRUE
       AND instr(channels, '|email|') > 0 AND is_subscribed) IS TRUE
ORDER BY id;

-- quick_converters: signup_date >= now - 365d
--                   and first(events.at where name == purchase) < signup_date + 30d
.output sql/quick_converters.ids
SELECT id FROM customers c
WHERE (signup_day * 86400 >= 1795392000 - 365 * 86400
       AND (SELECT MIN(e.at_s) FROM events e WHERE e.id = c.id AND e.name = 'purchase')
           < signup_day * 86400 + 30 * 86400) IS TRUE
ORDER BY id;

-- big_baskets: avg(events.amount where name == purchase) >= 150
.output sql/big_baskets.ids
SELECT id FROM customers c
WHERE ((SELECT SUM(e.amount_c) >= 15000 * COUNT(e.amount_c) FROM events e
        WHERE e.id = c.id AND e.name = 'purchase')) IS TRUE
ORDER BY id;

-- big_ticket_buyers: max(events.amount where name == purchase) >= 300
.output sql/big_ticket_buyers.ids
SELECT id FROM customers c
WHERE ((SELECT MAX(e.amount_c) FROM events e WHERE e.id = c.id AND e.name = 'purchase') >= 30000) IS TRUE
ORDER BY id;

-- small_basket_buyers: min(events.amount where name == purchase and at >= now - 365d) < 20
.output sql/small_basket_buyers.ids
SELECT id FROM customers c
WHERE ((SELECT MIN(e.amount_c) FROM events e
        WHERE e.id = c.id AND e.name = 'purchase' AND e.at_s >= 1795392000 - 365 * 86400) < 2000) IS TRUE
ORDER BY id;

-- lapsed_email_openers: last(events.at where name == email_open) < now - 90d
.output sql/lapsed_email_openers.ids
SELECT id FROM customers c
WHERE ((SELECT MAX(e.at_s) FROM events e WHERE e.id = c.id AND e.name = 'email_open')
       < 1795392000 - 90 * 86400) IS TRUE
ORDER BY id;

-- last_order_big: last(events.amount where name == purchase) >= 100
.output sql/last_order_big.ids
SELECT id FROM customers c
WHERE ((SELECT e.amount_c FROM events e
        WHERE e.id = c.id AND e.name = 'purchase' AND e.amount_c IS NOT NULL
        ORDER BY e.at_s DESC, e.seq DESC LIMIT 1) >= 10000) IS TRUE
ORDER BY id;

-- vip_gone_quiet: vip and not exists(events where at >= now - 30d)
.output sql/vip_gone_quiet.ids
SELECT id FROM customers c
WHERE ((total_spent_c >= 200000) IS TRUE
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.id AND e.at_s >= 1795392000 - 30 * 86400)) IS TRUE
ORDER BY id;

-- window_shoppers: count(events where name == page_view and at >= now - 30d) >= 3
--                  and not exists(events where name == purchase)
.output sql/window_shoppers.ids
SELECT id FROM customers c
WHERE ((SELECT count(*) FROM events e
        WHERE e.id = c.id AND e.name = 'page_view' AND e.at_s >= 1795392000 - 30 * 86400) >= 3
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.id AND e.name = 'purchase')) IS TRUE
ORDER BY id;

-- purchase_amount_missing: count(events where name == purchase) > count(events.amount where name == purchase)
.output sql/purchase_amount_missing.ids
SELECT id FROM customers c
WHERE ((SELECT count(*) > count(e.amount_c) FROM events e WHERE e.id = c.id AND e.name = 'purchase')) IS TRUE
ORDER BY id;

-- voucher_hunters: sum(events.amount where name == redeem) > 0.1 * sum(events.amount where name == purchase)
-- (in cents, times 10: 10 * redeemed > purchased, both 0 over no values)
.output sql/voucher_hunters.ids
SELECT id FROM customers c
WHERE (10 * (SELECT COALESCE(SUM(e.amount_c), 0) FROM events e WHERE e.id = c.id AND e.name = 'redeem')
       > (SELECT COALESCE(SUM(e.amount_c), 0) FROM events e WHERE e.id = c.id AND e.name = 'purchase')) IS TRUE
ORDER BY id;

-- power_users: count(events) >= 30
.output sql/power_users.ids
SELECT id FROM customers c
WHERE ((SELECT count(*) FROM events e WHERE e.id = c.id) >= 30) IS TRUE
ORDER BY id;

-- no_events: count(events) == 0
.output sql/no_events.ids
SELECT id FROM customers c
WHERE ((SELECT count(*) FROM events e WHERE e.id = c.id) = 0) IS TRUE
ORDER BY id;

-- loyal_returners: count(events where name == purchase and at >= signup_date + 365d) >= 3
.output sql/loyal_returners.ids
SELECT id FROM customers c
WHERE ((SELECT count(*) FROM events e
        WHERE e.id = c.id AND e.name = 'purchase' AND e.at_s >= c.signup_day * 86400 + 365 * 86400) >= 3) IS TRUE
ORDER BY id;

-- left_in_cart: last(events.name) == cart_add
.output sql/left_in_cart.ids
SELECT id FROM customers c
WHERE ((SELECT e.name FROM events e WHERE e.id = c.id ORDER BY e.at_s DESC, e.seq DESC LIMIT 1) = 'cart_add') IS TRUE
ORDER BY id;

.output stdout
