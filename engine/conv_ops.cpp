// im2col / col2im and max-pooling for one sample (see conv_ops.h). Plain loops:
// they move P*CKK floats per sample while the GEMM beside them does F times more work.
#include "conv_ops.h"

#include <algorithm>
#include <cstring>

namespace nnlab::conv {

void im2col(float* cols, size_t ld, const float* x, const ConvShape& s) {
  const int OH = s.OH(), OW = s.OW();
  for (int c = 0; c < s.C; ++c)
    for (int ki = 0; ki < s.k; ++ki)
      for (int kj = 0; kj < s.k; ++kj) {
        float* row = cols + size_t((c * s.k + ki) * s.k + kj) * ld;
        // Output columns [lo, hi) read inside the image; the rest is padding.
        const int lo = std::max(0, s.pad - kj), hi = std::min(OW, s.W + s.pad - kj);
        for (int oh = 0; oh < OH; ++oh) {
          float* dst = row + size_t(oh) * OW;
          const int ih = oh + ki - s.pad;
          if (ih < 0 || ih >= s.H || lo >= hi) {
            std::memset(dst, 0, sizeof(float) * size_t(OW));
            continue;
          }
          const float* src = x + (size_t(c) * s.H + ih) * s.W + (kj - s.pad);
          for (int ow = 0; ow < lo; ++ow) dst[ow] = 0.0f;
          std::memcpy(dst + lo, src + lo, sizeof(float) * size_t(hi - lo));
          for (int ow = hi; ow < OW; ++ow) dst[ow] = 0.0f;
        }
      }
}

void col2im(float* dx, const float* cols, size_t ld, const ConvShape& s) {
  const int OH = s.OH(), OW = s.OW();
  std::memset(dx, 0, sizeof(float) * size_t(s.C) * s.H * s.W);
  for (int c = 0; c < s.C; ++c)
    for (int ki = 0; ki < s.k; ++ki)
      for (int kj = 0; kj < s.k; ++kj) {
        const float* row = cols + size_t((c * s.k + ki) * s.k + kj) * ld;
        const int lo = std::max(0, s.pad - kj), hi = std::min(OW, s.W + s.pad - kj);
        for (int oh = 0; oh < OH; ++oh) {
          const int ih = oh + ki - s.pad;
          if (ih < 0 || ih >= s.H) continue;
          float* dst = dx + (size_t(c) * s.H + ih) * s.W + (kj - s.pad);
          const float* src = row + size_t(oh) * OW;
          for (int ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
        }
      }
}

void maxpool_forward(float* out, int32_t* argmax, const float* x, const PoolShape& s) {
  const int OH = s.OH(), OW = s.OW();
  for (int c = 0; c < s.C; ++c)
    for (int oh = 0; oh < OH; ++oh)
      for (int ow = 0; ow < OW; ++ow) {
        const int h0 = oh * s.stride, w0 = ow * s.stride;
        int best = (c * s.H + h0) * s.W + w0;
        for (int i = 0; i < s.k; ++i)
          for (int j = 0; j < s.k; ++j) {
            const int at = (c * s.H + h0 + i) * s.W + w0 + j;
            if (x[at] > x[best]) best = at;
          }
        const size_t o = (size_t(c) * OH + oh) * OW + ow;
        out[o] = x[best];
        argmax[o] = best;
      }
}

void maxpool_backward(float* dx, const float* dout, const int32_t* argmax, const PoolShape& s) {
  const size_t n = size_t(s.C) * s.OH() * s.OW();
  std::memset(dx, 0, sizeof(float) * size_t(s.C) * s.H * s.W);
  for (size_t o = 0; o < n; ++o) dx[argmax[o]] += dout[o];
}

}  // namespace nnlab::conv
