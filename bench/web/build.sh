#!/bin/bash
# Builds the engine side of the browser benchmark with Debian's em++ into
# build-bench-wasm/bench_web/{bench_web.js,bench_web.wasm}, and with pthreads into
# bench_web_mt.{js,wasm,worker.js}, each also as _rs (relaxed SIMD): the engine sources (with
# the SIMD kernels over wasm SIMD128 beside the Eigen reference, as the top
# CMakeLists picks them for Emscripten), zlib
# from .cache/src/zlib (tools/fetch_sources) and bench/web/bench_web.cpp. Arguments
# are extra compiler flags (objects are rebuilt only when sources change: use a new BUILD_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${BUILD_DIR:-$root/build-bench-wasm}/bench_web"
zsrc="$root/.cache/src/zlib"
export NODE_PATH=/usr/share/nodejs
[ -f "$zsrc/inflate.c" ] || { echo "build.sh: no zlib source in $zsrc: run tools/fetch_sources" >&2; exit 1; }
cxxflags=(-O3 -msimd128 -std=c++17 -Wall -Wextra -DEIGEN_MPL2_ONLY -isystem /usr/include/eigen3
          -isystem "$zsrc" -I"$root/engine" -DNNLAB_SIMD_KERNELS "$@")  # "$@": e.g. -DNNLAB_MIN_ROW_WORK=4000000
zlib=(adler32 crc32 deflate infback inffast inflate inftrees trees zutil compress uncompr gzclose gzlib gzread gzwrite)
pids=()
compile() {  # cc src obj flags...: recompiles only when the source or a header is newer
  local cc=$1 src=$2 obj=$3; shift 3
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$root/engine" -name '*.h' -newer "$obj" | head -1)" ]; then
    "$cc" "$@" -c "$src" -o "$obj" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
}
# build NAME POOL FLAGS...: one variant into $out/NAME.{js,wasm}; POOL is the
# parallel_*.cpp of engine/ it takes (serial without pthreads).
build() {
  local name=$1 pool=$2; shift 2
  local obj="$out/obj-$name" srcs=() objs=()
  mkdir -p "$obj"
  for f in "$root"/engine/*.cpp; do
    case "$(basename "$f")" in kernels_*|parallel_*) continue ;; esac
    srcs+=("$f")
  done
  srcs+=("$root/engine/parallel_$pool.cpp" "$root/engine/kernels_simd.cpp" "$root/engine/kernels_eigen.cpp"
         "$root/bench/web/bench_web.cpp")
  for s in "${srcs[@]}"; do o="$obj/$(basename "${s%.cpp}").o"; objs+=("$o"); compile em++ "$s" "$o" "${cxxflags[@]}" "$@"; done
  for z in "${zlib[@]}"; do o="$obj/z_$z.o"; objs+=("$o"); compile emcc "$zsrc/$z.c" "$o" -O3 -w -DHAVE_UNISTD_H -I"$zsrc" "$@"; done
  for p in "${pids[@]}"; do wait "$p"; done
  pids=()
  em++ -O3 -msimd128 "$@" "${objs[@]}" -o "$out/$name.js" \
    -sMODULARIZE=1 -sEXPORT_NAME=createNnlabBench \
    -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=1GB \
    -sEXPORTED_FUNCTIONS=_malloc,_free,_nnlab_bench_train,_nnlab_bench_check_kernels,_nnlab_bench_gemm,_nnlab_bench_check_gemm \
    -sEXPORTED_RUNTIME_METHODS=allocateUTF8 "${link[@]}"
  echo "built $out/$name.js"
}
# Each twice: SIMD128, and with relaxed SIMD's fused multiply-add (_rs; clang 14's early
# opcodes rewritten by tools/wasm_relaxed_simd), which index.html loads where the browser has it.
link=(-sENVIRONMENT=web)
build bench_web serial
build bench_web_rs serial -mrelaxed-simd
# With pthreads: the math on `threads` threads, for run.js --threads (a cross-origin isolated page).
link=(-sENVIRONMENT=web,worker "-sPTHREAD_POOL_SIZE=navigator.hardwareConcurrency" -Wno-pthreads-mem-growth)
build bench_web_mt threads -pthread
build bench_web_mt_rs threads -pthread -mrelaxed-simd
"$root/tools/wasm_relaxed_simd" "$out/bench_web_rs.wasm" "$out/bench_web_mt_rs.wasm" >/dev/null
