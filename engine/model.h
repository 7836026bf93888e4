// A network's parameters on the host: what initialisation makes, checkpoints
// hold and the trainer uploads to (and downloads from) its backend.
#pragma once
#include <cstdint>
#include <vector>

#include "config.h"
#include "rng.h"
#include "status.h"

namespace nnlab {

struct Model {
  NetConfig net;
  std::vector<std::vector<float>> weights;  // layer l: (sizes[l+1], sizes[l]) row-major
  std::vector<std::vector<float>> biases;   // layer l: (sizes[l+1])
  int layers() const { return int(weights.size()); }
};

// Nielsen's initialisation: biases N(0,1); weights N(0,1) or N(0,1/n_in).
Model init_model(const NetConfig& net, Init init, Rng& rng);

// True if every parameter is finite.
bool all_finite(const Model& m);

// Checkpoint format (little-endian), documented in README.md:
//   "NNLB" magic, u32 version=1, u32 activation, u32 output, u32 cost,
//   u32 L (number of sizes), L x u32 sizes, then per layer weights (f32) and
//   biases (f32), then u32 CRC-32 of everything before it.
std::vector<uint8_t> save_model(const Model& m);
// `out` is untouched unless the whole file is valid. `name` is used in messages.
Status load_model(const uint8_t* data, size_t size, const std::string& name, Model& out);

}  // namespace nnlab
