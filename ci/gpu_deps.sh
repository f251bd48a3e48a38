#!/usr/bin/env bash
# ci/gpu_deps.sh — on the build machine, before a GPU session: fetches the Debian packages of Google Benchmark
# and Check (with subunit) and unpacks them into .gpu_deps/root (ignored by git, about 2 MB), for a GPU
# machine that has nvcc and CMake but no package registry and no pkg-config. Carry `.gpu_deps` there;
# ci/gpu_run.sh's build step then configures with CMAKE_PREFIX_PATH=.gpu_deps/root/usr, links Check and
# subunit statically and libbenchmark through the build RPATH. Exit 0, or 1 naming what could not be fetched.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(libbenchmark-dev libbenchmark1debian check libsubunit-dev libsubunit0)
rm -rf .gpu_deps; mkdir -p .gpu_deps/debs .gpu_deps/root
( cd .gpu_deps/debs && apt-get download "${pkgs[@]}" > ../download.log 2>&1 ) \
    || { cat .gpu_deps/download.log; echo "gpu_deps: apt-get download ${pkgs[*]} failed"; exit 1; }
for d in .gpu_deps/debs/*.deb; do dpkg -x "$d" .gpu_deps/root; done
rm -rf .gpu_deps/root/usr/share/doc .gpu_deps/root/usr/share/man
echo "gpu_deps: $(ls .gpu_deps/debs | tr '\n' ' ')-> .gpu_deps/root ($(du -sh .gpu_deps | cut -f1))"
