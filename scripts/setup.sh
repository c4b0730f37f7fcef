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
