// The web page's entry point: the shared frame loop (ui/frame_loop) in a WebGL2
// window. Built with pthreads (index.html loads that build when the page is
// cross-origin isolated) the run trains on its own thread and the math on one
// thread per core; built without, in slices of the frames. Fetching, downloads
// and the file picker live in library_nnlab.js; their answers come back
// through the exported nnlab_* functions below.
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <emscripten/heap.h>
#include <imgui.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "dashboard.h"
#include "frame_loop.h"
#include "session.h"

extern "C" {
void nnlab_js_fetch(int gen, int index, const char* url, double max_bytes);
void nnlab_js_cancel();
void nnlab_js_download(const uint8_t* data, int size, const char* name);
void nnlab_js_pick_file();
char* nnlab_js_query();
int nnlab_js_width();
int nnlab_js_height();
double nnlab_js_dpr();
void nnlab_js_set_canvas_size(int width, int height);
}

namespace {

struct App {
  nnlab::FrameLoop loop;  // owns the session, dashboard and hooks
  nnlab::Session& session = loop.session;
  nnlab::DashboardHooks& hooks = loop.hooks;
  std::vector<uint8_t> incoming[nnlab::Session::kFiles];  // fetched bytes land here
  std::vector<uint8_t> model_file;
  std::string status;
  int width = 0, height = 0;  // the canvas' backing store, device pixels
  float dpr = 1;
  std::deque<int> key_taps;   // GLFW keys from an on-screen keyboard, pressed one frame each
  bool key_down = false;      // key_taps.front() is down in this frame
};

App* g_app = nullptr;  // lives as long as the page: frames run after main returns

// The canvas follows the browser window (index.html sizes it in CSS pixels)
// and its pixel density: its backing store gets CSS size x devicePixelRatio
// pixels, so nothing is letterboxed or upscaled; the dashboard lays out in CSS
// pixels (FrameLoop::ui_scale) and rasterises its font at the density.
void follow_canvas_size() {
  App& a = *g_app;
  double dpr = nnlab_js_dpr();
  if (!(dpr >= 0.5 && dpr <= 8)) dpr = 1;  // FrameLoop's range; the browser's zoom stays inside it
  const int css_w = nnlab_js_width(), css_h = nnlab_js_height();
  if (css_w <= 0 || css_h <= 0) return;  // a hidden page: keep the last size
  const int w = int(std::lround(css_w * dpr)), h = int(std::lround(css_h * dpr));
  a.dpr = float(dpr);
  if (w != a.width || h != a.height) {
    a.width = w;
    a.height = h;
    nnlab_js_set_canvas_size(w, h);
  }
}

// An on-screen keyboard sends edits, not key presses: each tap is a press seen
// by one frame and a release seen by the next, as a key typed would be.
void replay_key_taps() {
  App& a = *g_app;
  if (a.key_taps.empty()) return;
  ImGuiIO& io = ImGui::GetIO();
  const int key = a.key_taps.front();
  io.KeysDown[key] = !a.key_down;
  if (a.key_down) a.key_taps.pop_front();
  a.key_down = !a.key_down;
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
// retry (fetches the data again, replacing a load in flight), cancel (stops
// loading), eta=X (changes eta, also while training).
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
    std::vector<uint8_t> bytes;
    nnlab::Status st = a.session.save_checkpoint(bytes);
    if (st.ok()) a.hooks.save_model(bytes);
    result = st.message;
  } else if (c == "load") {
    a.hooks.load_model();
  } else if (c == "retry") {  // the data panel's Retry / Load data button
    a.session.load_data();
  } else if (c == "cancel") {  // the data panel's Cancel button
    a.session.cancel_loading();
  } else if (c.find('=') != std::string::npos) {  // NAME=VALUE: a parameter, e.g. the live eta
    result = a.session.set(c.substr(0, c.find('=')), c.substr(c.find('=') + 1)).message;
  } else {
    result = "unknown command '" + c + "' (start pause resume reset save load retry cancel eta=X)";
  }
  return result.c_str();
}

// Sizes the buffer a fetched file is copied into; returns its address, or
// null for a stale answer or a size over the cap (JS refuses those before).
EMSCRIPTEN_KEEPALIVE uint8_t* nnlab_file_buffer(int gen, int index, double size) {
  if (!g_app || index < 0 || index >= nnlab::Session::kFiles || gen != g_app->session.generation ||
      !(size >= 0 && size <= nnlab::Session::kMaxFileBytes))
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

// Wheel notches from index.html (positive = up/left, as ImGui counts them).
EMSCRIPTEN_KEEPALIVE void nnlab_wheel(double dx, double dy) {
  if (!g_app || !std::isfinite(dx) || !std::isfinite(dy)) return;
  ImGuiIO& io = ImGui::GetIO();
  io.MouseWheelH += float(dx);
  io.MouseWheel += float(dy);
}

// Text from an on-screen keyboard (index.html's #keys), and its Backspace and
// Enter as GLFW keys; nnlab_wants_text tells index.html when to open it.
EMSCRIPTEN_KEEPALIVE void nnlab_text_input(const char* utf8) {
  if (g_app) ImGui::GetIO().AddInputCharactersUTF8(utf8);
}

EMSCRIPTEN_KEEPALIVE void nnlab_key_tap(int glfw_key) {
  if (g_app && (glfw_key == GLFW_KEY_BACKSPACE || glfw_key == GLFW_KEY_ENTER) &&
      g_app->key_taps.size() < 64)
    g_app->key_taps.push_back(glfw_key);
}

EMSCRIPTEN_KEEPALIVE int nnlab_wants_text() { return g_app && ImGui::GetIO().WantTextInput ? 1 : 0; }

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
  g_app = new App;
  App& a = *g_app;
  nnlab::Status opened = a.loop.open("nnlab", 1280, 800, {3, 0, true, "#version 300 es"});
  if (!opened.ok()) {
    std::fprintf(stderr, "could not create a WebGL2 context (%s)\n", opened.message.c_str());
    return 1;
  }
  follow_canvas_size();  // before the first frame, so it lays out at the right size
  a.loop.before_draw = [] {
    follow_canvas_size();
    replay_key_taps();
  };
  a.loop.ui_scale = [] { return g_app->dpr; };
  // The session may use what the heap can still grow to (-sMAXIMUM_MEMORY), less what is in use
  // now and a reserve for the UI's own buffers; a run or checkpoint over it is refused cleanly.
  const size_t heap_max = emscripten_get_heap_max(), in_use = size_t(sbrk(0)), reserve = 64u << 20;
  a.session.memory_limit = heap_max > in_use + reserve ? heap_max - in_use - reserve : 1;

  a.session.fetch_file = [](int gen, int i, const std::string& url) {
    nnlab_js_fetch(gen, i, url.c_str(), nnlab::Session::kMaxFileBytes);
  };
  a.session.cancel_fetches = [] { nnlab_js_cancel(); };
#ifdef __EMSCRIPTEN_PTHREADS__
  a.session.own_thread = true;
  // threads=0 means one per core the browser reports, and no more than the
  // workers made at start (web/CMakeLists.txt: PTHREAD_POOL_SIZE).
  a.session.make_backend = [](std::string&) {
    const int cores = std::clamp(int(std::thread::hardware_concurrency()), 1, 8);
    const int asked = g_app->session.cfg.threads;
    return nnlab::make_cpu_backend(asked < 1 ? cores : std::min(asked, cores));
  };
#else
  a.session.why_slices =
      "this page is not cross-origin isolated (its server sends no COOP/COEP headers), so it has no threads";
#endif
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
  a.loop.run();  // returns at once; the browser calls the frames
  return 0;
}
