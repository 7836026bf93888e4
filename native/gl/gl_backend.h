// The OpenGL 4.3 compute backend (native only). Built from native/gl/gl_backend.cpp,
// or from native/gl/gl_stub.cpp when the build has no GL.
#pragma once
#include <memory>

#include "backend.h"
#include "status.h"

namespace nnlab {

// Creates a headless (EGL) context unless one is current, compiles the embedded
// shaders and returns the backend; on failure returns null and says why.
// A context current on the calling thread (the desktop app's GLFW window) is
// used as is and must outlive the backend; the backend is used from that thread.
//
// Environment (native/gl/gl_backend.cpp, native/gl/gl_context.cpp):
//   NNLAB_EGL_PLATFORM=device|surfaceless|software  the one headless EGL platform to try
//   NNLAB_GL_BREAK_SHADER=gemm  appends a non-GLSL line to shaders/gemm.comp, so that
//       make_gl_backend fails with that file's name and the driver's log (fallback tests)
//   NNLAB_GL_GEMM_TILE=32|64|128  one GEMM tile for every size (tuning, tests)
//   NNLAB_GL_PROCESSORS=N  the multiprocessor count that picks tiles and K splits
//       (NVIDIA reports it; 64 elsewhere)
//   NNLAB_GL_DEBUG=1  glGetError after every dispatch, printed to stderr
std::unique_ptr<Backend> make_gl_backend(Status& why);

}  // namespace nnlab
