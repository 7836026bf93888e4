// im2col / col2im and max-pooling for one sample (see conv_ops.h). Plain loops:
// they move P*CKK floats per sample while the GEMM beside them does F times more work.
#include "conv_ops.h"

#include <algorithm>
#include <cstring>

namespace nnlab::conv {
namespace {

// The rows are short (8 floats on the book's second conv): a loop of unknown
// length compiles to a memcpy call or to scalar moves, so both go in blocks of
// 8, which compile to one vector move or add each. A copy's last block overlaps
// the one before it instead of a tail loop (copying a float twice is harmless),
// so a row of 8 floats is one move and nothing else: im2col on the second conv
// went from 60 to 44 us per batch of 10.
inline void copy(float* dst, const float* src, int n) {
  if (n < 8) {
    for (int i = 0; i < n; ++i) dst[i] = src[i];
    return;
  }
  for (int i = 0; i < n - 8; i += 8) std::memcpy(dst + i, src + i, 8 * sizeof(float));
  std::memcpy(dst + n - 8, src + n - 8, 8 * sizeof(float));
}
// __restrict: else GCC vectorises the loop of blocks again, behind a test of
// whether dst and src overlap on every call (col2im: 80 -> 69 us per batch).
inline void add(float* __restrict dst, const float* __restrict src, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) dst[i + j] += src[i + j];
  for (; i < n; ++i) dst[i] += src[i];
}

}  // namespace

// Both walk, for each row of cols, the output rows [oh0, oh1) and columns [lo, hi)
// whose tap falls inside the image (everything, when pad = 0). The inner loop is a
// copy (add) of hi - lo floats and two pointer steps, nothing else: with the
// padding's fills inside it, GCC ran out of registers and kept the loop's
// pointers on the stack, and im2col took as long as the GEMM beside it.
void im2col(float* cols, size_t ld, const float* x, const ConvShape& s) {
  const int H = s.H, W = s.W, k = s.k, pad = s.pad, OH = s.OH(), OW = s.OW();
  for (int c = 0; c < s.C; ++c)
    for (int ki = 0; ki < k; ++ki) {
      const int oh0 = std::clamp(pad - ki, 0, OH), oh1 = std::clamp(H + pad - ki, oh0, OH);
      for (int kj = 0; kj < k; ++kj) {
        float* row = cols + size_t((c * k + ki) * k + kj) * ld;
        const int lo = std::clamp(pad - kj, 0, OW), hi = std::clamp(W + pad - kj, lo, OW);
        if (pad > 0) std::fill(row, row + size_t(OH) * OW, 0.0f);  // then the inside over it
        const float* src = x + (size_t(c) * H + (oh0 + ki - pad)) * W + (lo + kj - pad);
        float* dst = row + size_t(oh0) * OW + lo;
        for (int oh = oh0; oh < oh1; ++oh, src += W, dst += OW) copy(dst, src, hi - lo);
      }
    }
}

void col2im(float* dx, const float* cols, size_t ld, const ConvShape& s) {
  const int H = s.H, W = s.W, k = s.k, pad = s.pad, OH = s.OH(), OW = s.OW();
  std::memset(dx, 0, sizeof(float) * size_t(s.C) * H * W);
  for (int c = 0; c < s.C; ++c)
    for (int ki = 0; ki < k; ++ki) {
      const int oh0 = std::clamp(pad - ki, 0, OH), oh1 = std::clamp(H + pad - ki, oh0, OH);
      for (int kj = 0; kj < k; ++kj) {
        const float* src = cols + size_t((c * k + ki) * k + kj) * ld;
        const int lo = std::clamp(pad - kj, 0, OW), hi = std::clamp(W + pad - kj, lo, OW);
        float* dst = dx + (size_t(c) * H + (oh0 + ki - pad)) * W + (lo + kj - pad);
        src += size_t(oh0) * OW + lo;
        for (int oh = oh0; oh < oh1; ++oh, src += OW, dst += W) add(dst, src, hi - lo);
      }
    }
}

// __restrict (out, argmax and x never overlap) spares the 2x2 loop, which GCC
// vectorises, its runtime overlap tests: 45 -> 32 us on the first conv's maps (batch 10).
void maxpool_forward(float* __restrict out, int32_t* __restrict argmax, const float* __restrict x,
                     const PoolShape& s) {
  const int OH = s.OH(), OW = s.OW();
  if (s.k == 2 && s.stride == 2) {  // the book's pool, unrolled: the same picks as the loop below
    const int H = s.H, W = s.W;
    for (int c = 0; c < s.C; ++c)
      for (int oh = 0; oh < OH; ++oh) {
        const int r0 = (c * H + 2 * oh) * W, r1 = r0 + W;
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
