// A run file: a training run stopped between epochs, to be continued by a later
// process (nnlab train --resume). Trainer::save_run/load_run fill and apply it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "rng.h"
#include "status.h"
#include "trainer.h"

namespace nnlab {

struct RunFile {
  std::string settings;  // run_settings() of the run's config
  int train_count = 0, validation_count = 0, test_count = 0;  // images (training: expanded)
  Rng::Saved rng{};            // the shuffle's generator before the next epoch's shuffle
  uint64_t dropout_pass = 0;   // training passes so far (dropout's masks)
  Metrics metrics;             // batches_per_epoch and recent_samples_per_sec are not kept
  std::vector<uint8_t> model;  // save_model's bytes: a checkpoint of its own, checked as one
  std::vector<std::vector<float>> velocity;  // per net tensor; none without momentum
};

// Every parameter of the table that fixes what a run computes, as
// "name=value&..." (not epochs, which a continued run may raise, nor threads,
// which change no bit).
std::string run_settings(const TrainConfig& cfg);

// Format (little-endian): "NNLR", u32 version 1, u32 n + n bytes of settings,
// u32 train, validation, test counts, the generator (u64 state, u64 inc, f64
// spare, u32 has_spare), u64 dropout pass, the metrics (u32 epoch, u64 batches,
// u32 loss stride, f64 partial sum, u32 partial count, then u32 n + n words each
// of batch loss, test accuracy, validation accuracy, samples/s, confusion, then
// u32 n epoch reports of u32 epoch, test correct, test total, validation
// correct, validation total and f64 seconds, samples/s, loss), u32 n + n bytes
// of model, u32 n tensors of u32 n + n f32 velocity, u32 CRC-32 of all before.
std::vector<uint8_t> write_run_file(const RunFile& run);
// `out` is untouched unless the whole file is valid; messages start with `name`.
Status read_run_file(const uint8_t* data, size_t size, const std::string& name, RunFile& out);

// The cap on a run file's size: a model's cap, its momentum and the metrics.
constexpr uint64_t kMaxRunFileBytes = 5ull << 30;

}  // namespace nnlab
