#!/usr/bin/env bash
# Golden diagnostics: every tests/golden/NNN-name.seg is checked with
# `segc check NNN-name.seg` from this directory (so the paths in the messages
# are stable) and its stderr must equal NNN-name.expected byte for byte.
# The exit code must be 1 when an `error:` line is expected, 0 otherwise.
#
#   bash tests/golden/run.sh SEGC            run every case
#   bash tests/golden/run.sh SEGC --update   rewrite the .expected files
#
# Shared input files (not cases) live in lib/.
set -u
if [ $# -lt 1 ]; then
  echo "usage: $0 SEGC [--update]" >&2
  exit 2
fi
segc=$1
case "$segc" in /*) ;; *) segc="$PWD/$segc" ;; esac
update=0
[ "${2:-}" = "--update" ] && update=1
cd "$(dirname "$0")" || exit 2

pass=0 fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for seg in [0-9][0-9][0-9]-*.seg; do
  [ -e "$seg" ] || continue
  exp="${seg%.seg}.expected"
  "$segc" check "$seg" >/dev/null 2>"$tmp"
  rc=$?
  if [ $update = 1 ]; then
    cp "$tmp" "$exp"
    echo "updated $exp (exit $rc)"
    continue
  fi
  if [ ! -e "$exp" ]; then
    echo "FAIL $seg: no $exp"
    fail=$((fail + 1))
    continue
  fi
  want_rc=0
  grep -q 'error:' "$exp" && want_rc=1
  d=$(diff -u --label "$exp" --label "stderr of segc check $seg" "$exp" "$tmp")
  if [ -z "$d" ] && [ $rc -eq $want_rc ]; then
    echo "ok   $seg"
    pass=$((pass + 1))
  else
    echo "FAIL $seg"
    [ -n "$d" ] && printf '%s\n' "$d"
    [ $rc -ne $want_rc ] && echo "    exit code $rc, expected $want_rc"
    fail=$((fail + 1))
  fi
done
[ $update = 1 ] && exit 0
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
