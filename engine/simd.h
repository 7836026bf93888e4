// One SIMD register of floats for engine/kernels_simd.cpp: AVX-512, AVX2+FMA or
// WebAssembly SIMD128, chosen by the compiler's predefined macros, with the GEMM tile
// sizes that fit each target's register file. Only kernels_simd.cpp includes this.
#pragma once
// GCC 12 warns (-Wuninitialized) on _mm512_undefined_ps() inside its own AVX-512 intrinsics.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cstddef>
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#error "engine/simd.h needs AVX2+FMA or wasm SIMD128; CMake links kernels_eigen.cpp elsewhere"
#endif

namespace nnlab::simd {

// The interface, per target:
//   V, kW                 a register of kW floats
//   zero, set1, load, store, madd(a, b, c) = a*b + c
//   add, mul, sub, div, nmadd(a, b, c) = c - a*b (one rounding where the target has FMA)
//   clamp(v, lo, hi)      v limited to [lo, hi]; a NaN stays NaN
//   zero_tiny(v, t)       0 where |v| < t, else v (NaN kept)
//   pow2_magic(t)         2^n where t = n + 1.5 * 2^23 exactly, n an integer in [-126, 127]:
//                         t's low bits hold n, so (bits(t) + 127) << 23 are 2^n's bits
//   bytes(p)              kW bytes (0..255) as kW floats, exactly
//   loadn, storen         the first n < kW lanes (the rest read as 0, never touched)
//   hsum(v)               the sum of v's lanes
//   hsum4(dst, v0..v3, bias)  dst[i] = hsum(v_i) + (bias ? bias[i] : 0), i < 4
//   kNtMR x kNtNR         dot-product tile (gemm_nt): accumulators = MR*NR registers
//   kOpMR x kOpNR         outer-product tile (gemm_nn/tn): MR rows by NR vectors
//   kName                 what kernels_name() reports
//   FlushDenormals        a scope in which values below FLT_MIN count as 0 (x86; see below)

#if defined(__AVX512F__)
// [SECTION] AVX-512: 32 zmm registers
using V = __m512;
constexpr int kW = 16;
inline V zero() { return _mm512_setzero_ps(); }
inline V set1(float x) { return _mm512_set1_ps(x); }
inline V load(const float* p) { return _mm512_loadu_ps(p); }
inline V loadn(const float* p, int n) { return _mm512_maskz_loadu_ps(__mmask16((1u << n) - 1), p); }
inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
inline void storen(float* p, V v, int n) { _mm512_mask_storeu_ps(p, __mmask16((1u << n) - 1), v); }
inline V madd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V mul(V a, V b) { return _mm512_mul_ps(a, b); }
inline V sub(V a, V b) { return _mm512_sub_ps(a, b); }
inline V div(V a, V b) { return _mm512_div_ps(a, b); }
inline V bytes(const uint8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
inline V nmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
inline V add(V a, V b) { return _mm512_add_ps(a, b); }
inline V clamp(V v, V lo, V hi) { return _mm512_max_ps(lo, _mm512_min_ps(hi, v)); }  // NaN: the second operand
inline V zero_tiny(V v, V t) { return _mm512_maskz_mov_ps(~_mm512_cmp_ps_mask(_mm512_abs_ps(v), t, _CMP_LT_OQ), v); }
inline V pow2_magic(V t) {
  const __m512i b = _mm512_add_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(b, 23));
}
inline float hsum(V v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E));  // + the other 256-bit half
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0xB1));  // + the neighbouring 128-bit lane
  __m128 s = _mm512_castps512_ps128(v);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
// The four sums at once: the reductions of a dot-product tile cost as much as its
// FMAs at K = 100 when done one register at a time.
inline void hsum4(float* dst, V v0, V v1, V v2, V v3, const float* bias) {
  // Fold 512 -> 128 bits, pairing registers so that lane i ends up holding v_i.
  V s01 = _mm512_add_ps(_mm512_shuffle_f32x4(v0, v1, 0x44), _mm512_shuffle_f32x4(v0, v1, 0xEE));
  V s23 = _mm512_add_ps(_mm512_shuffle_f32x4(v2, v3, 0x44), _mm512_shuffle_f32x4(v2, v3, 0xEE));
  V s = _mm512_add_ps(_mm512_shuffle_f32x4(s01, s23, 0x88), _mm512_shuffle_f32x4(s01, s23, 0xDD));
  s = _mm512_add_ps(s, _mm512_permute_ps(s, 0xB1));  // within each lane: every element = sum
  s = _mm512_add_ps(s, _mm512_permute_ps(s, 0x4E));
  __m128 r = _mm512_castps512_ps128(
      _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s));
  _mm_storeu_ps(dst, _mm_add_ps(r, bias ? _mm_loadu_ps(bias) : _mm_setzero_ps()));
}
constexpr int kNtMR = 5, kNtNR = 4, kOpMR = 6, kOpNR = 4;
constexpr const char* kName = "AVX-512 kernels";

#elif defined(__AVX2__)
// [SECTION] AVX2 + FMA: 16 ymm registers
using V = __m256;
constexpr int kW = 8;
inline __m256i tail_mask(int n) {
  alignas(32) static const int32_t bits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 8 - n));
}
inline V zero() { return _mm256_setzero_ps(); }
inline V set1(float x) { return _mm256_set1_ps(x); }
inline V load(const float* p) { return _mm256_loadu_ps(p); }
inline V loadn(const float* p, int n) { return _mm256_maskload_ps(p, tail_mask(n)); }
inline void store(float* p, V v) { _mm256_storeu_ps(p, v); }
inline void storen(float* p, V v, int n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
inline V madd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V mul(V a, V b) { return _mm256_mul_ps(a, b); }
inline V sub(V a, V b) { return _mm256_sub_ps(a, b); }
inline V div(V a, V b) { return _mm256_div_ps(a, b); }
inline V bytes(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
inline V nmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
inline V add(V a, V b) { return _mm256_add_ps(a, b); }
inline V clamp(V v, V lo, V hi) { return _mm256_max_ps(lo, _mm256_min_ps(hi, v)); }  // NaN: the second operand
inline V zero_tiny(V v, V t) {
  return _mm256_andnot_ps(_mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v), t, _CMP_LT_OQ), v);
}
inline V pow2_magic(V t) {
  const __m256i b = _mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(b, 23));
}
inline float hsum(V v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline void hsum4(float* dst, V v0, V v1, V v2, V v3, const float* bias) {
  V h = _mm256_hadd_ps(_mm256_hadd_ps(v0, v1), _mm256_hadd_ps(v2, v3));
  __m128 r = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  _mm_storeu_ps(dst, _mm_add_ps(r, bias ? _mm_loadu_ps(bias) : _mm_setzero_ps()));
}
constexpr int kNtMR = 2, kNtNR = 4, kOpMR = 4, kOpNR = 2;
constexpr const char* kName = "AVX2 kernels";

#else
// [SECTION] WebAssembly SIMD128: the browser's JIT maps v128 locals to 16 xmm
// registers. Plain SIMD128 has no fused multiply-add: mul + add. Built with
// -mrelaxed-simd (NNLAB_WASM_RELAXED_SIMD), madd is relaxed SIMD's f32x4.relaxed_madd,
// an FMA where the CPU has one. Clang 14 emits the proposal's early opcodes for it,
// which browsers no longer take: tools/wasm_relaxed_simd rewrites them after linking.
using V = v128_t;
constexpr int kW = 4;
inline V zero() { return wasm_f32x4_splat(0.0f); }
inline V set1(float x) { return wasm_f32x4_splat(x); }
inline V load(const float* p) { return wasm_v128_load(p); }
inline V loadn(const float* p, int n) {  // no masked loads: go through a zeroed buffer
  alignas(16) float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int i = 0; i < n; ++i) t[i] = p[i];
  return wasm_v128_load(t);
}
inline void store(float* p, V v) { wasm_v128_store(p, v); }
inline void storen(float* p, V v, int n) {
  alignas(16) float t[4];
  wasm_v128_store(t, v);
  for (int i = 0; i < n; ++i) p[i] = t[i];
}
#ifdef __wasm_relaxed_simd__
inline V madd(V a, V b, V c) { return (V)__builtin_wasm_fma_f32x4((__f32x4)a, (__f32x4)b, (__f32x4)c); }
inline V nmadd(V a, V b, V c) { return (V)__builtin_wasm_fms_f32x4((__f32x4)a, (__f32x4)b, (__f32x4)c); }
#else
inline V madd(V a, V b, V c) { return wasm_f32x4_add(c, wasm_f32x4_mul(a, b)); }
inline V nmadd(V a, V b, V c) { return wasm_f32x4_sub(c, wasm_f32x4_mul(a, b)); }
#endif
inline V mul(V a, V b) { return wasm_f32x4_mul(a, b); }
inline V sub(V a, V b) { return wasm_f32x4_sub(a, b); }
inline V div(V a, V b) { return wasm_f32x4_div(a, b); }
inline V add(V a, V b) { return wasm_f32x4_add(a, b); }
// pmin/pmax are one x86 instruction each (min/max are several, for NaN and -0); with v
// first, a NaN v is what they return.
inline V clamp(V v, V lo, V hi) { return wasm_f32x4_pmax(wasm_f32x4_pmin(v, hi), lo); }
inline V zero_tiny(V v, V t) { return wasm_v128_andnot(v, wasm_f32x4_lt(wasm_f32x4_abs(v), t)); }
inline V pow2_magic(V t) { return wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127)), 23); }
// Each byte into the low mantissa bits of 2^23, less 2^23: exact. Clang 14 turns the
// extend + convert intrinsics into lane-by-lane scalar code here, and a batch of 100
// images took 66-72 us to convert in V8 that way, 16 us so (a node microbenchmark).
inline V bytes(const uint8_t* p) {
  const V b = wasm_v128_load32_zero(p), z = wasm_i32x4_splat(0);
  const V q = wasm_i8x16_shuffle(b, z, 0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 3, 16, 16, 16);
  return wasm_f32x4_sub(wasm_v128_or(q, wasm_i32x4_splat(0x4B000000)), wasm_f32x4_splat(8388608.0f));
}
inline float hsum(V v) {
  V s = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}
inline void hsum4(float* dst, V v0, V v1, V v2, V v3, const float* bias) {
  // A 4x4 transpose by halves: lane i of the result is the sum of v_i.
  V a = wasm_f32x4_add(wasm_i32x4_shuffle(v0, v1, 0, 2, 4, 6), wasm_i32x4_shuffle(v0, v1, 1, 3, 5, 7));
  V b = wasm_f32x4_add(wasm_i32x4_shuffle(v2, v3, 0, 2, 4, 6), wasm_i32x4_shuffle(v2, v3, 1, 3, 5, 7));
  V s = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 2, 4, 6), wasm_i32x4_shuffle(a, b, 1, 3, 5, 7));
  wasm_v128_store(dst, bias ? wasm_f32x4_add(s, wasm_v128_load(bias)) : s);
}
// The outer-product tile is 2 rows by 4 vectors: per k, 2 broadcasts of A and 4
// loads of B for 8 multiply-adds, where 4 x 2 took 4 broadcasts. bench/web/gemm.js
// (headless Chromium 156, both builds interleaved): the weight gradients and input
// gradients 1.08-1.16x (median) with relaxed SIMD, 1.05-1.15x with SIMD128; gemm_nt unchanged.
constexpr int kNtMR = 2, kNtNR = 4, kOpMR = 2, kOpNR = 4;
#ifdef __wasm_relaxed_simd__
constexpr const char* kName = "wasm relaxed-SIMD kernels";
#else
constexpr const char* kName = "wasm SIMD kernels";
#endif
#endif

// [SECTION] denormals
// A sigmoid net saturates: its deltas shrink layer by layer below FLT_MIN (1.2e-38),
// and on x86 each multiply-add that meets or makes such a denormal takes a microcode
// assist of ~100 cycles. [784,1024,1024,10] at batch 256 spent a third of its time
// so (bench_train, AVX-512: 7,975 -> 12,415 samples/s with them flushed). The kernels
// therefore run with MXCSR's flush-to-zero and denormals-are-zero, as oneDNN and
// TensorFlow do, and give the caller its own mode back. Every thread's kernels flush
// alike, so thread counts still agree bit for bit. WebAssembly keeps IEEE denormals.
#if defined(__SSE__)
class FlushDenormals {
 public:
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_;
};
#else
struct FlushDenormals {
  FlushDenormals() {}  // user-provided: no unused-variable warning where it does nothing
};
#endif

}  // namespace nnlab::simd
