// Whole training runs on the OpenGL backend against the CPU backend from the
// same seed: weights, accuracy, loss and evaluation must agree. They skip with a
// message where no GL 4.3 context can be made.
#include <doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "backend.h"
#include "gl_backend.h"
#include "gl_context.h"
#include "gl_skip.h"
#include "io.h"
#include "params.h"
#include "synthetic.h"
#include "run.h"

using namespace nnlab;

namespace {

using nnlab::testing::skip_or_fail;

// The first `n` images of a data set.
Dataset head(const Dataset& d, int n) {
  Dataset out = d;
  out.count = std::min(n, d.count);
  out.images.resize(size_t(out.count) * d.pixels());
  out.labels.resize(size_t(out.count));
  return out;
}

// data/mnist (NNLAB_DATA_DIR) when prepared, else synthetic digits-sized data.
void training_data(int n_train, int n_test, Dataset& train, Dataset& test) {
  const std::string dir = std::string(NNLAB_DATA_DIR) + "/mnist";
  DataFiles files;
  if (std::filesystem::exists(dir) && load_data_dir(dir, files).ok()) {
    train = head(files.train, n_train);
    test = head(files.test, n_test);
    MESSAGE("data: " << dir);
  } else {
    train = nnlab::testing::synthetic(n_train + n_test, 784, 10, 1);  // one set of class prototypes
    test = split_tail(train, n_test);
    MESSAGE("data: synthetic (" << dir << " is absent)");
  }
}

double rel_norm(const std::vector<float>& g, const std::vector<float>& c) {
  double d = 0, n = 0;
  for (size_t i = 0; i < c.size(); ++i) d += double(g[i] - c[i]) * (g[i] - c[i]), n += double(c[i]) * c[i];
  return std::sqrt(d / n);
}

// Trains one epoch (n_train / batch batches) on both devices from the same seed
// and compares weights, accuracy and evaluation.
void compare_runs(const TrainConfig& cfg, int n_train, int n_test) {
  Dataset train, test;
  training_data(n_train, n_test, train, test);
  Status why;
  std::unique_ptr<Backend> gl = make_gl_backend(why);
  if (!gl) {
    skip_or_fail(why);
    return;
  }
  Run cpu(cfg, train, test, Dataset{}, make_cpu_backend());
  Run gpu(cfg, train, test, Dataset{}, std::move(gl));
  REQUIRE_MESSAGE(cpu.status().ok(), cpu.status().message);
  REQUIRE_MESSAGE(gpu.status().ok(), gpu.status().message);
  while (cpu.state() == State::Training) cpu.step(1000);
  while (gpu.state() == State::Training) gpu.step(1000);
  REQUIRE(cpu.state() == State::Done);
  REQUIRE(gpu.state() == State::Done);
  CHECK(gpu.metrics().batch_loss.size() == size_t(n_train / cfg.batch));

  Model mc = cpu.model(), mg = gpu.model();
  for (int l = 0; l < mc.layers(); ++l) {
    CAPTURE(l);
    double ew = rel_norm(mg.weights[l], mc.weights[l]), eb = rel_norm(mg.biases[l], mc.biases[l]);
    MESSAGE("layer " << l << ": |W_gpu - W_cpu| / |W_cpu| = " << ew << ", biases " << eb);
    CHECK(ew < 1e-3);
    CHECK(eb < 1e-3);
  }
  const float acc_c = cpu.metrics().test_accuracy.back(), acc_g = gpu.metrics().test_accuracy.back();
  MESSAGE("test accuracy: cpu " << acc_c << ", gpu " << acc_g);
  CHECK(acc_c > 0.2f);  // twice chance: it learned, so the comparison means something
  CHECK(std::fabs(acc_c - acc_g) <= 0.005f);
  const float loss_c = cpu.metrics().batch_loss.back(), loss_g = gpu.metrics().batch_loss.back();
  CHECK(std::fabs(loss_g - loss_c) <= 1e-3f * std::fabs(loss_c) + 1e-6f);

  // Evaluation on the GPU equals the CPU's for the same weights.
  REQUIRE(gpu.set_model(mc).ok());
  std::vector<int> conf_c, conf_g;
  const int correct_c = cpu.evaluate(test, conf_c), correct_g = gpu.evaluate(test, conf_g);
  CHECK(correct_c == correct_g);
  CHECK(conf_c == conf_g);
}

}  // namespace

TEST_CASE("gl: 200 batches of network.py's SGD agree with the CPU") {
  TrainConfig cfg;  // [784,30,10] sigmoid, quadratic cost, batch 10, eta 3 (chapter 1)
  cfg.epochs = 1;
  cfg.seed = 5;
  compare_runs(cfg, 2000, 1000);
}

TEST_CASE("gl: softmax + cross-entropy with momentum and L2 agree with the CPU") {
  TrainConfig cfg;
  cfg.net = NetConfig::mlp({784, 40, 10}, cfg.net.hidden(), cfg.net.output(), cfg.net.cost);
  cfg.net = NetConfig::mlp(cfg.net.sizes(), Act::Relu, cfg.net.output(), cfg.net.cost);
  cfg.net.layers.back().kind = LayerKind::Softmax;
  cfg.net.cost = Cost::CrossEntropy;
  cfg.init = Init::Scaled;
  cfg.epochs = 1;
  cfg.batch = 20;
  cfg.eta = 0.1f;
  cfg.lambda = 5.0f;
  cfg.momentum = 0.9f;
  cfg.seed = 6;
  compare_runs(cfg, 2000, 1000);
}

TEST_CASE("gl: a conv net with max-pooling and dropout agrees with the CPU") {
  // Two conv layers (valid, then same padding), two pools (one with overlapping
  // windows) and two dropouts: every new op, forward and backward, for 100 batches.
  TrainConfig cfg;
  REQUIRE(parse_net("784-conv6x5-relu-pool2-conv8x3same-relu-pool3s2-dropout0.2-fc30-relu-dropout0.5-fc10-softmax",
                    cfg.net)
              .ok());
  cfg.net.cost = Cost::CrossEntropy;
  cfg.init = Init::Network3;
  cfg.epochs = 1;
  cfg.batch = 10;
  cfg.eta = 0.1f;
  cfg.seed = 7;
  compare_runs(cfg, 1000, 500);
}

TEST_CASE("gl: a run saved between epochs continues on the GPU as if it never stopped") {
  // The run file's state (momentum read back from GPU buffers, dropout's pass count, the shuffle)
  // on the GL backend; and a file saved by the CPU continues there, within the devices' usual gap.
  TrainConfig cfg;
  REQUIRE(set_params(cfg, "net=1x8x8-conv4x3-relu-pool2-dropout0.25-fc12-relu-dropout0.5-fc4-softmax"
                          "&cost=cross-entropy&init=scaled&batch=7&eta=0.2&momentum=0.5&lambda=0.5&seed=9")
              .ok());
  const Dataset train = nnlab::testing::synthetic(90, 64, 4, 31), test = nnlab::testing::synthetic(40, 64, 4, 32);
  Status why;
  auto gl = [&] { return make_gl_backend(why); };
  if (!gl()) {
    skip_or_fail(why);
    return;
  }
  auto finish = [](Trainer& t) {
    while (t.state() == State::Training) t.step(1 << 30);
    REQUIRE(t.state() == State::Done);
  };
  cfg.epochs = 3;
  Run straight(cfg, train, test, Dataset{}, gl());
  finish(straight);
  Run cpu_straight(cfg, train, test, Dataset{}, make_cpu_backend());
  finish(cpu_straight);
  cfg.epochs = 1;
  Run first(cfg, train, test, Dataset{}, gl());
  finish(first);
  Run cpu_first(cfg, train, test, Dataset{}, make_cpu_backend());
  finish(cpu_first);
  cfg.epochs = 3;
  for (bool from_cpu : {false, true}) {
    CAPTURE(from_cpu);
    const std::vector<uint8_t> file = from_cpu ? cpu_first.save_run() : first.save_run();
    REQUIRE(!file.empty());
    Run second(cfg, train, test, Dataset{}, gl());
    Status s = second.load_run(file.data(), file.size(), "gl.nnlr");
    REQUIRE_MESSAGE(s.ok(), s.message);
    finish(second);
    const Model got = second.model(), want = from_cpu ? cpu_straight.model() : straight.model();
    for (int l = 0; l < got.layers(); ++l) {
      CAPTURE(l);
      if (from_cpu) {  // GPU epochs after CPU ones: as close as the two devices' runs are
        CHECK(rel_norm(got.weights[size_t(l)], want.weights[size_t(l)]) < 1e-3);
      } else {
        CHECK(got.weights[size_t(l)] == want.weights[size_t(l)]);
        CHECK(got.biases[size_t(l)] == want.biases[size_t(l)]);
      }
    }
    if (!from_cpu) CHECK(second.metrics().batch_loss == straight.metrics().batch_loss);
  }
}
