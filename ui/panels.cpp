// The data and model panels: the data source and its per-file progress, one
// widget per hyper-parameter (its help as the tooltip, eta on a log slider),
// why locked settings are locked, and the run and checkpoint buttons.
#include <imgui.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "dashboard.h"
#include "panel_widgets.h"
#include "params.h"
#include "presets.h"

namespace nnlab {

void wrapped(const ImVec4& colour, const std::string& text) {
  ImGui::PushTextWrapPos(0);
  ImGui::TextColored(colour, "%s", text.c_str());
  ImGui::PopTextWrapPos();
}

// Shows over disabled widgets too, where it says why they are locked.
void tooltip(const std::string& text) {
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
    // Opaque even over a disabled widget: BeginDisabled fades everything begun inside it.
    ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 1.0f);
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
    ImGui::PopStyleVar();
  }
}

namespace {

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

// A trained model that Reset or a new Start would drop (a diverged one is worth nothing).
bool holds_trained_model(const Session& s) {
  return s.run() && s.run()->metrics.batches_done > 0 && s.phase() != Phase::Diverged;
}

}  // namespace

// On a phone the on-screen keyboard covers the lower half of the screen and the
// page shrinks to what is left: a text field tapped there is first scrolled to
// the top fifth, so it stays in view while typing. (The last item: one InputText.)
void Dashboard::keep_in_view_while_typing() const {
  if (narrow_ && ImGui::IsItemActivated()) ImGui::SetScrollHereY(0.2f);
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
    note_widget(s, (std::string("data=") + sources[size_t(i)].id).c_str());
    tooltip(busy ? "Locked while the data loads: wait, or press Cancel." : sources[size_t(i)].base);
    ImGui::SameLine();
  }
  changed |= ImGui::RadioButton(hooks.native ? "Directory" : "URL", &source_, custom);
  tooltip(hooks.native ? "A directory holding the four IDX files (.gz or raw)"
                       : "A URL base holding the four IDX files (.gz or raw)");
  if (source_ == custom) {
    ImGui::SetNextItemWidth(-1);
    changed |= ImGui::InputTextWithHint("##base", hooks.native ? "path/to/idx-dir" : "https://host/path",
                                        custom_, sizeof custom_);
  }
  if (changed) {
    (void)s.apply_param("data", source_ < custom ? sources[size_t(source_)].id : custom_);
    // The files, counts and failure shown were the previous source's: start this one clean.
    if (s.data_base != s.data_loaded_from) {
      for (FileLoad& f : s.files) f = FileLoad{};
      if (!s.run()) s.error.clear();
      s.notice.clear();
    }
  }
  const bool shown_loaded = s.data_ready && s.data_loaded_from == s.data_base;
  const bool failed_here = s.phase() == Phase::Error && !s.data_ready && !s.files[0].url.empty();
  if (ImGui::Button(failed_here ? "Retry" : "Load data"))
    s.load_data();
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
    tooltip(f.url);
  }
  if (shown_loaded) {
    ImGui::TextColored(kGreen, "%d train / %d test images, %dx%d", s.data.train.count,
                       s.data.test.count, s.data.train.rows, s.data.train.cols);
  } else if (s.phase() == Phase::Error && !s.error.empty() && !s.run()) {
    wrapped(kRed, s.error);
  } else if (!busy && s.data_ready) {
    wrapped(kDim, "Press Start or Load data to fetch the four IDX files of this source (" +
                      s.data_loaded_from + " stays in use until then).");
  } else if (!busy) {
    wrapped(kDim, "Press Start (or Load data) to fetch the four IDX files.");
  }
}

// One widget per entry of the parameter table (params.h): its help is the
// tooltip, its range the widget's limits, and set_param() the one judge.
// A refused value leaves the setting as it was and says why under the widget.
// `locked`: why the widget is disabled now (and how to unlock it), or null.
void Dashboard::param_widget(Session& s, const Param& p, const char* locked) {
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
      if (std::strcmp(p.name, "eta") == 0) {
        // Useful learning rates span decades (0.01 for momentum runs, 3 for the
        // book's first): a log slider; Ctrl+click types any value the table accepts.
        changed = ImGui::SliderFloat(p.name, &f, 0.001f, 100.0f, "%.4g",
                                     ImGuiSliderFlags_Logarithmic);
      } else {
        changed = ImGui::InputFloat(p.name, &f, 0, 0, "%.4g");
      }
      if (changed) st = s.set(p, f);
      keep_in_view_while_typing();
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
      keep_in_view_while_typing();
      break;
    }
  }
  note_widget(s, p.name);
  std::string help = std::string(p.name) + ": " + p.help;
  if (p.kind == Param::kInt || p.kind == Param::kFloat) help += "\n(" + p.range_text() + ")";
  if (locked) help += std::string("\n\n") + locked;
  tooltip(help);
  // A finger on a phone leaves a field as soon as it is tapped (and the field scrolls away
  // from it), so no tooltip is seen there: the help of the field being typed in shows below it.
  const bool typed_in = p.kind == Param::kText || p.kind == Param::kInt ||
                        (p.kind == Param::kFloat && std::strcmp(p.name, "eta") != 0);
  if (narrow_ && typed_in && ImGui::IsItemActive()) wrapped(kDim, p.help);
  if (changed) err = st.message;
  if (!err.empty()) wrapped(kRed, err);
}

void Dashboard::model_panel(Session& s, const DashboardHooks& hooks) {
  const bool running = s.run() != nullptr;
  const bool loading = s.phase() == Phase::Loading;
  const char* locked = running ? "Locked: this run was built with it. Press Reset to change it "
                                 "(only eta changes while a run exists)."
                       : loading ? "Locked while the data loads: wait, or Cancel it."
                                 : nullptr;
  ImGui::PushItemWidth(ImGui::GetContentRegionAvail().x * 0.55f);

  // What acts on the run comes first, so that a long list of layers never
  // pushes Start, Pause, Reset or eta out of view.
  run_buttons(s, hooks);
  // Live parameters (eta) may change between steps of a running trainer.
  for (const Param& p : params())
    if (p.live) param_widget(s, p, nullptr);
  if (s.run() && s.run()->mode == RunMode::Slices)
    ImGui::TextColored(kDim, "fps %.0f   training %.0f ms/frame", s.fps, s.budget * 1000);
  else if (s.run())
    ImGui::TextColored(kDim, "fps %.0f   the run's thread rests %.0f%%", s.fps, s.run_rest * 100);
  else
    ImGui::TextColored(kDim, "fps %.0f", s.fps);
  if (s.run()) ImGui::TextColored(kDim, "device: %s", s.run()->device.c_str());
  ImGui::Separator();

  // The architecture and data-dependent settings are fixed once a run exists.
  if (running) wrapped(kDim, "The settings below are locked for this run: Reset to change them.");
  ImGui::BeginDisabled(locked != nullptr);
  const std::vector<Preset>& list = presets();
  if (ImGui::BeginCombo("preset", "the book's runs...")) {
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
  tooltip(std::string("Sets every setting below to one of the runs of Nielsen's book") +
          (locked ? std::string("\n\n") + locked : ""));
  for (const Param& p : params()) {
    if (p.live) continue;  // drawn above, enabled while training
    param_widget(s, p, locked);
    if (std::strcmp(p.name, "net") == 0) layer_list(s, locked);  // the same network, row by row
  }
  if (!hooks.devices.empty() && hooks.device) {
    ImGui::Combo("device", hooks.device, [](void* d, int i, const char** o) {
      *o = (*static_cast<const std::vector<std::string>*>(d))[size_t(i)].c_str();
      return true;
    }, (void*)&hooks.devices, int(hooks.devices.size()));
    tooltip(std::string("Where the next run trains") + (locked ? std::string("\n\n") + locked : ""));
  }
  ImGui::EndDisabled();
  ImGui::PopItemWidth();
}

// Start / Pause / Resume / Reset (asking before a trained model is dropped),
// then Save / Load model and the messages of the last action.
void Dashboard::run_buttons(Session& s, const DashboardHooks& hooks) {
  const Phase ph = s.phase();
  const bool can_start = ph == Phase::Idle || ph == Phase::Error || ph == Phase::Done ||
                         ph == Phase::Diverged;
  ImGui::BeginDisabled(!can_start);
  if (ImGui::Button("Start")) {
    if (holds_trained_model(s)) {
      discard_ = Discard::kStart;
      open_discard_ = true;
    } else {
      s.start();
    }
  }
  ImGui::EndDisabled();
  note_widget(s, "Start");
  tooltip(can_start ? "Train a new network with the settings below (loads the data first if needed)"
                    : "A run is in progress: Pause it, or Reset to start over");
  ImGui::SameLine();
  if (ph == Phase::Paused) {
    if (ImGui::Button("Resume")) s.resume();
  } else {
    ImGui::BeginDisabled(ph != Phase::Training);
    if (ImGui::Button("Pause")) s.pause();
    ImGui::EndDisabled();
  }
  ImGui::SameLine();
  if (ImGui::Button("Reset")) {
    if (holds_trained_model(s)) {
      discard_ = Discard::kReset;
      open_discard_ = true;
    } else {
      s.reset();
    }
  }
  note_widget(s, "Reset");
  tooltip("Drop the run and its model (asks first); the data stays loaded");

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
  tooltip(s.net ? "Download the network as a .nnlb file" : "No model yet: Start a run or Load one");
  ImGui::SameLine();
  if (ImGui::Button("Load model") && hooks.load_model) hooks.load_model();
  tooltip("Open a .nnlb file saved here or by the nnlab command line");
  if (!s.backend_note.empty()) wrapped(kDim, s.backend_note);
  if (!s.notice.empty()) wrapped(kRed, s.notice);
  if (ph == Phase::Error && s.data_ready && !s.error.empty()) wrapped(kRed, s.error);
}

}  // namespace nnlab
