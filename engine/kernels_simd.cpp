// Fast GEMMs over the vector type of simd.h (AVX-512, AVX2+FMA or wasm SIMD128),
// register-blocked for a dense layer's skinny shapes (one side is the batch, 10..256),
// unpacked except where operand rows are 2 KB-multiples apart (pack_pays; one
// thread-local buffer each). Same results as the reference kernels_eigen.cpp
// to float rounding (tests/test_kernels.cpp); CMake links this file where it compiles.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "simd.h"

namespace nnlab {
namespace {

using namespace simd;

// Rows a multiple of 512 floats (2 KB) apart map to at most two of the 64 sets of an
// L1 cache (8-12 ways), so a tile re-reading K such rows keeps missing it: outer_gemm
// then copies the operand to contiguous rows first, where at least 4 row tiles and a
// K of 32 or more reuse the copy. Elsewhere copying only costs: the book's conv nets
// (strides of 40-500 floats) were 9% slower with every operand packed.
// gemm_nt takes A's rows in chunks of at most kNtChunk floats (256 KB: they stay in
// L2) when B is larger than twice that.
constexpr int kNtChunk = 64 * 1024;
constexpr int kL2 = 256 * 1024;  // floats (1 MB): an output larger than this goes to memory
constexpr int kPackRows = 4 * kOpMR, kPackK = 32;
inline bool pack_pays(int stride, int M, int K) { return stride % 512 == 0 && M >= kPackRows && K >= kPackK; }

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

// A tile of MR rows by the last `cols` < kNtNR columns.
template <int MR, int NR = kNtNR - 1>
void nt_rest(int cols, float* C, int ldc, const float* A, const float* B, const float* bias, int K) {
  if constexpr (NR >= 1) {
    if (cols == NR) return nt_tile<MR, NR>(C, ldc, A, B, bias, K);
    nt_rest<MR, NR - 1>(cols, C, ldc, A, B, bias, K);
  }
}

// G blocks of MR rows each (G*MR rows of C and A) over every tile of B in turn;
// C's rows are ldc floats apart, B's N rows are its columns [j0, j0 + N).
template <int MR, int G = 1>
void nt_row_block(float* C, int ldc, const float* A, const float* B, const float* bias, int N, int K) {
  int j = 0;
  for (; j + kNtNR <= N; j += kNtNR)
    for (int g = 0; g < G; ++g)
      nt_tile<MR, kNtNR>(C + size_t(g) * MR * ldc + j, ldc, A + size_t(g) * MR * K, B + size_t(j) * K,
                         bias ? bias + j : nullptr, K);
  // The last N % kNtNR columns in one tile: column by column, each reloaded A's rows for
  // one multiply-add per load ([784,30,10]'s 2 of 30). Each output keeps its own
  // accumulator and hsum either way: the same bits.
  if (j < N)
    for (int g = 0; g < G; ++g) nt_rest<MR>(N - j, C + size_t(g) * MR * ldc + j, ldc, A + size_t(g) * MR * K,
                                            B + size_t(j) * K, bias ? bias + j : nullptr, K);
}

// Rows [0, M) of C against the N rows of B (a column block of C, ldc apart). Two row
// blocks share each tile of B: with K in the hundreds, their rows of A and the tile's
// rows of B still fit in L1 together. The second conv's weight gradient, (40, 500)
// over K = 640: from 210-250 to 163 us. Each output is still one tile's sum: the same bits.
void nt_rows(float* C, int ldc, const float* A, const float* B, const float* bias, int M, int N, int K) {
  int i = 0;
  for (; i + 2 * kNtMR <= M; i += 2 * kNtMR)
    nt_row_block<kNtMR, 2>(C + size_t(i) * ldc, ldc, A + size_t(i) * K, B, bias, N, K);
  for (; i + kNtMR <= M; i += kNtMR)
    nt_row_block<kNtMR>(C + size_t(i) * ldc, ldc, A + size_t(i) * K, B, bias, N, K);
  for (; i < M; ++i) nt_row_block<1>(C + size_t(i) * ldc, ldc, A + size_t(i) * K, B, bias, N, K);
}

// [SECTION] the SGD step: p -= scale * g + l2 * p, with l2 = 0 p -= scale * g in one rounding
// (what GCC makes of the scalar expression too: the same bits as sgd_update had before)
struct Step {
  V scale, l2;
  bool decay;
  Step(float s, float l) : scale(set1(s)), l2(set1(l)), decay(l != 0.0f) {}
  V operator()(V p, V g) const { return decay ? sub(p, madd(l2, p, mul(scale, g))) : nmadd(scale, g, p); }
};

// [SECTION] outer-product tiles: C (M,N) = sum_k a(i,k) * B (K,N)
// a(i,k) = A[i*sai + k*sak] covers both A (M,K) (gemm_nn) and A (K,M)^T (gemm_tn).
// MR broadcast values of A times NR vectors of a row of B per k; C is written once
// (with a step: C -= step of the sums, C being weights; see gemm_tn_sgd).
// The last of the NR vectors holds last_n <= kW columns.
template <int MR, int NR>
void op_tile(float* C, int ldc, const float* A, int sai, int sak, const float* B, int ldb, int K,
             int last_n, const Step* step) {
  V acc[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) acc[r][c] = zero();
  // Pointers stepped once per k, not k * stride each time: clang leaves those multiplies
  // in the wasm loop, and V8 does not take them out.
  const float* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = A + size_t(r) * sai;
  const float* brow = B;
  for (int k = 0; k < K; ++k, brow += ldb) {
    V b[NR];
    for (int c = 0; c < NR; ++c)
      b[c] = (c == NR - 1 && last_n < kW) ? loadn(brow + c * kW, last_n) : load(brow + c * kW);
    for (int r = 0; r < MR; ++r) {
      V a = set1(*ar[r]);
      ar[r] += sak;
      for (int c = 0; c < NR; ++c) acc[r][c] = madd(a, b[c], acc[r][c]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) {
      float* dst = C + size_t(r) * ldc + c * kW;
      const bool part = c == NR - 1 && last_n < kW;
      V v = acc[r][c];
      if (step) v = (*step)(part ? loadn(dst, last_n) : load(dst), v);
      if (part) storen(dst, v, last_n);
      else store(dst, v);
    }
}

// The last rows < MR of a panel in one tile of that many rows. Row by row, each
// tile loads as many vectors of B as it does FMAs and is bound by loads: the 4
// rows left of a conv's 40 filters (6-row tiles) took a sixth of its GEMM's time.
template <int NR, int MR = kOpMR - 1>
void op_rest(int rows, float* C, int ldc, const float* A, int sai, int sak, const float* B, int ldb, int K,
             int last_n, const Step* step) {
  if constexpr (MR >= 1) {
    if (rows == MR) return op_tile<MR, NR>(C, ldc, A, sai, sak, B, ldb, K, last_n, step);
    op_rest<NR, MR - 1>(rows, C, ldc, A, sai, sak, B, ldb, K, last_n, step);
  }
}

// One column panel [j, j+width) of C, all rows; width <= kOpNR*kW. P: the panel's
// first row of B, its K rows ldp apart. Row tile i's A starts at A + i * step.
template <int NR>
void op_panel(float* C, const float* A, int step, int sai, int sak, const float* P, int ldp, int M,
              int N, int K, int j, int last_n, const Step* sgd) {
  int i = 0;
  for (; i + kOpMR <= M; i += kOpMR)
    op_tile<kOpMR, NR>(C + size_t(i) * N + j, N, A + size_t(i) * step, sai, sak, P, ldp, K, last_n, sgd);
  op_rest<NR>(M - i, C + size_t(i) * N + j, N, A + size_t(i) * step, sai, sak, P, ldp, K, last_n, sgd);
}

// C = A . B as above, or with sgd: C -= sgd's step of A . B.
void outer_gemm(float* C, const float* A, int sai, int sak, const float* B, int M, int N, int K,
                const Step* sgd = nullptr) {
  if (K == 0) {  // A may be empty (even null): no row offsets into it
    for (size_t e = 0; e < size_t(M) * N; ++e) C[e] = 0.0f;
    return;
  }
  int step = sai;
  if (sak != 1 && pack_pays(sak, M, K)) {
    // gemm_tn: a tile's MR values of A for one k lie in a row of A^T, and its K rows
    // are lda apart (4 KB for a 1024-wide layer: one L1 set again), re-read for every
    // panel. Each block of MR rows is copied k by k into MR*K contiguous floats
    // (the same values in the same order as unpacked: the same bits).
    static thread_local std::vector<float> pack;
    pack.resize(size_t((M + kOpMR - 1) / kOpMR) * kOpMR * size_t(K));
    for (int i0 = 0; i0 < M; i0 += kOpMR)
      for (int k = 0; k < K; ++k)
        for (int r = 0; r < kOpMR && i0 + r < M; ++r)
          pack[size_t(i0) * K + size_t(k) * kOpMR + r] = A[size_t(i0 + r) * sai + size_t(k) * sak];
    A = pack.data();
    step = K;
    sai = 1;
    sak = kOpMR;
  }
  // Every row tile reads its panel's K rows of B. With them 4 KB apart (N = 1024)
  // they all fall in one set of the L1 cache, which holds 8 of them: each tile went
  // to L2 for B, and the weight gradients of a 1024-wide layer ran at half the
  // forward GEMM's speed. So such a panel is first copied into K contiguous rows.
  const bool pack_b = pack_pays(N, M, K);
  static thread_local std::vector<float> panel;
  auto at = [&](int j, int width, int& ldp) -> const float* {
    ldp = N;
    if (!pack_b) return B + j;
    ldp = kOpNR * kW;
    panel.resize(size_t(K) * size_t(ldp));
    for (int k = 0; k < K; ++k)
      std::memcpy(&panel[size_t(k) * ldp], B + size_t(k) * N + j, size_t(width) * sizeof(float));
    return panel.data();
  };
  // Panel by panel, C is written a few hundred bytes of each row at a time, rows
  // N floats apart: fine while C stays in L2, slow when it goes to memory. So a C
  // larger than kL2 is made row tile by row tile, each across every panel, when
  // all of B stays in L2 and no panel is packed: a 1024-wide layer's weight
  // gradient at batch 10 (K = 10) took 1.9-2.4 ms panel by panel, 0.45 ms so.
  // (A smaller C went slower so: [784,100,10]'s (100, 784) by 7%, the first conv's
  // by 17%; panel by panel, each panel stays in L1 across the row tiles.) Each
  // tile's sums are the same either way: the same bits.
  const bool by_rows = !pack_b && size_t(M) * N > size_t(kL2) && size_t(K) * N <= size_t(kNtChunk);
  const int block = by_rows ? kOpMR : M;
  constexpr int kPanel = kOpNR * kW;
  for (int i0 = 0; i0 < M; i0 += block) {
    const int m = std::min(block, M - i0);
    float* Ci = C + size_t(i0) * N;
    const float* Ai = A + size_t(i0) * step;
    int j = 0, ldp = N;
    for (; j + kPanel <= N; j += kPanel) {
      const float* P = at(j, kPanel, ldp);
      op_panel<kOpNR>(Ci, Ai, step, sai, sak, P, ldp, m, N, K, j, kW, sgd);
    }
    while (j < N) {  // the last columns, one vector (maybe partial) at a time
      int n = N - j < kW ? N - j : kW;
      const float* P = at(j, n, ldp);
      op_panel<1>(Ci, Ai, step, sai, sak, P, ldp, m, N, K, j, n, sgd);
      j += n;
    }
  }
}

}  // namespace

void gemm_nt(float* C, const float* A, const float* B, const float* bias, int M, int N, int K, int ldc) {
  const FlushDenormals flush;
  if (ldc == 0) ldc = N;
  // Every 2*kNtMR rows of A meet all of B, which is fine while B stays in L2. A
  // 1024x1024 W (4 MB) then came from L3 once per 10 rows. So with a large B, A's
  // rows go in chunks that stay in L2 and each tile of B (in L1) meets a whole chunk:
  // B is read once per chunk. Each output is still one tile's sum over all of K, so
  // the order of the tiles changes no bits. [784,1024,1024,10] b256's forward GEMMs:
  // 25-32 -> 39-46 GFLOP/s with AVX2, 53-67 -> 57-100 with AVX-512 (a noisy VM).
  const bool chunk = size_t(N) * K > 2 * size_t(kNtChunk);
  const int rows = chunk ? std::max(2 * kNtMR, kNtChunk / K / (2 * kNtMR) * (2 * kNtMR)) : M;
  const int cols = chunk ? kNtNR : N;
  for (int i0 = 0; i0 < M; i0 += rows)
    for (int j0 = 0; j0 < N; j0 += cols)
      nt_rows(C + size_t(i0) * ldc + j0, ldc, A + size_t(i0) * K, B + size_t(j0) * K, bias ? bias + j0 : nullptr,
              std::min(rows, M - i0), std::min(cols, N - j0), K);
}

void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, int lda) {
  const FlushDenormals flush;
  outer_gemm(C, A, /*sai=*/lda ? lda : K, /*sak=*/1, B, M, N, K);
}

void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, int lda) {
  const FlushDenormals flush;
  outer_gemm(C, A, /*sai=*/1, /*sak=*/lda ? lda : M, B, M, N, K);
}

void sgd_step(float* p, const float* g, size_t n, float scale, float l2) {
  const FlushDenormals flush;
  const Step step(scale, l2);
  size_t i = 0;
  for (; i + kW <= n; i += kW) store(p + i, step(load(p + i), load(g + i)));
  if (i < n) storen(p + i, step(loadn(p + i, int(n - i)), loadn(g + i, int(n - i))), int(n - i));
}

void gemm_tn_sgd(float* W, const float* A, const float* B, int M, int N, int K, int lda, float scale, float l2) {
  const FlushDenormals flush;
  const Step step(scale, l2);
  if (K == 0) {  // a zero gradient still takes its L2 step
    const std::vector<float> zeros(size_t(M) * N, 0.0f);
    return sgd_step(W, zeros.data(), zeros.size(), scale, l2);
  }
  outer_gemm(W, A, /*sai=*/1, /*sak=*/lda ? lda : M, B, M, N, K, &step);
}

void bytes_to_unit(float* dst, const unsigned char* src, size_t n) {
  const V k255 = set1(255.0f);
  size_t i = 0;
  for (; i + kW <= n; i += kW) store(dst + i, div(bytes(src + i), k255));
  ref::bytes_to_unit(dst + i, src + i, n - i);  // the last n % kW
}

// Eigen 3.4 has no wasm packets: its exp was a scalar expf call per value, and the book's
// first conv net spent 28% of its step in V8 (node --cpu-prof) on its conv layer's sigmoid.
void sigmoid(float* out, const float* in, size_t n) {
  // Cephes' expf: exp(x) = 2^k e^r, k = round(x log2 e) (by adding 1.5 * 2^23), r = x - k ln 2
  // in two parts, e^r a degree-7 polynomial. |x| <= 87 keeps 2^k normal; the sigmoid
  // there is already 1, or below the flush.
  const V magic = set1(12582912.0f), log2e = set1(1.44269504088896341f), one = set1(1.0f);
  const V ln2_hi = set1(0.693359375f), ln2_lo = set1(-2.12194440e-4f), lim = set1(87.0f), neg_lim = set1(-87.0f);
  const V p0 = set1(1.9875691500e-4f), p1 = set1(1.3981999507e-3f), p2 = set1(8.3334519073e-3f),
          p3 = set1(4.1665795894e-2f), p4 = set1(1.6666665459e-1f), p5 = set1(5.0000001201e-1f);
  const V tiny = set1(kTiny);
  auto f = [&](V z) {
    const V x = clamp(sub(zero(), z), neg_lim, lim);
    const V t = madd(x, log2e, magic), k = sub(t, magic);
    const V r = nmadd(k, ln2_lo, nmadd(k, ln2_hi, x));
    V p = madd(madd(madd(madd(madd(p0, r, p1), r, p2), r, p3), r, p4), r, p5);
    p = madd(p, mul(r, r), add(r, one));
    return zero_tiny(div(one, add(one, mul(p, pow2_magic(t)))), tiny);
  };
  size_t i = 0;
  for (; i + kW <= n; i += kW) store(out + i, f(load(in + i)));
  if (i < n) storen(out + i, f(loadn(in + i, int(n - i))), int(n - i));
}

const char* kernels_name() { return kName; }
// Each element's sum runs over K in one order whatever the tile rows: a row's
// values depend on its columns' tiling only, which a row split does not change.
bool kernels_split_rows() { return true; }

}  // namespace nnlab
