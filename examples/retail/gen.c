/* examples/retail/gen.c — deterministic generator of the retail example's customers
 * and their event log.
 *
 *   retail_gen [--customers N] [--seed S] [--as-of 2026-11-23T00:00:00Z] -o customers.csv
 *              [--events events.csv [--orphans]]
 *
 * Writes one CSV row per customer, with a header row naming the fields of
 * examples/retail/schema.seg in schema order; with --events, also the
 * customers' `events` stream as id,name,at,amount rows (see "events" below;
 * --orphans adds ~0.01% events of ids that are no customer's).  The same
 * options always give the same bytes: the only source of randomness is the
 * splitmix64 generator below, seeded by --seed, and nothing depends on the
 * clock or the locale (no floating-point formatting, no libm; the few double
 * operations are plain IEEE-754 arithmetic, identical on every C11 host
 * without -ffast-math).
 *
 * The distributions are meant to look like a real retailer's customer base
 * and to make every segment of rules.seg select a non-trivial share:
 * skewed ages with ~5% unknown, countries weighted with real city names
 * (some with spaces, some non-ASCII, a few written in capitals by a careless
 * import), recency correlated with the number of orders, spend figures
 * correlated with each other, ~15% who never bought (null last_purchase_at),
 * ~10% unscored churn risk.  A few deliberate edge cases exercise the
 * semantics: spend exactly halved or doubled (boundaries of the CLV trend
 * rules), logins a few hours after the as-of time (clock skew: days_since is
 * -1 there, not 0), upper-case "MÜNCHEN" (lower() folds ASCII only).
 *
 * Customer ids are unique but scrambled (a Feistel permutation of the row
 * number over 40 bits), so ingest has to sort them.
 *
 * Formats: decimals with exactly two decimals, floats with exactly three,
 * dates YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS (UTC), sets as
 * member|member in declaration order (empty for none), bools true/false,
 * null as an empty field.  Fields containing a comma, quote or newline are
 * quoted.  Output goes through large buffers; every write is checked. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECS_PER_DAY INT64_C(86400)
#define MAX_CUSTOMERS UINT64_C(100000000)

/* ---- random numbers ---------------------------------------------------- */

typedef struct rng {
  uint64_t state;
} rng;

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* splitmix64: a Weyl sequence through a bijective finaliser. */
static uint64_t rng_next(rng *r) {
  r->state += UINT64_C(0x9e3779b97f4a7c15);
  return mix64(r->state);
}

/* Uniform in [0, 1). */
static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* Uniform in [0, n), n > 0 (multiply-shift; the bias is below 2^-32). */
static uint32_t rng_below(rng *r, uint32_t n) {
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static int64_t rng_range(rng *r, int64_t lo, int64_t hi) {
  return lo + (int64_t)(rng_unit(r) * (double)(hi - lo + 1));
}

static bool rng_chance(rng *r, double p) { return rng_unit(r) < p; }

/* 0, 1, 2, ... with P(k+1 | k) = p, capped. */
static int rng_geometric(rng *r, double p, int cap) {
  int k = 0;
  while (k < cap && rng_chance(r, p)) k++;
  return k;
}

/* Index into a weight table. */
static int rng_pick(rng *r, const int *w, int n) {
  int total = 0;
  for (int i = 0; i < n; i++) total += w[i];
  int x = (int)rng_below(r, (uint32_t)total);
  for (int i = 0; i < n; i++) {
    if (x < w[i]) return i;
    x -= w[i];
  }
  return n - 1;
}

/* A keyed permutation of [0, 2^40): four Feistel rounds over 20-bit halves. */
static uint64_t scramble_id(uint64_t i, uint64_t key) {
  uint64_t l = (i >> 20) & 0xFFFFF, r = i & 0xFFFFF;
  for (int round = 0; round < 4; round++) {
    uint64_t f = mix64(r ^ (key + (uint64_t)round * UINT64_C(0x632be59bd9b4e019))) & 0xFFFFF;
    uint64_t t = l ^ f;
    l = r;
    r = t;
  }
  return (l << 20) | r;
}

/* ---- calendar ---------------------------------------------------------- */

static int64_t floordiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/* Days since 1970-01-01 of a proleptic Gregorian date (400-year eras). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = floordiv(y, 400);
  int64_t yoe = y - era * 400;                              /* [0, 399] */
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;      /* [0, 146096] */
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = floordiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static bool parse_digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS[Z]", UTC. */
static bool parse_as_of(const char *s, int64_t *secs) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  size_t n = strlen(s);
  int y, m, d, hh = 0, mm = 0, ss = 0;
  if (n < 10 || !parse_digits(s, 4, &y) || s[4] != '-' || !parse_digits(s + 5, 2, &m) ||
      s[7] != '-' || !parse_digits(s + 8, 2, &d))
    return false;
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  if (n > 10) {
    if (n < 19 || (s[10] != 'T' && s[10] != ' ') || !parse_digits(s + 11, 2, &hh) || s[13] != ':' ||
        !parse_digits(s + 14, 2, &mm) || s[16] != ':' || !parse_digits(s + 17, 2, &ss))
      return false;
    if (hh > 23 || mm > 59 || ss > 59) return false;
    if (n > 19 && !(n == 20 && s[19] == 'Z')) return false;
  }
  *secs = days_from_civil(y, m, d) * SECS_PER_DAY + hh * 3600 + mm * 60 + ss;
  return true;
}

/* ---- buffered output ----------------------------------------------------- */

typedef struct out {
  FILE *f;
  const char *path;
  char *buf;
  size_t len, cap;
} out;

static void die(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "retail_gen: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  exit(1);
}

static void out_flush(out *o) {
  if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
    die("cannot write %s: %s", o->path, strerror(errno));
  o->len = 0;
}

/* Makes room for n more bytes (n is always far below the capacity). */
static char *out_reserve(out *o, size_t n) {
  if (o->len + n > o->cap) out_flush(o);
  return o->buf + o->len;
}

static void put_mem(out *o, const char *s, size_t n) {
  memcpy(out_reserve(o, n), s, n);
  o->len += n;
}
static void put_str(out *o, const char *s) { put_mem(o, s, strlen(s)); }
static void put_ch(out *o, char c) { put_mem(o, &c, 1); }

static void put_u64(out *o, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  char *p = out_reserve(o, (size_t)n);
  for (int i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
  o->len += (size_t)n;
}

static void put_i64(out *o, int64_t v) {
  if (v < 0) {
    put_ch(o, '-');
    put_u64(o, (uint64_t)0 - (uint64_t)v);
  } else {
    put_u64(o, (uint64_t)v);
  }
}

/* An exact fixed-point number: v / 10^scale, e.g. cents as 123.45. */
static void put_fixed(out *o, int64_t v, int scale) {
  int64_t p = 1;
  for (int i = 0; i < scale; i++) p *= 10;
  if (v < 0) {
    put_ch(o, '-');
    v = -v;
  }
  put_u64(o, (uint64_t)(v / p));
  put_ch(o, '.');
  int64_t frac = v % p;
  for (int i = scale - 1; i >= 0; i--) {
    int64_t q = 1;
    for (int j = 0; j < i; j++) q *= 10;
    put_ch(o, (char)('0' + (frac / q) % 10));
  }
}

static void put_2(out *o, int v) {
  char *p = out_reserve(o, 2);
  p[0] = (char)('0' + v / 10);
  p[1] = (char)('0' + v % 10);
  o->len += 2;
}

static void put_date(out *o, int64_t days) {
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  put_2(o, (int)(y / 100));
  put_2(o, (int)(y % 100));
  put_ch(o, '-');
  put_2(o, m);
  put_ch(o, '-');
  put_2(o, d);
}

static void put_timestamp(out *o, int64_t secs) {
  int64_t days = floordiv(secs, SECS_PER_DAY), tod = secs - days * SECS_PER_DAY;
  put_date(o, days);
  put_ch(o, ' ');
  put_2(o, (int)(tod / 3600));
  put_ch(o, ':');
  put_2(o, (int)(tod / 60 % 60));
  put_ch(o, ':');
  put_2(o, (int)(tod % 60));
}

/* A CSV text field, quoted when it holds a comma, a quote or a line break. */
static void put_csv_text(out *o, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    put_str(o, s);
    return;
  }
  put_ch(o, '"');
  for (; *s; s++) {
    if (*s == '"') put_ch(o, '"');
    put_ch(o, *s);
  }
  put_ch(o, '"');
}

/* ---- reference data ------------------------------------------------------ */

typedef struct city {
  const char *name;
  const char *upper; /* how a careless import writes it; NULL: ASCII upper case */
  int weight;
} city;

typedef struct country {
  const char *code;
  int weight;
  int whatsapp_pct; /* share of customers reachable on WhatsApp */
  const city *cities;
  int ncities;
  const char *const *domains; /* local e-mail providers */
  int ndomains;
} country;

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const city us[] = {{"New York", 0, 20},     {"Los Angeles", 0, 14}, {"Chicago", 0, 10},
                          {"Houston", 0, 8},       {"San Francisco", 0, 8}, {"San Diego", 0, 6},
                          {"Seattle", 0, 7},       {"Boston", 0, 7},       {"Austin", 0, 6},
                          {"Miami", 0, 6},         {"Denver", 0, 5},       {"Saint Paul", 0, 3}};
static const city gb[] = {{"London", 0, 45},   {"Manchester", 0, 12}, {"Birmingham", 0, 11},
                          {"Leeds", 0, 8},     {"Glasgow", 0, 8},     {"Bristol", 0, 7},
                          {"Edinburgh", 0, 9}};
static const city de[] = {{"Berlin", 0, 30},   {"München", "MÜNCHEN", 18},
                          {"Munich", 0, 3},    {"Hamburg", 0, 18},
                          {"Köln", "KÖLN", 14}, {"Frankfurt am Main", 0, 10},
                          {"Düsseldorf", "DÜSSELDORF", 8}};
static const city fr[] = {{"Paris", 0, 45},    {"Lyon", 0, 15}, {"Marseille", 0, 14},
                          {"Toulouse", 0, 10}, {"Saint-Étienne", "SAINT-ÉTIENNE", 6},
                          {"Nice", 0, 10}};
static const city es[] = {{"Madrid", 0, 40},  {"Barcelona", 0, 35}, {"Valencia", 0, 10},
                          {"Sevilla", 0, 8},  {"Málaga", "MÁLAGA", 7},
                          {"San Sebastián", "SAN SEBASTIÁN", 4}};
static const city it[] = {{"Roma", 0, 30},   {"Milano", 0, 35}, {"Napoli", 0, 15},
                          {"Torino", 0, 12}, {"Firenze", 0, 8}};
static const city br[] = {{"São Paulo", "SÃO PAULO", 45},   {"Rio de Janeiro", 0, 30},
                          {"Belo Horizonte", 0, 12},       {"Brasília", "BRASÍLIA", 8},
                          {"Porto Alegre", 0, 5}};
static const city mx[] = {{"Ciudad de México", "CIUDAD DE MÉXICO", 50}, {"Guadalajara", 0, 25},
                          {"Monterrey", 0, 25}};
static const city ca[] = {{"Toronto", 0, 40}, {"Montréal", "MONTRÉAL", 30}, {"Vancouver", 0, 30}};
static const city nl[] = {{"Amsterdam", 0, 50}, {"Rotterdam", 0, 30}, {"Utrecht", 0, 20}};
static const city at[] = {{"Wien", 0, 60}, {"Graz", 0, 20}, {"Salzburg", 0, 20}};
static const city ch[] = {{"Zürich", "ZÜRICH", 50}, {"Genève", "GENÈVE", 30}, {"Basel", 0, 20}};
static const city se[] = {{"Stockholm", 0, 60}, {"Göteborg", "GÖTEBORG", 25}, {"Malmö", "MALMÖ", 15}};
static const city pl[] = {{"Warszawa", 0, 50}, {"Kraków", "KRAKÓW", 30}, {"Łódź", "ŁÓDŹ", 20}};
static const city pt[] = {{"Lisboa", 0, 60}, {"Porto", 0, 40}};

static const char *const d_us[] = {"aol.com", "comcast.net"};
static const char *const d_gb[] = {"btinternet.com", "sky.com"};
static const char *const d_de[] = {"gmx.de", "web.de", "t-online.de"};
static const char *const d_fr[] = {"orange.fr", "free.fr"};
static const char *const d_es[] = {"telefonica.es"};
static const char *const d_it[] = {"libero.it", "virgilio.it"};
static const char *const d_br[] = {"uol.com.br", "bol.com.br"};
static const char *const d_mx[] = {"prodigy.net.mx"};
static const char *const d_ca[] = {"rogers.com", "shaw.ca"};
static const char *const d_nl[] = {"ziggo.nl", "kpnmail.nl"};
static const char *const d_at[] = {"gmx.at", "aon.at"};
static const char *const d_ch[] = {"bluewin.ch", "gmx.ch"};
static const char *const d_se[] = {"telia.com"};
static const char *const d_pl[] = {"wp.pl", "onet.pl"};
static const char *const d_pt[] = {"sapo.pt"};

#define COUNTRY(code, w, wa, c, d) {code, w, wa, c, N(c), d, N(d)}
static const country countries[] = {
    COUNTRY("US", 30, 8, us, d_us),  COUNTRY("GB", 12, 10, gb, d_gb), COUNTRY("DE", 11, 25, de, d_de),
    COUNTRY("FR", 8, 15, fr, d_fr),  COUNTRY("ES", 6, 60, es, d_es),  COUNTRY("IT", 5, 60, it, d_it),
    COUNTRY("BR", 6, 80, br, d_br),  COUNTRY("MX", 4, 75, mx, d_mx),  COUNTRY("CA", 4, 8, ca, d_ca),
    COUNTRY("NL", 3, 40, nl, d_nl),  COUNTRY("AT", 3, 25, at, d_at),  COUNTRY("CH", 2, 30, ch, d_ch),
    COUNTRY("SE", 2, 20, se, d_se),  COUNTRY("PL", 2, 35, pl, d_pl),  COUNTRY("PT", 2, 60, pt, d_pt),
};

static const char *const first_names[] = {
    "anna",   "maria", "laura",  "sofia",  "emma",   "julia", "sarah", "lisa",  "nina",  "olivia",
    "chloe",  "lucia", "ines",   "eva",    "mia",    "james", "john",  "david", "michael", "daniel",
    "lucas",  "pedro", "marco",  "thomas", "jan",    "paul",  "felix", "leon",  "noah",  "oliver",
    "ahmed",  "wei",   "yuki",   "omar",   "sam",    "alex",  "kim",   "robin", "jordan", "taylor"};
static const char *const last_names[] = {
    "smith",  "johnson", "garcia", "mueller", "schmidt", "martin",  "bernard", "rossi",
    "russo",  "silva",   "santos", "oliveira", "lopez",  "hernandez", "brown",  "wilson",
    "taylor", "novak",   "kowalski", "nowak", "jansen", "devries", "berg",    "larsson",
    "ferreira", "costa", "weber",  "fischer", "dubois", "moreau",  "nguyen",  "kim"};
static const char *const global_domains[] = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com",
                                             "icloud.com", "googlemail.com"};
static const int global_domain_w[] = {50, 10, 10, 10, 8, 2};
static const char *const company_domains[] = {"acme-retail.com", "northwind.io", "globex.de",
                                              "initech.fr", "umbrella.co.uk", "stark-industries.com"};
static const char *const role_mailboxes[] = {"info", "sales", "admin", "office", "contact"};

/* Enum and set members in schema declaration order. */
static const char *const genders[] = {"female", "male", "other", "unknown"};
static const int gender_w[] = {48, 44, 2, 6};
static const char *const plans[] = {"free", "trial", "pro", "enterprise"};
static const int plan_w[] = {55, 10, 26, 9};
enum { PLAN_FREE, PLAN_TRIAL, PLAN_PRO, PLAN_ENTERPRISE };
static const char *const channel_names[] = {"email", "sms", "push", "whatsapp"};
enum { CH_EMAIL = 1, CH_SMS = 2, CH_PUSH = 4, CH_WHATSAPP = 8 };

/* Age bands of the adult customer base, in years [lo, hi] with weights. */
static const int age_lo[] = {18, 25, 35, 45, 55, 65};
static const int age_hi[] = {24, 34, 44, 54, 64, 88};
static const int age_w[] = {15, 26, 22, 17, 11, 9};

/* ---- one customer ---------------------------------------------------------- */

typedef struct customer {
  uint64_t id;
  bool has_email;
  char email[96];
  bool has_age;
  int age;
  bool has_birth;
  int64_t birth_day;
  int gender;
  const char *country;
  char city[64];
  int64_t signup_day;
  bool has_last_purchase;
  int64_t last_purchase; /* seconds */
  bool has_last_login;
  int64_t last_login;
  int64_t total_cents, spend_90d_cents, spend_prev_cents;
  int orders, lead_score, plan;
  unsigned channels;
  bool subscribed;
  int email_opens_30d, referrals;
  bool has_churn;
  int churn_milli; /* churn risk in thousandths */
} customer;

static void ascii_upper(char *s) {
  for (; *s; s++)
    if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 'a' + 'A');
}

static void make_email(rng *r, customer *c, const country *co) {
  char local[48];
  const char *domain;
  if (c->plan >= PLAN_PRO && rng_chance(r, 0.10)) {
    /* A business customer registered with a shared role mailbox. */
    snprintf(local, sizeof local, "%s", role_mailboxes[rng_below(r, N(role_mailboxes))]);
    domain = company_domains[rng_below(r, N(company_domains))];
  } else {
    const char *f = first_names[rng_below(r, N(first_names))];
    const char *l = last_names[rng_below(r, N(last_names))];
    int style = rng_pick(r, (const int[]){35, 15, 10, 22, 18}, 5);
    int64_t by;
    int bm, bd;
    switch (style) {
    case 0: snprintf(local, sizeof local, "%s.%s", f, l); break;
    case 1: snprintf(local, sizeof local, "%s%s", f, l); break;
    case 2: snprintf(local, sizeof local, "%s_%s", f, l); break;
    case 3: /* first name and year of birth, the classic */
      if (c->has_birth) {
        civil_from_days(c->birth_day, &by, &bm, &bd);
      } else {
        by = 2026 - (c->has_age ? c->age : (int)rng_range(r, 20, 70));
      }
      snprintf(local, sizeof local, "%s%d", f, (int)by);
      break;
    default: snprintf(local, sizeof local, "%c%s%02d", f[0], l, (int)rng_below(r, 100)); break;
    }
    if (rng_chance(r, 0.18))
      domain = co->domains[rng_below(r, (uint32_t)co->ndomains)];
    else if (c->plan >= PLAN_PRO && rng_chance(r, 0.15))
      domain = company_domains[rng_below(r, N(company_domains))];
    else
      domain = global_domains[rng_pick(r, global_domain_w, N(global_domain_w))];
  }
  snprintf(c->email, sizeof c->email, "%s@%s", local, domain);
  double u = rng_unit(r);
  if (u < 0.04) {
    c->email[0] = (char)(c->email[0] - 'a' + 'A'); /* "Anna.smith@gmail.com" */
  } else if (u < 0.06) {
    ascii_upper(c->email); /* "ANNA.SMITH@GMAIL.COM" */
  }
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static void make_customer(rng *r, uint64_t row, uint64_t id_key, int64_t now, customer *c) {
  int64_t today = floordiv(now, SECS_PER_DAY);
  int64_t ty;
  int tm, td;
  civil_from_days(today, &ty, &tm, &td);
  memset(c, 0, sizeof *c);
  c->id = scramble_id(row, id_key) + 1;

  /* Age: self-reported, ~5% unknown.  birth_date from the loyalty card,
   * consistent with age when both are known. */
  int band = rng_pick(r, age_w, N(age_w));
  int true_age = (int)rng_range(r, age_lo[band], age_hi[band]);
  c->has_age = !rng_chance(r, 0.05);
  c->age = true_age;
  c->has_birth = rng_chance(r, c->has_age ? 0.55 : 0.30);
  if (c->has_birth) {
    /* A day in (today - (age+1) years, today - age years]: age_years == age. */
    int dd = td;
    if (tm == 2 && td == 29) dd = 28;
    int64_t hi = days_from_civil(ty - true_age, tm, dd);
    int64_t lo = days_from_civil(ty - true_age - 1, tm, dd) + 1;
    c->birth_day = rng_range(r, lo, hi);
  }
  c->gender = rng_pick(r, gender_w, N(gender_w));

  int cw[N(countries)];
  for (int i = 0; i < N(countries); i++) cw[i] = countries[i].weight;
  const country *co = &countries[rng_pick(r, cw, N(countries))];
  c->country = co->code;
  int ciw[16];
  for (int i = 0; i < co->ncities; i++) ciw[i] = co->cities[i].weight;
  const city *ci = &co->cities[rng_pick(r, ciw, co->ncities)];
  if (rng_chance(r, 0.03)) {
    snprintf(c->city, sizeof c->city, "%s", ci->upper ? ci->upper : ci->name);
    ascii_upper(c->city);
  } else {
    snprintf(c->city, sizeof c->city, "%s", ci->name);
  }

  /* Plan, tenure.  The base grew over the six years, so recent signups are
   * more common; trials are young by definition. */
  c->plan = rng_pick(r, plan_w, N(plan_w));
  double u = rng_unit(r);
  int64_t tenure = (int64_t)(6 * 365 * u * (0.35 + 0.65 * u));
  if (c->plan == PLAN_TRIAL) tenure = rng_range(r, 0, 59);
  c->signup_day = today - tenure;
  int64_t signup = c->signup_day * SECS_PER_DAY;

  /* Purchases: ~15% never bought; recency shrinks with the number of orders. */
  bool buyer = rng_chance(r, c->plan == PLAN_TRIAL ? 0.60 : c->plan == PLAN_FREE ? 0.82 : 0.93);
  int64_t recency = 0;
  if (buyer) {
    tenure = max64(tenure, 1);
    c->orders = 1 + rng_geometric(r, c->plan >= PLAN_PRO ? 0.88 : 0.80, 400);
    if (c->orders > tenure + 1) c->orders = (int)tenure + 1;
    double m = 1.0;
    int k = 1 + c->orders / 3;
    if (k > 8) k = 8;
    for (int i = 0; i < k; i++) {
      double v = rng_unit(r);
      if (v < m) m = v;
    }
    recency = (int64_t)(m * (double)tenure);
    c->has_last_purchase = true;
    c->last_purchase = max64(now - recency * SECS_PER_DAY - 1 - rng_below(r, 86400), signup);

    /* Spend: an average order value from a price tier, then the last two
     * quarters from the run rate with a trend. */
    int tier = rng_pick(r, (const int[]){60, 30, 10}, 3);
    if (c->plan >= PLAN_PRO && tier == 0 && rng_chance(r, 0.3)) tier = 1;
    static const int64_t aov_lo[] = {1500, 4000, 12000}, aov_hi[] = {6000, 15000, 60000};
    int64_t aov = rng_range(r, aov_lo[tier], aov_hi[tier]);
    c->total_cents = (int64_t)((double)(c->orders * aov) * (0.85 + 0.3 * rng_unit(r)));
    int64_t rate = c->total_cents * 90 / max64(tenure, 90);
    if (recency < 180 && tenure >= 90 && (recency >= 90 || rng_chance(r, 0.7)))
      c->spend_prev_cents = max64(100, (int64_t)((double)rate * (0.6 + 0.8 * rng_unit(r))));
    if (recency < 90) {
      if (c->spend_prev_cents > 0) {
        double t = rng_unit(r);
        if (t < 0.01) { /* exactly halved: on the boundary of `<` */
          c->spend_prev_cents += c->spend_prev_cents & 1;
          c->spend_90d_cents = c->spend_prev_cents / 2;
        } else if (t < 0.02) { /* exactly doubled */
          c->spend_90d_cents = c->spend_prev_cents * 2;
        } else if (t < 0.22) { /* declining */
          c->spend_90d_cents = (int64_t)((double)c->spend_prev_cents * (0.1 + 0.45 * rng_unit(r)));
        } else if (t < 0.37) { /* growing */
          c->spend_90d_cents = (int64_t)((double)c->spend_prev_cents * (1.5 + 2.0 * rng_unit(r)));
        } else { /* steady */
          c->spend_90d_cents = (int64_t)((double)c->spend_prev_cents * (0.8 + 0.4 * rng_unit(r)));
        }
      } else {
        c->spend_90d_cents = (int64_t)((double)rate * (0.5 + rng_unit(r)));
      }
      c->spend_90d_cents = max64(c->spend_90d_cents, 100);
    }
    c->total_cents = max64(c->total_cents, c->spend_90d_cents + c->spend_prev_cents);
  }

  /* Channels and consent. */
  c->has_email = !rng_chance(r, 0.04);
  if (c->has_email) make_email(r, c, co);
  if (c->has_email && rng_chance(r, 0.78)) c->channels |= CH_EMAIL;
  if (rng_chance(r, 0.33)) c->channels |= CH_SMS;
  if (rng_chance(r, c->has_age && c->age < 35 ? 0.55 : 0.35)) c->channels |= CH_PUSH;
  if (rng_chance(r, co->whatsapp_pct / 100.0)) c->channels |= CH_WHATSAPP;
  c->subscribed = rng_chance(r, c->channels ? 0.80 : 0.30);
  if (c->subscribed && (c->channels & CH_EMAIL))
    c->email_opens_30d = rng_geometric(r, c->plan >= PLAN_PRO ? 0.85 : 0.75, 60);

  /* Lead score: 0..100, trials and active buyers score higher. */
  int ls = ((int)rng_below(r, 101) + (int)rng_below(r, 101)) / 2;
  if (c->plan == PLAN_TRIAL) ls += 15;
  if (buyer && recency < 30) ls += 10;
  c->lead_score = ls > 100 ? 100 : ls;

  /* App logins: ~8% never; a few a few hours in the future (device clock
   * skew that the pipeline did not clean up). */
  if (!rng_chance(r, 0.08)) {
    c->has_last_login = true;
    double v = rng_unit(r);
    int64_t days;
    if (v < 0.003) {
      c->last_login = now + 1 + rng_below(r, 20 * 3600);
    } else {
      if (v < 0.40)
        days = rng_range(r, 0, 6);
      else if (v < 0.70)
        days = rng_range(r, 7, 59);
      else
        days = rng_range(r, 60, max64(60, tenure));
      c->last_login = max64(now - days * SECS_PER_DAY - 1 - rng_below(r, 86400), signup);
    }
  }

  c->referrals = rng_chance(r, 0.72) ? 0 : 1 + rng_geometric(r, 0.5, 30);

  /* Churn risk from the model: ~10% not scored yet. */
  c->has_churn = !rng_chance(r, 0.10);
  if (c->has_churn) {
    double base = buyer ? 0.55 * (double)min64(recency, 365) / 365.0 +
                              0.25 * (1.0 - (double)(c->orders < 20 ? c->orders : 20) / 20.0)
                        : 0.55;
    double v = base + 0.25 * rng_unit(r) - 0.05;
    int milli = (int)(v * 1000.0);
    c->churn_milli = milli < 0 ? 0 : milli > 999 ? 999 : milli;
  }
}

static void write_customer(out *o, const customer *c) {
  put_u64(o, c->id);
  put_ch(o, ',');
  if (c->has_email) put_csv_text(o, c->email);
  put_ch(o, ',');
  if (c->has_age) put_i64(o, c->age);
  put_ch(o, ',');
  if (c->has_birth) put_date(o, c->birth_day);
  put_ch(o, ',');
  put_str(o, genders[c->gender]);
  put_ch(o, ',');
  put_csv_text(o, c->country);
  put_ch(o, ',');
  put_csv_text(o, c->city);
  put_ch(o, ',');
  put_date(o, c->signup_day);
  put_ch(o, ',');
  if (c->has_last_purchase) put_timestamp(o, c->last_purchase);
  put_ch(o, ',');
  if (c->has_last_login) put_timestamp(o, c->last_login);
  put_ch(o, ',');
  put_fixed(o, c->total_cents, 2);
  put_ch(o, ',');
  put_fixed(o, c->spend_90d_cents, 2);
  put_ch(o, ',');
  put_fixed(o, c->spend_prev_cents, 2);
  put_ch(o, ',');
  put_i64(o, c->orders);
  put_ch(o, ',');
  put_i64(o, c->lead_score);
  put_ch(o, ',');
  put_str(o, plans[c->plan]);
  put_ch(o, ',');
  bool first = true;
  for (int i = 0; i < 4; i++) {
    if (!(c->channels & (1u << i))) continue;
    if (!first) put_ch(o, '|');
    put_str(o, channel_names[i]);
    first = false;
  }
  put_ch(o, ',');
  put_str(o, c->subscribed ? "true" : "false");
  put_ch(o, ',');
  put_i64(o, c->email_opens_30d);
  put_ch(o, ',');
  put_i64(o, c->referrals);
  put_ch(o, ',');
  if (c->has_churn) put_fixed(o, c->churn_milli, 3);
  put_ch(o, '\n');
}

/* ---- events ------------------------------------------------------------------ */

/* The `events` stream of schema.seg: what the shop's tracking recorded in
 * the two years before the as-of time.  Each customer's events come from
 * their own generator (seeded by the seed and the row number), so the
 * customers file is the same bytes with or without --events.  The events
 * follow from the customer's fields:
 *   - purchases: the latest at last_purchase_at, the others a tracked share
 *     of the `orders` that fall in the window (some first purchases right
 *     after signup), amounts around the customer's average order value,
 *     ~2% with no amount; each comes with the page view and cart_add before
 *     it (~3% one-click: cart_add at the same second), sometimes a voucher
 *     `redeem` at the same second, sometimes a split order (a second
 *     purchase at the same second), often an order-confirmation email_open;
 *   - browsing sessions (page views, ~9% with a cart_add that no purchase
 *     follows): the latest at last_login_at, earlier ones more frequent
 *     towards it, light, regular and heavy users;
 *   - email_open: for newsletter subscribers ~3/4 of email_opens_30d in the
 *     last 30 days plus a few older ones; some old opens for the others;
 *   - friend_added: one per referral, plus the social users' extra invites.
 * 20% of the customers declined the analytics cookies: no page views or
 * cart adds for them.  No event falls before the signup date or at or after
 * the as-of time.  Same-second events of one customer are deliberate (ingest
 * orders a customer's events by `at`, ties in file order).
 *
 * Export order: the events of each batch of CHUNK_CUSTOMERS customers are
 * written day by day, in random order within a day, and ~3% of them arrive
 * 1 to 14 days late — so a customer's events are scattered over the file
 * and not always in time order. */

/* Members of the stream's `name` enum, in schema declaration order. */
enum { EV_PURCHASE, EV_FRIEND_ADDED, EV_PAGE_VIEW, EV_EMAIL_OPEN, EV_CART_ADD, EV_REDEEM };
static const char *const event_names[] = {"purchase", "friend_added", "page_view",
                                          "email_open", "cart_add", "redeem"};

#define NO_AMOUNT INT64_MIN
#define EVENT_DAYS 730    /* the log covers the two years before the as-of time */
#define MAX_LATE_DAYS 14  /* a late event is written up to this many days late */
#define CHUNK_CUSTOMERS 65536
#define MAX_PURCHASES 80  /* purchase events per customer */
#define TRACKED_ORDERS 25 /* percent of the earlier orders in the log */

typedef struct event {
  uint64_t id;
  int64_t at;      /* seconds since 1970, UTC */
  int64_t cents;   /* the amount; NO_AMOUNT for null */
  uint32_t bucket; /* the export day it is written in */
  uint8_t name;
} event;

typedef struct event_log {
  event *v, *sorted;
  size_t n, cap;
  int64_t base;     /* bucket 0 starts here: now - EVENT_DAYS */
  rng order;        /* late arrivals and the order within a day */
  bool orphans;     /* --orphans: add events of customers not in the file */
  rng orphan_rng;
  uint64_t orphan_row; /* next row number past the last customer */
  uint64_t id_key;     /* the customers' id permutation (orphan ids continue it) */
  uint64_t seed_key;   /* seeds each customer's event generator */
  out o;
} event_log;

#define NBUCKETS (EVENT_DAYS + 1 + MAX_LATE_DAYS)

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n);
  if (!p) die("out of memory%s%s", "", "");
  return p;
}

static void push_event(event_log *log, uint64_t id, int name, int64_t at, int64_t cents) {
  if (log->n == log->cap) {
    log->cap = log->cap ? 2 * log->cap : (size_t)1 << 16;
    log->v = xrealloc(log->v, log->cap * sizeof *log->v);
  }
  event *e = &log->v[log->n++];
  e->id = id;
  e->at = at;
  e->cents = cents;
  e->name = (uint8_t)name;
  e->bucket = (uint32_t)((at - log->base) / SECS_PER_DAY);
  if (rng_chance(&log->order, 0.03)) e->bucket += 1 + rng_below(&log->order, MAX_LATE_DAYS);
}

/* One event of customer `id`; with --orphans, rarely also the same event
 * for an id that no customer has (a deleted account, say). */
static void emit(event_log *log, uint64_t id, int name, int64_t at, int64_t cents) {
  push_event(log, id, name, at, cents);
  if (log->orphans && rng_chance(&log->orphan_rng, 0.0001))
    push_event(log, scramble_id(log->orphan_row++, log->id_key) + 1, name, at, cents);
}

static void write_event(out *o, const event *e) {
  put_u64(o, e->id);
  put_ch(o, ',');
  put_str(o, event_names[e->name]);
  put_ch(o, ',');
  put_timestamp(o, e->at);
  put_ch(o, ',');
  if (e->cents != NO_AMOUNT) put_fixed(o, e->cents, 2);
  put_ch(o, '\n');
}

/* Writes the buffered events day by day (a counting sort on the bucket),
 * shuffled within each day, and empties the buffer. */
static void flush_events(event_log *log) {
  static size_t start[NBUCKETS + 1];
  memset(start, 0, sizeof start);
  for (size_t i = 0; i < log->n; i++) start[log->v[i].bucket + 1]++;
  for (int b = 0; b < NBUCKETS; b++) start[b + 1] += start[b];
  log->sorted = xrealloc(log->sorted, (log->n ? log->n : 1) * sizeof *log->sorted);
  for (size_t i = 0; i < log->n; i++) log->sorted[start[log->v[i].bucket]++] = log->v[i];
  /* start[b] is now the end of bucket b. */
  size_t lo = 0;
  for (int b = 0; b < NBUCKETS; b++) {
    size_t hi = start[b];
    for (size_t i = hi; i > lo + 1; i--) { /* Fisher-Yates over [lo, hi) */
      size_t j = lo + rng_below(&log->order, (uint32_t)(i - lo));
      event t = log->sorted[i - 1];
      log->sorted[i - 1] = log->sorted[j];
      log->sorted[j] = t;
    }
    for (size_t i = lo; i < hi; i++) write_event(&log->o, &log->sorted[i]);
    lo = hi;
  }
  log->n = 0;
}

/* A time in [lo, hi] (lo <= hi), the more likely near hi the larger k: the
 * distance from hi is (hi - lo) times a uniform number raised to k. */
static int64_t time_towards(rng *r, int64_t lo, int64_t hi, int k) {
  double f = rng_unit(r), u = f;
  for (int i = 1; i < k; i++) f *= u;
  return hi - (int64_t)(f * (double)(hi - lo));
}

/* One customer's events in the making. */
typedef struct history {
  event_log *log;
  rng r;
  const customer *c;
  int64_t lo, hi, now; /* events fall in [lo, hi]; hi = now - 1 */
  bool browsing;       /* accepted the analytics cookies: page views and carts are seen */
} history;

static void add(history *h, int name, int64_t at) { emit(h->log, h->c->id, name, at, NO_AMOUNT); }
static void add_browsing(history *h, int name, int64_t at) {
  if (h->browsing) add(h, name, max64(at, h->lo));
}

/* A purchase at t and what surrounds it. */
static void purchase_events(history *h, int64_t t, int64_t aov) {
  rng *r = &h->r;
  if (rng_chance(r, 0.4)) add_browsing(h, EV_PAGE_VIEW, t - rng_range(r, 60, 1800));
  if (rng_chance(r, 0.03)) /* one-click: the cart and the purchase share a second */
    add_browsing(h, EV_CART_ADD, t);
  else if (rng_chance(r, 0.6))
    add_browsing(h, EV_CART_ADD, t - rng_range(r, 20, 900));
  int lines = rng_chance(r, 0.01) ? 2 : 1; /* a split order: two purchases, one second */
  for (int i = 0; i < lines; i++) {
    int64_t cents = max64(199, aov * (int64_t)(40 + rng_below(r, 121)) / 100 + rng_below(r, 100));
    emit(h->log, h->c->id, EV_PURCHASE, t, rng_chance(r, 0.02) ? NO_AMOUNT : cents);
  }
  if (rng_chance(r, 0.12)) /* a voucher redeemed at checkout, 5.00 to 25.00 */
    emit(h->log, h->c->id, EV_REDEEM, t, 500 + 250 * (int64_t)rng_below(r, 9));
  int64_t confirm = t + rng_range(r, 600, 2 * SECS_PER_DAY); /* the order confirmation */
  if (h->c->has_email && confirm <= h->hi && rng_chance(r, 0.25)) add(h, EV_EMAIL_OPEN, confirm);
}

/* Purchases in the window: the latest at last_purchase_at; of the earlier
 * orders, spread evenly from signup to then, those in the window -- and of
 * those only TRACKED_ORDERS percent (the rest were placed in a store or by
 * phone, which the tracking does not see).  For half of the customers who
 * signed up inside the window, one of them falls in their first 30 days. */
static void make_purchases(history *h) {
  const customer *c = h->c;
  if (!c->has_last_purchase || c->last_purchase < h->lo || c->last_purchase > h->hi) return;
  int64_t last = c->last_purchase, signup = c->signup_day * SECS_PER_DAY;
  double earlier = (double)(c->orders - 1) * (double)(last - h->lo + 1) / (double)(last - signup + 1);
  double want = 1 + earlier * TRACKED_ORDERS / 100;
  int n = (int)want;
  if (rng_chance(&h->r, want - n)) n++;
  n = n > MAX_PURCHASES ? MAX_PURCHASES : n;
  int64_t aov = c->total_cents / (c->orders > 0 ? c->orders : 1);
  purchase_events(h, last, aov);
  bool welcome = signup >= h->lo && rng_chance(&h->r, 0.5);
  for (int i = 1; i < n; i++) {
    int64_t t = i == 1 && welcome ? rng_range(&h->r, signup, min64(last, signup + 30 * SECS_PER_DAY - 1))
                                  : rng_range(&h->r, h->lo, last);
    purchase_events(h, t, aov);
  }
}

/* One browsing session from t (a login): page views a few seconds to
 * minutes apart, and now and then a cart_add after the last of them that no
 * purchase of this session follows.  Nothing at or after the as-of time. */
static void session_events(history *h, int64_t t) {
  int views = 1 + rng_geometric(&h->r, 0.2, 12);
  for (int i = 0; i < views && t <= h->hi; i++) {
    add_browsing(h, EV_PAGE_VIEW, t);
    t += rng_range(&h->r, 15, 400);
  }
  if (rng_chance(&h->r, 0.09) && t <= h->hi) add_browsing(h, EV_CART_ADD, t);
}

/* Sessions: the latest at last_login_at; light, regular and heavy users,
 * earlier sessions the more frequent the closer to the last one. */
static void make_sessions(history *h) {
  const customer *c = h->c;
  if (!c->has_last_login) return;
  int64_t end = min64(c->last_login, h->hi); /* clock skew: a login after now */
  if (end < h->lo) return;
  rng *r = &h->r;
  int level = rng_pick(r, (const int[]){67, 25, 8}, 3);
  int n = level == 0 ? 1 + rng_geometric(r, 0.15, 2)
        : level == 1 ? 1 + rng_geometric(r, 0.4, 12)
                     : 5 + rng_geometric(r, 0.95, 150);
  int64_t full = 180 * SECS_PER_DAY; /* a newer customer has had less time */
  if (end - h->lo < full) n = 1 + (int)((int64_t)(n - 1) * (end - h->lo) / full);
  for (int i = 0; i < n; i++) session_events(h, i == 0 ? end : time_towards(r, h->lo, end, 2));
}

/* Newsletter subscribers: of the email_opens_30d opens of the last 30 days
 * about three in four are in the log (the others were in mail clients that
 * block tracking images), and a few older ones, more of them recent.  Others
 * opened a few before they unsubscribed, at least 60 days ago. */
static void make_email_opens(history *h) {
  const customer *c = h->c;
  if (!c->has_email) return;
  rng *r = &h->r;
  int64_t month_ago = h->now - 30 * SECS_PER_DAY, until = h->now - 60 * SECS_PER_DAY;
  if (c->subscribed && (c->channels & CH_EMAIL)) {
    for (int i = 0; i < c->email_opens_30d; i++)
      if (rng_chance(r, 0.75)) add(h, EV_EMAIL_OPEN, rng_range(r, max64(h->lo, month_ago), h->hi));
    int older = rng_geometric(r, 0.3, 30);
    for (int i = 0; i < older && h->lo < month_ago; i++)
      add(h, EV_EMAIL_OPEN, time_towards(r, h->lo, month_ago - 1, 2));
  } else if (rng_chance(r, 0.3)) {
    int n = 1 + rng_geometric(r, 0.5, 10);
    for (int i = 0; i < n && h->lo < until; i++)
      add(h, EV_EMAIL_OPEN, rng_range(r, h->lo, until));
  }
}

/* One friend_added per referral, plus extra invites from social users. */
static void make_friends(history *h) {
  int n = h->c->referrals + (rng_chance(&h->r, 0.08) ? 1 + rng_geometric(&h->r, 0.6, 40) : 0);
  for (int i = 0; i < n; i++) add(h, EV_FRIEND_ADDED, rng_range(&h->r, h->lo, h->hi));
}

static void make_events(event_log *log, const customer *c, uint64_t row, int64_t now) {
  history h = {log, {mix64(log->seed_key ^ (row * UINT64_C(0xd1b54a32d192ed03)))}, c,
               max64(now - EVENT_DAYS * SECS_PER_DAY, c->signup_day * SECS_PER_DAY), now - 1, now, false};
  if (h.lo > h.hi) return;
  h.browsing = !rng_chance(&h.r, 0.2);
  make_purchases(&h);
  make_sessions(&h);
  make_email_opens(&h);
  make_friends(&h);
}

/* ---- command line ---------------------------------------------------------- */

static const char header[] =
    "id,email,age,birth_date,gender,country,city,signup_date,last_purchase_at,last_login_at,"
    "total_spent,spend_90d,spend_prev_90d,orders,lead_score,plan,channels,is_subscribed,"
    "email_opens_30d,referrals,churn_risk\n";
static const char events_header[] = "id,name,at,amount\n";

static void usage(FILE *f) {
  fprintf(f, "usage: retail_gen [--customers N (default 1000000)] [--seed S (default 42)]\n"
             "                  [--as-of 2026-11-23T00:00:00Z] -o customers.csv\n"
             "                  [--events events.csv [--orphans]]\n");
}

static uint64_t parse_u64(const char *opt, const char *s) {
  char *end;
  errno = 0;
  if (*s < '0' || *s > '9') die("%s needs a non-negative integer, got '%s'", opt, s);
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) die("%s needs a non-negative integer, got '%s'", opt, s);
  return (uint64_t)v;
}

static void out_open(out *o, const char *path) {
  o->path = path;
  o->f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
  if (!o->f) die("cannot open %s: %s", path, strerror(errno));
  o->cap = (size_t)1 << 20;
  o->len = 0;
  o->buf = malloc(o->cap);
  if (!o->buf) die("out of memory%s%s", "", "");
}

static void out_close(out *o) {
  out_flush(o);
  if (fflush(o->f) != 0 || ferror(o->f)) die("cannot write %s: %s", o->path, strerror(errno));
  if (o->f != stdout && fclose(o->f) != 0) die("cannot write %s: %s", o->path, strerror(errno));
  free(o->buf);
}

int main(int argc, char **argv) {
  uint64_t customers = 1000000, seed = 42;
  const char *as_of_text = "2026-11-23T00:00:00Z", *path = NULL, *events_path = NULL, *customers_text = "";
  bool orphans = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    if (!strcmp(a, "--orphans")) {
      orphans = true;
      continue;
    }
    if (i + 1 >= argc) {
      usage(stderr);
      die("%s: missing value%s", a, "");
    }
    const char *v = argv[++i];
    if (!strcmp(a, "--customers") || !strcmp(a, "-n"))
      customers = parse_u64(a, v), customers_text = v;
    else if (!strcmp(a, "--seed"))
      seed = parse_u64(a, v);
    else if (!strcmp(a, "--as-of"))
      as_of_text = v;
    else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
      path = v;
    else if (!strcmp(a, "--events"))
      events_path = v;
    else {
      usage(stderr);
      die("unknown option '%s'%s", a, "");
    }
  }
  if (!path) {
    usage(stderr);
    die("no output file (-o FILE, or -o - for standard output)%s%s", "", "");
  }
  if (events_path && !strcmp(events_path, "-") && !strcmp(path, "-"))
    die("customers and events cannot both go to standard output%s%s", "", "");
  if (orphans && !events_path) die("--orphans needs --events FILE%s%s", "", "");
  if (customers > MAX_CUSTOMERS) die("--customers: at most %s, got %s", "100000000", customers_text);
  int64_t now;
  if (!parse_as_of(as_of_text, &now))
    die("--as-of: expected YYYY-MM-DD[THH:MM:SS[Z]], got '%s'%s", as_of_text, "");

  out o = {0};
  out_open(&o, path);
  rng r = {mix64(seed ^ UINT64_C(0x5eed5eed5eed5eed))};
  uint64_t id_key = rng_next(&r);
  put_str(&o, header);

  /* The events draw from generators of their own, never from r: the
   * customers are the same with or without --events. */
  event_log log = {0};
  if (events_path) {
    out_open(&log.o, events_path);
    put_str(&log.o, events_header);
    log.base = now - EVENT_DAYS * SECS_PER_DAY;
    log.seed_key = mix64(seed ^ UINT64_C(0xe7e7e7e7e7e7e7e7));
    log.order.state = mix64(log.seed_key ^ UINT64_C(0x0dde7));
    log.orphan_rng.state = mix64(log.seed_key ^ UINT64_C(0x0afa4));
    log.orphans = orphans;
    log.orphan_row = customers;
    log.id_key = id_key;
  }

  customer c;
  for (uint64_t row = 0; row < customers; row++) {
    make_customer(&r, row, id_key, now, &c);
    write_customer(&o, &c);
    if (!events_path) continue;
    make_events(&log, &c, row, now);
    if ((row + 1) % CHUNK_CUSTOMERS == 0 || row + 1 == customers) flush_events(&log);
  }
  out_close(&o);
  if (events_path) {
    out_close(&log.o);
    free(log.v);
    free(log.sorted);
  }
  return 0;
}
