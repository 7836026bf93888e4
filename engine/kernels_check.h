// Checks GEMM kernels (kernels.h) against naive double-precision loops on awkward
// shapes. One home for the check: tests/test_kernels.cpp runs it on the linked
// kernels and on the reference in every build, bench_train --check and the browser
// bench (bench/web) on the linked kernels.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels.h"

namespace nnlab::kernels_check {

struct Shape {
  int M, N, K;
};

// Named edge cases, the layer shapes of [784,100,10] at batch 10, then a sweep
// across every target's tile edges: rows of 2/4/5/6 (kNtMR, kOpMR), K around the
// vector widths 4/8/16 (masked tails), N around 4 (kNtNR) and the outer-product
// panels of 8/16/64 columns plus partial vectors after them.
inline std::vector<Shape> shapes() {
  std::vector<Shape> s = {{1, 1, 1},    {7, 13, 5},      {3, 17, 33},     {129, 65, 31},
                          {4, 5, 0},    {17, 33, 1},     {10, 100, 784},  {100, 784, 10},
                          {10, 784, 100}, {10, 10, 100}, {100, 10, 10},   {784, 100, 10},
                          // operands gemm_nn/tn pack (rows a multiple of 512 floats apart, 4+
                          // row tiles, K >= 32), partial tiles and panels: B (N = 512, 1024),
                          // A of gemm_tn (M = 512, 1024)
                          {30, 1024, 40}, {17, 512, 33},  {1024, 33, 32},  {512, 70, 31}, {25, 1024, 64},
                          // a B of gemm_nt over 128k floats: A's rows in chunks (of 60 or 64
                          // rows, the last one partial; of the minimum 2*kNtMR rows for K = 17000:
                          // K = 30000 took wasm's mul + add sums past the tolerance, to 1.05e-4)
                          {151, 131, 1003}, {23, 9, 17000},
                          // a C over 1 MB with a small B: gemm_nn/tn go row tile by row tile
                          // (a partial last tile of rows, a partial last panel)
                          {1100, 250, 9}};
  for (int M : {1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13})
    for (int N : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 81, 129})
      for (int K : {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33}) s.push_back({M, N, K});
  return s;
}

struct Gemms {
  void (*nt)(float*, const float*, const float*, const float*, int, int, int, int);
  void (*nn)(float*, const float*, const float*, int, int, int, int);
  void (*tn)(float*, const float*, const float*, int, int, int, int);
  void (*tn_sgd)(float*, const float*, const float*, int, int, int, int, float, float);
};
inline Gemms linked() { return {nnlab::gemm_nt, nnlab::gemm_nn, nnlab::gemm_tn, nnlab::gemm_tn_sgd}; }
inline Gemms reference() {
  return {nnlab::ref::gemm_nt, nnlab::ref::gemm_nn, nnlab::ref::gemm_tn, nnlab::ref::gemm_tn_sgd};
}

// Max relative error |got - want| / (1 + |want|) of each of g's GEMMs on one shape,
// inputs uniform in [-1, 1] from a fixed LCG (the same numbers under g++ and em++).
struct Errors {
  double nt = 0, nn = 0, tn = 0, tn_sgd = 0;
  double worst() const { return std::max(std::max(nt, tn_sgd), std::max(nn, tn)); }
};
// The next of the fixed LCG's numbers, uniform in [-1, 1] in steps of 0.001.
inline float next_uniform(uint32_t& seed) {
  seed = seed * 1664525u + 1013904223u;
  return float(int(seed >> 9) % 2001 - 1000) / 1000.0f;
}

inline Errors compare(const Gemms& g, Shape sh, uint32_t seed = 12345) {
  const int M = sh.M, N = sh.N, K = sh.K;
  auto rnd = [&]() { return next_uniform(seed); };
  std::vector<float> A(size_t(M) * K), At(size_t(K) * M), B(size_t(N) * K), Bt(size_t(K) * N),
      bias(N), C(size_t(M) * N);
  std::vector<double> R(size_t(M) * N);
  for (float& v : A) v = rnd();
  for (float& v : B) v = rnd();
  for (float& v : bias) v = rnd();
  for (int i = 0; i < M; ++i)
    for (int k = 0; k < K; ++k) At[size_t(k) * M + i] = A[size_t(i) * K + k];
  for (int j = 0; j < N; ++j)
    for (int k = 0; k < K; ++k) Bt[size_t(k) * N + j] = B[size_t(j) * K + k];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double acc = 0;
      for (int k = 0; k < K; ++k) acc += double(A[size_t(i) * K + k]) * B[size_t(j) * K + k];
      R[size_t(i) * N + j] = acc;
    }
  // C starts as NaN so that an output the kernel never writes fails the check.
  auto err = [&](bool with_bias) {
    double e = 0;
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        double want = R[size_t(i) * N + j] + (with_bias ? bias[j] : 0.0f);
        double d = std::fabs(C[size_t(i) * N + j] - want) / (1.0 + std::fabs(want));
        e = std::isnan(d) ? INFINITY : std::max(e, d);
      }
    return e;
  };
  Errors out;
  std::fill(C.begin(), C.end(), NAN);
  g.nt(C.data(), A.data(), B.data(), bias.data(), M, N, K, 0);
  out.nt = err(true);
  std::fill(C.begin(), C.end(), NAN);
  g.nt(C.data(), A.data(), B.data(), nullptr, M, N, K, 0);
  out.nt = std::max(out.nt, err(false));
  std::fill(C.begin(), C.end(), NAN);
  g.nn(C.data(), A.data(), Bt.data(), M, N, K, 0);
  out.nn = err(false);
  std::fill(C.begin(), C.end(), NAN);
  g.tn(C.data(), At.data(), Bt.data(), M, N, K, 0);
  out.tn = err(false);
  // gemm_tn_sgd: weights W take the step W -= scale * A^T B + l2 * W, plain and with L2.
  std::vector<float> W(size_t(M) * N);
  for (float& v : W) v = rnd();
  for (float l2 : {0.0f, 0.01f}) {
    const float scale = 0.3f;
    C = W;
    g.tn_sgd(C.data(), At.data(), Bt.data(), M, N, K, 0, scale, l2);
    for (size_t e = 0; e < C.size(); ++e) {
      const double want = W[e] - (double(scale) * R[e] + double(l2) * W[e]);
      const double d = std::fabs(C[e] - want) / (1.0 + std::fabs(want));
      out.tn_sgd = std::isnan(d) ? INFINITY : std::max(out.tn_sgd, d);
    }
  }
  return out;
}

// Float rounding over K = 784 terms of magnitude <= 1 reaches 2e-5 (the reference's
// too); a wrong or missing term is off by ~1e-2 or more.
constexpr double kTolerance = 1e-4;

// The worst error of the linked kernels over all shapes (bench_train --check, bench/web).
inline double check_kernels() {
  double worst = 0;
  for (Shape s : shapes()) worst = std::max(worst, compare(linked(), s).worst());
  return worst;
}

}  // namespace nnlab::kernels_check
