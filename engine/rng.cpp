// PCG32 (pcg32_random_r from pcg-random.org's minimal C library) and Box-Muller.
#include "rng.h"

#include <cmath>

namespace nnlab {

Rng::Rng(uint64_t seed, uint64_t stream) {
  // pcg32_srandom_r
  inc_ = (stream << 1u) | 1u;
  next_u32();
  state_ += seed;
  next_u32();
}

uint32_t Rng::next_u32() {
  uint64_t old = state_;
  state_ = old * 6364136223846793005ULL + inc_;
  uint32_t xorshifted = uint32_t(((old >> 18u) ^ old) >> 27u);
  uint32_t rot = uint32_t(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint32_t Rng::below(uint32_t bound) {
  // pcg32_boundedrand_r: reject the low values that would bias the modulo.
  uint32_t threshold = -bound % bound;
  for (;;) {
    uint32_t r = next_u32();
    if (r >= threshold) return r % bound;
  }
}

double Rng::uniform() {
  uint64_t hi = next_u32() >> 5, lo = next_u32() >> 6;  // 27 + 26 bits
  return double(hi * 67108864 + lo) * (1.0 / 9007199254740992.0);
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  double t = 6.283185307179586 * u2;
  spare_ = r * std::sin(t);
  has_spare_ = true;
  return r * std::cos(t);
}

void Rng::shuffle(std::vector<int32_t>& v) {
  for (size_t i = v.size(); i > 1; --i) {
    size_t j = below(uint32_t(i));
    std::swap(v[i - 1], v[j]);
  }
}

}  // namespace nnlab
