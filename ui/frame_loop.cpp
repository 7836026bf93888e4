// The shared frame loop (see frame_loop.h), with the embedded font rasterised
// at the screen's density and ImGui's input rescaled to layout units. The one
// #ifdef __EMSCRIPTEN__ of ui/ is the main-loop shim in run(): everything else
// is the same GLFW + ImGui code for WebGL2 and desktop OpenGL.
#include "frame_loop.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "ui_font.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

namespace nnlab {

Status FrameLoop::open(const char* title, int width, int height, const GlVersion& gl) {
  if (!glfwInit()) return Status::fail("glfwInit failed");
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, gl.major);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, gl.minor);
  if (gl.es) {
    glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  } else {
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
  }
  // An opaque framebuffer with no depth/stencil: the dashboard needs neither,
  // and it is less for SwiftShader and the page's compositor to move per frame.
  glfwWindowHint(GLFW_ALPHA_BITS, 0);
  glfwWindowHint(GLFW_DEPTH_BITS, 0);
  glfwWindowHint(GLFW_STENCIL_BITS, 0);
  window_ = glfwCreateWindow(width, height, title, nullptr, nullptr);
  if (!window_) {
    glfwTerminate();
    return Status::fail("could not open an OpenGL " + std::string(gl.es ? "ES " : "") +
                        std::to_string(gl.major) + "." + std::to_string(gl.minor) +
                        (gl.es ? "" : " core") + " window");
  }
  glfwMakeContextCurrent(window_);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is fixed; nothing to remember
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 0;
  ImGui_ImplGlfw_InitForOpenGL(window_, true);
  ImGui_ImplOpenGL3_Init(gl.glsl);
  return Status::success();
}

// The embedded TrueType font at `scale` framebuffer pixels per unit, drawn at
// 1/scale so that layout stays in units: glyphs map 1:1 to screen pixels.
void FrameLoop::rebuild_font(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  ImFontConfig cfg;
  cfg.FontDataOwnedByAtlas = false;  // kUiFont is static data
  cfg.PixelSnapH = true;             // whole-pixel advances: no blur between glyphs
  cfg.OversampleH = 1;               // already rasterised at the screen's density
  std::snprintf(cfg.Name, sizeof cfg.Name, "%s, %.0f px", kUiFontName, kFontSize * scale);
  io.Fonts->AddFontFromMemoryTTF(const_cast<unsigned char*>(kUiFont), int(kUiFontSize),
                                 std::round(kFontSize * scale), &cfg);
  io.FontGlobalScale = 1.0f / scale;
  // The first atlas is uploaded by the backend's first NewFrame (with its other
  // device objects); a later one must be uploaded here: NewFrame will not.
  if (font_scale_ != 0) {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
  }
  font_scale_ = scale;
}

// The GLFW backend reports window coordinates; the dashboard works in units of
// `scale` framebuffer pixels (window and framebuffer differ on macOS Retina).
void FrameLoop::scale_io(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  int ww = 0, wh = 0, fw = 0, fh = 0;
  glfwGetWindowSize(window_, &ww, &wh);
  glfwGetFramebufferSize(window_, &fw, &fh);
  const float px_per_window = ww > 0 ? float(fw) / float(ww) : 1.0f;
  io.DisplaySize = ImVec2(float(fw) / scale, float(fh) / scale);
  io.DisplayFramebufferScale = ImVec2(scale, scale);
  session.view.scale = scale;
  session.view.framebuffer[0] = fw;
  session.view.framebuffer[1] = fh;
  if (ImGui::IsMousePosValid(&io.MousePos))
    io.MousePos = ImVec2(io.MousePos.x * px_per_window / scale, io.MousePos.y * px_per_window / scale);
}

bool FrameLoop::run_frame() {
  const double t0 = glfwGetTime();  // s: one clock for tick and the frame time
  glfwPollEvents();
  session.tick(t0);
  if (before_draw) before_draw();

  float scale = ui_scale ? ui_scale() : 1.0f;
  if (!(scale >= 0.5f && scale <= 8.0f)) scale = 1.0f;  // a broken report must not break the font
  if (scale != font_scale_) rebuild_font(scale);
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  scale_io(scale);
  ImGui::NewFrame();
  dashboard.draw(session, hooks);
  ImGui::Render();
  int fw = 0, fh = 0;
  glfwGetFramebufferSize(window_, &fw, &fh);
  glViewport(0, 0, fw, fh);
  glClearColor(kClearColor[0], kClearColor[1], kClearColor[2], 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  // Training + UI time of this frame in ms, smoothed over ~10 frames.
  const double work_ms = (glfwGetTime() - t0) * 1000.0;
  session.frame_work_ms = 0.9 * session.frame_work_ms + 0.1 * work_ms;

  const bool go_on = !after_render || after_render();
  glfwSwapBuffers(window_);  // the browser presents by itself: a no-op there
  return go_on;
}

void FrameLoop::run() {
#ifdef __EMSCRIPTEN__
  // requestAnimationFrame paces the frames; they go on after main returns.
  emscripten_set_main_loop_arg(
      [](void* loop) {
        if (!static_cast<FrameLoop*>(loop)->run_frame()) emscripten_cancel_main_loop();
      },
      this, 0, false);
#else
  glfwSwapInterval(1);
  while (!glfwWindowShouldClose(window_) && run_frame()) {
  }
  close();
#endif
}

void FrameLoop::close() {
  if (!window_) return;
  session.reset();  // the run's GL buffers go before the context
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window_);
  window_ = nullptr;
  glfwTerminate();
}

}  // namespace nnlab
