// Checks the linked GEMM kernels (engine/kernels.h) against naive double-precision
// loops on awkward shapes: bench_train --check natively, bench/web in the browser.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels.h"

namespace nnlab_bench {

// Max relative error of gemm_nt/nn/tn against naive loops on awkward shapes.
inline double check_kernels() {
  // (M, N, K): edge cases, then the layer shapes of [784,100,10] at batch 10.
  const int shapes[][3] = {{1, 1, 1},    {7, 13, 5},   {3, 17, 33},  {129, 65, 31}, {5, 4, 16},
                           {6, 64, 10},  {4, 5, 0},    {17, 33, 1},  {10, 100, 784},
                           {100, 784, 10}, {10, 784, 100}, {10, 10, 100}};
  double worst = 0;
  uint32_t s = 12345;
  auto rnd = [&]() {
    s = s * 1664525u + 1013904223u;
    return float(int(s >> 9) % 2001 - 1000) / 1000.0f;
  };
  for (const auto& sh : shapes) {
    const int M = sh[0], N = sh[1], K = sh[2];
    std::vector<float> A(size_t(M) * K), At(size_t(K) * M), B(size_t(N) * K), Bt(size_t(K) * N),
        bias(N), C(size_t(M) * N), R(size_t(M) * N);
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
        R[size_t(i) * N + j] = float(acc);
      }
    auto err = [&](bool with_bias) {
      double e = 0;
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) {
          double want = R[size_t(i) * N + j] + (with_bias ? bias[j] : 0.0f);
          e = std::fmax(e, std::fabs(C[size_t(i) * N + j] - want) / (1.0 + std::fabs(want)));
        }
      return e;
    };
    nnlab::gemm_nt(C.data(), A.data(), B.data(), bias.data(), M, N, K);
    worst = std::fmax(worst, err(true));
    nnlab::gemm_nn(C.data(), A.data(), Bt.data(), M, N, K);
    worst = std::fmax(worst, err(false));
    nnlab::gemm_tn(C.data(), At.data(), Bt.data(), M, N, K);
    worst = std::fmax(worst, err(false));
  }
  return worst;
}


}  // namespace nnlab_bench
