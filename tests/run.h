// A Net and the Trainer over it in one object, for tests that only care about
// a whole run: Run r(cfg, train, test) reads like the Trainer it is.
#pragma once
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

}  // namespace nnlab
