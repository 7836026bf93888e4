// The Backend interface (engine/backend.h) in OpenGL 4.3 compute shaders. Every
// buffer is an SSBO that stays on the device; ops are dispatches separated by
// memory barriers, and only read() waits for the GPU. engine/backend_cpu.cpp is
// the specification each shader in shaders/ follows.
#include <epoxy/gl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "buffers.h"
#include "gl_backend.h"
#include "gl_context.h"
#include "program.h"

namespace nnlab {
namespace {

// The programs that are not GEMMs: one shader file each, and the uniforms the
// backend sets on it, by name (checked against the shader when it is built).
enum Op {
  kGather, kSplitkReduce, kActForward, kSoftmax, kActBackward, kOutputBackward, kBiasBackward, kSgd, kEval,
  kIm2col, kCol2im, kConvLayout, kRowSum, kPoolForward, kPoolBackward, kDropout,
  kOpCount
};
struct OpSpec {
  const char* file;
  const char* uniforms;
};
const OpSpec kOps[kOpCount] = {
    {"shaders/gather.comp", "B C offset use_idx"},
    {"shaders/splitk_reduce.comp", "mn N S has_bias"},
    {"shaders/activation_forward.comp", "n act"},
    {"shaders/softmax.comp", "B OC"},
    {"shaders/activation_backward.comp", "n act"},
    {"shaders/output_backward.comp", "B OC softmax cross_entropy loss_slot"},
    {"shaders/bias_backward.comp", "B OC"},
    {"shaders/sgd_update.comp", "n scale l2 momentum use_velocity"},
    {"shaders/eval.comp", "B K"},
    {"shaders/im2col.comp", "B C H W k pad OH OW b0 nb"},
    {"shaders/col2im.comp", "B C H W k pad OH OW b0 nb"},
    {"shaders/conv_layout.comp", "B F P to_batch"},
    {"shaders/row_sum.comp", "R N"},
    {"shaders/maxpool_forward.comp", "C H W k pool_stride OH OW b0 nb"},
    {"shaders/maxpool_backward.comp", "C H W k pool_stride OH OW b0 nb"},
    {"shaders/dropout.comp", "n draw rate keep key_lo key_hi"},
};

// shaders/gemm.comp, compiled once per tile size and per transposition.
struct GemmTile {
  int edge;   // a workgroup computes an edge x edge tile of C (BM = BN)
  int block;  // each invocation a block x block piece of it (TM = TN)
  std::string defines() const {
    const std::string e = std::to_string(edge), b = std::to_string(block);
    const int threads = (edge / block) * (edge / block);
    return "#define BM " + e + "\n#define BN " + e + "\n#define BK 16\n#define TM " + b + "\n#define TN " + b +
           "\n#define THREADS " + std::to_string(threads) + "\n";
  }
};
const GemmTile kGemmTiles[] = {{32, 4}, {64, 4}, {128, 8}};  // ascending
constexpr const char* kGemmUniforms = "M N K has_bias k_chunk";
struct GemmPrograms {
  int tile = 0;
  gl::Program nt, nn, tn;  // C = A . B^T, A . B, A^T . B
};
using GemmVariant = gl::Program GemmPrograms::*;

constexpr int kSplitMinK = 64;            // a split-K workgroup's least share of K
// The most of K one GEMM workgroup walks: llvmpipe ends a shader's loops after
// 65,535 iterations in all, and a BK slice of 16 costs about 18 (measured: a
// workgroup walking K = 70,000 stopped near 58,000). A conv's dweight has
// K = batch * positions, easily past that.
constexpr int kMaxChunk = 16384;
constexpr GLenum kSmCountNV = 0x933B;     // GL_SM_COUNT_NV (GL_NV_shader_thread_group)
constexpr GLuint kMaxGroups = 65535;  // GL's guaranteed minimum per dimension

GLuint groups(size_t n, size_t per_group) {
  return GLuint(std::min<size_t>((n + per_group - 1) / per_group, kMaxGroups));
}

// The codes the shaders use (act: 0 sigmoid, 1 tanh, 2 relu).
int act_code(Act a) {
  switch (a) {
    case Act::Sigmoid: return 0;
    case Act::Tanh: return 1;
    case Act::Relu: return 2;
    case Act::Softmax: return 3;
  }
  return 0;
}

void GLAPIENTRY debug_message(GLenum, GLenum type, GLuint, GLenum severity, GLsizei, const GLchar* text,
                              const void*) {
  if (severity != GL_DEBUG_SEVERITY_NOTIFICATION || type == GL_DEBUG_TYPE_PERFORMANCE)
    std::fprintf(stderr, "nnlab GL backend: driver: %s\n", text);
}

using gl::contract;

class GlBackend final : public Backend {
 public:
  explicit GlBackend(std::shared_ptr<gl::Context> ctx)
      : ctx_(std::move(ctx)), bufs_(std::getenv("NNLAB_GL_DEBUG") != nullptr) {
    if (const char* t = std::getenv("NNLAB_GL_GEMM_TILE"))
      for (const GemmTile& tile : kGemmTiles)
        if (std::atoi(t) == tile.edge) force_tile_ = tile.edge;
  }

  ~GlBackend() override {
    ctx_->make_current();
    for (gl::Program& p : ops_) p.destroy();
    for (GemmPrograms& g : gemms_)
      for (GemmVariant v : {&GemmPrograms::nt, &GemmPrograms::nn, &GemmPrograms::tn}) (g.*v).destroy();
  }

  Status init() {
    while (glGetError() != GL_NO_ERROR) {
    }  // an adopted context may hold errors of its owner's
    for (int op = 0; op < kOpCount; ++op)
      if (Status s = ops_[op].build(kOps[op].file, "", kOps[op].uniforms); !s.ok()) return s;
    const char* const gemm = "shaders/gemm.comp";
    for (const GemmTile& tile : kGemmTiles) {
      GemmPrograms& g = gemms_.emplace_back();
      g.tile = tile.edge;
      const std::string d = tile.defines();
      Status s = g.nt.build(gemm, d + "#define TRANS_A 0\n#define TRANS_B 1\n", kGemmUniforms);
      if (s.ok()) s = g.nn.build(gemm, d + "#define TRANS_A 0\n#define TRANS_B 0\n", kGemmUniforms);
      if (s.ok()) s = g.tn.build(gemm, d + "#define TRANS_A 1\n#define TRANS_B 0\n", kGemmUniforms);
      if (!s.ok()) return s;
    }
    if (epoxy_has_gl_extension("GL_NV_shader_thread_group")) {
      GLint sms = 0;
      glGetIntegerv(kSmCountNV, &sms);
      if (sms > 0) processors_ = sms;
    }
    if (const char* p = std::getenv("NNLAB_GL_PROCESSORS"); p && std::atoi(p) > 0) processors_ = std::atoi(p);
    if (std::getenv("NNLAB_GL_DEBUG")) {  // the driver's own messages too (performance warnings, errors)
      glEnable(GL_DEBUG_OUTPUT);
      glDebugMessageCallback(debug_message, nullptr);
    }
    return bufs_.init();
  }

  std::string name() const override { return ctx_->description(); }
  bool any_thread() const override { return false; }

  Buf alloc(DType type, size_t count) override {
    ctx_->make_current();
    const size_t elem = type == DType::U8 ? 1 : 4;
    return count > std::numeric_limits<size_t>::max() / elem ? kNone : bufs_.alloc(count * elem);
  }
  size_t max_buffer_bytes() const override { return bufs_.max_bytes(); }
  void release(Buf b) override {
    ctx_->make_current();
    bufs_.release(b);
  }
  void write(Buf b, const void* src, size_t bytes, size_t offset) override {
    ctx_->make_current();
    bufs_.write(b, src, bytes, offset);
  }
  void read(Buf b, void* dst, size_t bytes, size_t offset) override {
    ctx_->make_current();
    bufs_.read(b, dst, bytes, offset);
  }

  void gather(Buf x, Buf y, Buf images, Buf labels, Buf idx, int offset, int B, int C) override {
    ctx_->make_current();
    bind({x, y, images, labels, idx}, 2);
    gl::Program& p = ops_[kGather];
    p.set("B", B).set("C", C).set("offset", offset).set("use_idx", idx != kNone);
    dispatch(p, groups(size_t(B) * C, 256));
  }

  void matmul_forward(Buf out, Buf inp, Buf weight, Buf bias, int B, int C, int OC) override {
    ctx_->make_current();
    gemm(&GemmPrograms::nt, out, inp, weight, bias, B, OC, C);  // (B,C) . (OC,C)^T
  }

  void matmul_backward(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, int B,
                       int C, int OC) override {
    ctx_->make_current();
    if (dinp != kNone) gemm(&GemmPrograms::nn, dinp, dout, weight, kNone, B, C, OC);  // (B,OC) . (OC,C)
    gemm(&GemmPrograms::tn, dweight, dout, inp, kNone, OC, C, B);  // (B,OC)^T . (B,C)
    bind({dbias, dout}, 1);
    gl::Program& p = ops_[kBiasBackward];
    p.set("B", B).set("OC", OC);
    dispatch(p, groups(size_t(OC), 32));
  }

  void activation_forward(Buf a, Buf z, int B, int OC, Act act) override {
    ctx_->make_current();
    bind({a, z}, 1);
    if (act == Act::Softmax) {
      gl::Program& p = ops_[kSoftmax];
      p.set("B", B).set("OC", OC);
      dispatch(p, groups(size_t(B), 64));
      return;
    }
    size_t n = size_t(B) * OC;
    gl::Program& p = ops_[kActForward];
    p.set("n", GLuint(n)).set("act", act_code(act));
    dispatch(p, groups(n, 256));
  }

  void activation_backward(Buf dz, Buf da, Buf a, int B, int OC, Act act) override {
    ctx_->make_current();
    if (act == Act::Softmax) contract("activation_backward is not for softmax (see output_backward)");
    bind({dz, da, a}, 1);
    size_t n = size_t(B) * OC;
    gl::Program& p = ops_[kActBackward];
    p.set("n", GLuint(n)).set("act", act_code(act));
    dispatch(p, groups(n, 256));
  }

  void output_backward(Buf dz, Buf loss, int loss_slot, Buf z, Buf a, Buf y, int B, int OC,
                       Act output, Cost cost) override {
    ctx_->make_current();
    bind({dz, loss, z, a, y}, 2);
    gl::Program& p = ops_[kOutputBackward];
    p.set("B", B).set("OC", OC).set("loss_slot", loss_slot);
    p.set("softmax", output == Act::Softmax).set("cross_entropy", cost == Cost::CrossEntropy);
    dispatch(p, 1);  // one workgroup: it also reduces the loss
  }

  void sgd_update(Buf param, Buf dparam, Buf velocity, size_t n, float scale, float l2,
                  float momentum) override {
    ctx_->make_current();
    bind({param, velocity, dparam}, 2);
    gl::Program& p = ops_[kSgd];
    p.set("n", GLuint(n)).set("scale", scale).set("l2", l2).set("momentum", momentum);
    p.set("use_velocity", velocity != kNone);
    dispatch(p, groups(n, 256));
  }

  void eval_accumulate(Buf confusion, Buf a, Buf y, int B, int K) override {
    ctx_->make_current();
    bind({confusion, a, y}, 1);
    gl::Program& p = ops_[kEval];
    p.set("B", B).set("K", K);
    dispatch(p, groups(size_t(B), 64));
  }

  // [SECTION] conv, max-pool, dropout: the CPU's schedule (engine/backend_cpu.cpp),
  // with im2col, the layout moves and col2im as shaders and the GEMMs as above:
  //   cols (CKK, B*P) = im2col(inp);  tmp (F, B*P) = W (F,CKK) . cols;  out (B,F,P) = tmp + bias
  //   backward: tmp = dout in (F, B*P);  dW = tmp . cols^T;  db = row sums of tmp;
  //             cols = W^T . tmp;  dinp = col2im(cols)
  std::string lacks(LayerKind) const override { return ""; }

  void conv_forward(Buf out, Buf inp, Buf weight, Buf bias, Buf cols, Buf tmp, int B,
                    const ConvShape& s) override {
    ctx_->make_current();
    const int N = B * s.P();
    im2col(cols, inp, B, s);
    gemm(&GemmPrograms::nn, tmp, weight, cols, kNone, s.F, N, s.CKK());
    bind({out, tmp, bias}, 1);
    gl::Program& p = ops_[kConvLayout];
    p.set("B", B).set("F", s.F).set("P", s.P()).set("to_batch", 1);
    dispatch(p, groups(size_t(s.P()), 256), groups(size_t(s.F), 1), groups(size_t(B), 1));
  }

  void conv_backward(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, Buf cols, Buf tmp, int B,
                     const ConvShape& s, bool cols_ready) override {
    ctx_->make_current();
    const int N = B * s.P(), CKK = s.CKK(), F = s.F;
    if (!cols_ready) im2col(cols, inp, B, s);  // again, unless the forward pass's patches are still there
    bind({tmp, dout, kNone}, 1);
    gl::Program& layout = ops_[kConvLayout];
    layout.set("B", B).set("F", F).set("P", s.P()).set("to_batch", 0);
    dispatch(layout, groups(size_t(s.P()), 256), groups(size_t(F), 1), groups(size_t(B), 1));
    gemm(&GemmPrograms::nt, dweight, tmp, cols, kNone, F, CKK, N);  // (F,N) . (CKK,N)^T
    bind({dbias, tmp}, 1);
    gl::Program& sum = ops_[kRowSum];
    sum.set("R", F).set("N", N);
    dispatch(sum, groups(size_t(F), 1));
    if (dinp == kNone) return;
    gemm(&GemmPrograms::tn, cols, weight, tmp, kNone, CKK, N, F);  // (F,CKK)^T . (F,N)
    bind({dinp, cols}, 1);
    gl::Program& p = ops_[kCol2im];
    set_conv(p, B, s);
    by_samples(p, B, 1 + s.k + s.k * s.k, groups(size_t(s.W), 8), groups(size_t(s.H), 8), size_t(s.C));
  }

  void maxpool_forward(Buf out, Buf argmax, Buf inp, int B, const PoolShape& s) override {
    ctx_->make_current();
    bind({out, argmax, inp}, 2);
    gl::Program& p = ops_[kPoolForward];
    set_pool(p, s);
    by_samples(p, B, 1 + s.k + s.k * s.k, groups(size_t(s.OW()), 8), groups(size_t(s.OH()), 8), size_t(s.C));
  }

  void maxpool_backward(Buf dinp, Buf dout, Buf argmax, int B, const PoolShape& s) override {
    ctx_->make_current();
    bind({dinp, dout, argmax}, 1);
    gl::Program& p = ops_[kPoolBackward];
    set_pool(p, s);
    const int r = (s.k + s.stride - 1) / s.stride;  // windows holding a pixel, per axis
    by_samples(p, B, 1 + r + r * r, groups(size_t(s.W), 8), groups(size_t(s.H), 8), size_t(s.C));
  }

  void dropout_forward(Buf out, Buf mask, Buf inp, size_t n, float rate, uint64_t key) override {
    ctx_->make_current();
    if (n > std::numeric_limits<GLuint>::max()) contract("dropout on more than 2^32 values");
    bind({out, mask, inp}, 2);
    gl::Program& p = ops_[kDropout];
    p.set("n", GLuint(n)).set("draw", 1).set("rate", rate).set("keep", 1.0f / (1.0f - rate));
    p.set("key_lo", GLuint(key & 0xffffffffu)).set("key_hi", GLuint(key >> 32));
    dispatch(p, groups(n, 256));
  }

  void dropout_backward(Buf dinp, Buf dout, Buf mask, size_t n) override {
    ctx_->make_current();
    if (n > std::numeric_limits<GLuint>::max()) contract("dropout on more than 2^32 values");
    bind({dinp, mask, dout}, 1);
    gl::Program& p = ops_[kDropout];
    p.set("n", GLuint(n)).set("draw", 0);
    dispatch(p, groups(n, 256));
  }

 private:
  void im2col(Buf cols, Buf inp, int B, const ConvShape& s) {
    bind({cols, inp}, 1);
    gl::Program& p = ops_[kIm2col];
    set_conv(p, B, s);
    by_samples(p, B, 1, groups(size_t(s.OW()), 8), groups(size_t(s.OH()), 8), size_t(s.CKK()));
  }
  // The image shaders give an invocation one pixel (or tap) of every sample in
  // [b0, b0 + nb), a channel (or tap row) per z workgroup. llvmpipe ends a
  // shader's loops after 65,535 iterations in all (nested ones counted
  // together) without a word, so a batch goes in slices whose loops stay under
  // half that: `per_sample` is the loop iterations one sample costs, z the grid's
  // third extent (walked in strides of 65,535 workgroups).
  static constexpr size_t kLoopBudget = 32768;
  void by_samples(gl::Program& p, int B, int per_sample, GLuint gx, GLuint gy, size_t z) {
    const GLuint gz = groups(z, 1);
    const size_t outer = (z + gz - 1) / gz;
    const int nb = int(std::clamp<size_t>(kLoopBudget / (outer * size_t(per_sample)), 1, size_t(B)));
    for (int b0 = 0; b0 < B; b0 += nb) {
      p.set("b0", b0).set("nb", std::min(nb, B - b0));
      dispatch(p, gx, gy, gz);
    }
  }
  static void set_conv(gl::Program& p, int B, const ConvShape& s) {
    p.set("B", B).set("C", s.C).set("H", s.H).set("W", s.W).set("k", s.k).set("pad", s.pad);
    p.set("OH", s.OH()).set("OW", s.OW());
  }
  static void set_pool(gl::Program& p, const PoolShape& s) {
    p.set("C", s.C).set("H", s.H).set("W", s.W).set("k", s.k).set("pool_stride", s.stride);
    p.set("OH", s.OH()).set("OW", s.OW());
  }

  void bind(std::initializer_list<Buf> list, int written) { bufs_.bind(list, written); }
  void dispatch(const gl::Program& p, GLuint gx, GLuint gy = 1, GLuint gz = 1) { bufs_.dispatch(p, gx, gy, gz); }

  // C (M,N) = op(A) . op(B) (+ bias) with `variant` (nt, nn or tn) of one tile size.
  // The largest tile that still gives every multiprocessor a workgroup wins:
  // big tiles reuse more of each load, small ones keep a small product (a
  // batch of 256 against 1024 units) from leaving most of the GPU idle.
  void gemm(GemmVariant variant, Buf c, Buf a, Buf b, Buf bias, int M, int N, int K) {
    if (M <= 0 || N <= 0) return;
    GemmPrograms* chosen = &gemms_.front();  // the smallest tile, if no other fits
    for (auto g = gemms_.rbegin(); g != gemms_.rend(); ++g) {
      const size_t groups = size_t((M + g->tile - 1) / g->tile) * size_t((N + g->tile - 1) / g->tile);
      if (force_tile_ ? force_tile_ == g->tile : groups >= size_t(processors_)) {
        chosen = &*g;
        break;
      }
    }
    gl::Program& prog = chosen->*variant;
    const int tile = chosen->tile;
    const GLuint gx = GLuint((N + tile - 1) / tile), gy = GLuint((M + tile - 1) / tile);
    // Split K when even these tiles leave most multiprocessors idle and K is long
    // (a batch of 10 against 784 inputs is one tile: one workgroup walking K alone).
    int chunk = K, splits = 1;
    const size_t tiles = size_t(gx) * gy;
    if (tiles < size_t(processors_) && K >= 2 * kSplitMinK) {
      int want = int(std::min<size_t>((size_t(processors_) + tiles - 1) / tiles, size_t(K / kSplitMinK)));
      chunk = ((K + want - 1) / want + 15) / 16 * 16;  // whole BK slices
      splits = (K + chunk - 1) / chunk;
    }
    if (chunk > kMaxChunk) {  // llvmpipe's loop limit (see by_samples): split however many tiles
      chunk = kMaxChunk;
      splits = (K + chunk - 1) / chunk;
    }
    prog.set("M", M).set("N", N).set("K", K).set("k_chunk", chunk);
    if (splits == 1) {
      bind({c, a, b, bias}, 1);
      prog.set("has_bias", bias != kNone);
      dispatch(prog, gx, gy);
      return;
    }
    const size_t mn = size_t(M) * N;
    if (mn * splits > scratch_count_) {  // grows, never shrinks
      release(scratch_);
      scratch_ = alloc(DType::F32, mn * splits);
      scratch_count_ = scratch_ == kNone ? 0 : mn * splits;
    }
    if (scratch_ == kNone) {  // no memory for the partial sums: one workgroup per tile walks all of K
      bind({c, a, b, bias}, 1);
      prog.set("k_chunk", K).set("has_bias", bias != kNone);
      dispatch(prog, gx, gy);
      return;
    }
    bind({scratch_, a, b, kNone}, 1);
    prog.set("has_bias", 0);
    dispatch(prog, gx, gy, GLuint(splits));
    bind({c, scratch_, bias}, 1);
    gl::Program& reduce = ops_[kSplitkReduce];
    reduce.set("mn", GLuint(mn)).set("N", N).set("S", splits).set("has_bias", bias != kNone);
    dispatch(reduce, groups(mn, 256));
  }

  std::shared_ptr<gl::Context> ctx_;
  gl::Buffers bufs_;
  Buf scratch_ = kNone;       // split-K partial sums (S,M,N)
  size_t scratch_count_ = 0;
  gl::Program ops_[kOpCount];
  std::vector<GemmPrograms> gemms_;  // one per kGemmTiles entry, ascending tile
  int force_tile_ = 0;    // NNLAB_GL_GEMM_TILE=32|64|128: one GEMM tile for every size
  int processors_ = 64;   // multiprocessors (NVIDIA reports them; a guess elsewhere)
};

}  // namespace

std::unique_ptr<Backend> make_gl_backend(Status& why) {
  std::shared_ptr<gl::Context> ctx = gl::Context::acquire(why);
  if (!ctx) return nullptr;
  auto backend = std::make_unique<GlBackend>(ctx);
  why = backend->init();
  if (!why.ok()) return nullptr;
  return backend;
}

}  // namespace nnlab
