// Limits of a run (issue 9): the memory budget against a hand count and
// against what Net and Trainer really allocate, refusal over a limit (CLI and
// session), buffers sized by min(batch, data), and the bounded loss history.
#include <doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "budget.h"
#include "model.h"
#include "run.h"
#include "session.h"
#include "synthetic.h"

using namespace nnlab;
using nnlab::testing::synthetic;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The CPU backend, counting the bytes alive in it.
struct CountingBackend : Backend {
  std::unique_ptr<Backend> be = make_cpu_backend();
  std::vector<uint64_t> sizes;  // by handle
  uint64_t live = 0, peak = 0;
  std::string name() const override { return be->name(); }
  Buf alloc(DType t, size_t n) override {
    Buf b = be->alloc(t, n);
    if (b == kNone) return b;
    if (size_t(b) >= sizes.size()) sizes.resize(size_t(b) + 1, 0);
    sizes[size_t(b)] = uint64_t(n) * (t == DType::U8 ? 1 : 4);
    live += sizes[size_t(b)];
    peak = std::max(peak, live);
    return b;
  }
  size_t max_buffer_bytes() const override { return be->max_buffer_bytes(); }
  void release(Buf b) override {
    if (b != kNone) live -= sizes[size_t(b)];
    be->release(b);
  }
  void write(Buf b, const void* s, size_t n, size_t o) override { be->write(b, s, n, o); }
  void read(Buf b, void* d, size_t n, size_t o) override { be->read(b, d, n, o); }
  void gather(Buf x, Buf y, Buf i, Buf l, Buf idx, int o, int B, int C) override { be->gather(x, y, i, l, idx, o, B, C); }
  void matmul_forward(Buf o, Buf i, Buf w, Buf b, int B, int C, int OC) override { be->matmul_forward(o, i, w, b, B, C, OC); }
  void matmul_backward(Buf di, Buf dw, Buf db, Buf d, Buf i, Buf w, int B, int C, int OC) override {
    be->matmul_backward(di, dw, db, d, i, w, B, C, OC);
  }
  void activation_forward(Buf a, Buf z, int B, int OC, Act act) override { be->activation_forward(a, z, B, OC, act); }
  void activation_backward(Buf dz, Buf da, Buf a, int B, int OC, Act act) override {
    be->activation_backward(dz, da, a, B, OC, act);
  }
  void output_backward(Buf dz, Buf loss, int slot, Buf z, Buf a, Buf y, int B, int OC, Act o, Cost c) override {
    be->output_backward(dz, loss, slot, z, a, y, B, OC, o, c);
  }
  void sgd_update(Buf p, Buf dp, Buf v, size_t n, float s, float l2, float m) override { be->sgd_update(p, dp, v, n, s, l2, m); }
  void eval_accumulate(Buf c, Buf a, Buf y, int B, int K) override { be->eval_accumulate(c, a, y, B, K); }
};

TrainConfig small_run() {
  TrainConfig c;
  c.net = NetConfig::mlp({16, 12, 4});
  c.batch = 5;
  c.momentum = 0.9f;
  c.epochs = 2;
  c.seed = 3;
  return c;
}

}  // namespace

TEST_CASE("budget: a small run's bytes, counted by hand") {
  const Budget b = run_budget(small_run(), {60, 10, 40});
  CHECK(b.rows == 256);  // max(min(5, 60), Net::kEvalChunk)
  // 16*12 + 12 + 12*4 + 4 = 256 floats
  CHECK(b.parameters == 1024);
  CHECK(b.gradients == 1024);
  CHECK(b.velocities == 1024);  // momentum > 0
  CHECK(b.staging == 1024);
  // 256 rows x (fc12 act+grad 24, sigmoid 24, fc4 8, output sigmoid 4, input 16) floats, + 256 i32 labels
  CHECK(b.activations == 256 * 76 * 4 + 256 * 4);
  // 110 images x (16 pixels + 1 label), 60 i32 order, 256 f32 loss slots, 4x4 i32 confusion
  CHECK(b.data == 110 * 17 + 60 * 4 + 256 * 4 + 16 * 4);
  CHECK(b.total() == 4 * 1024 + 78848 + 3198);
  TrainConfig plain = small_run();
  plain.momentum = 0;
  CHECK(run_budget(plain, {60, 10, 40}).velocities == 0);
}

TEST_CASE("budget: it is what a Net and a Trainer allocate") {
  for (float momentum : {0.0f, 0.5f}) {
    for (int batch : {5, 300, 1000000}) {  // below, above Net::kEvalChunk, far above the data
      TrainConfig c = small_run();
      c.momentum = momentum;
      c.batch = batch;
      Dataset train = synthetic(400, 16, 4, 1), test = synthetic(30, 16, 4, 2), validation = synthetic(20, 16, 4, 3);
      auto counting = std::make_unique<CountingBackend>();
      CountingBackend& be = *counting;
      Net net(c.net, std::move(counting), effective_batch(c.batch, train.count));
      Trainer t(c, net, train, test, validation);
      REQUIRE_MESSAGE(t.status().ok(), t.status().message);
      const Budget b = run_budget(c, {400, 20, 30});
      CHECK(net.rows() == b.rows);
      CHECK(be.peak == b.total() - b.staging);  // staging lives on the host
    }
  }
}

TEST_CASE("budget: a run over the limit is refused with the bytes it needs and the limit") {
  const TrainConfig c = small_run();
  const uint64_t need = run_budget(c, {60, 10, 40}).total();
  CHECK(check_budget(c, {60, 10, 40}, need).ok());
  Status s = check_budget(c, {60, 10, 40}, need - 1, "this page can use");
  REQUIRE(!s.ok());
  MESSAGE(s.message);
  CHECK(s.message == "memory: needs 86 KB (86,142 bytes) for 16-fc12-sigmoid-fc4-sigmoid at batch 5 and 110 images; "
                     "this page can use 86 KB");
  // Sizes whose bytes overflow 32 bits (the WASM size_t) and nearly any machine.
  TrainConfig huge;
  huge.net = NetConfig::mlp({784, 1, 1000000, 1000000, 10});
  const uint64_t bytes = run_budget(huge, {60000, 0, 10000}).total();
  CHECK(bytes > 4000000000000ull);  // 10^12 weights, 4 bytes each, twice
  s = check_budget(huge, {60000, 0, 10000}, uint64_t(1) << 30, "this machine has");
  CHECK(contains(s.message, "needs 12.0 TB ("));
  CHECK(contains(s.message, "784-fc1-sigmoid-fc1000000-sigmoid-fc1000000-sigmoid-fc10-sigmoid at batch 10 and 70,000 images"));
  CHECK(contains(s.message, "this machine has 1.1 GB"));
  CHECK(format_bytes(999) == "999 bytes");
  CHECK(format_bytes(318000000) == "318 MB");
}

TEST_CASE("net rows: min(batch, training images); a batch beyond the data trains as the whole set") {
  CHECK(effective_batch(1000000, 2000) == 2000);
  CHECK(effective_batch(10, 2000) == 10);
  CHECK(effective_batch(300, 0) == 300);  // inference only: the batch itself
  TrainConfig c = small_run();
  c.momentum = 0;
  c.batch = 1000000;
  Dataset train = synthetic(300, 16, 4, 1), test = synthetic(30, 16, 4, 2);
  Net big(c.net, make_cpu_backend(), effective_batch(c.batch, train.count));
  CHECK(big.rows() == 300);
  Trainer a(c, big, train, test, Dataset{});
  REQUIRE_MESSAGE(a.status().ok(), a.status().message);
  while (a.step(100) > 0) {
  }
  c.batch = 300;  // the same schedule: one batch of 300 per epoch, eta/300
  Run b(c, train, test);
  while (b.step(100) > 0) {
  }
  CHECK(a.metrics().batch_loss == b.metrics().batch_loss);
  CHECK(big.parameters().weights == b.model().weights);
  // A net with fewer rows than the effective batch is still refused.
  Net small(c.net, make_cpu_backend(), 16);  // 256 rows
  Trainer refused(c, small, train, test, Dataset{});
  CHECK(refused.status().message.find("batch: 300 rows, but the network holds 256") == 0);
}

TEST_CASE("loss history: at most max_points points, pairs merged into their mean") {
  Metrics m;
  for (int i = 1; i <= 8; ++i) record_batch_loss(m, float(i), 8);
  // Full at 8: merged into 4 points of 2 batches each.
  CHECK(m.batch_loss == std::vector<float>{1.5f, 3.5f, 5.5f, 7.5f});
  CHECK(m.loss_stride == 2);
  CHECK(m.batches_done == 8);
  record_batch_loss(m, 9, 8);  // half a point: not shown yet
  CHECK(m.batch_loss.size() == 4);
  record_batch_loss(m, 10, 8);
  CHECK(m.batch_loss.back() == 9.5f);
  for (int i = 11; i <= 1000; ++i) record_batch_loss(m, float(i), 8);
  CHECK(m.batches_done == 1000);
  CHECK(m.batch_loss.size() <= 8);
  CHECK(m.batch_loss.size() >= 4);
  // Point k is the mean of batches [k*stride, (k+1)*stride), i.e. of the numbers k*stride+1 .. (k+1)*stride.
  for (size_t k = 0; k < m.batch_loss.size(); ++k)
    CHECK(m.batch_loss[k] == doctest::Approx(double(k) * m.loss_stride + (m.loss_stride + 1) / 2.0));
  CHECK(size_t(m.batches_done) >= m.batch_loss.size() * size_t(m.loss_stride));
  // A non-finite batch stays visible after merging.
  Metrics n;
  for (int i = 0; i < 20; ++i) record_batch_loss(n, i == 3 ? NAN : 1.0f, 4);
  CHECK(std::isnan(n.batch_loss[0]));
}

TEST_CASE("loss history: a trainer with a small bound keeps means of its batches") {
  TrainConfig c = small_run();
  c.epochs = 6;  // 6 x 12 = 72 batches
  Dataset train = synthetic(60, 16, 4, 1), test = synthetic(20, 16, 4, 2);
  Run full(c, train, test), bounded(c, train, test);
  bounded.limit_loss_points(16);
  while (full.step(7) > 0) {
  }
  while (bounded.step(7) > 0) {
  }
  REQUIRE(full.metrics().batch_loss.size() == 72);
  CHECK(bounded.metrics().batches_done == 72);
  const Metrics& b = bounded.metrics();
  CHECK(b.loss_stride == 8);  // 72 batches in at most 16 points: 9 points of 8
  REQUIRE(b.batch_loss.size() == 9);
  for (size_t k = 0; k < b.batch_loss.size(); ++k) {
    double sum = 0;
    for (int j = 0; j < b.loss_stride; ++j) sum += full.metrics().batch_loss[k * size_t(b.loss_stride) + size_t(j)];
    CHECK(b.batch_loss[k] == doctest::Approx(sum / b.loss_stride).epsilon(1e-5));
  }
  CHECK(full.model().weights == bounded.model().weights);  // only the history differs
}

namespace {

// A session with a 28x28 data set already loaded (as if fetched).
void load(Session& s, int train, int test) {
  s.data.train = synthetic(train, 784, 10, 1);
  s.data.test = synthetic(test, 784, 10, 2);
  for (Dataset* d : {&s.data.train, &s.data.test}) d->rows = d->cols = 28;
  s.data_ready = true;
  s.data_loaded_from = s.data_base;
  s.predictions.assign(size_t(test), -1);
}

}  // namespace

TEST_CASE("session: a run over memory_limit is refused cleanly; the session keeps working") {
  Session s;
  load(s, 500, 100);
  REQUIRE(s.apply_query("sizes=784,100000,10&epochs=1").ok());
  s.memory_limit = 64 << 20;
  s.start();
  CHECK(s.phase() == Phase::Error);
  CHECK(!s.run());
  CHECK(!s.net);
  MESSAGE(s.error);
  CHECK(s.error.find("memory: needs ") == 0);
  CHECK(contains(s.error, "784-fc100000-sigmoid-fc10-sigmoid at batch 10 and 600 images; this page can use 67 MB"));
  CHECK(contains(s.status_json(), "\"state\":\"error\""));
  // A run that fits starts.
  REQUIRE(s.set("sizes", "784,30,10").ok());
  s.start();
  CHECK(s.phase() == Phase::Training);
  CHECK(s.error.empty());
}

TEST_CASE("session: a checkpoint whose network is over memory_limit is refused, the model kept") {
  Session s;
  load(s, 500, 100);
  REQUIRE(s.apply_query("sizes=784,30,10&epochs=1").ok());
  s.start();
  REQUIRE(s.phase() == Phase::Training);
  const Model before = s.net->parameters();
  // A valid 318 MB model is too big to build here; a small model with a small limit stands for it.
  Rng rng(1);
  const std::vector<uint8_t> file = save_model(init_model(NetConfig::mlp({784, 2000, 10}), Init::Normal, rng));
  s.memory_limit = 32 << 20;
  Status st = s.load_checkpoint(file.data(), file.size(), "big.nnlb");
  MESSAGE(st.message);
  CHECK(st.message.find("big.nnlb: memory: needs ") == 0);
  CHECK(contains(st.message, "784-fc2000-sigmoid-fc10-sigmoid"));
  CHECK(s.net->parameters().weights == before.weights);
  CHECK(s.phase() == Phase::Training);
  s.memory_limit = 0;  // no limit: it loads
  CHECK(s.load_checkpoint(file.data(), file.size(), "big.nnlb").ok());
  CHECK(s.net->config() == NetConfig::mlp({784, 2000, 10}));
}

TEST_CASE("session: a long run's history stays bounded; smoothed loss and batchesDone follow it") {
  Session s;
  load(s, 200, 50);
  REQUIRE(s.apply_query("sizes=784,10,10&epochs=8&batch=2").ok());  // 8 x 100 = 800 batches
  s.max_loss_points = 64;
  s.start();
  REQUIRE(s.phase() == Phase::Training);
  s.fixed_budget = 0.0005;  // many small steps, so merges happen between ticks too
  double now = 0;
  for (int i = 0; i < 100000 && s.phase() == Phase::Training; ++i) {
    s.tick(now += 0.03);
    const Metrics& m = s.run()->metrics;
    REQUIRE(m.batch_loss.size() <= 64);
    REQUIRE(s.smooth_loss.size() == m.batch_loss.size());
  }
  REQUIRE(s.phase() == Phase::Done);
  const Metrics& m = s.run()->metrics;
  CHECK(m.batches_done == 800);
  CHECK(m.loss_stride == 16);  // 800 batches in at most 64 points: 50 points of 16
  CHECK(m.batch_loss.size() == 50);
  for (float v : s.smooth_loss) CHECK(std::isfinite(v));
  CHECK(contains(s.status_json(), "\"batchesDone\":800"));
}
