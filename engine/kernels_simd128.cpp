// Fast GEMMs for WebAssembly SIMD (128-bit f32x4): Eigen 3.4 has no wasm SIMD
// path, so the WASM build links this file instead of kernels_eigen.cpp. Same tile
// scheme as kernels_native.cpp, sized for the 16 xmm registers the browser's JIT
// maps v128 locals to; wasm has no fused multiply-add, so it is mul + add.
#include <wasm_simd128.h>

#include <cstddef>

#include "kernels.h"

namespace nnlab {
namespace {

using V = v128_t;
constexpr int kW = 4;
inline V zero() { return wasm_f32x4_splat(0.0f); }
inline V set1(float x) { return wasm_f32x4_splat(x); }
inline V load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, V v) { wasm_v128_store(p, v); }
inline V madd(V a, V b, V c) { return wasm_f32x4_add(c, wasm_f32x4_mul(a, b)); }
inline float hsum(V v) {
  V s = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

// Dot-product tiles 2x4 (8 accumulators), outer-product tiles 4x2 vectors.
constexpr int kNtMR = 2, kNtNR = 4, kOpMR = 4, kOpNR = 2;

// [SECTION] dot-product tiles: C (M,N) = A (M,K) . B (N,K)^T + bias
template <int MR, int NR>
void nt_tile(float* C, int ldc, const float* A, const float* B, const float* bias, int K) {
  V acc[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) acc[r][c] = zero();
  int k = 0;
  for (; k + kW <= K; k += kW) {
    V b[NR];
    for (int c = 0; c < NR; ++c) b[c] = load(B + size_t(c) * K + k);
    for (int r = 0; r < MR; ++r) {
      V a = load(A + size_t(r) * K + k);
      for (int c = 0; c < NR; ++c) acc[r][c] = madd(a, b[c], acc[r][c]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) {
      float s = hsum(acc[r][c]);
      for (int t = k; t < K; ++t) s += A[size_t(r) * K + t] * B[size_t(c) * K + t];
      C[size_t(r) * ldc + c] = s + (bias ? bias[c] : 0.0f);
    }
}

template <int MR>
void nt_row_block(float* C, const float* A, const float* B, const float* bias, int N, int K) {
  int j = 0;
  for (; j + kNtNR <= N; j += kNtNR)
    nt_tile<MR, kNtNR>(C + j, N, A, B + size_t(j) * K, bias ? bias + j : nullptr, K);
  for (; j < N; ++j) nt_tile<MR, 1>(C + j, N, A, B + size_t(j) * K, bias ? bias + j : nullptr, K);
}

// [SECTION] outer-product tiles: C (M,N) = sum_k a(i,k) * B (K,N)
// a(i,k) = A[i*sai + k*sak] covers both A (M,K) (gemm_nn) and A (K,M)^T (gemm_tn).
template <int MR, int NR>
void op_tile(float* C, int ldc, const float* A, int sai, int sak, const float* B, int ldb, int K) {
  V acc[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) acc[r][c] = zero();
  for (int k = 0; k < K; ++k) {
    const float* brow = B + size_t(k) * ldb;
    V b[NR];
    for (int c = 0; c < NR; ++c) b[c] = load(brow + c * kW);
    const float* ak = A + size_t(k) * sak;
    for (int r = 0; r < MR; ++r) {
      V a = set1(ak[size_t(r) * sai]);
      for (int c = 0; c < NR; ++c) acc[r][c] = madd(a, b[c], acc[r][c]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) store(C + size_t(r) * ldc + c * kW, acc[r][c]);
}

template <int NR>
void op_panel(float* C, const float* A, int sai, int sak, const float* B, int M, int N, int K,
              int j) {
  int i = 0;
  for (; i + kOpMR <= M; i += kOpMR)
    op_tile<kOpMR, NR>(C + size_t(i) * N + j, N, A + size_t(i) * sai, sai, sak, B + j, N, K);
  for (; i < M; ++i)
    op_tile<1, NR>(C + size_t(i) * N + j, N, A + size_t(i) * sai, sai, sak, B + j, N, K);
}

void outer_gemm(float* C, const float* A, int sai, int sak, const float* B, int M, int N, int K) {
  constexpr int kPanel = kOpNR * kW;
  int j = 0;
  for (; j + kPanel <= N; j += kPanel) op_panel<kOpNR>(C, A, sai, sak, B, M, N, K, j);
  for (; j + kW <= N; j += kW) op_panel<1>(C, A, sai, sak, B, M, N, K, j);
  for (; j < N; ++j)  // the last N % 4 columns
    for (int i = 0; i < M; ++i) {
      float s = 0.0f;
      for (int k = 0; k < K; ++k) s += A[size_t(i) * sai + size_t(k) * sak] * B[size_t(k) * N + j];
      C[size_t(i) * N + j] = s;
    }
}

}  // namespace

void gemm_nt(float* C, const float* A, const float* B, const float* bias, int M, int N, int K) {
  int i = 0;
  for (; i + kNtMR <= M; i += kNtMR)
    nt_row_block<kNtMR>(C + size_t(i) * N, A + size_t(i) * K, B, bias, N, K);
  for (; i < M; ++i) nt_row_block<1>(C + size_t(i) * N, A + size_t(i) * K, B, bias, N, K);
}

void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K) {
  outer_gemm(C, A, /*sai=*/K, /*sak=*/1, B, M, N, K);
}

void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K) {
  outer_gemm(C, A, /*sai=*/1, /*sak=*/M, B, M, N, K);
}

const char* kernels_name() { return "wasm SIMD kernels"; }

}  // namespace nnlab
