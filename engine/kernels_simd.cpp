// Fast GEMMs over the vector type of simd.h (AVX-512, AVX2+FMA or wasm SIMD128),
// register-blocked for a dense layer's skinny shapes (one side is the batch, 10..256),
// with no packing and no allocation. Same results as the reference kernels_eigen.cpp
// to float rounding (tests/test_kernels.cpp); CMake links this file where it compiles.
#include "kernels.h"
#include "simd.h"

namespace nnlab {
namespace {

using namespace simd;

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
      for (int c = 0; c < NR; ++c) acc[r][c] = madd(a, b[c], acc[r][c]);
    }
  }
  if (k < K) {
    const int n = K - k;
    V b[NR];
    for (int c = 0; c < NR; ++c) b[c] = loadn(B + size_t(c) * K + k, n);
    for (int r = 0; r < MR; ++r) {
      V a = loadn(A + size_t(r) * K + k, n);
      for (int c = 0; c < NR; ++c) acc[r][c] = madd(a, b[c], acc[r][c]);
    }
  }
  if constexpr (NR == 4) {
    for (int r = 0; r < MR; ++r)
      hsum4(C + size_t(r) * ldc, acc[r][0], acc[r][1], acc[r][2], acc[r][3], bias);
  } else {
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) C[size_t(r) * ldc + c] = hsum(acc[r][c]) + (bias ? bias[c] : 0.0f);
  }
}

// G blocks of MR rows each (G*MR rows of C and A) over every tile of B in turn.
template <int MR, int G = 1>
void nt_row_block(float* C, const float* A, const float* B, const float* bias, int N, int K) {
  int j = 0;
  for (; j + kNtNR <= N; j += kNtNR)
    for (int g = 0; g < G; ++g)
      nt_tile<MR, kNtNR>(C + size_t(g) * MR * N + j, N, A + size_t(g) * MR * K, B + size_t(j) * K,
                         bias ? bias + j : nullptr, K);
  for (; j < N; ++j)
    for (int g = 0; g < G; ++g)
      nt_tile<MR, 1>(C + size_t(g) * MR * N + j, N, A + size_t(g) * MR * K, B + size_t(j) * K,
                     bias ? bias + j : nullptr, K);
}

// [SECTION] outer-product tiles: C (M,N) = sum_k a(i,k) * B (K,N)
// a(i,k) = A[i*sai + k*sak] covers both A (M,K) (gemm_nn) and A (K,M)^T (gemm_tn).
// MR broadcast values of A times NR vectors of a row of B per k; C is written once.
// The last of the NR vectors holds last_n <= kW columns.
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
      for (int c = 0; c < NR; ++c) acc[r][c] = madd(a, b[c], acc[r][c]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) {
      float* dst = C + size_t(r) * ldc + c * kW;
      if (c == NR - 1 && last_n < kW) storen(dst, acc[r][c], last_n);
      else store(dst, acc[r][c]);
    }
}

// The last rows < MR of a panel in one tile of that many rows. Row by row, each
// tile loads as many vectors of B as it does FMAs and is bound by loads: the 4
// rows left of a conv's 40 filters (6-row tiles) took a sixth of its GEMM's time.
template <int NR, int MR = kOpMR - 1>
void op_rest(int rows, float* C, int ldc, const float* A, int sai, int sak, const float* B, int ldb, int K,
             int last_n) {
  if constexpr (MR >= 1) {
    if (rows == MR) return op_tile<MR, NR>(C, ldc, A, sai, sak, B, ldb, K, last_n);
    op_rest<NR, MR - 1>(rows, C, ldc, A, sai, sak, B, ldb, K, last_n);
  }
}

// One column panel [j, j+width) of C, all rows; width <= kOpNR*kW.
template <int NR>
void op_panel(float* C, const float* A, int sai, int sak, const float* B, int M, int N, int K,
              int j, int last_n) {
  int i = 0;
  for (; i + kOpMR <= M; i += kOpMR)
    op_tile<kOpMR, NR>(C + size_t(i) * N + j, N, A + size_t(i) * sai, sai, sak, B + j, N, K, last_n);
  op_rest<NR>(M - i, C + size_t(i) * N + j, N, A + size_t(i) * sai, sai, sak, B + j, N, K, last_n);
}

void outer_gemm(float* C, const float* A, int sai, int sak, const float* B, int M, int N, int K) {
  if (K == 0) {  // A may be empty (even null): no row offsets into it
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
  // Two row blocks share each tile of B: with K in the hundreds, their rows of A and the
  // tile's rows of B still fit in L1 together, and B, which does not, comes from L2 once
  // per two blocks. The second conv's weight gradient, (40, 500) over K = 640: from
  // 210-250 to 163 us. Each output is still one tile's sum: the same bits.
  for (; i + 2 * kNtMR <= M; i += 2 * kNtMR)
    nt_row_block<kNtMR, 2>(C + size_t(i) * N, A + size_t(i) * K, B, bias, N, K);
  for (; i + kNtMR <= M; i += kNtMR)
    nt_row_block<kNtMR>(C + size_t(i) * N, A + size_t(i) * K, B, bias, N, K);
  for (; i < M; ++i) nt_row_block<1>(C + size_t(i) * N, A + size_t(i) * K, B, bias, N, K);
}

void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K) {
  outer_gemm(C, A, /*sai=*/K, /*sak=*/1, B, M, N, K);
}

void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, int lda) {
  outer_gemm(C, A, /*sai=*/1, /*sak=*/lda ? lda : M, B, M, N, K);
}

const char* kernels_name() { return kName; }
// Each element's sum runs over K in one order whatever the tile rows: a row's
// values depend on its columns' tiling only, which a row split does not change.
bool kernels_split_rows() { return true; }

}  // namespace nnlab
