// End to end on real digits: the prepared data/mnist directory (the official
// MNIST, 60,000 train / 10,000 test, see tools/prepare_data), loaded through the
// same IDX/gzip path and the same validation split the CLI uses.
#include <doctest.h>

#include <string>

#include "io.h"
#include "run.h"

using namespace nnlab;

TEST_CASE("e2e: network.py's run ([784,30,10], ch. 1 defaults) reaches >= 80% on MNIST after one epoch") {
  DataFiles data;
  const std::string dir = std::string(NNLAB_DATA_DIR) + "/mnist";
  Status s = load_data_dir(dir, data);
  REQUIRE_MESSAGE(s.ok(), s.message << " (run tools/prepare_data)");
  REQUIRE(data.train.count == 60000);
  REQUIRE(data.test.count == 10000);
  TrainConfig c;  // the defaults are network.py's: sigmoid, quadratic, N(0,1), batch 10, eta 3
  c.epochs = 1;
  Dataset validation;
  REQUIRE(split_validation(c.validation, data.train, validation).ok());
  CHECK(data.train.count == 50000);  // Nielsen's split by default
  CHECK(validation.count == 10000);
  Run t(c, std::move(data.train), std::move(data.test), std::move(validation), make_cpu_backend());
  REQUIRE(t.status().ok());
  while (t.state() == State::Training) t.step(1 << 30);
  REQUIRE(t.state() == State::Done);
  const EpochReport& r = t.metrics().epochs.at(0);
  MESSAGE("Epoch 0: " << r.test_correct << " / " << r.test_total << " (book: 9129 / 10000)");
  CHECK(r.test_total == 10000);
  CHECK(r.test_correct >= 8000);
  CHECK(r.validation_total == 10000);
  CHECK(r.validation_correct >= 8000);
}
