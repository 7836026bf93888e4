// Run files: a run saved between epochs and continued by another trainer (in
// another process, for the CLI's --resume) is the run that never stopped.
#include <doctest.h>

#include <string>
#include <vector>

#include "params.h"
#include "run.h"
#include "run_file.h"
#include "synthetic.h"

using namespace nnlab;
using nnlab::testing::synthetic;

namespace {

// Every part of the state a run file keeps is in play: conv, two dropout
// layers (their pass count), momentum (its velocity), L2, a validation set, a
// last batch smaller than the others (43 = 6 x 7 + 1).
TrainConfig resume_config(int epochs) {
  TrainConfig c;
  REQUIRE(set_params(c, "net=1x4x4-conv3x3-relu-dropout0.25-fc8-relu-dropout0.5-fc4-softmax&cost=cross-entropy"
                        "&init=scaled&batch=7&eta=0.3&lambda=0.5&momentum=0.5&seed=5&validation=17")
              .ok());
  c.epochs = epochs;
  return c;
}

struct Data {
  Dataset train = synthetic(60, 16, 4, 21), test = synthetic(30, 16, 4, 22), validation;
  Data() { validation = split_tail(train, 17); }
};

void finish(Trainer& t) {
  while (t.state() == State::Training) t.step(1 << 30);
}

}  // namespace

TEST_CASE("resume: a run saved after 2 epochs and continued in a new trainer is bit for bit the run of 4") {
  Data d;
  Run straight(resume_config(4), d.train, d.test, d.validation);
  REQUIRE(straight.status().ok());
  finish(straight);
  REQUIRE(straight.state() == State::Done);

  // Saved from a run that ended after 2 epochs, or from one stopped after 2 of its 4.
  Run first(resume_config(2), d.train, d.test, d.validation);
  finish(first);
  REQUIRE(first.state() == State::Done);
  Run stopped(resume_config(4), d.train, d.test, d.validation);
  while (stopped.metrics().epochs.size() < 2) stopped.step(1 << 30);
  for (bool mid : {false, true}) {
    CAPTURE(mid);
    const std::vector<uint8_t> file = mid ? stopped.save_run() : first.save_run();
    REQUIRE(!file.empty());

    // A new trainer (its own fresh parameters and shuffle) takes the file over.
    Run second(resume_config(4), d.train, d.test, d.validation);
    REQUIRE(second.model().weights != first.model().weights);
    Status s = second.load_run(file.data(), file.size(), "run.nnlr");
    REQUIRE_MESSAGE(s.ok(), s.message);
    CHECK(second.state() == State::Training);
    CHECK(second.metrics().epoch == 2);
    CHECK(second.metrics().epochs.size() == 2);
    finish(second);
    REQUIRE(second.state() == State::Done);

    CHECK(second.model().weights == straight.model().weights);
    CHECK(second.model().biases == straight.model().biases);
    const Metrics &a = second.metrics(), &b = straight.metrics();
    CHECK(a.batch_loss == b.batch_loss);
    CHECK(a.batches_done == b.batches_done);
    CHECK(a.test_accuracy == b.test_accuracy);
    CHECK(a.validation_accuracy == b.validation_accuracy);
    CHECK(a.confusion == b.confusion);
    REQUIRE(a.epochs.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
      CHECK(a.epochs[i].test_correct == b.epochs[i].test_correct);
      CHECK(a.epochs[i].validation_correct == b.epochs[i].validation_correct);
      CHECK(a.epochs[i].mean_loss == b.epochs[i].mean_loss);
    }
  }
  // The file of a finished run continues to nothing: it is Done as loaded.
  Run again(resume_config(4), d.train, d.test, d.validation);
  const std::vector<uint8_t> done = straight.save_run();
  REQUIRE(again.load_run(done.data(), done.size(), "done.nnlr").ok());
  CHECK(again.state() == State::Done);
  CHECK(again.model().weights == straight.model().weights);
}

TEST_CASE("resume: step() stops at an epoch's end, the one place a run is saved") {
  Data d;
  Run t(resume_config(3), d.train, d.test, d.validation);
  CHECK(t.between_epochs());  // before the first batch
  t.step(1);
  CHECK_FALSE(t.between_epochs());
  CHECK(t.save_run().empty());
  // One step call with room for the whole run still ends at the first epoch's end.
  t.step(1 << 30);
  CHECK(t.metrics().epochs.size() == 1);
  CHECK(t.between_epochs());
  CHECK(!t.save_run().empty());
}

TEST_CASE("resume: a corrupt, truncated or foreign run file is refused, named, and changes nothing") {
  Data d;
  Run saved(resume_config(1), d.train, d.test, d.validation);
  finish(saved);
  const std::vector<uint8_t> file = saved.save_run();
  REQUIRE(!file.empty());

  Run t(resume_config(3), d.train, d.test, d.validation);
  const Model before = t.model();
  auto refused = [&](const std::vector<uint8_t>& bytes, const std::string& expected) {
    Status s = t.load_run(bytes.data(), bytes.size(), "r.nnlr");
    CHECK_FALSE(s.ok());
    CHECK_MESSAGE(s.message.find("r.nnlr: " + expected) == 0, s.message);
  };
  std::vector<uint8_t> flipped = file;
  flipped[file.size() / 2] ^= 0x10;
  refused(flipped, "checksum mismatch");
  refused(std::vector<uint8_t>(file.begin(), file.end() - 9), "checksum mismatch");
  refused({}, "empty file");
  refused(save_model(saved.model()), "not an nnlab run file");

  // A well-formed file of another run: each names what differs.
  TrainConfig other = resume_config(1);
  other.eta = 0.25f;
  Run eta(other, d.train, d.test, d.validation);
  finish(eta);
  refused(eta.save_run(), "the run was saved with eta 0.25, not 0.3");
  Data fewer;
  fewer.train.count = 40, fewer.train.images.resize(40 * 16), fewer.train.labels.resize(40);
  Run small(resume_config(1), fewer.train, d.test, d.validation);
  finish(small);
  refused(small.save_run(), "the run had 40 training images, this data 43");
  // A file whose checksum is right but whose fields do not agree (made by another program).
  RunFile run;
  REQUIRE(read_run_file(file.data(), file.size(), "r.nnlr", run).ok());
  run.metrics.epoch = 5;
  refused(write_run_file(run), "inconsistent metrics");
  REQUIRE(read_run_file(file.data(), file.size(), "r.nnlr", run).ok());
  run.velocity.pop_back();
  refused(write_run_file(run), "its momentum does not fit");

  // Nothing changed: the trainer still runs from its own start, as a trainer that saw no file.
  CHECK(t.model().weights == before.weights);
  CHECK(t.metrics().epochs.empty());
  finish(t);
  Run clean(resume_config(3), d.train, d.test, d.validation);
  finish(clean);
  CHECK(t.model().weights == clean.model().weights);
}
