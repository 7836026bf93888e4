// A network's layer list: its shapes (the image shape flowing through conv and
// pool layers), its text form (format_net / parse_net) and the rules every
// network follows (check_net), with messages that name the layer at fault.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "config.h"

namespace nnlab {
namespace {

constexpr int kMaxUnits = 1000000;       // of one layer's output, or the input
constexpr size_t kMaxLayers = 64;
constexpr long long kMaxConvWeights = 1 << 28;

// Digits only, 1..kMaxUnits.
bool number(const std::string& s, int& v) {
  if (s.empty() || s.size() > 7 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  v = std::atoi(s.c_str());
  return v >= 1 && v <= kMaxUnits;
}

// The shortest decimal that reads back as the same float (0.5, not 0.500000000).
std::string float_text(float v) {
  char buf[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, double(v));
    if (std::strtof(buf, nullptr) == v) break;
  }
  return buf;
}

std::string shape_text(ImageShape s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

}  // namespace

std::string format_layer(const LayerSpec& l) {
  const std::string n = name(l.kind);
  switch (l.kind) {
    case LayerKind::Dense: return n + std::to_string(l.units);
    case LayerKind::Conv:
      return n + std::to_string(l.units) + "x" + std::to_string(l.size) + (l.same ? "same" : "");
    case LayerKind::MaxPool:
      return n + std::to_string(l.size) + (l.stride != l.size ? "s" + std::to_string(l.stride) : "");
    case LayerKind::Dropout: return n + float_text(l.rate);
    default: return n;
  }
}

namespace {

// Walks the layers, shape by shape; returns "" or why layer i does not fit.
std::string walk(const NetConfig& n, std::vector<ImageShape>* shapes) {
  ImageShape s = input_shape(n);
  for (size_t i = 0; i < n.layers.size(); ++i) {
    const LayerSpec& l = n.layers[i];
    const std::string at = "layer " + std::to_string(i + 1) + " (" + format_layer(l) + "): ";
    const std::string map = std::to_string(s.h) + "x" + std::to_string(s.w) + " map";
    switch (l.kind) {
      case LayerKind::Dense:
        if (l.units < 1 || l.units > kMaxUnits)
          return at + "a dense layer needs from 1 to " + std::to_string(kMaxUnits) + " units";
        s = {l.units, 1, 1};
        break;
      case LayerKind::Conv: {
        if (l.units < 1 || l.units > kMaxUnits) return at + "needs from 1 to " + std::to_string(kMaxUnits) + " filters";
        if (l.size < 1 || l.size > 64) return at + "the filter size must be from 1 to 64";
        if (l.same && l.size % 2 == 0) return at + "same padding needs an odd filter size";
        if (!l.same && (l.size > s.h || l.size > s.w))
          return at + "a " + std::to_string(l.size) + "x" + std::to_string(l.size) + " filter does not fit its " +
                 map + (i == 0 && n.image.size() == 0 && s.h == 1 ? " (give a non-square input as CxHxW)" : "");
        if (double(l.units) * s.c * l.size * l.size > double(kMaxConvWeights))
          return at + "more than " + std::to_string(kMaxConvWeights) + " weights";
        s = l.same ? ImageShape{l.units, s.h, s.w} : ImageShape{l.units, s.h - l.size + 1, s.w - l.size + 1};
        break;
      }
      case LayerKind::MaxPool:
        if (l.size < 1 || l.size > 64 || l.stride < 1 || l.stride > 64)
          return at + "the window and its stride must be from 1 to 64";
        if (l.size > s.h || l.size > s.w)
          return at + "a " + std::to_string(l.size) + "x" + std::to_string(l.size) + " window does not fit its " + map;
        s = {s.c, (s.h - l.size) / l.stride + 1, (s.w - l.size) / l.stride + 1};
        break;
      case LayerKind::Dropout:
        if (!(l.rate > 0 && l.rate < 1)) return at + "the dropout rate must be > 0 and < 1";
        break;
      case LayerKind::Softmax:
        if (i + 1 != n.layers.size()) return "softmax is for the output layer only, not layer " + std::to_string(i + 1);
        break;
      case LayerKind::Sigmoid: case LayerKind::Tanh: case LayerKind::Relu: break;
      default: return at + "unknown layer kind";
    }
    if (double(s.c) * s.h * s.w > kMaxUnits)
      return at + "its output " + shape_text(s) + " has more than " + std::to_string(kMaxUnits) + " values";
    if (shapes) shapes->push_back(s);
  }
  return "";
}

}  // namespace

bool has_params(LayerKind k) { return k == LayerKind::Dense || k == LayerKind::Conv; }
bool is_activation(LayerKind k) {
  return k == LayerKind::Sigmoid || k == LayerKind::Tanh || k == LayerKind::Relu || k == LayerKind::Softmax;
}

const char* name(LayerKind k) {
  switch (k) {
    case LayerKind::Dense: return "fc";
    case LayerKind::Sigmoid: return "sigmoid";
    case LayerKind::Tanh: return "tanh";
    case LayerKind::Relu: return "relu";
    case LayerKind::Softmax: return "softmax";
    case LayerKind::Conv: return "conv";
    case LayerKind::MaxPool: return "pool";
    case LayerKind::Dropout: return "dropout";
  }
  return "?";
}

ImageShape input_shape(const NetConfig& n) {
  if (n.image.size() > 0) return n.image;
  const int s = int(std::lround(std::sqrt(double(n.inputs))));
  return s * s == n.inputs ? ImageShape{1, s, s} : ImageShape{1, 1, n.inputs};
}

std::vector<ImageShape> layer_shapes(const NetConfig& n) {
  std::vector<ImageShape> shapes;
  if (!walk(n, &shapes).empty()) shapes.clear();
  return shapes;
}

std::vector<ParamShape> param_shapes(const NetConfig& n) {
  std::vector<ParamShape> out;
  const std::vector<ImageShape> shapes = layer_shapes(n);
  for (size_t i = 0; i < shapes.size(); ++i) {
    const ImageShape in = i == 0 ? input_shape(n) : shapes[i - 1];
    const LayerSpec& l = n.layers[i];
    if (l.kind == LayerKind::Dense) out.push_back({l.units, in.size()});
    if (l.kind == LayerKind::Conv) out.push_back({l.units, in.c * l.size * l.size});
  }
  return out;
}

NetConfig NetConfig::mlp(const std::vector<int>& sizes, Act hidden, Act output, Cost cost) {
  NetConfig n;
  n.inputs = sizes.empty() ? 0 : sizes[0];
  n.layers.clear();
  for (size_t l = 1; l < sizes.size(); ++l) {
    n.layers.push_back({LayerKind::Dense, sizes[l]});
    n.layers.push_back({kind_of(l + 1 == sizes.size() ? output : hidden), 0});
  }
  n.cost = cost;
  return n;
}

std::vector<int> NetConfig::sizes() const {
  std::vector<int> s{inputs};
  for (const LayerSpec& l : layers)
    if (l.kind == LayerKind::Dense) s.push_back(l.units);
  return s;
}

int NetConfig::outputs() const { return sizes().back(); }

Act NetConfig::hidden() const {
  for (size_t i = 0; i + 1 < layers.size(); ++i)
    if (is_activation(layers[i].kind)) return act_of(layers[i].kind);
  return Act::Sigmoid;
}

Act NetConfig::output() const { return layers.empty() ? Act::Sigmoid : act_of(layers.back().kind); }

std::string format_net(const NetConfig& net) {
  std::string s = net.image.size() > 0 ? shape_text(net.image) : std::to_string(net.inputs);
  for (const LayerSpec& l : net.layers) s += "-" + format_layer(l);
  return s;
}

Status parse_net(const std::string& text, NetConfig& out) {
  auto bad = [&](const std::string& why) { return Status::fail("net: '" + text + "': " + why); };
  std::vector<std::string> parts;
  for (size_t pos = 0; pos <= text.size();) {
    size_t dash = text.find('-', pos);
    if (dash == std::string::npos) dash = text.size();
    parts.push_back(text.substr(pos, dash - pos));
    pos = dash + 1;
  }
  // "AxB" (conv20x5) or "AxBxC" (1x28x28) into numbers; false if any is not one.
  auto numbers = [](const std::string& s, std::vector<int>& v) {
    v.clear();
    for (size_t pos = 0; pos <= s.size();) {
      size_t x = s.find('x', pos);
      if (x == std::string::npos) x = s.size();
      int n = 0;
      if (!number(s.substr(pos, x - pos), n)) return false;
      v.push_back(n);
      pos = x + 1;
    }
    return true;
  };
  auto starts = [](const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; };
  NetConfig n;
  n.cost = out.cost;
  n.layers.clear();
  std::vector<int> v;
  if (number(parts[0], n.inputs)) {
  } else if (numbers(parts[0], v) && v.size() == 3 && double(v[0]) * v[1] * v[2] <= kMaxUnits) {
    n.image = {v[0], v[1], v[2]};
    n.inputs = n.image.size();
    if (v[0] == 1 && v[1] == v[2]) n.image = {0, 0, 0};  // 1xSxS is what S*S means anyway: one spelling
  } else {
    return bad("starts with the input width, an integer from 1 to " + std::to_string(kMaxUnits) +
               ", or an image CxHxW (e.g. 784-fc30-sigmoid-fc10-sigmoid, 3x32x32-conv16x3-relu-...)");
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    const std::string at = "layer " + std::to_string(i) + " '" + p + "' ";
    LayerSpec l;
    if (starts(p, "fc")) {
      if (!number(p.substr(2), l.units))
        return bad(at + "needs a unit count from 1 to " + std::to_string(kMaxUnits) + ", e.g. fc30");
    } else if (starts(p, "conv")) {
      std::string body = p.substr(4);
      l.kind = LayerKind::Conv;
      if (body.size() > 4 && body.compare(body.size() - 4, 4, "same") == 0) {
        l.same = true;
        body.resize(body.size() - 4);
      }
      if (!numbers(body, v) || v.size() != 2)
        return bad(at + "is convFxK: F filters of KxK, e.g. conv20x5 (valid) or conv20x5same");
      l.units = v[0], l.size = v[1];
    } else if (starts(p, "pool")) {
      l.kind = LayerKind::MaxPool;
      const std::string body = p.substr(4);
      const size_t s = body.find('s');
      if (!number(body.substr(0, s), l.size) || (s != std::string::npos && !number(body.substr(s + 1), l.stride)))
        return bad(at + "is poolK (KxK max-pooling, stride K) or poolKsS (stride S), e.g. pool2");
      if (s == std::string::npos) l.stride = l.size;
    } else if (starts(p, "dropout")) {
      l.kind = LayerKind::Dropout;
      const std::string body = p.substr(7);
      char* end = nullptr;
      const double r = body.empty() || body[0] == ' ' ? NAN : std::strtod(body.c_str(), &end);
      if (!(r > 0 && r < 1) || *end != '\0') return bad(at + "is dropoutP with a rate 0 < P < 1, e.g. dropout0.5");
      l.rate = float(r);
    } else {
      bool found = false;
      for (LayerKind k : {LayerKind::Sigmoid, LayerKind::Tanh, LayerKind::Relu, LayerKind::Softmax})
        if (p == name(k)) l.kind = k, found = true;
      if (!found)
        return bad("unknown layer '" + p + "' (known: fcN, convFxK, convFxKsame, poolK, poolKsS, dropoutP, " +
                   "sigmoid, tanh, relu, softmax)");
    }
    n.layers.push_back(l);
  }
  Status s = check_net(n);
  if (!s.ok()) return bad(s.message);
  out = n;
  return Status::success();
}

Status check_net(const NetConfig& n) {
  if (n.inputs < 1 || n.inputs > kMaxUnits)
    return Status::fail("the input width must be from 1 to " + std::to_string(kMaxUnits));
  if (n.image.size() != 0 && (n.image.c < 1 || n.image.h < 1 || n.image.w < 1 ||
                              double(n.image.c) * n.image.h * n.image.w != n.inputs))
    return Status::fail("the input image " + shape_text(n.image) + " does not hold " + std::to_string(n.inputs) +
                        " values");
  if (n.layers.empty()) return Status::fail("the network needs at least one dense layer (fcN)");
  if (n.layers.size() > kMaxLayers)
    return Status::fail(std::to_string(n.layers.size()) + " layers, at most " + std::to_string(kMaxLayers));
  const std::string why = walk(n, nullptr);
  if (!why.empty()) return Status::fail(why);
  size_t last_dense = n.layers.size();
  for (size_t i = 0; i < n.layers.size(); ++i)
    if (n.layers[i].kind == LayerKind::Dense) last_dense = i;
  if (last_dense == n.layers.size()) return Status::fail("the network needs at least one dense layer (fcN)");
  for (size_t i = last_dense + 1; i < n.layers.size(); ++i)
    if (n.layers[i].kind == LayerKind::Conv || n.layers[i].kind == LayerKind::MaxPool)
      return Status::fail("layer " + std::to_string(i + 1) + " (" + format_layer(n.layers[i]) +
                          "): conv and pool layers come before the last fc layer, which makes the outputs");
  const LayerKind last = n.layers.back().kind;
  if (last != LayerKind::Sigmoid && last != LayerKind::Softmax)
    return Status::fail("the last layer must be the output activation, sigmoid or softmax");
  if (last == LayerKind::Softmax && n.outputs() < 2) return Status::fail("softmax needs at least two outputs");
  return Status::success();
}

}  // namespace nnlab
