// One sample's image ops for the CPU backend's conv and pool layers, on
// row-major float arrays (shapes in backend.h): im2col turns a convolution
// into the GEMMs of kernels.h; col2im is its adjoint for the backward pass.
#pragma once
#include <cstdint>

#include "backend.h"

namespace nnlab::conv {

// cols (CKK, P), rows ld floats apart: row (c, ki, kj) holds x (C,H,W) under that
// filter tap at every output position, 0 where the tap falls in the padding.
// (ld = B*P lays a batch's patches side by side: sample b at column b*P.)
void im2col(float* cols, size_t ld, const float* x, const ConvShape& s);
// dx (C,H,W) = the sum of cols (CKK, P) at the positions im2col read them from.
void col2im(float* dx, const float* cols, size_t ld, const ConvShape& s);

// out (C,OH,OW) = each window's max of x (C,H,W); argmax = its index in x.
void maxpool_forward(float* out, int32_t* argmax, const float* x, const PoolShape& s);
// dx (C,H,W) = 0, then dx[argmax] += dout (C,OH,OW), in order.
void maxpool_backward(float* dx, const float* dout, const int32_t* argmax, const PoolShape& s);

}  // namespace nnlab::conv
