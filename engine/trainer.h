// Mini-batch SGD with network.py's semantics over a Net, advanced in bounded
// steps so a UI frame loop can interleave training and drawing: shuffling,
// mini-batches, L2, momentum, metrics and divergence, nothing else. Parameters
// and data live in the Net's backend for the whole run; per batch only a loss
// scalar comes back.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "config.h"
#include "dataset.h"
#include "model.h"
#include "net.h"
#include "rng.h"
#include "status.h"

namespace nnlab {

enum class State { Training, Paused, Done, Diverged };
const char* name(State);

struct EpochReport {
  int epoch = 0;               // 0-based, as network.py prints it
  int test_correct = 0, test_total = 0;
  int validation_correct = 0, validation_total = 0;
  double train_seconds = 0;    // training only, evaluation excluded
  double samples_per_sec = 0;
  double mean_loss = 0;        // mean per-sample training cost over the epoch
};

// The per-batch loss history stays bounded in long runs: at most
// kMaxLossPoints points. Point i is the mean of the per-batch losses (each the
// batch's mean per-sample cost) of batches [i*loss_stride, (i+1)*loss_stride);
// when the history is full, neighbouring points merge into their mean and the
// stride doubles. A stride of 1 (every run under kMaxLossPoints batches) keeps
// one point per batch, exactly as network.py would print it.
constexpr size_t kMaxLossPoints = 100000;

struct Metrics {
  std::vector<float> batch_loss;           // per point: see kMaxLossPoints (1 point = 1 batch until then)
  long long batches_done = 0;              // batches trained in the run (not points)
  int loss_stride = 1;                     // batches per point, a power of two
  double loss_partial = 0;                 // sum of the batches not yet making a full point
  int loss_partial_count = 0;              //   and their number (< loss_stride)
  std::vector<float> test_accuracy;        // per epoch, fraction
  std::vector<float> validation_accuracy;  // per epoch, fraction (empty if no validation)
  std::vector<float> samples_per_sec;      // per epoch
  std::vector<int> confusion;              // (K,K) of the latest test evaluation
  std::vector<EpochReport> epochs;
  int epoch = 0;              // current epoch, 0-based
  int batch = 0;              // batches done in the current epoch
  int batches_per_epoch = 0;
  double recent_samples_per_sec = 0;  // over the latest step()
};

// Appends one batch's loss to m (batches_done, batch_loss), merging points
// once batch_loss would exceed max_points (an even number >= 2).
void record_batch_loss(Metrics& m, float loss, size_t max_points = kMaxLossPoints);

// Brings `to` (an earlier copy of `from`) up to date, copying only what
// changed: new loss points (all of them after a merge), new epochs. A UI
// thread's view of a run on another thread stays current at a few bytes a
// frame. A new Metrics field is copied here too.
void catch_up(const Metrics& from, Metrics& to);

class Trainer {
 public:
  enum class Start { Fresh, Continue };  // new parameters from the seed, or the net's own
  // Trains `net`, which must outlive the trainer and have rows() >=
  // effective_batch(cfg.batch, train.count).
  // `train` already has the validation images split off (split_validation);
  // `validation` may be empty. cfg.net is not read: the net is what it is.
  // Fails (see status()) on a config that does not fit the data or the net.
  Trainer(const TrainConfig& cfg, Net& net, Dataset train, Dataset test, Dataset validation,
          Start start = Start::Fresh);
  ~Trainer();

  const Status& status() const { return status_; }
  State state() const { return state_; }
  const TrainConfig& config() const { return cfg_; }
  const Metrics& metrics() const { return metrics_; }
  Net& net() { return net_; }

  // Runs training batches (and, at epoch ends, evaluation chunks) until
  // max_units are done, max_seconds have passed or an epoch has ended. Returns
  // units done; the caller sees finished epochs in metrics().epochs.
  int step(int max_units, double max_seconds = 1e30);

  // A run file: all a later process needs to continue this run exactly as if
  // it had never stopped (parameters, momentum, where the shuffles and the
  // dropout masks stand, the metrics, the settings). Runs are saved between
  // epochs, where step() stops: empty otherwise. Format: run_file.cpp.
  bool between_epochs() const;
  std::vector<uint8_t> save_run() const;
  // Continues the run saved in `data` (`name` in messages) on this trainer,
  // built with the same settings and data; only epochs and threads may differ.
  // On failure (a corrupt file, another run's file) nothing changes.
  Status load_run(const uint8_t* data, size_t size, const std::string& name);

  void pause();
  void resume();
  Status set_eta(float eta);
  // The history's bound (default kMaxLossPoints; tests use small ones).
  void limit_loss_points(size_t max_points) { max_loss_points_ = max_points; }

 private:
  struct Impl;
  void start_epoch();
  bool train_batch();
  bool eval_chunk();
  bool flush_losses();  // false if a batch loss is not finite

  TrainConfig cfg_;
  Net& net_;
  Dataset train_, test_, validation_;
  std::unique_ptr<Impl> impl_;
  Rng rng_;
  Rng epoch_rng_;  // rng_ before this epoch's shuffle: what a run file keeps
  Status status_;
  State state_ = State::Training;
  Metrics metrics_;
  size_t max_loss_points_ = kMaxLossPoints;
};

}  // namespace nnlab
