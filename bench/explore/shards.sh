#!/usr/bin/env bash
# One `luv explore` run against the same run split N ways with --shard i/N,
# the shards one after the other on this machine: the one run's time, the
# sum and the max of the shards' times (the max is the wall time when each
# shard has a machine of its own), medians of REPEAT runs; and whether
# `luv merge` of the shards gives the one run's totals, and its outcomes
# (each property's status, how, violation and counterexample). A shard's
# unit is an op-set choice, searched on its own, so compare with a one run
# that searches per choice too (--no-lazy-op-sets).
#   bash bench/explore/shards.sh [LUV] [explore options]
# Defaults: build/luv, --variant reference --mode contract --calls 3 --jobs 2 --no-lazy-op-sets;
# SPLITS="2 4", REPEAT=3.
set -euo pipefail
LUV=${1:-build/luv}
shift || true
ARGS=${*:---variant reference --mode contract --calls 3 --jobs 2 --no-lazy-op-sets}
SPLITS=${SPLITS:-2 4}
REPEAT=${REPEAT:-3}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

# Seconds the command took (wall), its exit code ignored (1: a violation).
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null || [ $? -eq 1 ]
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Each property's status, how, violation and counterexample, as one line of
# JSON; a saved counterexample by its content, not its path.
outcomes() {
  python3 - "$1" <<'PY'
import json, sys
outcomes = json.load(open(sys.argv[1]))["outcomes"]
for o in outcomes:
    if isinstance(o.get("counterexample"), str):
        o["counterexample"] = json.load(open(o["counterexample"]))
print(json.dumps(outcomes, sort_keys=True))
PY
}
totals() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stats"]; print(s["states"], s["transitions"], s["visited"], s["collision_odds"], s["complete"])' "$1"; }

ones=()
for _ in $(seq "$REPEAT"); do ones+=("$(timed "$LUV" explore $ARGS -q --json "$DIR/one.json")"); done
echo "one run: median $(median "${ones[@]}") s (${ones[*]})"
for n in $SPLITS; do
  sums=() maxes=()
  for _ in $(seq "$REPEAT"); do
    sum=0 max=0 files=()
    for i in $(seq "$n"); do
      t=$(timed "$LUV" explore $ARGS -q --shard "$i/$n" --json "$DIR/shard-$i.json")
      sum=$(echo "$sum + $t" | bc)
      max=$(echo "if ($t > $max) $t else $max" | bc)
      files+=("$DIR/shard-$i.json")
    done
    sums+=("$sum") maxes+=("$max")
  done
  mkdir -p "$DIR/merged"
  "$LUV" merge "${files[@]}" --json "$DIR/merged/merged.json" > /dev/null || [ $? -eq 1 ]
  same=$([ "$(totals "$DIR/one.json")" = "$(totals "$DIR/merged/merged.json")" ] && echo yes || echo NO)
  alike=$([ "$(outcomes "$DIR/one.json")" = "$(outcomes "$DIR/merged/merged.json")" ] && echo yes || echo NO)
  echo "$n shards: sum median $(median "${sums[@]}") s (${sums[*]}), max median $(median "${maxes[@]}") s (${maxes[*]}); merged totals equal the one run's: $same ($(totals "$DIR/merged/merged.json")); outcomes (verdicts, counterexamples) equal: $alike"
done
