// The CPU backend: the specification every other backend is tested against.
// Buffers are 64-byte aligned host arrays; GEMMs go through kernels.h.
#include <Eigen/Core>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <vector>

#include "backend.h"
#include "conv_ops.h"
#include "handles.h"
#include "kernels.h"
#include "parallel.h"

namespace nnlab {
namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using CArrayMap = Eigen::Map<const Eigen::ArrayXf>;

size_t elem_size(DType t) { return t == DType::U8 ? 1 : 4; }

// A saturated sigmoid unit's output and delta shrink toward 0 until their products in
// the next GEMM fall below FLT_MIN: denormals, each multiply-add with one a microcode
// assist of ~100 cycles on x86 unless flush-to-zero is on (the native kernels turn it
// on, simd.h; WebAssembly cannot). So activations and deltas below kTiny = 2^-63
// (kernels.h) are stored as 0, and a product of two is 0 or at least 2^-126 = FLT_MIN.
// What is dropped moves a weight by at most eta * 2^-63 per batch: less than half a bit
// of any weight of magnitude 1e-9 or more, for eta up to 100.
// [784,1024,1024,10] b256 with flush-to-zero off: 8,115 -> 12,425 samples/s (AVX-512).
inline float flush_tiny(float v) { return std::fabs(v) < kTiny ? 0.0f : v; }

// The sum of n floats as 64 running sums in a fixed order, then a fixed tree: the
// same bits for any thread split, and it compiles to four independent vector adds
// (AVX-512) per step. With 8 sums it was one chain of adds, each waiting on the last:
// the first conv layer's bias gradient (20 rows of 5,760) took as long as its GEMM.
float row_sum(const float* row, size_t n) {
  constexpr int kParts = 64;
  float part[kParts] = {};
  size_t e = 0;
  for (; e + kParts <= n; e += kParts)
    for (int j = 0; j < kParts; ++j) part[j] += row[e + j];
  for (int j = 0; e < n; ++e, ++j) part[j] += row[e];
  for (int w = kParts / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) part[j] += part[j + w];
  return part[0];
}

struct Storage {
  DType type = DType::F32;
  size_t bytes = 0;
  void* data = nullptr;
  bool owned = true;  // false: a view into another buffer's memory
};

// Set on a pool thread while it runs a Net part (run_parts): that part's ops stay on it.
thread_local bool in_part = false;

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads) : pool_(threads) {}
  ~CpuBackend() override {
    for (Storage& s : bufs_)
      if (s.owned) std::free(s.data);
  }
  std::string name() const override {
    const int n = pool_.size();
    return "cpu (" + std::to_string(n) + (n == 1 ? " thread, " : " threads, ") + kernels_name() + ")";
  }

  Buf alloc(DType type, size_t count) override {
    // Sizes past the machine's memory are refused before asking: an overcommitting
    // kernel (vm.overcommit_memory=1) would grant them and the memset below would
    // then be killed, and AddressSanitizer aborts on them instead of returning null.
    if (count > max_bytes() / elem_size(type)) return kNone;
    const size_t bytes = count * elem_size(type);
    const size_t rounded = (bytes + 63) / 64 * 64 + 64;
    void* p = std::aligned_alloc(64, rounded);
    if (!p) return kNone;
    std::memset(p, 0, rounded);
    return bufs_.add({type, bytes, p});
  }
  Buf view(Buf b, size_t offset, size_t count) override {
    const Storage& s = bufs_[b];
    const size_t e = elem_size(s.type);
    return bufs_.add({s.type, count * e, static_cast<uint8_t*>(s.data) + offset * e, false});
  }
  size_t max_buffer_bytes() const override { return max_bytes(); }
  void release(Buf b) override {
    if (!bufs_.in_range(b) || !bufs_[b].data) return;  // kNone, or released
    if (bufs_[b].owned) std::free(bufs_[b].data);
    bufs_.remove(b);
  }
  void write(Buf b, const void* src, size_t bytes, size_t offset) override {
    std::memcpy(static_cast<uint8_t*>(bufs_[b].data) + offset, src, bytes);
  }
  void read(Buf b, void* dst, size_t bytes, size_t offset) override {
    std::memcpy(dst, static_cast<const uint8_t*>(bufs_[b].data) + offset, bytes);
  }

  void gather(Buf x, Buf y, Buf images, Buf labels, Buf idx, int offset, int B, int C) override {
    float* xs = f(x);              // (B,C)
    int32_t* ys = i32(y);          // (B)
    const uint8_t* im = u8(images);  // (N,C)
    const uint8_t* lb = u8(labels);  // (N)
    const int32_t* order = idx == kNone ? nullptr : i32(idx);
    for (int b = 0; b < B; ++b) {
      size_t row = size_t(order ? order[offset + b] : offset + b);
      bytes_to_unit(xs + size_t(b) * C, im + row * size_t(C), size_t(C));
      ys[b] = lb[row];
    }
    // Shuffled rows are random lines of a 47 MB array, each a cache miss: ask for the
    // next batch's rows now so they arrive while this batch computes (a third of the
    // gather's time at batch 10 went to waiting for memory).
    if (order) {
      const size_t n = bufs_[idx].bytes / sizeof(int32_t);
      for (size_t b = size_t(offset) + B; b < size_t(offset) + 2 * size_t(B) && b < n; ++b) {
        const uint8_t* next = im + size_t(order[b]) * size_t(C);
        for (int c = 0; c < C; c += 64) __builtin_prefetch(next + c);
        __builtin_prefetch(lb + order[b]);
      }
    }
  }

  void matmul_forward(Buf out, Buf inp, Buf weight, Buf bias, int B, int C, int OC) override {
    float *o = f(out);
    const float *x = f(inp), *w = f(weight), *b = bias == kNone ? nullptr : f(bias);
    if (halves(B, C, OC))
      return by_halves(OC, [&](int, int j0, int j1) {
        gemm_nt(o + j0, x, w + size_t(j0) * C, b ? b + j0 : nullptr, B, j1 - j0, C, OC);
      });
    // By W's rows (out's columns) where each thread gets 64 or more: then each streams
    // only its share of W. Split by the batch's rows, every thread streamed all of W, and
    // a 1024x1024 layer's forward GEMM was slower on 16 threads than on 8.
    if (OC >= 64 * pool_.size())
      return rows(
          OC, double(B) * C * OC,
          [&](int j0, int j1) { gemm_nt(o + j0, x, w + size_t(j0) * C, b ? b + j0 : nullptr, B, j1 - j0, C, OC); },
          /*align=*/16);
    rows(B, double(B) * C * OC, [&](int i0, int i1) {
      gemm_nt(o + size_t(i0) * OC, x + size_t(i0) * C, w, b, i1 - i0, OC, C);
    });
  }

  void matmul_backward(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, int B,
                       int C, int OC) override {
    dense_backward(dinp, dweight, dbias, dout, inp, weight, B, C, OC, nullptr);
  }

  // Without momentum the weight gradient goes straight into the step (gemm_tn_sgd):
  // at batch 10 a 1000-wide layer's 4 MB of gradient was written and read again.
  void matmul_backward_sgd(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, Buf bias, int B,
                           int C, int OC, const SgdStep& s) override {
    if (s.vweight != kNone)
      return Backend::matmul_backward_sgd(dinp, dweight, dbias, dout, inp, weight, bias, B, C, OC, s);
    dense_backward(dinp, dweight, dbias, dout, inp, weight, B, C, OC, &s);
    sgd_update(bias, dbias, kNone, size_t(OC), s.scale, 0.0f, 0.0f);
  }

  void activation_forward(Buf a, Buf z, int B, int OC, Act act) override {
    if (act == Act::Softmax) {
      ArrayMap out(f(a), Eigen::Index(size_t(B) * OC));
      CArrayMap in(f(z), Eigen::Index(size_t(B) * OC));
      for (int b = 0; b < B; ++b) {
        auto zr = in.segment(Eigen::Index(b) * OC, OC);
        auto ar = out.segment(Eigen::Index(b) * OC, OC);
        ar = (zr - zr.maxCoeff()).exp();
        ar /= ar.sum();
      }
      return;
    }
    // Plain loops where Eigen would be scalar in wasm (3.4 has no wasm packets): clang
    // vectorizes them for SIMD128 as GCC does for AVX; the sigmoid's exp is a kernel.
    elements(size_t(B) * OC, [&](size_t e0, size_t e1) {
      float* out = f(a);
      const float* in = f(z);
      switch (act) {
        case Act::Sigmoid: sigmoid(out + e0, in + e0, e1 - e0); break;  // kernels.h: flushed as below
        case Act::Tanh:
          ArrayMap(out + e0, Eigen::Index(e1 - e0)) = CArrayMap(in + e0, Eigen::Index(e1 - e0)).tanh();
          break;
        case Act::Relu: for (size_t e = e0; e < e1; ++e) out[e] = in[e] < 0.0f ? 0.0f : in[e]; break;  // NaN kept
        case Act::Softmax: break;
      }
    });
  }

  void activation_backward(Buf dz, Buf da, Buf a, int B, int OC, Act act) override {
    if (act == Act::Softmax) std::abort();  // the output layer goes through output_backward
    elements(size_t(B) * OC, [&](size_t e0, size_t e1) {
      float* out = f(dz);
      const float* g = f(da);
      const float* y = f(a);
      switch (act) {
        case Act::Sigmoid: for (size_t e = e0; e < e1; ++e) out[e] = flush_tiny(g[e] * y[e] * (1.0f - y[e])); break;
        case Act::Tanh: for (size_t e = e0; e < e1; ++e) out[e] = flush_tiny(g[e] * (1.0f - y[e] * y[e])); break;
        case Act::Relu:  // g[e] read before the test, or clang does not vectorize
          for (size_t e = e0; e < e1; ++e) {
            const float ge = g[e];
            out[e] = flush_tiny(y[e] > 0.0f ? ge : 0.0f);
          }
          break;
        case Act::Softmax: break;
      }
    });
  }

  void output_backward(Buf dz, Buf loss, int loss_slot, Buf z, Buf a, Buf y, int B, int OC,
                       Act output, Cost cost) override {
    float* d = f(dz);
    const float* zs = f(z);
    const float* as = f(a);
    const int32_t* ys = i32(y);
    double total = 0;
    for (int b = 0; b < B; ++b) {
      const float* zr = zs + size_t(b) * OC;
      const float* ar = as + size_t(b) * OC;
      float* dr = d + size_t(b) * OC;
      int t = ys[b];
      double sample = 0;
      if (cost == Cost::Quadratic) {
        // C = 1/2 |a - y|^2
        double dot = 0;  // softmax: (a - y) . a, for the Jacobian product
        for (int k = 0; k < OC; ++k) {
          float e = ar[k] - (k == t ? 1.0f : 0.0f);
          sample += 0.5 * double(e) * e;
          dot += double(e) * ar[k];
        }
        for (int k = 0; k < OC; ++k) {
          float e = ar[k] - (k == t ? 1.0f : 0.0f);
          dr[k] = flush_tiny(output == Act::Softmax ? ar[k] * (e - float(dot)) : e * ar[k] * (1.0f - ar[k]));
        }
      } else {
        // dC/dz = a - y for both pairings (the point of ch.3's cross-entropy).
        for (int k = 0; k < OC; ++k) dr[k] = flush_tiny(ar[k] - (k == t ? 1.0f : 0.0f));
        if (output == Act::Softmax) {
          // -ln a_t = logsumexp(z) - z_t
          float m = zr[0];
          for (int k = 1; k < OC; ++k) m = std::max(m, zr[k]);
          double s = 0;
          for (int k = 0; k < OC; ++k) s += std::exp(double(zr[k] - m));
          sample = double(m) + std::log(s) - zr[t];
        } else {
          // -[y ln a + (1-y) ln(1-a)] = softplus(z) - y z
          for (int k = 0; k < OC; ++k) {
            double zk = zr[k];
            sample += std::max(zk, 0.0) + std::log1p(std::exp(-std::fabs(zk))) - (k == t ? zk : 0.0);
          }
        }
      }
      total += sample;
    }
    f(loss)[loss_slot] = float(total);
  }

  void sgd_update(Buf param, Buf dparam, Buf velocity, size_t n, float scale, float l2,
                  float momentum) override {
    elements(n, [&](size_t e0, size_t e1) {
      if (velocity == kNone) return sgd_step(f(param) + e0, f(dparam) + e0, e1 - e0, scale, l2);
      ArrayMap p(f(param) + e0, Eigen::Index(e1 - e0));
      CArrayMap g(f(dparam) + e0, Eigen::Index(e1 - e0));
      ArrayMap v(f(velocity) + e0, Eigen::Index(e1 - e0));
      v = momentum * v - (scale * g + l2 * p);
      p += v;
    });
  }

  void eval_accumulate(Buf confusion, Buf a, Buf y, int B, int K) override {
    int32_t* conf = i32(confusion);
    const float* as = f(a);
    const int32_t* ys = i32(y);
    for (int b = 0; b < B; ++b) {
      const float* r = as + size_t(b) * K;
      int best = 0;
      for (int k = 1; k < K; ++k)
        if (r[k] > r[best]) best = k;
      conf[ys[b] * K + best] += 1;
    }
  }

  std::string lacks(LayerKind) const override { return ""; }

  // [SECTION] batch parts: parts in contiguous runs, one run per thread.
  bool runs_parts() const override { return true; }
  void run_parts(int parts, const std::function<void(int)>& fn) override {
    const int threads = std::min(parts, pool_.size());
    pool_.run(threads, [&](int t) {
      in_part = true;
      size_t p0, p1;
      split_range(size_t(parts), threads, t, 1, p0, p1);
      for (size_t p = p0; p < p1; ++p) fn(int(p));
      in_part = false;
    });
  }
  void add(Buf dst, Buf src, size_t n) override {
    elements(n, [&](size_t e0, size_t e1) {
      ArrayMap(f(dst) + e0, Eigen::Index(e1 - e0)) += CArrayMap(f(src) + e0, Eigen::Index(e1 - e0));
    });
  }

  // [SECTION] conv: the batch's patches side by side, cols (CKK, B*P) = im2col of each sample;
  //   out' (F, B*P) = W (F,CKK) . cols, then out (B,F,P) = out' + bias, sample by sample
  //   backward: dout' (F, B*P) from dout; dW = dout' . cols^T; db = row sums of dout';
  //             dcols = W^T . dout', dinp = col2im(dcols) sample by sample
  // One GEMM over the whole batch amortises each output's reduction over B*P terms;
  // GEMMs split by output rows and the rest by samples, so any thread count gives
  // the same bits.
  void conv_forward(Buf out, Buf inp, Buf weight, Buf bias, Buf cols, Buf tmp, int B,
                    const ConvShape& s) override {
    const int P = s.P(), CKK = s.CKK(), F = s.F;
    const size_t in = size_t(s.C) * s.H * s.W, N = size_t(B) * P;
    float *o = f(out), *cl = f(cols), *t = f(tmp);
    const float *x = f(inp), *w = f(weight), *bs = f(bias);
    const double work = double(B) * F * CKK * P;
    samples(B, work, [&](int b0, int b1) {
      for (int b = b0; b < b1; ++b) conv::im2col(cl + size_t(b) * P, N, x + size_t(b) * in, s);
    });
    rows(F, work, [&](int f0, int f1) {
      gemm_nn(t + size_t(f0) * N, w + size_t(f0) * CKK, cl, f1 - f0, int(N), CKK);
    });
    samples(B, work, [&](int b0, int b1) {
      for (int b = b0; b < b1; ++b)
        for (int r = 0; r < F; ++r) {
          float* dst = o + (size_t(b) * F + r) * P;
          const float* src = t + size_t(r) * N + size_t(b) * P;
          for (int p = 0; p < P; ++p) dst[p] = src[p] + bs[r];
        }
    });
  }

  void conv_backward(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, Buf cols, Buf tmp, int B,
                     const ConvShape& s, bool cols_ready) override {
    const int P = s.P(), CKK = s.CKK(), F = s.F;
    const size_t in = size_t(s.C) * s.H * s.W, N = size_t(B) * P;
    float *cl = f(cols), *dw = f(dweight), *db = f(dbias), *t = f(tmp);
    const float *d = f(dout), *x = f(inp), *w = f(weight);
    const double work = double(B) * F * CKK * P;
    samples(B, work, [&](int b0, int b1) {  // the patches again unless kept, and dout'
      for (int b = b0; b < b1; ++b) {
        if (!cols_ready) conv::im2col(cl + size_t(b) * P, N, x + size_t(b) * in, s);
        for (int r = 0; r < F; ++r)
          std::memcpy(t + size_t(r) * N + size_t(b) * P, d + (size_t(b) * F + r) * P, sizeof(float) * size_t(P));
      }
    });
    rows(F, work, [&](int f0, int f1) {
      gemm_nt(dw + size_t(f0) * CKK, t + size_t(f0) * N, cl, nullptr, f1 - f0, CKK, int(N));
      for (int r = f0; r < f1; ++r) db[r] = row_sum(t + size_t(r) * N, N);
    });
    if (dinp == kNone) return;
    float* di = f(dinp);
    rows(CKK, work, [&](int r0, int r1) {  // dcols (CKK, B*P) = W^T (CKK,F) . dout' (F, B*P), over cols
      gemm_tn(cl + size_t(r0) * N, w + r0, t, r1 - r0, int(N), F, CKK);
    });
    samples(B, work, [&](int b0, int b1) {
      for (int b = b0; b < b1; ++b) conv::col2im(di + size_t(b) * in, cl + size_t(b) * P, N, s);
    });
  }

  // [SECTION] max-pool and dropout
  void maxpool_forward(Buf out, Buf argmax, Buf inp, int B, const PoolShape& s) override {
    const size_t in = size_t(s.C) * s.H * s.W, on = size_t(s.C) * s.OH() * s.OW();
    float* o = f(out);
    int32_t* am = i32(argmax);
    const float* x = f(inp);
    samples(B, double(B) * in * 4, [&](int b0, int b1) {
      for (int b = b0; b < b1; ++b) conv::maxpool_forward(o + b * on, am + b * on, x + b * in, s);
    });
  }
  void maxpool_backward(Buf dinp, Buf dout, Buf argmax, int B, const PoolShape& s) override {
    const size_t in = size_t(s.C) * s.H * s.W, on = size_t(s.C) * s.OH() * s.OW();
    float* di = f(dinp);
    const float* d = f(dout);
    const int32_t* am = i32(argmax);
    samples(B, double(B) * in * 4, [&](int b0, int b1) {
      for (int b = b0; b < b1; ++b) conv::maxpool_backward(di + b * in, d + b * on, am + b * on, s);
    });
  }
  void dropout_forward(Buf out, Buf mask, Buf inp, size_t n, float rate, uint64_t key) override {
    const float keep = 1.0f / (1.0f - rate);
    float *o = f(out), *m = f(mask);
    const float* x = f(inp);
    elements(n, [&](size_t e0, size_t e1) {
      for (size_t e = e0; e < e1; ++e) {
        m[e] = dropout_uniform(key, e) >= rate ? keep : 0.0f;
        o[e] = x[e] * m[e];
      }
    });
  }
  void dropout_backward(Buf dinp, Buf dout, Buf mask, size_t n) override {
    float* di = f(dinp);
    const float *d = f(dout), *m = f(mask);
    elements(n, [&](size_t e0, size_t e1) {
      for (size_t e = e0; e < e1; ++e) di[e] = d[e] * m[e];
    });
  }

 private:
  // matmul_backward, or with a step the weights take it in place of dweight's write.
  void dense_backward(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, int B, int C, int OC,
                      const SgdStep* step) {
    const float* d = f(dout);  // (B,OC)
    const float* x = f(inp);
    float* w = f(weight);
    float* db = f(dbias);  // (OC)
    auto weights = [&](int o0, int o1) {  // dweight's rows [o0, o1) (or their step) and dbias's
      if (step)
        gemm_tn_sgd(w + size_t(o0) * C, d + o0, x, o1 - o0, C, B, OC, step->scale, step->l2);
      else
        gemm_tn(f(dweight) + size_t(o0) * C, d + o0, x, o1 - o0, C, B, OC);
      for (int o = o0; o < o1; ++o) db[o] = 0;
      for (int b = 0; b < B; ++b)
        for (int o = o0; o < o1; ++o) db[o] += d[size_t(b) * OC + o];
    };
    if (halves(B, C, OC)) {
      if (dinp != kNone) {  // the sum over W's first rows, plus the sum over the rest
        float* di = f(dinp);
        half_sum_.resize(size_t(B) * C);
        by_halves(OC, [&](int h, int o0, int o1) {
          gemm_nn(h == 0 ? di : half_sum_.data(), d + o0, w + size_t(o0) * C, B, C, o1 - o0, OC);
        });
        by_halves(B * C, [&](int, int e0, int e1) {
          for (int e = e0; e < e1; ++e) di[e] += half_sum_[size_t(e)];
        });
      }
      return by_halves(OC, [&](int, int o0, int o1) { weights(o0, o1); });
    }
    if (dinp != kNone) {  // from the weights before any step
      float* di = f(dinp);
      rows(B, double(B) * C * OC, [&](int i0, int i1) {
        gemm_nn(di + size_t(i0) * C, d + size_t(i0) * OC, w, i1 - i0, C, OC);
      });
    }
    rows(OC, double(B) * C * OC, weights);
  }

  // A mid-size dense layer (2M-16M multiply-adds: a step of tens of microseconds) splits
  // W's rows in two halves, one per thread (the pool gives part p to thread p), in all
  // three of its GEMMs, so each thread keeps its half of W in its own cache. Split by the
  // batch's rows, both threads read all of W and then each wrote half of it, and W's
  // lines moved between the cores every step: the book's first conv net's fc 2880->100
  // at batch 10 went from 100 to 143 us backward on 2 threads; in halves its forward
  // pass, input gradient and step went from 190 to 117 us (scratch timing). The input
  // gradient sums over W's rows, so it is always made as the two halves' sums added, on
  // one thread too: the same bits for any thread count. Larger layers split across every
  // thread (rows(), kMinRowWork). Only where W is at least as large as the batch's
  // input (OC >= B): else each thread reads all of the input, which the step before
  // wrote on one core, for little gain; [784,30,10] at batch 100 gained 1.13x natively
  // and lost 16% in the page, where the second core draws.
  bool halves(int B, int C, int OC) const {
    const double work = double(B) * C * OC;
    return kernels_split_rows() && OC >= B && work >= kMinHalfWork && work < kMinRowWork;
  }
  // fn(h, i0, i1) for the two halves h of [0, n), at once where there are two threads.
  template <class F>
  void by_halves(int n, F&& fn) {
    auto half = [&](int h) {
      size_t i0, i1;
      split_range(size_t(n), 2, h, 16, i0, i1);
      fn(h, int(i0), int(i1));
    };
    if (pool_.size() >= 2 && !in_part) return pool_.run(2, half);
    half(0);
    half(1);
  }

  // Work below these sizes stays on one thread: waking the others costs more.
#ifndef NNLAB_MIN_ROW_WORK
#define NNLAB_MIN_ROW_WORK (1 << 24)
#endif
  static constexpr double kMinRowWork = NNLAB_MIN_ROW_WORK;   // multiply-adds of one GEMM (16M)
  static constexpr size_t kMinElements = 1 << 17;  // floats of one elementwise op
  static constexpr double kMinHalfWork = 1 << 21;  // multiply-adds of a GEMM split in halves (2M)

  // Output rows [0, M) in contiguous parts across the pool, each boundary a multiple of
  // `align`. A row's values do not depend on the split (kernels_split_rows), so any thread
  // count gives the same bits. gemm_nt's columns split alike, in multiples of 16 (each
  // part's tiles are then the whole call's).
  template <class F>
  void rows(int M, double work, F&& fn, int align = 1) {
    const int units = (M + align - 1) / align;
    const int parts = kernels_split_rows() && work >= kMinRowWork && !in_part ? std::min(pool_.size(), units) : 1;
    if (parts <= 1) return fn(0, M);
    pool_.run(parts, [&](int p) {
      size_t i0, i1;
      split_range(size_t(M), parts, p, size_t(align), i0, i1);
      if (i1 > i0) fn(int(i0), int(i1));
    });
  }
  // Samples [0, B) in contiguous parts: each sample's values are computed alone.
  template <class F>
  void samples(int B, double work, F&& fn) {
    rows(B, work, std::forward<F>(fn));
  }
  // Elements [0, n) in parts that start on 64-byte boundaries (buffers are 64-byte
  // aligned), so Eigen computes each element with the same packet or scalar code
  // as in one piece: the same bits for any thread count.
  template <class F>
  void elements(size_t n, F&& fn) {
    const int parts = n >= kMinElements && !in_part ? pool_.size() : 1;
    if (parts <= 1) return fn(size_t(0), n);
    pool_.run(parts, [&](int p) {
      size_t e0, e1;
      split_range(n, parts, p, 16, e0, e1);
      if (e1 > e0) fn(e0, e1);
    });
  }

  float* f(Buf b) { return static_cast<float*>(bufs_[b].data); }
  int32_t* i32(Buf b) { return static_cast<int32_t*>(bufs_[b].data); }
  uint8_t* u8(Buf b) { return static_cast<uint8_t*>(bufs_[b].data); }

  // Physical memory (under WASM: the heap's limit), less the padding alloc adds.
  static size_t max_bytes() {
    static const size_t limit = [] {
      const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
      return pages > 0 && page > 0 ? size_t(pages) * size_t(page) : SIZE_MAX;
    }();
    return limit - 128;
  }

  Pool pool_;
  std::vector<float> half_sum_;  // the input gradient's second half-sum (halves)
  Handles<Storage> bufs_;  // a released slot has data == nullptr
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) { return std::make_unique<CpuBackend>(threads); }

}  // namespace nnlab
