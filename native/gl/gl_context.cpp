// Getting an OpenGL 4.3 core context without a display (EGL device or Mesa
// surfaceless platform) or adopting the window's, and compiling the embedded
// compute shaders with errors that name the shader file.
#include "gl_context.h"

#include <dlfcn.h>
#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
// Mesa's llvmpipe JIT (libLLVM 15's MCJIT) frees with free() buffers it got
// from operator new, which AddressSanitizer reports as alloc-dealloc-mismatch
// on the first dispatch. That is not our code; every other check stays on, and
// ASAN_OPTIONS from the environment still override this default.
extern "C" const char* __asan_default_options() { return "alloc_dealloc_mismatch=0"; }
#endif

namespace nnlab::gl {
namespace {

std::string egl_error_name(EGLint e) {
  switch (e) {
    case EGL_SUCCESS: return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
    case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
    case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
    default: return "EGL error " + std::to_string(e);
  }
}

// True if this thread has a GL context current, EGL (GLFW on Wayland) or GLX
// (GLFW on X11; GLFW dlopens libGL privately, hence RTLD_NOLOAD).
bool context_is_current() {
  if (epoxy_has_egl() && eglGetCurrentContext() != EGL_NO_CONTEXT) return true;
  for (const char* lib : {"libGLX.so.0", "libGL.so.1"}) {
    void* h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    if (!h) continue;
    using GetCurrent = void* (*)();
    auto get = reinterpret_cast<GetCurrent>(dlsym(h, "glXGetCurrentContext"));
    bool current = get && get() != nullptr;
    dlclose(h);
    if (current) return true;
  }
  return false;
}

// Checks the current context is desktop GL 4.3+ and describes it.
Status check_version(std::string& description) {
  const char* version = reinterpret_cast<const char*>(glGetString(GL_VERSION));
  const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  if (!version) return Status::fail("glGetString(GL_VERSION) returned nothing");
  description = std::string("OpenGL ") + version + ", " + (renderer ? renderer : "unknown renderer");
  if (!epoxy_is_desktop_gl() || epoxy_gl_version() < 43)
    return Status::fail("compute shaders need OpenGL 4.3, the context is " + description);
  return Status::success();
}

struct Attempt {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLContext context = EGL_NO_CONTEXT;
};

// Creates a 4.3 core context on an EGL display and makes it current.
Status try_display(EGLDisplay dpy, Attempt& out) {
  if (dpy == EGL_NO_DISPLAY) return Status::fail("no display (" + egl_error_name(eglGetError()) + ")");
  EGLint major = 0, minor = 0;
  if (!eglInitialize(dpy, &major, &minor))
    return Status::fail("eglInitialize failed (" + egl_error_name(eglGetError()) + ")");
  if (!eglBindAPI(EGL_OPENGL_API))
    return Status::fail("the display has no desktop OpenGL (eglBindAPI: " + egl_error_name(eglGetError()) + ")");
  EGLConfig config = EGL_NO_CONFIG_KHR;
  if (!epoxy_has_egl_extension(dpy, "EGL_KHR_no_config_context")) {
    const EGLint want[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
    EGLint n = 0;
    if (!eglChooseConfig(dpy, want, &config, 1, &n) || n < 1)
      return Status::fail("no EGL config for desktop OpenGL");
  }
  if (!epoxy_has_egl_extension(dpy, "EGL_KHR_surfaceless_context"))
    return Status::fail("the display lacks EGL_KHR_surfaceless_context");
  const EGLint attribs[] = {EGL_CONTEXT_MAJOR_VERSION, 4, EGL_CONTEXT_MINOR_VERSION, 3,
                            EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                            EGL_NONE};
  EGLContext ctx = eglCreateContext(dpy, config, EGL_NO_CONTEXT, attribs);
  if (ctx == EGL_NO_CONTEXT)
    return Status::fail("no OpenGL 4.3 core context (eglCreateContext: " + egl_error_name(eglGetError()) + ")");
  if (!eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx)) {
    EGLint e = eglGetError();
    eglDestroyContext(dpy, ctx);
    return Status::fail("eglMakeCurrent failed (" + egl_error_name(e) + ")");
  }
  out.display = dpy;
  out.context = ctx;
  return Status::success();
}

// EGL devices, hardware first unless `software`.
std::vector<EGLDeviceEXT> devices(bool software) {
  std::vector<EGLDeviceEXT> out;
  const char* client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  if (!client || !epoxy_extension_in_string(client, "EGL_EXT_device_enumeration") ||
      !epoxy_extension_in_string(client, "EGL_EXT_platform_device"))
    return out;
  EGLDeviceEXT all[16];
  EGLint n = 0;
  if (!eglQueryDevicesEXT(16, all, &n)) return out;
  for (EGLint i = 0; i < n; ++i) {
    const char* ext = eglQueryDeviceStringEXT(all[i], EGL_EXTENSIONS);
    bool is_software = ext && epoxy_extension_in_string(ext, "EGL_MESA_device_software");
    if (is_software == software) out.push_back(all[i]);
  }
  return out;
}

Status try_platform(const std::string& platform, Attempt& out) {
  const char* client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  if (!client || !epoxy_extension_in_string(client, "EGL_EXT_platform_base"))
    return Status::fail("EGL lacks EGL_EXT_platform_base");
  if (platform == "surfaceless") {
    if (!epoxy_extension_in_string(client, "EGL_MESA_platform_surfaceless"))
      return Status::fail("EGL lacks EGL_MESA_platform_surfaceless");
    return try_display(eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr), out);
  }
  if (platform == "device" || platform == "software") {
    std::vector<EGLDeviceEXT> list = devices(platform == "software");
    if (list.empty()) return Status::fail(platform == "device" ? "no hardware EGL device" : "no software EGL device");
    std::string reasons;
    for (size_t i = 0; i < list.size(); ++i) {
      Status s = try_display(eglGetPlatformDisplayEXT(EGL_PLATFORM_DEVICE_EXT, list[i], nullptr), out);
      if (s.ok()) return s;
      reasons += (reasons.empty() ? "" : "; ") + ("device " + std::to_string(i) + ": " + s.message);
    }
    return Status::fail(reasons);
  }
  return Status::fail("unknown EGL platform '" + platform + "' (device, surfaceless or software)");
}

// The embedded source of `name` ("shaders/gemm.comp"), or null.
const char* embedded_shader(const std::string& name) {
  for (int i = 0; i < kEmbeddedShaderCount; ++i)
    if (name == kEmbeddedShaders[i].name) return kEmbeddedShaders[i].source;
  return nullptr;
}

// The process's headless context, shared by every backend that wants one.
std::mutex g_mutex;
std::weak_ptr<Context> g_headless;

}  // namespace

std::shared_ptr<Context> Context::acquire(Status& why) {
  why = Status::success();
  {
    // Our own headless context, left current by an earlier backend, is shared, not adopted:
    // an adopted context must outlive the backend, and only the owner knows when it ends.
    std::lock_guard<std::mutex> lock(g_mutex);
    auto shared = g_headless.lock();
    if (shared && eglGetCurrentContext() == shared->context_) return shared;
  }
  if (context_is_current()) {
    auto ctx = std::make_shared<Context>();
    why = check_version(ctx->description_);
    return why.ok() ? ctx : nullptr;
  }

  std::lock_guard<std::mutex> lock(g_mutex);
  if (auto shared = g_headless.lock()) {
    shared->make_current();
    return shared;
  }
  if (!epoxy_has_egl()) {
    why = Status::fail("no EGL library (libEGL.so.1) to create a headless OpenGL context");
    return nullptr;
  }
  std::vector<std::string> platforms = {"device", "surfaceless", "software"};
  if (const char* env = std::getenv("NNLAB_EGL_PLATFORM"); env && *env) platforms = {env};
  std::string reasons;
  for (const std::string& p : platforms) {
    Attempt a;
    Status s = try_platform(p, a);
    if (s.ok()) {
      auto ctx = std::make_shared<Context>();
      ctx->display_ = a.display;
      ctx->context_ = a.context;
      s = check_version(ctx->description_);
      if (s.ok()) {
        g_headless = ctx;
        return ctx;
      }
    }
    reasons += (reasons.empty() ? "" : "; ") + ("EGL " + p + ": " + s.message);
  }
  why = Status::fail("no OpenGL 4.3 context could be made (" + reasons + ")");
  return nullptr;
}

Context::~Context() {
  if (!display_) return;
  if (eglGetCurrentContext() == context_)
    eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  eglDestroyContext(display_, context_);
  // No eglTerminate: other code in the process may use the same display.
}

void Context::make_current() {
  if (display_ && eglGetCurrentContext() != context_)
    eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, context_);
}

Status shader_source(const std::string& name, const std::string& defines, std::string& out) {
  const char* src = embedded_shader(name);
  if (!src) return Status::fail(name + ": no such shader was embedded at build time");
  out = src;
  size_t version = out.find("#version");
  size_t eol = version == std::string::npos ? std::string::npos : out.find('\n', version);
  if (eol == std::string::npos) return Status::fail(name + ": the first line must be #version");
  // #line keeps the driver's line numbers those of the file.
  int line = 2;
  for (size_t i = 0; i < eol; ++i) line += out[i] == '\n';
  out.insert(eol + 1, defines + "#line " + std::to_string(line) + "\n");
  if (const char* broken = std::getenv("NNLAB_GL_BREAK_SHADER"); broken && *broken) {
    std::string b = broken, base = name.substr(name.rfind('/') + 1);
    if (b == name || b == base || b + ".comp" == base)
      out += "\nthis line is not GLSL (NNLAB_GL_BREAK_SHADER)\n";
  }
  return Status::success();
}

Status compile_compute(const char* name, const char* source, unsigned& program) {
  program = 0;
  GLuint shader = glCreateShader(GL_COMPUTE_SHADER);
  glShaderSource(shader, 1, &source, nullptr);
  glCompileShader(shader);
  GLint ok = 0, len = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &len);
    std::string log(size_t(len > 0 ? len : 1), '\0');
    glGetShaderInfoLog(shader, GLsizei(log.size()), nullptr, log.data());
    glDeleteShader(shader);
    log.resize(std::strlen(log.c_str()));
    return Status::fail(std::string(name) + ": compile failed: " + (log.empty() ? "(the driver gave no log)" : log));
  }
  GLuint prog = glCreateProgram();
  glAttachShader(prog, shader);
  glLinkProgram(prog);
  glDeleteShader(shader);  // flagged; freed with the program
  glGetProgramiv(prog, GL_LINK_STATUS, &ok);
  if (!ok) {
    glGetProgramiv(prog, GL_INFO_LOG_LENGTH, &len);
    std::string log(size_t(len > 0 ? len : 1), '\0');
    glGetProgramInfoLog(prog, GLsizei(log.size()), nullptr, log.data());
    glDeleteProgram(prog);
    log.resize(std::strlen(log.c_str()));
    return Status::fail(std::string(name) + ": link failed: " + (log.empty() ? "(the driver gave no log)" : log));
  }
  program = prog;
  return Status::success();
}

}  // namespace nnlab::gl
