// The run's thread (see runner.h): it applies queued commands, trains a slice,
// publishes, and sleeps when there is nothing to train. One mutex guards the
// queue and the published view; the Net and Trainer are touched by one thread only.
#include "runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace nnlab {
namespace {

// Training between two looks at the command queue: pause, eta and save answer
// within this (or one batch, if longer), far inside a 33 ms frame.
constexpr double kSlice = 0.01;  // s

// Which parameters these are, for the panels ("after epoch 3").
std::string label_of(const Trainer& t) {
  const Metrics& m = t.metrics();
  const int done = int(m.epochs.size());
  if (m.batches_done == 0) return "as initialised";
  if (t.state() == State::Done || m.batch == 0 || m.batch == m.batches_per_epoch)
    return "after epoch " + std::to_string(done);
  return "at epoch " + std::to_string(done + 1) + ", batch " + std::to_string(m.batch) + " of " +
         std::to_string(m.batches_per_epoch);
}

}  // namespace

struct Runner::Shared {
  std::unique_ptr<Net> net;          // declared before the trainer: destroyed after it
  std::unique_ptr<Trainer> trainer;
  std::mutex mu;                     // guards the fields below
  std::condition_variable wake;
  std::vector<std::function<void()>> commands;
  bool quit = false, want_model = false;
  std::atomic<double> rest{0};       // set_rest()
  RunView published;
  size_t epochs_published = 0;       // the run's side only
  State state_published = State::Training;
  std::thread thread;

  // Copies the trainer's news into `published`; the parameters too when asked,
  // after an evaluation, and when training stops.
  void publish(bool with_model) {
    const Metrics& m = trainer->metrics();
    const State state = trainer->state();
    {
      std::lock_guard<std::mutex> lock(mu);
      with_model = with_model || want_model;
      want_model = false;
    }
    with_model = with_model || m.epochs.size() != epochs_published ||
                 (state != state_published && state != State::Training);
    epochs_published = m.epochs.size();
    state_published = state;
    std::shared_ptr<const Model> model;
    if (with_model) model = std::make_shared<const Model>(net->parameters());  // outside the lock
    std::lock_guard<std::mutex> lock(mu);
    published.state = state;
    published.config = trainer->config();
    catch_up(m, published.metrics);
    if (model) {
      published.model = std::move(model);
      ++published.model_version;
      published.model_label = label_of(*trainer);
    }
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      wake.wait(lock, [&] {
        return quit || !commands.empty() || want_model || published.state == State::Training;
      });
      if (quit) return;
      std::vector<std::function<void()>> todo;
      todo.swap(commands);
      lock.unlock();
      for (auto& c : todo) c();
      const double trained = trainer->step(1 << 30, kSlice) > 0 ? kSlice : 0;  // nothing unless training
      publish(false);
      lock.lock();
      const double r = rest.load();
      if (trained > 0 && r > 0)  // rest, but a command or quit ends it
        wake.wait_for(lock, std::chrono::duration<double>(trained * r / (1 - r)),
                      [&] { return quit || !commands.empty(); });
    }
  }
};

Runner::Runner(std::unique_ptr<Net> net, std::unique_ptr<Trainer> trainer, Mode mode)
    : mode_(mode), s_(std::make_unique<Shared>()) {
  s_->net = std::move(net);
  s_->trainer = std::move(trainer);
  s_->published.device = s_->net->device();
  s_->published.mode = mode;
  s_->publish(true);
  if (mode_ == Mode::OwnThread) s_->thread = std::thread([s = s_.get()] { s->loop(); });
}

Runner::~Runner() {
  if (s_->thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      s_->quit = true;
    }
    s_->wake.notify_one();
    s_->thread.join();
  }
}

// At once in Slices mode, else queued for the run's thread.
void Runner::post(std::function<void()> fn) {
  if (mode_ == Mode::Slices) {
    fn();
    s_->publish(false);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->commands.push_back(std::move(fn));
  }
  s_->wake.notify_one();
}

void Runner::pause() { post([s = s_.get()] { s->trainer->pause(); }); }
void Runner::resume() { post([s = s_.get()] { s->trainer->resume(); }); }
void Runner::set_eta(float eta) { post([s = s_.get(), eta] { (void)s->trainer->set_eta(eta); }); }

void Runner::set_parameters(const Model& m) {
  post([s = s_.get(), m] {
    (void)s->net->set_parameters(m);
    std::lock_guard<std::mutex> lock(s->mu);
    s->want_model = true;  // the view shows them at once
  });
}

void Runner::request_model() {
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->want_model = true;
  }
  if (mode_ == Mode::Slices) s_->publish(false);
  else s_->wake.notify_one();
}

Model Runner::parameters() {
  if (mode_ == Mode::Slices) return s_->net->parameters();
  std::promise<Model> result;
  std::future<Model> done = result.get_future();
  post([&] { result.set_value(s_->net->parameters()); });
  return done.get();
}

void Runner::set_rest(double fraction) { s_->rest = std::clamp(fraction, 0.0, 0.9); }

void Runner::step(double seconds) {
  if (mode_ != Mode::Slices) return;
  s_->trainer->step(1 << 30, seconds);
  s_->publish(false);
}

void Runner::sync(RunView& view) {
  std::lock_guard<std::mutex> lock(s_->mu);
  const RunView& p = s_->published;
  view.state = p.state;
  view.config = p.config;
  view.device = p.device;
  view.mode = p.mode;
  catch_up(p.metrics, view.metrics);
  if (view.model_version != p.model_version) {
    view.model = p.model;  // shared, immutable: no copy
    view.model_version = p.model_version;
    view.model_label = p.model_label;
  }
}

}  // namespace nnlab
