// The buffer contract of engine/backend.h on the CPU backend (the same checks
// run on OpenGL in tests/test_gl.cpp): handles are reused, and an allocation
// that cannot be had returns kNone instead of crashing. Then the CPU backend's
// flush of tiny activations and deltas (no denormals for the GEMMs).
#include <doctest.h>

#include "backend.h"
#include "backend_contract.h"

#include <vector>

using namespace nnlab;

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
  auto buf = [&](std::vector<float> v) {
    Buf b = be->alloc(DType::F32, v.size());
    be->write(b, v.data(), v.size() * sizeof(float));
    return b;
  };
  auto get = [&](Buf b, size_t n) {
    std::vector<float> v(n);
    be->read(b, v.data(), n * sizeof(float));
    return v;
  };
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
