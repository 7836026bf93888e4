// The GL backend's conv, max-pool and dropout ops against the CPU backend (the
// specification) on awkward shapes, outputs poisoned first; dropout's masks must
// be bit-identical. Whole conv-net training runs: test_gl_train.cpp.
#include <doctest.h>

#include <cstring>
#include <vector>

#include "gl_pair.h"
#include "net.h"

using namespace nnlab;
using namespace nnlab::testing;

namespace {

struct ConvCase {
  int B;
  ConvShape s;
};

// 1x1 images, a filter as large as the image, odd and non-square maps, C > 1,
// same padding (a 1x1 image under a 3x3 filter sees only the centre tap), even
// k, batch 1 and 7, and the book's two conv layers.
std::vector<ConvCase> conv_cases() {
  return {
      {1, {1, 1, 1, 1, 1, 0}},    {7, {1, 1, 1, 3, 1, 0}},     {7, {1, 1, 1, 2, 3, 1}},
      {1, {3, 5, 5, 4, 5, 0}},    {7, {2, 7, 5, 3, 3, 1}},     {7, {3, 6, 9, 5, 5, 2}},
      {3, {2, 6, 6, 3, 4, 0}},    {7, {4, 3, 3, 2, 3, 1}},     {1, {1, 28, 28, 20, 5, 0}},
      {10, {20, 12, 12, 40, 5, 0}}, {7, {1, 13, 1, 2, 1, 0}},  {2, {5, 9, 11, 7, 3, 1}},
  };
}

// conv_forward, then conv_backward with and without dinp (with the forward pass's
// patches, then with the scratch overwritten), on both backends.
void check_convs(const std::vector<ConvCase>& cases, Backend* gl = gpu().be.get()) {
  Rng rng(12);
  for (const ConvCase& c : cases) {
    const ConvShape& s = c.s;
    const int B = c.B;
    CAPTURE(B); CAPTURE(s.C); CAPTURE(s.H); CAPTURE(s.W); CAPTURE(s.F); CAPTURE(s.k); CAPTURE(s.pad);
    const size_t in = size_t(B) * s.C * s.H * s.W, out_n = size_t(B) * s.F * s.P();
    const size_t wn = size_t(s.F) * s.CKK();
    Pair p(gl);
    Twin inp = p.f32(uniform(rng, in, -1, 1)), w = p.f32(uniform(rng, wn, -1, 1));
    Twin bias = p.f32(uniform(rng, size_t(s.F), -1, 1)), dout = p.f32(uniform(rng, out_n, -1, 1));
    // Scratch poisoned too: an op must not read what it has not written.
    Twin cols = p.poisoned(size_t(B) * s.CKK() * s.P()), tmp = p.poisoned(out_n);
    Twin out = p.poisoned(out_n);
    for (int d = 0; d < 2; ++d) p[d].conv_forward(out[d], inp[d], w[d], bias[d], cols[d], tmp[d], B, s);
    CHECK(p.rel_err(out, out_n) < kTol);

    // Right after the forward pass, the patches it left in cols are used as they are.
    Twin dinp = p.poisoned(in), dw = p.poisoned(wn), db = p.poisoned(size_t(s.F));
    for (int d = 0; d < 2; ++d)
      p[d].conv_backward(dinp[d], dw[d], db[d], dout[d], inp[d], w[d], cols[d], tmp[d], B, s, true);
    CHECK(p.rel_err(dinp, in) < kTol);
    CHECK(p.rel_err(dw, wn) < kTol);
    CHECK(p.rel_err(db, size_t(s.F)) < kTol);

    // The first layer skips dinp; the scratch now holds the backward pass's values,
    // so the patches are made again.
    Twin dw2 = p.poisoned(wn), db2 = p.poisoned(size_t(s.F));
    for (int d = 0; d < 2; ++d)
      p[d].conv_backward(kNone, dw2[d], db2[d], dout[d], inp[d], w[d], cols[d], tmp[d], B, s, false);
    CHECK(p.rel_err(dw2, wn) < kTol);
    CHECK(p.rel_err(db2, size_t(s.F)) < kTol);
  }
}

}  // namespace

TEST_CASE("gl: conv_forward and conv_backward match the CPU on awkward shapes") {
  REQUIRE_GL();
  check_convs(conv_cases());
}

TEST_CASE("gl: conv and pool past 65,535 workgroups in a dimension or samples in a batch") {
  REQUIRE_GL();
  // GL guarantees 65,535 workgroups per dimension: the shaders loop over the rest.
  // And llvmpipe ends any shader loop after 65,535 iterations: the backend slices the batch.
  check_convs({{1, {65600, 1, 1, 2, 1, 0}}, {1, {1, 1, 1, 65600, 1, 0}}, {65600, {1, 1, 1, 1, 1, 0}},
               {4096, {1, 5, 5, 1, 5, 2}}});
  Rng rng(15);
  struct Case {
    int B;
    PoolShape s;
  };
  // 65,600 channels of one sample; 70,000 samples; 4096 samples of 25-value overlapping windows.
  for (Case c : {Case{1, {65600, 2, 2, 2, 2}}, Case{70000, {1, 2, 2, 2, 2}}, Case{4096, {1, 5, 5, 5, 1}}}) {
    const int B = c.B;
    const PoolShape& s = c.s;
    CAPTURE(B);
    Pair p;
    const size_t in = size_t(B) * s.C * s.H * s.W, on = size_t(B) * s.C * s.OH() * s.OW();
    Twin x = p.f32(uniform(rng, in, -1, 1)), dout = p.f32(uniform(rng, on, -1, 1));
    Twin out = p.poisoned(on), arg = p.i32(std::vector<int32_t>(on, -1)), dinp = p.poisoned(in);
    for (int d = 0; d < 2; ++d) p[d].maxpool_forward(out[d], arg[d], x[d], B, s);
    for (int d = 0; d < 2; ++d) p[d].maxpool_backward(dinp[d], dout[d], arg[d], B, s);
    CHECK(p.read<int32_t>(arg, 0, on) == p.read<int32_t>(arg, 1, on));
    CHECK(p.read<float>(dinp, 0, in) == p.read<float>(dinp, 1, in));
  }
}

TEST_CASE("gl: conv's dweight over 70,000 positions matches the CPU without K splits") {
  REQUIRE_GL();
  // dweight's GEMM walks K = B*P; with the split heuristic off (one processor)
  // only the backend's cap on a workgroup's K keeps llvmpipe from stopping early.
  ::setenv("NNLAB_GL_PROCESSORS", "1", 1);
  Status why;
  std::unique_ptr<Backend> be = make_gl_backend(why);
  ::unsetenv("NNLAB_GL_PROCESSORS");
  REQUIRE_MESSAGE(be, why.message);
  check_convs({{70, {1, 40, 25, 1, 1, 0}}, {7, {2, 100, 100, 3, 1, 0}}}, be.get());
}

TEST_CASE("gl: max-pooling matches the CPU exactly, ties and overlapping windows included") {
  REQUIRE_GL();
  struct Case {
    int B;
    PoolShape s;
  };
  // 1x1, a window as large as the map, odd maps (the last row and column
  // unused), overlapping windows (stride < k), batch 1 and 7.
  const Case cases[] = {{1, {1, 1, 1, 1, 1}}, {7, {3, 5, 5, 2, 2}},  {7, {2, 7, 9, 3, 2}},
                        {1, {1, 4, 4, 4, 4}}, {7, {20, 24, 24, 2, 2}}, {3, {2, 6, 5, 3, 1}},
                        {7, {1, 1, 9, 1, 3}}, {2, {4, 11, 7, 2, 3}}};
  Rng rng(13);
  for (const Case& c : cases) {
    const PoolShape& s = c.s;
    const int B = c.B;
    CAPTURE(B); CAPTURE(s.C); CAPTURE(s.H); CAPTURE(s.W); CAPTURE(s.k); CAPTURE(s.stride);
    const size_t in = size_t(B) * s.C * s.H * s.W, on = size_t(B) * s.C * s.OH() * s.OW();
    Pair p;
    std::vector<float> xv(in);
    for (float& x : xv) x = float(rng.below(4));  // few values: many ties, the first must win
    Twin x = p.f32(xv), dout = p.f32(uniform(rng, on, -1, 1));
    Twin out = p.poisoned(on), arg = p.i32(std::vector<int32_t>(on, -1));
    for (int d = 0; d < 2; ++d) p[d].maxpool_forward(out[d], arg[d], x[d], B, s);
    CHECK(p.read<float>(out, 0, on) == p.read<float>(out, 1, on));
    CHECK(p.read<int32_t>(arg, 0, on) == p.read<int32_t>(arg, 1, on));
    Twin dinp = p.poisoned(in);
    for (int d = 0; d < 2; ++d) p[d].maxpool_backward(dinp[d], dout[d], arg[d], B, s);
    // The same additions in the same order: the same bits.
    CHECK(p.read<float>(dinp, 0, in) == p.read<float>(dinp, 1, in));
  }
}

TEST_CASE("gl: dropout draws the CPU's masks bit for bit and applies them") {
  REQUIRE_GL();
  Rng rng(14);
  // Keys with either 32-bit half zero and with both full: the emulated 64-bit arithmetic's carries.
  const uint64_t keys[] = {0, 1, 0xffffffffull, 0xdeadbeef00000000ull, 0xffffffffffffffffull,
                           0x9e3779b97f4a7c15ull};
  for (size_t n : {size_t(1), size_t(7), size_t(1000), size_t(100003)}) {
    for (float rate : {0.5f, 0.2f, 0.9f}) {
      for (uint64_t key : keys) {
        CAPTURE(n); CAPTURE(rate); CAPTURE(key);
        Pair p;
        Twin x = p.f32(uniform(rng, n, -1, 1)), dout = p.f32(uniform(rng, n, -1, 1));
        Twin out = p.poisoned(n), mask = p.poisoned(n), dinp = p.poisoned(n);
        for (int d = 0; d < 2; ++d) p[d].dropout_forward(out[d], mask[d], x[d], n, rate, key);
        for (int d = 0; d < 2; ++d) p[d].dropout_backward(dinp[d], dout[d], mask[d], n);
        for (const Twin* t : {&mask, &out, &dinp}) {
          std::vector<float> c = p.read<float>(*t, 0, n), g = p.read<float>(*t, 1, n);
          CHECK(std::memcmp(c.data(), g.data(), n * sizeof(float)) == 0);
        }
        if (n >= 1000) {  // and the mask is a real draw at this rate (not all kept, not all dropped)
          std::vector<float> m = p.read<float>(mask, 1, n);
          size_t dropped = 0;
          for (float v : m) dropped += v == 0.0f;
          CHECK(std::fabs(double(dropped) / double(n) - rate) < 0.05);
        }
      }
    }
  }
}

TEST_CASE("gl: nets with conv, pool and dropout layers are built on the GL backend") {
  REQUIRE_GL();
  for (const char* text : {"784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax", "784-pool2-fc10-softmax",
                           "784-fc30-relu-dropout0.5-fc10-softmax", "3x9x9-conv4x3same-relu-pool3s2-fc5-softmax"}) {
    CAPTURE(text);
    Status why;
    std::unique_ptr<Backend> gl = make_gl_backend(why);
    REQUIRE_MESSAGE(gl, why.message);
    NetConfig n;
    REQUIRE(parse_net(text, n).ok());
    Net net(n, std::move(gl), 10);
    CHECK_MESSAGE(net.status().ok(), net.status().message);
  }
}
