// The insight panel: test images with the model's predicted labels
// (misclassified ones framed in red), the confusion matrix as a heat map, and
// a draw pad whose MNIST-style 28x28 version is classified live.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cfloat>
#include <cstdio>

#include "dashboard.h"
#include "gl_texture.h"
#include "preprocess.h"

namespace nnlab {

namespace {

constexpr int kGridCols = 10, kGridRows = 3;

ImTextureID tex_id(unsigned t) { return (ImTextureID)(intptr_t)t; }

}  // namespace

void Dashboard::insight_panel(Session& s) {
  if (!s.data_ready) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("Load data to see test images, the confusion matrix and the draw pad.");
    ImGui::PopTextWrapPos();
    return;
  }
  if (ImGui::CollapsingHeader("Test images and predictions", ImGuiTreeNodeFlags_DefaultOpen))
    image_grid(s);
  if (ImGui::CollapsingHeader("Confusion matrix (latest test evaluation)",
                              ImGuiTreeNodeFlags_DefaultOpen))
    confusion_map(s);
  // MNIST's classes are digits; a named data set's (Fashion-MNIST) are things.
  const DataSource* src = s.loaded_source();
  const std::string pad_title = src && !src->classes.empty()
                                    ? std::string("Draw a ") + src->label + " item###pad"
                                    : std::string("Draw a digit###pad");
  if (ImGui::CollapsingHeader(pad_title.c_str(), ImGuiTreeNodeFlags_DefaultOpen)) draw_pad(s);
  if (has_conv(s) && s.phase() != Phase::Diverged &&
      ImGui::CollapsingHeader("What the first conv layer sees", ImGuiTreeNodeFlags_DefaultOpen))
    conv_view(s);
}

void Dashboard::image_grid(Session& s) {
  const Dataset& test = s.data.test;
  const int per_page = kGridCols * kGridRows;
  const bool predicted = s.net && s.predictions_next >= test.count;
  ImGui::Checkbox("misclassified only", &misclassified_only_);
  ImGui::SameLine();
  if (ImGui::ArrowButton("##prev", ImGuiDir_Left)) grid_page_ = std::max(0, grid_page_ - 1);
  ImGui::SameLine();
  if (ImGui::ArrowButton("##next", ImGuiDir_Right)) ++grid_page_;

  // Which test images this page shows.
  std::vector<int> items;
  int total = test.count;
  if (misclassified_only_ && predicted) {
    std::vector<int> wrong;
    for (int i = 0; i < test.count; ++i)
      if (s.predictions[size_t(i)] >= 0 && s.predictions[size_t(i)] != test.labels[size_t(i)])
        wrong.push_back(i);
    total = int(wrong.size());
    grid_page_ = std::min(grid_page_, std::max(0, (total - 1) / per_page));
    for (int k = grid_page_ * per_page; k < total && k < (grid_page_ + 1) * per_page; ++k)
      items.push_back(wrong[size_t(k)]);
  } else {
    grid_page_ = std::min(grid_page_, std::max(0, (total - 1) / per_page));
    for (int i = grid_page_ * per_page; i < total && i < (grid_page_ + 1) * per_page; ++i)
      items.push_back(i);
  }
  ImGui::SameLine();
  if (misclassified_only_ && predicted)
    ImGui::Text("%d misclassified, page %d", total, grid_page_ + 1);
  else
    ImGui::Text("page %d / %d", grid_page_ + 1, std::max(1, (total + per_page - 1) / per_page));

  // The texture atlas is rebuilt only when the page's images change.
  const int r = test.rows, c = test.cols;
  char key[64];
  std::snprintf(key, sizeof key, "%p %d %d %zu", (const void*)test.images.data(), items.empty() ? -1 : items[0],
                int(items.size()), s.data.test.images.size());
  if (grid_key_ != key || grid_tex_ == 0) {
    grid_key_ = key;
    std::vector<uint8_t> rgba(size_t(kGridCols * c) * kGridRows * r * 4, 0);
    for (size_t k = 0; k < items.size(); ++k) {
      const uint8_t* img = test.image(items[k]);
      int gx = int(k) % kGridCols, gy = int(k) / kGridCols;
      for (int y = 0; y < r; ++y)
        for (int x = 0; x < c; ++x) {
          size_t o = (size_t(gy * r + y) * size_t(kGridCols * c) + size_t(gx * c + x)) * 4;
          rgba[o] = rgba[o + 1] = rgba[o + 2] = img[y * c + x];
          rgba[o + 3] = 255;
        }
    }
    upload_rgba_texture(&grid_tex_, kGridCols * c, kGridRows * r, rgba.data());
  }

  const float cell = std::floor(std::min(ImGui::GetContentRegionAvail().x / kGridCols, 56.0f));
  const float img = cell - 4;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float row_h = cell + 12;
  ImGui::Dummy(ImVec2(cell * kGridCols, row_h * kGridRows));
  for (size_t k = 0; k < items.size(); ++k) {
    int gx = int(k) % kGridCols, gy = int(k) / kGridCols;
    ImVec2 a(p0.x + gx * cell + 2, p0.y + gy * row_h);
    ImVec2 b(a.x + img, a.y + img);
    ImVec2 uv0(float(gx) / kGridCols, float(gy) / kGridRows);
    ImVec2 uv1(float(gx + 1) / kGridCols, float(gy + 1) / kGridRows);
    dl->AddImage(tex_id(grid_tex_), a, b, uv0, uv1);
    int truth = test.labels[size_t(items[k])];
    int pred = s.net ? s.predictions[size_t(items[k])] : -1;
    char lab[32];
    ImU32 col = IM_COL32(170, 170, 180, 255);
    if (pred < 0) {
      std::snprintf(lab, sizeof lab, "%s", "?");
    } else if (pred == truth) {
      std::snprintf(lab, sizeof lab, "%s", s.class_name(pred, true).c_str());
      col = IM_COL32(120, 220, 120, 255);
    } else {
      std::snprintf(lab, sizeof lab, "%s", s.class_name(pred, true).c_str());
      col = IM_COL32(255, 90, 80, 255);
      dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), col, 0, 0, 2.0f);
    }
    ImVec2 ts = ImGui::CalcTextSize(lab);
    dl->AddText(ImVec2(a.x + (img - ts.x) / 2, b.y), col, lab);
    if (ImGui::IsMouseHoveringRect(a, b))
      ImGui::SetTooltip("test image %d: label %s, predicted %s", items[k],
                        s.class_name(truth).c_str(), pred < 0 ? "-" : s.class_name(pred).c_str());
  }
  if (!s.net) ImGui::TextDisabled("Predicted labels appear once a model exists.");
  else ImGui::TextDisabled("Predicted by the model %s.", s.model_label.c_str());
}

// Rows are the true classes, columns the predicted ones (both named), each
// cell its count coloured by its share of the row; the last column is the
// row's accuracy (the diagonal's share), the class's recall.
void Dashboard::confusion_map(Session& s) {
  // The panels' model (the grid's), on the whole test set: after an epoch the
  // run's own evaluation, for a loaded model its first.
  const std::vector<int>& confusion = s.confusion;
  const int K = s.data.test.classes;
  if (confusion.size() != size_t(K * K)) {
    ImGui::TextDisabled(s.net ? "Shown once the test set is predicted." : "Shown once a model exists.");
    return;
  }
  ImGui::TextDisabled("The model %s: %.2f%% of %d test images.", s.confusion_model.c_str(), s.model_accuracy * 100,
                      s.data.test.count);
  const ImU32 kLabel = IM_COL32(180, 180, 190, 255);
  ImFont* font = ImGui::GetFont();
  const float fs = ImGui::GetFontSize(), small = std::round(fs * 0.8f);
  auto small_size = [&](const char* t) { return font->CalcTextSizeA(small, FLT_MAX, 0, t); };
  float lx = ImGui::CalcTextSize("true").x;
  for (int t = 0; t < K; ++t) lx = std::max(lx, ImGui::CalcTextSize(s.class_name(t).c_str()).x);
  lx += 8;
  const float acc_w = small_size("100.0%").x + 10;
  const float cell =
      std::floor(std::clamp((ImGui::GetContentRegionAvail().x - lx - acc_w) / float(K), 12.0f,
                            narrow_ ? 40.0f : 27.0f));  // wide: the draw pad fits below at 800 high
  const float ty = fs + small + 6;  // the two header lines
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(lx + cell * K + acc_w, ty + cell * K));
  dl->AddText(ImVec2(p0.x + lx, p0.y), kLabel, "predicted");
  dl->AddText(ImVec2(p0.x, p0.y + fs + 3), kLabel, "true");
  dl->AddText(font, small, ImVec2(p0.x + lx + cell * K + 6, p0.y + fs + 4), kLabel, "correct");
  for (int p = 0; p < K; ++p) {  // column labels
    std::string lab = s.class_name(p, true);
    const ImVec2 ts = small_size(lab.c_str());
    const ImVec2 at(p0.x + lx + p * cell + std::max(0.0f, (cell - ts.x) / 2), p0.y + fs + 4);
    dl->PushClipRect(ImVec2(p0.x + lx + p * cell, p0.y), ImVec2(p0.x + lx + (p + 1) * cell, p0.y + ty), true);
    dl->AddText(font, small, at, kLabel, lab.c_str());
    dl->PopClipRect();
  }
  for (int t = 0; t < K; ++t) {
    int row = 0;
    for (int p = 0; p < K; ++p) row += confusion[size_t(t * K + p)];
    const float y = p0.y + ty + t * cell;
    dl->AddText(ImVec2(p0.x, y + (cell - fs) / 2), kLabel, s.class_name(t).c_str());
    for (int p = 0; p < K; ++p) {
      int v = confusion[size_t(t * K + p)];
      float f = row > 0 ? float(v) / float(row) : 0;  // share of this true class
      // Diagonal in green, errors in red; intensity grows with the share.
      float g = std::sqrt(f);
      ImU32 col = t == p ? IM_COL32(int(20 + 30 * g), int(30 + 190 * g), int(30 + 60 * g), 255)
                         : IM_COL32(int(25 + 230 * g), int(25 + 50 * g), int(30 + 40 * g), 255);
      ImVec2 a(p0.x + lx + p * cell, y);
      ImVec2 b(a.x + cell - 1, a.y + cell - 1);
      dl->AddRectFilled(a, b, col);
      if (v > 0) {
        char num[16];
        std::snprintf(num, sizeof num, "%d", v);
        ImVec2 ts = small_size(num);
        if (ts.x < cell - 2)
          dl->AddText(font, small, ImVec2(a.x + (cell - ts.x) / 2, a.y + (cell - ts.y) / 2),
                      IM_COL32(235, 235, 235, 255), num);
      }
      if (ImGui::IsMouseHoveringRect(a, b))
        ImGui::SetTooltip("true %s, predicted %s: %d (%.1f%% of that class)",
                          s.class_name(t).c_str(), s.class_name(p).c_str(), v, f * 100);
    }
    char acc[16];
    const float right = row > 0 ? float(confusion[size_t(t * K + t)]) / float(row) : 0;
    std::snprintf(acc, sizeof acc, "%.1f%%", right * 100);
    dl->AddText(font, small, ImVec2(p0.x + lx + cell * K + 6, y + (cell - small) / 2),
                IM_COL32(int(255 - 150 * right), int(120 + 100 * right), 110, 255), acc);
  }
}

void Dashboard::draw_on_pad(const Dataset& d, int index) {
  if (index < 0 || index >= d.count || d.rows <= 0 || d.cols <= 0) return;
  const uint8_t* img = d.image(index);
  for (int y = 0; y < kPad; ++y)
    for (int x = 0; x < kPad; ++x)
      canvas_[size_t(y) * kPad + x] = img[(y * d.rows / kPad) * d.cols + x * d.cols / kPad] / 255.0f;
  pad_dirty_ = true;
}

// Beside its readout where there is room; on a phone the column's full width
// for a finger, under the readout so that the guess stays in view.
void Dashboard::draw_pad(Session& s) {
  if (narrow_ && ImGui::GetContentRegionAvail().x < kPadNarrowMax + 300) {
    pad_readout(s);
    pad_canvas(s);
  } else {
    pad_canvas(s);
    ImGui::SameLine();
    pad_readout(s);
  }
}

// The ink canvas (drawn on with the mouse or a finger), its 28x28 version and
// the model's class probabilities for it.
void Dashboard::pad_canvas(Session& s) {
  const float side =
      narrow_ ? std::floor(std::min(ImGui::GetContentRegionAvail().x, kPadNarrowMax)) : kPad * 1.5f;
  const float scale = side / kPad;  // layout units per canvas pixel
  ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("pad", ImVec2(side, side));
  if (ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    ImVec2 mp = ImGui::GetIO().MousePos;
    float x = (mp.x - p0.x) / scale, y = (mp.y - p0.y) / scale;
    if (!have_last_) last_x_ = x, last_y_ = y;
    paint_stroke(canvas_, kPad, kPad, last_x_, last_y_, x, y, 5.0f);
    last_x_ = x;
    last_y_ = y;
    have_last_ = true;
    pad_dirty_ = true;
  } else {
    have_last_ = false;
  }
  if (pad_dirty_) {
    digit_ = mnist_preprocess(canvas_, kPad, kPad);
    std::vector<uint8_t> rgba(size_t(kPad) * kPad * 4), d(28 * 28 * 4);
    for (size_t i = 0; i < canvas_.size(); ++i) {
      uint8_t v = uint8_t(std::lround(canvas_[i] * 255));
      rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
      rgba[4 * i + 3] = 255;
    }
    for (size_t i = 0; i < digit_.size(); ++i) {
      uint8_t v = uint8_t(std::lround(digit_[i] * 255));
      d[4 * i] = d[4 * i + 1] = d[4 * i + 2] = v;
      d[4 * i + 3] = 255;
    }
    upload_rgba_texture(&pad_tex_, kPad, kPad, rgba.data());
    upload_rgba_texture(&digit_tex_, 28, 28, d.data());
  }
  s.pad.rect[0] = p0.x;
  s.pad.rect[1] = p0.y;
  s.pad.rect[2] = s.pad.rect[3] = side;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddImage(tex_id(pad_tex_), p0, ImVec2(p0.x + side, p0.y + side));
  dl->AddRect(p0, ImVec2(p0.x + side, p0.y + side), IM_COL32(120, 120, 130, 255));

  // Live class probabilities from the current model (also refreshed each epoch).
  const bool fits = s.net && s.phase() != Phase::Diverged && s.net->inputs() == 28 * 28;
  if (fits && (pad_dirty_ || probs_version_ != s.model_version())) {
    probs_ = s.net->predict(digit_.data(), 1);
    probs_version_ = s.model_version();
  }
  if (!fits) probs_.clear();
  pad_dirty_ = false;
}

// The 28x28 input, Clear, and one bar per class with the best guess named.
void Dashboard::pad_readout(Session& s) {
  const bool fits = s.net && s.phase() != Phase::Diverged && s.net->inputs() == 28 * 28;
  ImGui::BeginGroup();
  ImGui::Image(tex_id(digit_tex_), ImVec2(56, 56));
  ImGui::SameLine();
  ImGui::BeginGroup();  // beside the image, so the readout fits beside the pad at 800 high
  ImGui::TextDisabled("28x28 input (20x20\nbox, centre of mass)");
  if (ImGui::Button("Clear")) {
    std::fill(canvas_.begin(), canvas_.end(), 0.0f);
    pad_dirty_ = true;
  }
  ImGui::EndGroup();
  bool blank = std::all_of(digit_.begin(), digit_.end(), [](float v) { return v == 0; });
  s.pad.predicted = -1;
  s.pad.probs.clear();
  const int K = int(probs_.size());
  const float bh = narrow_ ? 70.0f : 56.0f, fs = ImGui::GetFontSize();
  const float y0 = ImGui::GetCursorPosY();
  if (K >= 2 && !blank) {
    // Probabilities as the network outputs them (sigmoid outputs normalised to sum 1).
    float sum = 0;
    int best = 0;
    for (int k = 0; k < K; ++k) {
      sum += std::max(0.0f, probs_[size_t(k)]);
      if (probs_[size_t(k)] > probs_[size_t(best)]) best = k;
    }
    s.pad.predicted = best;
    // One vertical bar per class: compact enough to sit beside the pad.
    ImDrawList* bl = ImGui::GetWindowDrawList();
    ImVec2 q = ImGui::GetCursorScreenPos();
    const float bw = std::floor(std::min(narrow_ ? 36.0f : 28.0f, ImGui::GetContentRegionAvail().x / float(K)));
    ImGui::Dummy(ImVec2(bw * float(K), bh + 2 * fs + 6));
    for (int k = 0; k < K; ++k) {
      float p = sum > 0 ? std::max(0.0f, probs_[size_t(k)]) / sum : 0;
      s.pad.probs.push_back(p);
      ImVec2 a(q.x + k * bw + 2, q.y + fs + 2), b(q.x + (k + 1) * bw - 2, q.y + fs + 2 + bh);
      bl->AddRectFilled(a, b, IM_COL32(40, 44, 56, 255));
      bl->AddRectFilled(ImVec2(a.x, b.y - bh * p), b,
                        k == best ? IM_COL32(100, 215, 100, 255) : IM_COL32(90, 140, 220, 255));
      std::string lab = s.class_name(k, true).substr(0, 1);
      ImVec2 ts = ImGui::CalcTextSize(lab.c_str());
      bl->AddText(ImVec2(a.x + (b.x - a.x - ts.x) / 2, b.y + 2), IM_COL32(200, 200, 210, 255),
                  lab.c_str());
      if (ImGui::IsMouseHoveringRect(a, b))
        ImGui::SetTooltip("%s: %.1f%%", s.class_name(k).c_str(), p * 100);
    }
    char top[64];
    std::snprintf(top, sizeof top, "%s %.1f%%", s.class_name(best).c_str(),
                  double(s.pad.probs[size_t(best)]) * 100);
    bl->AddText(q, IM_COL32(120, 230, 120, 255), top);
  } else if (!fits) {
    ImGui::TextDisabled("Start training (or load\na 28x28 model) to classify.");
  } else {
    ImGui::TextDisabled("Draw with the mouse or a finger.");
  }
  // As tall with or without bars: on a phone the pad sits below, and must not
  // jump down under the finger when the first stroke brings the bars in.
  const float used = ImGui::GetCursorPosY() - y0, full = bh + 2 * fs + 6 + ImGui::GetStyle().ItemSpacing.y;
  if (used < full) ImGui::Dummy(ImVec2(1, full - used - ImGui::GetStyle().ItemSpacing.y));
  ImGui::EndGroup();
}

}  // namespace nnlab
