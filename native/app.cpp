// nnlab_app: the desktop window (GLFW 3.3 + OpenGL 3.3 core) running the same
// ImGui dashboard as the web page, training on the CPU engine or, when chosen,
// the OpenGL compute backend in the window's own context.
//   nnlab_app [--data mnist|fashion|DIR] [--autostart] [--device cpu|gpu]
//             [--screenshot out.png --quit-after-batches N] [--scale S] [--<param> value ...]
// <param> is any page URL parameter (sizes, eta, batch, epochs, cost, ...).
#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GLFW/glfw3.h>
#include <stb_image_write.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dashboard.h"
#include "frame_loop.h"
#include "gl_backend.h"
#include "io.h"
#include "model.h"
#include "session.h"

namespace {

constexpr const char* kUsage =
    "usage: nnlab_app [--data mnist|fashion|DIR] [--autostart] [--device cpu|gpu]\n"
    "                 [--screenshot FILE.png] [--quit-after-batches N] [--quit-after-seconds S]\n"
    "                 [--pad-test-image N] [--width W] [--height H] [--scale S]\n"
    "                 [--sizes 784,30,10] [--eta 3] [--batch 10]\n"
    "                 [--epochs 30] [--activation A] [--output O] [--cost C] [--init I]\n"
    "                 [--lambda L] [--momentum M] [--seed S] [--validation N]\n";

struct Options {
  std::string screenshot;
  long quit_after_batches = -1;
  double quit_after_seconds = -1;
  int width = 1280, height = 800;
  int device = 0;  // 0 CPU, 1 GPU
  int pad_image = -1;  // test image to put on the draw pad once data is loaded
  float scale = 0;     // framebuffer pixels per layout unit; 0 = the monitor's content scale
};

// Reads the rendered back buffer (before the swap) into a PNG.
bool write_screenshot(const std::string& path, int w, int h) {
  std::vector<unsigned char> px(size_t(w) * h * 4), flipped(px.size());
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
  for (int y = 0; y < h; ++y)  // GL rows run bottom-up
    std::memcpy(&flipped[size_t(y) * w * 4], &px[size_t(h - 1 - y) * w * 4], size_t(w) * 4);
  return stbi_write_png(path.c_str(), w, h, 4, flipped.data(), w * 4) != 0;
}

}  // namespace

int main(int argc, char** argv) {
  nnlab::FrameLoop loop;
  nnlab::Session& session = loop.session;
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "nnlab_app: %s needs a value\n%s", a.c_str(), kUsage);
        std::exit(2);
      }
      out = argv[++i];
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--autostart") {
      (void)session.apply_param("autostart", "1");
    } else if (a == "--screenshot") {
      value(opt.screenshot);
    } else if (a == "--quit-after-batches") {
      value(v);
      opt.quit_after_batches = std::atol(v.c_str());
    } else if (a == "--quit-after-seconds") {
      value(v);
      opt.quit_after_seconds = std::atof(v.c_str());
    } else if (a == "--pad-test-image") {
      value(v);
      opt.pad_image = std::atoi(v.c_str());
    } else if (a == "--width") {
      value(v);
      opt.width = std::max(320, std::atoi(v.c_str()));
    } else if (a == "--height") {
      value(v);
      opt.height = std::max(240, std::atoi(v.c_str()));
    } else if (a == "--scale") {  // e.g. 2: a HiDPI layout where the monitor does not say so (Xvfb)
      value(v);
      opt.scale = float(std::atof(v.c_str()));
      if (!(opt.scale >= 0.5f && opt.scale <= 4.0f)) {
        std::fprintf(stderr, "nnlab_app: --scale must be a number from 0.5 to 4\n%s", kUsage);
        return 2;
      }
    } else if (a == "--device") {
      value(v);
      if (v != "cpu" && v != "gpu") {
        std::fprintf(stderr, "nnlab_app: --device must be cpu or gpu\n%s", kUsage);
        return 2;
      }
      opt.device = v == "gpu" ? 1 : 0;
    } else if (a.rfind("--", 0) == 0) {
      value(v);
      nnlab::Status s = session.apply_param(a.substr(2), v);
      if (!s.ok()) {
        std::fprintf(stderr, "nnlab_app: %s\n%s", s.message.c_str(), kUsage);
        return 2;
      }
    } else {
      std::fprintf(stderr, "nnlab_app: unexpected argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }

  nnlab::Status opened = loop.open("nnlab", opt.width, opt.height, {3, 3, false, "#version 330"});
  if (!opened.ok()) {
    std::fprintf(stderr, "nnlab_app: %s (is there a display? try xvfb-run)\n",
                 opened.message.c_str());
    return 1;
  }
  // The monitor's content scale (2 on a HiDPI screen): the dashboard's units and font follow it.
  loop.ui_scale = [&loop, &opt] {
    float x = 1, y = 1;
    if (opt.scale > 0) return opt.scale;
    glfwGetWindowContentScale(loop.window(), &x, &y);
    return x;
  };
  nnlab::Dashboard& dashboard = loop.dashboard;
  nnlab::DashboardHooks& hooks = loop.hooks;
  hooks.native = true;
  session.own_thread = true;  // the CPU backend's runs; the GL backend's stay on this thread
  hooks.devices = {"CPU (Eigen)", "GPU (OpenGL compute)"};
  hooks.device = &opt.device;
  // Native "fetch" is a synchronous read of DIR/name.gz, else DIR/name, with the
  // page's per-file cap so that an oversized file is refused before it is read.
  session.fetch_file = [&session](int gen, int i, const std::string& path) {
    std::vector<uint8_t> bytes;
    const uint64_t cap = uint64_t(nnlab::Session::kMaxFileBytes);
    nnlab::Status gz = nnlab::read_file(path + ".gz", bytes, cap, "a data file");
    if (gz.ok()) {
      session.file_loaded(gen, i, path + ".gz", std::move(bytes));
      return;
    }
    nnlab::Status raw = nnlab::read_file(path, bytes, cap, "a data file");
    if (raw.ok())
      session.file_loaded(gen, i, path, std::move(bytes));
    else
      session.file_failed(gen, i, path + ".gz", gz.message + "; " + raw.message);
  };
  session.make_backend = [&opt, &session](std::string& note) -> std::unique_ptr<nnlab::Backend> {
    if (opt.device == 1) {
      nnlab::Status why;
      std::unique_ptr<nnlab::Backend> gl = nnlab::make_gl_backend(why);  // uses this window's context
      if (gl) return gl;
      note = "GPU unavailable (" + why.message + "); training on the CPU";
    }
    return nnlab::make_cpu_backend(session.cfg.threads);
  };
  hooks.save_model = [&](const std::vector<uint8_t>& bytes) {
    nnlab::Status s = nnlab::write_file(dashboard.checkpoint_path, bytes);
    session.notice = s.ok() ? "" : s.message;
    if (s.ok()) std::printf("nnlab_app: saved %s\n", dashboard.checkpoint_path.c_str());
  };
  hooks.load_model = [&] {
    std::vector<uint8_t> bytes;
    nnlab::Status s = nnlab::read_file(dashboard.checkpoint_path, bytes, nnlab::kMaxModelBytes, "a model file");
    if (s.ok()) s = session.load_checkpoint(bytes.data(), bytes.size(), dashboard.checkpoint_path);
    session.notice = s.ok() ? "" : s.message;
  };

  if (session.autostart) session.start();
  const double t_start = glfwGetTime();
  int settle_frames = -1;  // counts down after the quit condition, so the insight panel fills in
  int rc = 0;
  loop.before_draw = [&] {
    if (opt.pad_image >= 0 && session.data_ready) {
      dashboard.draw_on_pad(session.data.test, opt.pad_image);
      opt.pad_image = -1;
    }
  };
  // The quit-after conditions, then the status line and the screenshot.
  loop.after_render = [&]() -> bool {
    const long batches = session.run() ? long(session.run()->metrics.batches_done) : 0;
    const bool stopped = session.phase() == nnlab::Phase::Done ||
                         session.phase() == nnlab::Phase::Error ||
                         session.phase() == nnlab::Phase::Diverged;
    const bool timed_out =
        opt.quit_after_seconds > 0 && glfwGetTime() - t_start > opt.quit_after_seconds;
    if (settle_frames < 0 &&
        ((opt.quit_after_batches >= 0 && (batches >= opt.quit_after_batches || stopped)) ||
         timed_out)) {
      session.pause();
      settle_frames = 20;
      if (timed_out) std::fprintf(stderr, "nnlab_app: --quit-after-seconds reached\n");
    }
    if (settle_frames == 0) {
      std::printf("nnlab_app: %s\n", session.status_json().c_str());
      if (!opt.screenshot.empty()) {
        int fw = 0, fh = 0;
        glfwGetFramebufferSize(loop.window(), &fw, &fh);
        if (write_screenshot(opt.screenshot, fw, fh)) {
          std::printf("nnlab_app: wrote %s (%dx%d)\n", opt.screenshot.c_str(), fw, fh);
        } else {
          std::fprintf(stderr, "nnlab_app: could not write %s\n", opt.screenshot.c_str());
          rc = 1;
        }
      }
      if (session.phase() == nnlab::Phase::Error) rc = 1;
      return false;
    }
    if (settle_frames > 0) --settle_frames;
    return true;
  };

  loop.run();
  return rc;
}
