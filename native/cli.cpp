// nnlab: the headless command line. `train` runs network.py's SGD and prints
// its "Epoch N: correct / total" lines; `eval` scores a saved model.
// Exit status: 0 ok, 1 bad data or file, 2 bad flags, 3 training diverged.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "gl_backend.h"
#include "io.h"
#include "model.h"
#include "trainer.h"

using namespace nnlab;

namespace {

const char* kUsage =
    "usage: nnlab train --data DIR [--sizes 784,30,10] [--epochs 30] [--batch 10] [--eta 3.0]\n"
    "                   [--cost quadratic|cross-entropy] [--activation sigmoid|tanh|relu]\n"
    "                   [--output sigmoid|softmax] [--init normal|scaled] [--lambda L]\n"
    "                   [--momentum M] [--validation N] [--seed S] [--device cpu|gpu]\n"
    "                   [--save FILE] [--load FILE]\n"
    "       nnlab eval --data DIR --load FILE [--device cpu|gpu]\n"
    "DIR holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and\n"
    "t10k-labels-idx1-ubyte, each optionally .gz (tools/prepare_data makes data/mnist, data/fashion).\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "nnlab: %s\n%s", msg.c_str(), kUsage);
  return 2;
}
int data_error(const std::string& msg) {
  std::fprintf(stderr, "nnlab: %s\n", msg.c_str());
  return 1;
}

bool parse_int(const std::string& s, int& out) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < -2147483647L || v > 2147483647L) return false;
  out = int(v);
  return true;
}
bool parse_float(const std::string& s, float& out) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) return false;
  out = float(v);
  return true;
}

std::unique_ptr<Backend> make_backend(const std::string& device) {
  if (device == "gpu") {
    Status why;
    if (auto gl = make_gl_backend(why)) return gl;
    std::printf("device: gpu unavailable (%s); falling back to the cpu\n", why.message.c_str());
  }
  auto cpu = make_cpu_backend();
  return cpu;
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::printf("%s", kUsage);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd != "train" && cmd != "eval") return usage_error("unknown command '" + cmd + "'");

  std::map<std::string, std::string> flags;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return usage_error("unexpected argument '" + a + "'");
    if (i + 1 >= argc) return usage_error(a + " needs a value");
    flags[a.substr(2)] = argv[++i];
  }
  static const char* kKnown[] = {"data", "sizes", "epochs", "batch", "eta", "cost", "activation", "output",
                                 "init", "lambda", "momentum", "validation", "seed", "device", "save", "load"};
  for (const auto& [k, v] : flags) {
    bool known = false;
    for (const char* n : kKnown) known = known || k == n;
    if (!known) return usage_error("unknown flag --" + k);
  }

  TrainConfig cfg;
  Status s;
  auto int_flag = [&](const char* n, int& out) {
    return !flags.count(n) || parse_int(flags[n], out) ? Status::success()
                                                      : Status::fail(std::string("--") + n + ": '" + flags[n] + "' is not an integer");
  };
  auto float_flag = [&](const char* n, float& out) {
    return !flags.count(n) || parse_float(flags[n], out) ? Status::success()
                                                        : Status::fail(std::string("--") + n + ": '" + flags[n] + "' is not a number");
  };
  int seed = 1;
  for (Status st : {int_flag("epochs", cfg.epochs), int_flag("batch", cfg.batch), int_flag("validation", cfg.validation),
                    int_flag("seed", seed), float_flag("eta", cfg.eta), float_flag("lambda", cfg.lambda),
                    float_flag("momentum", cfg.momentum)})
    if (!st.ok()) return usage_error(st.message);
  cfg.seed = uint64_t(uint32_t(seed));
  if (flags.count("sizes") && !(s = parse_sizes(flags["sizes"], cfg.net.sizes)).ok()) return usage_error("--" + s.message);
  if (flags.count("cost") && !(s = parse_cost(flags["cost"], cfg.net.cost)).ok()) return usage_error("--cost: " + s.message);
  if (flags.count("activation") && !(s = parse_act(flags["activation"], cfg.net.activation)).ok())
    return usage_error("--activation: " + s.message);
  if (flags.count("output") && !(s = parse_act(flags["output"], cfg.net.output)).ok()) return usage_error("--output: " + s.message);
  if (flags.count("init") && !(s = parse_init(flags["init"], cfg.init)).ok()) return usage_error("--init: " + s.message);
  const std::string device = flags.count("device") ? flags["device"] : "cpu";
  if (device != "cpu" && device != "gpu") return usage_error("--device: '" + device + "' is not cpu or gpu");
  if (!flags.count("data")) return usage_error("--data DIR is required");
  if (cmd == "eval" && !flags.count("load")) return usage_error("eval needs --load FILE");
  if (!(s = validate(cfg)).ok()) return usage_error("--" + s.message);

  // A loaded model defines the network; flags that contradict it are an error.
  Model loaded;
  if (flags.count("load")) {
    std::vector<uint8_t> bytes;
    if (!(s = read_file(flags["load"], bytes)).ok()) return data_error(s.message);
    if (!(s = load_model(bytes.data(), bytes.size(), flags["load"], loaded)).ok()) return data_error(s.message);
    if (flags.count("sizes") && loaded.net.sizes != cfg.net.sizes)
      return usage_error("--sizes " + format_sizes(cfg.net.sizes) + " does not match " + flags["load"] +
                         " (" + format_sizes(loaded.net.sizes) + ")");
    cfg.net = loaded.net;
  }

  DataFiles data;
  if (!(s = load_data_dir(flags["data"], data)).ok()) return data_error(s.message);
  if (cfg.validation >= data.train.count)
    return usage_error("--validation: " + std::to_string(cfg.validation) + " leaves no training images (the set has " +
                       std::to_string(data.train.count) + ")");
  Dataset validation = split_tail(data.train, cfg.validation);
  const int test_total = data.test.count;
  Dataset test_copy = cmd == "eval" ? data.test : Dataset{};

  Trainer trainer(cfg, std::move(data.train), std::move(data.test), std::move(validation), make_backend(device));
  if (!trainer.status().ok()) return usage_error(trainer.status().message);
  std::printf("device: %s\n", trainer.device().c_str());
  if (flags.count("load") && !(s = trainer.set_model(loaded)).ok()) return data_error(flags["load"] + ": " + s.message);

  const int K = cfg.net.sizes.back();
  if (cmd == "eval") {
    std::vector<int> confusion;
    int correct = trainer.evaluate(test_copy, confusion);
    std::printf("accuracy: %d / %d (%.2f%%)\n", correct, test_total, 100.0 * correct / test_total);
    print_confusion(confusion, K);
    return 0;
  }

  std::printf("training %s %s/%s/%s, %d epochs, batch %d, eta %g, lambda %g, momentum %g, seed %d\n",
              format_sizes(cfg.net.sizes).c_str(), name(cfg.net.activation), name(cfg.net.output),
              name(cfg.net.cost), cfg.epochs, cfg.batch, cfg.eta, cfg.lambda, cfg.momentum, seed);
  std::fflush(stdout);
  const bool tty = isatty(STDOUT_FILENO);
  size_t printed = 0;
  using Clock = std::chrono::steady_clock;
  Clock::time_point epoch_start = Clock::now();
  bool progress_shown = false;
  while (trainer.state() == State::Training) {
    trainer.step(1 << 30, 0.1);
    const double epoch_elapsed = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    const Metrics& m = trainer.metrics();
    if (tty && epoch_elapsed > 1.0 && m.batch < m.batches_per_epoch) {
      draw_progress(m, epoch_elapsed);
      progress_shown = true;
    }
    for (; printed < m.epochs.size(); ++printed) {
      const EpochReport& r = m.epochs[printed];
      if (progress_shown) std::printf("\r%*s\r", 80, "");
      progress_shown = false;
      epoch_start = Clock::now();
      std::printf("Epoch %d: %d / %d", r.epoch, r.test_correct, r.test_total);
      if (r.validation_total) std::printf("  (validation %d / %d)", r.validation_correct, r.validation_total);
      std::printf("  %.2f s, %.0f samples/s, loss %.4f\n", r.train_seconds, r.samples_per_sec, r.mean_loss);
      std::fflush(stdout);
    }
  }
  if (progress_shown) std::printf("\n");
  if (flags.count("save")) {
    if (!(s = write_file(flags["save"], save_model(trainer.model()))).ok()) return data_error(s.message);
    std::printf("saved model to %s\n", flags["save"].c_str());
  }
  if (trainer.state() == State::Diverged) {
    std::printf("diverged: the loss or the weights became NaN/Inf (try a smaller --eta)\n");
    return 3;
  }
  return 0;
}
