#!/usr/bin/env bash
# Issue 20's floor, measured: what `luv verify` spends per column (its JUnit
# report's times), what its explore column says for the reference, and what
# the whole default bound takes, both modes, for the reference, v2 and
# v2-warn (`luv explore --jobs 2`, as verify's column runs it). Prints each
# search's time beside the column's share of verify's budget (0.3 of a
# variant's equal share) and the factor the explorer is short of fitting it.
#
#   bash bench/explore/floor.sh [LUV]
#
# About four minutes on 2 cores. One run each: compare two binaries with
# ab.sh, not with two runs of this.
set -euo pipefail
luv=${1:-build/luv}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$luv" verify -q --junit "$out/verify.xml" --json "$out/verify.json" >/dev/null
python3 - "$out/verify.xml" "$out/verify.json" <<'EOF'
import json, re, sys
xml = open(sys.argv[1]).read()
seconds = {}
for v, e, t in re.findall(r'<testcase classname="luv\.([^"]*)\.([a-z]+)" name="[^"]*" time="([0-9.]+)"', xml):
    seconds[(v, e)] = float(t)  # every cell of a column carries the column's time
report = json.load(open(sys.argv[2]))
print(f"luv verify: {report['seconds']:.1f} s in all, passed: {report['passed']}")
for v in report["variants"]:
    cols = "  ".join(f"{e} {seconds.get((v, e), 0):5.1f} s" for e in ("replay", "check", "explore", "prove"))
    print(f"  {v:<10} {cols}")
cells = [c for c in report["cells"] if c["variant"] == "reference" and c["engine"] == "explore"]
statuses = sorted({c["status"] for c in cells})
print(f"  the reference's explore column: {', '.join(statuses)}")
EOF

share=$(jq -r '150 / (.variants | length) * 0.3' "$out/verify.json")  # 150 s: verify's default budget
total=0
printf '%-9s %-12s %12s %12s %9s\n' variant mode distinct searched seconds
for variant in reference v2 v2-warn; do
  for mode in contract adversarial; do
    json="$out/$variant.$mode.json"
    rc=0
    "$luv" explore --variant "$variant" --mode "$mode" --jobs 2 -q --json "$json" >/dev/null || rc=$?
    [ "$rc" -le 1 ] || exit "$rc"  # 1: a property is violated
    seconds=$(jq -r '.stats.seconds' "$json")
    printf '%-9s %-12s %12s %12s %9.1f\n' "$variant" "$mode" "$(jq -r '.stats.states' "$json")" \
      "$(jq -r '.stats.states_searched' "$json")" "$seconds"
    total=$(awk -v a="$total" -v b="$seconds" 'BEGIN { print a + b }')
  done
done
printf 'the three variants, both modes: %.1f s on 2 cores; the explore column'"'"'s share: %.1f s a variant\n' \
  "$total" "$share"
awk -v t="$total" -v s="$share" 'BEGIN { printf "short by %.1fx\n", t / (3 * s) }'
