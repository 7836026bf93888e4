// Shared by the GL test files: when to skip a GL test and when to fail it.
#pragma once
#include <doctest.h>

#include <cstdlib>
#include <string>

#include "gl_context.h"
#include "status.h"

namespace nnlab::testing {

// A GL test skips only where this machine cannot make an OpenGL 4.3 context;
// a backend that fails on one that can (a shader that does not compile) fails
// the test, and NNLAB_REQUIRE_GL=1 (CI on llvmpipe) makes a missing context fail too.
inline void skip_or_fail(const Status& why) {
  Status no_context;
  const bool context = gl::Context::acquire(no_context) != nullptr;
  const char* required = std::getenv("NNLAB_REQUIRE_GL");
  if (context || (required && std::string(required) == "1"))
    FAIL("the GL backend could not be made: " << why.message);
  else
    MESSAGE("skipped: no OpenGL 4.3 context (" << why.message << ")");
}

}  // namespace nnlab::testing
