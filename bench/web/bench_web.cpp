// The engine side of the browser benchmark (bench/web/run.sh): exported C entry
// points that train network.py's algorithm (sigmoid, quadratic cost, eta 3.0), or a
// net's text form with the book's chapter-6 algorithm (softmax + log-likelihood,
// network3 init, eta 0.1, as bench_train), on
// the images the page hands over and return the samples/s: on one thread, or
// built with pthreads (build.sh's bench_web_mt, for a cross-origin isolated page)
// on `threads` of them.
// Also a kernel self-check against naive loops, so a wrong SIMD kernel shows here, and
// one GEMM timed alone (gemm.js: the wasm kernels of two builds side by side).
#include <emscripten/emscripten.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "backend.h"
#include "kernels.h"
#include "kernels_check.h"
#include "trainer.h"

namespace {

double now_seconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

nnlab::Dataset make_dataset(const uint8_t* images, const uint8_t* labels, int n, int first,
                            int count) {
  nnlab::Dataset d;
  d.count = count;
  d.rows = 28;
  d.cols = 28;
  d.classes = 10;
  d.images.assign(images + size_t(first) * 784, images + size_t(first + count) * 784);
  d.labels.assign(labels + first, labels + first + count);
  (void)n;
  return d;
}

}  // namespace

extern "C" {

// Trains `sizes` ("784,30,10") at `batch` on the first n images on `threads`
// threads (1 without pthreads); each of `repeats` runs
// uses a fresh Trainer, 20 untimed warm-up batches, then `samples` timed samples.
// Before the first run, untimed batches for warm_seconds: the browser compiles wasm
// with a baseline compiler first and swaps in optimised code only for hot functions.
// If `losses` is not null it gets the last run's mean per-sample loss over its first
// and over its last 10 batches (that it learns).
// Returns the best samples/s, or a negative number on error.
EMSCRIPTEN_KEEPALIVE double nnlab_bench_train(const uint8_t* images, const uint8_t* labels, int n,
                                              const char* sizes, int batch, int samples, int repeats,
                                              double warm_seconds, int threads, double* losses) {
  nnlab::TrainConfig cfg;
  std::vector<int> layers;
  if (std::strchr(sizes, '-')) {  // a net's text form (a conv net): softmax + log-likelihood, as the book's ch. 6
    cfg.net.cost = nnlab::Cost::CrossEntropy;
    if (!nnlab::parse_net(sizes, cfg.net).ok()) return -3;
    cfg.init = nnlab::Init::Network3;
    cfg.eta = 0.1f;
  } else if (nnlab::parse_sizes(sizes, layers).ok()) {
    cfg.net = nnlab::NetConfig::mlp(layers);  // sigmoid, quadratic
    cfg.eta = 3.0f;
  } else {
    return -3;
  }
  cfg.batch = batch;
  cfg.epochs = 1;
  cfg.seed = 1;
  const int warm = 20;
  if (samples / batch + warm > n / batch) samples = (n / batch - warm) * batch;
  nnlab::Dataset train = make_dataset(images, labels, n, 0, n);
  nnlab::Dataset test = make_dataset(images, labels, n, 0, std::min(n, 1000));
  double best = -1;
  for (double t_end = now_seconds() + warm_seconds; now_seconds() < t_end;) {
    nnlab::Net net(cfg.net, nnlab::make_cpu_backend(threads), cfg.batch);
    nnlab::Trainer t(cfg, net, train, test, nnlab::Dataset{});
    for (int b = 0; b + 1 < n / batch && now_seconds() < t_end; ++b) t.step(1);
  }
  for (int r = 0; r < repeats; ++r) {
    nnlab::Net net(cfg.net, nnlab::make_cpu_backend(threads), cfg.batch);
    nnlab::Trainer t(cfg, net, train, test, nnlab::Dataset{});
    if (!t.status().ok()) {
      emscripten_log(EM_LOG_ERROR, "nnlab_bench_train: %s", t.status().message.c_str());
      return -1;
    }
    t.step(warm);
    double t0 = now_seconds();
    int done = t.step(samples / batch);
    double dt = now_seconds() - t0;
    if (t.state() == nnlab::State::Diverged) return -2;
    double sps = done * double(batch) / dt;
    if (sps > best) best = sps;
    const std::vector<float>& l = t.metrics().batch_loss;  // one point per batch at these lengths
    if (losses && l.size() >= 20) {
      losses[0] = losses[1] = 0;
      for (size_t i = 0; i < 10; ++i) losses[0] += l[i] / 10.0, losses[1] += l[l.size() - 1 - i] / 10.0;
    }
  }
  return best;
}

// One GEMM of a layer's step, timed alone: which 0 = gemm_nt C (M,N) = A (M,K) . B (N,K)^T
// + bias (forward), 1 = gemm_nn C (M,N) = A (M,K) . B (K,N) (input gradient), 2 = gemm_tn_sgd
// W (M,N) -= s * A (K,M)^T . B (K,N) (weight gradient and step). Repeats it in chunks of
// about 10 ms for `seconds` and returns the fastest chunk's GFLOP/s (the browser's clock
// is coarse and this machine's speed moves, so gemm.js interleaves builds call by call).
// gemm.js checks each shape once first with nnlab_bench_check_gemm.
EMSCRIPTEN_KEEPALIVE double nnlab_bench_gemm(int which, int M, int N, int K, double seconds) {
  if (which < 0 || which > 2 || M < 1 || N < 1 || K < 1) return -1;
  uint32_t seed = 1;
  auto fill = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = nnlab::kernels_check::next_uniform(seed);
    return v;
  };
  std::vector<float> A = fill(size_t(M) * K), B = fill(size_t(N) * K), bias = fill(size_t(N)), C = fill(size_t(M) * N);
  const double flop = 2.0 * M * N * K;
  const int per = std::max(1, int(2.5e8 / flop));  // ~10 ms at 25 GFLOP/s
  double best = 0;
  for (double t_end = now_seconds() + seconds; now_seconds() < t_end;) {
    const double t0 = now_seconds();
    for (int i = 0; i < per; ++i) {
      if (which == 0) nnlab::gemm_nt(C.data(), A.data(), B.data(), bias.data(), M, N, K);
      if (which == 1) nnlab::gemm_nn(C.data(), A.data(), B.data(), M, N, K);
      if (which == 2) nnlab::gemm_tn_sgd(C.data(), A.data(), B.data(), M, N, K, 0, 1e-6f, 0.0f);
    }
    best = std::max(best, flop * per / (now_seconds() - t0) / 1e9);
  }
  return best;
}

// Max relative error of the linked gemm_nt/nn/tn/tn_sgd against naive loops on one shape.
EMSCRIPTEN_KEEPALIVE double nnlab_bench_check_gemm(int M, int N, int K) {
  namespace kc = nnlab::kernels_check;
  return kc::compare(kc::linked(), kc::Shape{M, N, K}).worst();
}

// Max relative error of gemm_nt/nn/tn against naive loops on awkward shapes.
EMSCRIPTEN_KEEPALIVE double nnlab_bench_check_kernels() { return nnlab::kernels_check::check_kernels(); }

}  // extern "C"
