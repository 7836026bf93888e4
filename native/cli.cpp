// nnlab: the headless command line. `train` runs network.py's SGD and prints
// its "Epoch N: correct / total" lines, and network3.py's best validation epoch;
// `eval` scores a saved model, or several as an ensemble.
// Exit status: 0 ok, 1 bad data or file, 2 bad flags, 3 training diverged
// (a diverged model is never saved).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "budget.h"
#include "gl_backend.h"
#include "io.h"
#include "model.h"
#include "params.h"
#include "presets.h"
#include "run_file.h"
#include "net.h"
#include "trainer.h"

using namespace nnlab;

namespace {

// Flags of the front end itself; every hyper-parameter comes from params().
struct Flag {
  const char* name;
  const char* help;
};
const Flag kFrontFlags[] = {
    {"data", "directory of the four IDX files (.gz or raw); tools/prepare_data makes data/mnist, data/fashion"},
    {"preset", "one of the book's runs (nnlab presets lists them); other flags override it"},
    {"device", "cpu or gpu (OpenGL compute; falls back to the cpu, saying why)"},
    {"save", "write the trained model to FILE"},
    {"save-best", "write the model of the best validation epoch so far to FILE (network3.py's choice)"},
    {"load", "start from (train) or score (eval) the model in FILE; eval takes several: their averaged outputs vote"},
    {"resume", "keep the run in FILE after every epoch, and continue the run in FILE if there is one (same flags; --epochs may grow)"},
};

std::string usage() {
  std::string u =
      "usage: nnlab train --data DIR [--preset ID] [--NAME VALUE ...] [--device cpu|gpu] [--save FILE]\n"
      "                   [--save-best FILE] [--load FILE] [--resume FILE]\n"
      "       nnlab eval --data DIR --load FILE [--load FILE ...] [--device cpu|gpu]\n"
      "       nnlab presets\n"
      "flags:\n";
  char line[512];
  for (const Flag& f : kFrontFlags) {
    std::snprintf(line, sizeof line, "  --%-11s %s\n", f.name, f.help);
    u += line;
  }
  u += "hyper-parameters (default in brackets):\n";
  for (const Param& p : params()) {
    std::string choices = p.kind == Param::kChoice ? std::string(" (") + p.choices + ")" : "";
    std::snprintf(line, sizeof line, "  --%-11s %s%s [%s]\n", p.name, p.help, choices.c_str(),
                  param_default(p).c_str());
    u += line;
  }
  return u;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "nnlab: %s\n%s", msg.c_str(), usage().c_str());
  return 2;
}
int data_error(const std::string& msg) {
  std::fflush(stdout);  // the lines before it first
  std::fprintf(stderr, "nnlab: %s\n", msg.c_str());
  return 1;
}

std::unique_ptr<Backend> make_backend(const std::string& device, int threads) {
  if (device == "gpu") {
    Status why;
    if (auto gl = make_gl_backend(why)) return gl;
    std::printf("device: gpu unavailable (%s); falling back to the cpu\n", why.message.c_str());
  }
  return make_cpu_backend(threads);
}

// One terminal line redrawn in place while an epoch runs (only on a TTY).
void draw_progress(const Metrics& m, double elapsed) {
  const int width = 30;
  double frac = m.batches_per_epoch ? double(m.batch) / m.batches_per_epoch : 0;
  int filled = int(frac * width);
  double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  std::printf("\r[%s%s] %3d%%  %.0f samples/s  ETA %.0f s ", std::string(filled, '#').c_str(),
              std::string(width - filled, ' ').c_str(), int(frac * 100), m.recent_samples_per_sec, eta);
  std::fflush(stdout);
}

void print_confusion(const std::vector<int>& c, int k) {
  std::printf("confusion matrix (rows: true class, columns: predicted)\n     ");
  for (int j = 0; j < k; ++j) std::printf("%6d", j);
  std::printf("\n");
  for (int i = 0; i < k; ++i) {
    std::printf("%4d ", i);
    for (int j = 0; j < k; ++j) std::printf("%6d", c[size_t(i) * k + j]);
    std::printf("\n");
  }
}

// The test set's pixels as the backend's gather makes them (u8 / 255).
std::vector<float> pixels(const Dataset& d) {
  std::vector<float> x(d.images.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(d.images[i]) / 255.0f;
  return x;
}

// network3.py's ensemble: every model's output probabilities summed, the
// largest sum wins. Each model is scored alone first; any network fits.
int ensemble(const std::vector<std::string>& files, const Dataset& test, const std::string& device, int threads) {
  const std::vector<float> x = pixels(test);
  std::vector<double> votes;
  int K = 0;
  for (const std::string& file : files) {
    std::vector<uint8_t> bytes;
    Model m;
    Status s = read_file(file, bytes, kMaxModelBytes, "a model file");
    if (s.ok()) s = load_model(bytes.data(), bytes.size(), file, m);
    if (!s.ok()) return data_error(s.message);
    if (m.net.inputs != test.pixels() || m.net.outputs() != test.classes)
      return data_error(file + ": the model takes " + std::to_string(m.net.inputs) + " inputs and " +
                        std::to_string(m.net.outputs()) + " classes; the data has " + std::to_string(test.pixels()) +
                        " pixels and " + std::to_string(test.classes) + " classes");
    Net net(m.net, make_backend(device.empty() ? "cpu" : device, threads));
    if (!net.status().ok() || !(s = net.set_parameters(m)).ok())
      return data_error(file + ": " + (net.status().ok() ? s.message : net.status().message));
    const std::vector<float> probs = net.predict(x.data(), test.count);
    K = net.classes();
    votes.resize(probs.size(), 0.0);
    int correct = 0;
    for (int i = 0; i < test.count; ++i) {
      const float* p = probs.data() + size_t(i) * K;
      correct += int(std::max_element(p, p + K) - p) == test.labels[size_t(i)];
      // Sigmoid outputs are not a distribution: normalise each row so every model votes with weight 1.
      double sum = 0;
      for (int k = 0; k < K; ++k) sum += std::max(0.0f, p[k]);
      for (int k = 0; k < K; ++k) votes[size_t(i) * K + k] += sum > 0 ? std::max(0.0f, p[k]) / sum : 0.0;
    }
    std::printf("%s: %s, accuracy %d / %d (%.2f%%)\n", file.c_str(), format_net(m.net).c_str(), correct, test.count,
                100.0 * correct / test.count);
  }
  std::vector<int> confusion(size_t(K) * K, 0);
  for (int i = 0; i < test.count; ++i) {
    const double* v = votes.data() + size_t(i) * K;
    confusion[size_t(test.labels[size_t(i)]) * K + int(std::max_element(v, v + K) - v)] += 1;
  }
  const int correct = correct_count(confusion, K);
  std::printf("ensemble of %zu: accuracy: %d / %d (%.2f%%)\n", files.size(), correct, test.count,
              100.0 * correct / test.count);
  print_confusion(confusion, K);
  return 0;
}

int print_presets() {
  std::printf("%-11s %6s  %s\n", "preset", "book", "run (nnlab train --data data/mnist --preset ID)");
  for (const Preset& p : presets())
    std::printf("%-11s %5.2f%%  %s%s%s\n", p.id, p.book_percent, p.title, *p.settings ? "  | " : "",
                p.settings);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::printf("%s", usage().c_str());
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd == "presets" && argc == 2) return print_presets();
  if (cmd != "train" && cmd != "eval") return usage_error("unknown command '" + cmd + "'");

  std::map<std::string, std::string> flags;  // front-end flags
  std::vector<std::string> loads;             // every --load, in order (eval: an ensemble)
  std::vector<std::pair<std::string, std::string>> settings;  // hyper-parameters, in order
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return usage_error("unexpected argument '" + a + "'");
    if (i + 1 >= argc) return usage_error(a + " needs a value");
    std::string key = a.substr(2), value = argv[++i];
    bool front = false;
    for (const Flag& f : kFrontFlags) front = front || key == f.name;
    if (!front && !find_param(key)) return usage_error("unknown flag " + a);
    if (key == "load") loads.push_back(value);
    bool repeated = flags.count(key) > 0 && !(key == "load" && cmd == "eval");
    for (const auto& kv : settings) repeated = repeated || kv.first == key;
    if (repeated) return usage_error(a + " is given twice" + (key == "load" ? " (an ensemble is for eval)" : ""));
    if (front)
      flags[key] = value;
    else
      settings.emplace_back(key, value);
  }

  TrainConfig cfg;
  Status s;
  if (flags.count("preset") && !(s = apply_preset(cfg, flags["preset"])).ok()) return usage_error("--" + s.message);
  for (const auto& [key, value] : settings)
    if (!(s = set_param(cfg, key, value)).ok()) return usage_error("--" + s.message);
  auto given = [&](const char* key) {
    for (const auto& kv : settings)
      if (kv.first == key) return true;
    return false;
  };
  const std::string device = flags.count("device") ? flags["device"] : "cpu";
  if (device != "cpu" && device != "gpu") return usage_error("--device: '" + device + "' is not cpu or gpu");
  if (!flags.count("data")) return usage_error("--data DIR is required");
  if (cmd == "eval" && !flags.count("load")) return usage_error("eval needs --load FILE");
  if (!(s = validate(cfg)).ok()) return usage_error("--" + s.message);

  // --save is checked before the run: a path found bad only at the end would
  // cost every epoch and lose the trained model.
  for (const char* key : {"save", "save-best", "resume"})
    if (cmd == "train" && flags.count(key) && !(s = check_write_target(flags[key])).ok())
      return data_error("--" + std::string(key) + ": " + s.message);
  if (cmd == "eval" && (flags.count("save") || flags.count("save-best") || flags.count("resume")))
    return usage_error("eval writes no model: --save, --save-best and --resume are for train");

  // A loaded model defines the network; flags that contradict it are an error.
  Model loaded;
  if (flags.count("load")) {
    std::vector<uint8_t> bytes;
    if (!(s = read_file(flags["load"], bytes, kMaxModelBytes, "a model file")).ok()) return data_error(s.message);
    if (!(s = load_model(bytes.data(), bytes.size(), flags["load"], loaded)).ok()) return data_error(s.message);
    for (const char* key : {"net", "sizes", "activation", "output", "cost"})
      if (given(key) && cfg.net != loaded.net)
        return usage_error("--" + std::string(key) + " makes " + format_net(cfg.net) + " (" + name(cfg.net.cost) +
                           "), which does not match " + flags["load"] + ": " + format_net(loaded.net) + " (" +
                           name(loaded.net.cost) + ")");
    cfg.net = loaded.net;
  }

  DataFiles data;
  if (!(s = load_data_dir(flags["data"], data)).ok()) return data_error(s.message);
  if (cmd == "eval" && loads.size() > 1) return ensemble(loads, data.test, flags["device"], cfg.threads);
  // A model for other data is a bad file (exit 1, named), for eval and train alike.
  if (flags.count("load") && (data.test.pixels() != loaded.net.inputs || data.test.classes != loaded.net.outputs()))
    return data_error(flags["load"] + ": the model takes " + std::to_string(loaded.net.inputs) + " inputs and " +
                      std::to_string(loaded.net.outputs()) + " classes; " + flags["data"] + " has " +
                      std::to_string(data.test.pixels()) + " pixels and " + std::to_string(data.test.classes) +
                      " classes");
  // A run that cannot fit in this machine's memory is refused before anything is allocated.
  const int held_out = std::clamp(validation_count(cfg.validation, data.train.count), 0, data.train.count);
  const DataCounts counts = cmd == "eval" ? DataCounts{0, 0, data.test.count}
                                          : DataCounts{data.train.count - held_out, held_out, data.test.count};
  const uint64_t physical = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
  if (!(s = check_budget(cfg, counts, physical, "this machine has")).ok()) return data_error(s.message);
  Net net(cfg.net, make_backend(device, cfg.threads), effective_batch(cfg.batch, counts.train));
  if (!net.status().ok()) return data_error(net.status().message);
  std::printf("device: %s\n", net.device().c_str());
  if (flags.count("load") && !(s = net.set_parameters(loaded)).ok()) return data_error(flags["load"] + ": " + s.message);

  if (cmd == "eval") {
    std::vector<int> confusion;
    const int correct = net.evaluate(data.test, confusion);
    std::printf("accuracy: %d / %d (%.2f%%)\n", correct, data.test.count, 100.0 * correct / data.test.count);
    print_confusion(confusion, net.classes());
    return 0;
  }

  Dataset validation;
  if (!(s = split_validation(cfg.validation, data.train, validation)).ok()) return usage_error("--" + s.message);
  const int test_total = data.test.count, train_total = data.train.count, validation_total = validation.count;
  Trainer trainer(cfg, net, std::move(data.train), std::move(data.test), std::move(validation),
                  flags.count("load") ? Trainer::Start::Continue : Trainer::Start::Fresh);
  if (!trainer.status().ok()) {  // sizes or a batch that do not fit the data are the flags' fault; memory is not
    const std::string& m = trainer.status().message;
    return m.rfind("sizes: ", 0) == 0 || m.rfind("batch: ", 0) == 0 ? usage_error(m) : data_error(m);
  }
  // A run file there is continued (it holds the weights: a --load is only the start of a new run).
  struct stat run_stat;
  const bool resuming = flags.count("resume") && stat(flags["resume"].c_str(), &run_stat) == 0;
  if (resuming) {
    std::vector<uint8_t> bytes;
    if (!(s = read_file(flags["resume"], bytes, kMaxRunFileBytes, "a run file")).ok()) return data_error(s.message);
    if (!(s = trainer.load_run(bytes.data(), bytes.size(), flags["resume"])).ok()) return data_error(s.message);
  }

  std::printf("training %s (%s), %d epochs, batch %d, eta %g, lambda %g, momentum %g, seed %llu\n",
              format_net(cfg.net).c_str(), name(cfg.net.cost), cfg.epochs, cfg.batch, cfg.eta, cfg.lambda,
              cfg.momentum, (unsigned long long)cfg.seed);
  if (validation_total)
    std::printf("data: %d training images, the next %d for validation, %d test images\n", train_total,
                validation_total, test_total);
  if (cfg.expand)
    std::printf("expanded: %d training images, each also shifted one pixel up, down, left and right\n",
                5 * train_total);
  if (flags.count("save-best") && validation_total == 0)
    return usage_error("--save-best: the run holds out no validation images to choose by (--validation N)");
  const size_t restored = trainer.metrics().epochs.size();  // epochs done by earlier processes
  if (resuming) {
    double seconds = 0;
    for (const EpochReport& r : trainer.metrics().epochs) seconds += r.train_seconds;
    std::printf("continuing %s: %zu of %d epochs done (%.1f s of training so far)%s\n", flags["resume"].c_str(),
                restored, cfg.epochs, seconds, flags.count("load") ? "; its weights, not --load's" : "");
  }
  std::fflush(stdout);
  const bool tty = isatty(STDOUT_FILENO);
  size_t printed = 0;
  int best = -1;  // the epoch of the best validation accuracy (the latest of equals: network3.py's >=)
  bool best_saved = false;
  using Clock = std::chrono::steady_clock;
  Clock::time_point epoch_start = Clock::now();
  bool progress_shown = false;
  for (bool first = true; first || trainer.state() == State::Training; first = false) {
    if (!first) trainer.step(1 << 30, 0.1);
    const double epoch_elapsed = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    const Metrics& m = trainer.metrics();
    if (tty && epoch_elapsed > 1.0 && m.batch < m.batches_per_epoch) {
      draw_progress(m, epoch_elapsed);
      progress_shown = true;
    }
    const size_t before = printed;
    for (; printed < m.epochs.size(); ++printed) {
      const EpochReport& r = m.epochs[printed];
      if (progress_shown) std::printf("\r%*s\r", 80, "");
      progress_shown = false;
      epoch_start = Clock::now();
      std::printf("Epoch %d: %d / %d", r.epoch, r.test_correct, r.test_total);
      if (r.validation_total) std::printf("  (validation %d / %d)", r.validation_correct, r.validation_total);
      std::printf("  %.2f s, %.0f samples/s, loss %.4f\n", r.train_seconds, r.samples_per_sec, r.mean_loss);
      if (r.validation_total && (best < 0 || r.validation_correct >= m.epochs[size_t(best)].validation_correct)) {
        best = int(printed);
        // Saved now, not at the end: the best model survives a run stopped later.
        // (An earlier process saved the best of the epochs it ran.)
        const Model snapshot = flags.count("save-best") && printed >= restored ? net.parameters() : Model{};
        if (flags.count("save-best") && all_finite(snapshot)) {
          if (!(s = write_file(flags["save-best"], save_model(snapshot))).ok())
            return data_error("--save-best: " + s.message);
          best_saved = true;
        }
      }
      std::fflush(stdout);
    }
    // Each new epoch's end is in the run file before the next epoch starts; a diverged epoch never is.
    if (flags.count("resume") && printed > before && printed > restored && trainer.state() != State::Diverged &&
        all_finite(net.parameters())) {
      const std::vector<uint8_t> run = trainer.save_run();
      if (run.empty() || !(s = write_file(flags["resume"], run)).ok())
        return data_error("--resume: " + (run.empty() ? std::string("the run is not between epochs") : s.message));
    }
  }
  if (best >= 0) {
    const EpochReport& r = trainer.metrics().epochs[size_t(best)];
    std::printf("best validation accuracy %.2f%% at epoch %d; test accuracy at that epoch %d / %d (%.2f%%)\n",
                100.0 * r.validation_correct / r.validation_total, r.epoch, r.test_correct, r.test_total,
                100.0 * r.test_correct / r.test_total);
  }
  if (best_saved) std::printf("saved the best validation epoch's model to %s\n", flags["save-best"].c_str());
  if (progress_shown) std::printf("\n");
  // Nothing overwrites a good model: a diverged run (or, belt and braces, any
  // non-finite parameter, which load_model would refuse anyway) is not saved.
  const Model trained = net.parameters();
  if (trainer.state() == State::Diverged || !all_finite(trained)) {
    std::printf("diverged: the loss or the weights became NaN/Inf (try a smaller --eta)\n");
    if (flags.count("save"))
      std::fprintf(stderr, "nnlab: --save: %s: not written, a diverged model is never saved (a file there is left as it was)\n",
                   flags["save"].c_str());
    return 3;
  }
  if (flags.count("save")) {
    if (!(s = write_file(flags["save"], save_model(trained))).ok()) return data_error("--save: " + s.message);
    std::printf("saved model to %s\n", flags["save"].c_str());
  }
  return 0;
}
