// End to end on real digits: the prepared data/mnist directory (8,000 train /
// 2,000 test real MNIST images, see tools/prepare_data), loaded through the
// same IDX/gzip path the CLI uses.
#include <doctest.h>

#include <string>

#include "io.h"
#include "trainer.h"

using namespace nnlab;

TEST_CASE("e2e: [784,30,10] reaches >= 85% on the mnist directory after one epoch") {
  DataFiles data;
  const std::string dir = std::string(NNLAB_DATA_DIR) + "/mnist";
  Status s = load_data_dir(dir, data);
  REQUIRE_MESSAGE(s.ok(), s.message << " (run tools/prepare_data)");
  REQUIRE(data.test.count == 2000);
  TrainConfig c;  // chapter 3's choices: they learn fast enough for one epoch of 8,000 images
  c.net.sizes = {784, 30, 10};
  c.net.output = Act::Softmax;
  c.net.cost = Cost::CrossEntropy;
  c.init = Init::Scaled;
  c.eta = 0.5f;
  c.epochs = 1;
  Trainer t(c, std::move(data.train), std::move(data.test), Dataset{}, make_cpu_backend());
  REQUIRE(t.status().ok());
  while (t.state() == State::Training) t.step(1 << 30);
  REQUIRE(t.state() == State::Done);
  const EpochReport& r = t.metrics().epochs.at(0);
  MESSAGE("Epoch 0: " << r.test_correct << " / " << r.test_total);
  CHECK(r.test_correct >= 1700);
}
