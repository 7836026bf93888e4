// The buffer contract of engine/backend.h on the CPU backend (the same checks
// run on OpenGL in tests/test_gl.cpp): handles are reused, and an allocation
// that cannot be had returns kNone instead of crashing.
#include <doctest.h>

#include "backend.h"
#include "backend_contract.h"

using namespace nnlab;

TEST_CASE("backend (cpu): released handles are reused, so a loop's handle count stays bounded") {
  std::unique_ptr<Backend> be = make_cpu_backend();
  nnlab::testing::check_handles_reused(*be);
}

TEST_CASE("backend (cpu): an absurd allocation returns kNone and the backend still works") {
  std::unique_ptr<Backend> be = make_cpu_backend();
  nnlab::testing::check_absurd_alloc_fails(*be);
}
