// The GEMM kernels this build linked (SIMD where the target has it) and the Eigen
// reference, each against naive double loops on awkward shapes and across every
// target's tile edges (engine/kernels_check.h). Runs natively, under the
// sanitizers (masked tails must not read or write out of bounds) and in WASM.
#include <doctest.h>

#include <algorithm>
#include <string>

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
