// An independent reference for any layer list in double precision: naive loops
// over one sample at a time (convolution straight from its definition, no
// im2col), for the gradient checks of tests/test_conv.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "config.h"
#include "model.h"

namespace nnlab::testing {

using Vec = std::vector<double>;

struct LayerReference {
  NetConfig net;
  std::vector<Vec> w, b;  // per layer with parameters, as Model holds them

  explicit LayerReference(const Model& m) : net(m.net) {
    for (int l = 0; l < m.layers(); ++l) {
      w.emplace_back(m.weights[l].begin(), m.weights[l].end());
      b.emplace_back(m.biases[l].begin(), m.biases[l].end());
    }
  }

  // The output of every layer for one sample x; masks[i] is layer i's dropout
  // mask (0 or 1/(1-p) per value) when it is a dropout layer.
  Vec forward(const Vec& x, const std::vector<Vec>& masks) const {
    Vec a = x;
    ImageShape s = input_shape(net);
    const std::vector<ImageShape> shapes = layer_shapes(net);
    size_t p = 0;  // parameter layer
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const LayerSpec& L = net.layers[i];
      const ImageShape o = shapes[i];
      Vec out(size_t(o.size()), 0.0);
      switch (L.kind) {
        case LayerKind::Dense:
          for (int j = 0; j < o.size(); ++j) {
            double z = b[p][j];
            for (size_t k = 0; k < a.size(); ++k) z += w[p][size_t(j) * a.size() + k] * a[k];
            out[j] = z;
          }
          ++p;
          break;
        case LayerKind::Conv: {
          const int k = L.size, pad = L.same ? (k - 1) / 2 : 0;
          for (int f = 0; f < o.c; ++f)
            for (int y = 0; y < o.h; ++y)
              for (int xo = 0; xo < o.w; ++xo) {
                double z = b[p][f];
                for (int c = 0; c < s.c; ++c)
                  for (int i2 = 0; i2 < k; ++i2)
                    for (int j2 = 0; j2 < k; ++j2) {
                      const int iy = y + i2 - pad, ix = xo + j2 - pad;
                      if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                      z += w[p][((size_t(f) * s.c + c) * k + i2) * k + j2] * a[(size_t(c) * s.h + iy) * s.w + ix];
                    }
                out[(size_t(f) * o.h + y) * o.w + xo] = z;
              }
          ++p;
          break;
        }
        case LayerKind::MaxPool:
          for (int c = 0; c < o.c; ++c)
            for (int y = 0; y < o.h; ++y)
              for (int xo = 0; xo < o.w; ++xo) {
                double m = -INFINITY;
                for (int i2 = 0; i2 < L.size; ++i2)
                  for (int j2 = 0; j2 < L.size; ++j2)
                    m = std::max(m, a[(size_t(c) * s.h + y * L.stride + i2) * s.w + xo * L.stride + j2]);
                out[(size_t(c) * o.h + y) * o.w + xo] = m;
              }
          break;
        case LayerKind::Dropout:
          for (size_t j = 0; j < a.size(); ++j) out[j] = a[j] * masks[i][j];
          break;
        case LayerKind::Sigmoid:
          for (size_t j = 0; j < a.size(); ++j) out[j] = 1 / (1 + std::exp(-a[j]));
          break;
        case LayerKind::Tanh:
          for (size_t j = 0; j < a.size(); ++j) out[j] = std::tanh(a[j]);
          break;
        case LayerKind::Relu:
          for (size_t j = 0; j < a.size(); ++j) out[j] = a[j] > 0 ? a[j] : 0;
          break;
        case LayerKind::Softmax: {
          const double m = *std::max_element(a.begin(), a.end());
          double sum = 0;
          for (size_t j = 0; j < a.size(); ++j) sum += out[j] = std::exp(a[j] - m);
          for (double& v : out) v /= sum;
          break;
        }
      }
      a = out;
      s = o;
    }
    return a;
  }

  // One sample's cost: -ln a_y (softmax, cross-entropy) or 1/2 |a - y|^2 (quadratic).
  double cost(const Vec& x, int label, const std::vector<Vec>& masks) const {
    const Vec a = forward(x, masks);
    if (net.cost == Cost::CrossEntropy && net.output() == Act::Softmax) return -std::log(a[size_t(label)]);
    double c = 0;
    for (size_t k = 0; k < a.size(); ++k) {
      const double y = int(k) == label ? 1 : 0;
      c += net.cost == Cost::Quadratic ? 0.5 * (a[k] - y) * (a[k] - y)
                                       : -(y * std::log(a[k]) + (1 - y) * std::log(1 - a[k]));
    }
    return c;
  }
};

}  // namespace nnlab::testing
