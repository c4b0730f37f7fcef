#!/usr/bin/env bash
# Two luv binaries' `luv verify` (the default: every variant, 150 s budget),
# runs alternated (A, B, A, B, ...) so that both see the same machine: each
# run's wall and CPU time (user + system), each one's medians, the ratio of
# the median wall times (B / A: under 1, B is faster), and, per variant, how
# many of its explore cells say unknown in B's last run.
#
#   bash bench/budget/verify_ab.sh OLD_LUV NEW_LUV [RUNS]
#
# RUNS (default 3) each; about two minutes a run on 2 cores.
set -euo pipefail
a=$1
b=$2
runs=${3:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq "$runs"); do
  for side in a b; do
    bin=$a
    [ "$side" = a ] || bin=$b
    /usr/bin/time -f '%e %U %S' -o "$out/$side.time" "$bin" verify -q --json "$out/$side.json" >/dev/null
    read -r wall user sys < "$out/$side.time"
    echo "$wall" >> "$out/$side.wall"
    awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }' >> "$out/$side.cpu"
    printf 'run %d %s: %6.1f s wall, %6.1f s CPU\n' "$i" "$side" "$wall" "$(tail -1 "$out/$side.cpu")"
  done
done
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf 'median wall: A %.1f s, B %.1f s, B/A %.3f; median CPU: A %.1f s, B %.1f s\n' \
  "$(median "$out/a.wall")" "$(median "$out/b.wall")" \
  "$(awk -v a="$(median "$out/a.wall")" -v b="$(median "$out/b.wall")" 'BEGIN { print b / a }')" \
  "$(median "$out/a.cpu")" "$(median "$out/b.cpu")"
jq -r '[.cells[] | select(.engine == "explore")] | group_by(.variant)[]
       | "B, \(.[0].variant): \(map(select(.status == "unknown")) | length) explore cell(s) unknown"' "$out/b.json"
