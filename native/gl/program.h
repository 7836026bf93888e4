// One compute program of the GL backend and its uniforms, set by name: the
// names a program declares are looked up when it is built, so a shader that
// lacks one (misspelt, or optimised away) fails make_gl_backend naming the file.
#pragma once
#include <string>
#include <vector>

#include "status.h"

namespace nnlab::gl {

class Program {
 public:
  // Compiles the embedded shader `file` ("shaders/gemm.comp") with `defines`
  // and finds each of `uniforms` (names separated by spaces) in it. Needs a
  // current context; on failure the Status names the file.
  Status build(const char* file, const std::string& defines, const char* uniforms);
  void destroy();  // glDeleteProgram; the context must be current

  // Sets a uniform the program declared in build(), checking the GLSL type
  // (int or bool, uint, float). A name it did not declare, or a wrong type, is
  // a bug in the backend: it aborts naming the shader and the uniform.
  Program& set(const char* name, int value);
  Program& set(const char* name, unsigned value);
  Program& set(const char* name, float value);

  unsigned id() const { return id_; }
  const char* file() const { return file_; }

 private:
  struct Uniform {
    std::string name;
    int location = -1;
    unsigned type = 0;  // GL_INT, GL_UNSIGNED_INT, GL_FLOAT, ...
  };
  const Uniform& find(const char* name, unsigned type_a, unsigned type_b) const;

  const char* file_ = "";
  unsigned id_ = 0;
  std::vector<Uniform> uniforms_;
};

}  // namespace nnlab::gl
