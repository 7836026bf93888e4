// Initialisation and the checkpoint format (see model.h and README.md).
#include "model.h"

#include <zlib.h>

#include <cmath>
#include <cstring>

namespace nnlab {

Model init_model(const NetConfig& net, Init init, Rng& rng) {
  Model m;
  m.net = net;
  // network.py draws all biases first, then all weights; so do we.
  for (size_t l = 0; l + 1 < net.sizes.size(); ++l) {
    std::vector<float> b(size_t(net.sizes[l + 1]));
    for (float& v : b) v = float(rng.normal());
    m.biases.push_back(std::move(b));
  }
  for (size_t l = 0; l + 1 < net.sizes.size(); ++l) {
    int in = net.sizes[l], out = net.sizes[l + 1];
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
constexpr uint32_t kVersion = 1;
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
  put_u32(out, uint32_t(m.net.activation));
  put_u32(out, uint32_t(m.net.output));
  put_u32(out, uint32_t(m.net.cost));
  put_u32(out, uint32_t(m.net.sizes.size()));
  for (int s : m.net.sizes) put_u32(out, uint32_t(s));
  for (int l = 0; l < m.layers(); ++l) {
    put_floats(out, m.weights[l]);
    put_floats(out, m.biases[l]);
  }
  put_u32(out, crc(out.data(), out.size()));
  return out;
}

Status load_model(const uint8_t* data, size_t size, const std::string& name, Model& out) {
  auto fail = [&](const std::string& why) { return Status::fail(name + ": " + why); };
  if (size == 0) return fail("empty file, not an nnlab model");
  if (size < 4 || std::memcmp(data, kMagic, 4) != 0) return fail("not an nnlab model (bad magic, expected \"NNLB\")");
  if (size < 8) return fail("truncated: file ends inside the header");
  Reader r{data + 4, size - 4};
  uint32_t version, act, output, cost, count;
  r.u32(version);
  if (version != kVersion)
    return fail("unsupported version " + std::to_string(version) + " (this build reads version 1)");
  if (!r.u32(act) || !r.u32(output) || !r.u32(cost) || !r.u32(count))
    return fail("truncated: file ends inside the header");
  Model m;
  if (act > uint32_t(Act::Relu)) return fail("bad hidden activation code " + std::to_string(act));
  if (output != uint32_t(Act::Sigmoid) && output != uint32_t(Act::Softmax))
    return fail("bad output activation code " + std::to_string(output));
  if (cost > uint32_t(Cost::CrossEntropy)) return fail("bad cost code " + std::to_string(cost));
  if (count < 2 || count > kMaxLayers) return fail("bad layer count " + std::to_string(count));
  m.net.activation = Act(act);
  m.net.output = Act(output);
  m.net.cost = Cost(cost);
  uint64_t params = 0;
  m.net.sizes.clear();  // NetConfig defaults to 784,30,10
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t s;
    if (!r.u32(s)) return fail("truncated: file ends inside the layer sizes");
    if (s < 1 || s > 1000000) return fail("bad layer size " + std::to_string(s));
    m.net.sizes.push_back(int(s));
  }
  for (uint32_t l = 0; l + 1 < count; ++l)
    params += uint64_t(m.net.sizes[l]) * m.net.sizes[l + 1] + m.net.sizes[l + 1];
  if (params > kMaxParams) return fail("absurd parameter count " + std::to_string(params));
  uint64_t expected = 4 * (6 + uint64_t(count) + params + 1);
  if (size != expected)
    return fail((size < expected ? "truncated: " : "too long: ") + std::to_string(size) +
                " bytes, the header implies " + std::to_string(expected));
  for (uint32_t l = 0; l + 1 < count; ++l) {
    m.weights.emplace_back();
    m.biases.emplace_back();
    r.floats(m.weights.back(), size_t(m.net.sizes[l]) * m.net.sizes[l + 1]);
    r.floats(m.biases.back(), size_t(m.net.sizes[l + 1]));
  }
  uint32_t stored = 0;
  r.u32(stored);
  if (stored != crc(data, size - 4)) return fail("checksum mismatch: the file is corrupt");
  out = std::move(m);
  return Status::success();
}

}  // namespace nnlab
