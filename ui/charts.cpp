// The training panel: state, epoch progress with ETA, and line charts drawn on
// ImGui's draw list (loss per batch raw + smoothed, test accuracy per epoch,
// samples/s). Long series are reduced to one min/max band or point per 2 pixels.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "dashboard.h"

namespace nnlab {

namespace {

const ImU32 kRaw = IM_COL32(110, 160, 230, 110);
const ImU32 kSmooth = IM_COL32(255, 190, 60, 255);
const ImU32 kAcc = IM_COL32(110, 220, 120, 255);
const ImU32 kVal = IM_COL32(200, 130, 240, 255);
const ImU32 kSps = IM_COL32(90, 200, 220, 255);
const ImU32 kGrid = IM_COL32(255, 255, 255, 30);
const ImU32 kText = IM_COL32(200, 200, 210, 255);

struct Series {
  const std::vector<float>* v;
  ImU32 color;
  bool envelope;  // min/max band per pixel column instead of a line
  bool points;    // mark each value (few values, e.g. per epoch)
};

std::string fmt_time(double s) {
  char buf[32];
  if (s < 0) return "?";
  if (s < 1) return "<1 s";
  if (s < 90)
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 5400)
    std::snprintf(buf, sizeof buf, "%.0f min %02.0f s", std::floor(s / 60), std::fmod(s, 60));
  else
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

// A chart over x = 0..n-1 (n = longest series); y range from the finite values
// unless lo/hi are fixed. The title line holds the latest values.
void chart(const char* title, const std::vector<Series>& series, float height, float lo, float hi,
           bool fixed, const char* yfmt, int x_slots = 0) {
  ImGui::PushTextWrapPos(0);  // a narrow column wraps the title rather than cut it
  ImGui::TextUnformatted(title);
  ImGui::PopTextWrapPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 p0 = ImGui::GetCursorScreenPos();
  float w = ImGui::GetContentRegionAvail().x;
  ImVec2 p1(p0.x + w, p0.y + height);
  ImGui::Dummy(ImVec2(w, height));
  dl->AddRect(p0, p1, IM_COL32(90, 90, 100, 255));
  size_t n = size_t(x_slots);
  bool any = false;
  float vmin = 1e30f, vmax = -1e30f;
  for (const Series& s : series) {
    n = std::max(n, s.v->size());
    for (float v : *s.v)
      if (std::isfinite(v)) {
        vmin = std::min(vmin, v);
        vmax = std::max(vmax, v);
        any = true;
      }
  }
  if (fixed || !any) {
    vmin = lo;
    vmax = hi;
  }
  if (vmax - vmin < 1e-6f) {
    vmax += 0.5f;
    vmin -= 0.5f;
  }
  const float left = 44, pad = 4;
  const float x0 = p0.x + left, x1 = p1.x - pad, y0 = p0.y + pad, y1 = p1.y - pad;
  for (int g = 0; g <= 4; ++g) {
    float y = y1 - (y1 - y0) * g / 4.0f;
    dl->AddLine(ImVec2(x0, y), ImVec2(x1, y), kGrid);
    char lab[32];
    // Integer labels only when the range is wide enough to tell them apart.
    std::snprintf(lab, sizeof lab, vmax - vmin < 8 ? "%.2f" : yfmt, vmin + (vmax - vmin) * g / 4.0f);
    dl->AddText(ImVec2(p0.x + 3, y - 7), kText, lab);
  }
  if (n == 0) {
    dl->AddText(ImVec2(x0 + 8, (y0 + y1) / 2 - 7), kText, "no data yet");
    return;
  }
  auto X = [&](double i) { return float(x0 + (x1 - x0) * (n <= 1 ? 0.5 : i / double(n - 1))); };
  auto Y = [&](float v) { return y1 - (y1 - y0) * (std::clamp(v, vmin, vmax) - vmin) / (vmax - vmin); };
  dl->PushClipRect(ImVec2(x0 - 3, y0 - 3), ImVec2(x1 + 3, y1 + 3), true);
  // Every vertex costs where the page is drawn in software (SwiftShader, llvmpipe):
  // long series get one band or point per kColPx pixels, a line one polyline.
  constexpr int kColPx = 2;
  const int cols = std::max(1, int(x1 - x0) / kColPx);
  std::vector<ImVec2> line;
  auto flush = [&](ImU32 color) {
    if (line.size() >= 2) dl->AddPolyline(line.data(), int(line.size()), color, ImDrawFlags_None, 2.0f);
    line.clear();
  };
  for (const Series& s : series) {
    const std::vector<float>& v = *s.v;
    if (v.empty()) continue;
    if (s.envelope && v.size() > size_t(cols)) {
      for (int c = 0; c < cols; ++c) {
        size_t a = v.size() * size_t(c) / size_t(cols), b = v.size() * size_t(c + 1) / size_t(cols);
        float mn = 1e30f, mx = -1e30f;
        for (size_t i = a; i < std::max(b, a + 1) && i < v.size(); ++i)
          if (std::isfinite(v[i])) {
            mn = std::min(mn, v[i]);
            mx = std::max(mx, v[i]);
          }
        if (mn > mx) continue;
        float x = X(double(a) * double(n - 1) / double(std::max<size_t>(1, v.size() - 1)));
        dl->AddRectFilled(ImVec2(x, Y(mx)), ImVec2(x + kColPx, Y(mn) + 1), s.color);
      }
      continue;
    }
    const size_t stride = std::max<size_t>(1, v.size() / size_t(cols));
    const size_t points = (v.size() + stride - 2) / stride + 1;  // every stride-th value and the last
    for (size_t k = 0; k < points; ++k) {
      const size_t i = std::min(k * stride, v.size() - 1);
      if (!std::isfinite(v[i])) {  // a gap ends the line
        flush(s.color);
        continue;
      }
      line.emplace_back(X(double(i)), Y(v[i]));
      if (s.points) dl->AddCircleFilled(line.back(), 3.0f, s.color);
    }
    flush(s.color);
  }
  dl->PopClipRect();
}

}  // namespace

void Dashboard::charts_panel(Session& s, float h) {
  const Metrics* m = s.run() ? &s.run()->metrics : nullptr;

  char state[160];
  if (m)
    std::snprintf(state, sizeof state, "State: %s   epoch %d / %d   batch %d / %d", name(s.phase()),
                  std::min(m->epoch + 1, s.run()->config.epochs), s.run()->config.epochs,
                  m->batch, m->batches_per_epoch);
  else
    std::snprintf(state, sizeof state, "State: %s", name(s.phase()));
  ImGui::TextWrapped("%s", state);
  if (s.run()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", s.trainer_note().c_str());
    ImGui::PopTextWrapPos();
  }
  if (s.phase() == Phase::Error && !s.error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.42f, 0.38f, 1));
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(s.error.c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
  }
  if (s.phase() == Phase::Diverged) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.35f, 0.3f, 1));
    ImGui::PushTextWrapPos(0);
    ImGui::Text("DIVERGED: %s. Lower eta, then Reset and Start.", s.problem().c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
  }

  // Epoch progress with ETA.
  float frac = m && m->batches_per_epoch > 0 ? float(m->batch) / float(m->batches_per_epoch) : 0;
  if (s.phase() == Phase::Done) frac = 1;
  char overlay[128];
  if (s.phase() == Phase::Training && s.epoch_eta_seconds >= 0)
    std::snprintf(overlay, sizeof overlay, "epoch %.0f%%   ETA %s (run %s)", frac * 100,
                  fmt_time(s.epoch_eta_seconds).c_str(), fmt_time(s.run_eta_seconds).c_str());
  else
    std::snprintf(overlay, sizeof overlay, "epoch %.0f%%", frac * 100);
  ImGui::ProgressBar(frac, ImVec2(-1, 0), overlay);

  char title[160];
  static const std::vector<float> kEmpty;
  const std::vector<float>& raw = m ? m->batch_loss : kEmpty;
  float last_raw = raw.empty() ? NAN : raw.back();
  float last_smooth = s.smooth_loss.empty() ? NAN : s.smooth_loss.back();
  auto num = [](float v) {
    char b[32];
    if (std::isfinite(v)) std::snprintf(b, sizeof b, "%.4f", v);
    else std::snprintf(b, sizeof b, "%s", std::isnan(v) ? "NaN" : "Inf");
    return std::string(b);
  };
  // A long run's history holds means of loss_stride batches (kMaxLossPoints).
  const std::string per = m && m->loss_stride > 1 ? std::to_string(m->loss_stride) + " batches" : "batch";
  std::snprintf(title, sizeof title, "Training loss per %s: %s  (smoothed %s)", per.c_str(),
                raw.empty() ? "-" : num(last_raw).c_str(),
                s.smooth_loss.empty() ? "-" : num(last_smooth).c_str());
  chart(title, {{&raw, kRaw, true, false}, {&s.smooth_loss, kSmooth, false, false}}, h, 0, 1,
        false, "%.3f");

  const std::vector<float>& acc = m ? m->test_accuracy : kEmpty;
  const std::vector<float>& val = m ? m->validation_accuracy : kEmpty;
  if (acc.empty())
    std::snprintf(title, sizeof title, "Test accuracy per epoch");
  else
    std::snprintf(title, sizeof title, "Test accuracy per epoch: %.2f%% after epoch %zu%s",
                  acc.back() * 100, acc.size(), val.empty() ? "" : "  (validation: purple)");
  float lo = 1;
  for (float a : acc) lo = std::min(lo, a);
  for (float a : val) lo = std::min(lo, a);
  lo = std::floor(std::max(0.0f, lo - 0.02f) * 20) / 20;
  chart(title, {{&acc, kAcc, false, true}, {&val, kVal, false, true}}, h, acc.empty() ? 0 : lo,
        1.0f, true, "%.2f", s.run() ? std::min(s.run()->config.epochs, 30) : 0);

  // Paused or finished, nothing is trained: the last rate would read as a current one.
  if (s.phase() == Phase::Training) {
    double sps = s.sps_history.empty() ? 0 : s.sps_history.back();
    std::snprintf(title, sizeof title, "Samples/s: %.0f   (trainer alone %.0f)", sps,
                  m ? m->recent_samples_per_sec : 0.0);
  } else {
    std::snprintf(title, sizeof title, "Samples/s (%s)", m ? name(s.phase()) : "no run yet");
  }
  float top = 1;
  for (float v : s.sps_history) top = std::max(top, v);
  chart(title, {{&s.sps_history, kSps, false, false}}, h, 0, top * 1.1f, true, "%.0f");
}

}  // namespace nnlab
