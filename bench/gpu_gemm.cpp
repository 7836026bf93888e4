// GEMM throughput of the OpenGL backend: matmul_forward (inp . W^T + bias) and
// matmul_backward (dinp, dweight, dbias) on square n x n problems, timed on the
// device with only a one-float read at the end of each timed run.
// Usage: gpu_gemm [--sizes 1024,4096] [--seconds 1]. Prints JSON lines, then a table.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gl_backend.h"
#include "rng.h"

using namespace nnlab;

namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

struct Result {
  std::string op;
  int n = 0, reps = 0;
  double ms = 0, gflops = 0, max_rel_err = 0;
};

// Runs `op` reps times and waits for it; returns seconds per run.
template <class F>
double time_runs(Backend& be, Buf sync, int reps, F op) {
  float sink;
  be.read(sync, &sink, sizeof sink);  // nothing pending before the clock starts
  double t0 = now();
  for (int r = 0; r < reps; ++r) op();
  be.read(sync, &sink, sizeof sink);  // waits for the device
  return (now() - t0) / reps;
}

// Adaptive: one warm-up run says how many runs fill about `seconds`.
template <class F>
double measure(Backend& be, Buf sync, double seconds, int& reps, F op) {
  double first = time_runs(be, sync, 1, op);
  reps = int(std::min(100.0, std::max(1.0, std::ceil(seconds / std::max(first, 1e-6)))));
  return time_runs(be, sync, reps, op);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {1024, 4096};
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--sizes") && i + 1 < argc) {
      sizes.clear();
      for (char* s = std::strtok(argv[++i], ","); s; s = std::strtok(nullptr, ",")) sizes.push_back(std::atoi(s));
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--sizes 1024,4096] [--seconds 1]\n", argv[0]);
      return 2;
    }
  }
  Status why;
  std::unique_ptr<Backend> be = make_gl_backend(why);
  if (!be) {
    std::printf("{\"bench\":\"gpu_gemm\",\"error\":\"%s\"}\n", why.message.c_str());
    std::fprintf(stderr, "gpu_gemm: no GL backend: %s\n", why.message.c_str());
    return 1;
  }
  const std::string device = be->name();
  std::vector<Result> results;
  Rng rng(1);
  for (int n : sizes) {
    const size_t nn = size_t(n) * n;
    std::vector<float> inp(nn), w(nn), bias(static_cast<size_t>(n));
    for (float& v : inp) v = float(rng.uniform() * 2 - 1);
    for (float& v : w) v = float(rng.uniform() * 2 - 1);
    for (float& v : bias) v = float(rng.uniform() * 2 - 1);
    Buf bi = be->alloc(DType::F32, nn), bw = be->alloc(DType::F32, nn), bb = be->alloc(DType::F32, n);
    Buf bo = be->alloc(DType::F32, nn), bdi = be->alloc(DType::F32, nn), bdw = be->alloc(DType::F32, nn);
    Buf bdb = be->alloc(DType::F32, n);
    be->write(bi, inp.data(), nn * 4);
    be->write(bw, w.data(), nn * 4);
    be->write(bb, bias.data(), size_t(n) * 4);

    Result f{"matmul_forward", n};
    double t = measure(*be, bo, seconds, f.reps, [&] { be->matmul_forward(bo, bi, bw, bb, n, n, n); });
    f.ms = t * 1e3;
    f.gflops = 2.0 * n * double(n) * n / t * 1e-9;
    // Spot-check 64 entries against double-precision dot products.
    std::vector<float> out(nn);
    be->read(bo, out.data(), nn * 4);
    for (int s = 0; s < 64; ++s) {
      size_t r = rng.below(uint32_t(n)), c = rng.below(uint32_t(n));
      double ref = bias[c], mag = std::fabs(bias[c]);
      for (int k = 0; k < n; ++k) {
        ref += double(inp[r * n + k]) * w[c * n + k];
        mag += std::fabs(double(inp[r * n + k]) * w[c * n + k]);
      }
      f.max_rel_err = std::max(f.max_rel_err, std::fabs(out[r * n + c] - ref) / mag);
    }
    results.push_back(f);

    Result b{"matmul_backward", n};  // two n^3 GEMMs (dinp, dweight) + the bias sums
    t = measure(*be, bdw, seconds, b.reps, [&] { be->matmul_backward(bdi, bdw, bdb, bo, bi, bw, n, n, n); });
    b.ms = t * 1e3;
    b.gflops = 4.0 * n * double(n) * n / t * 1e-9;
    b.max_rel_err = -1;  // checked by tests/test_gl.cpp, not here
    results.push_back(b);
    for (Buf x : {bi, bw, bb, bo, bdi, bdw, bdb}) be->release(x);
  }

  for (const Result& r : results) {
    char err[64] = "";
    if (r.max_rel_err >= 0) std::snprintf(err, sizeof err, ",\"max_rel_err\":%.3g", r.max_rel_err);
    std::printf("{\"bench\":\"gpu_gemm\",\"device\":\"%s\",\"op\":\"%s\",\"n\":%d,\"reps\":%d,"
                "\"ms\":%.3f,\"gflops\":%.2f%s}\n",
                device.c_str(), r.op.c_str(), r.n, r.reps, r.ms, r.gflops, err);
  }
  std::printf("\ndevice: %s\n%-16s %6s %6s %12s %10s\n", device.c_str(), "op", "n", "reps", "ms/run", "GFLOP/s");
  for (const Result& r : results)
    std::printf("%-16s %6d %6d %12.3f %10.2f\n", r.op.c_str(), r.n, r.reps, r.ms, r.gflops);
  return 0;
}
