// The three GEMM shapes of a dense layer's forward and backward pass, and its
// SGD step, on row-major float arrays. nnlab::ref (kernels_eigen.cpp, in every build) is the
// reference; the linked kernels (kernels_simd.cpp where the target has SIMD, else
// the reference itself) must give the same results to float rounding.
#pragma once
#include <cstddef>

namespace nnlab {

// Which implementation this build linked, e.g. "AVX-512 kernels".
const char* kernels_name();

// C (M,N) = A (M,K) . B (N,K)^T + bias (N), bias may be null.    forward: out = inp . W^T + b
// C's rows are ldc floats apart (0: N), so C's columns [j0, j1) are
// gemm_nt(C + j0, A, B + j0*K, bias + j0, M, j1 - j0, K, N).
void gemm_nt(float* C, const float* A, const float* B, const float* bias, int M, int N, int K, int ldc = 0);
// C (M,N) = A (M,K) . B (K,N)                                     dinp = dout . W
// A's rows are lda floats apart (0: K), so a sum over rows [k0, k1) of B is
// gemm_nn(C, A + k0, B + k0*N, M, N, k1 - k0, K).
void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, int lda = 0);
// C (M,N) = A (K,M)^T . B (K,N)                                   dW = dout^T . inp
// A's rows are lda floats apart (0: M), so C's rows [i0, i1) are
// gemm_tn(C + i0*N, A + i0, B, i1 - i0, N, K, M).
void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, int lda = 0);

// The SGD step without momentum on n weights (Backend::sgd_update's plain case):
//   p -= scale * g + l2 * p      (with l2 = 0: p -= scale * g, in one rounding where there is FMA)
void sgd_step(float* p, const float* g, size_t n, float scale, float l2);
// W (M,N) takes that step with gemm_tn's A^T . B for g, which is never stored: a
// dense layer's weight gradient and update in one pass over W. The same bits as
// gemm_tn into G, then sgd_step(W, G); rows [i0, i1) as gemm_tn's.
void gemm_tn_sgd(float* W, const float* A, const float* B, int M, int N, int K, int lda, float scale, float l2);

// Pixels to [0, 1]: dst[i] = src[i] / 255.0f, the division rounded once, so the
// same bits in every build (the batch's gather: 78,400 bytes at batch 100).
void bytes_to_unit(float* dst, const unsigned char* src, size_t n);

// Activations and deltas below this are stored as 0 (why: backend_cpu.cpp, flush_tiny).
inline constexpr float kTiny = 0x1p-63f;

// out[i] = 1 / (1 + exp(-in[i])), 0 where that is below kTiny; in and out may be the
// same array. The SIMD path's exp is Cephes' expf (a polynomial and a power of two):
// within 4 ulp of the exact sigmoid, as the reference (Eigen's exp) is.
void sigmoid(float* out, const float* in, size_t n);

// True when an output's value does not depend on how many rows one call computes
// (nor, for gemm_nt, which columns), so the CPU backend may split the rows (or
// gemm_nt's columns) across threads and still give bit-identical results for any
// thread count (the SIMD kernels; Eigen's blocking depends on the sizes, so the
// reference says false).
bool kernels_split_rows();

// The reference (Eigen), same contracts: what tests and --check compare against.
namespace ref {
void gemm_nt(float* C, const float* A, const float* B, const float* bias, int M, int N, int K, int ldc = 0);
void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, int lda = 0);
void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, int lda = 0);
void sgd_step(float* p, const float* g, size_t n, float scale, float l2);
void gemm_tn_sgd(float* W, const float* A, const float* B, int M, int N, int K, int lda, float scale, float l2);
void bytes_to_unit(float* dst, const unsigned char* src, size_t n);
void sigmoid(float* out, const float* in, size_t n);
}  // namespace ref

}  // namespace nnlab
