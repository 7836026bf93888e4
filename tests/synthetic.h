// Small deterministic data sets for tests: random pixels, labels derived from
// the pixels so that a network can learn them.
#pragma once
#include <vector>

#include "dataset.h"
#include "rng.h"

namespace nnlab::testing {

// count images of `pixels` (rows=1) with classes labels. Each class has its own
// random prototype; an image is its prototype plus noise.
inline Dataset synthetic(int count, int pixels, int classes, uint64_t seed) {
  Rng rng(seed, 7);
  std::vector<std::vector<int>> proto(size_t(classes), std::vector<int>(size_t(pixels), 0));
  for (auto& p : proto)
    for (int& v : p) v = int(rng.below(256));
  Dataset d;
  d.count = count, d.rows = 1, d.cols = pixels, d.classes = classes;
  for (int i = 0; i < count; ++i) {
    int label = int(rng.below(uint32_t(classes)));
    d.labels.push_back(uint8_t(label));
    for (int v : proto[size_t(label)]) {
      int noisy = v + int(rng.below(81)) - 40;
      d.images.push_back(uint8_t(noisy < 0 ? 0 : noisy > 255 ? 255 : noisy));
    }
  }
  return d;
}

}  // namespace nnlab::testing
