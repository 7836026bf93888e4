// The Dear ImGui dashboard shared by the web page and the desktop app: an
// intro, data, model, training charts and insight (test-image grid, confusion
// heat map, draw pad) panels laid out to fill the window: side by side when it
// is wide, one scrolling column when it is narrow (a phone). It only draws and
// forwards button presses to the Session; the front end supplies the hooks.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "params.h"
#include "session.h"

namespace nnlab {

// The colour the front end clears to; the panels draw no backgrounds of their own.
constexpr float kClearColor[4] = {0.06f, 0.06f, 0.07f, 1.0f};

struct DashboardHooks {
  // Save model: the page downloads the bytes, the app writes checkpoint_path.
  std::function<void(const std::vector<uint8_t>& bytes)> save_model;
  // Load model: the page opens a file picker, the app reads checkpoint_path;
  // either ends in Session::load_checkpoint.
  std::function<void()> load_model;
  bool native = false;                // data source is a directory, checkpoints are paths
  std::vector<std::string> devices;   // e.g. {"CPU", "GPU (OpenGL)"}; empty = no choice
  int* device = nullptr;              // index into devices
};

class Dashboard {
 public:
  // Below this width (layout units: CSS pixels on the page) the panels stack.
  static constexpr float kNarrowWidth = 900.0f;

  ~Dashboard();
  void draw(Session& s, const DashboardHooks& hooks);
  // Puts a test image on the draw pad (scaled up), as if the user had drawn it.
  void draw_on_pad(const Dataset& d, int index);
  std::string checkpoint_path = "nnlab-model.nnlb";

 private:
  void wide_layout(Session& s, const DashboardHooks& hooks);
  void narrow_layout(Session& s, const DashboardHooks& hooks);
  bool begin_panel(const char* name, float x, float y, float w, float h);
  void end_panel(Session& s, const char* name);
  static void note_widget(Session& s, const char* name);
  void intro(Session& s);
  void data_panel(Session& s, const DashboardHooks& hooks);
  void model_panel(Session& s, const DashboardHooks& hooks);
  void run_buttons(Session& s, const DashboardHooks& hooks);
  void discard_modal(Session& s, const DashboardHooks& hooks);
  void param_widget(Session& s, const Param& p, const char* locked);
  void layer_list(Session& s, const char* locked);  // layer_list.cpp
  void keep_in_view_while_typing() const;
  void charts_panel(Session& s, float chart_height);
  void insight_panel(Session& s);
  void image_grid(Session& s);
  void confusion_map(Session& s);
  void draw_pad(Session& s);
  void pad_canvas(Session& s);
  void pad_readout(Session& s);
  bool has_conv(const Session& s) const;
  void conv_view(Session& s);  // insight_conv.cpp

  bool narrow_ = false;
  std::string drag_panel_;  // the panel a drag on its background scrolls (touch)
  // Reset / Start when they would drop a trained model: asked first in a modal.
  enum class Discard { kNone, kReset, kStart } discard_ = Discard::kNone;
  bool open_discard_ = false;
  bool intro_open_ = true, intro_set_ = false;

  // Panel edit state.
  int source_ = -1;  // 0 mnist, 1 fashion, 2 custom; -1 = derive from the session
  char custom_[512] = "";
  std::map<std::string, std::string> edits_;   // text parameters as typed
  std::map<std::string, std::string> errors_;  // why a typed value was refused
  std::string layer_error_, layer_error_net_;   // why the layer list's last edit was refused, and the net then
  char path_[512] = "";

  // Grid.
  unsigned grid_tex_ = 0;
  bool misclassified_only_ = false;
  int grid_page_ = 0;
  std::string grid_key_;  // what the texture shows; rebuilt when it changes
  std::vector<int> grid_items_;

  // Draw pad: a kPad x kPad ink canvas and its MNIST-style 28x28 version.
  static constexpr int kPad = 112;
  static constexpr float kPadNarrowMax = 420.0f;  // layout units: a finger's pad, not a wall
  std::vector<float> canvas_ = std::vector<float>(kPad * kPad, 0.0f);
  std::vector<float> digit_ = std::vector<float>(28 * 28, 0.0f);
  std::vector<float> probs_;
  bool pad_dirty_ = true, have_last_ = false;
  float last_x_ = 0, last_y_ = 0;
  unsigned pad_tex_ = 0, digit_tex_ = 0;
  long probs_version_ = -1;  // Session::model_version() the probabilities came from

  // A conv net's first layer: its filters, and its feature maps of the pad's digit.
  unsigned filters_tex_ = 0, maps_tex_ = 0;
  long filters_version_ = -1, maps_version_ = -1;
  std::vector<float> maps_digit_;
};

}  // namespace nnlab
