#!/usr/bin/env bash
# The explorer's reductions must not change a verdict. For every shipped
# variant and both modes, runs `luv explore` with every reduction on, with
# --source-sets (on top of them), with --no-por, with --no-symmetry, with --no-widen-choices, with --no-lazy-op-sets, with
# --no-op-set-equivalence (a search per choice, each on its own), with
# --no-alone-runs, with --no-racing-subsumption, with --no-lock-movers and
# with --no-twins, on docs/SPEC.md's default bound (or on the bound
# the extra options give) and compares the status of every property.
# Prints one row per run with its states, transitions (nodes reached: sleep
# sets prune transitions, the visited set then merges states), the states
# searched (equivalent op sets search one choice of each class) and time;
# exits 1 on a difference.
#
#   bash bench/explore/reductions.sh [LUV] [explore options, e.g. --iommu1-ops 15 --domain1-ops 3]
#
# VARIANTS and MODES (space-separated) narrow the rows, e.g. MODES=contract;
# CONFIGS picks the runs (`all` is the default search), e.g.
# CONFIGS="all --source-sets --no-por" for the partial-order reductions.
#
# The whole default bound takes hours (adversarial mode is about an hour a
# run on 2 cores), which is why ctest checks this on a smaller bound only
# (Explore.verdicts_agree_with_and_without_reductions_on_every_variant_and_mode).
set -euo pipefail
luv=${1:-build/luv}
shift || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

differ=0
printf '%-9s %-12s %-24s %12s %12s %12s %9s  %s\n' variant mode reductions states transitions searched seconds verdicts
for variant in ${VARIANTS:-reference v2 v2-warn v3 v4}; do
  for mode in ${MODES:-contract adversarial}; do
    base=""
    for config in ${CONFIGS:-all --source-sets --no-por --no-symmetry --no-widen-choices --no-lazy-op-sets \
      --no-op-set-equivalence --no-alone-runs --no-racing-subsumption --no-lock-movers --no-twins}; do
      flags=()
      [ "$config" != all ] && flags=("$config")
      json="$out/$variant.$mode.$config.json"
      rc=0
      "$luv" explore --variant "$variant" --mode "$mode" -q "${flags[@]}" "$@" --json "$json" >/dev/null || rc=$?
      [ "$rc" -le 1 ] || exit "$rc"  # 1: a property is violated; more: bad input
      seconds=$(jq -r '.stats.seconds' "$json")
      verdicts=$(jq -r '[.outcomes[] | "\(.property)=\(.status)"] | join(" ")' "$json")
      states=$(jq -r '.stats.states' "$json")
      transitions=$(jq -r '.stats.transitions' "$json")
      searched=$(jq -r '.stats.states_searched' "$json")
      mark=""
      if [ -z "$base" ]; then
        base=$verdicts
      elif [ "$verdicts" != "$base" ]; then
        mark="DIFFERS"
        differ=1
      fi
      printf '%-9s %-12s %-24s %12s %12s %12s %9.1f  %s\n' "$variant" "$mode" "$config" "$states" "$transitions" \
        "$searched" "$seconds" \
        "$(echo "$verdicts" | tr ' ' '\n' | grep -c '=violated') violated ${mark}"
    done
  done
done
[ "$differ" = 0 ] && echo "every verdict is the same with and without each reduction" && exit 0
echo "a reduction changed a verdict (rows marked DIFFERS)" >&2
exit 1
