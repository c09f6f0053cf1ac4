#!/usr/bin/env bash
# scripts/deps.sh — installs what segc needs from Debian's packages when it is
# missing: a C compiler, CMake, flex, bison, LLVM development files (14 is
# what a fresh Debian 12 has; pass more versions as arguments) and sqlite3
# (the SQL oracle of the tests).  Sourced by example.sh and test.sh.
set -euo pipefail

segc_deps() {
  local want=(gcc cmake make flex bison sqlite3)
  local pkgs=()
  for tool in "${want[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || pkgs+=("$tool")
  done
  for v in "$@"; do
    command -v "llvm-config-$v" >/dev/null 2>&1 || pkgs+=("llvm-$v-dev")
  done
  if ((${#pkgs[@]})); then
    echo "segc: installing ${pkgs[*]} with apt-get" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  fi
}

# Configures and builds into $1 with LLVM version $2 and extra cmake args.
segc_build() {
  local dir=$1 llvm=$2
  shift 2
  cmake -S . -B "$dir" -DSEGC_LLVM_CONFIG="llvm-config-$llvm" "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)" >/dev/null
}
