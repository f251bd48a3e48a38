#!/usr/bin/env bash
# Installs the Debian packages lrb needs to build, test and render reports.
# Idempotent: only missing packages are installed; apt-get update runs only then.
# Needs root (or sudo) on Debian 12; elsewhere it prints what is missing and fails.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config check libsubunit-dev
      libbenchmark-dev libbenchmark-tools
      python3-numpy python3-scipy python3-matplotlib
      clang libclang-rt-14-dev clang-format-14 valgrind)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#pkgs[@]} packages present"
    exit 0
fi
echo "deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
