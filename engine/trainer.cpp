// The training loop: network.py's SGD composed from backend ops, advanced in
// bounded units (one mini-batch, or one chunk of an epoch-end evaluation).
#include "trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace nnlab {
namespace {

constexpr int kEvalChunk = 256;  // images per evaluation unit: keeps a UI frame short
constexpr int kLossSlots = 256;  // batch losses held on the device between reads

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

const char* name(State s) {
  switch (s) {
    case State::Training: return "training";
    case State::Paused: return "paused";
    case State::Done: return "done";
    case State::Diverged: return "diverged";
  }
  return "?";
}

// Device buffers of one run. Layer l maps sizes[l] -> sizes[l+1].
struct Trainer::Impl {
  struct DataBufs {
    Buf images = kNone, labels = kNone;
    int count = 0;
  };
  Backend* be = nullptr;
  std::vector<int> sizes;
  int cap = 0;                            // rows of the activation buffers
  std::vector<Buf> w, b, dw, db, vw, vb;  // per layer: (OC,C) and (OC)
  std::vector<Buf> z, a, da, dz;          // per layer: (cap, OC)
  Buf x = kNone, y = kNone;               // (cap, C0) f32, (cap) i32
  Buf loss = kNone;                       // (kLossSlots) per-batch loss sums
  Buf confusion = kNone;                  // (K,K) i32
  Buf perm = kNone;                       // (n_train) i32, this epoch's order
  DataBufs train, test, validation;

  // Where the run is inside its epoch.
  enum Phase { kTrain, kEvalTest, kEvalValidation } phase = kTrain;
  int next = 0;                    // next image (training) or row (evaluation)
  std::vector<int> pending;        // batch sizes whose losses are still on the device
  double epoch_seconds = 0;        // training time this epoch
  double epoch_loss = 0;           // summed per-sample cost this epoch
  int test_correct = 0;

  int layers() const { return int(sizes.size()) - 1; }
  int classes() const { return sizes.back(); }

  DataBufs upload(const Dataset& d) {
    DataBufs out;
    out.count = d.count;
    if (d.count == 0) return out;
    out.images = be->alloc(DType::U8, d.images.size());
    be->write(out.images, d.images.data(), d.images.size());
    out.labels = be->alloc(DType::U8, d.labels.size());
    be->write(out.labels, d.labels.data(), d.labels.size());
    return out;
  }

  void forward(int m, const TrainConfig& cfg) {
    for (int l = 0; l < layers(); ++l) {
      Buf inp = l == 0 ? x : a[l - 1];
      be->matmul_forward(z[l], inp, w[l], b[l], m, sizes[l], sizes[l + 1]);
      Act act = l + 1 == layers() ? cfg.net.output : cfg.net.activation;
      be->activation_forward(a[l], z[l], m, sizes[l + 1], act);
    }
  }

  // Evaluates rows [first, first+m) of a data set into `confusion`.
  void eval_rows(const DataBufs& d, int first, int m, const TrainConfig& cfg) {
    be->gather(x, y, d.images, d.labels, kNone, first, m, sizes[0]);
    forward(m, cfg);
    be->eval_accumulate(confusion, a[layers() - 1], y, m, classes());
  }

  std::vector<int> read_confusion() {
    std::vector<int> c(size_t(classes()) * classes());
    be->read(confusion, c.data(), c.size() * sizeof(int));
    return c;
  }
  void clear_confusion() {
    std::vector<int> zero(size_t(classes()) * classes(), 0);
    be->write(confusion, zero.data(), zero.size() * sizeof(int));
  }
};

namespace {

int trace(const std::vector<int>& confusion, int k) {
  int t = 0;
  for (int i = 0; i < k; ++i) t += confusion[size_t(i) * k + i];
  return t;
}

}  // namespace

Trainer::Trainer(const TrainConfig& cfg, Dataset train, Dataset test, Dataset validation,
                 std::unique_ptr<Backend> backend)
    : cfg_(cfg),
      train_(std::move(train)),
      test_(std::move(test)),
      validation_(std::move(validation)),
      backend_(std::move(backend)),
      impl_(std::make_unique<Impl>()),
      rng_(cfg.seed) {
  status_ = validate(cfg_);
  const std::vector<int>& sizes = cfg_.net.sizes;
  if (status_.ok() && train_.count == 0) status_ = Status::fail("data: the training set is empty");
  if (status_.ok() && test_.count == 0) status_ = Status::fail("data: the test set is empty");
  for (const Dataset* d : {&train_, &test_, &validation_}) {
    if (!status_.ok() || d->count == 0) break;
    if (d->pixels() != sizes.front())
      status_ = Status::fail("sizes: the input layer has " + std::to_string(sizes.front()) +
                             " neurons but the images have " + std::to_string(d->pixels()) +
                             " pixels (" + std::to_string(d->rows) + "x" + std::to_string(d->cols) + ")");
    else if (d->classes != sizes.back())
      status_ = Status::fail("sizes: the output layer has " + std::to_string(sizes.back()) +
                             " neurons but the data has " + std::to_string(d->classes) + " classes");
  }
  if (!status_.ok()) {
    state_ = State::Done;
    return;
  }

  Impl& im = *impl_;
  im.be = backend_.get();
  im.sizes = sizes;
  im.cap = std::max(cfg_.batch, kEvalChunk);
  Model init = init_model(cfg_.net, cfg_.init, rng_);
  for (int l = 0; l < im.layers(); ++l) {
    size_t nw = size_t(sizes[l]) * sizes[l + 1], nb = size_t(sizes[l + 1]);
    size_t na = size_t(im.cap) * sizes[l + 1];
    im.w.push_back(im.be->alloc(DType::F32, nw));
    im.b.push_back(im.be->alloc(DType::F32, nb));
    im.dw.push_back(im.be->alloc(DType::F32, nw));
    im.db.push_back(im.be->alloc(DType::F32, nb));
    im.vw.push_back(cfg_.momentum > 0 ? im.be->alloc(DType::F32, nw) : kNone);
    im.vb.push_back(cfg_.momentum > 0 ? im.be->alloc(DType::F32, nb) : kNone);
    im.z.push_back(im.be->alloc(DType::F32, na));
    im.a.push_back(im.be->alloc(DType::F32, na));
    im.da.push_back(im.be->alloc(DType::F32, na));
    im.dz.push_back(im.be->alloc(DType::F32, na));
  }
  im.x = im.be->alloc(DType::F32, size_t(im.cap) * sizes[0]);
  im.y = im.be->alloc(DType::I32, size_t(im.cap));
  im.loss = im.be->alloc(DType::F32, kLossSlots);
  im.confusion = im.be->alloc(DType::I32, size_t(sizes.back()) * sizes.back());
  im.perm = im.be->alloc(DType::I32, size_t(train_.count));
  (void)set_model(init);
  im.train = im.upload(train_);
  im.test = im.upload(test_);
  im.validation = im.upload(validation_);
  // The device holds the training images now; the host copy would only double memory.
  train_.images = {};
  train_.images.shrink_to_fit();

  metrics_.batches_per_epoch = (train_.count + cfg_.batch - 1) / cfg_.batch;
  metrics_.confusion.assign(size_t(sizes.back()) * sizes.back(), 0);
  start_epoch();
}

Trainer::~Trainer() = default;

void Trainer::start_epoch() {
  Impl& im = *impl_;
  std::vector<int32_t> order(size_t(train_.count));
  std::iota(order.begin(), order.end(), 0);
  rng_.shuffle(order);
  backend_->write(im.perm, order.data(), order.size() * sizeof(int32_t));
  im.phase = Impl::kTrain;
  im.next = 0;
  im.epoch_seconds = 0;
  im.epoch_loss = 0;
  metrics_.batch = 0;
}

// Reads the batch losses still on the device into the history.
bool Trainer::flush_losses() {
  Impl& im = *impl_;
  Metrics& metrics = metrics_;
  if (im.pending.empty()) return true;
  std::vector<float> sums(im.pending.size());
  backend_->read(im.loss, sums.data(), sums.size() * sizeof(float));
  bool finite = true;
  for (size_t i = 0; i < sums.size(); ++i) {
    finite = finite && std::isfinite(sums[i]);
    im.epoch_loss += sums[i];
    metrics.batch_loss.push_back(sums[i] / float(im.pending[i]));
  }
  im.pending.clear();
  return finite;
}

bool Trainer::train_batch() {
  Impl& im = *impl_;
  const int m = std::min(cfg_.batch, train_.count - im.next);
  const int L = im.layers();
  const std::vector<int>& s = im.sizes;
  backend_->gather(im.x, im.y, im.train.images, im.train.labels, im.perm, im.next, m, s[0]);
  im.forward(m, cfg_);
  backend_->output_backward(im.dz[L - 1], im.loss, int(im.pending.size()), im.z[L - 1],
                            im.a[L - 1], im.y, m, s[L], cfg_.net.output, cfg_.net.cost);
  im.pending.push_back(m);
  for (int l = L - 1; l >= 0; --l) {
    Buf inp = l == 0 ? im.x : im.a[l - 1];
    Buf dinp = l == 0 ? kNone : im.da[l - 1];  // the input layer needs no delta
    backend_->matmul_backward(dinp, im.dw[l], im.db[l], im.dz[l], inp, im.w[l], m, s[l], s[l + 1]);
    if (l > 0) backend_->activation_backward(im.dz[l - 1], im.da[l - 1], im.a[l - 1], m, s[l], cfg_.net.activation);
  }
  // network.py: w -= (eta/m) * sum of gradients; ch.3: w *= 1 - eta*lambda/n (weights only).
  const float scale = cfg_.eta / float(m);
  const float l2 = cfg_.eta * cfg_.lambda / float(train_.count);
  for (int l = 0; l < L; ++l) {
    backend_->sgd_update(im.w[l], im.dw[l], im.vw[l], size_t(s[l]) * s[l + 1], scale, l2, cfg_.momentum);
    backend_->sgd_update(im.b[l], im.db[l], im.vb[l], size_t(s[l + 1]), scale, 0.0f, cfg_.momentum);
  }
  im.next += m;
  metrics_.batch += 1;
  if (int(im.pending.size()) == kLossSlots && !flush_losses()) return false;
  return true;
}

bool Trainer::eval_chunk() {
  Impl& im = *impl_;
  const Impl::DataBufs& d = im.phase == Impl::kEvalTest ? im.test : im.validation;
  if (im.next == 0) im.clear_confusion();
  const int m = std::min(kEvalChunk, d.count - im.next);
  im.eval_rows(d, im.next, m, cfg_);
  im.next += m;
  if (im.next < d.count) return true;

  std::vector<int> confusion = im.read_confusion();
  const int K = im.classes();
  if (im.phase == Impl::kEvalTest) {
    im.test_correct = trace(confusion, K);
    metrics_.confusion = confusion;
    if (im.validation.count > 0) {
      im.phase = Impl::kEvalValidation;
      im.next = 0;
      return true;
    }
  }
  // The epoch is complete.
  EpochReport r;
  r.epoch = metrics_.epoch;
  r.test_correct = im.test_correct;
  r.test_total = im.test.count;
  if (im.validation.count > 0) {
    r.validation_correct = trace(confusion, K);
    r.validation_total = im.validation.count;
    metrics_.validation_accuracy.push_back(float(r.validation_correct) / float(r.validation_total));
  }
  r.train_seconds = im.epoch_seconds;
  r.samples_per_sec = im.epoch_seconds > 0 ? train_.count / im.epoch_seconds : 0;
  r.mean_loss = im.epoch_loss / train_.count;
  metrics_.test_accuracy.push_back(float(r.test_correct) / float(r.test_total));
  metrics_.samples_per_sec.push_back(float(r.samples_per_sec));
  metrics_.epochs.push_back(r);
  if (!all_finite(model())) return false;  // e.g. eta = 100: weights overflow
  metrics_.epoch += 1;
  if (metrics_.epoch == cfg_.epochs)
    state_ = State::Done;
  else
    start_epoch();
  return true;
}

int Trainer::step(int max_units, double max_seconds) {
  if (state_ != State::Training) return 0;
  Impl& im = *impl_;
  const double start = now_seconds();
  double train_time = 0;
  int units = 0, samples = 0;
  bool healthy = true;
  while (units < max_units && state_ == State::Training && healthy) {
    double t0 = now_seconds();
    if (im.phase == Impl::kTrain) {
      int before = im.next;
      healthy = train_batch();
      samples += im.next - before;
      if (im.next == train_.count) {  // the epoch's training part is over: read its losses
        healthy = healthy && flush_losses();
        im.phase = Impl::kEvalTest;
        im.next = 0;
      }
      double dt = now_seconds() - t0;
      train_time += dt;
      im.epoch_seconds += dt;
    } else {
      healthy = eval_chunk();
    }
    ++units;
    if (now_seconds() - start >= max_seconds) break;
  }
  if (healthy && im.phase == Impl::kTrain && !im.pending.empty()) {
    double t0 = now_seconds();  // reading the losses waits for the device: training time
    healthy = flush_losses();
    double dt = now_seconds() - t0;
    train_time += dt;
    im.epoch_seconds += dt;
  }
  if (!healthy) state_ = State::Diverged;
  if (samples > 0 && train_time > 0) metrics_.recent_samples_per_sec = samples / train_time;
  return units;
}

void Trainer::pause() {
  if (state_ == State::Training) state_ = State::Paused;
}
void Trainer::resume() {
  if (state_ == State::Paused) state_ = State::Training;
}

Status Trainer::set_eta(float eta) {
  TrainConfig next = cfg_;
  next.eta = eta;
  Status s = validate(next);
  if (s.ok()) cfg_.eta = eta;
  return s;
}

Model Trainer::model() const {
  Model m;
  m.net = cfg_.net;
  if (!status_.ok()) return m;
  const Impl& im = *impl_;
  for (int l = 0; l < im.layers(); ++l) {
    m.weights.emplace_back(size_t(im.sizes[l]) * im.sizes[l + 1]);
    m.biases.emplace_back(size_t(im.sizes[l + 1]));
    backend_->read(im.w[l], m.weights.back().data(), m.weights.back().size() * sizeof(float));
    backend_->read(im.b[l], m.biases.back().data(), m.biases.back().size() * sizeof(float));
  }
  return m;
}

Status Trainer::set_model(const Model& m) {
  if (!status_.ok()) return status_;
  const NetConfig& want = cfg_.net;
  if (m.net.sizes != want.sizes)
    return Status::fail("model: its layer sizes " + format_sizes(m.net.sizes) +
                        " do not match this network's " + format_sizes(want.sizes));
  if (m.net.activation != want.activation || m.net.output != want.output || m.net.cost != want.cost)
    return Status::fail(std::string("model: it was trained as ") + name(m.net.activation) + "/" +
                        name(m.net.output) + "/" + name(m.net.cost) + ", this network is " +
                        name(want.activation) + "/" + name(want.output) + "/" + name(want.cost));
  Impl& im = *impl_;
  for (int l = 0; l < im.layers(); ++l) {
    if (m.weights[l].size() != size_t(im.sizes[l]) * im.sizes[l + 1] || m.biases[l].size() != size_t(im.sizes[l + 1]))
      return Status::fail("model: layer " + std::to_string(l) + " has the wrong number of parameters");
  }
  for (int l = 0; l < im.layers(); ++l) {
    backend_->write(im.w[l], m.weights[l].data(), m.weights[l].size() * sizeof(float));
    backend_->write(im.b[l], m.biases[l].data(), m.biases[l].size() * sizeof(float));
  }
  return Status::success();
}

std::vector<float> Trainer::predict(const float* x, int n) {
  std::vector<float> probs;
  if (!status_.ok()) return probs;
  Impl& im = *impl_;
  const int C = im.sizes.front(), K = im.classes();
  probs.resize(size_t(n) * K);
  for (int first = 0; first < n; first += im.cap) {
    int m = std::min(im.cap, n - first);
    backend_->write(im.x, x + size_t(first) * C, size_t(m) * C * sizeof(float));
    im.forward(m, cfg_);
    backend_->read(im.a[im.layers() - 1], probs.data() + size_t(first) * K, size_t(m) * K * sizeof(float));
  }
  return probs;
}

std::vector<int> Trainer::predict_labels(const Dataset& d, int first, int n) {
  std::vector<int> out;
  if (!status_.ok() || first < 0 || n <= 0 || first + n > d.count || d.pixels() != impl_->sizes.front()) return out;
  std::vector<float> x(size_t(n) * d.pixels());
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(d.images[size_t(first) * d.pixels() + i]) / 255.0f;
  std::vector<float> probs = predict(x.data(), n);
  const int K = impl_->classes();
  for (int i = 0; i < n; ++i) {
    const float* p = probs.data() + size_t(i) * K;
    out.push_back(int(std::max_element(p, p + K) - p));
  }
  return out;
}

int Trainer::evaluate(const Dataset& d, std::vector<int>& confusion) {
  Impl& im = *impl_;
  const int K = status_.ok() ? im.classes() : 0;
  confusion.assign(size_t(K) * K, 0);
  if (!status_.ok() || d.count == 0 || d.pixels() != im.sizes.front() || d.classes != K) return 0;
  Impl::DataBufs bufs = im.upload(d);
  im.clear_confusion();
  for (int first = 0; first < d.count; first += kEvalChunk)
    im.eval_rows(bufs, first, std::min(kEvalChunk, d.count - first), cfg_);
  confusion = im.read_confusion();
  backend_->release(bufs.images);
  backend_->release(bufs.labels);
  return trace(confusion, K);
}

}  // namespace nnlab
