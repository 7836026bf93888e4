// Dashboard layout plus the data and model panels (charts.cpp and insight.cpp
// draw the other two). Panels are fixed windows tiling the display, so the
// page and the desktop app look the same at any size.
#include "dashboard.h"

#include <imgui.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "gl_texture.h"
#include "params.h"
#include "presets.h"

namespace nnlab {

namespace {

const ImVec4 kRed(1.0f, 0.42f, 0.38f, 1.0f);
const ImVec4 kGreen(0.45f, 0.85f, 0.45f, 1.0f);
const ImVec4 kDim(0.65f, 0.65f, 0.70f, 1.0f);

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1 << 20)
    std::snprintf(buf, sizeof buf, "%.1f MB", b / double(1 << 20));
  else
    std::snprintf(buf, sizeof buf, "%.0f KB", b / 1024.0);
  return buf;
}

void copy_to(char* dst, size_t n, const std::string& s) {
  std::snprintf(dst, n, "%s", s.c_str());
}

}  // namespace

Dashboard::~Dashboard() = default;  // textures die with the GL context

void Dashboard::draw(Session& s, const DashboardHooks& hooks) {
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  const float left = std::fmin(360.0f, size.x * 0.3f);
  const float data_h = std::fmin(250.0f, size.y * 0.36f);
  const float mid = (size.x - left) * 0.5f;
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                 ImGuiWindowFlags_NoCollapse |
                                 ImGuiWindowFlags_NoBringToFrontOnFocus |
                                 ImGuiWindowFlags_NoBackground;
  // No window backgrounds: the front end clears to kClearColor instead. In
  // headless Chromium (SwiftShader) fill rate bounds the frame rate, and four
  // full-window blended quads cost more than the whole rest of the dashboard.

  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(left, data_h));
  if (ImGui::Begin("Data", nullptr, flags)) data_panel(s, hooks);
  ImGui::End();

  ImGui::SetNextWindowPos(ImVec2(0, data_h));
  ImGui::SetNextWindowSize(ImVec2(left, size.y - data_h));
  if (ImGui::Begin("Model", nullptr, flags)) model_panel(s, hooks);
  ImGui::End();

  ImGui::SetNextWindowPos(ImVec2(left, 0));
  ImGui::SetNextWindowSize(ImVec2(mid, size.y));
  if (ImGui::Begin("Training", nullptr, flags)) charts_panel(s);
  ImGui::End();

  ImGui::SetNextWindowPos(ImVec2(left + mid, 0));
  ImGui::SetNextWindowSize(ImVec2(size.x - left - mid, size.y));
  if (ImGui::Begin("Insight", nullptr, flags)) insight_panel(s);
  ImGui::End();
}

void Dashboard::data_panel(Session& s, const DashboardHooks& hooks) {
  // The radio buttons: each named data source, then "URL"/"Directory" for any other base.
  const std::vector<DataSource>& sources = data_sources();
  const int custom = int(sources.size());
  if (source_ < 0) {
    source_ = custom;
    for (int i = 0; i < custom; ++i)
      if (s.data_base == sources[size_t(i)].base) source_ = i;
    copy_to(custom_, sizeof custom_, source_ == custom ? s.data_base : "");
  }
  const bool busy = s.phase() == Phase::Loading;
  ImGui::BeginDisabled(busy);
  bool changed = false;
  for (int i = 0; i < custom; ++i) {
    changed |= ImGui::RadioButton(sources[size_t(i)].label, &source_, i);
    ImGui::SameLine();
  }
  changed |= ImGui::RadioButton(hooks.native ? "Directory" : "URL", &source_, custom);
  if (source_ == custom) {
    ImGui::SetNextItemWidth(-1);
    changed |= ImGui::InputTextWithHint("##base", hooks.native ? "path/to/idx-dir" : "https://host/path",
                                        custom_, sizeof custom_);
  }
  if (changed) (void)s.apply_param("data", source_ < custom ? sources[size_t(source_)].id : custom_);
  if (ImGui::Button(s.phase() == Phase::Error && !s.data_ready ? "Retry" : "Load data")) s.load_data();
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (busy) {
    if (ImGui::Button("Cancel")) s.cancel_loading();
    ImGui::SameLine();
  }
  ImGui::TextColored(kDim, "%s", s.data_base.c_str());

  for (const FileLoad& f : s.files) {
    if (f.name.empty()) continue;
    char overlay[160];
    float frac = 0;
    std::string amount;
    if (!f.error.empty()) {
      amount = "failed";
    } else if (!f.done && !busy) {  // the load was cancelled, or stopped by another file's failure
      frac = f.total > 0 ? float(f.received / f.total) : 0;
      amount = "stopped at " + human_bytes(f.received);
    } else if (f.done) {
      frac = 1;
      amount = human_bytes(f.received);
    } else if (f.total > 0) {
      frac = float(f.received / f.total);
      amount = human_bytes(f.received) + " / " + human_bytes(f.total);
    } else {
      amount = f.received > 0 ? human_bytes(f.received) : "waiting";
    }
    std::snprintf(overlay, sizeof overlay, "%s  %s", f.name.c_str(), amount.c_str());
    if (!f.error.empty()) ImGui::PushStyleColor(ImGuiCol_PlotHistogram, kRed);
    ImGui::ProgressBar(f.error.empty() ? frac : 1.0f, ImVec2(-1, 0), overlay);
    if (!f.error.empty()) ImGui::PopStyleColor();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", f.url.c_str());
  }
  if (s.data_ready) {
    ImGui::TextColored(kGreen, "%d train / %d test images, %dx%d", s.data.train.count,
                       s.data.test.count, s.data.train.rows, s.data.train.cols);
  } else if (s.phase() == Phase::Error && !s.error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(kRed, "%s", s.error.c_str());
    ImGui::PopTextWrapPos();
  } else if (s.phase() == Phase::Idle) {
    ImGui::TextColored(kDim, "Press Start (or Load data) to fetch the four IDX files.");
  }
}

// One widget per entry of the parameter table (params.h): its help is the
// tooltip, its range the widget's limits, and set_param() the one judge.
// A refused value leaves the setting as it was and says why under the widget.
void Dashboard::param_widget(Session& s, const Param& p) {
  const TrainConfig& c = s.cfg;
  bool changed = false;
  Status st;
  std::string& err = errors_[p.name];
  switch (p.kind) {
    case Param::kChoice: {
      std::vector<std::string> names = p.choice_list();
      std::vector<const char*> items;
      for (const std::string& n : names) items.push_back(n.c_str());
      int i = int(p.get(c));
      if ((changed = ImGui::Combo(p.name, &i, items.data(), int(items.size())))) st = s.set(p, i);
      break;
    }
    case Param::kInt: {
      double v = p.get(c);
      int i = v > 2147483647.0 ? 2147483647 : int(v);
      if ((changed = ImGui::InputInt(p.name, &i))) st = s.set(p, i);
      break;
    }
    case Param::kFloat: {
      float f = float(p.get(c));
      if ((changed = ImGui::InputFloat(p.name, &f, 0, 0, "%.4g"))) st = s.set(p, f);
      break;
    }
    case Param::kText: {
      std::string& text = edits_[p.name];
      if (err.empty()) text = param_text(c, p);
      char buf[256];
      copy_to(buf, sizeof buf, text);
      if ((changed = ImGui::InputText(p.name, buf, sizeof buf))) {
        text = buf;
        st = s.set(p.name, text);
      }
      break;
    }
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.help);
  if (changed) err = st.message;
  if (!err.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(kRed, "%s", err.c_str());
    ImGui::PopTextWrapPos();
  }
}

void Dashboard::model_panel(Session& s, const DashboardHooks& hooks) {
  const bool running = s.run() != nullptr;
  ImGui::PushItemWidth(ImGui::GetContentRegionAvail().x * 0.55f);

  // The architecture and data-dependent settings are fixed once a run exists.
  ImGui::BeginDisabled(running || s.phase() == Phase::Loading);
  const std::vector<Preset>& list = presets();
  if (ImGui::BeginCombo("##preset", "the book's runs...")) {
    for (const Preset& p : list) {
      char label[160];
      std::snprintf(label, sizeof label, "%s  (book %.2f%%)", p.title, p.book_percent);
      if (ImGui::Selectable(label)) {
        Status st = s.set("preset", p.id);
        if (!st.ok()) s.notice = st.message;
        edits_.clear();
        errors_.clear();
      }
    }
    ImGui::EndCombo();
  }
  for (const Param& p : params()) {
    if (p.live) continue;  // drawn below, enabled while training
    param_widget(s, p);
  }
  if (!hooks.devices.empty() && hooks.device)
    ImGui::Combo("device", hooks.device, [](void* d, int i, const char** o) {
      *o = (*static_cast<const std::vector<std::string>*>(d))[size_t(i)].c_str();
      return true;
    }, (void*)&hooks.devices, int(hooks.devices.size()));
  ImGui::EndDisabled();

  // Live parameters (eta) may change between steps of a running trainer.
  for (const Param& p : params())
    if (p.live) param_widget(s, p);
  ImGui::PopItemWidth();
  ImGui::Separator();

  const bool can_start = s.phase() == Phase::Idle || s.phase() == Phase::Error ||
                         s.phase() == Phase::Done || s.phase() == Phase::Diverged;
  ImGui::BeginDisabled(!can_start);
  if (ImGui::Button("Start")) s.start();
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (s.phase() == Phase::Paused) {
    if (ImGui::Button("Resume")) s.resume();
  } else {
    ImGui::BeginDisabled(s.phase() != Phase::Training);
    if (ImGui::Button("Pause")) s.pause();
    ImGui::EndDisabled();
  }
  ImGui::SameLine();
  if (ImGui::Button("Reset")) s.reset();

  if (hooks.native) {
    if (path_[0] == '\0') copy_to(path_, sizeof path_, checkpoint_path);
    ImGui::SetNextItemWidth(-1);
    if (ImGui::InputText("##ckpt", path_, sizeof path_)) checkpoint_path = path_;
  }
  ImGui::BeginDisabled(!s.net);
  if (ImGui::Button("Save model") && hooks.save_model) {
    std::vector<uint8_t> bytes;
    Status st = s.save_checkpoint(bytes);
    if (st.ok()) hooks.save_model(bytes);
    else s.notice = st.message;
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Load model") && hooks.load_model) hooks.load_model();
  if (!s.backend_note.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(kDim, "%s", s.backend_note.c_str());
    ImGui::PopTextWrapPos();
  }
  if (!s.notice.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(kRed, "%s", s.notice.c_str());
    ImGui::PopTextWrapPos();
  }
  if (s.phase() == Phase::Error && s.data_ready && !s.error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(kRed, "%s", s.error.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::Separator();
  if (s.run() && s.run()->mode == RunMode::Slices)
    ImGui::TextColored(kDim, "fps %.0f   training %.0f ms/frame", s.fps, s.budget * 1000);
  else if (s.run())
    ImGui::TextColored(kDim, "fps %.0f   the run's thread rests %.0f%%", s.fps, s.run_rest * 100);
  else
    ImGui::TextColored(kDim, "fps %.0f", s.fps);
  if (s.run()) ImGui::TextColored(kDim, "device: %s", s.run()->device.c_str());
}

}  // namespace nnlab
