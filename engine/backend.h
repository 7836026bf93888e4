// The compute interface the trainer drives: device-resident buffers and the few
// ops one SGD step and one evaluation need. The CPU (Eigen) backend is the
// specification; native/gl/gl_backend.cpp mirrors it op by op in compute shaders.
// Storage is row-major throughout. Shapes: B batch, C inputs, OC outputs, K classes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config.h"

namespace nnlab {

using Buf = int;  // a buffer handle owned by the backend; kNone = absent
constexpr Buf kNone = -1;

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

  // a (B,OC) = act(z); Softmax works row by row.
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

  // confusion (K,K) i32: confusion[y[b]*K + argmax_k a[b,k]] += 1
  virtual void eval_accumulate(Buf confusion, Buf a, Buf y, int B, int K) = 0;
};

// threads: how many run the GEMMs and elementwise ops (< 1: one per core). Any
// count gives bit-identical results: work is split into fixed whole-row ranges.
std::unique_ptr<Backend> make_cpu_backend(int threads = 1);

}  // namespace nnlab
