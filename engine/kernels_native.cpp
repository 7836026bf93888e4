// Fast GEMMs for x86-64 with AVX-512 or AVX2+FMA (the native build's -march=native),
// register-blocked for a dense layer's skinny shapes (one side is the batch, 10..256),
// with no packing and no allocation. Same results as kernels_eigen.cpp to float
// rounding; CMake links this file instead of it where the compiler targets AVX2.
// GCC 12 warns (-Wuninitialized) on _mm512_undefined_ps() inside its own AVX-512 intrinsics.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstdint>

#include "kernels.h"

#if !defined(__AVX2__) || !defined(__FMA__)
#error "kernels_native.cpp needs AVX2 and FMA (-march=native on a recent x86-64); use kernels_eigen.cpp"
#endif

namespace nnlab {
namespace {

// [SECTION] one SIMD register of floats, AVX-512 or AVX2
#if defined(__AVX512F__)
using V = __m512;
constexpr int kW = 16;
inline V zero() { return _mm512_setzero_ps(); }
inline V set1(float x) { return _mm512_set1_ps(x); }
inline V load(const float* p) { return _mm512_loadu_ps(p); }
inline V loadn(const float* p, int n) { return _mm512_maskz_loadu_ps(__mmask16((1u << n) - 1), p); }
inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
inline void storen(float* p, V v, int n) { _mm512_mask_storeu_ps(p, __mmask16((1u << n) - 1), v); }
inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline float hsum(V v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E));  // + the other 256-bit half
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0xB1));  // + the neighbouring 128-bit lane
  __m128 s = _mm512_castps512_ps128(v);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
// The four sums of v0..v3 at once: the reductions of a dot-product tile cost as much
// as its FMAs at K = 100 when done one register at a time.
inline __m128 hsum4(V v0, V v1, V v2, V v3) {
  // Fold 512 -> 128 bits, pairing registers so that lane i ends up holding v_i.
  V s01 = _mm512_add_ps(_mm512_shuffle_f32x4(v0, v1, 0x44), _mm512_shuffle_f32x4(v0, v1, 0xEE));
  V s23 = _mm512_add_ps(_mm512_shuffle_f32x4(v2, v3, 0x44), _mm512_shuffle_f32x4(v2, v3, 0xEE));
  V s = _mm512_add_ps(_mm512_shuffle_f32x4(s01, s23, 0x88), _mm512_shuffle_f32x4(s01, s23, 0xDD));
  s = _mm512_add_ps(s, _mm512_permute_ps(s, 0xB1));  // within each lane: every element = sum
  s = _mm512_add_ps(s, _mm512_permute_ps(s, 0x4E));
  return _mm512_castps512_ps128(
      _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s));
}
// 32 registers: dot-product tiles of 5x4 accumulators, outer-product tiles of 6x4.
constexpr int kNtMR = 5, kNtNR = 4, kOpMR = 6, kOpNR = 4;
#else
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
inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline float hsum(V v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline __m128 hsum4(V v0, V v1, V v2, V v3) {
  V h = _mm256_hadd_ps(_mm256_hadd_ps(v0, v1), _mm256_hadd_ps(v2, v3));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}
// 16 registers.
constexpr int kNtMR = 2, kNtNR = 4, kOpMR = 4, kOpNR = 2;
#endif

// [SECTION] dot-product tiles: C (M,N) = A (M,K) . B (N,K)^T + bias
// Both operands run along K, so each output is a dot product: MR rows of A times
// NR rows of B accumulate MR*NR registers, reduced once at the end.
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
      for (int c = 0; c < NR; ++c) acc[r][c] = fma(a, b[c], acc[r][c]);
    }
  }
  if (k < K) {
    const int n = K - k;
    V b[NR];
    for (int c = 0; c < NR; ++c) b[c] = loadn(B + size_t(c) * K + k, n);
    for (int r = 0; r < MR; ++r) {
      V a = loadn(A + size_t(r) * K + k, n);
      for (int c = 0; c < NR; ++c) acc[r][c] = fma(a, b[c], acc[r][c]);
    }
  }
  if constexpr (NR == 4) {
    const __m128 b4 = bias ? _mm_loadu_ps(bias) : _mm_setzero_ps();
    for (int r = 0; r < MR; ++r)
      _mm_storeu_ps(C + size_t(r) * ldc,
                    _mm_add_ps(hsum4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]), b4));
  } else {
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) C[size_t(r) * ldc + c] = hsum(acc[r][c]) + (bias ? bias[c] : 0.0f);
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
// MR broadcast values of A times NR vectors of a row of B per k; C is written once.
template <int MR, int NR>
void op_tile(float* C, int ldc, const float* A, int sai, int sak, const float* B, int ldb, int K,
             int last_n) {
  V acc[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) acc[r][c] = zero();
  for (int k = 0; k < K; ++k) {
    const float* brow = B + size_t(k) * ldb;
    V b[NR];
    for (int c = 0; c < NR; ++c)
      b[c] = (c == NR - 1 && last_n < kW) ? loadn(brow + c * kW, last_n) : load(brow + c * kW);
    const float* ak = A + size_t(k) * sak;
    for (int r = 0; r < MR; ++r) {
      V a = set1(ak[size_t(r) * sai]);
      for (int c = 0; c < NR; ++c) acc[r][c] = fma(a, b[c], acc[r][c]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) {
      float* dst = C + size_t(r) * ldc + c * kW;
      if (c == NR - 1 && last_n < kW) storen(dst, acc[r][c], last_n);
      else store(dst, acc[r][c]);
    }
}

// One column panel [j, j+width) of C, all rows; width <= kOpNR*kW.
template <int NR>
void op_panel(float* C, const float* A, int sai, int sak, const float* B, int M, int N, int K,
              int j, int last_n) {
  int i = 0;
  for (; i + kOpMR <= M; i += kOpMR)
    op_tile<kOpMR, NR>(C + size_t(i) * N + j, N, A + size_t(i) * sai, sai, sak, B + j, N, K, last_n);
  for (; i < M; ++i)
    op_tile<1, NR>(C + size_t(i) * N + j, N, A + size_t(i) * sai, sai, sak, B + j, N, K, last_n);
}

void outer_gemm(float* C, const float* A, int sai, int sak, const float* B, int M, int N, int K) {
  if (K == 0) {
    for (size_t e = 0; e < size_t(M) * N; ++e) C[e] = 0.0f;
    return;
  }
  constexpr int kPanel = kOpNR * kW;
  int j = 0;
  for (; j + kPanel <= N; j += kPanel) op_panel<kOpNR>(C, A, sai, sak, B, M, N, K, j, kW);
  while (j < N) {  // the last columns, one vector (maybe partial) at a time
    int n = N - j < kW ? N - j : kW;
    op_panel<1>(C, A, sai, sak, B, M, N, K, j, n);
    j += n;
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

const char* kernels_name() {
#if defined(__AVX512F__)
  return "AVX-512 kernels";
#else
  return "AVX2 kernels";
#endif
}

}  // namespace nnlab
