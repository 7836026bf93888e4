// Engine behaviour: random numbers, config validation, checkpoints, and the
// trainer's contract (reproducibility, overfitting, divergence, pause, eta).
#include <doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>

#include <zlib.h>

#include "config.h"
#include "model.h"
#include "parallel.h"
#include "params.h"
#include "rng.h"
#include "synthetic.h"
#include "net.h"
#include "run.h"

using namespace nnlab;
using nnlab::testing::synthetic;

TEST_CASE("rng: PCG32 matches the reference generator's published output") {
  // pcg32-demo (pcg-random.org's minimal C library), seed 42, stream 54.
  Rng rng(42, 54);
  const uint32_t expected[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e};
  for (uint32_t e : expected) CHECK(rng.next_u32() == e);
}

TEST_CASE("rng: Box-Muller normals match an independent Python implementation, as float32") {
  // The same numbers under g++ and em++ (this test runs under both) is what
  // makes a seed reproduce a run anywhere. Reference: PCG32 + Box-Muller in
  // Python's math module, rounded to float32, seed 1.
  Rng rng(1);
  const float expected[] = {0.47920456528663635f, -1.2801710367202759f, -0.5073405504226685f,
                            -1.2137659788131714f, -0.339042991399765f,  0.4302159547805786f,
                            0.19682244956493378f, -1.188217282295227f};
  for (float e : expected) CHECK(float(rng.normal()) == e);
}

TEST_CASE("rng: normal() has mean 0 and variance 1, shuffle is a permutation") {
  Rng rng(7);
  double sum = 0, sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double v = rng.normal();
    sum += v, sq += v * v;
  }
  CHECK(std::fabs(sum / n) < 0.01);
  CHECK(std::fabs(sq / n - 1.0) < 0.02);
  std::vector<int32_t> v(1000);
  std::iota(v.begin(), v.end(), 0);
  rng.shuffle(v);
  std::vector<int32_t> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) CHECK(sorted[size_t(i)] == i);
  int fixed = 0;
  for (int i = 0; i < 1000; ++i) fixed += v[size_t(i)] == i;
  CHECK(fixed < 10);  // a shuffle that moves nothing would fail here
}

TEST_CASE("config: every impossible hyper-parameter is refused, naming the field") {
  TrainConfig ok;
  CHECK(validate(ok).ok());
  auto fails_on = [&](TrainConfig c, const char* field) {
    Status s = validate(c);
    CHECK_FALSE(s.ok());
    CHECK(s.message.find(field) == 0);
  };
  TrainConfig c = ok;
  c.batch = 0;
  fails_on(c, "batch");
  c = ok, c.eta = -1;
  fails_on(c, "eta");
  c = ok, c.eta = NAN;
  fails_on(c, "eta");
  c = ok, c.epochs = 0;
  fails_on(c, "epochs");
  c = ok, c.lambda = -0.1f;
  fails_on(c, "lambda");
  c = ok, c.momentum = 1.0f;
  fails_on(c, "momentum");
  c = ok, c.net = NetConfig::mlp(c.net.sizes(), Act::Softmax, c.net.output(), c.net.cost);
  fails_on(c, "net: softmax is for the output layer only");
  c = ok, c.net.layers.back().kind = LayerKind::Relu;
  fails_on(c, "net: the last layer must be the output activation");
  c = ok, c.net.layers.clear();
  fails_on(c, "net:");
  std::vector<int> sizes;
  CHECK(parse_sizes("784,30,10", sizes).ok());
  CHECK(sizes == std::vector<int>{784, 30, 10});
  CHECK_FALSE(parse_sizes("784", sizes).ok());
  CHECK_FALSE(parse_sizes("784,,10", sizes).ok());
  CHECK_FALSE(parse_sizes("784,-3,10", sizes).ok());
  CHECK_FALSE(parse_sizes("784,x", sizes).ok());
  c = ok;
  CHECK(set_param(c, "cost", "cross-entropy").ok());
  CHECK(c.net.cost == Cost::CrossEntropy);
  Status s = set_param(c, "cost", "hinge");
  CHECK(s.message.find("hinge") != std::string::npos);
}

TEST_CASE("net: the text form names every layer and round-trips; Nielsen's sizes are its shorthand") {
  NetConfig n;
  CHECK(format_net(n) == "784-fc30-sigmoid-fc10-sigmoid");  // network.py's [784, 30, 10]
  CHECK(n == NetConfig::mlp({784, 30, 10}));
  CHECK(n.sizes() == std::vector<int>{784, 30, 10});
  NetConfig m;
  REQUIRE(parse_net("100-fc64-relu-fc32-tanh-fc5-softmax", m).ok());
  CHECK(m.inputs == 100);
  CHECK(m.layers.size() == 6);
  CHECK(m.sizes() == std::vector<int>{100, 64, 32, 5});
  CHECK(m.hidden() == Act::Relu);
  CHECK(m.output() == Act::Softmax);
  CHECK(format_net(m) == "100-fc64-relu-fc32-tanh-fc5-softmax");
  NetConfig keep = m;
  for (const char* bad : {"", "fc30-sigmoid", "784", "784-fc0-sigmoid", "784-fc30-relu", "784-fc30-softmax-fc10-sigmoid",
                          "784-conv5-sigmoid", "784-fc10-softmax-", "784-fc1-softmax", "784--fc10-sigmoid"}) {
    CAPTURE(bad);
    Status s = parse_net(bad, m);
    CHECK_FALSE(s.ok());
    CHECK(s.message.find("net: '") == 0);
    CHECK(m == keep);  // untouched on failure
  }
  TrainConfig c;
  REQUIRE(set_param(c, "net", "784-fc100-relu-fc10-softmax").ok());
  CHECK(param_text(c, *find_param("sizes")) == "784,100,10");
  CHECK(param_text(c, *find_param("activation")) == "relu");
  CHECK(param_text(c, *find_param("output")) == "softmax");
  REQUIRE(set_param(c, "sizes", "784,50,20,10").ok());  // keeps the activations
  CHECK(format_net(c.net) == "784-fc50-relu-fc20-relu-fc10-softmax");
  REQUIRE(set_param(c, "activation", "tanh").ok());
  CHECK(format_net(c.net) == "784-fc50-tanh-fc20-tanh-fc10-softmax");
  CHECK_FALSE(set_param(c, "sizes", "784,1").ok());  // a softmax of one output
  // A float setting prints as the shortest text that reads back to the same float.
  for (const char* eta : {"0.2", "0.03", "3", "1e-07", "0.1234567"}) {
    CAPTURE(eta);
    REQUIRE(set_param(c, "eta", eta).ok());
    CHECK(param_text(c, *find_param("eta")) == eta);
  }
}

static TrainConfig small_config() {
  TrainConfig c;
  c.net = NetConfig::mlp({16, 12, 4}, c.net.hidden(), c.net.output(), c.net.cost);
  c.epochs = 3;
  c.batch = 5;
  c.eta = 1.0f;
  c.seed = 11;
  return c;
}

static Run make_trainer(const TrainConfig& c, int train = 60, int test = 40, uint64_t data_seed = 3) {
  int px = c.net.sizes().front(), k = c.net.sizes().back();
  Dataset tr = synthetic(train, px, k, data_seed), te = synthetic(test, px, k, data_seed + 1);
  return Run(c, std::move(tr), std::move(te), Dataset{}, make_cpu_backend());
}

static void run(Run& t) {
  while (t.state() == State::Training) t.step(1000);
}

TEST_CASE("checkpoint: save/load round trip restores every parameter") {
  Rng rng(5);
  NetConfig net;
  net = NetConfig::mlp({7, 5, 3}, Act::Tanh, Act::Softmax, Cost::CrossEntropy);
  Model m = init_model(net, Init::Scaled, rng);
  std::vector<uint8_t> bytes = save_model(m);
  Model back;
  REQUIRE(load_model(bytes.data(), bytes.size(), "m.nnlab", back).ok());
  CHECK(back.net == net);
  CHECK(back.net.cost == Cost::CrossEntropy);
  CHECK(back.weights == m.weights);
  CHECK(back.biases == m.biases);
}

// Little-endian u32s, as the checkpoint writes them.
static std::vector<uint8_t> u32s(std::initializer_list<uint32_t> values) {
  std::vector<uint8_t> out;
  for (uint32_t v : values)
    for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
  return out;
}

TEST_CASE("checkpoint: version 2 stores the layer list with pinned codes") {
  // Written into files: these numbers never change.
  CHECK(uint32_t(LayerKind::Dense) == 1);
  CHECK(uint32_t(LayerKind::Sigmoid) == 2);
  CHECK(uint32_t(LayerKind::Tanh) == 3);
  CHECK(uint32_t(LayerKind::Relu) == 4);
  CHECK(uint32_t(LayerKind::Softmax) == 5);
  CHECK(uint32_t(Cost::Quadratic) == 0);
  CHECK(uint32_t(Cost::CrossEntropy) == 1);
  Rng rng(5);
  const NetConfig net = NetConfig::mlp({7, 5, 3}, Act::Relu, Act::Softmax, Cost::CrossEntropy);
  const std::vector<uint8_t> bytes = save_model(init_model(net, Init::Scaled, rng));
  const std::vector<uint8_t> header = u32s({2, 1, 7, 4, 1, 5, 4, 0, 1, 3, 5, 0});
  REQUIRE(bytes.size() > 4 + header.size());
  CHECK(std::string(bytes.begin(), bytes.begin() + 4) == "NNLB");
  CHECK(std::vector<uint8_t>(bytes.begin() + 4, bytes.begin() + 4 + long(header.size())) == header);
  CHECK(bytes.size() == 4 + header.size() + 4 * (7 * 5 + 5 + 5 * 3 + 3) + 4);
  Model back;
  std::vector<uint8_t> bad = bytes;
  bad[4 + 4 * 4] = 9;  // the first layer's code
  Status s = load_model(bad.data(), bad.size(), "m.nnlb", back);
  CHECK(s.message.find("bad layer code 9") != std::string::npos);
}

TEST_CASE("checkpoint: version-1 files (an MLP's sizes and activation codes) still load") {
  // u32 version 1, activation 1 (tanh), output 3 (softmax), cost 1, 3 sizes 3,2,2.
  std::vector<uint8_t> file{'N', 'N', 'L', 'B'};
  const std::vector<uint8_t> head = u32s({1, 1, 3, 1, 3, 3, 2, 2});
  file.insert(file.end(), head.begin(), head.end());
  std::vector<float> params;
  for (int i = 0; i < 3 * 2 + 2 + 2 * 2 + 2; ++i) params.push_back(0.25f * float(i) - 1.0f);
  for (float f : params) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const std::vector<uint8_t> b = u32s({bits});
    file.insert(file.end(), b.begin(), b.end());
  }
  const std::vector<uint8_t> crc = u32s({uint32_t(crc32(0L, file.data(), uInt(file.size())))});
  file.insert(file.end(), crc.begin(), crc.end());
  Model m;
  Status s = load_model(file.data(), file.size(), "old.nnlb", m);
  REQUIRE_MESSAGE(s.ok(), s.message);
  CHECK(m.net == NetConfig::mlp({3, 2, 2}, Act::Tanh, Act::Softmax, Cost::CrossEntropy));
  CHECK(m.weights.at(0) == std::vector<float>(params.begin(), params.begin() + 6));
  CHECK(m.biases.at(0) == std::vector<float>(params.begin() + 6, params.begin() + 8));
  CHECK(m.weights.at(1) == std::vector<float>(params.begin() + 8, params.begin() + 12));
  CHECK(m.biases.at(1) == std::vector<float>(params.begin() + 12, params.end()));
  // Saved again, it is version 2.
  const std::vector<uint8_t> again = save_model(m);
  CHECK(again[4] == 2);
}

TEST_CASE("checkpoint: corrupt, truncated or foreign files are rejected and the model kept") {
  Rng rng(5);
  NetConfig net;
  net = NetConfig::mlp({7, 5, 3}, net.hidden(), net.output(), net.cost);
  Model m = init_model(net, Init::Normal, rng);
  const std::vector<uint8_t> good = save_model(m);
  Model target = init_model(net, Init::Normal, rng);
  const Model before = target;
  auto rejected = [&](std::vector<uint8_t> bytes, const char* why) {
    Status s = load_model(bytes.data(), bytes.size(), "model.nnlab", target);
    CHECK_FALSE(s.ok());
    CHECK(s.message.find("model.nnlab") == 0);
    CHECK_MESSAGE(s.message.find(why) != std::string::npos, s.message);
    CHECK(target.weights == before.weights);
    CHECK(target.biases == before.biases);
  };
  rejected({}, "empty");
  std::vector<uint8_t> flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  rejected(flipped, "checksum");
  rejected(std::vector<uint8_t>(good.begin(), good.end() - 9), "truncated");
  rejected(std::vector<uint8_t>(good.begin(), good.begin() + 10), "truncated");
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  rejected(longer, "too long");
  std::vector<uint8_t> magic = good;
  magic[0] = 'X';
  rejected(magic, "magic");
  std::vector<uint8_t> version = good;
  version[4] = 9;
  rejected(version, "version");

  // A valid file for another network does not replace a trainer's parameters.
  Run t = make_trainer(small_config());
  REQUIRE(t.status().ok());
  Model original = t.model();
  Status s = t.set_model(m);  // sizes 7,5,3 vs 16,12,4
  CHECK_FALSE(s.ok());
  CHECK(s.message.find("7-fc5-sigmoid-fc3-sigmoid") != std::string::npos);
  CHECK(t.model().weights == original.weights);
}

TEST_CASE("trainer: the same seed gives bit-identical weights, another seed does not") {
  TrainConfig c = small_config();
  Run a = make_trainer(c), b = make_trainer(c);
  run(a), run(b);
  CHECK(save_model(a.model()) == save_model(b.model()));
  c.seed = 12;
  Run other = make_trainer(c);
  run(other);
  CHECK(save_model(a.model()) != save_model(other.model()));
}

TEST_CASE("trainer: a small net overfits one batch of 20 images to 100%") {
  TrainConfig c;
  c.net = NetConfig::mlp({64, 30, 10}, c.net.hidden(), c.net.output(), c.net.cost);
  c.net.layers.back().kind = LayerKind::Softmax;
  c.net.cost = Cost::CrossEntropy;
  c.init = Init::Scaled;
  c.batch = 20;
  c.eta = 1.0f;
  c.epochs = 400;
  // Labels unrelated to the pixels: only memorising can fit them.
  Dataset d = synthetic(20, 64, 10, 9);
  Rng rng(99);
  for (uint8_t& l : d.labels) l = uint8_t(rng.below(10));
  Run t(c, d, d, Dataset{}, make_cpu_backend());
  REQUIRE(t.status().ok());
  run(t);
  REQUIRE(t.state() == State::Done);
  CHECK(t.metrics().epochs.back().test_correct == 20);
  CHECK(t.metrics().batch_loss.back() < 0.05f * t.metrics().batch_loss.front());
}

TEST_CASE("trainer: softmax + cross-entropy with scaled init starts near ln 10") {
  TrainConfig c;
  c.net = NetConfig::mlp({784, 30, 10}, c.net.hidden(), c.net.output(), c.net.cost);
  c.net.layers.back().kind = LayerKind::Softmax;
  c.net.cost = Cost::CrossEntropy;
  c.init = Init::Scaled;
  c.batch = 1000;
  c.epochs = 1;
  Run t(c, synthetic(1000, 784, 10, 1), synthetic(10, 784, 10, 2), Dataset{}, make_cpu_backend());
  REQUIRE(t.status().ok());
  t.step(1);
  REQUIRE(t.metrics().batch_loss.size() == 1);
  float first = t.metrics().batch_loss[0];
  MESSAGE("initial loss " << first << ", ln 10 = " << std::log(10.0));
  CHECK(std::fabs(first - std::log(10.0f)) < 0.5f);
}

TEST_CASE("trainer: divergence is reported, not trained through") {
  TrainConfig c = small_config();
  c.net = NetConfig::mlp(c.net.sizes(), Act::Relu, c.net.output(), c.net.cost);
  c.net.layers.back().kind = LayerKind::Softmax;
  c.net.cost = Cost::CrossEntropy;
  c.eta = 1e30f;
  c.epochs = 5;
  Run t = make_trainer(c);
  run(t);
  CHECK(t.state() == State::Diverged);
  CHECK(std::string(name(t.state())) == "diverged");
  CHECK(t.step(10) == 0);
}

TEST_CASE("trainer: pause, resume, eta changes and bounded steps") {
  TrainConfig c = small_config();
  Run t = make_trainer(c);
  CHECK(t.step(3) == 3);
  CHECK(t.metrics().batch == 3);
  CHECK(t.step(1000, 0.0) == 1);  // a zero time budget still makes progress, one unit
  t.pause();
  CHECK(t.state() == State::Paused);
  CHECK(t.step(10) == 0);
  CHECK(t.metrics().batch == 4);
  t.resume();
  CHECK(t.state() == State::Training);
  Status s = t.set_eta(-2);
  CHECK(s.message.find("eta") == 0);
  CHECK(t.config().eta == 1.0f);
  CHECK(t.set_eta(0.25f).ok());
  CHECK(t.config().eta == 0.25f);
  Model before = t.model();
  CHECK(t.step(1) == 1);
  CHECK(t.model().weights != before.weights);
  run(t);
  CHECK(t.state() == State::Done);
  CHECK(t.metrics().epochs.size() == 3);
  CHECK(t.metrics().test_accuracy.size() == 3);
  CHECK(t.metrics().batch_loss.size() == 3 * 12);
}

TEST_CASE("trainer: data that does not fit the network is refused, naming the field") {
  TrainConfig c = small_config();
  c.net = NetConfig::mlp({17, 12, 4}, c.net.hidden(), c.net.output(), c.net.cost);
  Run t(c, synthetic(20, 16, 4, 1), synthetic(20, 16, 4, 2), Dataset{}, make_cpu_backend());
  CHECK_FALSE(t.status().ok());
  CHECK(t.status().message.find("sizes") == 0);
  CHECK(t.step(10) == 0);
  c.net = NetConfig::mlp({16, 12, 5}, c.net.hidden(), c.net.output(), c.net.cost);
  Run u(c, synthetic(20, 16, 4, 1), synthetic(20, 16, 4, 2), Dataset{}, make_cpu_backend());
  CHECK(u.status().message.find("classes") != std::string::npos);
}

TEST_CASE("trainer: evaluation, validation split and confusion matrix agree") {
  TrainConfig c = small_config();
  c.validation = 15;
  Dataset train = synthetic(60, 16, 4, 3);
  Dataset val = split_tail(train, c.validation);
  REQUIRE(val.count == 15);
  REQUIRE(train.count == 45);
  Dataset test = synthetic(40, 16, 4, 4);
  Run t(c, train, test, val, make_cpu_backend());
  run(t);
  const EpochReport& r = t.metrics().epochs.back();
  CHECK(r.validation_total == 15);
  CHECK(r.test_total == 40);
  std::vector<int> confusion;
  int correct = t.evaluate(test, confusion);
  CHECK(correct == r.test_correct);
  CHECK(confusion == t.metrics().confusion);
  CHECK(std::accumulate(confusion.begin(), confusion.end(), 0) == 40);
  std::vector<int> labels = t.predict_labels(test, 0, 40);
  int agree = 0;
  for (int i = 0; i < 40; ++i) agree += labels[size_t(i)] == test.labels[size_t(i)];
  CHECK(agree == correct);
}

TEST_CASE("net: inference needs no trainer, and one net serves run after run") {
  TrainConfig c = small_config();
  const Dataset train = synthetic(60, 16, 4, 3), test = synthetic(40, 16, 4, 4);
  Net net(c.net, make_cpu_backend(), c.batch);
  REQUIRE(net.status().ok());
  std::vector<int> confusion;
  int trained_correct = 0;
  {
    Trainer t(c, net, train, test, Dataset{});
    REQUIRE(t.status().ok());
    while (t.state() == State::Training) t.step(1 << 30);
    trained_correct = t.metrics().epochs.back().test_correct;
  }
  // The trainer is gone; the net still scores the test set as the last epoch did.
  CHECK(net.evaluate(test, confusion) == trained_correct);
  // A second Net given the first one's parameters predicts the same labels.
  Net copy(c.net, make_cpu_backend());
  REQUIRE(copy.set_parameters(net.parameters()).ok());
  CHECK(copy.predict_labels(test, 0, test.count) == net.predict_labels(test, 0, test.count));
  // Each run gives its buffers back to the net's backend: handles stay bounded.
  const Buf before = net.backend().alloc(DType::F32, 1);
  net.backend().release(before);
  for (int i = 0; i < 20; ++i) {
    Trainer t(c, net, train, test, synthetic(10, 16, 4, 5), Trainer::Start::Continue);
    REQUIRE(t.status().ok());
    t.step(3);
  }
  const Buf after = net.backend().alloc(DType::F32, 1);
  CHECK(after == before);
  // Continue keeps the parameters it was given; Fresh draws them from the seed.
  const Model kept = net.parameters();
  { Trainer t(c, net, train, test, Dataset{}, Trainer::Start::Continue); }
  CHECK(net.parameters().weights == kept.weights);
  { Trainer t(c, net, train, test, Dataset{}); }
  CHECK(net.parameters().weights != kept.weights);
}

TEST_CASE("net: a batch larger than the net holds, or a net that does not fit, is refused") {
  TrainConfig c = small_config();
  Net net(c.net, make_cpu_backend(), 16);  // holds max(16, 256) rows
  c.batch = 300;
  Trainer t(c, net, synthetic(400, 16, 4, 1), synthetic(20, 16, 4, 2), Dataset{});  // 300 rows of 400
  CHECK(t.status().message.find("batch: 300 rows") == 0);
  NetConfig bad;
  bad.layers.clear();
  Net empty(bad, make_cpu_backend());
  CHECK(empty.status().message.find("net: ") == 0);
  CHECK(empty.predict_labels(synthetic(2, 784, 10, 1), 0, 2).empty());
}

TEST_CASE("threads: 1, 2 and 3 threads give bit-identical weights and losses") {
  struct Case {
    std::vector<int> sizes;
    int batch;
    float momentum;
  };
  // Big enough that every op splits: GEMMs of 256 x 784 x 512, 131k activations, 401k weights.
  // Then mid-size layers (2M-16M multiply-adds), whose GEMMs split W's rows in halves (the CPU
  // backend's halves()), their input gradients as two half-sums: at batch 10, with the fused step
  // and without it, and at batch 100 (300 -> 100).
  for (const Case& k : {Case{{784, 512, 10}, 256, 0.5f}, Case{{784, 512, 512, 10}, 10, 0.0f},
                        Case{{784, 512, 512, 10}, 10, 0.5f}, Case{{784, 300, 100, 10}, 100, 0.0f}}) {
    CAPTURE(k.batch);
    CAPTURE(k.momentum);
    TrainConfig c;
    c.net = NetConfig::mlp(k.sizes, Act::Relu, Act::Softmax, Cost::CrossEntropy);
    c.batch = k.batch;
    c.eta = 0.1f;
    c.lambda = 5;
    c.momentum = k.momentum;
    c.epochs = 1;
    check_threads_identical(c, synthetic(k.batch == 256 ? 1024 : 305, 784, 10, 11), synthetic(256, 784, 10, 12));
  }
}

TEST_CASE("pool: every part runs exactly once per call, whichever thread claims it") {
  // engine/parallel_threads.cpp: the caller and the workers claim parts from one ticket,
  // so a call's parts run once each however the threads race (run under ThreadSanitizer).
  for (int threads : {1, 2, 3, 5}) {
    CAPTURE(threads);
    Pool pool(threads);
    REQUIRE(pool.size() == threads);
    std::vector<std::atomic<int>> runs(static_cast<size_t>(threads));
    std::atomic<int> on_caller{0};
    const std::thread::id caller = std::this_thread::get_id();
    const int calls = 20000;
    for (int c = 0; c < calls; ++c)
      pool.run(threads, [&](int p) {
        runs[size_t(p)].fetch_add(1, std::memory_order_relaxed);
        if (std::this_thread::get_id() == caller) on_caller.fetch_add(1, std::memory_order_relaxed);
      });
    for (int p = 0; p < threads; ++p) CHECK(runs[size_t(p)].load() == calls);
    CHECK(on_caller.load() >= calls);  // the caller claims at least one part of each call
  }
}
