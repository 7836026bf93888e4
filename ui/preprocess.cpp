// MNIST-style preprocessing for the draw pad (see preprocess.h).
#include "preprocess.h"

#include <algorithm>
#include <cmath>

namespace nnlab {

std::vector<float> mnist_preprocess(const std::vector<float>& canvas, int w, int h) {
  std::vector<float> out(28 * 28, 0.0f);
  int x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (canvas[size_t(y) * w + x] > 0.02f) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
      }
  if (x1 < 0) return out;
  int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  float scale = 20.0f / float(std::max(bw, bh));  // canvas px -> box px
  int nw = std::max(1, int(std::lround(bw * scale)));
  int nh = std::max(1, int(std::lround(bh * scale)));
  // Area-average each box pixel over the canvas pixels it covers.
  std::vector<float> box(size_t(nw) * nh, 0.0f);
  for (int by = 0; by < nh; ++by)
    for (int bx = 0; bx < nw; ++bx) {
      float sx0 = x0 + bx / scale, sx1 = x0 + (bx + 1) / scale;
      float sy0 = y0 + by / scale, sy1 = y0 + (by + 1) / scale;
      double sum = 0, area = 0;
      for (int y = int(sy0); y < int(std::ceil(sy1)) && y < h; ++y)
        for (int x = int(sx0); x < int(std::ceil(sx1)) && x < w; ++x) {
          float ox = std::min(sx1, float(x + 1)) - std::max(sx0, float(x));
          float oy = std::min(sy1, float(y + 1)) - std::max(sy0, float(y));
          if (ox <= 0 || oy <= 0) continue;
          sum += double(ox) * oy * canvas[size_t(y) * w + x];
          area += double(ox) * oy;
        }
      box[size_t(by) * nw + bx] = area > 0 ? float(sum / area) : 0.0f;
    }
  // Centre of mass of the box, then an integer shift putting it at (14, 14).
  double m = 0, mx = 0, my = 0;
  for (int y = 0; y < nh; ++y)
    for (int x = 0; x < nw; ++x) {
      double v = box[size_t(y) * nw + x];
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  if (m <= 0) return out;
  int ox = int(std::lround(14.0 - mx / m)), oy = int(std::lround(14.0 - my / m));
  for (int y = 0; y < nh; ++y)
    for (int x = 0; x < nw; ++x) {
      int tx = x + ox, ty = y + oy;
      if (tx < 0 || ty < 0 || tx >= 28 || ty >= 28) continue;
      out[size_t(ty) * 28 + tx] = std::min(1.0f, box[size_t(y) * nw + x]);
    }
  return out;
}

void paint_stroke(std::vector<float>& canvas, int w, int h, float x0, float y0, float x1,
                  float y1, float radius) {
  int lx = std::max(0, int(std::min(x0, x1) - radius - 1));
  int hx = std::min(w - 1, int(std::max(x0, x1) + radius + 1));
  int ly = std::max(0, int(std::min(y0, y1) - radius - 1));
  int hy = std::min(h - 1, int(std::max(y0, y1) + radius + 1));
  float dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
  for (int y = ly; y <= hy; ++y)
    for (int x = lx; x <= hx; ++x) {
      float px = x + 0.5f - x0, py = y + 0.5f - y0;
      float t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0f, 1.0f) : 0.0f;
      float ex = px - t * dx, ey = py - t * dy;
      float d = std::sqrt(ex * ex + ey * ey);
      float ink = std::clamp(radius - d + 0.5f, 0.0f, 1.0f);  // 1 px soft edge
      float& c = canvas[size_t(y) * w + x];
      c = std::max(c, ink);
    }
}

}  // namespace nnlab
