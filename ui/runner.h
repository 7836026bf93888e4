// A training run (its Net and Trainer) stepped on a thread of its own, or in
// slices of the caller's frames where that cannot be (a page that is not
// cross-origin isolated has no threads; the GL backend's context belongs to
// the UI thread). The UI never touches the run: it sends commands, applied
// between two batches in the order sent, and reads a RunView that sync()
// brings up to date with what the run last published.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "trainer.h"

namespace nnlab {

// Where a run trains: on a thread of its own, or in slices of the caller's frames.
enum class RunMode { OwnThread, Slices };

// The run as the UI sees it: a consistent copy, taken between two batches.
struct RunView {
  RunMode mode = RunMode::Slices;
  State state = State::Paused;
  TrainConfig config;  // the run's own (eta follows set_eta)
  Metrics metrics;
  std::string device;
  // The parameters at the last publication that carried them: at the start,
  // after each epoch's evaluation, when the run pauses or ends, and on
  // request_model(). model_label says which ("after epoch 3", "at epoch 4, batch 10 of 50").
  std::shared_ptr<const Model> model;
  long model_version = 0;
  std::string model_label;
};

class Runner {
 public:
  using Mode = RunMode;
  // Takes the run over; trainer trains *net. Publishes at once, so the first
  // sync() already sees the run and its initial parameters.
  Runner(std::unique_ptr<Net> net, std::unique_ptr<Trainer> trainer, Mode mode);
  ~Runner();  // stops the thread (after the batch in progress), then frees the run
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  Mode mode() const { return mode_; }

  // Commands: queued for the run's thread (in Slices mode applied at once).
  void pause();
  void resume();
  void set_eta(float eta);               // checked by the caller (the parameter table)
  void set_parameters(const Model& m);   // the same network, checked by the caller
  void request_model();                  // publish the parameters after the current slice
  // The parameters now: waits for the batch in progress (the one blocking call).
  Model parameters();

  // Own thread: the share of wall time the run's thread rests between slices,
  // in [0, 0.9]. Browsers have no thread priorities: on a machine with fewer
  // free cores than busy threads, this is how the UI keeps its frame rate.
  void set_rest(double fraction);

  // Slices mode: trains on this thread for up to `seconds` (at least one unit).
  // Does nothing on the run's own thread.
  void step(double seconds);
  // Copies what the run published since the last call into view (only what
  // changed: new loss points, new epochs).
  void sync(RunView& view);

 private:
  struct Shared;
  void post(std::function<void()> fn);  // to the run's side, in order
  Mode mode_;
  std::unique_ptr<Shared> s_;
};

}  // namespace nnlab
