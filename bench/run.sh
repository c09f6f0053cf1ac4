#!/usr/bin/env bash
# bench/run.sh — segc side by side with DuckDB, Polars, PostgreSQL (JIT off
# and on) and SQLite on the retail example, in one run.  See bench/README.md.
#
#   bash bench/run.sh [CUSTOMERS]          # default 1000000
#
# Environment: RUNS (5), THREADS ("1 2"), BUDGET (seconds per cell after
# which no further run starts, 120), SEED (42), SYSTEMS ("segc duckdb polars
# postgres sqlite"), WORK (bench/work).
#
# Installs what is missing (postgresql-15 and sqlite3 with apt-get, the npm
# packages of bench/package.json into bench/node_modules, segc's own build
# dependencies), builds segc, retail_gen and bandwidth.c, generates the data
# (kept in WORK/data-N-seed-S for the next run), ingests it with segc, starts
# a throwaway PostgreSQL cluster on a unix socket (stopped and deleted on
# exit), and runs bench/bench.mjs, which prints the table and exits 1 if any
# system's member counts differ from segc's, 3 if they all agree but a peer
# did not finish (crashed or was killed: its cells are left out).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
customers=${1:-${CUSTOMERS:-1000000}}
runs=${RUNS:-5}
threads=${THREADS:-1 2}
budget=${BUDGET:-120}
seed=${SEED:-42}
systems=${SYSTEMS:-segc duckdb polars postgres sqlite}
work=${WORK:-$here/work}
as_of=2026-11-23T00:00:00Z
pgbin=/usr/lib/postgresql/15/bin

say() { echo "== $*" >&2; }
die() { echo "bench: $*" >&2; exit 2; }

# ---- what the bench needs ----------------------------------------------------
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pkgs=()
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
command -v sqlite3 >/dev/null || pkgs+=(sqlite3)
[ -x "$pgbin/initdb" ] || pkgs+=(postgresql-15)
command -v cc >/dev/null || pkgs+=(gcc)
if ((${#pkgs[@]})); then
  say "installing ${pkgs[*]} with apt-get"
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null
fi
if [ ! -d "$here/node_modules/@duckdb/node-api" ] || [ ! -d "$here/node_modules/nodejs-polars" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  say "installing the npm packages (bench/package-lock.json)"
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi

# ---- builds --------------------------------------------------------------------
say "building segc and retail_gen"
(
  cd "$repo"
  . scripts/deps.sh
  segc_deps 19
  segc_build build-llvm19 19
)
mkdir -p "$work/bin"
work=$(cd "$work" && pwd)
# Copies, so that a rebuild in build/ during the bench cannot change them.
cp "$repo/build-llvm19/segc" "$repo/build-llvm19/retail_gen" "$work/bin/"
cc -O3 -march=native -pthread -o "$work/bin/bandwidth" "$here/bandwidth.c"

# ---- data ------------------------------------------------------------------------
data=$work/data-$customers-seed-$seed
if [ ! -f "$data/done" ]; then
  say "generating $customers customers and their events (seed $seed)"
  rm -rf "$data"
  mkdir -p "$data"
  "$work/bin/retail_gen" --customers "$customers" --seed "$seed" --as-of "$as_of" \
    -o "$data/customers.csv" --events "$data/events.csv"
  touch "$data/done"
fi
say "segc ingest"
rm -f "$data/data.segd"
# Loads are timed from the page cache: segc's comes first, and read the
# CSVs from disk when they were not cached, warming them for the peers.
cat "$data/customers.csv" "$data/events.csv" >/dev/null
t0=$(date +%s.%N)
"$work/bin/segc" ingest --schema "$repo/examples/retail/schema.seg" "$data/customers.csv" \
  --stream events="$data/events.csv" -o "$data/data.segd" >"$work/ingest.log" 2>&1 ||
  { cat "$work/ingest.log" >&2; die "segc ingest failed"; }
t1=$(date +%s.%N)
cat "$work/ingest.log" >&2
ingest_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

say "memory read bandwidth"
bandwidth=$("$work/bin/bandwidth" 1024 2)
echo "$bandwidth" >&2

# segc's --out directory: on tmpfs when there is one, like the peers' in-memory
# results (segc syncs what it writes; on tmpfs that costs nothing).
out_root=$work/out
if [ -d /dev/shm ] && [ -w /dev/shm ]; then out_root=/dev/shm/segc-bench-$$; fi
mkdir -p "$out_root"

# ---- a throwaway PostgreSQL cluster -------------------------------------------------
pgdata=$work/pg
pg_started=
cleanup() {
  if [ -n "$pg_started" ]; then
    pg_as "$pgbin/pg_ctl" -D "$pgdata/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$pgdata"
  [ "$out_root" = "$work/out" ] || rm -rf "$out_root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pg_as() {
  # PostgreSQL refuses to run as root: run the server as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pguser=$(if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi)
pgport=54329
if [[ " $systems " == *" postgres "* ]]; then
  say "starting a throwaway PostgreSQL 15 cluster in $pgdata"
  rm -rf "$pgdata"
  mkdir -p "$pgdata/socket"
  [ "$(id -u)" -ne 0 ] || chown -R postgres: "$pgdata"
  pg_as "$pgbin/initdb" -D "$pgdata/data" -U "$pguser" --auth=trust --locale=C --encoding=UTF8 >/dev/null
  pg_as "$pgbin/pg_ctl" -D "$pgdata/data" -l "$pgdata/log" -w start -o "\
    -c listen_addresses='' -c unix_socket_directories='$pgdata/socket' -c port=$pgport \
    -c shared_buffers=4GB -c work_mem=256MB -c maintenance_work_mem=1GB \
    -c max_worker_processes=8 -c max_parallel_workers=8 -c max_parallel_workers_per_gather=1 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal \
    -c max_wal_senders=0 -c max_wal_size=20GB -c checkpoint_timeout=1h \
    -c jit=on -c effective_cache_size=16GB" >/dev/null
  pg_started=1
fi

# ---- run ---------------------------------------------------------------------------
node -e '
const [work, repo, data, customers, runs, threads, budget, systems, ingest, bw, pghost, pgport, pguser, outRoot] = process.argv.slice(1);
const fs = require("fs");
fs.writeFileSync(work + "/config.json", JSON.stringify({
  repo, work, data, outRoot, customers: Number(customers), runs: Number(runs), budget: Number(budget),
  threads: threads.trim().split(/\s+/).map(Number), systems: systems.trim().split(/\s+/),
  segc: work + "/bin/segc", segd: data + "/data.segd", oracle: repo + "/tests/sql_oracle/rules.sql",
  ingest: { seconds: Number(ingest) }, bandwidth: JSON.parse(bw),
  csvBytes: { customers: fs.statSync(data + "/customers.csv").size, events: fs.statSync(data + "/events.csv").size },
  pg: { host: pghost, port: Number(pgport), user: pguser },
}, null, 1));
' "$work" "$repo" "$data" "$customers" "$runs" "$threads" "$budget" "$systems" "$ingest_s" "$bandwidth" \
  "$pgdata/socket" "$pgport" "$pguser" "$out_root"

say "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
node "$here/bench.mjs" "$work/config.json"
