#!/usr/bin/env bash
# ci/test.sh — the test command (README): installs missing Debian packages, builds the release preset
# (with CUDA when nvcc exists) and the ASan/UBSan CPU preset, runs every CTest test in both, runs a short
# libFuzzer session on the .npy reader, and ends with one summary line "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bash ci/deps.sh || { echo "tests: 0 passed, 1 failed (dependency installation)"; exit 1; }
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
mkdir -p build
passed=0; failed=0; skipped=0

# count_ctest LOG: adds the per-test outcomes of one ctest log to the totals
count_ctest() {
    local p f s
    p=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* +Passed' "$1")
    s=$(grep -cE '\*\*\*Skipped|Not Run' "$1")
    f=$(grep -cE '\*\*\*(Failed|Timeout|Exception)|\(Failed\)|Exception:' "$1")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

build_and_test() { # PRESET [ctest args...]
    local preset=$1; shift
    echo "=== $preset: configure and build"
    if ! cmake --preset "$preset" > "build/$preset.configure.log" 2>&1; then
        cat "build/$preset.configure.log"; failed=$((failed + 1)); return
    fi
    grep -E '^-- lrb:' "build/$preset.configure.log" || true
    if ! cmake --build --preset "$preset" > "build/$preset.build.log" 2>&1; then
        tail -n 60 "build/$preset.build.log"; failed=$((failed + 1)); return
    fi
    echo "=== $preset: tests"
    ctest --preset "$preset" --output-junit "$top/build/$preset.junit.xml" "$@" 2>&1 | tee "build/$preset.ctest.log"
    count_ctest "build/$preset.ctest.log"
}

build_and_test release
# The sanitizer build runs every suite; the oracle regeneration and the tier-2 long cases (pure NumPy
# and already run by the release build) are left to the release build, and so is the callgrind gate
# (instruction counts belong to the release binary, and ASan does not run under valgrind).
# bench.cuda_emulation too: the CUDA backend is under ASan in cuda.emulation, and lrb_bench in bench.smoke
build_and_test asan -E 'golden\.(regenerate|tier2_.*)|gate\.callgrind|bench\.cuda_emulation'

echo "=== fuzz: .npy reader (libFuzzer, ASan+UBSan, 60 s)"
fuzz_bin=build/fuzz_npy
if clang -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -Iharness tests/fuzz_npy.c harness/npy.c -o "$fuzz_bin" > build/fuzz.build.log 2>&1; then
    rm -rf build/fuzz_corpus && mkdir -p build/fuzz_corpus && cp tests/fuzz_corpus/npy/* build/fuzz_corpus/
    if "$fuzz_bin" -max_total_time=60 -print_final_stats=1 build/fuzz_corpus > build/fuzz.log 2>&1; then
        grep -E 'stat::number_of_executed_units|Done' build/fuzz.log | tail -n 2
        passed=$((passed + 1))
    else
        tail -n 40 build/fuzz.log; failed=$((failed + 1))
    fi
else
    cat build/fuzz.build.log; failed=$((failed + 1))
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
