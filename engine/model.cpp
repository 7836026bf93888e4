// Initialisation and the checkpoint format (see model.h and README.md).
#include "model.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace nnlab {

Model init_model(const NetConfig& net, Init init, Rng& rng) {
  Model m;
  m.net = net;
  const std::vector<int> sizes = net.sizes();
  // network.py draws all biases first, then all weights; so do we.
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    std::vector<float> b(static_cast<size_t>(sizes[l + 1]));
    for (float& v : b) v = float(rng.normal());
    m.biases.push_back(std::move(b));
  }
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    int in = sizes[l], out = sizes[l + 1];
    double scale = init == Init::Scaled ? 1.0 / std::sqrt(double(in)) : 1.0;
    std::vector<float> w(size_t(in) * size_t(out));  // (out, in)
    for (float& v : w) v = float(rng.normal() * scale);
    m.weights.push_back(std::move(w));
  }
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
constexpr uint32_t kVersion = 2;
constexpr uint32_t kMaxLayers = 64;
constexpr uint64_t kMaxParams = 1ull << 30;

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
void put_floats(std::vector<uint8_t>& out, const std::vector<float>& v) {
  for (float f : v) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    put_u32(out, bits);
  }
}

struct Reader {
  const uint8_t* p;
  size_t left;
  bool u32(uint32_t& v) {
    if (left < 4) return false;
    v = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    p += 4, left -= 4;
    return true;
  }
  bool floats(std::vector<float>& v, size_t n) {
    if (left / 4 < n) return false;
    v.resize(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits = 0;
      u32(bits);
      std::memcpy(&v[i], &bits, 4);
    }
    return true;
  }
};

uint32_t crc(const uint8_t* data, size_t size) {
  uLong c = crc32(0L, Z_NULL, 0);
  while (size > 0) {  // crc32 takes uInt lengths
    uInt chunk = uInt(size > (1u << 30) ? (1u << 30) : size);
    c = crc32(c, data, chunk);
    data += chunk, size -= chunk;
  }
  return uint32_t(c);
}

}  // namespace

std::vector<uint8_t> save_model(const Model& m) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  put_u32(out, kVersion);
  put_u32(out, uint32_t(m.net.cost));
  put_u32(out, uint32_t(m.net.inputs));
  put_u32(out, uint32_t(m.net.layers.size()));
  for (const LayerSpec& l : m.net.layers) {
    put_u32(out, uint32_t(l.kind));
    put_u32(out, uint32_t(l.units));
  }
  for (int l = 0; l < m.layers(); ++l) {
    put_floats(out, m.weights[l]);
    put_floats(out, m.biases[l]);
  }
  put_u32(out, crc(out.data(), out.size()));
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
  else if (version == kVersion)
    why = read_v2_header(r, m.net);
  else
    return fail("unsupported version " + std::to_string(version) + " (this build reads versions 1 and 2)");
  if (!why.empty()) return fail(why);
  // The same rules a network built from flags follows (one rule both ways).
  Status s = check_net(m.net);
  if (!s.ok()) return fail("bad network " + format_net(m.net) + ": " + s.message);
  const std::vector<int> sizes = m.net.sizes();
  uint64_t params = 0;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) params += uint64_t(sizes[l]) * sizes[l + 1] + sizes[l + 1];
  if (params > kMaxParams) return fail("absurd parameter count " + std::to_string(params));
  const size_t header = size - r.left;
  uint64_t expected = header + 4 * (params + 1);
  if (expected > kMaxModelBytes)
    return fail(std::to_string(params) + " parameters make " + std::to_string(expected) +
                " bytes, over the " + std::to_string(kMaxModelBytes >> 30) + " GiB cap for a model file");
  if (size != expected)
    return fail((size < expected ? "truncated: " : "too long: ") + std::to_string(size) +
                " bytes, the header implies " + std::to_string(expected));
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    m.weights.emplace_back();
    m.biases.emplace_back();
    r.floats(m.weights.back(), size_t(sizes[l]) * sizes[l + 1]);
    r.floats(m.biases.back(), size_t(sizes[l + 1]));
  }
  uint32_t stored = 0;
  r.u32(stored);
  if (stored != crc(data, size - 4)) return fail("checksum mismatch: the file is corrupt");
  for (int l = 0; l < m.layers(); ++l) {
    for (const auto& [what, v] : {std::pair<const char*, const std::vector<float>*>{"weight", &m.weights[l]},
                                  {"bias", &m.biases[l]}}) {
      const auto bad = std::find_if(v->begin(), v->end(), [](float x) { return !std::isfinite(x); });
      if (bad != v->end())
        return fail("dense layer " + std::to_string(l + 1) + " of " + std::to_string(m.layers()) + " (fc" +
                    std::to_string(sizes[l + 1]) + "): " + what + " " + std::to_string(bad - v->begin()) + " is " +
                    (std::isnan(*bad) ? "NaN" : "Inf") +
                    "; a model with non-finite parameters is refused (a diverged run?)");
    }
  }
  out = std::move(m);
  return Status::success();
}

}  // namespace nnlab
