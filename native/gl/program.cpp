// Compute programs with uniforms looked up by name (native/gl/program.h). The
// names, not the layout(location) numbers, tie the backend's calls to a shader.
#include "program.h"

#include <epoxy/gl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "gl_context.h"

namespace nnlab::gl {

Status Program::build(const char* file, const std::string& defines, const char* uniforms) {
  file_ = file;
  uniforms_.clear();
  std::string src;
  Status s = shader_source(file, defines, src);
  if (s.ok()) s = compile_compute(file, src.c_str(), id_);
  if (!s.ok()) return s;
  std::istringstream names(uniforms);
  for (std::string name; names >> name;) {
    const GLuint index = glGetProgramResourceIndex(id_, GL_UNIFORM, name.c_str());
    if (index == GL_INVALID_INDEX) {
      destroy();
      return Status::fail(std::string(file) + ": has no active uniform '" + name +
                          "' (misspelt, or unused and optimised away)");
    }
    const GLenum props[2] = {GL_LOCATION, GL_TYPE};
    GLint values[2] = {-1, 0};
    glGetProgramResourceiv(id_, GL_UNIFORM, index, 2, props, 2, nullptr, values);
    uniforms_.push_back({name, values[0], GLenum(values[1])});
  }
  return Status::success();
}

void Program::destroy() {
  if (id_) glDeleteProgram(id_);
  id_ = 0;
  uniforms_.clear();
}

const Program::Uniform& Program::find(const char* name, unsigned type_a, unsigned type_b) const {
  for (const Uniform& u : uniforms_) {
    if (u.name != name) continue;
    if (u.type == type_a || u.type == type_b) return u;
    std::fprintf(stderr, "nnlab GL backend: %s: uniform '%s' set with the wrong type (GL type 0x%x)\n",
                 file_, name, u.type);
    std::abort();
  }
  std::fprintf(stderr, "nnlab GL backend: %s: uniform '%s' was not declared when the program was built\n",
               file_, name);
  std::abort();
}

Program& Program::set(const char* name, int value) {
  glProgramUniform1i(id_, find(name, GL_INT, GL_BOOL).location, value);
  return *this;
}

Program& Program::set(const char* name, unsigned value) {
  glProgramUniform1ui(id_, find(name, GL_UNSIGNED_INT, GL_UNSIGNED_INT).location, value);
  return *this;
}

Program& Program::set(const char* name, float value) {
  glProgramUniform1f(id_, find(name, GL_FLOAT, GL_FLOAT).location, value);
  return *this;
}

}  // namespace nnlab::gl
