// The GEMM kernels this build linked (SIMD where the target has it) and the Eigen
// reference, each against naive double loops on awkward shapes and across every
// target's tile edges (engine/kernels_check.h). Runs natively, under the
// sanitizers (masked tails must not read or write out of bounds) and in WASM.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "kernels.h"
#include "kernels_check.h"

using namespace nnlab;
using namespace nnlab::kernels_check;

namespace {

void check_all(const Gemms& g) {
  int checked = 0;
  for (Shape s : shapes()) {
    Errors e = compare(g, s);
    CAPTURE(s.M);
    CAPTURE(s.N);
    CAPTURE(s.K);
    // One CHECK per GEMM so a failure names it; quiet when all pass (thousands of shapes).
    if (!(e.nt < kTolerance)) CHECK(e.nt < kTolerance);
    if (!(e.nn < kTolerance)) CHECK(e.nn < kTolerance);
    if (!(e.tn < kTolerance)) CHECK(e.tn < kTolerance);
    if (!(e.tn_sgd < kTolerance)) CHECK(e.tn_sgd < kTolerance);
    ++checked;
  }
  CHECK(checked > 2000);
}

}  // namespace

TEST_CASE("kernels: the linked GEMMs match naive loops on awkward shapes and tile edges") {
  MESSAGE("linked: " << std::string(kernels_name()));
  check_all(linked());
}

TEST_CASE("kernels: the Eigen reference matches naive loops on the same shapes") {
  check_all(reference());
}

TEST_CASE("kernels: the x86 SIMD kernels count denormals as 0 and give the caller its floating-point mode back") {
  // 8 denormal products (1e-40 each) sum to a denormal: IEEE keeps it, the x86 SIMD
  // kernels flush it (simd.h: saturated sigmoid nets ran a third slower with them).
  const float tiny = 1e-40f;
  REQUIRE(tiny > 0.0f);
  REQUIRE(tiny < std::numeric_limits<float>::min());
  std::vector<float> a(8, tiny), ones(8, 1.0f), c(1, -1.0f), w(8, 0.5f);
  const bool flushes = std::string(kernels_name()).find("AVX") != std::string::npos;
#if defined(__SSE__)
  const unsigned mode = _mm_getcsr();
#endif
  gemm_nt(c.data(), a.data(), ones.data(), nullptr, 1, 1, 8);
  if (flushes) CHECK(c[0] == 0.0f);
  else CHECK(c[0] > 0.0f);  // WASM, or the Eigen reference alone: IEEE denormals
  gemm_nn(c.data(), a.data(), ones.data(), 1, 1, 8);  // (1,8) . (8,1)
  CHECK((c[0] == 0.0f) == flushes);
  gemm_tn(w.data(), a.data(), ones.data(), 8, 1, 1);  // (8,1) = a (1,8)^T . ones (1,1)
  CHECK((w[0] == 0.0f) == flushes);
#if defined(__SSE__)
  CHECK(_mm_getcsr() == mode);  // the caller's arithmetic is not changed behind its back
  _mm_setcsr(mode | _MM_FLUSH_ZERO_ON);  // a caller that flushes already keeps doing so
  gemm_nt(c.data(), a.data(), ones.data(), nullptr, 1, 1, 8);
  CHECK(_mm_getcsr() == (mode | _MM_FLUSH_ZERO_ON));
  _mm_setcsr(mode);
#endif
}

TEST_CASE("kernels: gemm_nt with K = 0 gives the bias, gemm_nn/tn give zeros") {
  float C[6] = {7, 7, 7, 7, 7, 7};
  const float bias[3] = {1, -2, 3}, none[1] = {0};  // A and B hold no elements
  gemm_nt(C, none, none, bias, 2, 3, 0);
  for (int i = 0; i < 6; ++i) CHECK(C[i] == bias[i % 3]);
  std::fill(C, C + 6, 7.0f);
  gemm_nn(C, none, none, 2, 3, 0);
  for (float c : C) CHECK(c == 0.0f);
  std::fill(C, C + 6, 7.0f);
  gemm_tn(C, none, none, 2, 3, 0);
  for (float c : C) CHECK(c == 0.0f);
}

TEST_CASE("kernels: rows (and gemm_nt's columns) computed in parts give the same bits as in one call") {
  if (!kernels_split_rows()) {
    MESSAGE("skipped: " << kernels_name() << " may block by size; the backend keeps them on one thread");
    return;
  }
  // The layer shapes of [784,100,10] and [784,1024,1024,10] at batches 10 and 256, odd ones, and
  // ch6-dropout's fc 1000 at batch 10 (its (1000, 1000) weight gradient goes row tile by row tile
  // whole, panel by panel in the parts of 3 and 7).
  const int shapes[][3] = {{10, 100, 784}, {256, 1024, 784}, {256, 10, 1024}, {37, 65, 129},
                           {13, 7, 5},     {1024, 40, 64},   {1000, 1000, 10}};
  uint32_t seed = 7;
  auto rnd = [&]() { return next_uniform(seed); };
  for (const auto& sh : shapes) {
    const int M = sh[0], N = sh[1], K = sh[2];
    CAPTURE(M);
    CAPTURE(N);
    CAPTURE(K);
    std::vector<float> A(size_t(M) * K), B(size_t(N) * K), Bk(size_t(K) * N), At(size_t(K) * M), bias(static_cast<size_t>(N));
    for (auto* v : {&A, &B, &Bk, &At, &bias})
      for (float& x : *v) x = rnd();
    std::vector<float> whole(size_t(M) * N), parts(size_t(M) * N);
    for (int pieces : {2, 3, 7}) {
      CAPTURE(pieces);
      auto each_part = [&](auto&& call) {
        for (int p = 0; p < pieces; ++p) {
          const int i0 = M * p / pieces, i1 = M * (p + 1) / pieces;
          if (i1 > i0) call(i0, i1);
        }
      };
      gemm_nt(whole.data(), A.data(), B.data(), bias.data(), M, N, K);
      each_part([&](int i0, int i1) {
        gemm_nt(parts.data() + size_t(i0) * N, A.data() + size_t(i0) * K, B.data(), bias.data(), i1 - i0, N, K);
      });
      CHECK(parts == whole);
      // gemm_nt's columns in parts of multiples of 4 (the CPU backend's: of 16), C's rows N apart
      std::fill(parts.begin(), parts.end(), 0.0f);
      for (int p = 0; p < pieces; ++p) {
        const int j0 = N * p / pieces / 4 * 4, j1 = p + 1 == pieces ? N : N * (p + 1) / pieces / 4 * 4;
        if (j1 > j0) gemm_nt(parts.data() + j0, A.data(), B.data() + size_t(j0) * K, bias.data() + j0, M, j1 - j0, K, N);
      }
      CHECK(parts == whole);
      gemm_nn(whole.data(), A.data(), Bk.data(), M, N, K);
      each_part([&](int i0, int i1) {
        gemm_nn(parts.data() + size_t(i0) * N, A.data() + size_t(i0) * K, Bk.data(), i1 - i0, N, K);
      });
      CHECK(parts == whole);
      // gemm_nn over a range [k0, k1) of K (A's rows lda = K apart) is the same call on a copy
      // of those columns of A: the CPU backend's halves of W.
      {
        const int k0 = K / 3, k1 = K - K / 4;
        std::vector<float> Ak(size_t(M) * size_t(k1 - k0));
        for (int i = 0; i < M; ++i)
          for (int k = k0; k < k1; ++k) Ak[size_t(i) * (k1 - k0) + size_t(k - k0)] = A[size_t(i) * K + size_t(k)];
        gemm_nn(whole.data(), Ak.data(), Bk.data() + size_t(k0) * N, M, N, k1 - k0);
        gemm_nn(parts.data(), A.data() + k0, Bk.data() + size_t(k0) * N, M, N, k1 - k0, K);
        CHECK(parts == whole);
      }
      gemm_tn(whole.data(), At.data(), Bk.data(), M, N, K);
      each_part([&](int i0, int i1) {
        gemm_tn(parts.data() + size_t(i0) * N, At.data() + i0, Bk.data(), i1 - i0, N, K, M);
      });
      CHECK(parts == whole);
    }
  }
}

// The CPU backend's dense layers take their SGD step inside the weight-gradient GEMM
// (Backend::matmul_backward_sgd); a run must not change by it, whatever the thread count.
TEST_CASE("kernels: gemm_tn_sgd gives the bits of gemm_tn then sgd_step, whole and in row parts") {
  uint32_t seed = 11;
  auto rnd = [&]() { return next_uniform(seed); };
  struct Pair {
    std::string name;
    void (*tn)(float*, const float*, const float*, int, int, int, int);
    void (*step)(float*, const float*, size_t, float, float);
    void (*fused)(float*, const float*, const float*, int, int, int, int, float, float);
  };
  const Pair pairs[] = {{"linked", gemm_tn, sgd_step, gemm_tn_sgd},
                        {"reference", ref::gemm_tn, ref::sgd_step, ref::gemm_tn_sgd}};
  // ch6-dropout's fc 1000 at batch 10 (row tile by row tile), [784,100,10]'s layers, tile edges, K = 0.
  const int shapes[][3] = {{1000, 1000, 10}, {100, 784, 10}, {10, 100, 10}, {7, 13, 5}, {13, 33, 1}, {6, 17, 0}};
  for (const Pair& p : pairs)
    for (const auto& sh : shapes)
      for (float l2 : {0.0f, 3e-5f}) {
        const int M = sh[0], N = sh[1], K = sh[2];
        CAPTURE(p.name);
        CAPTURE(M);
        CAPTURE(N);
        CAPTURE(K);
        CAPTURE(l2);
        std::vector<float> At(size_t(K) * M), Bk(size_t(K) * N), W(size_t(M) * N), G(W.size());
        for (auto* v : {&At, &Bk, &W})
          for (float& x : *v) x = rnd();
        std::vector<float> want = W, whole = W, parts = W;
        p.tn(G.data(), At.data(), Bk.data(), M, N, K, 0);
        p.step(want.data(), G.data(), want.size(), 0.01f, l2);
        p.fused(whole.data(), At.data(), Bk.data(), M, N, K, 0, 0.01f, l2);
        CHECK(whole == want);
        if (K > 0 || l2 > 0) CHECK(whole != W);  // it took a step
        if (p.fused == ref::gemm_tn_sgd) continue;  // Eigen blocks by size: one thread (kernels_split_rows)
        for (int i0 : {0, M / 3, M / 2}) {  // rows [0, M/3), [M/3, M/2), [M/2, M): as threads split them
          const int i1 = i0 == 0 ? M / 3 : i0 == M / 3 ? M / 2 : M;
          if (i1 > i0) p.fused(parts.data() + size_t(i0) * N, At.data() + i0, Bk.data(), i1 - i0, N, K, M, 0.01f, l2);
        }
        CHECK(parts == want);
      }
}

TEST_CASE("kernels: bytes_to_unit gives every byte / 255.0f bit for bit, at any length") {
  // The batch's gather (engine/backend_cpu.cpp): the SIMD paths convert exactly (wasm through
  // the float bits of 2^23) and divide once, as the scalar expression does.
  std::vector<unsigned char> src(800);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<unsigned char>((i * 37 + 11) % 256);
  for (int v = 0; v < 256; ++v) src[size_t(v)] = static_cast<unsigned char>(v);  // every value
  for (size_t n : {size_t(0), size_t(1), size_t(3), size_t(15), size_t(16), size_t(17), size_t(784), src.size()}) {
    if (n > src.size()) continue;
    CAPTURE(n);
    std::vector<float> got(n + 1, -1.0f), want(n + 1, -1.0f);
    bytes_to_unit(got.data(), src.data(), n);
    ref::bytes_to_unit(want.data(), src.data(), n);
    for (size_t i = 0; i < n; ++i) REQUIRE(want[i] == float(src[i]) / 255.0f);
    CHECK(got == want);  // and nothing past n written
  }
}

TEST_CASE("kernels: sigmoid is within a few ulp of the exact value, flushed below 2^-63, NaN kept") {
  // The SIMD path computes exp as a polynomial (wasm has no vector exp); the reference is
  // Eigen's. Both against double precision, over every range the nets meet and the edges.
  std::vector<float> z;
  for (float v = -100.0f; v <= 100.0f; v += 0.0137f) z.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 43.6f, -43.6f, 43.7f, -43.7f, 86.9f, -86.9f, 87.0f, -87.0f, 88.8f,
                  -88.8f, 1e30f, -1e30f, std::numeric_limits<float>::infinity(),
                  -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min()})
    z.push_back(v);
  const size_t finite = z.size();
  z.push_back(std::numeric_limits<float>::quiet_NaN());
  for (auto fn : {&sigmoid, &ref::sigmoid}) {
    for (size_t n : {z.size(), size_t(3), size_t(17)}) {  // the tails of every vector width
      std::vector<float> out(n + 1, -1.0f);
      fn(out.data(), z.data(), n);
      CHECK(out[n] == -1.0f);
      for (size_t i = 0; i < std::min(n, finite); ++i) {
        CAPTURE(z[i]);
        const double want = 1.0 / (1.0 + std::exp(-double(z[i])));
        if (want < double(kTiny) * (1 - 1e-6)) {
          CHECK(out[i] == 0.0f);
        } else if (want > double(kTiny) * (1 + 1e-6)) {
          CHECK(std::fabs(out[i] - want) <= 4 * 0x1p-24 * want);  // 4 ulp at most (6e-8 relative each)
        }
      }
      if (n > finite) CHECK(std::isnan(out[finite]));
    }
  }
  std::vector<float> inplace(z.begin(), z.begin() + 100), want(100);
  ref::sigmoid(want.data(), inplace.data(), 100);
  sigmoid(inplace.data(), inplace.data(), 100);
  for (size_t i = 0; i < 100; ++i) CHECK(inplace[i] == doctest::Approx(want[i]).epsilon(1e-6));
}
