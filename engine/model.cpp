// Initialisation and the checkpoint format (see model.h and README.md).
#include "model.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "bytes.h"

namespace nnlab {

namespace {

// network3.py's n_out per layer with parameters: a dense layer's units; a conv's
// F*k*k divided by the window area of the max-pool that follows it (ConvPoolLayer).
std::vector<double> network3_fan_out(const NetConfig& net) {
  std::vector<double> out;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    if (l.kind == LayerKind::Dense) out.push_back(l.units);
    if (l.kind != LayerKind::Conv) continue;
    double area = 1;
    for (size_t j = i + 1; j < net.layers.size() && !has_params(net.layers[j].kind); ++j)
      if (net.layers[j].kind == LayerKind::MaxPool) area = double(net.layers[j].size) * net.layers[j].size;
    out.push_back(double(l.units) * l.size * l.size / area);
  }
  return out;
}

}  // namespace

Model init_model(const NetConfig& net, Init init, Rng& rng) {
  Model m;
  m.net = net;
  const std::vector<ParamShape> shapes = param_shapes(net);
  // network.py draws all biases first, then all weights; so do we.
  for (const ParamShape& p : shapes) {
    std::vector<float> b(static_cast<size_t>(p.rows));
    for (float& v : b) v = float(rng.normal());
    m.biases.push_back(std::move(b));
  }
  const std::vector<double> fan_out = network3_fan_out(net);
  for (size_t l = 0; l < shapes.size(); ++l) {
    const ParamShape& p = shapes[l];
    double scale = init == Init::Scaled ? 1.0 / std::sqrt(double(p.cols)) : 1.0;  // cols: the fan-in
    if (init == Init::Network3) scale = l + 1 == shapes.size() ? 0.0 : 1.0 / std::sqrt(fan_out[l]);
    std::vector<float> w(size_t(p.cols) * size_t(p.rows));  // (rows, cols)
    for (float& v : w) v = float(rng.normal() * scale);
    m.weights.push_back(std::move(w));
  }
  if (init == Init::Network3) std::fill(m.biases.back().begin(), m.biases.back().end(), 0.0f);
  return m;
}

bool all_finite(const Model& m) {
  for (const auto* group : {&m.weights, &m.biases})
    for (const auto& v : *group)
      for (float x : v)
        if (!std::isfinite(x)) return false;
  return true;
}

namespace {

constexpr char kMagic[4] = {'N', 'N', 'L', 'B'};
constexpr uint32_t kVersion = 3;  // written for nets that version 2 cannot describe
constexpr uint32_t kMaxLayers = 64;
constexpr uint64_t kMaxParams = 1ull << 30;

}  // namespace

uint32_t crc32_of(const uint8_t* data, size_t size) {
  uLong c = crc32(0L, Z_NULL, 0);
  while (size > 0) {  // crc32 takes uInt lengths
    uInt chunk = uInt(size > (1u << 30) ? (1u << 30) : size);
    c = crc32(c, data, chunk);
    data += chunk, size -= chunk;
  }
  return uint32_t(c);
}

// Version 2 describes every net of dense and activation layers on a flat input;
// those are written as version 2 still, so older builds keep reading them.
bool fits_v2(const NetConfig& n) {
  for (const LayerSpec& l : n.layers)
    if (uint32_t(l.kind) > uint32_t(LayerKind::Softmax)) return false;
  return n.image.size() == 0;
}

std::vector<uint8_t> save_model(const Model& m) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  const bool v2 = fits_v2(m.net);
  put_u32(out, v2 ? 2 : 3);
  put_u32(out, uint32_t(m.net.cost));
  if (v2) {
    put_u32(out, uint32_t(m.net.inputs));
  } else {
    const ImageShape in = input_shape(m.net);
    put_u32(out, uint32_t(in.c));
    put_u32(out, uint32_t(in.h));
    put_u32(out, uint32_t(in.w));
  }
  put_u32(out, uint32_t(m.net.layers.size()));
  for (const LayerSpec& l : m.net.layers) {
    put_u32(out, uint32_t(l.kind));
    if (v2) {
      put_u32(out, uint32_t(l.units));
      continue;
    }
    uint32_t rate;
    std::memcpy(&rate, &l.rate, 4);
    put_u32(out, uint32_t(l.kind == LayerKind::Dropout ? rate : uint32_t(l.units)));
    put_u32(out, uint32_t(l.size));
    put_u32(out, uint32_t(l.kind == LayerKind::Conv ? uint32_t(l.same) : uint32_t(l.stride)));
  }
  for (int l = 0; l < m.layers(); ++l) {
    put_floats(out, m.weights[l]);
    put_floats(out, m.biases[l]);
  }
  put_u32(out, crc32_of(out.data(), out.size()));
  return out;
}

namespace {

// Version 1 held an MLP: u32 activation (0 sigmoid, 1 tanh, 2 relu),
// u32 output (0 sigmoid, 3 softmax), u32 cost, u32 L, L x u32 sizes.
// Each returns why the header is bad, or "".
std::string read_v1_header(Reader& r, NetConfig& net) {
  uint32_t act, output, cost, count;
  if (!r.u32(act) || !r.u32(output) || !r.u32(cost) || !r.u32(count))
    return "truncated: file ends inside the header";
  if (act > 2) return "bad hidden activation code " + std::to_string(act);
  if (output != 0 && output != 3) return "bad output activation code " + std::to_string(output);
  if (cost > 1) return "bad cost code " + std::to_string(cost);
  if (count < 2 || count > kMaxLayers) return "bad layer count " + std::to_string(count);
  std::vector<int> sizes;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t s;
    if (!r.u32(s)) return "truncated: file ends inside the layer sizes";
    if (s < 1 || s > 1000000) return "bad layer size " + std::to_string(s);
    sizes.push_back(int(s));
  }
  const Act acts[] = {Act::Sigmoid, Act::Tanh, Act::Relu};
  net = NetConfig::mlp(sizes, acts[act], output == 3 ? Act::Softmax : Act::Sigmoid, Cost(cost));
  return "";
}

std::string read_v2_header(Reader& r, NetConfig& net) {
  uint32_t cost, inputs, count;
  if (!r.u32(cost) || !r.u32(inputs) || !r.u32(count))
    return "truncated: file ends inside the header";
  if (cost > 1) return "bad cost code " + std::to_string(cost);
  if (count < 1 || count > kMaxLayers) return "bad layer count " + std::to_string(count);
  net.cost = Cost(cost);
  net.inputs = int(std::min<uint32_t>(inputs, 1u << 30));
  net.layers.clear();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t code, units;
    if (!r.u32(code) || !r.u32(units)) return "truncated: file ends inside the layer list";
    if (code < uint32_t(LayerKind::Dense) || code > uint32_t(LayerKind::Softmax))
      return "bad layer code " + std::to_string(code) + " at layer " + std::to_string(i);
    net.layers.push_back({LayerKind(code), int(std::min<uint32_t>(units, 1u << 30))});
  }
  return "";
}

// Version 3: u32 cost, u32 C, H, W (the input image), u32 N, then per layer
// u32 code and three u32 fields: Dense (units, 0, 0), Conv (filters, k, same),
// MaxPool (0, k, stride), Dropout (rate as f32 bits, 0, 0), activations (0, 0, 0).
std::string read_v3_header(Reader& r, NetConfig& net) {
  uint32_t cost, c, h, w, count;
  if (!r.u32(cost) || !r.u32(c) || !r.u32(h) || !r.u32(w) || !r.u32(count))
    return "truncated: file ends inside the header";
  if (cost > 1) return "bad cost code " + std::to_string(cost);
  if (c < 1 || h < 1 || w < 1 || uint64_t(c) * h * w > 1000000)
    return "bad input shape " + std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
  if (count < 1 || count > kMaxLayers) return "bad layer count " + std::to_string(count);
  net.cost = Cost(cost);
  net.inputs = int(c * h * w);
  net.image = {int(c), int(h), int(w)};
  if (input_shape(NetConfig{net.inputs, {0, 0, 0}, {}, net.cost}) == net.image) net.image = {0, 0, 0};
  net.layers.clear();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t code, a, size, third;
    if (!r.u32(code) || !r.u32(a) || !r.u32(size) || !r.u32(third)) return "truncated: file ends inside the layer list";
    if (code < uint32_t(LayerKind::Dense) || code > uint32_t(LayerKind::Dropout))
      return "bad layer code " + std::to_string(code) + " at layer " + std::to_string(i);
    LayerSpec l;
    l.kind = LayerKind(code);
    if (l.kind == LayerKind::Dropout)
      std::memcpy(&l.rate, &a, 4);
    else if (l.kind == LayerKind::Dense || l.kind == LayerKind::Conv)
      l.units = int(std::min<uint32_t>(a, 1u << 30));
    if (l.kind == LayerKind::Conv || l.kind == LayerKind::MaxPool) l.size = int(std::min<uint32_t>(size, 1u << 30));
    if (l.kind == LayerKind::Conv) l.same = third != 0;
    if (l.kind == LayerKind::MaxPool) l.stride = int(std::min<uint32_t>(third, 1u << 30));
    net.layers.push_back(l);
  }
  return "";
}

// "dense layer N of M (fc30)" or "conv layer N of M (conv20x5)": the l-th layer with parameters.
std::string layer_name(const NetConfig& n, int l) {
  const int total = int(param_shapes(n).size());
  int seen = 0;
  for (const LayerSpec& s : n.layers) {
    if (!has_params(s.kind) || seen++ != l) continue;
    return std::string(s.kind == LayerKind::Conv ? "conv" : "dense") + " layer " + std::to_string(l + 1) + " of " +
           std::to_string(total) + " (" + format_layer(s) + ")";
  }
  return "layer " + std::to_string(l + 1);
}

}  // namespace

Status load_model(const uint8_t* data, size_t size, const std::string& name, Model& out) {
  auto fail = [&](const std::string& why) { return Status::fail(name + ": " + why); };
  if (size == 0) return fail("empty file, not an nnlab model");
  if (size < 4 || std::memcmp(data, kMagic, 4) != 0) return fail("not an nnlab model (bad magic, expected \"NNLB\")");
  if (size < 8) return fail("truncated: file ends inside the header");
  Reader r{data + 4, size - 4};
  uint32_t version;
  r.u32(version);
  Model m;
  std::string why;
  if (version == 1)
    why = read_v1_header(r, m.net);
  else if (version == 2)
    why = read_v2_header(r, m.net);
  else if (version == kVersion)
    why = read_v3_header(r, m.net);
  else
    return fail("unsupported version " + std::to_string(version) + " (this build reads versions 1 to 3)");
  if (!why.empty()) return fail(why);
  // The same rules a network built from flags follows (one rule both ways).
  Status s = check_net(m.net);
  if (!s.ok()) return fail("bad network " + format_net(m.net) + ": " + s.message);
  const std::vector<ParamShape> shapes = param_shapes(m.net);
  uint64_t params = 0;
  for (const ParamShape& p : shapes) params += uint64_t(p.rows) * p.cols + p.rows;
  if (params > kMaxParams) return fail("absurd parameter count " + std::to_string(params));
  const size_t header = size - r.left;
  uint64_t expected = header + 4 * (params + 1);
  if (expected > kMaxModelBytes)
    return fail(std::to_string(params) + " parameters make " + std::to_string(expected) +
                " bytes, over the " + std::to_string(kMaxModelBytes >> 30) + " GiB cap for a model file");
  if (size != expected)
    return fail((size < expected ? "truncated: " : "too long: ") + std::to_string(size) +
                " bytes, the header implies " + std::to_string(expected));
  for (const ParamShape& p : shapes) {
    m.weights.emplace_back();
    m.biases.emplace_back();
    r.floats(m.weights.back(), size_t(p.rows) * p.cols);
    r.floats(m.biases.back(), size_t(p.rows));
  }
  uint32_t stored = 0;
  r.u32(stored);
  if (stored != crc32_of(data, size - 4)) return fail("checksum mismatch: the file is corrupt");
  for (int l = 0; l < m.layers(); ++l) {
    for (const auto& [what, v] : {std::pair<const char*, const std::vector<float>*>{"weight", &m.weights[l]},
                                  {"bias", &m.biases[l]}}) {
      const auto bad = std::find_if(v->begin(), v->end(), [](float x) { return !std::isfinite(x); });
      if (bad != v->end())
        return fail(layer_name(m.net, l) + ": " + what + " " + std::to_string(bad - v->begin()) + " is " +
                    (std::isnan(*bad) ? "NaN" : "Inf") +
                    "; a model with non-finite parameters is refused (a diverged run?)");
    }
  }
  out = std::move(m);
  return Status::success();
}

}  // namespace nnlab
