#!/usr/bin/env bash
# scripts/example.sh — the README's first command: sets up, builds, makes the
# retail example's data (1M customers by default; CUSTOMERS=N to change, and
# their event log, ~8 events a customer) and runs the example rule pack over
# it, writing build/example/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
segc_deps 14
segc_build build 14

customers=${CUSTOMERS:-1000000}
as_of=${AS_OF:-2026-11-23T00:00:00Z}
work=build/example
mkdir -p "$work"
echo "== generating $customers customers and their events"
build/retail_gen --customers "$customers" --as-of "$as_of" -o "$work/customers.csv" \
  --events "$work/events.csv"
echo "== checking and testing the rules"
build/segc check examples/retail/rules.seg
build/segc test examples/retail/tests.seg
echo "== ingesting"
build/segc ingest --schema examples/retail/schema.seg "$work/customers.csv" \
  --stream events="$work/events.csv" -o "$work/customers.segd" --bad-rows "$work/bad-rows.csv"
echo "== running the rule pack"
build/segc run examples/retail/rules.seg "$work/customers.segd" --as-of "$as_of" --out "$work/out"
