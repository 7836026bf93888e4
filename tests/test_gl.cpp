// The OpenGL backend against the CPU backend (the specification): every op on
// random inputs of awkward shapes with its outputs poisoned first (whole runs:
// test_gl_train.cpp). Each test skips with a message where no GL 4.3 context exists.
#include <doctest.h>
#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <vector>

#include "backend.h"
#include "backend_contract.h"
#include "gl_backend.h"
#include "gl_context.h"
#include "gl_pair.h"
#include "gl_skip.h"
#include "net.h"
#include "program.h"
#include "rng.h"

using namespace nnlab;
using namespace nnlab::testing;

namespace {

struct Shape {
  int B, C, OC;
};

// The awkward shapes every op is tried on, then random ones (same seed each run).
std::vector<Shape> shapes() {
  std::vector<Shape> s = {{1, 1, 1}, {7, 13, 5}, {129, 65, 33}, {10, 784, 30}, {64, 64, 64},
                          {65, 63, 129}, {256, 100, 10}, {3, 200, 1},
                          // a long K with few output tiles is split (forward, dinp, dweight)
                          {2, 3000, 70}, {4, 3, 900}, {700, 5, 3}};
  Rng rng(2024);
  for (int i = 0; i < 6; ++i)
    s.push_back({1 + int(rng.below(300)), 1 + int(rng.below(300)), 1 + int(rng.below(300))});
  return s;
}

const Act kElementwise[] = {Act::Sigmoid, Act::Tanh, Act::Relu};

}  // namespace

TEST_CASE("gl: the backend names the OpenGL version and renderer") {
  REQUIRE_GL();
  const std::string n = gpu().be->name();
  MESSAGE("device: " << n);
  CHECK(n.rfind("OpenGL ", 0) == 0);
  CHECK(n.find(", ") != std::string::npos);  // GL_VERSION + ", " + GL_RENDERER
}

TEST_CASE("gl: a broken shader is reported with its file name and the driver's log") {
  REQUIRE_GL();
  unsigned program = 0;
  const char* broken = "#version 430\nlayout(local_size_x = 1) in;\nvoid main() { undeclared_thing = 1; }\n";
  Status s = gl::compile_compute("shaders/broken.comp", broken, program);
  REQUIRE_FALSE(s.ok());
  CHECK(program == 0);
  CHECK(s.message.find("shaders/broken.comp") != std::string::npos);
  CHECK(s.message.find("undeclared_thing") != std::string::npos);  // the driver's own words
  MESSAGE(s.message);

  // NNLAB_GL_BREAK_SHADER makes the whole backend fail the same way (for the CLI's fallback).
  ::setenv("NNLAB_GL_BREAK_SHADER", "gemm", 1);
  Status why;
  std::unique_ptr<Backend> be = make_gl_backend(why);
  ::unsetenv("NNLAB_GL_BREAK_SHADER");
  CHECK(be == nullptr);
  CHECK(why.message.find("shaders/gemm.comp") != std::string::npos);
  CHECK(why.message.find("compile failed") != std::string::npos);
  // and without it the same process makes a working backend again
  CHECK(make_gl_backend(why) != nullptr);
}

TEST_CASE("gl: a uniform the shader lacks is reported with the shader's name") {
  REQUIRE_GL();
  gl::Program p;
  Status s = p.build("shaders/gather.comp", "", "B C offset use_idx");
  CHECK_MESSAGE(s.ok(), s.message);
  p.destroy();
  CHECK(p.id() == 0);
  s = p.build("shaders/gather.comp", "", "B C offest");  // misspelt
  REQUIRE_FALSE(s.ok());
  CHECK(s.message.find("shaders/gather.comp") != std::string::npos);
  CHECK(s.message.find("'offest'") != std::string::npos);
  CHECK(p.id() == 0);  // nothing half-built is kept
  MESSAGE(s.message);
}

TEST_CASE("gl: a context already current on the thread (the app's window) is used, not replaced") {
  REQUIRE_GL();
  Backend& shared = *gpu().be;
  Buf probe = shared.alloc(DType::F32, 1);  // makes the shared headless context current
  shared.release(probe);
  EGLDisplay dpy = eglGetCurrentDisplay();
  REQUIRE(dpy != EGL_NO_DISPLAY);
  // Our own context, as GLFW would make one (here on the same display).
  EGLConfig config = EGL_NO_CONFIG_KHR;
  EGLint n = 0;
  const EGLint want[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
  if (!epoxy_has_egl_extension(dpy, "EGL_KHR_no_config_context")) REQUIRE(eglChooseConfig(dpy, want, &config, 1, &n));
  const EGLint attribs[] = {EGL_CONTEXT_MAJOR_VERSION, 4, EGL_CONTEXT_MINOR_VERSION, 3,
                            EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
  EGLContext mine = eglCreateContext(dpy, config, EGL_NO_CONTEXT, attribs);
  REQUIRE(mine != EGL_NO_CONTEXT);
  REQUIRE(eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, mine));
  {
    Status why;
    std::unique_ptr<Backend> be = make_gl_backend(why);
    REQUIRE_MESSAGE(be, why.message);
    CHECK(eglGetCurrentContext() == mine);
    Buf b = be->alloc(DType::I32, 3);
    const int32_t v[3] = {4, -5, 6};
    be->write(b, v, sizeof v);
    int32_t got[3] = {};
    be->read(b, got, sizeof got);
    CHECK(got[1] == -5);
    CHECK(eglGetCurrentContext() == mine);  // the backend never switched away
  }
  CHECK(eglGetCurrentContext() == mine);  // nor destroyed it
  eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  CHECK(eglDestroyContext(dpy, mine));
  // The shared backend takes its own context back by itself.
  Buf again = shared.alloc(DType::F32, 1);
  float one = 1.5f, back = 0;
  shared.write(again, &one, 4);
  shared.read(again, &back, 4);
  CHECK(back == 1.5f);
  shared.release(again);
}

TEST_CASE("gl: released handles are reused, so a loop's handle count stays bounded") {
  REQUIRE_GL();
  Status why;
  std::unique_ptr<Backend> be = make_gl_backend(why);  // its own: the shared one holds test buffers
  REQUIRE_MESSAGE(be, why.message);
  nnlab::testing::check_handles_reused(*be);
}

TEST_CASE("gl: an absurd allocation returns kNone and the backend still works") {
  REQUIRE_GL();
  nnlab::testing::check_absurd_alloc_fails(*gpu().be);
  // One byte past the largest storage block a shader can bind is refused without asking
  // the driver (NVIDIA's did not return from a 4 TiB request).
  GLint64 block = 0;
  glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &block);
  REQUIRE(block > 0);
  CHECK(gpu().be->alloc(DType::U8, size_t(block) + 1) == kNone);
  CHECK(gpu().be->max_buffer_bytes() == size_t(block));
}

TEST_CASE("gl: a data set larger than one buffer is refused with both sizes and what to do") {
  REQUIRE_GL();
  Backend& g = *gpu().be;
  const size_t limit = g.max_buffer_bytes();
  if (limit > (size_t(256) << 20)) return;  // a GPU's 2 GiB: too much host memory for a test
  Dataset d;
  d.rows = d.cols = 28;
  d.count = int(limit / 784 + 1);  // llvmpipe: 171,197 images, 134,218,448 bytes
  d.images.assign(size_t(d.count) * 784, 0);
  d.labels.assign(size_t(d.count), 0);
  DeviceData dev;
  Status s = upload(g, d, dev);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message.find(std::to_string(d.images.size()) + " bytes of images") != std::string::npos);
  CHECK(s.message.find(std::to_string(limit) + " bytes") != std::string::npos);
  CHECK(s.message.find("--device cpu") != std::string::npos);
  CHECK(dev.images == kNone);
}

TEST_CASE("gl: buffers start zeroed and round-trip at byte offsets") {
  REQUIRE_GL();
  Backend& g = *gpu().be;
  Buf u = g.alloc(DType::U8, 7);
  std::vector<uint8_t> got(7, 0xff);
  g.read(u, got.data(), 7);
  CHECK(got == std::vector<uint8_t>(7, 0));
  const uint8_t part[3] = {9, 8, 7};
  g.write(u, part, 3, 3);
  g.read(u, got.data(), 7);
  CHECK(got == std::vector<uint8_t>{0, 0, 0, 9, 8, 7, 0});
  uint8_t two[2];
  g.read(u, two, 2, 4);
  CHECK(two[0] == 8);
  CHECK(two[1] == 7);
  g.release(u);
}

TEST_CASE("gl: gather converts u8 images to floats in shuffled and plain order") {
  REQUIRE_GL();
  Rng rng(11);
  for (int C : {1, 3, 13, 784}) {
    const int N = 37, B = 9, offset = 5;
    CAPTURE(C);
    Pair p;
    std::vector<uint8_t> images(size_t(N) * C), labels(N);
    for (uint8_t& v : images) v = uint8_t(rng.below(256));
    for (uint8_t& v : labels) v = uint8_t(rng.below(10));
    std::vector<int32_t> order(N);
    std::iota(order.begin(), order.end(), 0);
    rng.shuffle(order);
    Twin im = p.u8(images), lb = p.u8(labels), idx = p.i32(order);
    for (Twin use : {idx, kNoTwin}) {
      Twin x = p.poisoned(size_t(B) * C), y = p.i32(std::vector<int32_t>(B, -1));
      for (int s = 0; s < 2; ++s) p[s].gather(x[s], y[s], im[s], lb[s], use[s], offset, B, C);
      CHECK(p.rel_err(x, size_t(B) * C) < kTol);
      CHECK(p.read<int32_t>(y, 0, B) == p.read<int32_t>(y, 1, B));
    }
  }
}

namespace {

// matmul_forward (with and without bias) and matmul_backward (with and without dinp).
void check_gemms(Pair& p, Rng& rng, Shape sh) {
  const int B = sh.B, C = sh.C, OC = sh.OC;
  CAPTURE(B);
  CAPTURE(C);
  CAPTURE(OC);
  Twin inp = p.f32(uniform(rng, size_t(B) * C, -1, 1));
  Twin w = p.f32(uniform(rng, size_t(OC) * C, -1, 1));
  Twin bias = p.f32(uniform(rng, size_t(OC), -1, 1));
  Twin dout = p.f32(uniform(rng, size_t(B) * OC, -1, 1));
  for (Twin b : {bias, kNoTwin}) {
    Twin out = p.poisoned(size_t(B) * OC);
    for (int s = 0; s < 2; ++s) p[s].matmul_forward(out[s], inp[s], w[s], b[s], B, C, OC);
    CHECK(p.rel_err(out, size_t(B) * OC) < kTol);
  }
  Twin dinp = p.poisoned(size_t(B) * C), dw = p.poisoned(size_t(OC) * C), db = p.poisoned(OC);
  for (int s = 0; s < 2; ++s) p[s].matmul_backward(dinp[s], dw[s], db[s], dout[s], inp[s], w[s], B, C, OC);
  CHECK(p.rel_err(dinp, size_t(B) * C) < kTol);
  CHECK(p.rel_err(dw, size_t(OC) * C) < kTol);
  CHECK(p.rel_err(db, size_t(OC)) < kTol);
  // The input layer's backward skips dinp.
  Twin dw2 = p.poisoned(size_t(OC) * C), db2 = p.poisoned(OC);
  for (int s = 0; s < 2; ++s) p[s].matmul_backward(kNone, dw2[s], db2[s], dout[s], inp[s], w[s], B, C, OC);
  CHECK(p.rel_err(dw2, size_t(OC) * C) < kTol);
  CHECK(p.rel_err(db2, size_t(OC)) < kTol);
}

}  // namespace

TEST_CASE("gl: matmul_forward and matmul_backward match the CPU on awkward shapes") {
  REQUIRE_GL();
  Rng rng(3);
  for (Shape sh : shapes()) {
    Pair p;
    check_gemms(p, rng, sh);
  }
}

TEST_CASE("gl: every GEMM tile size matches the CPU (32, 64, 128)") {
  REQUIRE_GL();
  // The backend picks a tile by the product's size and the GPU's multiprocessor
  // count; NNLAB_GL_GEMM_TILE forces one, so that each is tested here.
  Rng rng(5);
  for (std::string tile : {"32", "64", "128"}) {
    CAPTURE(tile);
    ::setenv("NNLAB_GL_GEMM_TILE", tile.c_str(), 1);
    Status why;
    std::unique_ptr<Backend> forced = make_gl_backend(why);
    ::unsetenv("NNLAB_GL_GEMM_TILE");
    REQUIRE_MESSAGE(forced, why.message);
    for (Shape sh : {Shape{1, 1, 1}, Shape{129, 65, 33}, Shape{200, 131, 257}}) {
      Pair p(forced.get());
      check_gemms(p, rng, sh);
    }
  }
}

TEST_CASE("gl: a GEMM over a long K (70,000) matches the CPU with or without K splits") {
  REQUIRE_GL();
  // NNLAB_GL_PROCESSORS=1 turns the split heuristic off: one workgroup per tile
  // would walk all of K, past llvmpipe's 65,535 loop iterations (it silently
  // stopped near K = 58,000), so the backend caps the K a workgroup walks.
  Rng rng(7);
  for (const char* processors : {"1", "64"}) {
    CAPTURE(processors);
    ::setenv("NNLAB_GL_PROCESSORS", processors, 1);
    Status why;
    std::unique_ptr<Backend> be = make_gl_backend(why);
    ::unsetenv("NNLAB_GL_PROCESSORS");
    REQUIRE_MESSAGE(be, why.message);
    Pair p(be.get());
    check_gemms(p, rng, Shape{70000, 8, 8});  // dweight: K = B
  }
}

TEST_CASE("gl: activations forward and backward match the CPU, extremes included") {
  REQUIRE_GL();
  Rng rng(4);
  for (Shape sh : shapes()) {
    const int B = sh.B, OC = sh.OC;
    const size_t n = size_t(B) * OC;
    CAPTURE(B); CAPTURE(OC);
    Pair p;
    std::vector<float> zv = uniform(rng, n, -4, 4);
    for (size_t i = 0; i < n; i += 17) zv[i] = (i % 2 ? 1 : -1) * float(20 + rng.below(100));  // saturation
    for (size_t i = 5; i < n; i += 23) zv[i] = 1e-5f * float(rng.uniform() - 0.5);  // near 0
    Twin z = p.f32(zv), da = p.f32(uniform(rng, n, -1, 1));
    for (Act act : {Act::Sigmoid, Act::Tanh, Act::Relu, Act::Softmax}) {
      CAPTURE(name(act));
      Twin a = p.poisoned(n);
      for (int s = 0; s < 2; ++s) p[s].activation_forward(a[s], z[s], B, OC, act);
      CHECK(p.rel_err(a, n) < kTol);
    }
    for (Act act : kElementwise) {
      CAPTURE(name(act));
      // a = act(z) from the CPU on both sides, so that only the backward op differs.
      Twin a = p.poisoned(n);
      p[0].activation_forward(a[0], z[0], B, OC, act);
      std::vector<float> av = p.read<float>(a, 0, n);
      p[1].write(a[1], av.data(), n * 4);
      Twin dz = p.poisoned(n);
      for (int s = 0; s < 2; ++s) p[s].activation_backward(dz[s], da[s], a[s], B, OC, act);
      CHECK(p.rel_err(dz, n) < kTol);
    }
  }
}

TEST_CASE("gl: output_backward matches the CPU for every (output, cost) pair") {
  REQUIRE_GL();
  Rng rng(6);
  for (Shape sh : shapes()) {
    const int B = sh.B, OC = sh.OC;
    const size_t n = size_t(B) * OC;
    CAPTURE(B); CAPTURE(OC);
    Pair p;
    std::vector<float> zv = uniform(rng, n, -6, 6);
    for (size_t i = 0; i < n; i += 29) zv[i] = (i % 2 ? 1 : -1) * float(30 + rng.below(60));
    std::vector<int32_t> yv(B);
    for (int32_t& t : yv) t = int32_t(rng.below(uint32_t(OC)));
    Twin z = p.f32(zv), y = p.i32(yv);
    for (Act out : {Act::Sigmoid, Act::Softmax}) {
      for (Cost cost : {Cost::Quadratic, Cost::CrossEntropy}) {
        CAPTURE(name(out)); CAPTURE(name(cost));
        Twin a = p.poisoned(n);
        p[0].activation_forward(a[0], z[0], B, OC, out);
        std::vector<float> av = p.read<float>(a, 0, n);
        p[1].write(a[1], av.data(), n * 4);
        const int slot = int(rng.below(8));
        std::vector<float> before = uniform(rng, 8, 1, 2);
        Twin loss = p.f32(before), dz = p.poisoned(n);
        for (int s = 0; s < 2; ++s) p[s].output_backward(dz[s], loss[s], slot, z[s], a[s], y[s], B, OC, out, cost);
        CHECK(p.rel_err(dz, n) < kTol);
        std::vector<float> lc = p.read<float>(loss, 0, 8), lg = p.read<float>(loss, 1, 8);
        CHECK(std::isfinite(lg[slot]));
        CHECK(std::fabs(lg[slot] - lc[slot]) <= kTol * std::fabs(lc[slot]));
        for (int i = 0; i < 8; ++i)
          if (i != slot) CHECK(lg[i] == before[i]);  // other slots untouched
      }
    }
  }
}

TEST_CASE("gl: sgd_update matches the CPU: plain, with L2, with momentum") {
  REQUIRE_GL();
  Rng rng(8);
  for (size_t n : {size_t(1), size_t(7), size_t(23520), size_t(100003)}) {
    CAPTURE(n);
    Pair p;
    Twin dparam = p.f32(uniform(rng, n, -1, 1));
    struct Case {
      float scale, l2, momentum;
    };
    for (Case c : {Case{0.3f, 0.0f, 0.0f}, Case{0.3f, 1e-3f, 0.0f}, Case{0.3f, 1e-3f, 0.9f}}) {
      CAPTURE(c.l2); CAPTURE(c.momentum);
      Twin param = p.f32(uniform(rng, n, -1, 1));
      Twin vel = c.momentum > 0 ? p.f32(uniform(rng, n, -0.1f, 0.1f)) : kNoTwin;
      for (int step = 0; step < 3; ++step)
        for (int s = 0; s < 2; ++s) p[s].sgd_update(param[s], dparam[s], vel[s], n, c.scale, c.l2, c.momentum);
      CHECK(p.rel_err(param, n) < kTol);
      if (c.momentum > 0) CHECK(p.rel_err(vel, n) < kTol);
    }
  }
}

TEST_CASE("gl: eval_accumulate gives exactly the CPU's confusion matrix") {
  REQUIRE_GL();
  Rng rng(9);
  for (Shape sh : shapes()) {
    const int B = sh.B, K = std::min(sh.OC, 40);
    CAPTURE(B); CAPTURE(K);
    Pair p;
    std::vector<float> av = uniform(rng, size_t(B) * K, 0, 1);
    for (size_t i = 0; i + 1 < av.size(); i += 7) av[i + 1] = av[i];  // ties: the first wins
    std::vector<int32_t> yv(B), start(size_t(K) * K);
    for (int32_t& t : yv) t = int32_t(rng.below(uint32_t(K)));
    for (int32_t& c : start) c = int32_t(rng.below(5));  // accumulates onto what is there
    Twin a = p.f32(av), y = p.i32(yv), conf = p.i32(start);
    for (int rep = 0; rep < 2; ++rep)
      for (int s = 0; s < 2; ++s) p[s].eval_accumulate(conf[s], a[s], y[s], B, K);
    std::vector<int32_t> c = p.read<int32_t>(conf, 0, size_t(K) * K), g = p.read<int32_t>(conf, 1, size_t(K) * K);
    CHECK(c == g);
    CHECK(std::accumulate(g.begin(), g.end(), 0) == std::accumulate(start.begin(), start.end(), 0) + 2 * B);
  }
}
