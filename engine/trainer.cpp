// The training loop: network.py's SGD over a Net, advanced in bounded units
// (one mini-batch, or one chunk of an epoch-end evaluation).
#include "trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "params.h"
#include "run_file.h"

namespace nnlab {
namespace {

constexpr int kLossSlots = 256;  // batch losses held on the device between reads
constexpr uint64_t kDropoutSeedMix = 0xD80F0D80F0D80F0Dull;  // the dropout seed: the run's seed ^ this

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

// The run's own device buffers; the Net holds the layers'.
struct Trainer::Impl {
  Backend* be = nullptr;
  std::vector<Buf> velocity;              // per net tensor, momentum only
  Buf loss = kNone;                       // (kLossSlots) per-batch loss sums
  Buf confusion = kNone;                  // (K,K) i32
  Buf perm = kNone;                       // (n_train) i32, this epoch's order
  DeviceData train, test, validation;

  // Where the run is inside its epoch.
  enum Phase { kTrain, kEvalTest, kEvalValidation } phase = kTrain;
  int next = 0;                    // next image (training) or row (evaluation)
  std::vector<int> pending;        // batch sizes whose losses are still on the device
  double epoch_seconds = 0;        // training time this epoch
  double epoch_loss = 0;           // summed per-sample cost this epoch
  int test_correct = 0;

  // The net (and its backend) outlives the run: give its buffers back.
  ~Impl() {
    if (!be) return;
    for (Buf b : velocity) be->release(b);
    for (Buf b : {loss, confusion, perm}) be->release(b);
    for (DeviceData* d : {&train, &test, &validation}) release(*be, *d);
  }

  std::vector<int> read_confusion(int K) {
    std::vector<int> c(size_t(K) * K);
    be->read(confusion, c.data(), c.size() * sizeof(int));
    return c;
  }
  void clear_confusion(int K) {
    std::vector<int> zero(size_t(K) * K, 0);
    be->write(confusion, zero.data(), zero.size() * sizeof(int));
  }
};


Trainer::Trainer(const TrainConfig& cfg, Net& net, Dataset train, Dataset test, Dataset validation,
                 Start start)
    : cfg_(cfg),
      net_(net),
      train_(std::move(train)),
      test_(std::move(test)),
      validation_(std::move(validation)),
      impl_(std::make_unique<Impl>()),
      rng_(cfg.seed),
      epoch_rng_(cfg.seed) {
  cfg_.net = net.config();
  if (cfg_.expand && train_.count > 0) train_ = expand_shifted(train_);
  // Dropout's masks come from the seed but not from rng_, so that nets without
  // dropout draw exactly the numbers they always did.
  net.seed_dropout(cfg_.seed ^ kDropoutSeedMix);
  status_ = net.status();
  if (status_.ok()) status_ = validate(cfg_);
  const NetConfig& n = cfg_.net;
  if (status_.ok() && net.rows() < effective_batch(cfg_.batch, train_.count))
    status_ = Status::fail("batch: " + std::to_string(effective_batch(cfg_.batch, train_.count)) +
                           " rows, but the network holds " + std::to_string(net.rows()));
  if (status_.ok() && train_.count == 0) status_ = Status::fail("data: the training set is empty");
  if (status_.ok() && test_.count == 0) status_ = Status::fail("data: the test set is empty");
  for (const Dataset* d : {&train_, &test_, &validation_}) {
    if (!status_.ok() || d->count == 0) break;
    if (d->pixels() != n.inputs)
      status_ = Status::fail("sizes: the input layer has " + std::to_string(n.inputs) +
                             " neurons but the images have " + std::to_string(d->pixels()) +
                             " pixels (" + std::to_string(d->rows) + "x" + std::to_string(d->cols) + ")");
    else if (d->classes != n.outputs())
      status_ = Status::fail("sizes: the output layer has " + std::to_string(n.outputs()) +
                             " neurons but the data has " + std::to_string(d->classes) + " classes");
  }
  if (!status_.ok()) {
    state_ = State::Done;
    return;
  }

  Impl& im = *impl_;
  im.be = &net.backend();
  Backend& be = *im.be;
  bool ok = true;
  auto alloc = [&](DType t, size_t count) {
    Buf b = ok ? be.alloc(t, count) : kNone;
    ok = ok && b != kNone;
    return b;
  };
  for (const Net::Tensor& t : net.tensors()) im.velocity.push_back(cfg_.momentum > 0 ? alloc(DType::F32, t.count) : kNone);
  im.loss = alloc(DType::F32, kLossSlots);
  const int K = n.outputs();
  im.confusion = alloc(DType::I32, size_t(K) * K);
  im.perm = alloc(DType::I32, size_t(train_.count));
  for (auto [d, dev] : {std::pair{&train_, &im.train}, {&test_, &im.test}, {&validation_, &im.validation}})
    if (ok && !(status_ = upload(be, *d, *dev)).ok()) ok = false;
  if (!ok) {
    if (status_.ok()) status_ = Status::fail("out of memory on " + be.name() + " for the run's buffers");
    state_ = State::Done;
    return;
  }
  if (start == Start::Fresh) (void)net.set_parameters(init_model(n, cfg_.init, rng_));
  // The device holds the training images now; the host copy would only double memory.
  train_.images = {};
  train_.images.shrink_to_fit();

  metrics_.batches_per_epoch = (train_.count + cfg_.batch - 1) / cfg_.batch;
  metrics_.confusion.assign(size_t(K) * K, 0);
  start_epoch();
}

Trainer::~Trainer() = default;

void Trainer::start_epoch() {
  Impl& im = *impl_;
  std::vector<int32_t> order(size_t(train_.count));
  std::iota(order.begin(), order.end(), 0);
  epoch_rng_ = rng_;
  rng_.shuffle(order);
  im.be->write(im.perm, order.data(), order.size() * sizeof(int32_t));
  im.phase = Impl::kTrain;
  im.next = 0;
  im.epoch_seconds = 0;
  im.epoch_loss = 0;
  metrics_.batch = 0;
}

void record_batch_loss(Metrics& m, float loss, size_t max_points) {
  m.batches_done += 1;
  if (m.loss_stride == 1) {
    m.batch_loss.push_back(loss);  // the common case, bit for bit the batch's loss
  } else {
    m.loss_partial += loss;
    if (++m.loss_partial_count < m.loss_stride) return;
    m.batch_loss.push_back(float(m.loss_partial / m.loss_stride));
    m.loss_partial = 0;
    m.loss_partial_count = 0;
  }
  if (m.batch_loss.size() < std::max<size_t>(max_points - max_points % 2, 2)) return;
  // Full: merge pairs (a NaN or Inf stays visible in its merged point).
  std::vector<float>& h = m.batch_loss;
  for (size_t i = 0; 2 * i + 1 < h.size(); ++i) h[i] = float((double(h[2 * i]) + double(h[2 * i + 1])) / 2);
  h.resize(h.size() / 2);
  m.loss_stride *= 2;
}

void catch_up(const Metrics& from, Metrics& to) {
  auto sync = [](const auto& a, auto& b) {  // per-epoch series only grow during a run
    if (b.size() > a.size()) b.clear();
    b.insert(b.end(), a.begin() + std::ptrdiff_t(b.size()), a.end());
  };
  if (to.loss_stride != from.loss_stride) to.batch_loss.clear();  // merged: every point changed
  sync(from.batch_loss, to.batch_loss);
  to.batches_done = from.batches_done;
  to.loss_stride = from.loss_stride;
  to.loss_partial = from.loss_partial;
  to.loss_partial_count = from.loss_partial_count;
  sync(from.test_accuracy, to.test_accuracy);
  sync(from.validation_accuracy, to.validation_accuracy);
  sync(from.samples_per_sec, to.samples_per_sec);
  if (to.epochs.size() != from.epochs.size() || to.confusion.size() != from.confusion.size())
    to.confusion = from.confusion;  // (K, K), new once per epoch
  sync(from.epochs, to.epochs);
  to.epoch = from.epoch;
  to.batch = from.batch;
  to.batches_per_epoch = from.batches_per_epoch;
  to.recent_samples_per_sec = from.recent_samples_per_sec;
}

// Reads the batch losses still on the device into the history.
bool Trainer::flush_losses() {
  Impl& im = *impl_;
  Metrics& metrics = metrics_;
  if (im.pending.empty()) return true;
  std::vector<float> sums(im.pending.size());
  im.be->read(im.loss, sums.data(), sums.size() * sizeof(float));
  bool finite = true;
  for (size_t i = 0; i < sums.size(); ++i) {
    finite = finite && std::isfinite(sums[i]);
    im.epoch_loss += sums[i];
    record_batch_loss(metrics, sums[i] / float(im.pending[i]), max_loss_points_);
  }
  im.pending.clear();
  return finite;
}

bool Trainer::train_batch() {
  Impl& im = *impl_;
  Backend& be = *im.be;
  const int m = std::min(cfg_.batch, train_.count - im.next);
  be.gather(net_.input(), net_.labels(), im.train.images, im.train.labels, im.perm, im.next, m, cfg_.net.inputs);
  net_.forward(m, Net::Mode::Train);
  // network.py: w -= (eta/m) * sum of gradients; ch.3: w *= 1 - eta*lambda/n (weights only).
  Net::Sgd step;
  step.scale = cfg_.eta / float(m);
  step.l2 = cfg_.eta * cfg_.lambda / float(train_.count);
  step.momentum = cfg_.momentum;
  step.velocity = &im.velocity;
  net_.backward(m, im.loss, int(im.pending.size()), &step);
  im.pending.push_back(m);
  im.next += m;
  metrics_.batch += 1;
  if (int(im.pending.size()) == kLossSlots && !flush_losses()) return false;
  return true;
}

bool Trainer::eval_chunk() {
  Impl& im = *impl_;
  const DeviceData& d = im.phase == Impl::kEvalTest ? im.test : im.validation;
  const int K = cfg_.net.outputs();
  if (im.next == 0) im.clear_confusion(K);
  const int m = std::min(Net::kEvalChunk, d.count - im.next);
  net_.evaluate_rows(d.images, d.labels, im.next, m, im.confusion);
  im.next += m;
  if (im.next < d.count) return true;

  std::vector<int> confusion = im.read_confusion(K);
  if (im.phase == Impl::kEvalTest) {
    im.test_correct = correct_count(confusion, K);
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
    r.validation_correct = correct_count(confusion, K);
    r.validation_total = im.validation.count;
    metrics_.validation_accuracy.push_back(float(r.validation_correct) / float(r.validation_total));
  }
  r.train_seconds = im.epoch_seconds;
  r.samples_per_sec = im.epoch_seconds > 0 ? train_.count / im.epoch_seconds : 0;
  r.mean_loss = im.epoch_loss / train_.count;
  metrics_.test_accuracy.push_back(float(r.test_correct) / float(r.test_total));
  metrics_.samples_per_sec.push_back(float(r.samples_per_sec));
  metrics_.epochs.push_back(r);
  if (!all_finite(net_.parameters())) return false;  // e.g. eta = 100: weights overflow
  metrics_.epoch += 1;
  if (metrics_.epoch < cfg_.epochs) {
    start_epoch();
    return true;
  }
  // Done, resting between epochs as a run file saves it: more epochs would start from here.
  state_ = State::Done;
  im.phase = Impl::kTrain;
  im.next = 0;
  epoch_rng_ = rng_;
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
      if (healthy && im.phase == Impl::kTrain) {  // the epoch ended: the caller sees it between epochs
        ++units;
        break;
      }
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

bool Trainer::between_epochs() const {
  return status_.ok() && (state_ == State::Training || state_ == State::Paused || state_ == State::Done) &&
         impl_->phase == Impl::kTrain && impl_->next == 0 && impl_->pending.empty();
}

std::vector<uint8_t> Trainer::save_run() const {
  if (!between_epochs()) return {};
  RunFile run;
  run.settings = run_settings(cfg_);
  run.train_count = train_.count, run.validation_count = validation_.count, run.test_count = test_.count;
  run.rng = epoch_rng_.saved();
  run.dropout_pass = net_.dropout_pass();
  run.metrics = metrics_;
  run.model = save_model(net_.parameters());
  const std::vector<Net::Tensor>& tensors = net_.tensors();
  for (size_t i = 0; i < tensors.size() && cfg_.momentum > 0; ++i) {
    run.velocity.emplace_back(tensors[i].count);
    impl_->be->read(impl_->velocity[i], run.velocity.back().data(), tensors[i].count * sizeof(float));
  }
  return write_run_file(run);
}

Status Trainer::load_run(const uint8_t* data, size_t size, const std::string& name) {
  if (!status_.ok()) return status_;
  RunFile run;
  Status s = read_run_file(data, size, name, run);
  if (!s.ok()) return s;
  // Another run's file is refused naming the first setting that differs.
  const auto saved = split_settings(run.settings), mine = split_settings(run_settings(cfg_));
  for (size_t i = 0; i < std::max(saved.size(), mine.size()); ++i) {
    if (i < saved.size() && i < mine.size() && saved[i] == mine[i]) continue;
    if (i >= saved.size() || i >= mine.size() || saved[i].first != mine[i].first)
      return Status::fail(name + ": saved by a build with other settings (" + run.settings + ")");
    return Status::fail(name + ": the run was saved with " + saved[i].first + " " + saved[i].second + ", not " +
                        mine[i].second + " (only epochs and threads may differ)");
  }
  const int counts[3] = {train_.count, validation_.count, test_.count};
  const int theirs[3] = {run.train_count, run.validation_count, run.test_count};
  const char* what[3] = {"training", "validation", "test"};
  for (int i = 0; i < 3; ++i)
    if (counts[i] != theirs[i])
      return Status::fail(name + ": the run had " + std::to_string(theirs[i]) + " " + what[i] + " images, this data " +
                          std::to_string(counts[i]));
  Model model;
  if (!(s = load_model(run.model.data(), run.model.size(), name + " (its model)", model)).ok()) return s;
  const std::vector<Net::Tensor>& tensors = net_.tensors();
  bool velocity_fits = run.velocity.size() == (cfg_.momentum > 0 ? tensors.size() : 0);
  for (size_t i = 0; velocity_fits && i < run.velocity.size(); ++i)
    velocity_fits = run.velocity[i].size() == tensors[i].count;
  if (!velocity_fits) return Status::fail(name + ": its momentum does not fit the network's parameters");
  const int K = cfg_.net.outputs();
  if (run.metrics.confusion.size() != size_t(K) * K ||
      (run.metrics.validation_accuracy.empty() && validation_.count > 0 && run.metrics.epoch > 0))
    return Status::fail(name + ": its metrics do not fit this network and data");
  if (!(s = net_.set_parameters(model)).ok()) return Status::fail(name + ": " + s.message);

  for (size_t i = 0; i < run.velocity.size(); ++i)
    impl_->be->write(impl_->velocity[i], run.velocity[i].data(), run.velocity[i].size() * sizeof(float));
  net_.seed_dropout(cfg_.seed ^ kDropoutSeedMix, run.dropout_pass);
  rng_.restore(run.rng);
  const int per_epoch = metrics_.batches_per_epoch;
  metrics_ = std::move(run.metrics);
  metrics_.batches_per_epoch = per_epoch;
  state_ = metrics_.epoch >= cfg_.epochs ? State::Done : State::Training;
  start_epoch();
  return Status::success();
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

}  // namespace nnlab
