// The dashboard's session (see session.h): the model and its run (on its own
// thread or in frame slices); data loading is in session_data.cpp, parameters
// and the status JSON in session_text.cpp.
#include "session.h"

#include <algorithm>
#include <cmath>

#include "budget.h"
#include "idx.h"
#include "model.h"
#include "presets.h"

namespace nnlab {

const char* name(Phase p) {
  switch (p) {
    case Phase::Idle: return "idle";
    case Phase::Loading: return "loading";
    case Phase::Training: return "training";
    case Phase::Paused: return "paused";
    case Phase::Done: return "done";
    case Phase::Error: return "error";
    case Phase::Diverged: return "diverged";
  }
  return "?";
}

namespace {

// check_budget against what memory_limit leaves once the loaded data and
// `held` other bytes (a checkpoint file) are counted; no limit when it is 0.
Status check_memory(const Session& s, const TrainConfig& run, const DataCounts& counts, size_t held) {
  if (s.memory_limit == 0) return Status::success();
  uint64_t used = held;
  for (const Dataset* d : {&s.data.train, &s.data.test}) used += d->images.size() + d->labels.size();
  const uint64_t room = s.memory_limit > used ? s.memory_limit - used : 0;
  return check_budget(run, counts, room, "this page can use");
}

}  // namespace


Phase Session::phase() const {
  if (loading_) return Phase::Loading;
  if (run_) {
    switch (run_view_.state) {
      case State::Training: return Phase::Training;
      case State::Paused: return Phase::Paused;
      case State::Done: return Phase::Done;
      case State::Diverged: return Phase::Diverged;
    }
  }
  return error.empty() ? Phase::Idle : Phase::Error;
}

std::string Session::problem() const {
  if (phase() == Phase::Diverged)
    return "training diverged: the loss or the weights became NaN/Inf (try a smaller eta)";
  return error;
}

void Session::fail(const std::string& message) {
  loading_ = false;
  error = message;
  start_after_load_ = false;
}

std::unique_ptr<Backend> Session::new_backend() {
  backend_note.clear();
  std::unique_ptr<Backend> backend = make_backend ? make_backend(backend_note) : make_cpu_backend(cfg.threads);
  return backend ? std::move(backend) : make_cpu_backend(cfg.threads);
}

const std::vector<DataSource>& data_sources() {
  static const std::vector<DataSource> list = {
      {"mnist", "MNIST", "data/mnist", {}, {}},
      {"fashion", "Fashion-MNIST", "data/fashion",
       {"T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"},
       {"Tee", "Trou", "Pull", "Dres", "Coat", "Sand", "Shrt", "Snkr", "Bag", "Boot"}},
  };
  return list;
}

void Session::reset_histories() {
  smooth_loss.clear();
  smooth_stride_ = 1;
  sps_history.clear();
  sps_window_.clear();
  sps_last_point_ = -1;
  samples_done_ = 0;
  batches_seen_ = 0;
  train_wall_ = 0;
  run_rest = 0;
  epoch_eta_seconds = run_eta_seconds = -1;
  invalidate_predictions();
}

void Session::invalidate_predictions() {
  std::fill(predictions.begin(), predictions.end(), -1);
  predictions_version = -1;
  predictions_next = 0;
  confusion.clear();
  confusion_model.clear();
  model_accuracy = -1;
}

void Session::start() {
  notice.clear();
  if (loading_) return;
  if (!data_ready || data_loaded_from != data_base) {
    start_after_load_ = true;
    load_data();
    return;
  }
  Status s = validate(cfg);
  Dataset train = data.train;
  Dataset validation;
  if (s.ok()) s = split_validation(cfg.validation, train, validation);
  if (s.ok()) s = check_memory(*this, cfg, {train.count, validation.count, data.test.count}, 0);
  if (!s.ok()) {
    fail(s.message);
    return;
  }
  // A model loaded without a run is trained further; anything else starts afresh.
  const bool keep = net && !run_ && net->config() == cfg.net;
  std::unique_ptr<Model> loaded = keep ? std::make_unique<Model>(net->parameters()) : nullptr;
  run_.reset();  // free the previous run's buffers before allocating new ones
  run_view_ = RunView{};
  auto trained = std::make_unique<Net>(cfg.net, new_backend(), effective_batch(cfg.batch, train.count));
  s = trained->status();
  if (s.ok() && loaded) s = trained->set_parameters(*loaded);
  std::unique_ptr<Trainer> trainer;
  if (s.ok()) {
    trainer = std::make_unique<Trainer>(cfg, *trained, std::move(train), data.test, std::move(validation),
                                        keep ? Trainer::Start::Continue : Trainer::Start::Fresh);
    trainer->limit_loss_points(max_loss_points);
    s = trainer->status();
  }
  if (!s.ok()) {
    net.reset();
    fail(s.message);
    return;
  }
  // A GL backend's buffers belong to this thread's context: it trains in slices.
  const bool movable = trained->backend().any_thread();
  run_ = std::make_unique<Runner>(std::move(trained), std::move(trainer),
                                  own_thread && movable ? Runner::Mode::OwnThread : Runner::Mode::Slices);
  reset_histories();
  error.clear();
  sync_run();
}

// Puts the run's latest published parameters into the panels' model.
void Session::adopt_run_model() {
  if (!run_view_.model || run_view_.model_version == run_model_version_) return;
  run_model_version_ = run_view_.model_version;
  if (!net || net->config() != run_view_.model->net) {
    net = std::make_unique<Net>(run_view_.model->net, make_cpu_backend(1));
    if (!net->status().ok()) {  // no room for it: the run goes on, the panels go without
      net.reset();
      return;
    }
  }
  if (net->set_parameters(*run_view_.model).ok()) {
    ++net_version_;
    model_label = run_view_.model_label;
  }
}

// Slices apply a command at once: the view shows it now; a thread's answer
// comes with a later tick.
void Session::sync_run() {
  if (!run_) return;
  run_->sync(run_view_);
  adopt_run_model();
  const Metrics& m = run_view_.metrics;
  samples_done_ += long(m.batches_done - batches_seen_) * run_view_.config.batch;
  batches_seen_ = m.batches_done;
  // A full history merges its points in pairs (kMaxLossPoints): merge the
  // smoothed series alike, whole groups only; the rest is smoothed again.
  if (m.loss_stride != smooth_stride_) {
    const size_t g = size_t(m.loss_stride / smooth_stride_), n = smooth_loss.size() / g;
    for (size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (size_t j = 0; j < g; ++j) sum += smooth_loss[i * g + j];
      smooth_loss[i] = float(sum / double(g));
    }
    smooth_loss.resize(n);
    smooth_stride_ = m.loss_stride;
  }
  // An EMA whose time constant is 50 batches whatever a point holds.
  const float keep = m.loss_stride == 1 ? 0.98f : float(std::pow(0.98, m.loss_stride));
  const float take = m.loss_stride == 1 ? 0.02f : 1 - keep;
  for (size_t i = smooth_loss.size(); i < m.batch_loss.size(); ++i) {
    float raw = m.batch_loss[i];
    float prev = i == 0 || !std::isfinite(smooth_loss[i - 1]) ? raw : smooth_loss[i - 1];
    smooth_loss.push_back(std::isfinite(raw) ? keep * prev + take * raw : raw);
  }
}

void Session::pause() {
  if (run_) run_->pause();
  sync_run();
}

void Session::resume() {
  if (run_) run_->resume();
  sync_run();
}

void Session::reset() {
  run_.reset();
  run_view_ = RunView{};
  net.reset();
  reset_histories();
  error.clear();
  notice.clear();
  start_after_load_ = false;
}

namespace {

// The live parameters of a run: only eta today. The run takes it between two batches.
Status apply_live(Runner* run, const TrainConfig& next) {
  Status s = validate(next);
  if (s.ok() && run) run->set_eta(next.eta);
  return s;
}

}  // namespace

Status Session::set(const std::string& name, const std::string& text) {
  const Param* p = find_param(name);
  if (((p && !p->live) || name == "preset") && run_)
    return Status::fail(name + ": fixed while a run exists (Reset first)");
  TrainConfig next = cfg;
  Status s = name == "preset" ? apply_preset(next, text) : set_param(next, name, text);
  if (s.ok() && p && p->live) s = apply_live(run_.get(), next);
  if (s.ok()) cfg = next;
  sync_run();
  return s;
}

Status Session::set(const Param& p, double value) {
  if (run_ && !p.live) return Status::fail(std::string(p.name) + ": fixed while a run exists (Reset first)");
  TrainConfig next = cfg;
  Status s = set_param_value(next, p, value);
  if (s.ok() && p.live) s = apply_live(run_.get(), next);
  if (s.ok()) cfg = next;
  sync_run();
  return s;
}

Status Session::load_checkpoint(const uint8_t* bytes, size_t size, const std::string& file) {
  Model m;
  Status s = load_model(bytes, size, file, m);
  if (!s.ok()) return s;
  if (run_ && run_view_.config.net == m.net) {  // the same network: the run goes on with these parameters
    run_->set_parameters(m);
    if (net && (s = net->set_parameters(m)).ok()) {
      ++net_version_;
      model_label = "loaded from " + file;
    }
    return s;
  }
  if (data_ready && (m.net.inputs != data.train.pixels() || m.net.outputs() != data.train.classes))
    return Status::fail(file + ": the model " + format_net(m.net) + " does not fit the loaded data (" +
                        std::to_string(data.train.pixels()) + " pixels, " + std::to_string(data.train.classes) +
                        " classes)");
  // Another network: a model without a run; Start trains it further.
  TrainConfig run = cfg;  // Start trains it on the loaded data: the same check as Start's
  run.net = m.net;
  const int n = data_ready ? data.train.count : 0, held_out = std::clamp(validation_count(cfg.validation, n), 0, n);
  if (!(s = check_memory(*this, run, {n - held_out, held_out, data_ready ? data.test.count : 0}, size)).ok())
    return Status::fail(file + ": " + s.message);
  auto loaded = std::make_unique<Net>(m.net, make_cpu_backend(1));
  if (!loaded->status().ok()) return Status::fail(file + ": " + loaded->status().message);
  if (!(s = loaded->set_parameters(m)).ok()) return Status::fail(file + ": " + s.message);
  run_.reset();
  run_view_ = RunView{};
  net = std::move(loaded);
  ++net_version_;
  model_label = "loaded from " + file;
  cfg.net = m.net;
  reset_histories();
  error.clear();
  return Status::success();
}

Status Session::save_checkpoint(std::vector<uint8_t>& out) {
  if (!net && !run_) return Status::fail("no model to save: start training or load a model first");
  const Model m = run_ ? run_->parameters() : net->parameters();
  if (!all_finite(m)) return Status::fail("not saved: the model's parameters are not finite (the run diverged)");
  out = save_model(m);
  return Status::success();
}

void Session::refresh_predictions(int max_images) {
  if (!net || !data_ready || phase() == Phase::Diverged) return;
  if (predictions_version != net_version_) {
    predictions_version = net_version_;
    predictions_next = 0;
  }
  int n = std::min(max_images, data.test.count - predictions_next);
  if (n <= 0) return;
  std::vector<int> p = net->predict_labels(data.test, predictions_next, n);
  for (int i = 0; i < n && i < int(p.size()); ++i) predictions[size_t(predictions_next + i)] = p[size_t(i)];
  predictions_next += n;
  if (predictions_next < data.test.count) return;
  const int K = data.test.classes;
  confusion.assign(size_t(K) * K, 0);
  for (int i = 0; i < data.test.count; ++i) {
    const int pred = predictions[size_t(i)], truth = data.test.labels[size_t(i)];
    if (pred >= 0 && pred < K && truth < K) ++confusion[size_t(truth * K + pred)];
  }
  model_accuracy = double(correct_count(confusion, K)) / data.test.count;
  confusion_model = model_label;
}

void Session::tick(double now) {
  // fps over the last second of ticks.
  frame_times_.push_back(now);
  while (!frame_times_.empty() && frame_times_.front() < now - 1.0)
    frame_times_.erase(frame_times_.begin());
  if (frame_times_.size() >= 2)
    fps = double(frame_times_.size() - 1) / (frame_times_.back() - frame_times_.front());
  double interval = last_tick_ < 0 ? kTargetFrame : now - last_tick_;
  last_tick_ = now;

  if (run_ && run_->mode() == Runner::Mode::OwnThread && phase() == Phase::Training) {
    // Frames slower than kSlowFrame (fewer free cores than busy threads, as on
    // a 2-core machine rendering in software): the run's thread rests more;
    // faster ones: less. Where a core is free the rest stays 0.
    run_rest = std::clamp(run_rest + (interval > kSlowFrame ? 0.02 : -0.01), 0.0, 0.9);
    run_->set_rest(run_rest);
  }
  // While training, the panels' model (grid, matrix, pad) follows the run every
  // kModelRefresh seconds, not only at epoch ends: a long epoch would show the
  // untrained model all through it.
  if (run_ && phase() == Phase::Training && now - model_requested_ >= kModelRefresh) {
    run_->request_model();
    model_requested_ = now;
  }
  if (run_ && run_->mode() == Runner::Mode::Slices && phase() == Phase::Training) {
    // Proportional control of the training slice: long frames shrink it,
    // short ones grow it; rendering gets what is left of kTargetFrame.
    budget += 0.5 * (kTargetFrame - std::min(interval, 0.1));
    budget = std::clamp(budget, 0.001, kTargetFrame - 0.004);
    if (fixed_budget > 0) budget = fixed_budget;
    run_->step(budget);
  }
  sync_run();
  // samples/s as the user sees it (wall clock): the rate over the last second,
  // one chart point per quarter second.
  if (phase() == Phase::Training) {
    sps_window_.emplace_back(now, samples_done_);
    while (sps_window_.size() > 2 && sps_window_.front().first < now - 1.0)
      sps_window_.erase(sps_window_.begin());
    double span = now - sps_window_.front().first;
    if (span >= 0.25 && (sps_history.empty() || now - sps_last_point_ >= 0.25)) {
      sps_history.push_back(float(double(samples_done_ - sps_window_.front().second) / span));
      sps_last_point_ = now;
    }
  } else {
    sps_window_.clear();
  }
  // ETAs from the run's average wall-clock rate (evaluations included), not
  // the last second's: a short burst would promise too much.
  if (phase() == Phase::Training) train_wall_ += std::min(interval, 0.25);
  if (run_ && train_wall_ >= 1.0 && samples_done_ > 0) {
    const Metrics& m = run_view_.metrics;
    const double sps = double(samples_done_) / train_wall_;
    double left_in_epoch = double(m.batches_per_epoch - m.batch) * run_view_.config.batch;
    epoch_eta_seconds = std::max(0.0, left_in_epoch / sps);
    int epochs_left = run_view_.config.epochs - m.epoch - 1;
    run_eta_seconds = epoch_eta_seconds +
                      std::max(0, epochs_left) * double(m.batches_per_epoch) * run_view_.config.batch / sps;
  }
  // Insight grid predictions, on this thread: a slice of about 20 M multiply-adds
  // per frame while training (the run's thread may share this core), 10x that
  // otherwise.
  if (net) {
    double macs = 1;
    const std::vector<int> sizes = net->config().sizes();
    for (size_t i = 1; i < sizes.size(); ++i) macs += double(sizes[i - 1]) * sizes[i];
    const double per_frame = phase() == Phase::Training ? 2e7 : 2e8;
    refresh_predictions(int(std::clamp(per_frame / macs, 1.0, 1000.0)));
  }
}

}  // namespace nnlab
