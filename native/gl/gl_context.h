// The OpenGL side of the GL backend that is not about any one op: getting a
// 4.3 core context (the app's current one, or a headless EGL one), the shaders
// embedded at build time, and compiling them with errors that name the file.
#pragma once
#include <memory>
#include <string>

#include "status.h"

namespace nnlab::gl {

// A GL context that the backend uses on one thread at a time.
class Context {
 public:
  // Returns a 4.3+ core context current on this thread: the one already current
  // (the app's window) if any, else the process's headless EGL context, made on
  // the first of the platforms "device" (EGL_EXT_device_enumeration, hardware
  // devices: NVIDIA servers), "surfaceless" (Mesa) and "software" (device
  // platform, software devices) that works, or only on the one the environment
  // variable NNLAB_EGL_PLATFORM names. Null with every attempt's reason otherwise.
  static std::shared_ptr<Context> acquire(Status& why);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Makes this context current again if something else took its place (several
  // headless backends share one context; an adopted context is left alone).
  void make_current();
  // GL_VERSION + ", " + GL_RENDERER, e.g. "OpenGL 4.5 (Core Profile) Mesa 22.3.6, llvmpipe (...)".
  const std::string& description() const { return description_; }

  Context() = default;  // use acquire()

 private:
  void* display_ = nullptr;  // EGLDisplay; null for an adopted context
  void* context_ = nullptr;  // EGLContext
  std::string description_;
};

// A shader source compiled into the binary by native/gl/gl.cmake (one per shaders/*.comp).
struct EmbeddedShader {
  const char* name;    // "shaders/gemm.comp"
  const char* source;  // the file's text
};
extern const EmbeddedShader kEmbeddedShaders[];
extern const int kEmbeddedShaderCount;

// The source to compile for `name`: `defines` ("#define TM 4\n...") inserted
// after the #version line. If the environment variable NNLAB_GL_BREAK_SHADER
// names this shader ("gemm", "gemm.comp" or "shaders/gemm.comp"), a line that
// is not GLSL is appended so that the compile fails: this is how the CLI's
// fallback to the CPU is tested.
Status shader_source(const std::string& name, const std::string& defines, std::string& out);

// Compiles and links one compute shader. On failure returns the name and the
// driver's log ("shaders/gemm.comp: compile failed: 0:12(3): error: ...").
// Needs a current context.
Status compile_compute(const char* name, const char* source, unsigned& program);

}  // namespace nnlab::gl
