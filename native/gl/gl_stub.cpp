// Stands in for the GL backend in builds configured with -DNNLAB_GL=OFF.
#include "gl_backend.h"

namespace nnlab {

std::unique_ptr<Backend> make_gl_backend(Status& why) {
  why = Status::fail("this build has no OpenGL backend (configured with NNLAB_GL=OFF)");
  return nullptr;
}

}  // namespace nnlab
