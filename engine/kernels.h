// The three GEMM shapes of a dense layer's forward and backward pass, on
// row-major float arrays. kernels_eigen.cpp is the reference implementation;
// faster per-target versions must give the same results to float rounding.
#pragma once

namespace nnlab {

// Which implementation this build linked, e.g. "AVX-512 kernels".
const char* kernels_name();

// C (M,N) = A (M,K) . B (N,K)^T + bias (N), bias may be null.    forward: out = inp . W^T + b
void gemm_nt(float* C, const float* A, const float* B, const float* bias, int M, int N, int K);
// C (M,N) = A (M,K) . B (K,N)                                     dinp = dout . W
void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K);
// C (M,N) = A (K,M)^T . B (K,N)                                   dW = dout^T . inp
void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K);

}  // namespace nnlab
