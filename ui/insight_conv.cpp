// What a conv net learned, as the book's chapter 6 shows it: the first conv
// layer's filters as small images, and the feature maps that layer (after its
// activation) makes of the digit on the draw pad, updated when either changes.
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "dashboard.h"
#include "gl_texture.h"

namespace nnlab {

namespace {

// Grey levels of v scaled from its own [min, max] to [0, 255], as RGBA, into
// tile `t` of a row of tiles (w x h each) in `rgba` (row width tiles*w).
void put_tile(std::vector<uint8_t>& rgba, int tiles, int t, int w, int h, const float* v) {
  const auto [lo, hi] = std::minmax_element(v, v + w * h);
  const float scale = *hi > *lo ? 255.0f / (*hi - *lo) : 0.0f;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const uint8_t g = uint8_t(std::clamp((v[y * w + x] - *lo) * scale, 0.0f, 255.0f));
      uint8_t* p = &rgba[(size_t(y) * size_t(tiles * w) + size_t(t * w + x)) * 4];
      p[0] = p[1] = p[2] = g;
      p[3] = 255;
    }
}

// Tiles of a texture holding a row of `n` of them, wrapped to the panel's width.
void draw_tiles(unsigned tex, int n, float side) {
  const float avail = ImGui::GetContentRegionAvail().x;
  const int per_row = std::max(1, int((avail + 3) / (side + 3)));
  for (int i = 0; i < n; ++i) {
    if (i % per_row) ImGui::SameLine(0, 3);
    ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)), ImVec2(side, side),
                 ImVec2(float(i) / n, 0), ImVec2(float(i + 1) / n, 1));
  }
}

}  // namespace

bool Dashboard::has_conv(const Session& s) const {
  if (!s.net) return false;
  for (const LayerSpec& l : s.net->config().layers)
    if (l.kind == LayerKind::Conv) return true;
  return false;
}

void Dashboard::conv_view(Session& s) {
  const NetConfig& cfg = s.net->config();
  const std::vector<ImageShape> shapes = layer_shapes(cfg);
  size_t conv = 0, params_before = 0;
  while (cfg.layers[conv].kind != LayerKind::Conv) params_before += has_params(cfg.layers[conv++].kind);
  // The maps as the next layer sees them: after the activation, if one follows.
  const size_t seen = conv + 1 < cfg.layers.size() && is_activation(cfg.layers[conv + 1].kind) ? conv + 1 : conv;
  const ImageShape in = conv == 0 ? input_shape(cfg) : shapes[conv - 1], out = shapes[seen];
  const int F = cfg.layers[conv].units, k = cfg.layers[conv].size;

  if (filters_version_ != s.model_version()) {  // the filters of channel 0
    const Model m = s.net->parameters();
    const std::vector<float>& w = m.weights[params_before];  // (F, C*k*k)
    std::vector<uint8_t> rgba(size_t(F) * k * k * 4);
    for (int f = 0; f < F; ++f) put_tile(rgba, F, f, k, k, &w[size_t(f) * in.c * k * k]);
    upload_rgba_texture(&filters_tex_, F * k, k, rgba.data());
    filters_version_ = s.model_version();
  }
  const bool pad_fits = s.net->inputs() == int(digit_.size());
  if (pad_fits && (maps_version_ != s.model_version() || maps_digit_ != digit_)) {
    (void)s.net->predict(digit_.data(), 1);
    const std::vector<float> maps = s.net->layer_output(int(seen), 1);  // (F, H, W)
    std::vector<uint8_t> rgba(size_t(out.c) * out.w * out.h * 4);
    for (int f = 0; f < out.c && !maps.empty(); ++f)
      put_tile(rgba, out.c, f, out.w, out.h, &maps[size_t(f) * out.h * out.w]);
    upload_rgba_texture(&maps_tex_, out.c * out.w, out.h, rgba.data());
    maps_version_ = s.model_version();
    maps_digit_ = digit_;
  }
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("%d filters of %dx%d%s (white: the largest weight of each; the model %s)", F, k, k,
                      in.c > 1 ? ", channel 0" : "", s.model_label.c_str());
  ImGui::PopTextWrapPos();
  draw_tiles(filters_tex_, F, std::clamp(float(k) * 5, 20.0f, 36.0f));
  if (!pad_fits) return;  // the pad draws 28x28 digits
  ImGui::TextDisabled("their %dx%d feature maps of the digit on the pad:", out.w, out.h);
  draw_tiles(maps_tex_, out.c, std::clamp(float(out.w) * 1.5f, 24.0f, 44.0f));
}

}  // namespace nnlab
