#!/usr/bin/env bash
# tests/sql_oracle/run.sh — the SQL oracle: segc must select exactly the
# customers SQLite selects for the same rules.
#
#   tests/sql_oracle/run.sh SEGC_BIN RETAIL_GEN_BIN WORKDIR
#
# For each seed (SEEDS, default "42 7 2026") it generates CUSTOMERS (default
# 30000) customers and their events with one retail_gen call, runs
#   segc ingest --schema examples/retail/schema.seg customers.csv \
#     --stream events=events.csv -o data.segd
#   segc run examples/retail/rules.seg data.segd --as-of 2026-11-23T00:00:00Z --out out/
# loads the same CSVs into SQLite (load.sql), runs rules.sql (writing
# sql/<segment>.ids) and compares every segment's ids byte for byte.  The
# list of segments is taken from rules.seg itself (nested ones as
# parent.child); a segment missing from segc's output or from rules.sql is a
# failure, and so is comparing fewer than 25 segments.  Each segment's share
# of customers is printed; shares outside 0.5%..60% are flagged (not failed)
# so the generator and the rules stay interesting.
#
# SEGC_BIN may be "-" to run only the SQL side (prints the counts; useful
# when tuning the generator or editing rules.sql).  Exit status: 0 when every
# segment matches, 1 on any difference, 2 on a usage or setup error.
set -euo pipefail

die() { echo "sql_oracle: $*" >&2; exit 2; }

[ $# -eq 3 ] || die "usage: $0 SEGC_BIN RETAIL_GEN_BIN WORKDIR"
segc=$1
gen=$2
work=$3
seeds=${SEEDS:-42 7 2026}
customers=${CUSTOMERS:-30000}
as_of=2026-11-23T00:00:00Z
min_segments=25

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
schema=$repo/examples/retail/schema.seg
rules=$repo/examples/retail/rules.seg

command -v sqlite3 >/dev/null || die "sqlite3 not found (Debian package sqlite3)"
[ "$segc" = "-" ] || [ -x "$segc" ] || die "segc binary '$segc' is not executable"
[ -x "$gen" ] || die "retail_gen binary '$gen' is not executable"
for f in "$schema" "$rules" "$here/load.sql" "$here/rules.sql"; do
  [ -r "$f" ] || die "cannot read $f"
done
mkdir -p "$work" || die "cannot create $work"
work=$(cd "$work" && pwd)

# The full names of rules.seg's segments, one a line: `segment x = ... {`
# opens a block whose segments are x.child, a line holding only `}` closes it.
expected_segments() {
  sed -e 's/#.*$//' "$rules" | awk '
    /^[ \t]*segment[ \t]+[a-z_][a-z0-9_]*/ {
      name = $2; sub(/=.*/, "", name)
      full = (depth > 0 ? stack[depth] "." : "") name
      print full
      if ($0 ~ /\{[ \t]*$/) stack[++depth] = full
      next
    }
    /^[ \t]*\}[ \t]*$/ { if (depth > 0) depth-- }'
}

expected=$(expected_segments | sort)
[ -n "$expected" ] || die "no segments found in $rules"

failed=0
for seed in $seeds; do
  dir=$work/seed-$seed
  rm -rf "$dir"
  mkdir -p "$dir/out" "$dir/sql"
  echo "== seed $seed: $customers customers and their events, as of $as_of"

  "$gen" --customers "$customers" --seed "$seed" --as-of "$as_of" -o "$dir/customers.csv" \
    --events "$dir/events.csv" ||
    die "retail_gen failed (seed $seed)"

  if [ "$segc" != "-" ]; then
    "$segc" ingest --schema "$schema" "$dir/customers.csv" --stream events="$dir/events.csv" \
      -o "$dir/data.segd" \
      >"$dir/ingest.log" 2>&1 || { cat "$dir/ingest.log" >&2; die "segc ingest failed (seed $seed)"; }
    "$segc" run "$rules" "$dir/data.segd" --as-of "$as_of" --out "$dir/out/" \
      >"$dir/run.log" 2>&1 || { cat "$dir/run.log" >&2; die "segc run failed (seed $seed)"; }
  fi

  (cd "$dir" && sqlite3 oracle.db <"$here/load.sql" && sqlite3 oracle.db <"$here/rules.sql") \
    >"$dir/sqlite.log" 2>&1 || { cat "$dir/sqlite.log" >&2; die "sqlite3 failed (seed $seed)"; }

  names_sql=$(find "$dir/sql" -maxdepth 1 -name '*.ids' -printf '%f\n' | sed 's/\.ids$//' | sort)
  names_out=$(find "$dir/out" -maxdepth 1 -name '*.ids' -printf '%f\n' | sed 's/\.ids$//' | sort)
  all=$(printf '%s\n%s\n%s\n' "$expected" "$names_sql" "$names_out" | sed '/^$/d' | sort -u)

  compared=0
  while IFS= read -r name; do
    in_rules=$(grep -qxF -- "$name" <<<"$expected" && echo y || echo n)
    sql_file=$dir/sql/$name.ids
    out_file=$dir/out/$name.ids
    if [ "$in_rules" = n ]; then
      echo "  EXTRA    $name: not a segment of rules.seg"
      failed=1
      continue
    fi
    if [ ! -f "$sql_file" ]; then
      echo "  MISSING  $name: no query in rules.sql"
      failed=1
      continue
    fi
    n_sql=$(wc -l <"$sql_file")
    pct=$(awk -v n="$n_sql" -v t="$customers" 'BEGIN { printf "%5.1f%%", t ? 100 * n / t : 0 }')
    flag=$(awk -v n="$n_sql" -v t="$customers" 'BEGIN { p = t ? n / t : 0; print (p < 0.005 || p > 0.60) ? "  (share outside 0.5%..60%)" : "" }')
    if [ "$segc" = "-" ]; then
      printf '  SQL      %-28s %7d %s%s\n' "$name" "$n_sql" "$pct" "$flag"
      compared=$((compared + 1))
      continue
    fi
    if [ ! -f "$out_file" ]; then
      echo "  MISSING  $name: segc wrote no out/$name.ids (sql: $n_sql)"
      failed=1
      continue
    fi
    n_out=$(wc -l <"$out_file")
    compared=$((compared + 1))
    if cmp -s "$sql_file" "$out_file"; then
      printf '  OK       %-28s %7d %s%s\n' "$name" "$n_sql" "$pct" "$flag"
    else
      only_sql=$(comm -23 <(sort "$sql_file") <(sort "$out_file") | wc -l)
      only_segc=$(comm -13 <(sort "$sql_file") <(sort "$out_file") | wc -l)
      printf '  DIFF     %-28s sql %d, segc %d (%d only in sql, %d only in segc)\n' \
        "$name" "$n_sql" "$n_out" "$only_sql" "$only_segc"
      { diff "$sql_file" "$out_file" || true; } | head -n 6 | sed 's/^/             /'
      failed=1
    fi
  done <<<"$all"

  if [ "$compared" -lt "$min_segments" ]; then
    echo "  only $compared segments compared (at least $min_segments expected)"
    failed=1
  fi
done

if [ "$segc" = "-" ]; then
  echo "sql_oracle: SQL side only (segc not run)"
  exit "$failed"
fi
if [ "$failed" -ne 0 ]; then
  echo "sql_oracle: FAILED — segc and SQLite disagree (outputs under $work)"
  exit 1
fi
echo "sql_oracle: all segments agree"
