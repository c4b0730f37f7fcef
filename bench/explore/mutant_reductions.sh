#!/usr/bin/env bash
# Every mutant, both modes: each property's status with every reduction on
# against --no-alone-runs and against --no-racing-subsumption (the two
# reductions that take the Runner's memory of the path out of a state's
# key), against --no-lock-movers (the one that skips orders) and against
# --no-twins (the one that skips calls). Exits 1 on a difference.
#
#   bash bench/explore/mutant_reductions.sh [LUV] [explore options]
#
# Without options: 3 calls on IOMMU 1 and domain 1 with every op (about 6
# min on 2 cores).
set -euo pipefail
luv=${1:-build/luv}
shift || true
[ $# -gt 0 ] || set -- --calls 3 --iommu1-ops 15 --domain1-ops 3
bound=(--jobs 2 "$@")
statuses() { "$luv" explore "$@" | awk '$2 ~ /^(holds|violated|unknown)$/ {printf "%s=%s ", $1, $2}'; }
# The catalogue's names, from its one list in the source (impl/variant.cpp).
here=$(cd "$(dirname "$0")/../.." && pwd)
mutants=$(sed -n '/kMutantNames\[\] = {/,/};/p' "$here/impl/variant.cpp" | grep -o '"[a-z_0-9]*"' | tr -d '"' | grep -vx none)
pairs=0
differ=0
for mode in contract adversarial; do
  for m in $mutants; do
    base=$(statuses --variant "reference+mutant:$m" --mode "$mode" "${bound[@]}" || true)
    [ -n "$base" ] || { echo "no verdicts for $m ($mode)" >&2; exit 2; }
    for flag in --no-alone-runs --no-racing-subsumption --no-lock-movers --no-twins; do
      other=$(statuses --variant "reference+mutant:$m" --mode "$mode" "${bound[@]}" "$flag" || true)
      pairs=$((pairs + 1))
      if [ "$base" != "$other" ]; then
        echo "DIFFERS: $m $mode $flag"
        echo "  all: $base"
        echo "  $flag: $other"
        differ=1
      fi
    done
  done
done
echo "$pairs pairs compared"
[ "$differ" = 0 ] && echo "every verdict is the same with and without each reduction" && exit 0
exit 1
