// The buffer contract of engine/backend.h on the CPU backend (the same checks
// run on OpenGL in tests/test_gl.cpp): handles are reused, and an allocation
// that cannot be had returns kNone instead of crashing. Then the CPU backend's
// flush of tiny activations and deltas (no denormals for the GEMMs).
#include <doctest.h>

#include "backend.h"
#include "backend_contract.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

using namespace nnlab;

namespace {

Buf upload(Backend& be, const std::vector<float>& v) {  // a new buffer holding v
  const Buf b = be.alloc(DType::F32, v.size());
  be.write(b, v.data(), v.size() * sizeof(float));
  return b;
}
std::vector<float> download(Backend& be, Buf b, size_t n) {
  std::vector<float> v(n);
  be.read(b, v.data(), n * sizeof(float));
  return v;
}

}  // namespace

TEST_CASE("backend (cpu): released handles are reused, so a loop's handle count stays bounded") {
  std::unique_ptr<Backend> be = make_cpu_backend();
  nnlab::testing::check_handles_reused(*be);
}

TEST_CASE("backend (cpu): an absurd allocation returns kNone and the backend still works") {
  std::unique_ptr<Backend> be = make_cpu_backend();
  nnlab::testing::check_absurd_alloc_fails(*be);
}

TEST_CASE("backend (cpu): activations and deltas below 2^-63 are stored as 0, so no GEMM meets a denormal") {
  // engine/backend_cpu.cpp, kTiny: a saturated sigmoid net's products fell below FLT_MIN
  // and ran a third slower on x86, in the browser too (no flush-to-zero in WebAssembly).
  std::unique_ptr<Backend> be = make_cpu_backend();
  auto buf = [&](const std::vector<float>& v) { return upload(*be, v); };
  auto get = [&](Buf b, size_t n) { return download(*be, b, n); };
  // sigmoid(-50) = 2e-22 is stored as 0; sigmoid(-40) = 4e-18 is kept.
  Buf z = buf({-50.0f, -40.0f, 0.0f}), a = buf({0, 0, 0});
  be->activation_forward(a, z, 1, 3, Act::Sigmoid);
  std::vector<float> av = get(a, 3);
  CHECK(av[0] == 0.0f);
  CHECK(av[1] > 4e-18f);
  CHECK(av[2] == 0.5f);
  // Deltas: 1e-25 * sigma' and a gradient of 1e-30 go to 0, the rest as computed.
  for (Act act : {Act::Sigmoid, Act::Tanh, Act::Relu}) {
    CAPTURE(int(act));
    Buf da = buf({1.0f, 1e-30f, 1e-10f}), y = buf({1e-25f, 0.25f, 0.25f}), dz = buf({7, 7, 7});
    be->activation_backward(dz, da, y, 1, 3, act);
    std::vector<float> d = get(dz, 3);
    if (act == Act::Sigmoid) CHECK(d[0] == 0.0f);
    CHECK(d[1] == 0.0f);
    CHECK(d[2] > 1e-12f);  // 1e-10 times 0.1875 (sigmoid), 0.9375 (tanh), 1 (relu)
    for (Buf b : {da, y, dz}) be->release(b);
  }
  // The output layer's delta: a sigmoid output of 1e-25 for a wrong class (cross-entropy: a - y).
  Buf oz = buf({-57.5f, 3.0f}), oa = buf({1e-25f, 0.95f}), dz = buf({7, 7}), loss = buf({0, 0});
  Buf label = be->alloc(DType::I32, 1);
  const int32_t one = 1;
  be->write(label, &one, sizeof one);
  be->output_backward(dz, loss, 0, oz, oa, label, 1, 2, Act::Sigmoid, Cost::CrossEntropy);
  std::vector<float> d = get(dz, 2);
  CHECK(d[0] == 0.0f);
  CHECK(d[1] == doctest::Approx(-0.05f));
  for (Buf b : {z, a, oz, oa, dz, loss, label}) be->release(b);
}

TEST_CASE("backend (cpu): a NaN pre-activation stays NaN through every activation") {
  // A diverged run must show in its loss: an activation that turned NaN into a number (ReLU
  // as "z > 0 ? z : 0") would leave a dead NaN filter and a finite loss.
  std::unique_ptr<Backend> be = make_cpu_backend();
  const std::vector<float> zs = {NAN, 1.0f, -1.0f, NAN, 0.5f, NAN, -2.0f, 3.0f, NAN, 0.0f,
                                 -0.5f, NAN, 2.0f, -3.0f, 4.0f, NAN, 1.5f};  // 17: a SIMD body and tail
  for (Act act : {Act::Sigmoid, Act::Tanh, Act::Relu, Act::Softmax}) {
    CAPTURE(int(act));
    const Buf z = upload(*be, zs), a = upload(*be, std::vector<float>(zs.size(), 7.0f));
    be->activation_forward(a, z, 1, int(zs.size()), act);
    const std::vector<float> av = download(*be, a, zs.size());
    for (size_t i = 0; i < zs.size(); ++i)
      if (std::isnan(zs[i]) || act == Act::Softmax) CHECK(std::isnan(av[i]));  // softmax: the whole row
    be->release(z);
    be->release(a);
  }
}

TEST_CASE("backend (cpu): views share their buffer's memory, and run_parts runs each part once") {
  // What Net's batch parts stand on (engine/backend.h, "batch parts").
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    std::unique_ptr<Backend> be = make_cpu_backend(threads);
    REQUIRE(be->runs_parts());
    std::vector<float> v(1000);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i);
    const Buf whole = upload(*be, v);
    // 7 parts of 1000 values, each a view of its range: part p adds 1000 * (p + 1) to every value.
    constexpr int kParts = 7;
    std::vector<Buf> views, ones;
    std::vector<float> add(1000);
    for (int p = 0; p < kParts; ++p) {
      const size_t b0 = size_t(p) * v.size() / kParts, b1 = size_t(p + 1) * v.size() / kParts;
      views.push_back(be->view(whole, b0, b1 - b0));
      std::fill(add.begin(), add.end(), 1000.0f * float(p + 1));
      ones.push_back(upload(*be, std::vector<float>(add.begin(), add.begin() + std::ptrdiff_t(b1 - b0))));
    }
    std::vector<int> runs(kParts, 0);
    be->run_parts(kParts, [&](int p) {
      ++runs[size_t(p)];
      const size_t b0 = size_t(p) * v.size() / kParts, b1 = size_t(p + 1) * v.size() / kParts;
      be->add(views[size_t(p)], ones[size_t(p)], b1 - b0);
    });
    CHECK(runs == std::vector<int>(kParts, 1));
    for (Buf b : views) be->release(b);  // frees the handles only: whole keeps its memory
    const std::vector<float> got = download(*be, whole, v.size());
    for (int p = 0; p < kParts; ++p)
      for (size_t i = size_t(p) * v.size() / kParts; i < size_t(p + 1) * v.size() / kParts; ++i) {
        CAPTURE(i);
        REQUIRE(got[i] == float(i) + 1000.0f * float(p + 1));
      }
    // A whole-buffer add past the elementwise split size, on the pool: every value once.
    const size_t n = size_t(1) << 18;
    const Buf a = upload(*be, std::vector<float>(n, 2.0f)), b = upload(*be, std::vector<float>(n, 2.0f));
    be->add(a, b, n);
    const std::vector<float> x = download(*be, a, n);
    CHECK(std::count(x.begin(), x.end(), 4.0f) == std::ptrdiff_t(n));
  }
}

TEST_CASE("backend (cpu): a dense layer split in halves of W matches naive sums, on 1, 2 and 3 threads") {
  // B = 10, C = 300, OC = 800: 2.4M multiply-adds, a mid-size layer, so the CPU backend
  // splits W's rows in halves and makes the input gradient as two half-sums added.
  const int B = 10, C = 300, OC = 800;
  uint32_t seed = 3;
  auto rnd = [&]() {
    seed = seed * 1664525u + 1013904223u;
    return float(seed >> 8) / float(1 << 24) * 2.0f - 1.0f;
  };
  std::vector<float> x(size_t(B) * C), w(size_t(OC) * C), bias(OC), dout(size_t(B) * OC);
  for (auto* v : {&x, &w, &bias, &dout})
    for (float& e : *v) e = rnd();
  // Naive sums in double.
  std::vector<double> out(size_t(B) * OC), dinp(size_t(B) * C, 0.0), dw(size_t(OC) * C, 0.0), db(OC, 0.0);
  for (int b = 0; b < B; ++b)
    for (int o = 0; o < OC; ++o) {
      double s = bias[size_t(o)];
      for (int i = 0; i < C; ++i) s += double(x[size_t(b) * C + i]) * w[size_t(o) * C + i];
      out[size_t(b) * OC + o] = s;
      const double g = dout[size_t(b) * OC + o];
      db[size_t(o)] += g;
      for (int i = 0; i < C; ++i) {
        dinp[size_t(b) * C + i] += g * w[size_t(o) * C + i];
        dw[size_t(o) * C + i] += g * x[size_t(b) * C + i];
      }
    }
  auto close = [](const std::vector<float>& got, const std::vector<double>& want) {
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]) / (1 + std::fabs(want[i])));
    return worst;
  };
  std::vector<std::vector<float>> first;
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    std::unique_ptr<Backend> be = make_cpu_backend(threads);
    auto buf = [&](const std::vector<float>& v) { return upload(*be, v); };
    auto get = [&](Buf h, size_t n) { return download(*be, h, n); };
    const Buf X = buf(x), W = buf(w), Bias = buf(bias), D = buf(dout), O = be->alloc(DType::F32, out.size()),
              DI = be->alloc(DType::F32, dinp.size()), DW = be->alloc(DType::F32, dw.size()),
              DB = be->alloc(DType::F32, db.size());
    be->matmul_forward(O, X, W, Bias, B, C, OC);
    be->matmul_backward(DI, DW, DB, D, X, W, B, C, OC);
    std::vector<std::vector<float>> got = {get(O, out.size()), get(DI, dinp.size()), get(DW, dw.size()),
                                           get(DB, db.size())};
    CHECK(close(got[0], out) < 1e-5);
    CHECK(close(got[1], dinp) < 1e-5);
    CHECK(close(got[2], dw) < 1e-5);
    CHECK(close(got[3], db) < 1e-5);
    if (first.empty()) first = got;
    for (size_t t = 0; t < got.size(); ++t) {
      CAPTURE(t);
      CHECK(got[t] == first[t]);
    }
  }
}
