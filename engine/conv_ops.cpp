// im2col / col2im and max-pooling for one sample (see conv_ops.h). Plain loops:
// they move P*CKK floats per sample while the GEMM beside them does F times more work.
#include "conv_ops.h"

#include <algorithm>
#include <cstring>

namespace nnlab::conv {
namespace {

// The rows are short (8 floats on the book's second conv): a loop of unknown
// length compiles to a memcpy call or to scalar moves, so both go in blocks of
// 8, which compile to one vector move or add each.
inline void copy(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 8 * sizeof(float));
  for (; i < n; ++i) dst[i] = src[i];
}
inline void add(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) dst[i + j] += src[i + j];
  for (; i < n; ++i) dst[i] += src[i];
}

}  // namespace

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
            for (int ow = 0; ow < OW; ++ow) dst[ow] = 0.0f;
            continue;
          }
          const float* src = x + (size_t(c) * s.H + ih) * s.W + (kj - s.pad);
          for (int ow = 0; ow < lo; ++ow) dst[ow] = 0.0f;
          copy(dst + lo, src + lo, hi - lo);
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
          add(dst + lo, src + lo, hi - lo);
        }
      }
}

void maxpool_forward(float* out, int32_t* argmax, const float* x, const PoolShape& s) {
  const int OH = s.OH(), OW = s.OW();
  if (s.k == 2 && s.stride == 2) {  // the book's pool, unrolled: the same picks as the loop below
    for (int c = 0; c < s.C; ++c)
      for (int oh = 0; oh < OH; ++oh) {
        const int r0 = (c * s.H + 2 * oh) * s.W, r1 = r0 + s.W;
        float* o = out + (size_t(c) * OH + oh) * OW;
        int32_t* am = argmax + (size_t(c) * OH + oh) * OW;
        for (int ow = 0; ow < OW; ++ow) {
          // Selects, not branches: which of four values is largest is a coin toss per window.
          int best = r0 + 2 * ow;
          float v = x[best];
          for (int at : {r0 + 2 * ow + 1, r1 + 2 * ow, r1 + 2 * ow + 1}) {
            const bool more = x[at] > v;
            best = more ? at : best;
            v = more ? x[at] : v;
          }
          o[ow] = v;
          am[ow] = best;
        }
      }
    return;
  }
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
