// The web page's entry point: a WebGL2 GLFW window running the shared ImGui
// dashboard from emscripten_set_main_loop, with training time-sliced into each
// frame. Fetching, downloads and the file picker live in library_nnlab.js;
// their answers come back through the exported nnlab_* functions below.
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dashboard.h"
#include "session.h"

extern "C" {
void nnlab_js_fetch(int gen, int index, const char* url);
void nnlab_js_download(const uint8_t* data, int size, const char* name);
void nnlab_js_pick_file();
char* nnlab_js_query();
int nnlab_js_width();
int nnlab_js_height();
}

namespace {

struct App {
  GLFWwindow* window = nullptr;
  nnlab::Session session;
  nnlab::Dashboard dashboard;
  nnlab::DashboardHooks hooks;
  std::vector<uint8_t> incoming[nnlab::Session::kFiles];  // fetched bytes land here
  std::vector<uint8_t> model_file;
  std::string status;
  int width = 0, height = 0;
};

App* g_app = nullptr;

void frame() {
  App& a = *g_app;
  double t0 = emscripten_get_now();
  int w = nnlab_js_width(), h = nnlab_js_height();
  if (w > 0 && h > 0 && (w != a.width || h != a.height)) {
    a.width = w;
    a.height = h;
    glfwSetWindowSize(a.window, w, h);
  }
  glfwPollEvents();
  a.session.tick(emscripten_get_now() / 1000.0);

  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  a.dashboard.draw(a.session, a.hooks);
  ImGui::Render();
  int fw = 0, fh = 0;
  glfwGetFramebufferSize(a.window, &fw, &fh);
  glViewport(0, 0, fw, fh);
  glClearColor(nnlab::kClearColor[0], nnlab::kClearColor[1], nnlab::kClearColor[2], 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  a.session.frame_work_ms = 0.9 * a.session.frame_work_ms + 0.1 * (emscripten_get_now() - t0);
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* nnlab_status() {
  if (!g_app) return "{\"state\":\"idle\",\"error\":\"\"}";
  // The session's JSON plus the WASM heap size (it only grows, so it is the peak).
  std::string& st = g_app->status;
  st = g_app->session.status_json();
  char heap[48];
  std::snprintf(heap, sizeof heap, ",\"heapMB\":%.1f}",
                double(__builtin_wasm_memory_size(0)) * 65536.0 / (1 << 20));
  st.pop_back();
  st += heap;
  return st.c_str();
}

// Buttons by name for scripts and tests (window.nnlabCommand): start, pause,
// resume, reset, save (downloads the checkpoint), load (opens the file picker),
// retry (fetches the data again), eta=X (changes eta, also while training).
// Returns "" on success, else why not.
EMSCRIPTEN_KEEPALIVE const char* nnlab_command(const char* command) {
  static std::string result;
  if (!g_app) return "not running";
  App& a = *g_app;
  const std::string c = command;
  result.clear();
  if (c == "start") {
    a.session.start();
  } else if (c == "pause") {
    a.session.pause();
  } else if (c == "resume") {
    a.session.resume();
  } else if (c == "reset") {
    a.session.reset();
  } else if (c == "save") {
    std::vector<uint8_t> bytes = a.session.save_checkpoint();
    if (bytes.empty()) result = "no model to save: start training or load a model first";
    else a.hooks.save_model(bytes);
  } else if (c == "load") {
    a.hooks.load_model();
  } else if (c == "retry") {  // the data panel's Retry / Load data button
    a.session.load_data();
  } else if (c.rfind("eta=", 0) == 0) {  // the live eta field
    char* end = nullptr;
    float eta = std::strtof(c.c_str() + 4, &end);
    nnlab::Status st = *end == '\0' && eta > 0 ? a.session.set_eta(eta)
                                                : nnlab::Status::fail("eta must be a positive number");
    result = st.message;
  } else {
    result = "unknown command '" + c + "' (start pause resume reset save load retry eta=X)";
  }
  return result.c_str();
}

// Sizes the buffer a fetched file is copied into; returns its address.
EMSCRIPTEN_KEEPALIVE uint8_t* nnlab_file_buffer(int gen, int index, int size) {
  if (!g_app || index < 0 || index >= nnlab::Session::kFiles || gen != g_app->session.generation)
    return nullptr;
  std::vector<uint8_t>& b = g_app->incoming[index];
  b.assign(size_t(size), 0);
  return b.data();
}

EMSCRIPTEN_KEEPALIVE void nnlab_file_loaded(int gen, int index, const char* url, int size) {
  if (!g_app || index < 0 || index >= nnlab::Session::kFiles) return;
  std::vector<uint8_t> bytes = std::move(g_app->incoming[index]);
  g_app->incoming[index] = {};
  bytes.resize(size_t(size));
  g_app->session.file_loaded(gen, index, url, std::move(bytes));
}

EMSCRIPTEN_KEEPALIVE void nnlab_file_progress(int gen, int index, double received, double total) {
  if (g_app) g_app->session.file_progress(gen, index, received, total);
}

EMSCRIPTEN_KEEPALIVE void nnlab_file_failed(int gen, int index, const char* url, const char* why) {
  if (g_app) g_app->session.file_failed(gen, index, url, why);
}

EMSCRIPTEN_KEEPALIVE uint8_t* nnlab_model_buffer(int size) {
  g_app->model_file.assign(size_t(size), 0);
  return g_app->model_file.data();
}

EMSCRIPTEN_KEEPALIVE void nnlab_model_loaded(int size, const char* name) {
  App& a = *g_app;
  a.model_file.resize(size_t(size));
  nnlab::Status s = a.session.load_checkpoint(a.model_file.data(), a.model_file.size(), name);
  a.session.notice = s.ok() ? "" : s.message;
  std::vector<uint8_t>().swap(a.model_file);
}

}  // extern "C"

int main() {
  if (!glfwInit()) {
    std::fprintf(stderr, "glfwInit failed\n");
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  // An opaque canvas with no depth/stencil: less for SwiftShader and the
  // compositor to move per frame (the dashboard needs neither).
  glfwWindowHint(GLFW_ALPHA_BITS, 0);
  glfwWindowHint(GLFW_DEPTH_BITS, 0);
  glfwWindowHint(GLFW_STENCIL_BITS, 0);
  g_app = new App;
  App& a = *g_app;
  a.width = nnlab_js_width() > 0 ? nnlab_js_width() : 1280;
  a.height = nnlab_js_height() > 0 ? nnlab_js_height() : 800;
  a.window = glfwCreateWindow(a.width, a.height, "nnlab", nullptr, nullptr);
  if (!a.window) {
    std::fprintf(stderr, "could not create a WebGL2 context\n");
    return 1;
  }
  glfwMakeContextCurrent(a.window);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is fixed; nothing to remember
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 0;
  ImGui_ImplGlfw_InitForOpenGL(a.window, true);
  ImGui_ImplOpenGL3_Init("#version 300 es");

  a.session.fetch_file = [](int gen, int i, const std::string& url) {
    nnlab_js_fetch(gen, i, url.c_str());
  };
  a.hooks.save_model = [](const std::vector<uint8_t>& bytes) {
    if (!bytes.empty()) nnlab_js_download(bytes.data(), int(bytes.size()), "nnlab-model.nnlb");
  };
  a.hooks.load_model = [] { nnlab_js_pick_file(); };

  char* query = nnlab_js_query();
  nnlab::Status s = a.session.apply_query(query);
  std::free(query);
  if (!s.ok()) {
    a.session.fail(s.message);
  } else if (a.session.autostart) {
    a.session.start();
  }
  emscripten_set_main_loop(frame, 0, false);
  return 0;
}
