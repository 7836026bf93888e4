// A network's parameters on the host: what initialisation makes, checkpoints
// hold and the trainer uploads to (and downloads from) its backend.
#pragma once
#include <cstdint>
#include <vector>

#include "config.h"
#include "rng.h"
#include "status.h"

namespace nnlab {

// Parameters per dense or conv layer l (the l-th of net.layers that has_params),
// shaped by param_shapes(net): dense (OC, C) and (OC), conv (F, C*k*k) and (F).
struct Model {
  NetConfig net;
  std::vector<std::vector<float>> weights;  // (rows, cols) row-major
  std::vector<std::vector<float>> biases;   // (rows)
  int layers() const { return int(weights.size()); }
};

// Nielsen's initialisation: biases N(0,1); weights N(0,1) or N(0,1/n_in).
Model init_model(const NetConfig& net, Init init, Rng& rng);

// True if every parameter is finite.
bool all_finite(const Model& m);

// Checkpoint format (little-endian), documented in README.md. Version 2:
//   "NNLB" magic, u32 version=2, u32 cost, u32 inputs, u32 N (layers),
//   N x (u32 kind code, u32 units), then per dense layer weights (f32) and
//   biases (f32), then u32 CRC-32 of everything before it. Version 3 (written
//   only for nets with conv, pool or dropout layers or a CxHxW input) has the
//   input's C, H, W instead of inputs and four u32 per layer (model.cpp).
//   Version 1 (an MLP: u32 activation, u32 output, u32 cost, u32 L, L x u32
//   sizes, ...) still loads.
std::vector<uint8_t> save_model(const Model& m);
// The cap on a checkpoint's size, checked before it is read (and by load_model):
// 2 GiB is ~500M parameters, far past any network this trainer can run.
constexpr uint64_t kMaxModelBytes = 2ull << 30;

// `out` is untouched unless the whole file is valid: the checksum matches and
// every parameter is finite (a NaN/Inf model is refused naming the layer, the
// rule training follows when it stops a diverged run). `name` is used in messages.
Status load_model(const uint8_t* data, size_t size, const std::string& name, Model& out);

}  // namespace nnlab
