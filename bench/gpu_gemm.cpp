// GEMM throughput of the OpenGL backend: matmul_forward (inp . W^T + bias) and
// matmul_backward (dinp, dweight, dbias) on n x n x n problems or layer shapes,
// timed on the device with only a one-float read at the end of each timed run.
// Usage: gpu_gemm [--sizes 1024,4096] [--shapes 256x784x1024] [--seconds 1]. JSON lines, then a table.
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

struct Shape {
  int B, C, OC;  // out (B,OC) = inp (B,C) . W (OC,C)^T
};

struct Result {
  std::string op;
  Shape shape{};
  int reps = 0;
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
  std::vector<Shape> shapes;
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--sizes") && i + 1 < argc) {
      for (char* s = std::strtok(argv[++i], ","); s; s = std::strtok(nullptr, ",")) {
        int n = std::atoi(s);
        shapes.push_back({n, n, n});
      }
    } else if (!std::strcmp(argv[i], "--shapes") && i + 1 < argc) {
      for (char* s = std::strtok(argv[++i], ","); s; s = std::strtok(nullptr, ",")) {
        Shape sh{};
        if (std::sscanf(s, "%dx%dx%d", &sh.B, &sh.C, &sh.OC) != 3 || sh.B <= 0 || sh.C <= 0 || sh.OC <= 0) {
          std::fprintf(stderr, "gpu_gemm: --shapes: '%s' is not BxCxOC (e.g. 256x784x1024)\n", s);
          return 2;
        }
        shapes.push_back(sh);
      }
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--sizes 1024,4096] [--shapes BxCxOC,...] [--seconds 1]\n"
                   "  --sizes   square problems n x n x n (default 1024,4096)\n"
                   "  --shapes  dense layers: batch B, inputs C, outputs OC, e.g. 256x784x1024\n",
                   argv[0]);
      return 2;
    }
  }
  if (shapes.empty()) shapes = {{1024, 1024, 1024}, {4096, 4096, 4096}};
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
  for (Shape sh : shapes) {
    const int B = sh.B, C = sh.C, OC = sh.OC;
    const double flop = 2.0 * B * double(C) * OC;
    std::vector<float> inp(size_t(B) * C), w(size_t(OC) * C), bias(static_cast<size_t>(OC));
    for (float& v : inp) v = float(rng.uniform() * 2 - 1);
    for (float& v : w) v = float(rng.uniform() * 2 - 1);
    for (float& v : bias) v = float(rng.uniform() * 2 - 1);
    Buf bi = be->alloc(DType::F32, inp.size()), bw = be->alloc(DType::F32, w.size());
    Buf bb = be->alloc(DType::F32, bias.size()), bo = be->alloc(DType::F32, size_t(B) * OC);
    Buf bdi = be->alloc(DType::F32, inp.size()), bdw = be->alloc(DType::F32, w.size());
    Buf bdb = be->alloc(DType::F32, bias.size());
    be->write(bi, inp.data(), inp.size() * 4);
    be->write(bw, w.data(), w.size() * 4);
    be->write(bb, bias.data(), bias.size() * 4);

    Result f{"matmul_forward", sh};
    double t = measure(*be, bo, seconds, f.reps, [&] { be->matmul_forward(bo, bi, bw, bb, B, C, OC); });
    f.ms = t * 1e3;
    f.gflops = flop / t * 1e-9;
    // Spot-check 64 entries against double-precision dot products.
    std::vector<float> out(size_t(B) * OC);
    be->read(bo, out.data(), out.size() * 4);
    for (int s = 0; s < 64; ++s) {
      size_t r = rng.below(uint32_t(B)), c = rng.below(uint32_t(OC));
      double ref = bias[c], mag = std::fabs(bias[c]);
      for (int k = 0; k < C; ++k) {
        ref += double(inp[r * C + k]) * w[c * C + k];
        mag += std::fabs(double(inp[r * C + k]) * w[c * C + k]);
      }
      f.max_rel_err = std::max(f.max_rel_err, std::fabs(out[r * OC + c] - ref) / mag);
    }
    results.push_back(f);

    Result b{"matmul_backward", sh};  // dinp and dweight GEMMs + the bias sums
    t = measure(*be, bdw, seconds, b.reps, [&] { be->matmul_backward(bdi, bdw, bdb, bo, bi, bw, B, C, OC); });
    b.ms = t * 1e3;
    b.gflops = 2 * flop / t * 1e-9;
    b.max_rel_err = -1;  // checked by tests/test_gl.cpp, not here
    results.push_back(b);
    for (Buf x : {bi, bw, bb, bo, bdi, bdw, bdb}) be->release(x);
  }

  for (const Result& r : results) {
    char err[64] = "";
    if (r.max_rel_err >= 0) std::snprintf(err, sizeof err, ",\"max_rel_err\":%.3g", r.max_rel_err);
    std::printf("{\"bench\":\"gpu_gemm\",\"device\":\"%s\",\"op\":\"%s\",\"B\":%d,\"C\":%d,\"OC\":%d,"
                "\"reps\":%d,\"ms\":%.3f,\"gflops\":%.2f%s}\n",
                device.c_str(), r.op.c_str(), r.shape.B, r.shape.C, r.shape.OC, r.reps, r.ms, r.gflops, err);
  }
  std::printf("\ndevice: %s\n%-16s %16s %6s %12s %10s\n", device.c_str(), "op", "B x C x OC", "reps",
              "ms/run", "GFLOP/s");
  for (const Result& r : results) {
    char shape[48];
    std::snprintf(shape, sizeof shape, "%dx%dx%d", r.shape.B, r.shape.C, r.shape.OC);
    std::printf("%-16s %16s %6d %12.3f %10.2f\n", r.op.c_str(), shape, r.reps, r.ms, r.gflops);
  }
  return 0;
}
