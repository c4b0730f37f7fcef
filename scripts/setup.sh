#!/usr/bin/env bash
# Installs what luv builds with, from Debian's packages. Safe to run again.
set -euo pipefail
packages=(cmake g++ make pkg-config librapidcheck-dev libz3-dev libboost-graph-dev libgtest-dev
          libbenchmark-dev nlohmann-json3-dev libcli11-dev graphviz libxml2-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The SARIF validators the tests use (reports_test): the official SARIF 2.1.0
# schema and Microsoft's validator (sarif-multitool), and ajv to apply the
# schema. Pinned, into .tools/sarif (git ignores it); skipped when present.
sarif_dir=.tools/sarif
sarif_packages=(ajv@8.20.0 ajv-formats@3.0.1 @microsoft/sarif-multitool-linux@5.7.0)
cd "$(dirname "$0")/.."
want_sarif=0
for p in "${sarif_packages[@]}"; do
  name=${p%@*}
  version=${p##*@}
  have=$(node -p "require('./$sarif_dir/node_modules/$name/package.json').version" 2>/dev/null || true)
  [[ $have == "$version" ]] || want_sarif=1
done
if ((want_sarif)); then
  if ! command -v npm >/dev/null; then
    echo "setup: npm not found; the SARIF validation tests need it (skipped outside CI, failed in CI)" >&2
  else
    echo "setup: installing ${sarif_packages[*]} into $sarif_dir"
    mkdir -p "$sarif_dir"
    # A failure is not fatal here: the tests that need them fail in CI, skip elsewhere.
    npm install --prefix "$sarif_dir" --no-audit --no-fund --no-save --loglevel=error "${sarif_packages[@]}" >/dev/null ||
      echo "setup: npm install failed; the SARIF validation tests will fail in CI (skipped elsewhere)" >&2
  fi
fi
# npm runs the package's chmod only when install scripts are allowed.
multitool=$sarif_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
[[ ! -f $multitool || -x $multitool ]] || chmod u+x "$multitool"
