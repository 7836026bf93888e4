// Conv, max-pool and dropout layers: the engine's gradients against central
// differences of an independent double-precision reference (layer_reference.h),
// awkward shapes, threads, an overfit and the text form's refusals.
#include <doctest.h>

#include <cmath>
#include <vector>

#include "layer_reference.h"
#include "net.h"
#include "run.h"
#include "synthetic.h"

using namespace nnlab;
using nnlab::testing::LayerReference;
using nnlab::testing::Vec;

namespace {

NetConfig net_of(const std::string& text, Cost cost = Cost::CrossEntropy) {
  NetConfig n;
  n.cost = cost;
  Status s = parse_net(text, n);
  REQUIRE_MESSAGE(s.ok(), s.message);
  return n;
}

double rel_err(const Vec& got, const Vec& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) num += (got[i] - want[i]) * (got[i] - want[i]), den += want[i] * want[i];
  return std::sqrt(num / std::max(den, 1e-300));
}

struct Batch {
  std::vector<float> x;  // (B, inputs) in [0, 1)
  std::vector<int> y;
};

Batch random_batch(int B, int inputs, int classes, uint64_t seed) {
  Rng rng(seed, 3);
  Batch b;
  for (int i = 0; i < B * inputs; ++i) b.x.push_back(float(rng.below(1000)) / 1000.0f);
  for (int i = 0; i < B; ++i) b.y.push_back(int(rng.below(uint32_t(classes))));
  return b;
}

// Every layer's dropout mask per sample, as the engine draws it in its first training pass.
std::vector<std::vector<Vec>> masks_of(const NetConfig& n, int B, uint64_t seed) {
  const std::vector<ImageShape> shapes = layer_shapes(n);
  std::vector<std::vector<Vec>> m(size_t(B), std::vector<Vec>(n.layers.size()));
  for (size_t i = 0; i < n.layers.size(); ++i) {
    if (n.layers[i].kind != LayerKind::Dropout) continue;
    const float rate = n.layers[i].rate, keep = 1.0f / (1.0f - rate);
    const int OC = shapes[i].size();
    for (int b = 0; b < B; ++b)
      for (int j = 0; j < OC; ++j)
        m[size_t(b)][i].push_back(dropout_uniform(dropout_key(seed, 0, i), uint64_t(b) * OC + j) >= rate ? keep : 0.0);
  }
  return m;
}

// The engine's summed parameter gradients (weights then biases of each layer with
// parameters) and the reference's by central differences, for one batch.
void gradients(const NetConfig& n, int B, uint64_t seed, std::vector<Vec>& engine, std::vector<Vec>& numeric) {
  Rng rng(seed);
  const Model m = init_model(n, Init::Scaled, rng);
  Net net(n, make_cpu_backend(1), B);
  REQUIRE_MESSAGE(net.status().ok(), net.status().message);
  REQUIRE(net.set_parameters(m).ok());
  const Batch batch = random_batch(B, n.inputs, n.outputs(), seed);
  Backend& be = net.backend();
  be.write(net.input(), batch.x.data(), batch.x.size() * sizeof(float));
  be.write(net.labels(), batch.y.data(), batch.y.size() * sizeof(int));
  const Buf loss = be.alloc(DType::F32, 1);
  net.seed_dropout(seed);
  net.forward(B, Net::Mode::Train);
  net.backward(B, loss, 0);
  be.release(loss);
  engine.clear();
  for (const Net::Tensor& t : net.tensors()) {
    std::vector<float> g(t.count);
    be.read(t.grad, g.data(), g.size() * sizeof(float));
    engine.emplace_back(g.begin(), g.end());
  }
  // The reference: the same parameters as floats hold them, the same masks.
  LayerReference ref(net.parameters());
  const std::vector<std::vector<Vec>> masks = masks_of(n, B, seed);
  auto total = [&]() {
    double c = 0;
    for (int b = 0; b < B; ++b)
      c += ref.cost(Vec(batch.x.begin() + size_t(b) * n.inputs, batch.x.begin() + size_t(b + 1) * n.inputs),
                    batch.y[size_t(b)], masks[size_t(b)]);
    return c;
  };
  numeric.clear();
  const double h = 1e-6;
  for (size_t l = 0; l < ref.w.size(); ++l)
    for (Vec* p : {&ref.w[l], &ref.b[l]}) {  // the engine's tensor order: weights, biases
      Vec g(p->size());
      for (size_t k = 0; k < p->size(); ++k) {
        const double keep = (*p)[k];
        (*p)[k] = keep + h;
        const double up = total();
        (*p)[k] = keep - h;
        const double down = total();
        (*p)[k] = keep;
        g[k] = (up - down) / (2 * h);
      }
      numeric.push_back(g);
    }
}

void check_gradients(const std::string& text, int B, uint64_t seed, Cost cost = Cost::CrossEntropy) {
  CAPTURE(text);
  std::vector<Vec> engine, numeric;
  gradients(net_of(text, cost), B, seed, engine, numeric);
  REQUIRE(engine.size() == numeric.size());
  for (size_t t = 0; t < engine.size(); ++t) {
    CAPTURE(t);
    REQUIRE(engine[t].size() == numeric[t].size());
    CHECK(rel_err(engine[t], numeric[t]) < 1e-3);
  }
}

}  // namespace

TEST_CASE("conv: gradients of conv (valid, same, C > 1) match central differences in double") {
  check_gradients("1x6x6-conv2x3-sigmoid-fc3-softmax", 3, 1);
  check_gradients("2x5x5-conv3x3same-tanh-fc3-softmax", 2, 2);
  check_gradients("3x4x6-conv2x3-relu-conv3x1-sigmoid-fc2-sigmoid", 2, 3, Cost::Quadratic);
  // A conv after another: its input gradient (col2im) reaches the first conv's weights.
  check_gradients("1x7x7-conv2x3-sigmoid-conv3x3same-sigmoid-conv2x2-sigmoid-fc3-softmax", 2, 4);
}

TEST_CASE("conv: gradients of max-pool (2x2, odd sizes, overlapping windows) match central differences") {
  check_gradients("1x6x6-conv2x3-sigmoid-pool2-fc3-softmax", 3, 5);
  check_gradients("1x7x7-conv2x3-sigmoid-pool2-fc3-softmax", 2, 6);      // 5x5 -> 2x2, the last row unused
  check_gradients("1x8x8-conv2x2-tanh-pool3s2-fc3-softmax", 2, 7);       // 7x7 -> 3x3, windows overlap
  check_gradients("2x6x5-pool2-conv2x2-sigmoid-fc3-softmax", 2, 8);      // pool first, on a non-square map
}

TEST_CASE("conv: gradients of dropout (a fixed mask) and a mixed conv/pool/dropout/dense net") {
  check_gradients("12-dropout0.5-fc5-sigmoid-dropout0.3-fc3-softmax", 4, 9);
  check_gradients("1x8x8-conv3x3-relu-pool2-dropout0.5-fc5-tanh-dropout0.3-fc4-softmax", 3, 10);
  check_gradients("784-conv2x5-sigmoid-pool2-conv3x5-relu-pool2-dropout0.5-fc6-relu-fc10-softmax", 2, 11);
}

TEST_CASE("conv: gradients made in parts of the batch (Net::kPartRows) match central differences") {
  // 9 rows: parts of 4 and 5, each with its own patches and conv gradients, summed in part order.
  check_gradients("1x6x6-conv2x3-sigmoid-pool2-fc3-softmax", 2 * Net::kPartRows + 1, 16);
  // Two convs and a pool in parts of 4, 4 and 5; the tail (dropout, dense) on the whole batch.
  check_gradients("1x8x8-conv2x3-relu-pool2-conv3x3same-tanh-dropout0.3-fc3-softmax", 3 * Net::kPartRows + 1, 17);
}

TEST_CASE("conv: awkward shapes: a 1x1 image, a filter the image's size, 1x1 filters") {
  check_gradients("1x1x1-conv3x1-relu-fc2-softmax", 2, 12);
  check_gradients("1x4x4-conv3x4-sigmoid-fc2-softmax", 2, 13);           // k = the image: one position
  check_gradients("3x5x7-conv4x1-tanh-pool5s2-fc3-softmax", 2, 14);      // 1x1 filters over C = 3
  check_gradients("1x3x3-conv2x3same-sigmoid-pool3-fc2-softmax", 2, 15); // same padding larger than the map
}

TEST_CASE("conv: dropout keeps 1-p of its inputs, scaled by 1/(1-p); inference passes them all") {
  NetConfig n = net_of("1000-dropout0.3-fc2-softmax");
  Net net(n, make_cpu_backend(1), 4);
  REQUIRE(net.status().ok());
  Model m = net.parameters();
  std::fill(m.weights[0].begin(), m.weights[0].end(), 0.0f);
  for (int j = 0; j < 1000; ++j) m.weights[0][size_t(j)] = 0.01f;  // logit 0 = 0.01 x the dropout's outputs' sum
  REQUIRE(net.set_parameters(m).ok());
  std::vector<float> ones(4000, 1.0f);
  net.backend().write(net.input(), ones.data(), ones.size() * sizeof(float));
  net.seed_dropout(5);
  net.forward(4, Net::Mode::Train);
  // The softmax hides the sum, so read it back from the two logits' ratio: a = e^s / (e^s + 1).
  std::vector<float> a(8);
  net.backend().read(net.output(), a.data(), a.size() * sizeof(float));
  for (int b = 0; b < 4; ++b) {
    const double s = std::log(a[size_t(b) * 2] / a[size_t(b) * 2 + 1]);
    const double kept = s * 0.7 / 0.01;  // each kept input is 1/0.7
    CAPTURE(b);
    CHECK(kept > 650);  // 700 expected, sd 14.5
    CHECK(kept < 750);
    CHECK(std::fabs(kept - std::round(kept)) < 0.05);
  }
  // A different pass draws a different mask; inference drops nothing.
  net.forward(4, Net::Mode::Train);
  std::vector<float> a2(8);
  net.backend().read(net.output(), a2.data(), a2.size() * sizeof(float));
  CHECK(a2 != a);
  net.forward(1, Net::Mode::Infer);
  net.backend().read(net.output(), a2.data(), 2 * sizeof(float));
  CHECK(std::log(a2[0] / a2[1]) == doctest::Approx(10).epsilon(1e-4));
}

TEST_CASE("conv: a conv net overfits 20 random-labelled images to 100%") {
  TrainConfig c;
  c.net = net_of("1x12x12-conv8x3-relu-pool2-fc30-relu-fc10-softmax");
  c.init = Init::Scaled;
  c.eta = 0.1f;
  c.batch = 5;
  c.epochs = 150;
  Dataset d = testing::synthetic(20, 144, 10, 3);
  Rng rng(9);
  for (uint8_t& v : d.images) v = uint8_t(rng.below(256));  // noise images,
  for (uint8_t& l : d.labels) l = uint8_t(rng.below(10));   // random labels: only memory can fit them
  Run t(c, d, d);
  REQUIRE_MESSAGE(t.status().ok(), t.status().message);
  while (t.state() == State::Training) t.step(1 << 30);
  REQUIRE(t.state() == State::Done);
  CHECK(t.metrics().epochs.back().test_correct == 20);
}

TEST_CASE("conv: 1, 2 and 3 threads give bit-identical weights and losses (conv, pool, dropout)") {
  // The conv layers run in parts of the batch (Net::kPartRows), the threads taking them in
  // runs: at batch 10, 2 parts (one thread idle at 3); at 64, 16 (6, 5, 5 at 3 threads);
  // the 256-row evaluations, 16 parts of 16 rows; the last batch of an epoch, fewer rows.
  for (int batch : {10, 64}) {
    CAPTURE(batch);
    TrainConfig c;
    c.net = net_of("784-conv20x5-relu-pool2-conv16x3same-sigmoid-dropout0.5-fc20-relu-fc10-softmax");
    c.init = Init::Scaled;
    c.batch = batch;
    c.eta = 0.1f;
    c.momentum = 0.5f;
    c.epochs = 1;
    const Model m = check_threads_identical(c, testing::synthetic(250, 784, 10, 11), testing::synthetic(300, 784, 10, 12));
    CHECK(m.weights != init_model(c.net, c.init, *std::make_unique<Rng>(c.seed)).weights);
  }
}

TEST_CASE("conv: backward with the SGD step equals backward, then sgd_update of every tensor, bit for bit") {
  // The trainer's step: each layer's parameters take it inside backward (a dense layer's weight
  // gradient fused into it on the CPU, without momentum). Against the gradients first and the
  // updates after, on a net with a conv, a pool, dropout and a 600x600 layer (its weight gradient
  // made row tile by row tile; at batch 64 its GEMMs split across threads), for 3 batches.
  const NetConfig n = net_of("1x12x12-conv4x3-relu-pool2-fc600-relu-dropout0.3-fc600-tanh-fc10-softmax");
  const int B = 64;
  struct Case {
    float l2, momentum;
    int threads;
  };
  for (Case c : {Case{0, 0, 1}, Case{1e-4f, 0, 1}, Case{0, 0.5f, 1}, Case{1e-4f, 0.9f, 2}, Case{0, 0, 2}}) {
    CAPTURE(c.l2);
    CAPTURE(c.momentum);
    CAPTURE(c.threads);
    Rng rng(5);
    const Model m0 = init_model(n, Init::Scaled, rng);
    std::vector<Model> after;
    for (bool fused : {false, true}) {
      Net net(n, make_cpu_backend(c.threads), B);
      REQUIRE(net.status().ok());
      REQUIRE(net.set_parameters(m0).ok());
      Backend& be = net.backend();
      const Buf loss = be.alloc(DType::F32, 1);
      std::vector<Buf> velocity;
      for (const Net::Tensor& t : net.tensors()) velocity.push_back(c.momentum > 0 ? be.alloc(DType::F32, t.count) : kNone);
      Net::Sgd step;
      step.scale = 0.05f;
      step.l2 = c.l2;
      step.momentum = c.momentum;
      step.velocity = &velocity;
      net.seed_dropout(3);
      for (int batch = 0; batch < 3; ++batch) {
        const Batch data = random_batch(B, n.inputs, n.outputs(), 20 + uint64_t(batch));
        be.write(net.input(), data.x.data(), data.x.size() * sizeof(float));
        be.write(net.labels(), data.y.data(), data.y.size() * sizeof(int));
        net.forward(B, Net::Mode::Train);
        if (fused) {
          net.backward(B, loss, 0, &step);
          continue;
        }
        net.backward(B, loss, 0);
        const std::vector<Net::Tensor>& ts = net.tensors();
        for (size_t i = 0; i < ts.size(); ++i)  // weights (even), then biases: no L2 for biases
          be.sgd_update(ts[i].value, ts[i].grad, velocity[i], ts[i].count, step.scale, i % 2 ? 0.0f : c.l2,
                        c.momentum);
      }
      after.push_back(net.parameters());
    }
    CHECK(after[0].weights != m0.weights);
    CHECK(after[1].weights == after[0].weights);
    CHECK(after[1].biases == after[0].biases);
  }
}

TEST_CASE("conv: expand_shifted is expand_mnist.py's 5x set: each image, then shifted up, down, left, right") {
  Dataset d;
  d.count = 2, d.rows = 2, d.cols = 3, d.classes = 3;
  d.images = {1, 2, 3,
              4, 5, 6,
              7, 8, 9,
              10, 11, 12};
  d.labels = {2, 1};
  const Dataset e = expand_shifted(d);
  REQUIRE(e.count == 10);
  CHECK(e.labels == std::vector<uint8_t>{2, 2, 2, 2, 2, 1, 1, 1, 1, 1});
  const std::vector<uint8_t> want = {1, 2, 3, 4, 5, 6,   // as it is
                                     4, 5, 6, 0, 0, 0,   // up
                                     0, 0, 0, 1, 2, 3,   // down
                                     2, 3, 0, 5, 6, 0,   // left
                                     0, 1, 2, 0, 4, 5};  // right
  CHECK(std::vector<uint8_t>(e.images.begin(), e.images.begin() + 30) == want);
  CHECK(std::vector<uint8_t>(e.images.begin() + 30, e.images.begin() + 36) == std::vector<uint8_t>{7, 8, 9, 10, 11, 12});
  // The trainer trains on them: 5 batches of 2 per epoch instead of 1.
  TrainConfig c;
  c.net = NetConfig::mlp({6, 4, 3});
  c.batch = 2;
  c.epochs = 1;
  c.expand = 1;
  Run t(c, d, d);
  REQUIRE(t.status().ok());
  CHECK(t.metrics().batches_per_epoch == 5);
}

TEST_CASE("conv: layer_output gives a layer's feature maps after a pass (the panels' view)") {
  Net net(net_of("1x6x6-conv2x3-relu-fc3-softmax"), make_cpu_backend(1), 4);
  REQUIRE(net.status().ok());
  Rng rng(5);
  REQUIRE(net.set_parameters(init_model(net.config(), Init::Normal, rng)).ok());
  std::vector<float> x(36);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) / 7.0f;
  const std::vector<float> probs = net.predict(x.data(), 1);
  // Layer 0 (conv, valid): 2 maps of 4x4, each out(f, y, x) = b(f) + sum w(f, dy, dx) in(y+dy, x+dx).
  const std::vector<float> maps = net.layer_output(0, 1);
  REQUIRE(maps.size() == 2 * 4 * 4);
  const Model m = net.parameters();
  for (int f = 0; f < 2; ++f)
    for (int y = 0; y < 4; ++y)
      for (int xx = 0; xx < 4; ++xx) {
        double want = m.biases[0][size_t(f)];
        for (int dy = 0; dy < 3; ++dy)
          for (int dx = 0; dx < 3; ++dx)
            want += double(m.weights[0][size_t(f * 9 + dy * 3 + dx)]) * x[size_t((y + dy) * 6 + xx + dx)];
        CHECK(maps[size_t(f * 16 + y * 4 + xx)] == doctest::Approx(want).epsilon(1e-5));
      }
  // The last layer's output is what predict returned; a bad layer or row count gives nothing.
  CHECK(net.layer_output(3, 1) == probs);
  CHECK(net.layer_output(4, 1).empty());
  CHECK(net.layer_output(0, 0).empty());
}
