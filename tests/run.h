// A Net and the Trainer over it in one object, for tests that only care about
// a whole run: Run r(cfg, train, test) reads like the Trainer it is.
#pragma once
#include <doctest.h>

#include <memory>
#include <vector>

#include "net.h"
#include "trainer.h"

namespace nnlab {

struct OwnedNet {
  Net owned_net;
  OwnedNet(const NetConfig& n, std::unique_ptr<Backend> be, int batch) : owned_net(n, std::move(be), batch) {}
};

struct Run : OwnedNet, Trainer {
  Run(const TrainConfig& c, Dataset train, Dataset test, Dataset validation = Dataset{},
      std::unique_ptr<Backend> be = make_cpu_backend())
      : OwnedNet(c.net, std::move(be), c.batch),
        Trainer(c, owned_net, std::move(train), std::move(test), std::move(validation)) {}
  Model model() const { return owned_net.parameters(); }
  Status set_model(const Model& m) { return owned_net.set_parameters(m); }
  int evaluate(const Dataset& d, std::vector<int>& confusion) { return owned_net.evaluate(d, confusion); }
  std::vector<int> predict_labels(const Dataset& d, int first, int n) { return owned_net.predict_labels(d, first, n); }
};

// Trains c on 1, 2 and 3 CPU threads and checks that all three end with the same weights,
// biases and batch losses, bit for bit; returns the 1-thread run's model.
inline Model check_threads_identical(const TrainConfig& c, const Dataset& train, const Dataset& test) {
  std::vector<Model> models;
  std::vector<std::vector<float>> losses;
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    Run r(c, train, test, Dataset{}, make_cpu_backend(threads));
    REQUIRE(r.status().ok());
    while (r.state() == State::Training) r.step(1 << 30);
    models.push_back(r.model());
    losses.push_back(r.metrics().batch_loss);
  }
  for (size_t i = 1; i < models.size(); ++i) {
    CAPTURE(i);
    CHECK(models[i].weights == models[0].weights);
    CHECK(models[i].biases == models[0].biases);
    CHECK(losses[i] == losses[0]);
  }
  return models[0];
}

}  // namespace nnlab
