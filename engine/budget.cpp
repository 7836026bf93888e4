// The memory budget of a run (see budget.h): the same shapes as Net's and
// Trainer's constructors, counted in bytes before either allocates.
#include "budget.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "net.h"

namespace nnlab {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

uint64_t add(uint64_t a, uint64_t b) { return a > kMax - b ? kMax : a + b; }
uint64_t mul(uint64_t a, uint64_t b) { return a != 0 && b > kMax / a ? kMax : a * b; }

// 1234567 -> "1,234,567"
std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

uint64_t Budget::total() const {
  uint64_t t = 0;
  for (uint64_t b : {parameters, gradients, velocities, activations, data, staging}) t = add(t, b);
  return t;
}

Budget run_budget(const TrainConfig& cfg, const DataCounts& counts) {
  Budget b;
  const NetConfig& net = cfg.net;
  b.rows = std::max(effective_batch(cfg.batch, counts.train), Net::kEvalChunk);
  const uint64_t rows = uint64_t(b.rows), f32 = 4, i32 = 4;
  uint64_t params = 0, acts = 0, cols = 0, tmp = 0;
  for (const ParamShape& p : param_shapes(net))
    params = add(params, add(mul(uint64_t(p.rows), uint64_t(p.cols)), uint64_t(p.rows)));
  const std::vector<ImageShape> shapes = layer_shapes(net);  // empty for a net check_net refuses
  for (size_t i = 0; i < shapes.size(); ++i) {
    const LayerSpec& L = net.layers[i];
    const uint64_t one = mul(rows, uint64_t(shapes[i].size()));
    acts = add(acts, i + 1 < net.layers.size() ? mul(one, 2) : one);  // the output layer has no gradient
    if (L.kind == LayerKind::MaxPool || L.kind == LayerKind::Dropout) acts = add(acts, one);  // argmax, mask
    if (L.kind == LayerKind::Conv) {  // the im2col scratch and the (F, B*P) one, shared: the largest layer's
      const ImageShape in = i == 0 ? input_shape(net) : shapes[i - 1];
      const uint64_t P = uint64_t(shapes[i].h) * shapes[i].w;
      cols = std::max(cols, mul(rows, mul(uint64_t(in.c) * L.size * L.size, P)));
      tmp = std::max(tmp, mul(rows, mul(uint64_t(L.units), P)));
    }
  }
  acts = add(acts, add(cols, tmp));
  acts = add(acts, mul(rows, uint64_t(std::max(net.inputs, 0))));  // x
  b.parameters = mul(params, f32);
  b.gradients = b.parameters;
  b.velocities = cfg.momentum > 0 ? b.parameters : 0;
  b.activations = add(mul(acts, f32), mul(rows, i32));  // + y
  b.staging = b.parameters;
  const uint64_t train = uint64_t(std::max(counts.train, 0)) * (cfg.expand ? 5 : 1);  // --expand: 5x
  const uint64_t images = train + uint64_t(std::max(counts.validation, 0)) + uint64_t(std::max(counts.test, 0));
  const uint64_t K = uint64_t(std::max(net.outputs(), 0));
  b.data = add(mul(images, add(uint64_t(std::max(net.inputs, 0)), 1)),  // pixels + a label each
               add(mul(train, i32),                                     // the epoch's order
                   add(mul(256, f32), mul(mul(K, K), i32))));           // loss slots, confusion
  return b;
}

Status check_budget(const TrainConfig& cfg, const DataCounts& counts, uint64_t limit_bytes,
                    const std::string& where) {
  const Budget b = run_budget(cfg, counts);
  const uint64_t need = b.total();
  if (need <= limit_bytes) return Status::success();
  const uint64_t images = uint64_t(counts.train) + uint64_t(counts.validation) + uint64_t(counts.test);
  return Status::fail("memory: needs " + format_bytes(need) + " (" + grouped(need) + " bytes) for " +
                      format_net(cfg.net) + " at batch " + grouped(uint64_t(cfg.batch)) + " and " +
                      grouped(images) + " images; " + where + " " + format_bytes(limit_bytes));
}

std::string format_bytes(uint64_t bytes) {
  char s[48];
  const double b = double(bytes);
  if (bytes == kMax) return "more than 18 EB";
  if (b >= 1e12) std::snprintf(s, sizeof s, "%.1f TB", b / 1e12);
  else if (b >= 1e9) std::snprintf(s, sizeof s, "%.1f GB", b / 1e9);
  else if (b >= 1e6) std::snprintf(s, sizeof s, "%.0f MB", b / 1e6);
  else if (b >= 1e3) std::snprintf(s, sizeof s, "%.0f KB", b / 1e3);
  else std::snprintf(s, sizeof s, "%llu bytes", (unsigned long long)bytes);
  return s;
}

}  // namespace nnlab
