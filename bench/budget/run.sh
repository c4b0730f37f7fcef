#!/usr/bin/env bash
# Budget adherence under load: runs `luv verify --budget B` RUNS times with
# every core kept busy (one `yes` per core), and prints each run's wall time,
# its ratio to the budget, and the median ratio. A hard budget keeps the
# median (and every run) at or under 1.10.
#
#   bench/budget/run.sh [LUV] [BUDGET] [RUNS] [-- extra verify options]
set -euo pipefail
cd "$(dirname "$0")/../.."
luv=${1:-build/luv}
budget=${2:-10}
runs=${3:-5}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
extra=("$@")

load=()
for _ in $(seq "$(nproc)"); do
  yes >/dev/null &
  load+=($!)
done
trap 'kill "${load[@]}" 2>/dev/null || true' EXIT

ratios=()
for i in $(seq "$runs"); do
  t0=$(date +%s.%N)
  rc=0
  "$luv" verify --budget "$budget" -q "${extra[@]}" >/dev/null 2>&1 || rc=$?
  t1=$(date +%s.%N)
  wall=$(echo "$t1 - $t0" | bc -l)
  ratio=$(echo "$wall / $budget" | bc -l)
  ratios+=("$ratio")
  printf 'run %d: %.2f s (budget %s s), ratio %.3f, exit %d\n' "$i" "$wall" "$budget" "$ratio" "$rc"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
worst=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
printf 'median ratio %.3f, worst %.3f (%d runs, budget %s s, %d cores loaded)\n' "$median" "$worst" "$runs" "$budget" "$(nproc)"
