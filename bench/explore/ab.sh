#!/usr/bin/env bash
# Two luv binaries on the same explore bound, runs alternated (A, B, A, B,
# ...) so that both see the same machine: each one's median time and
# states/s, the ratio of the medians, and whether both found the same
# states, transitions and verdicts (a change meant to cost less must not
# change what is searched).
#
#   bash bench/explore/ab.sh OLD_LUV NEW_LUV [explore options]
#
# Defaults: the reference, adversarial, IOMMU 1 and domain 1 with every op
# (the default bound's largest op-set choice), --jobs 1, 2 M states;
# REPEAT=5 runs each.
set -euo pipefail
a=$1
b=$2
shift 2
[ $# -gt 0 ] || set -- --variant reference --mode adversarial --iommu1-ops 15 --domain1-ops 3 --jobs 1 --states-max 2000000
repeat=${REPEAT:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# What a run searched and found: every line but the timing ones.
searched() { grep -v -E '^(time|states/s|peak memory|visited fingerprints|snapshots saved) ' "$1"; }
for i in $(seq "$repeat"); do
  for side in a b; do
    bin=$a
    [ "$side" = a ] || bin=$b
    "$bin" explore "$@" -q > "$out/$side.$i" 2>&1 || true
    awk '$1 == "time" {print $2}' "$out/$side.$i" >> "$out/$side.times"
  done
  if ! cmp -s <(searched "$out/a.$i") <(searched "$out/b.$i"); then
    echo "the two binaries searched differently:" >&2
    diff <(searched "$out/a.$i") <(searched "$out/b.$i") >&2 || true
    exit 1
  fi
done
median() { sort -g "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ma=$(median "$out/a.times")
mb=$(median "$out/b.times")
states=$(awk '$1 == "states" {print $2}' "$out/a.1")
awk -v a="$ma" -v b="$mb" -v s="$states" -v r="$repeat" 'BEGIN {
  printf "states %d, the same in both; medians of %d runs\n", s, r
  printf "A: %.2f s (%.0f states/s)\nB: %.2f s (%.0f states/s)\nA/B: %.3f\n", a, s / a, b, s / b, a / b
}'
