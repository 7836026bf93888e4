#!/bin/bash
# Builds the engine side of the browser benchmark with Debian's em++ into
# build-bench-wasm/bench_web/{bench_web.js,bench_web.wasm}: the engine sources (with
# the SIMD kernels over wasm SIMD128 beside the Eigen reference, as the top
# CMakeLists picks them for Emscripten), zlib
# from .cache/src/zlib (tools/fetch_sources) and bench/web/bench_web.cpp.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${BUILD_DIR:-$root/build-bench-wasm}/bench_web"
zsrc="$root/.cache/src/zlib"
export NODE_PATH=/usr/share/nodejs
[ -f "$zsrc/inflate.c" ] || { echo "build.sh: no zlib source in $zsrc: run tools/fetch_sources" >&2; exit 1; }
mkdir -p "$out/obj"
cxxflags=(-O3 -msimd128 -std=c++17 -Wall -Wextra -DEIGEN_MPL2_ONLY -isystem /usr/include/eigen3
          -isystem "$zsrc" -I"$root/engine" -DNNLAB_SIMD_KERNELS)
srcs=()
for f in "$root"/engine/*.cpp; do
  case "$(basename "$f")" in kernels_*|parallel_threads.cpp) continue ;; esac
  srcs+=("$f")
done
srcs+=("$root/engine/kernels_simd.cpp" "$root/engine/kernels_eigen.cpp" "$root/bench/web/bench_web.cpp")
zlib=(adler32 crc32 deflate infback inffast inflate inftrees trees zutil compress uncompr gzclose gzlib gzread gzwrite)
objs=() pids=()
compile() {  # cc src obj flags...: recompiles only when the source or a header is newer
  local cc=$1 src=$2 obj=$3; shift 3
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$root/engine" -name '*.h' -newer "$obj" | head -1)" ]; then
    "$cc" "$@" -c "$src" -o "$obj" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
}
for s in "${srcs[@]}"; do o="$out/obj/$(basename "${s%.cpp}").o"; objs+=("$o"); compile em++ "$s" "$o" "${cxxflags[@]}"; done
for z in "${zlib[@]}"; do o="$out/obj/z_$z.o"; objs+=("$o"); compile emcc "$zsrc/$z.c" "$o" -O3 -w -DHAVE_UNISTD_H -I"$zsrc"; done
for p in "${pids[@]}"; do wait "$p"; done
em++ -O3 -msimd128 "${objs[@]}" -o "$out/bench_web.js" \
  -sMODULARIZE=1 -sEXPORT_NAME=createNnlabBench -sENVIRONMENT=web \
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=1GB \
  -sEXPORTED_FUNCTIONS=_malloc,_free,_nnlab_bench_train,_nnlab_bench_check_kernels
echo "built $out/bench_web.js"
