// The one frame loop of the web page and the desktop app, as Dear ImGui's
// examples share one main between GLFW and Emscripten: a GLFW window with ImGui,
// one frame done the same way for both (events, Session::tick, the dashboard,
// render, frame time in ms), and run(), which loops natively or hands frames to
// the browser. Front-end specifics (JS bridge, CLI options) come in as hooks.
#pragma once
#include <functional>

#include "dashboard.h"
#include "session.h"
#include "status.h"

struct GLFWwindow;

namespace nnlab {

// The context a front end asks for, and the GLSL line ImGui's renderer uses.
struct GlVersion {
  int major = 3, minor = 3;
  bool es = false;  // OpenGL ES (WebGL2) instead of a desktop core profile
  const char* glsl = "#version 330";
};

class FrameLoop {
 public:
  Session session;
  Dashboard dashboard;
  DashboardHooks hooks;

  // After Session::tick, before the dashboard draws: the page follows its
  // canvas size, the app puts a test image on the draw pad.
  std::function<void()> before_draw;
  // Framebuffer pixels per layout unit: the page's devicePixelRatio, the app's
  // monitor content scale; none = 1. The dashboard is laid out in units (CSS
  // pixels on the page) and its font rasterised at this scale, so text is
  // crisp on HiDPI screens; a new value rebuilds the font atlas.
  std::function<float()> ui_scale;
  static constexpr float kFontSize = 15.0f;  // layout units
  // After the frame is rendered, before it is shown (the back buffer can still
  // be read); returning false ends the loop.
  std::function<bool()> after_render;

  FrameLoop() = default;
  FrameLoop(const FrameLoop&) = delete;
  FrameLoop& operator=(const FrameLoop&) = delete;
  ~FrameLoop() { close(); }

  // glfwInit, the window and its context (made current), ImGui with the GLFW
  // and OpenGL3 backends. On failure nothing is left open.
  Status open(const char* title, int width, int height, const GlVersion& gl);
  GLFWwindow* window() const { return window_; }

  // One frame; false when after_render asked to stop.
  bool run_frame();
  // Natively: frames (vsync on) until the window closes or after_render says
  // stop, then close(). On the web: hands run_frame to the browser's main loop
  // and returns at once, so this FrameLoop must outlive main.
  void run();
  // Drops the run first (its GL buffers need the context), then ImGui and GLFW.
  void close();

 private:
  GLFWwindow* window_ = nullptr;
  float font_scale_ = 0;  // the scale the font atlas was rasterised at
  void rebuild_font(float scale);
  void scale_io(float scale);
};

}  // namespace nnlab
