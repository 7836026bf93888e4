// The reference GEMMs (nnlab::ref) through Eigen: row-major maps, no copies. Compiled
// into every build so the tests can compare the linked kernels with it. Where CMake
// links no SIMD kernel (it then leaves NNLAB_SIMD_KERNELS undefined), these are also
// the public nnlab::gemm_* of kernels.h.
#include <Eigen/Core>
#include <cmath>
#include <vector>

#include "kernels.h"

namespace nnlab {
namespace ref {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapR = Eigen::Map<RowMat, Eigen::Unaligned>;
using CMapR = Eigen::Map<const RowMat, Eigen::Unaligned>;

void gemm_nt(float* C, const float* A, const float* B, const float* bias, int M, int N, int K, int ldc) {
  Eigen::Map<RowMat, Eigen::Unaligned, Eigen::OuterStride<>> c(C, M, N, Eigen::OuterStride<>(ldc ? ldc : N));
  c.noalias() = CMapR(A, M, K) * CMapR(B, N, K).transpose();
  if (bias) c.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, N);
}

void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, int lda) {
  using Strided = Eigen::Map<const RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;
  MapR(C, M, N).noalias() = Strided(A, M, K, Eigen::OuterStride<>(lda ? lda : K)) * CMapR(B, K, N);
}

void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, int lda) {
  using Strided = Eigen::Map<const RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;
  MapR(C, M, N).noalias() =
      Strided(A, K, M, Eigen::OuterStride<>(lda ? lda : M)).transpose() * CMapR(B, K, N);
}

void sgd_step(float* p, const float* g, size_t n, float scale, float l2) {
  if (l2 == 0.0f) {
    for (size_t i = 0; i < n; ++i) p[i] = std::fma(-scale, g[i], p[i]);
  } else {
    for (size_t i = 0; i < n; ++i) p[i] -= std::fma(l2, p[i], scale * g[i]);
  }
}

void gemm_tn_sgd(float* W, const float* A, const float* B, int M, int N, int K, int lda, float scale, float l2) {
  static thread_local std::vector<float> g;
  g.resize(size_t(M) * N);
  gemm_tn(g.data(), A, B, M, N, K, lda);
  sgd_step(W, g.data(), g.size(), scale, l2);
}

void bytes_to_unit(float* dst, const unsigned char* src, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = float(src[i]) / 255.0f;
}

void sigmoid(float* out, const float* in, size_t n) {
  Eigen::Map<Eigen::ArrayXf> o(out, Eigen::Index(n));
  o = 1.0f / (1.0f + (-Eigen::Map<const Eigen::ArrayXf>(in, Eigen::Index(n))).exp());
  o = (o.abs() < kTiny).select(0.0f, o);
}

}  // namespace ref

#ifndef NNLAB_SIMD_KERNELS
void gemm_nt(float* C, const float* A, const float* B, const float* bias, int M, int N, int K, int ldc) {
  ref::gemm_nt(C, A, B, bias, M, N, K, ldc);
}
void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, int lda) {
  ref::gemm_nn(C, A, B, M, N, K, lda);
}
void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, int lda) {
  ref::gemm_tn(C, A, B, M, N, K, lda);
}
void sgd_step(float* p, const float* g, size_t n, float scale, float l2) { ref::sgd_step(p, g, n, scale, l2); }
void gemm_tn_sgd(float* W, const float* A, const float* B, int M, int N, int K, int lda, float scale, float l2) {
  ref::gemm_tn_sgd(W, A, B, M, N, K, lda, scale, l2);
}
void bytes_to_unit(float* dst, const unsigned char* src, size_t n) { ref::bytes_to_unit(dst, src, n); }
void sigmoid(float* out, const float* in, size_t n) { ref::sigmoid(out, in, n); }
const char* kernels_name() { return "Eigen kernels"; }
bool kernels_split_rows() { return false; }
#endif

}  // namespace nnlab
