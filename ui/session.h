// The dashboard's session, shared by the web page and the desktop app:
// hyper-parameters (from URL/CLI parameters or the panels), data loading with
// per-file progress, the model (trained, or loaded from a checkpoint), a run
// training it on a thread of its own or in slices of the frames (runner.h),
// and the status JSON. Its phase is derived from those, never stored. No ImGui
// and no platform code here; the front end plugs in fetching.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "params.h"
#include "runner.h"
#include "trainer.h"

namespace nnlab {

enum class Phase { Idle, Loading, Training, Paused, Done, Error, Diverged };
const char* name(Phase);

// One of the four IDX files of a data source, as the page fetches it.
struct FileLoad {
  std::string name;             // standard name, e.g. train-images-idx3-ubyte
  std::string url;              // the URL (or path) being fetched / last tried
  double received = 0, total = 0;  // bytes; total 0 while unknown
  bool done = false;
  std::string error;            // why it failed, naming the URL
  std::vector<uint8_t> bytes;   // fetched bytes (gzip or raw), freed after parsing
};

// The data sets offered by name (the page's radio buttons, data=ID); any other
// base is a URL (web) or a directory (native) whose classes are numbered.
struct DataSource {
  const char* id;     // data=ID
  const char* label;  // as the panel shows it
  const char* base;   // URL base (web) or directory (native)
  std::vector<std::string> classes, short_classes;  // empty: the labels' numbers
};
const std::vector<DataSource>& data_sources();

class Session {
 public:
  static constexpr int kFiles = 4;  // train images, train labels, test images, test labels
  // The most bytes one data file may have as fetched (after any Content-Encoding,
  // before the IDX gzip is inflated): MNIST's largest is 9.9 MB gzipped, 47 MB raw.
  // The page refuses a larger response before it reaches the WASM heap.
  static constexpr double kMaxFileBytes = 128.0 * (1 << 20);

  // --- set by the front end -------------------------------------------------
  // Starts fetching files[i].url (+".gz" first, then raw); the front end later
  // calls file_progress / file_loaded / file_failed with the same generation.
  std::function<void(int generation, int i, const std::string& base_url)> fetch_file;
  // Aborts every fetch in flight (their answers may still come: the generation drops them).
  std::function<void()> cancel_fetches;
  // Makes the compute backend for a new trainer (CPU unless the app picks GPU);
  // on fallback it writes a note for the user.
  std::function<std::unique_ptr<Backend>(std::string& note)> make_backend;
  // Runs train on a thread of their own (the page when cross-origin isolated,
  // the app on the CPU), else in slices of tick(); why_slices says why not.
  bool own_thread = false;
  std::string why_slices;
  // For the status line: where the run trains and, in slices, why ("" without a run).
  std::string trainer_note() const;

  // --- configuration ----------------------------------------------------------
  // The next run's settings; front ends read it and change it only through
  // set() / apply_param(). A running trainer's config() is the run's own.
  TrainConfig cfg;
  std::string data_base = "data/mnist";  // URL base (web) or directory (native)
  // Bytes the session may hold, its loaded data included (0 = no limit): a run
  // or a checkpoint's model over it is refused (check_budget) before anything
  // is allocated. The page sets it from its WASM heap's maximum.
  size_t memory_limit = 0;
  bool autostart = false;
  size_t max_loss_points = kMaxLossPoints;  // the run's history bound (tests use small ones)

  // One parameter by its URL / CLI name (sizes, activation, output, cost, eta,
  // batch, epochs, lambda, momentum, init, seed, validation, data, autostart).
  Status apply_param(const std::string& key, const std::string& value);
  // "a=1&b=2" (a leading '?' is skipped); stops at the first bad parameter.
  Status apply_query(const std::string& query);

  // --- state ------------------------------------------------------------------
  // Loading while files are fetched; else the trainer's state if a run exists;
  // else Error if something failed; else Idle (with or without a loaded model).
  Phase phase() const;
  std::string error;   // what failed (phase Error), or ""
  void fail(const std::string& message);  // phase Error with this message
  std::string problem() const;  // for the user: the error, or why the run diverged; "" if none

  // --- data -------------------------------------------------------------------
  std::string notice;  // non-fatal message, e.g. a rejected checkpoint
  FileLoad files[kFiles];
  int generation = 0;  // bumps on every (re)load, so stale fetch answers are dropped
  bool data_ready = false;
  std::string data_loaded_from;
  DataFiles data;

  // Fetches data_base (aborting any load in flight: never two sets at once);
  // Start follows if requested.
  void load_data();
  // Stops a load in flight: late answers are dropped, phase Idle, notice "data loading cancelled".
  void cancel_loading();
  // The loaded data's source by its base (nullptr: a URL or directory), and
  // class k's name as the source names it (short: four letters at most).
  const DataSource* loaded_source() const;
  std::string class_name(int k, bool short_form = false) const;
  void file_progress(int gen, int i, double received, double total);
  void file_loaded(int gen, int i, const std::string& url, std::vector<uint8_t> bytes);
  void file_failed(int gen, int i, const std::string& url, const std::string& reason);

  // --- the model and its training ----------------------------------------------
  // The model the panels show and predict with, on this thread's CPU: a loaded
  // checkpoint, or the run's parameters as last published (model_label says
  // which: "after epoch 3", "loaded from FILE"). nullptr: no model.
  std::unique_ptr<Net> net;
  long model_version() const { return net_version_; }  // changes with net's parameters
  std::string model_label;
  // The run as last synced (state, its config, metrics); nullptr: no run.
  const RunView* run() const { return run_ ? &run_view_ : nullptr; }
  void start();   // loads data first when needed
  void pause();
  void resume();
  void reset();   // drops the run and the model, keeps the data
  // One hyper-parameter (or preset=ID), judged by the parameter table (params.h): by text
  // (the URL, nnlabCommand, the panel's text and choice widgets) or by number
  // (the panel's number widgets). While a run exists only live parameters
  // (eta) change, and the run takes the new value too. Refused: nothing changes.
  Status set(const std::string& name, const std::string& text);
  Status set(const Param& p, double value);
  // A checkpoint's bytes: on success the model replaces the current one (into
  // the paused or running trainer's net when the network is the same; else as a
  // new Net without a run, which Start then trains further); on failure nothing changes.
  Status load_checkpoint(const uint8_t* data, size_t size, const std::string& name);
  // The model as checkpoint bytes; refused without a model, and for one whose
  // parameters are not finite (a diverged run is never saved: the same rule the CLI keeps).
  // While training, the parameters of the batch just done (waits for it).
  Status save_checkpoint(std::vector<uint8_t>& out);

  // Once per frame with a monotonic clock in seconds: measures fps; in slices
  // mode trains for a budget adapted so the whole frame stays near
  // kTargetFrame; brings run() and the model up to date.
  void tick(double now);

  // --- measurements for the charts and nnlabStatus() ---------------------------
  static constexpr double kTargetFrame = 0.025;  // s (40 fps): margin above 30 fps for busy machines
  static constexpr double kSlowFrame = 0.03;     // s: a frame this long makes a run's own thread rest
  static constexpr double kModelRefresh = 3.0;   // s between the panels' model updates while training
  double fps = 0;
  double budget = 0.008;            // s of training per frame
  double fixed_budget = 0;          // > 0: use this instead of adapting (parameter budgetMs)
  double frame_work_ms = 0;         // the front end's own frame time (training + UI), for tuning
  double run_rest = 0;              // own thread: its share of rest, raised while frames are slow
  std::vector<float> smooth_loss;   // EMA of metrics().batch_loss, same length and points
  std::vector<float> sps_history;   // samples/s (wall clock), one point per quarter second
  double epoch_eta_seconds = -1;    // time left in this epoch, -1 if unknown
  double run_eta_seconds = -1;
  std::string backend_note;

  // Test-set predictions for the insight grid, refreshed in chunks after each epoch.
  std::vector<int> predictions;     // (test.count), -1 = not yet predicted
  long predictions_version = -1;    // model_version() they belong to
  int predictions_next = 0;
  // The panels' model on the whole test set, once every prediction is in (a
  // loaded model too, with no run): (K, K) true x predicted, and its accuracy.
  // While a newer model's predictions come in, the last matrix stays (the panels
  // below it would jump up and back every model refresh); confusion_model says
  // which model it is from.
  std::vector<int> confusion;       // empty until then
  std::string confusion_model;      // model_label of that model
  double model_accuracy = -1;

  // What the draw pad shows, written by the dashboard each frame (for scripts).
  struct DrawPad {
    float rect[4] = {0, 0, 0, 0};  // x, y, w, h in window pixels
    int predicted = -1;
    std::vector<float> probs;      // (K), normalised to sum 1
  } pad;

  // How the front end shows the session, for scripts and tests: the frame
  // loop writes the scale and framebuffer, the dashboard the rest, each frame.
  struct View {
    const char* layout = "wide";  // "wide": panels side by side; "narrow": one scrolling column
    float scale = 1;              // framebuffer pixels per layout unit (the page's devicePixelRatio)
    int framebuffer[2] = {0, 0};  // the canvas' backing store (the window's framebuffer), pixels
    std::vector<std::pair<std::string, float>> scroll;  // panel -> scroll offset, units
    std::string modal;            // title of the open modal dialog, "" if none
    // Where some widgets are (x, y, w, h in units): the run buttons, the discard
    // dialog's, each parameter's field; so tests click and tap them as a user would.
    std::vector<std::pair<std::string, std::array<float, 4>>> widgets;
  } view;

  std::string status_json() const;

 private:
  bool start_after_load_ = false;
  bool loading_ = false;
  std::unique_ptr<Runner> run_;
  RunView run_view_;
  long net_version_ = 0;        // bumps whenever net's parameters change
  long run_model_version_ = -1; // run_view_.model_version copied into net
  long long batches_seen_ = 0;  // run_view_.metrics.batches_done at the last tick
  std::unique_ptr<Backend> new_backend();
  double last_tick_ = -1;
  std::vector<double> frame_times_;  // ticks within the last second
  std::vector<std::pair<double, long>> sps_window_;  // (time, samples done) over ~1 s
  double sps_last_point_ = -1;
  long samples_done_ = 0;
  double train_wall_ = 0;  // s of wall clock spent training in this run
  double model_requested_ = -1e30;  // tick time of the last request_model()
  int smooth_stride_ = 1;  // batches per point of smooth_loss (Metrics::loss_stride)
  void parse_files();
  void refresh_predictions(int max_images);
  void invalidate_predictions();
  void reset_histories();
  void adopt_run_model();
  void sync_run();
  void set_model(std::unique_ptr<Net> model, std::string label);
};

}  // namespace nnlab
