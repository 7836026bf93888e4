// Reference GEMMs through Eigen (row-major maps, no copies).
#include <Eigen/Core>

#include "kernels.h"

namespace nnlab {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapR = Eigen::Map<RowMat, Eigen::Unaligned>;
using CMapR = Eigen::Map<const RowMat, Eigen::Unaligned>;

void gemm_nt(float* C, const float* A, const float* B, const float* bias, int M, int N, int K) {
  MapR c(C, M, N);
  c.noalias() = CMapR(A, M, K) * CMapR(B, N, K).transpose();
  if (bias) c.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, N);
}

void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K) {
  MapR(C, M, N).noalias() = CMapR(A, M, K) * CMapR(B, K, N);
}

void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K) {
  MapR(C, M, N).noalias() = CMapR(A, K, M).transpose() * CMapR(B, K, N);
}

const char* kernels_name() { return "Eigen kernels"; }

}  // namespace nnlab
