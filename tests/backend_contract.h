// What every Backend promises about its buffers, written once and checked on
// each backend: tests/test_backend.cpp runs it on the CPU, tests/test_gl.cpp
// on OpenGL (the GL tests are built only where the GL backend is).
#pragma once
#include <doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "backend.h"

namespace nnlab::testing {

// Released handles are reused: a loop that allocates and releases (as every
// evaluation does) keeps the handle count bounded by the live buffers, and a
// reused handle's buffer starts zeroed like any other.
inline void check_handles_reused(Backend& be) {
  std::vector<Buf> live;
  for (int i = 0; i < 3; ++i) live.push_back(be.alloc(DType::F32, 16));
  Buf highest = kNone;
  const float ones[4] = {1, 1, 1, 1};
  for (int round = 0; round < 1000; ++round) {
    Buf a = be.alloc(DType::F32, 4), b = be.alloc(DType::I32, 7);
    REQUIRE(a != kNone);
    REQUIRE(b != kNone);
    float got[4] = {-1, -1, -1, -1};
    be.read(a, got, sizeof got);
    if (got[0] != 0 || got[3] != 0) FAIL("a reused buffer is not zeroed (round " << round << ")");
    be.write(a, ones, sizeof ones);
    highest = std::max({highest, a, b});
    be.release(b);
    be.release(a);
  }
  CHECK(highest < 8);  // 3 live + 2 per round, not 2003
  be.release(kNone);   // does nothing
  for (Buf b : live) be.release(b);
}

// An allocation that cannot be had returns kNone (no abort, nothing leaked),
// and the backend goes on working: buffers, writes, reads and ops.
inline void check_absurd_alloc_fails(Backend& be) {
  CHECK(be.alloc(DType::F32, SIZE_MAX / 8) == kNone);     // 2^63 bytes
  // 2^40 floats (4 TiB); SIZE_MAX where size_t is 32 bits (WASM)
  CHECK(be.alloc(DType::F32, size_t(std::min<uint64_t>(uint64_t(1) << 40, SIZE_MAX))) == kNone);
  CHECK(be.alloc(DType::F32, SIZE_MAX / 4 + 2) == kNone);  // count * 4 overflows size_t
  CHECK(be.alloc(DType::U8, SIZE_MAX) == kNone);
  CHECK(be.alloc(DType::I32, SIZE_MAX) == kNone);

  // out (1,2) = inp (1,1) . weight (2,1)^T + bias (2), then one SGD step on out.
  Buf out = be.alloc(DType::F32, 2), inp = be.alloc(DType::F32, 1);
  Buf weight = be.alloc(DType::F32, 2), bias = be.alloc(DType::F32, 2);
  REQUIRE(out != kNone);
  REQUIRE(bias != kNone);
  const float x = 2, w[2] = {3, -1}, bv[2] = {1, 0.5f};
  be.write(inp, &x, sizeof x);
  be.write(weight, w, sizeof w);
  be.write(bias, bv, sizeof bv);
  be.matmul_forward(out, inp, weight, bias, 1, 1, 2);
  float got[2] = {};
  be.read(out, got, sizeof got);
  CHECK(got[0] == 7.0f);
  CHECK(got[1] == -1.5f);
  be.sgd_update(out, bias, kNone, 2, 2.0f, 0.0f, 0.0f);  // out -= 2 * bias
  be.read(out, got, sizeof got);
  CHECK(got[0] == 5.0f);
  CHECK(got[1] == -2.5f);
  for (Buf b : {out, inp, weight, bias}) be.release(b);
}

}  // namespace nnlab::testing
