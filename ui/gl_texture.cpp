// RGBA texture upload for ImGui images; OpenGL 3.3 core and WebGL2 share these calls.
#include "gl_texture.h"

#if defined(NNLAB_GLES3)
#include <GLES3/gl3.h>
#else
#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#endif

namespace nnlab {

void upload_rgba_texture(unsigned* tex, int w, int h, const uint8_t* rgba) {
  GLint prev = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev);
  if (*tex == 0) {
    GLuint t = 0;
    glGenTextures(1, &t);
    *tex = t;
    glBindTexture(GL_TEXTURE_2D, t);
    // Nearest: pixels stay crisp when a 28x28 digit is drawn at 2-6x.
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  } else {
    glBindTexture(GL_TEXTURE_2D, *tex);
  }
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  glBindTexture(GL_TEXTURE_2D, GLuint(prev));
}

}  // namespace nnlab
