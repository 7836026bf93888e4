#!/usr/bin/env bash
# Builds the libFuzzer targets (clang++ -fsanitize=fuzzer,address,undefined;
# the runtime is Debian's libclang-rt-14-dev) into BUILD_DIR and runs each for
# SECONDS on a copy of its seed corpus under tests/fuzz/corpus/<target>/.
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS]      (build-fuzz, 60)
# Crashes are written to BUILD_DIR/crashes/<target>/; the exit status is 1 if
# any target failed to build or found one.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-fuzz}
seconds=${2:-60}
cxx=${CXX_FUZZ:-clang++}
mkdir -p "$build"
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"$root/engine")
# The engine sources the parsers need; zlib from the system.
engine=(idx dataset model config net_text params rng run_file)
status=0
for target in idx model run; do
  exe="$build/fuzz_$target"
  srcs=("$root/tests/fuzz/fuzz_$target.cpp")
  for e in "${engine[@]}"; do srcs+=("$root/engine/$e.cpp"); done
  newest=$(ls -t "${srcs[@]}" "$root"/engine/*.h "$root"/tests/fuzz/*.h "$exe" 2>/dev/null | head -1)
  if [ "$newest" != "$exe" ]; then
    echo "fuzz: building $exe"
    "$cxx" "${flags[@]}" "${srcs[@]}" -lz -o "$exe" || { status=1; continue; }
  fi
  corpus="$build/corpus/$target" crashes="$build/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  # The seeds stay untouched in the tree; what the fuzzer finds accumulates in the build dir.
  "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=4096 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" "$root/tests/fuzz/corpus/$target" >"$build/fuzz_$target.log" 2>&1
  rc=$?
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$build/fuzz_$target.log" | grep -Eo '[0-9]+$')
  if [ $rc = 0 ]; then
    echo "fuzz_$target: ok, ${execs:-?} runs in ${seconds} s, corpus $(ls "$corpus" | wc -l) files"
  else
    status=1
    echo "fuzz_$target: FAILED (exit $rc; log $build/fuzz_$target.log, inputs in $crashes)"
    grep -E 'ERROR|SUMMARY|runtime error' "$build/fuzz_$target.log" | head -5
  fi
done
exit $status
