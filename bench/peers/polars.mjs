// bench/peers/polars.mjs — Polars (nodejs-polars), in memory, in this
// process, at the thread count POLARS_MAX_THREADS gives it (the bench starts
// one process per thread count: Polars reads it once, at start).
//
// The attribute segments run as the generated SQL through Polars' SQLContext.
// Polars SQL has no correlated subqueries, so the event segments are written
// as Polars expressions below: one group-by over the events computes each
// customer's aggregates, a left join brings them to the customers, and each
// segment is a boolean over the joined columns (same semantics as the rules).
import pl from 'nodejs-polars';
import { join } from 'node:path';
import { config, taskSql, repeat, namedCounts, report, log } from '../lib/harness.mjs';

const cfg = config();
const threads = Number(process.env.POLARS_MAX_THREADS);
if (!threads) throw new Error('polars.mjs: set POLARS_MAX_THREADS');
const sql = taskSql(cfg, 'polars');
const NOW = 1795392000;
const DAY = 86400;

// ---- load -----------------------------------------------------------------
const t0 = process.hrtime.bigint();
const S = pl.Utf8;
const raw = pl.readCSV(join(cfg.data, 'customers.csv'), {
  dtypes: {
    id: pl.Int64, email: S, age: pl.Int32, birth_date: S, gender: S, country: S, city: S,
    signup_date: S, last_purchase_at: S, last_login_at: S, total_spent: S, spend_90d: S,
    spend_prev_90d: S, orders: pl.Int32, lead_score: pl.Int32, plan: S, channels: S,
    is_subscribed: pl.Bool, email_opens_30d: pl.Int32, referrals: pl.Int32, churn_risk: S,
  },
});
const cents = (c) => pl.col(c).str.replaceAll('.', '', true).cast(pl.Int64);
const parseTs = (e) => e.str.strptime(pl.Datetime('ms'), '%Y-%m-%d %H:%M:%S').cast(pl.Int64);
// The datetime's unit (this binding parses to µs whatever the argument says).
const perSecond = Number(pl.DataFrame({ t: ['1970-01-02 00:00:00'] }).select(parseTs(pl.col('t'))).row(0)[0]) / 86400;
const unixSeconds = (c) => parseTs(pl.col(c)).div(perSecond).cast(pl.Int64);
const customers = raw.select(
  pl.col('id'), pl.col('email'), pl.col('age'), pl.col('birth_date'), pl.col('gender'),
  pl.col('country'), pl.col('city'), pl.col('signup_date'),
  pl.col('signup_date').str.strptime(pl.Date, '%Y-%m-%d').cast(pl.Int32).cast(pl.Int64).alias('signup_day'),
  unixSeconds('last_purchase_at').alias('last_purchase_s'),
  unixSeconds('last_login_at').alias('last_login_s'),
  cents('total_spent').alias('total_spent_c'),
  cents('spend_90d').alias('spend_90d_c'),
  cents('spend_prev_90d').alias('spend_prev_90d_c'),
  pl.col('orders'), pl.col('lead_score'), pl.col('plan'),
  pl.concatString([pl.lit('|'), pl.col('channels').fillNull(''), pl.lit('|')], '').alias('channels'),
  pl.col('is_subscribed'), pl.col('email_opens_30d'), pl.col('referrals'),
  cents('churn_risk').cast(pl.Int32).alias('churn_risk_m'),
);
const tCustomers = Number(process.hrtime.bigint() - t0) / 1e9;
const rawEvents = pl.readCSV(join(cfg.data, 'events.csv'), {
  dtypes: { id: pl.Int64, name: S, at: S, amount: S },
});
// As segc's ingest does: each customer's events in `at` order, ties in file
// order (a stable sort), so first/last are the first/last rows of a group.
const events = rawEvents.select(
  pl.col('id'), pl.col('name'), unixSeconds('at').alias('at_s'), cents('amount').alias('amount_c'),
).sort(['id', 'at_s'], false, false, true);
const load = Number(process.hrtime.bigint() - t0) / 1e9;
log(`polars: loaded in ${load.toFixed(2)} s (customers ${tCustomers.toFixed(2)} s), ${threads} threads`);

// ---- the event segments as expressions ---------------------------------------
const name = (n) => pl.col('name').eq(pl.lit(n));
const since = (days) => pl.col('at_s').gtEq(pl.lit(NOW - days * DAY));
const purchase = name('purchase');
const amountIf = (cond) => pl.col('amount_c').filter(cond);
const countIf = (cond) => cond.cast(pl.Int64).sum();
const anyIf = (cond) => countIf(cond).gt(0);

function eventCounts() {
  const per = events.lazy()
    .join(customers.lazy().select('id', 'signup_day'), { on: 'id', how: 'inner' })
    .groupBy('id')
    .agg(
      countIf(name('friend_added')).alias('friends'),
      anyIf(purchase.and(since(7))).alias('bought_7d'),
      anyIf(name('email_open').and(since(60))).alias('opened_60d'),
      amountIf(purchase.and(since(90))).sum().alias('spent_90d'),
      pl.col('at_s').filter(name('cart_add').and(since(3))).max().alias('last_cart_3d'),
      pl.col('at_s').filter(purchase).max().alias('last_purchase'),
      pl.col('at_s').filter(purchase).min().alias('first_purchase'),
      amountIf(purchase).sum().alias('purchased'),
      amountIf(purchase).count().alias('purchase_amounts'),
      amountIf(purchase).max().alias('max_purchase'),
      amountIf(purchase.and(since(365))).min().alias('min_purchase_365d'),
      pl.col('at_s').filter(name('email_open')).max().alias('last_open'),
      amountIf(purchase.and(pl.col('amount_c').isNotNull())).last().alias('last_amount'),
      anyIf(since(30)).alias('active_30d'),
      countIf(name('page_view').and(since(30))).alias('views_30d'),
      countIf(purchase).alias('purchases'),
      amountIf(name('redeem')).sum().alias('redeemed'),
      pl.len().alias('n'),
      countIf(purchase.and(pl.col('at_s').gtEq(pl.col('signup_day').mul(DAY).add(365 * DAY)))).alias('late_purchases'),
      pl.col('name').last().alias('last_name'),
    );
  const c = (x) => pl.col(x);
  const z = (x) => pl.col(x).fillNull(0);
  const isTrue = (e) => e.fillNull(false);
  const abandoned = c('last_cart_3d').isNotNull().and(c('last_purchase').isNull().or(c('last_purchase').ltEq(c('last_cart_3d'))));
  const segs = {
    friend_magnets: z('friends').gtEq(5),
    bought_last_week: isTrue(c('bought_7d')),
    email_silent_60d: isTrue(c('opened_60d')).not(),
    big_spenders_90d: z('spent_90d').gt(50000),
    abandoned_cart: abandoned,
    cart_reminder_email: abandoned.and(c('channels').str.contains('|email|', true)).and(c('is_subscribed')),
    quick_converters: c('signup_day').mul(DAY).gtEq(NOW - 365 * DAY)
      .and(c('first_purchase').lt(c('signup_day').mul(DAY).add(30 * DAY))),
    big_baskets: z('purchase_amounts').gt(0).and(c('purchased').gtEq(c('purchase_amounts').mul(15000))),
    big_ticket_buyers: c('max_purchase').gtEq(30000),
    small_basket_buyers: c('min_purchase_365d').lt(2000),
    lapsed_email_openers: c('last_open').lt(NOW - 90 * DAY),
    last_order_big: c('last_amount').gtEq(10000),
    vip_gone_quiet: c('total_spent_c').gtEq(200000).and(isTrue(c('active_30d')).not()),
    window_shoppers: z('views_30d').gtEq(3).and(z('purchases').eq(0)),
    purchase_amount_missing: z('purchases').gt(z('purchase_amounts')),
    voucher_hunters: z('redeemed').mul(10).gt(z('purchased')),
    power_users: z('n').gtEq(30),
    no_events: z('n').eq(0),
    loyal_returners: z('late_purchases').gtEq(3),
    left_in_cart: c('last_name').eq(pl.lit('cart_add')),
  };
  const names = cfg.events.map((s) => s.name);
  const missing = names.filter((n) => !segs[n]);
  if (missing.length) throw new Error(`polars.mjs: no expression for event segment(s) ${missing.join(', ')}`);
  const row = customers.lazy().join(per, { on: 'id', how: 'left' })
    .select(...names.map((n, i) => isTrue(segs[n]).cast(pl.Int64).sum().alias(`s${i}`)))
    .collectSync().toRecords()[0];
  return row;
}

// ---- tasks --------------------------------------------------------------------
const ctx = pl.SQLContext({ customers });
for (const task of cfg.tasks) {
  let counts = null;
  let membership = null;
  const times = await repeat(cfg, async () => {
    if (task === 'events') {
      counts = namedCounts(cfg, task, eventCounts());
    } else if (task === 'membership') {
      membership = ctx.execute(sql.membership, { eager: true });
    } else {
      counts = namedCounts(cfg, task, ctx.execute(sql.counts, { eager: true }).toRecords()[0]);
    }
  });
  if (task === 'membership') counts = { rows: membership.height };
  report({ system: 'polars', load: { seconds: load, customers_seconds: tCustomers }, results: [{ task, threads, times, counts }] });
  log(`polars: ${task} x${threads}: ${times.map((t) => t.toFixed(3)).join(' ')}`);
}
