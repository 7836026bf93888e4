// The engine's batched gradients against two independent references in double:
// central differences of the cost, and network.py's per-sample backprop summed.
// The engine's gradient is read back from one SGD step: dW = (W0 - W1) * m / eta.
#include <doctest.h>

#include <cmath>
#include <vector>

#include "synthetic.h"
#include "run.h"

using namespace nnlab;
using nnlab::testing::synthetic;

namespace {

using Vec = std::vector<double>;

// network.py's Network, generalised to the engine's activations and costs.
struct RefNet {
  NetConfig net;
  std::vector<Vec> w, b;  // w[l] (out,in) row-major

  explicit RefNet(const Model& m) : net(m.net) {
    for (int l = 0; l < m.layers(); ++l) {
      w.emplace_back(m.weights[l].begin(), m.weights[l].end());
      b.emplace_back(m.biases[l].begin(), m.biases[l].end());
    }
  }
  int layers() const { return int(w.size()); }

  static double act(Act a, double z) {
    switch (a) {
      case Act::Sigmoid: return 1 / (1 + std::exp(-z));
      case Act::Tanh: return std::tanh(z);
      case Act::Relu: return z > 0 ? z : 0;
      default: return NAN;
    }
  }
  static double act_prime(Act a, double z) {
    switch (a) {
      case Act::Sigmoid: return act(a, z) * (1 - act(a, z));
      case Act::Tanh: return 1 - std::tanh(z) * std::tanh(z);
      case Act::Relu: return z > 0 ? 1 : 0;
      default: return NAN;
    }
  }

  // Returns the zs and activations of every layer (activations[0] = x).
  void feedforward(const Vec& x, std::vector<Vec>& zs, std::vector<Vec>& as) const {
    as = {x};
    zs.clear();
    for (int l = 0; l < layers(); ++l) {
      int out = net.sizes()[l + 1], in = net.sizes()[l];
      Vec z(size_t(out), 0.0);
      for (int o = 0; o < out; ++o) {
        double s = b[l][o];
        for (int i = 0; i < in; ++i) s += w[l][size_t(o) * in + i] * as.back()[i];
        z[o] = s;
      }
      Vec a(z.size());
      bool last = l + 1 == layers();
      if (last && net.output() == Act::Softmax) {
        double sum = 0;
        for (double v : z) sum += std::exp(v);
        for (size_t k = 0; k < z.size(); ++k) a[k] = std::exp(z[k]) / sum;
      } else {
        for (size_t k = 0; k < z.size(); ++k) a[k] = act(last ? net.output() : net.hidden(), z[k]);
      }
      zs.push_back(z);
      as.push_back(a);
    }
  }

  double cost(const Vec& x, int label) const {
    std::vector<Vec> zs, as;
    feedforward(x, zs, as);
    const Vec& a = as.back();
    double c = 0;
    for (size_t k = 0; k < a.size(); ++k) {
      double y = int(k) == label ? 1 : 0;
      if (net.cost == Cost::Quadratic)
        c += 0.5 * (a[k] - y) * (a[k] - y);
      else if (net.output() == Act::Softmax)
        c += -y * std::log(a[k]);
      else
        c += -(y * std::log(a[k]) + (1 - y) * std::log(1 - a[k]));
    }
    return c;
  }

  // network.py's backprop(x, y): gradients of one sample's cost.
  void backprop(const Vec& x, int label, std::vector<Vec>& nw, std::vector<Vec>& nb) const {
    std::vector<Vec> zs, as;
    feedforward(x, zs, as);
    const int L = layers();
    const Vec& a = as.back();
    Vec delta(a.size());
    Vec e(a.size());
    for (size_t k = 0; k < a.size(); ++k) e[k] = a[k] - (int(k) == label ? 1 : 0);
    if (net.cost == Cost::CrossEntropy) {
      delta = e;
    } else if (net.output() == Act::Softmax) {  // Jacobian of softmax times (a - y)
      for (size_t j = 0; j < a.size(); ++j) {
        double s = 0;
        for (size_t i = 0; i < a.size(); ++i) s += e[i] * a[i] * ((i == j ? 1 : 0) - a[j]);
        delta[j] = s;
      }
    } else {
      for (size_t k = 0; k < a.size(); ++k) delta[k] = e[k] * act_prime(net.output(), zs.back()[k]);
    }
    nw.assign(size_t(L), {});
    nb.assign(size_t(L), {});
    for (int l = L - 1; l >= 0; --l) {
      int out = net.sizes()[l + 1], in = net.sizes()[l];
      nb[l] = delta;
      nw[l].assign(size_t(out) * in, 0);
      for (int o = 0; o < out; ++o)
        for (int i = 0; i < in; ++i) nw[l][size_t(o) * in + i] = delta[o] * as[l][i];
      if (l == 0) break;
      Vec prev(size_t(in), 0);
      for (int i = 0; i < in; ++i) {
        double s = 0;
        for (int o = 0; o < out; ++o) s += w[l][size_t(o) * in + i] * delta[o];
        prev[i] = s * act_prime(net.hidden(), zs[l - 1][i]);
      }
      delta = prev;
    }
  }
};

Vec pixels(const Dataset& d, int i) {
  Vec x(size_t(d.pixels()), 0.0);
  for (int p = 0; p < d.pixels(); ++p) x[p] = d.image(i)[p] / 255.0f;  // as the engine rounds it
  return x;
}

double rel_err(const Vec& got, const Vec& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) num += (got[i] - want[i]) * (got[i] - want[i]), den += want[i] * want[i];
  return std::sqrt(num / std::max(den, 1e-300));
}

struct Grads {
  std::vector<Vec> w, b;
};

// The engine's summed gradient over the whole of `d`, from one full-batch step.
Grads engine_gradient(const TrainConfig& base, const Dataset& d, Model& initial) {
  TrainConfig c = base;
  c.batch = d.count;
  c.epochs = 1;
  c.eta = 1000.0f;  // a large step keeps the recovered gradient's rounding small
  Run t(c, d, d, Dataset{}, make_cpu_backend());
  REQUIRE(t.status().ok());
  initial = t.model();
  REQUIRE(t.step(1) == 1);
  Model after = t.model();
  Grads g;
  for (int l = 0; l < initial.layers(); ++l) {
    Vec gw, gb;
    for (size_t i = 0; i < initial.weights[l].size(); ++i)
      gw.push_back((double(initial.weights[l][i]) - after.weights[l][i]) * d.count / c.eta);
    for (size_t i = 0; i < initial.biases[l].size(); ++i)
      gb.push_back((double(initial.biases[l][i]) - after.biases[l][i]) * d.count / c.eta);
    g.w.push_back(gw), g.b.push_back(gb);
  }
  return g;
}

Grads reference_gradient(const RefNet& ref, const Dataset& d) {
  Grads g;
  for (int i = 0; i < d.count; ++i) {
    std::vector<Vec> nw, nb;
    ref.backprop(pixels(d, i), d.labels[i], nw, nb);
    if (g.w.empty()) g.w.assign(nw.size(), {}), g.b.assign(nb.size(), {});
    for (size_t l = 0; l < nw.size(); ++l) {
      g.w[l].resize(nw[l].size()), g.b[l].resize(nb[l].size());
      for (size_t k = 0; k < nw[l].size(); ++k) g.w[l][k] += nw[l][k];
      for (size_t k = 0; k < nb[l].size(); ++k) g.b[l][k] += nb[l][k];
    }
  }
  return g;
}

double total_cost(const RefNet& ref, const Dataset& d) {
  double c = 0;
  for (int i = 0; i < d.count; ++i) c += ref.cost(pixels(d, i), d.labels[i]);
  return c;
}

Grads numeric_gradient(RefNet ref, const Dataset& d) {
  const double h = 1e-6;
  Grads g;
  for (auto* group : {&ref.w, &ref.b}) {
    for (Vec& p : *group) {
      Vec out(p.size(), 0.0);
      for (size_t k = 0; k < p.size(); ++k) {
        double keep = p[k];
        p[k] = keep + h;
        double up = total_cost(ref, d);
        p[k] = keep - h;
        double down = total_cost(ref, d);
        p[k] = keep;
        out[k] = (up - down) / (2 * h);
      }
      (group == &ref.w ? g.w : g.b).push_back(out);
    }
  }
  return g;
}

}  // namespace

TEST_CASE("backprop: gradients match central differences for every activation x output x cost") {
  for (Act act : {Act::Sigmoid, Act::Tanh, Act::Relu})
    for (Act out : {Act::Sigmoid, Act::Softmax})
      for (Cost cost : {Cost::Quadratic, Cost::CrossEntropy}) {
        CAPTURE(name(act));
        CAPTURE(name(out));
        CAPTURE(name(cost));
        TrainConfig c;
        c.net = NetConfig::mlp({6, 5, 4, 3}, act, out, cost);
        c.init = Init::Scaled;
        c.seed = 21;
        Dataset d = synthetic(4, 6, 3, 5);
        Model initial;
        Grads engine = engine_gradient(c, d, initial);
        RefNet ref(initial);
        Grads numeric = numeric_gradient(ref, d);
        Grads per_sample = reference_gradient(ref, d);
        for (int l = 0; l < 3; ++l) {
          CAPTURE(l);
          CHECK(rel_err(engine.w[l], numeric.w[l]) < 1e-3);
          CHECK(rel_err(engine.b[l], numeric.b[l]) < 1e-3);
          CHECK(rel_err(per_sample.w[l], numeric.w[l]) < 1e-6);  // the reference itself
          CHECK(rel_err(engine.w[l], per_sample.w[l]) < 1e-5);
          CHECK(rel_err(engine.b[l], per_sample.b[l]) < 1e-5);
        }
      }
}

TEST_CASE("backprop: the batched step equals network.py's per-sample backprop summed, [784,30,10]") {
  for (Cost cost : {Cost::Quadratic, Cost::CrossEntropy}) {
    CAPTURE(name(cost));
    TrainConfig c;  // Nielsen's chapter 1 network: sigmoid, N(0,1) init
    c.net.cost = cost;
    c.seed = 3;
    Dataset d = synthetic(10, 784, 10, 8);
    Model initial;
    Grads engine = engine_gradient(c, d, initial);
    Grads ref = reference_gradient(RefNet(initial), d);
    for (int l = 0; l < 2; ++l) {
      CAPTURE(l);
      CHECK(rel_err(engine.w[l], ref.w[l]) < 1e-5);
      CHECK(rel_err(engine.b[l], ref.b[l]) < 1e-5);
    }
  }
}
