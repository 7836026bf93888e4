// Training throughput of the engine's Trainer (one thread on the CPU, or the GL
// backend): network.py's algorithm on Fashion-MNIST, sigmoid + quadratic cost,
// eta 3.0, for a few (sizes, batch) configs. Prints JSON lines and a table, and
// with --peers runs bench/peers.py (numpy, PyTorch) in the same run for speed-ups.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "gl_backend.h"
#include "io.h"
#include "kernels_check.h"
#include "kernels.h"
#include "trainer.h"

namespace {

using nnlab::Status;


constexpr const char* kDefaultModels = "784,30,10:10 784,30,10:100 784,100,10:10 784,100,10:100";

// A model is Nielsen's sizes (sigmoid, quadratic, eta 3) or a net's text form
// (cross-entropy, eta 0.1: the book's chapter-6 nets), e.g. kConvNet.
struct Spec {
  std::vector<int> sizes;
  std::string net;  // the text form when given, else empty
  int batch = 10;
};
constexpr const char* kConvModels =
    "784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax:10 "
    "784-conv20x5-relu-pool2-conv40x5-relu-pool2-fc100-relu-fc10-softmax:10";

struct Result {
  Spec spec;
  double samples = 0, seconds = 0;
  double batch_p20 = 0;  // net models: the 20th percentile of one batch's time (a shared machine's quiet moments)
  double samples_per_sec() const { return seconds > 0 ? samples / seconds : 0; }
  double p20_samples_per_sec() const { return batch_p20 > 0 ? spec.batch / batch_p20 : 0; }
  // What the table compares: the p20 rate where there is one (peers report the same), else the run's.
  double rate() const { return batch_p20 > 0 ? p20_samples_per_sec() : samples_per_sec(); }
};

double now_seconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// FLOPs per sample as the issue defines them: forward, dinp and dweight GEMMs.
double flops_per_sample(const std::vector<int>& s) {
  double f = 0;
  for (size_t l = 0; l + 1 < s.size(); ++l) f += 6.0 * s[l] * s[l + 1];
  return f;
}

std::string sizes_str(const std::vector<int>& s) { return nnlab::format_sizes(s); }
std::string spec_str(const Spec& s) { return s.net.empty() ? sizes_str(s.sizes) : s.net; }

// The same convention for any net: each dense or conv layer's multiply-adds per
// sample, times 2 FLOPs, times 3 (forward, dinp, dweight).
double flops_per_sample(const Spec& spec) {
  if (spec.net.empty()) return flops_per_sample(spec.sizes);
  nnlab::NetConfig n;
  if (!nnlab::parse_net(spec.net, n).ok()) return 0;
  const std::vector<nnlab::ImageShape> shapes = nnlab::layer_shapes(n);
  double f = 0;
  for (size_t i = 0, p = 0; i < n.layers.size(); ++i) {
    if (!nnlab::has_params(n.layers[i].kind)) continue;
    const nnlab::ParamShape ps = nnlab::param_shapes(n)[p++];
    const double positions = n.layers[i].kind == nnlab::LayerKind::Conv ? double(shapes[i].h) * shapes[i].w : 1.0;
    f += 6.0 * ps.rows * ps.cols * positions;
  }
  return f;
}

void usage() {
  std::fprintf(stderr,
               "usage: bench_train [--data DIR] [--device cpu|gpu] [--models \"SIZES:BATCH ...\"]\n"
               "                   [--samples N] [--repeats R] [--threads 1,2] [--peers] [--peers-script FILE]\n"
               "                   [--check] [--json-only]\n"
               "  --models   default \"%s\"\n"
               "             (the GPU issue's model: \"784,1024,1024,10:256\"; a net's text form, cross-entropy,\n"
               "             eta 0.1: --models conv for \"%s\")\n"
               "  --samples  samples per timed run (default: one epoch, all training images)\n"
               "  --repeats  timed runs per config, the best is reported (default 3)\n"
               "  --threads  CPU thread counts to run each model with (default 1); scaling is against the first;\n"
               "             with --peers, numpy/PyTorch run with each count too; with a count over 1, the\n"
               "             machine's own ceiling too (that many threads, each its own GEMM, at once)\n"
               "  --check    first compare the linked GEMM kernels with naive loops (exit 1 if off)\n"
               "  --peers    also run bench/peers.py (numpy, PyTorch; 1 thread) and print speed-ups\n",
               kDefaultModels, kConvModels);
}

bool parse_models(const std::string& text, std::vector<Spec>& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    size_t colon = item.find(':');
    Spec s;
    nnlab::NetConfig net;
    if (colon != std::string::npos && item.find('-') < colon) {
      Status st = nnlab::parse_net(item.substr(0, colon), net);
      if (!st.ok()) {
        std::fprintf(stderr, "bench_train: --models: %s\n", st.message.c_str());
        return false;
      }
      s.net = item.substr(0, colon);
      s.sizes = net.sizes();
    } else if (colon == std::string::npos || !nnlab::parse_sizes(item.substr(0, colon), s.sizes).ok()) {
      std::fprintf(stderr, "bench_train: --models: '%s' is not SIZES:BATCH (e.g. 784,30,10:10)\n",
                   item.c_str());
      return false;
    }
    s.batch = std::atoi(item.c_str() + colon + 1);
    if (s.batch <= 0) {
      std::fprintf(stderr, "bench_train: --models: batch in '%s' must be positive\n", item.c_str());
      return false;
    }
    out.push_back(s);
  }
  return !out.empty();
}

// One timed run: a fresh Trainer, a short untimed warm-up, then `batches` batches.
bool run_once(const Spec& spec, const nnlab::DataFiles& data, const std::string& device,
              int threads, int samples, Result& r, std::string& device_name) {
  nnlab::TrainConfig cfg;
  cfg.net = nnlab::NetConfig::mlp(spec.sizes);  // sigmoid, quadratic
  cfg.eta = 3.0f;
  if (!spec.net.empty()) {
    cfg.net.cost = nnlab::Cost::CrossEntropy;
    (void)nnlab::parse_net(spec.net, cfg.net);  // checked by parse_models
    cfg.init = nnlab::Init::Network3;
    cfg.eta = 0.1f;
  }
  cfg.batch = spec.batch;
  cfg.epochs = 1;
  cfg.seed = 1;
  std::unique_ptr<nnlab::Backend> backend;
  if (device == "gpu") {
    Status why;
    backend = nnlab::make_gl_backend(why);
    if (!backend) {
      std::fprintf(stderr, "bench_train: no GPU backend: %s\n", why.message.c_str());
      return false;
    }
  } else {
    backend = nnlab::make_cpu_backend(threads);
  }
  nnlab::Net net(cfg.net, std::move(backend), cfg.batch);
  nnlab::Trainer trainer(cfg, net, data.train, data.test, nnlab::Dataset{});
  if (!trainer.status().ok()) {
    std::fprintf(stderr, "bench_train: %s\n", trainer.status().message.c_str());
    return false;
  }
  device_name = net.device();
  const int total = std::min(samples, data.train.count) / spec.batch;  // batches in the run
  const int warm = std::min(20, total / 10);
  trainer.step(warm);
  double t0 = now_seconds();
  int done = 0;
  std::vector<double> times;
  if (spec.net.empty()) {
    done = trainer.step(total - warm);
  } else {  // batch by batch: the run's time, and the batches' 20th percentile
    for (int b = warm; b < total; ++b) {
      const double tb = now_seconds();
      done += trainer.step(1);
      times.push_back(now_seconds() - tb);
    }
    std::sort(times.begin(), times.end());
  }
  double dt = now_seconds() - t0;
  if (!times.empty()) r.batch_p20 = times[times.size() / 5];
  if (trainer.state() == nnlab::State::Diverged) {
    std::fprintf(stderr, "bench_train: %s b%d diverged\n", spec_str(spec).c_str(), spec.batch);
  }
  r.spec = spec;
  r.samples = double(done) * spec.batch;
  r.seconds = dt;
  return true;
}

// Best peer samples/s per "sizes:batch" key, read from peers.py's JSON lines.
std::map<std::string, std::pair<std::string, double>> run_peers(const std::string& script,
                                                                const std::string& models,
                                                                const std::string& data_dir,
                                                                int samples, int repeats, int threads) {
  std::map<std::string, std::pair<std::string, double>> best;
  std::string cmd = "/usr/bin/python3 '" + script + "' --json-only --models '" + models +
                    "' --samples " + std::to_string(samples) + " --repeats " + std::to_string(repeats) +
                    " --threads " + std::to_string(threads) + " --data '" + data_dir + "'" +
                    (models.find('-') != std::string::npos ? " --eta 0.1" : "");
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    std::fprintf(stderr, "bench_train: could not run %s\n", cmd.c_str());
    return best;
  }
  char line[4096];
  while (std::fgets(line, sizeof line, p)) {
    std::fputs(line, stdout);  // peers' JSON lines go into the same stream
    std::string s(line);
    if (s.find("\"kind\": \"peer\"") == std::string::npos) continue;
    auto field = [&](const char* key) {
      size_t k = s.find(std::string("\"") + key + "\": ");
      return k == std::string::npos ? std::string() : s.substr(k + std::strlen(key) + 4);
    };
    std::string peer = field("peer");
    peer = peer.substr(1, peer.find('"', 1) - 1);
    std::string sizes = field("sizes");
    if (sizes[0] == '"')  // a net's text form
      sizes = sizes.substr(1, sizes.find('"', 1) - 1);
    else
      sizes = sizes.substr(1, sizes.find(']') - 1);
    sizes.erase(std::remove(sizes.begin(), sizes.end(), ' '), sizes.end());
    int batch = std::atoi(field("batch").c_str());
    double sps = std::atof(field("samples_per_sec").c_str());
    if (!field("p20_samples_per_sec").empty()) sps = std::atof(field("p20_samples_per_sec").c_str());
    std::string key = sizes + ":" + std::to_string(batch) + ":" + std::to_string(threads);
    if (sps > best[key].second) best[key] = {peer, sps};
  }
  int rc = pclose(p);
  if (rc != 0) std::fprintf(stderr, "bench_train: peers.py exited with status %d\n", rc);
  return best;
}

}  // namespace

// What this machine gives N threads at all: each thread its own 256x1024x1024
// gemm_nt on private data, alone and then N at once (best of `repeats` each).
// No split of one run can scale past all/one: on a VM whose vCPUs share a core's
// FMA units, or whose neighbours are busy, this is below N.
struct Ceiling {
  double one = 0, all = 0;  // GFLOP/s of one thread alone, of N threads together
};
Ceiling machine_ceiling(int n, int repeats) {
  constexpr int M = 256, N = 1024, K = 1024, kCalls = 20;
  struct Work {
    std::vector<float> a = std::vector<float>(size_t(M) * K, 0.5f), b = std::vector<float>(size_t(N) * K, 0.25f),
                       c = std::vector<float>(size_t(M) * N);
    double seconds = 0;
    void run() {
      const double t0 = now_seconds();
      for (int i = 0; i < kCalls; ++i) nnlab::gemm_nt(c.data(), a.data(), b.data(), nullptr, M, N, K);
      seconds = now_seconds() - t0;
    }
  };
  std::vector<Work> work(static_cast<size_t>(n));
  const double flops = 2.0 * M * N * K * kCalls;
  Ceiling best;
  for (int r = 0; r < repeats; ++r) {
    work[0].run();
    best.one = std::max(best.one, flops / work[0].seconds / 1e9);
    std::vector<std::thread> others;
    for (int t = 1; t < n; ++t) others.emplace_back([&work, t] { work[size_t(t)].run(); });
    work[0].run();
    for (std::thread& t : others) t.join();
    double all = 0;
    for (const Work& w : work) all += flops / w.seconds / 1e9;
    best.all = std::max(best.all, all);
  }
  return best;
}

int main(int argc, char** argv) {
  std::string data_dir, device = "cpu", models = kDefaultModels, peers_script;
  int samples = 1 << 30, repeats = 3;
  std::vector<int> thread_counts{1};
  bool peers = false, json_only = false, check = false;
  {
    std::string self = __FILE__;  // an absolute path under CMake: find peers.py beside it
    peers_script = self.substr(0, self.find_last_of('/') + 1) + "peers.py";
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_train: %s needs a value\n", a.c_str());
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") data_dir = value();
    else if (a == "--device") device = value();
    else if (a == "--models") {
      models = value();
      if (models == "conv") models = kConvModels;
    }
    else if (a == "--samples") samples = std::atoi(value().c_str());
    else if (a == "--repeats") repeats = std::atoi(value().c_str());
    else if (a == "--threads") {
      thread_counts.clear();
      for (std::string v = value(); !v.empty();) {
        size_t comma = v.find(',');
        thread_counts.push_back(std::atoi(v.substr(0, comma).c_str()));
        v = comma == std::string::npos ? "" : v.substr(comma + 1);
      }
    }
    else if (a == "--peers") peers = true;
    else if (a == "--peers-script") peers_script = value();
    else if (a == "--json-only") json_only = true;
    else if (a == "--check") check = true;
    else if (a == "--help" || a == "-h") { usage(); return 0; }
    else {
      std::fprintf(stderr, "bench_train: unknown argument '%s'\n", a.c_str());
      usage();
      return 2;
    }
  }
  std::vector<Spec> specs;
  bool threads_ok = !thread_counts.empty();
  for (int t : thread_counts) threads_ok = threads_ok && t >= 1 && t <= 256;
  if ((device != "cpu" && device != "gpu") || samples <= 0 || repeats <= 0 || !threads_ok ||
      !parse_models(models, specs)) {
    if (device != "cpu" && device != "gpu")
      std::fprintf(stderr, "bench_train: --device must be cpu or gpu, not '%s'\n", device.c_str());
    usage();
    return 2;
  }

  if (check) {
    double err = nnlab::kernels_check::check_kernels();
    std::printf("{\"kind\": \"kernel_check\", \"max_rel_error\": %.3g}\n", err);
    if (!(err < nnlab::kernels_check::kTolerance)) {
      std::fprintf(stderr, "bench_train: the GEMM kernels disagree with naive loops (%.3g)\n", err);
      return 1;
    }
  }

  nnlab::DataFiles data;
  std::vector<std::string> dirs;
  if (!data_dir.empty()) dirs = {data_dir};
  else dirs = {"data/fashion", "/usr/share/datasets/fashion-mnist"};
  Status st = Status::fail("no data directory given");
  for (const std::string& d : dirs) {
    st = nnlab::load_data_dir(d, data);
    if (st.ok()) {
      data_dir = d;
      break;
    }
  }
  if (!st.ok()) {
    std::fprintf(stderr, "bench_train: %s\n", st.message.c_str());
    return 1;
  }
  samples = std::min(samples, data.train.count);

  std::vector<Result> results;
  std::vector<int> result_threads;
  std::string device_name;
  for (const Spec& spec : specs) {
    for (int threads : thread_counts) {
      Result best;
      for (int r = 0; r < repeats; ++r) {
        Result one;
        if (!run_once(spec, data, device, threads, samples, one, device_name)) return 1;
        if (one.rate() > best.rate()) best = one;
      }
      results.push_back(best);
      result_threads.push_back(threads);
      std::printf(
          "{\"kind\": \"nnlab\", \"device\": \"%s\", \"kernels\": \"%s\", \"sizes\": %s, \"batch\": %d, \"samples\": %.0f, "
          "\"seconds\": %.4f, \"samples_per_sec\": %.1f, \"p20_samples_per_sec\": %.1f, \"gflops\": %.3f, "
          "\"threads\": %d}\n",
          device_name.c_str(), device == "cpu" ? nnlab::kernels_name() : "-",
          (spec.net.empty() ? "[" + sizes_str(spec.sizes) + "]" : "\"" + spec.net + "\"").c_str(),
          spec.batch, best.samples, best.seconds,
          best.samples_per_sec(), best.p20_samples_per_sec(), best.rate() * flops_per_sample(spec) / 1e9, threads);
      std::fflush(stdout);
    }
  }

  // The machine's own scaling for the largest thread count, beside the engine's.
  const int most = *std::max_element(thread_counts.begin(), thread_counts.end());
  Ceiling ceiling;
  if (device == "cpu" && most > 1) {
    ceiling = machine_ceiling(most, std::max(repeats, 3));
    std::printf("{\"kind\": \"ceiling\", \"threads\": %d, \"gflops_one\": %.2f, \"gflops_all\": %.2f, "
                "\"scaling\": %.3f}\n", most, ceiling.one, ceiling.all, ceiling.all / ceiling.one);
  }

  std::map<std::string, std::pair<std::string, double>> peer_best;
  if (peers)
    for (int t : thread_counts)  // the peers with the same thread counts, in the same run
      for (auto& kv : run_peers(peers_script, models, data_dir, samples, repeats, t)) peer_best.insert(kv);

  if (json_only) return 0;
  std::printf("\ndevice: %s%s%s, data: %s, %d samples per run, best of %d\n",
              device_name.c_str(), device == "cpu" ? ", " : "", device == "cpu" ? nnlab::kernels_name() : "",
              data_dir.c_str(), samples, repeats);
  // A net's rate (text-form models) is batch / the 20th percentile of its batches' times, for
  // nnlab and PyTorch alike: on a shared machine the mean is mostly the other processes.
  std::printf("%-18s %6s %7s %12s %9s %9s", "model", "batch", "threads", "samples/s", "GFLOP/s", "scaling");
  if (peers) std::printf(" %16s %12s %9s", "best peer", "samples/s", "speed-up");
  std::printf("\n");
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    // Scaling against the same model's first thread count in the list (e.g. 1).
    const size_t first = i - i % thread_counts.size();
    std::string key = spec_str(r.spec) + ":" + std::to_string(r.spec.batch) + ":" + std::to_string(result_threads[i]);
    std::printf("%-18s %6d %7d %12.0f %9.2f %8.2fx", spec_str(r.spec).c_str(), r.spec.batch,
                result_threads[i], r.rate(), r.rate() * flops_per_sample(r.spec) / 1e9,
                r.rate() / results[first].rate());
    if (peers) {
      auto it = peer_best.find(key);
      if (it != peer_best.end() && it->second.second > 0)
        std::printf(" %16s %12.0f %8.2fx", it->second.first.c_str(), it->second.second,
                    r.rate() / it->second.second);
      else
        std::printf(" %16s", "(no peer)");
    }
    std::printf("\n");
  }
  if (ceiling.one > 0)
    std::printf("machine ceiling: %d threads each running its own 256x1024x1024 GEMM give %.2fx one thread alone "
                "(%.1f vs %.1f GFLOP/s); no split of one run scales past it here\n",
                most, ceiling.all / ceiling.one, ceiling.all, ceiling.one);
  return 0;
}
