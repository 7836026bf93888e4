// The OpenGL 4.3 compute backend (native only). Built from native/gl_backend.cpp,
// or from native/gl_stub.cpp when the build has no GL.
#pragma once
#include <memory>

#include "backend.h"
#include "status.h"

namespace nnlab {

// Creates a headless (EGL) context unless one is current, compiles the embedded
// shaders and returns the backend; on failure returns null and says why.
std::unique_ptr<Backend> make_gl_backend(Status& why);

}  // namespace nnlab
