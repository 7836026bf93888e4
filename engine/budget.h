// What a training run will hold in memory, computed before anything is
// allocated, so that a run that cannot fit is refused with the bytes it would
// need (the page's WASM heap, the machine's memory) instead of failing halfway.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "config.h"
#include "status.h"

namespace nnlab {

// Image counts of a run: train without the held-out validation images.
struct DataCounts {
  int train = 0, validation = 0, test = 0;
};

// Bytes by what they hold; each mirrors an allocation of Net, Trainer or the
// parameter upload. Sums saturate at UINT64_MAX rather than wrap.
struct Budget {
  uint64_t parameters = 0;   // weights and biases (f32)
  uint64_t gradients = 0;    // their gradients, the same size
  uint64_t velocities = 0;   // momentum only, the same size again
  uint64_t activations = 0;  // per layer (rows, OC) output and gradient, input (rows, C), labels (rows)
  uint64_t data = 0;         // images + labels of train/validation/test (u8), the epoch's order (i32),
                             // loss slots and the confusion matrix
  uint64_t staging = 0;      // the host copy of the parameters that initialisation or a checkpoint uploads
  int rows = 0;              // the Net's rows: max(effective batch, Net::kEvalChunk)
  uint64_t total() const;
};

// The bytes a Net for cfg.net at cfg.batch plus a Trainer over `counts` allocate.
Budget run_budget(const TrainConfig& cfg, const DataCounts& counts);

// Refuses a run whose run_budget() is over limit_bytes, naming both, e.g.
// "memory: needs 1.4 GB (1,424,891,648 bytes) for 784-fc100000-sigmoid-fc10-sigmoid
// at batch 10 and 70,000 images; this page can use 1.0 GB". `where` says whose
// limit it is ("this machine has", "this page can use").
Status check_budget(const TrainConfig& cfg, const DataCounts& counts, uint64_t limit_bytes,
                    const std::string& where = "the limit is");

// "1.4 GB", "318 MB", "12 KB", "512 bytes" (powers of 1000, as a browser reports them).
std::string format_bytes(uint64_t bytes);

}  // namespace nnlab
