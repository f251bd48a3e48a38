#!/usr/bin/env bash
# clang_format_check.sh — the house style: every C, C++ and CUDA source of lrb (not the build trees) is as
# clang-format 14 with the repository's .clang-format writes it. Names each file that is not, with the
# first differences, and fails.
#
# Usage: tests/clang_format_check.sh PATH/TO/clang-format-14 REPO_ROOT
set -u
fmt=${1:?usage: clang_format_check.sh CLANG_FORMAT REPO_ROOT}
root=${2:?usage: clang_format_check.sh CLANG_FORMAT REPO_ROOT}
cd "$root" || exit 2
mapfile -t files < <(find bench harness kernels reference tests -type f \
    \( -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.cu' -o -name '*.cuh' \) | sort)
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no source found under $root"; exit 1; }
bad=0
for f in "${files[@]}"; do
    if ! "$fmt" --dry-run --Werror "$f" > /dev/null 2>&1; then
        echo "not clang-formatted: $f"
        diff <("$fmt" "$f") "$f" | head -n 12
        bad=$((bad + 1))
    fi
done
echo "clang-format: ${#files[@]} files, $bad not formatted"
[ $bad -eq 0 ]
