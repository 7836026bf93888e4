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
const char* name(Init i) { return i == Init::Normal ? "normal" : i == Init::Scaled ? "scaled" : "network3"; }

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
