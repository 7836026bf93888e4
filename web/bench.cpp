// In-browser training throughput of the engine (no UI): a separate WASM module
// (nnlab_bench.js, MODULARIZE'd as NnlabBench) that web/bench.html runs beside
// TensorFlow.js. Data are random 28x28 images: throughput does not depend on
// pixel values, and the page then needs no downloads.
#include <emscripten.h>

#include <cstdio>
#include <string>

#include "trainer.h"

namespace {

nnlab::Dataset random_set(int count, uint64_t seed) {
  nnlab::Dataset d;
  d.count = count;
  d.rows = d.cols = 28;
  d.images.resize(size_t(count) * 784);
  d.labels.resize(size_t(count));
  nnlab::Rng rng(seed);
  for (uint8_t& p : d.images) p = uint8_t(rng.below(256));
  for (uint8_t& l : d.labels) l = uint8_t(rng.below(10));
  return d;
}

}  // namespace

extern "C" {

// Trains `sizes` (e.g. "784,30,10") with network.py's SGD (sigmoid, quadratic
// cost, eta 3) at `batch` for about `seconds` after a short warm-up and
// returns training samples per second (-1 on a bad configuration).
EMSCRIPTEN_KEEPALIVE double nnlab_bench_train(const char* sizes, int batch, double seconds) {
  nnlab::TrainConfig cfg;
  if (!nnlab::parse_sizes(sizes, cfg.net.sizes).ok()) return -1;
  cfg.batch = batch;
  cfg.epochs = 1000000;
  // 10k training images: an epoch ends rarely; a 10-image test set keeps the
  // epoch-end evaluation out of the measurement.
  nnlab::Trainer t(cfg, random_set(10000, 1), random_set(10, 2), nnlab::Dataset{},
                   nnlab::make_cpu_backend());
  if (!t.status().ok()) return -1;
  t.step(1 << 30, 0.3);  // warm-up: allocations, caches, JIT tiers
  const size_t b0 = t.metrics().batch_loss.size();
  const double t0 = emscripten_get_now();
  double now = t0;
  while (now - t0 < seconds * 1000.0) {
    t.step(1 << 30, 0.1);
    now = emscripten_get_now();
  }
  const size_t batches = t.metrics().batch_loss.size() - b0;
  return double(batches) * batch / ((now - t0) / 1000.0);
}

}  // extern "C"
