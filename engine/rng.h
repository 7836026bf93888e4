// The project's own random numbers: PCG32 (O'Neill's pcg32_random_r) and
// Box-Muller, so one seed gives the same weights and shuffles under g++ and em++
// whatever the standard library (std:: distributions differ between them).
#pragma once
#include <cstdint>
#include <vector>

namespace nnlab {

class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t stream = 54);
  uint32_t next_u32();
  uint32_t below(uint32_t bound);  // uniform in [0, bound), unbiased
  double uniform();                // [0, 1), 53 bits
  double normal();                 // N(0,1), Box-Muller
  void shuffle(std::vector<int32_t>& v);  // Fisher-Yates

  // Everything the next numbers depend on, for a run file: an Rng given
  // restore(saved()) draws what the saved one would have drawn.
  struct Saved {
    uint64_t state, inc;
    double spare;
    bool has_spare;
  };
  Saved saved() const { return {state_, inc_, spare_, has_spare_}; }
  void restore(const Saved& s) { state_ = s.state, inc_ = s.inc, spare_ = s.spare, has_spare_ = s.has_spare; }

 private:
  uint64_t state_ = 0, inc_ = 0;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace nnlab
