#!/usr/bin/env bash
# Issue 20's floor, measured: what `luv verify` spends per column (its JUnit
# report's times; the whole searches run beside the rows, so columns
# overlap), what its explore column says for the variants it searches whole
# (the reference since 2026-12-01, v2 and v2-warn since 2026-12-03: no cell
# unknown), and what the whole default bound takes, both modes, for the
# reference, v2 and v2-warn (`luv explore --jobs 2`, two twin groups), then
# v2 and v2-warn searched together (`--searched-with`, one lazy search for
# both), apart and together.
#
#   bash bench/explore/floor.sh [LUV]
#
# About five minutes on 2 cores. One run each: compare two binaries with
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
for v in ("reference", "v2", "v2-warn"):
    statuses = sorted({c["status"] for c in report["cells"] if c["variant"] == v and c["engine"] == "explore"})
    print(f"  {v}'s explore column: {', '.join(statuses)}")
EOF

apart=0
together=0
printf '%-17s %-12s %12s %12s %9s\n' variant mode distinct searched seconds
# A row: the whole bound of one variant (or of v2 searched with v2-warn); its time in $last.
row() {
  local name=$1 mode=$2
  shift 2
  local json="$out/$name.$mode.json" rc=0
  "$luv" explore "$@" --mode "$mode" --jobs 2 -q --json "$json" >/dev/null || rc=$?
  [ "$rc" -le 1 ] || exit "$rc"  # 1: a property is violated
  last=$(jq -r '.stats.seconds' "$json")
  printf '%-17s %-12s %12s %12s %9.1f\n' "$name" "$mode" "$(jq -r '.stats.states' "$json")" \
    "$(jq -r '.stats.states_searched' "$json")" "$last"
}
add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
for mode in contract adversarial; do row reference "$mode" --variant reference; done
for variant in v2 v2-warn; do
  for mode in contract adversarial; do
    row "$variant" "$mode" --variant "$variant"
    apart=$(add "$apart" "$last")
  done
done
for mode in contract adversarial; do
  row v2+v2-warn "$mode" --variant v2 --searched-with v2-warn
  together=$(add "$together" "$last")
done
printf 'v2 and v2-warn searched whole: %.1f s apart, %.1f s together, on 2 cores\n' "$apart" "$together"
