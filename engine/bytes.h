// Little-endian fields for the engine's file formats (model.cpp's checkpoints,
// run_file.cpp's run files) and the CRC-32 that closes each of them.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

namespace nnlab {

inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
inline void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  put_u32(out, uint32_t(v));
  put_u32(out, uint32_t(v >> 32));
}
inline void put_f64(std::vector<uint8_t>& out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  put_u64(out, bits);
}
template <typename T>  // float or int32_t: 4 bytes each
void put_words(std::vector<uint8_t>& out, const std::vector<T>& v) {
  static_assert(sizeof(T) == 4, "4-byte words");
  for (T x : v) {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    put_u32(out, bits);
  }
}
inline void put_floats(std::vector<uint8_t>& out, const std::vector<float>& v) { put_words(out, v); }

// Reads fields off the front of a buffer; each returns false (taking nothing)
// where the buffer ends first.
struct Reader {
  const uint8_t* p;
  size_t left;
  bool u32(uint32_t& v) {
    if (left < 4) return false;
    v = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    p += 4, left -= 4;
    return true;
  }
  bool u64(uint64_t& v) {
    if (left < 8) return false;
    uint32_t lo = 0, hi = 0;
    u32(lo), u32(hi);
    v = uint64_t(hi) << 32 | lo;
    return true;
  }
  bool f64(double& d) {
    uint64_t bits;
    if (!u64(bits)) return false;
    std::memcpy(&d, &bits, 8);
    return true;
  }
  template <typename T>
  bool words(std::vector<T>& v, size_t n) {
    static_assert(sizeof(T) == 4, "4-byte words");
    if (left / 4 < n) return false;
    v.resize(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits = 0;
      u32(bits);
      std::memcpy(&v[i], &bits, 4);
    }
    return true;
  }
  bool floats(std::vector<float>& v, size_t n) { return words(v, n); }
};

// zlib's CRC-32 of a whole buffer of any size.
uint32_t crc32_of(const uint8_t* data, size_t size);

}  // namespace nnlab
