// Names and validation of the run's choices; every message names the field.
#include "config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "params.h"

namespace nnlab {

const char* name(Act a) {
  switch (a) {
    case Act::Sigmoid: return "sigmoid";
    case Act::Tanh: return "tanh";
    case Act::Relu: return "relu";
    case Act::Softmax: return "softmax";
  }
  return "?";
}
const char* name(Cost c) { return c == Cost::Quadratic ? "quadratic" : "cross-entropy"; }
const char* name(Init i) { return i == Init::Normal ? "normal" : "scaled"; }

Status parse_sizes(const std::string& s, std::vector<int>& out) {
  std::vector<int> sizes;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    std::string part = s.substr(pos, comma - pos);
    char* end = nullptr;
    long v = part.empty() ? 0 : std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || v < 1 || v > 1000000)
      return Status::fail("sizes: '" + part + "' in '" + s + "' is not a layer size from 1 to 1000000");
    sizes.push_back(int(v));
    pos = comma + 1;
  }
  if (sizes.size() < 2) return Status::fail("sizes: '" + s + "' needs at least two layers, e.g. 784,30,10");
  out = sizes;
  return Status::success();
}

std::string format_sizes(const std::vector<int>& sizes) {
  std::string s;
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? "," : "") + std::to_string(sizes[i]);
  return s;
}

Act act_of(LayerKind k) {
  switch (k) {
    case LayerKind::Tanh: return Act::Tanh;
    case LayerKind::Relu: return Act::Relu;
    case LayerKind::Softmax: return Act::Softmax;
    default: return Act::Sigmoid;
  }
}
LayerKind kind_of(Act a) {
  switch (a) {
    case Act::Tanh: return LayerKind::Tanh;
    case Act::Relu: return LayerKind::Relu;
    case Act::Softmax: return LayerKind::Softmax;
    default: return LayerKind::Sigmoid;
  }
}

namespace {

constexpr int kMaxUnits = 1000000;
constexpr size_t kMaxLayers = 64;

}  // namespace

const char* name(LayerKind k) {
  switch (k) {
    case LayerKind::Dense: return "fc";
    case LayerKind::Sigmoid: return "sigmoid";
    case LayerKind::Tanh: return "tanh";
    case LayerKind::Relu: return "relu";
    case LayerKind::Softmax: return "softmax";
  }
  return "?";
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
    if (layers[i].kind != LayerKind::Dense) return act_of(layers[i].kind);
  return Act::Sigmoid;
}

Act NetConfig::output() const { return layers.empty() ? Act::Sigmoid : act_of(layers.back().kind); }

std::string format_net(const NetConfig& net) {
  std::string s = std::to_string(net.inputs);
  for (const LayerSpec& l : net.layers)
    s += "-" + std::string(name(l.kind)) + (l.kind == LayerKind::Dense ? std::to_string(l.units) : "");
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
  auto number = [](const std::string& s, int& v) {
    if (s.empty() || s.size() > 7 || s.find_first_not_of("0123456789") != std::string::npos) return false;
    v = std::atoi(s.c_str());
    return v >= 1 && v <= kMaxUnits;
  };
  NetConfig n;
  n.cost = out.cost;
  n.layers.clear();
  if (!number(parts[0], n.inputs))
    return bad("starts with the input width, an integer from 1 to " + std::to_string(kMaxUnits) +
               " (e.g. 784-fc30-sigmoid-fc10-sigmoid)");
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    LayerSpec l;
    if (p.rfind("fc", 0) == 0) {
      if (!number(p.substr(2), l.units))
        return bad("'" + p + "' needs a unit count from 1 to " + std::to_string(kMaxUnits) + ", e.g. fc30");
    } else {
      bool found = false;
      for (LayerKind k : {LayerKind::Sigmoid, LayerKind::Tanh, LayerKind::Relu, LayerKind::Softmax})
        if (p == name(k)) l.kind = k, found = true;
      if (!found) return bad("unknown layer '" + p + "' (known: fcN, sigmoid, tanh, relu, softmax)");
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
  if (n.layers.size() > kMaxLayers)
    return Status::fail(std::to_string(n.layers.size()) + " layers, at most " + std::to_string(kMaxLayers));
  bool dense = false;
  for (size_t i = 0; i < n.layers.size(); ++i) {
    const LayerSpec& l = n.layers[i];
    if (l.kind == LayerKind::Dense) {
      dense = true;
      if (l.units < 1 || l.units > kMaxUnits)
        return Status::fail("a dense layer needs from 1 to " + std::to_string(kMaxUnits) + " units");
    } else if (l.kind == LayerKind::Softmax && i + 1 != n.layers.size()) {
      return Status::fail("softmax is for the output layer only");
    }
  }
  if (!dense) return Status::fail("the network needs at least one dense layer (fcN)");
  const LayerKind last = n.layers.back().kind;
  if (last != LayerKind::Sigmoid && last != LayerKind::Softmax)
    return Status::fail("the last layer must be the output activation, sigmoid or softmax");
  if (last == LayerKind::Softmax && n.outputs() < 2) return Status::fail("softmax needs at least two outputs");
  return Status::success();
}

Status validate(const TrainConfig& c) {
  Status s = check_net(c.net);
  if (!s.ok()) return Status::fail("net: " + s.message);
  for (const Param& p : params()) {
    if (p.kind == Param::kText || p.kind == Param::kChoice) continue;
    TrainConfig scratch = c;
    s = set_param_value(scratch, p, p.get(c));
    if (!s.ok()) return s;
  }
  return Status::success();
}

int validation_count(int validation, int train_count) {
  if (validation == kValidationAuto) return train_count == kNielsenTrain ? kNielsenValidation : 0;
  return validation;
}

int effective_batch(int batch, int train_count) { return train_count > 0 ? std::min(batch, train_count) : batch; }

}  // namespace nnlab
