// The GL op tests' harness (test_gl.cpp, test_gl_conv.cpp): one shared GL
// backend, and twin buffers on it and on a CPU backend, so that each op runs on
// both from the same inputs and the outputs (poisoned with NaN first) compare.
#pragma once
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "backend.h"
#include "gl_backend.h"
#include "gl_skip.h"
#include "rng.h"

namespace nnlab::testing {

inline const float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kTol = 1e-4;  // relative error allowed between GPU and CPU (float32)

struct Gpu {
  Status why;
  std::unique_ptr<Backend> be;
};

// One GL backend for the op tests: the context and shaders are made once.
inline Gpu& gpu() {
  static Gpu g = [] {
    Gpu out;
    out.be = make_gl_backend(out.why);
    return out;
  }();
  return g;
}

// The same buffer on both backends: t[0] on the CPU, t[1] on the GPU.
struct Twin {
  Buf side[2] = {kNone, kNone};
  Buf operator[](int s) const { return side[s]; }
};
inline const Twin kNoTwin{};

// Owns twin buffers on the CPU backend and the shared GPU backend.
class Pair {
 public:
  explicit Pair(Backend* gl = gpu().be.get()) : cpu_(make_cpu_backend()) { be_[0] = cpu_.get(), be_[1] = gl; }
  ~Pair() {
    for (const Twin& t : owned_) be_[1]->release(t[1]);
  }
  Backend& operator[](int s) { return *be_[s]; }

  Twin alloc(DType type, size_t n) {
    Twin t;
    for (int s = 0; s < 2; ++s) t.side[s] = be_[s]->alloc(type, n);
    owned_.push_back(t);
    return t;
  }
  template <class T>
  Twin input(DType type, const std::vector<T>& v) {
    Twin t = alloc(type, v.size());
    for (int s = 0; s < 2; ++s) be_[s]->write(t[s], v.data(), v.size() * sizeof(T));
    return t;
  }
  Twin f32(const std::vector<float>& v) { return input(DType::F32, v); }
  Twin i32(const std::vector<int32_t>& v) { return input(DType::I32, v); }
  Twin u8(const std::vector<uint8_t>& v) { return input(DType::U8, v); }
  // An output: NaN on both sides, so an element the GPU does not write fails.
  Twin poisoned(size_t n) { return f32(std::vector<float>(n, kNaN)); }

  template <class T>
  std::vector<T> read(const Twin& t, int s, size_t n) {
    std::vector<T> v(n);
    be_[s]->read(t[s], v.data(), n * sizeof(T));
    return v;
  }
  // max |gpu - cpu| / max |cpu|; infinite if the GPU left a non-finite value
  // where the CPU has a finite one.
  double rel_err(const Twin& t, size_t n) {
    std::vector<float> c = read<float>(t, 0, n), g = read<float>(t, 1, n);
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; ++i) {
      if (std::isfinite(c[i]) != std::isfinite(g[i])) return INFINITY;
      diff = std::max(diff, double(std::fabs(g[i] - c[i])));
      scale = std::max(scale, double(std::fabs(c[i])));
    }
    return scale > 0 ? diff / scale : diff;
  }

 private:
  std::unique_ptr<Backend> cpu_;
  Backend* be_[2];
  std::vector<Twin> owned_;
};

inline std::vector<float> uniform(Rng& rng, size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (float& x : v) x = float(lo + (hi - lo) * rng.uniform());
  return v;
}

// Skips (or fails, see gl_skip.h) a test where the shared GL backend could not be made.
#define REQUIRE_GL()                                          \
  if (!nnlab::testing::gpu().be) {                            \
    nnlab::testing::skip_or_fail(nnlab::testing::gpu().why); \
    return;                                                   \
  }

}  // namespace nnlab::testing
