// Names and validation of the run's choices; every message names the field.
#include "config.h"

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

Status parse_act(const std::string& s, Act& out) {
  for (Act a : {Act::Sigmoid, Act::Tanh, Act::Relu, Act::Softmax})
    if (s == name(a)) return out = a, Status::success();
  return Status::fail("unknown activation '" + s + "' (expected sigmoid, tanh, relu or softmax)");
}
Status parse_cost(const std::string& s, Cost& out) {
  for (Cost c : {Cost::Quadratic, Cost::CrossEntropy})
    if (s == name(c)) return out = c, Status::success();
  return Status::fail("unknown cost '" + s + "' (expected quadratic or cross-entropy)");
}
Status parse_init(const std::string& s, Init& out) {
  for (Init i : {Init::Normal, Init::Scaled})
    if (s == name(i)) return out = i, Status::success();
  return Status::fail("unknown init '" + s + "' (expected normal or scaled)");
}

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

Status validate(const TrainConfig& c) {
  const NetConfig& n = c.net;
  if (n.sizes.size() < 2) return Status::fail("sizes: need at least an input and an output layer");
  for (int s : n.sizes)
    if (s < 1) return Status::fail("sizes: every layer needs at least one neuron");
  if (n.activation == Act::Softmax) return Status::fail("activation: softmax is for the output layer only");
  if (n.output != Act::Sigmoid && n.output != Act::Softmax)
    return Status::fail(std::string("output: ") + name(n.output) + " is not an output layer (sigmoid or softmax)");
  if (n.output == Act::Softmax && n.sizes.back() < 2)
    return Status::fail("output: softmax needs at least two output neurons");
  for (const Param& p : params()) {
    if (p.kind == Param::kText || p.kind == Param::kChoice) continue;
    TrainConfig scratch = c;
    Status s = set_param_value(scratch, p, p.get(c));
    if (!s.ok()) return s;
  }
  return Status::success();
}

int validation_count(int validation, int train_count) {
  if (validation == kValidationAuto) return train_count == kNielsenTrain ? kNielsenValidation : 0;
  return validation;
}

}  // namespace nnlab
