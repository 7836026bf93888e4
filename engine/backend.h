// The compute interface the trainer drives: device-resident buffers and the few
// ops one SGD step and one evaluation need. The CPU (Eigen) backend is the
// specification; native/gl/gl_backend.cpp mirrors it op by op in compute shaders.
// Storage is row-major throughout. Shapes: B batch, C inputs, OC outputs, K classes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "config.h"

namespace nnlab {

using Buf = int;  // a buffer handle owned by the backend; kNone = absent
constexpr Buf kNone = -1;

// A convolution of F filters (C, k, k) over a (C, H, W) map with zero padding
// `pad` on every side and stride 1: out (F, OH, OW). P = OH*OW output positions,
// CKK = C*k*k values under one filter.
struct ConvShape {
  int C = 1, H = 1, W = 1, F = 1, k = 1, pad = 0;
  int OH() const { return H + 2 * pad - k + 1; }
  int OW() const { return W + 2 * pad - k + 1; }
  int P() const { return OH() * OW(); }
  int CKK() const { return C * k * k; }
};
// Max-pooling of each channel of a (C, H, W) map with a k x k window moved by
// `stride`: out (C, OH, OW), rows and columns past the last whole window unused.
struct PoolShape {
  int C = 1, H = 1, W = 1, k = 2, stride = 2;
  int OH() const { return (H - k) / stride + 1; }
  int OW() const { return (W - k) / stride + 1; }
};

enum class DType { F32, U8, I32 };

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu (Eigen)" or "OpenGL 4.5 ..., llvmpipe"
  // False when only the thread that made it may use it (a GL context is current on one thread).
  virtual bool any_thread() const { return true; }

  // A buffer of `count` elements, contents zeroed; or kNone, with nothing
  // allocated and the backend still usable, when it cannot be had: the byte
  // size overflows, exceeds the machine's (or the GPU's) memory, or the
  // allocator or driver refuses. Never aborts. Handles of released buffers are
  // reused, so a handle is live only between its alloc and its release.
  virtual Buf alloc(DType type, size_t count) = 0;
  // The largest buffer in bytes alloc may give: the machine's memory, or on a GPU the
  // largest storage block a shader can bind (llvmpipe: 128 MiB). Errors name it.
  virtual size_t max_buffer_bytes() const = 0;
  virtual void release(Buf b) = 0;  // release(kNone) does nothing
  virtual void write(Buf b, const void* src, size_t bytes, size_t offset = 0) = 0;
  virtual void read(Buf b, void* dst, size_t bytes, size_t offset = 0) = 0;  // waits for pending work

  // x (B,C) f32 = images[row] / 255 and y (B) i32 = labels[row], where
  // row = idx[offset + b] if idx != kNone, else offset + b.
  // images (N,C) u8, labels (N) u8, idx (N) i32.
  virtual void gather(Buf x, Buf y, Buf images, Buf labels, Buf idx, int offset, int B,
                      int C) = 0;

  // out (B,OC) = inp (B,C) . weight(OC,C)^T + bias (OC)
  virtual void matmul_forward(Buf out, Buf inp, Buf weight, Buf bias, int B, int C, int OC) = 0;
  // dinp (B,C) = dout (B,OC) . weight (OC,C)      (skipped if dinp == kNone)
  // dweight (OC,C) = dout^T . inp,  dbias (OC) = sum over b of dout
  virtual void matmul_backward(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight,
                               int B, int C, int OC) = 0;

  // a (B,OC) = act(z); Softmax works row by row. The CPU backend stores sigmoid outputs
  // and every delta below 2^-63 as 0 (no denormals for its GEMMs); a GPU may keep them.
  virtual void activation_forward(Buf a, Buf z, int B, int OC, Act act) = 0;
  // dz (B,OC) = da * act'(z), the derivative taken from a = act(z). Not for Softmax.
  virtual void activation_backward(Buf dz, Buf da, Buf a, int B, int OC, Act act) = 0;

  // Output layer, y (B) class labels (one-hot targets):
  // dz (B,OC) = dCost/dz for every (output, cost) pair, and
  // loss[loss_slot] = sum over the batch of the per-sample cost, computed from z
  // so that it stays finite (log-sum-exp, softplus).
  virtual void output_backward(Buf dz, Buf loss, int loss_slot, Buf z, Buf a, Buf y, int B,
                               int OC, Act output, Cost cost) = 0;

  // SGD with L2 and momentum on n floats (velocity == kNone when momentum == 0):
  //   g = scale * dparam + l2 * param
  //   velocity = momentum * velocity - g;  param += velocity     (momentum)
  //   param -= g                                                 (plain)
  // The trainer passes scale = eta/m, l2 = eta*lambda/n (0 for biases).
  virtual void sgd_update(Buf param, Buf dparam, Buf velocity, size_t n, float scale, float l2,
                          float momentum) = 0;

  // A dense layer's backward pass and its SGD step at once: matmul_backward, then
  // sgd_update of weight from dweight (with l2) and of bias from dbias (l2 0), with
  // their velocities (kNone without momentum). dinp comes from the weights before
  // the step. A backend may fuse the weight gradient into the step (the CPU does
  // without momentum): dweight is then left as it was.
  struct SgdStep {
    float scale = 0, l2 = 0, momentum = 0;
    Buf vweight = kNone, vbias = kNone;
  };
  virtual void matmul_backward_sgd(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, Buf bias,
                                   int B, int C, int OC, const SgdStep& s) {
    matmul_backward(dinp, dweight, dbias, dout, inp, weight, B, C, OC);
    sgd_update(weight, dweight, s.vweight, size_t(OC) * C, s.scale, s.l2, s.momentum);
    sgd_update(bias, dbias, s.vbias, size_t(OC), s.scale, 0.0f, s.momentum);
  }

  // confusion (K,K) i32: confusion[y[b]*K + argmax_k a[b,k]] += 1
  virtual void eval_accumulate(Buf confusion, Buf a, Buf y, int B, int K) = 0;

  // The layer kinds past dense and activation are optional: why this backend
  // cannot run `kind` (Net refuses such a network with it), or "" if it can.
  virtual std::string lacks(LayerKind kind) const {
    switch (kind) {
      case LayerKind::Conv: return "has no convolution yet";
      case LayerKind::MaxPool: return "has no max-pooling yet";
      case LayerKind::Dropout: return "has no dropout yet";
      default: return "";
    }
  }

  // out (B,F,OH,OW) = inp (B,C,H,W) (*) weight (F,C,k,k) + bias (F).
  // Scratch: cols of B*CKK*P floats (the im2col patches of every sample), tmp of B*F*P.
  virtual void conv_forward(Buf out, Buf inp, Buf weight, Buf bias, Buf cols, Buf tmp, int B, const ConvShape& s) {
    (void)out, (void)inp, (void)weight, (void)bias, (void)cols, (void)tmp, (void)B, (void)s;
    std::abort();  // unreachable: Net asks lacks() first
  }
  // dinp (B,C,H,W) (skipped if kNone), dweight (F,C,k,k) = sum over the batch,
  // dbias (F) = sum of dout over the batch and positions; dout (B,F,OH,OW).
  // Scratch as above. cols_ready: cols still hold the patches conv_forward wrote
  // for this inp, B and s (nothing has written cols or inp since), so they need
  // not be made again; the pass leaves other values in cols either way.
  virtual void conv_backward(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, Buf cols, Buf tmp,
                             int B, const ConvShape& s, bool cols_ready) {
    (void)dinp, (void)dweight, (void)dbias, (void)dout, (void)inp, (void)weight, (void)cols, (void)tmp, (void)B,
        (void)s, (void)cols_ready;
    std::abort();
  }
  // out (B,C,OH,OW) = the max of each window of inp (B,C,H,W); argmax (B,C,OH,OW) i32
  // = where in its sample's (C,H,W) the max was (the first of equal values).
  virtual void maxpool_forward(Buf out, Buf argmax, Buf inp, int B, const PoolShape& s) {
    (void)out, (void)argmax, (void)inp, (void)B, (void)s;
    std::abort();
  }
  // dinp (B,C,H,W) = dout (B,C,OH,OW) routed to each window's max, 0 elsewhere.
  virtual void maxpool_backward(Buf dinp, Buf dout, Buf argmax, int B, const PoolShape& s) {
    (void)dinp, (void)dout, (void)argmax, (void)B, (void)s;
    std::abort();
  }
  // Inverted dropout on n floats: mask[i] = 0 with probability `rate`, else
  // 1/(1-rate), drawn from hash(key, i) alone (any thread count, any device:
  // the same mask); out = inp * mask.
  virtual void dropout_forward(Buf out, Buf mask, Buf inp, size_t n, float rate, uint64_t key) {
    (void)out, (void)mask, (void)inp, (void)n, (void)rate, (void)key;
    std::abort();
  }
  // dinp (n) = dout * mask.
  virtual void dropout_backward(Buf dinp, Buf dout, Buf mask, size_t n) {
    (void)dinp, (void)dout, (void)mask, (void)n;
    std::abort();
  }

  // [SECTION] batch parts. A backend whose ops may run at once from several host
  // threads (the CPU) lets Net run a pass's conv layers part by part over the batch,
  // each part's ops one after another on one thread: a conv net at batch 10 has ops of
  // tens of microseconds, too short to split one by one. The three below are reached
  // only where runs_parts() is true.
  virtual bool runs_parts() const { return false; }
  // Elements [offset, offset + count) of b as a buffer of their own, sharing b's
  // memory; release frees the handle, never the memory. Live no longer than b.
  virtual Buf view(Buf b, size_t offset, size_t count) {
    (void)b, (void)offset, (void)count;
    std::abort();
  }
  // fn(0) .. fn(parts - 1), as many at once as there are threads; the ops fn calls
  // run on its thread. Returns when all are done.
  virtual void run_parts(int parts, const std::function<void(int part)>& fn) {
    (void)parts, (void)fn;
    std::abort();
  }
  // dst (n) += src (n)
  virtual void add(Buf dst, Buf src, size_t n) {
    (void)dst, (void)src, (void)n;
    std::abort();
  }
};

// Dropout's draw for element i under key: keep it when dropout_uniform(key, i) >= rate.
// A counter-based hash (SplitMix64's finaliser), so no state and no order.
inline float dropout_uniform(uint64_t key, uint64_t i) {
  uint64_t z = key + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return float(z >> 40) * (1.0f / 16777216.0f);  // 24 bits: exact in a float, in [0, 1)
}

// threads: how many run the GEMMs and elementwise ops (< 1: one per core). Any
// count gives bit-identical results: work is split into fixed whole-row ranges.
std::unique_ptr<Backend> make_cpu_backend(int threads = 1);

}  // namespace nnlab
