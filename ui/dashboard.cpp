// Dashboard layout: four panels side by side on a wide window, one scrolling
// column of sections on a narrow one (a phone), the intro that says what the
// page is, drag-to-scroll for touch, and the modal that asks before a trained
// model is dropped. panels.cpp, charts.cpp and insight.cpp draw the contents.
#include "dashboard.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nnlab {

namespace {

const ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                     ImGuiWindowFlags_NoCollapse |
                                     ImGuiWindowFlags_NoBringToFrontOnFocus |
                                     ImGuiWindowFlags_NoBackground;
// No window backgrounds: the front end clears to kClearColor instead. In
// headless Chromium (SwiftShader) fill rate bounds the frame rate, and four
// full-window blended quads cost more than the whole rest of the dashboard.

const ImVec4 kDim(0.65f, 0.65f, 0.70f, 1.0f);

}  // namespace

Dashboard::~Dashboard() = default;  // textures die with the GL context

void Dashboard::draw(Session& s, const DashboardHooks& hooks) {
  narrow_ = ImGui::GetIO().DisplaySize.x < kNarrowWidth;
  s.view.layout = narrow_ ? "narrow" : "wide";
  s.view.scroll.clear();
  s.view.modal.clear();
  s.view.widgets.clear();
  if (narrow_)
    narrow_layout(s, hooks);
  else
    wide_layout(s, hooks);
  discard_modal(s, hooks);
}

void Dashboard::wide_layout(Session& s, const DashboardHooks& hooks) {
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  const float left = std::fmin(380.0f, size.x * 0.3f);
  const float data_h = std::fmin(250.0f, size.y * 0.36f);
  const float mid = (size.x - left) * 0.5f;

  if (begin_panel("Data", 0, 0, left, data_h)) data_panel(s, hooks);
  end_panel(s, "Data");
  if (begin_panel("Model", 0, data_h, left, size.y - data_h)) model_panel(s, hooks);
  end_panel(s, "Model");
  if (begin_panel("Training", left, 0, mid, size.y))
    charts_panel(s, std::max(90.0f, (ImGui::GetContentRegionAvail().y - 170) / 3.0f));
  end_panel(s, "Training");
  if (begin_panel("Insight", left + mid, 0, size.x - left - mid, size.y)) {
    intro(s);
    insight_panel(s);
  }
  end_panel(s, "Insight");
}

// One column: every section in page order, each a header that folds; the
// window scrolls (wheel, scroll bar, or a finger dragged on the background).
void Dashboard::narrow_layout(Session& s, const DashboardHooks& hooks) {
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  if (begin_panel("nnlab", 0, 0, size.x, size.y)) {
    intro(s);
    if (ImGui::CollapsingHeader("Data", ImGuiTreeNodeFlags_DefaultOpen)) data_panel(s, hooks);
    if (ImGui::CollapsingHeader("Model", ImGuiTreeNodeFlags_DefaultOpen)) model_panel(s, hooks);
    if (ImGui::CollapsingHeader("Training", ImGuiTreeNodeFlags_DefaultOpen))
      charts_panel(s, std::clamp(size.y * 0.22f, 110.0f, 180.0f));
    if (ImGui::CollapsingHeader("Insight", ImGuiTreeNodeFlags_DefaultOpen)) insight_panel(s);
  }
  end_panel(s, "nnlab");
}

bool Dashboard::begin_panel(const char* name, float x, float y, float w, float h) {
  ImGui::SetNextWindowPos(ImVec2(x, y));
  ImGui::SetNextWindowSize(ImVec2(w, h));
  return ImGui::Begin(name, nullptr, kPanelFlags | (narrow_ ? ImGuiWindowFlags_NoTitleBar : 0));
}

// Touch screens have no wheel: a drag that starts on a panel's background (not
// on a widget, e.g. the draw pad) scrolls that panel, as a page would.
void Dashboard::end_panel(Session& s, const char* name) {
  const ImGuiIO& io = ImGui::GetIO();
  // The press frame only starts the drag: a finger's delta there is the jump
  // from where the last touch ended, not a movement.
  if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    if (ImGui::IsWindowHovered() && !ImGui::IsAnyItemHovered()) drag_panel_ = name;
  } else if (!ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    drag_panel_.clear();
  } else if (drag_panel_ == name && io.MouseDelta.y != 0) {
    ImGui::SetScrollY(ImGui::GetScrollY() - io.MouseDelta.y);
  }
  s.view.scroll.emplace_back(name, ImGui::GetScrollY());
  ImGui::End();
}

// The last item's rectangle in status JSON under `name` (widgets["Reset"]).
void Dashboard::note_widget(Session& s, const char* name) {
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  s.view.widgets.push_back({name, {a.x, a.y, b.x - a.x, b.y - a.y}});
}

// What the page is and what to press first; open until data is in, then folded.
void Dashboard::intro(Session& s) {
  if (!intro_set_ || (intro_open_ && s.data_ready)) {
    ImGui::SetNextItemOpen(!s.data_ready);
    intro_set_ = true;
    intro_open_ = !s.data_ready;
  }
  if (!ImGui::CollapsingHeader("What is this?")) return;
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(
      "nnlab trains a small neural network (the one of Michael Nielsen's book \"Neural Networks "
      "and Deep Learning\") on handwritten digits, here in your browser or window: nothing is "
      "sent anywhere.");
  ImGui::TextColored(kDim, "%s",
                     "1. Press Start: it downloads MNIST (11 MB) and trains.\n"
                     "2. Watch the loss fall and the test accuracy rise, epoch by epoch.\n"
                     "3. Draw a digit on the pad: the network guesses it live.\n"
                     "Hover (or touch) a setting to see what it does; eta may change while training.");
  ImGui::PopTextWrapPos();
  ImGui::Spacing();
}

// Save / Discard / Cancel before Reset or a new Start drops a trained model.
void Dashboard::discard_modal(Session& s, const DashboardHooks& hooks) {
  const char* kTitle = "Drop the trained model?";
  if (open_discard_) {
    ImGui::OpenPopup(kTitle);
    open_discard_ = false;
  }
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos(ImVec2(size.x / 2, size.y / 2), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(ImVec2(std::min(440.0f, size.x - 24), 0));
  if (!ImGui::BeginPopupModal(kTitle, nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize))
    return;
  s.view.modal = kTitle;
  const Metrics* m = s.run() ? &s.run()->metrics : nullptr;
  ImGui::PushTextWrapPos(0);
  if (m && !m->test_accuracy.empty())
    ImGui::Text("%s drops the model trained so far (%zu epochs, test accuracy %.2f%%).",
                discard_ == Discard::kReset ? "Reset" : "Starting a new run",
                m->test_accuracy.size(), m->test_accuracy.back() * 100);
  else
    ImGui::Text("%s drops the current model.",
                discard_ == Discard::kReset ? "Reset" : "Starting a new run");
  ImGui::TextColored(kDim, "Save it first to load it again later (Load model).");
  ImGui::PopTextWrapPos();
  bool go = false, close = false;
  const bool save = ImGui::Button("Save, then go on");
  note_widget(s, "Save, then go on");
  if (save && hooks.save_model) {
    std::vector<uint8_t> bytes;
    Status st = s.save_checkpoint(bytes);
    if (st.ok()) hooks.save_model(bytes);
    if (st.ok()) go = true;
    else s.notice = st.message, close = true;
  }
  ImGui::SameLine();
  if (ImGui::Button("Discard")) go = true;
  note_widget(s, "Discard");
  ImGui::SameLine();
  if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
    close = true;
  note_widget(s, "Cancel");
  if (go) {
    if (discard_ == Discard::kReset) s.reset();
    if (discard_ == Discard::kStart) s.start();
  }
  if (go || close) {
    discard_ = Discard::kNone;
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

}  // namespace nnlab
