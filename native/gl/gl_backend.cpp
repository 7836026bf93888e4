// The Backend interface (engine/backend.h) in OpenGL 4.3 compute shaders. Every
// buffer is an SSBO that stays on the device; ops are dispatches separated by
// memory barriers, and only read() waits for the GPU. engine/backend_cpu.cpp is
// the specification each shader in shaders/ follows.
#include <epoxy/gl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "gl_backend.h"
#include "gl_context.h"

namespace nnlab {
namespace {

// Programs, each one shader file compiled with a set of #defines.
enum Prog {
  kGather,
  kGemmNT32, kGemmNN32, kGemmTN32,     // 32x32 tiles, 4x4 per invocation, 64 invocations
  kGemmNT, kGemmNN, kGemmTN,           // 64x64 tiles, 4x4 per invocation, 256
  kGemmNT128, kGemmNN128, kGemmTN128,  // 128x128 tiles, 8x8 per invocation, 256
  kSplitkReduce, kActForward, kSoftmax, kActBackward, kOutputBackward, kBiasBackward, kSgd, kEval,
  kProgCount
};

struct ProgSpec {
  const char* file;
  const char* defines;
};

#define T32 "#define BM 32\n#define BN 32\n#define BK 16\n#define TM 4\n#define TN 4\n#define THREADS 64\n"
#define T64 "#define BM 64\n#define BN 64\n#define BK 16\n#define TM 4\n#define TN 4\n#define THREADS 256\n"
#define T128 "#define BM 128\n#define BN 128\n#define BK 16\n#define TM 8\n#define TN 8\n#define THREADS 256\n"
#define NT "#define TRANS_A 0\n#define TRANS_B 1\n"
#define NN "#define TRANS_A 0\n#define TRANS_B 0\n"
#define TN "#define TRANS_A 1\n#define TRANS_B 0\n"
const ProgSpec kProgs[kProgCount] = {
    {"shaders/gather.comp", ""},
    {"shaders/gemm.comp", T32 NT}, {"shaders/gemm.comp", T32 NN}, {"shaders/gemm.comp", T32 TN},
    {"shaders/gemm.comp", T64 NT}, {"shaders/gemm.comp", T64 NN}, {"shaders/gemm.comp", T64 TN},
    {"shaders/gemm.comp", T128 NT}, {"shaders/gemm.comp", T128 NN}, {"shaders/gemm.comp", T128 TN},
    {"shaders/splitk_reduce.comp", ""},
    {"shaders/activation_forward.comp", ""},
    {"shaders/softmax.comp", ""},
    {"shaders/activation_backward.comp", ""},
    {"shaders/output_backward.comp", ""},
    {"shaders/bias_backward.comp", ""},
    {"shaders/sgd_update.comp", ""},
    {"shaders/eval.comp", ""},
};
#undef T32
#undef T64
#undef T128
#undef NT
#undef NN
#undef TN

constexpr int kTiles[3] = {32, 64, 128};  // the GEMM programs' tile edges, in Prog order
constexpr int kSplitMinK = 64;            // a split-K workgroup's least share of K
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

[[noreturn]] void contract(const char* what) {
  std::fprintf(stderr, "nnlab GL backend: %s\n", what);
  std::abort();
}

class GlBackend final : public Backend {
 public:
  explicit GlBackend(std::shared_ptr<gl::Context> ctx) : ctx_(std::move(ctx)) {
    debug_ = std::getenv("NNLAB_GL_DEBUG") != nullptr;
    if (const char* t = std::getenv("NNLAB_GL_GEMM_TILE"))
      for (int tile : kTiles)
        if (std::atoi(t) == tile) force_tile_ = tile;
  }

  ~GlBackend() override {
    ctx_->make_current();
    for (const Buffer& b : bufs_)
      if (b.id) glDeleteBuffers(1, &b.id);
    if (dummy_) glDeleteBuffers(1, &dummy_);
    for (GLuint p : progs_)
      if (p) glDeleteProgram(p);
  }

  Status init() {
    while (glGetError() != GL_NO_ERROR) {
    }  // an adopted context may hold errors of its owner's
    for (int p = 0; p < kProgCount; ++p) {
      std::string src;
      Status s = gl::shader_source(kProgs[p].file, kProgs[p].defines, src);
      if (s.ok()) s = gl::compile_compute(kProgs[p].file, src.c_str(), progs_[p]);
      if (!s.ok()) return s;
    }
    if (epoxy_has_gl_extension("GL_NV_shader_thread_group")) {
      GLint sms = 0;
      glGetIntegerv(kSmCountNV, &sms);
      if (sms > 0) processors_ = sms;
    }
    if (const char* p = std::getenv("NNLAB_GL_PROCESSORS"); p && std::atoi(p) > 0) processors_ = std::atoi(p);
    buffer_storage_ = epoxy_gl_version() >= 44 || epoxy_has_gl_extension("GL_ARB_buffer_storage");
    if (debug_) {  // the driver's own messages too (performance warnings, errors)
      glEnable(GL_DEBUG_OUTPUT);
      glDebugMessageCallback(debug_message, nullptr);
    }
    glGenBuffers(1, &dummy_);
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, dummy_);
    glBufferData(GL_SHADER_STORAGE_BUFFER, 16, nullptr, GL_STATIC_DRAW);
    if (GLenum e = glGetError(); e != GL_NO_ERROR)
      return Status::fail("OpenGL error " + std::to_string(e) + " while setting up the backend");
    return Status::success();
  }

  std::string name() const override { return ctx_->description(); }

  Buf alloc(DType type, size_t count) override {
    ctx_->make_current();
    Buffer b;
    b.bytes = count * (type == DType::U8 ? 1 : 4);
    size_t padded = std::max<size_t>((b.bytes + 3) / 4 * 4, 4);  // u8 data is read as words
    glGenBuffers(1, &b.id);
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, b.id);
    // Immutable storage without map or client bits is device memory on every
    // driver; only glBufferSubData writes it (4.3 without it: a GPU-to-GPU hint).
    if (buffer_storage_)
      glBufferStorage(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(padded), nullptr, GL_DYNAMIC_STORAGE_BIT);
    else
      glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(padded), nullptr, GL_DYNAMIC_COPY);
    if (glGetError() == GL_OUT_OF_MEMORY) contract("out of GPU memory (allocating a buffer)");
    glClearBufferData(GL_SHADER_STORAGE_BUFFER, GL_R32UI, GL_RED_INTEGER, GL_UNSIGNED_INT, nullptr);
    bufs_.push_back(b);
    return Buf(bufs_.size() - 1);
  }

  void release(Buf b) override {
    ctx_->make_current();
    glDeleteBuffers(1, &buffer(b).id);
    bufs_[size_t(b)] = Buffer{};
  }

  void write(Buf b, const void* src, size_t bytes, size_t offset) override {
    ctx_->make_current();
    Buffer& buf = buffer(b);
    if (offset + bytes > buf.bytes) contract("write past the end of a buffer");
    if (bytes == 0) return;
    update_barrier();
    glBindBuffer(GL_COPY_WRITE_BUFFER, buf.id);
    glBufferSubData(GL_COPY_WRITE_BUFFER, GLintptr(offset), GLsizeiptr(bytes), src);
  }

  void read(Buf b, void* dst, size_t bytes, size_t offset) override {
    ctx_->make_current();
    Buffer& buf = buffer(b);
    if (offset + bytes > buf.bytes) contract("read past the end of a buffer");
    if (bytes == 0) return;
    update_barrier();
    glBindBuffer(GL_COPY_READ_BUFFER, buf.id);
    glGetBufferSubData(GL_COPY_READ_BUFFER, GLintptr(offset), GLsizeiptr(bytes), dst);  // waits
  }

  void gather(Buf x, Buf y, Buf images, Buf labels, Buf idx, int offset, int B, int C) override {
    ctx_->make_current();
    bind({x, y, images, labels, idx}, 2);
    GLuint p = progs_[kGather];
    glProgramUniform1i(p, 0, B);
    glProgramUniform1i(p, 1, C);
    glProgramUniform1i(p, 2, offset);
    glProgramUniform1i(p, 3, idx != kNone);
    dispatch(kGather, groups(size_t(B) * C, 256));
  }

  void matmul_forward(Buf out, Buf inp, Buf weight, Buf bias, int B, int C, int OC) override {
    ctx_->make_current();
    gemm(kGemmNT, out, inp, weight, bias, B, OC, C);  // (B,C) . (OC,C)^T
  }

  void matmul_backward(Buf dinp, Buf dweight, Buf dbias, Buf dout, Buf inp, Buf weight, int B,
                       int C, int OC) override {
    ctx_->make_current();
    if (dinp != kNone) gemm(kGemmNN, dinp, dout, weight, kNone, B, C, OC);  // (B,OC) . (OC,C)
    gemm(kGemmTN, dweight, dout, inp, kNone, OC, C, B);                    // (B,OC)^T . (B,C)
    bind({dbias, dout}, 1);
    GLuint p = progs_[kBiasBackward];
    glProgramUniform1i(p, 0, B);
    glProgramUniform1i(p, 1, OC);
    dispatch(kBiasBackward, groups(size_t(OC), 32));
  }

  void activation_forward(Buf a, Buf z, int B, int OC, Act act) override {
    ctx_->make_current();
    bind({a, z}, 1);
    if (act == Act::Softmax) {
      GLuint p = progs_[kSoftmax];
      glProgramUniform1i(p, 0, B);
      glProgramUniform1i(p, 1, OC);
      dispatch(kSoftmax, groups(size_t(B), 64));
      return;
    }
    size_t n = size_t(B) * OC;
    GLuint p = progs_[kActForward];
    glProgramUniform1ui(p, 0, GLuint(n));
    glProgramUniform1i(p, 1, act_code(act));
    dispatch(kActForward, groups(n, 256));
  }

  void activation_backward(Buf dz, Buf da, Buf a, int B, int OC, Act act) override {
    ctx_->make_current();
    if (act == Act::Softmax) contract("activation_backward is not for softmax (see output_backward)");
    bind({dz, da, a}, 1);
    size_t n = size_t(B) * OC;
    GLuint p = progs_[kActBackward];
    glProgramUniform1ui(p, 0, GLuint(n));
    glProgramUniform1i(p, 1, act_code(act));
    dispatch(kActBackward, groups(n, 256));
  }

  void output_backward(Buf dz, Buf loss, int loss_slot, Buf z, Buf a, Buf y, int B, int OC,
                       Act output, Cost cost) override {
    ctx_->make_current();
    bind({dz, loss, z, a, y}, 2);
    GLuint p = progs_[kOutputBackward];
    glProgramUniform1i(p, 0, B);
    glProgramUniform1i(p, 1, OC);
    glProgramUniform1i(p, 2, output == Act::Softmax);
    glProgramUniform1i(p, 3, cost == Cost::CrossEntropy);
    glProgramUniform1i(p, 4, loss_slot);
    dispatch(kOutputBackward, 1);  // one workgroup: it also reduces the loss
  }

  void sgd_update(Buf param, Buf dparam, Buf velocity, size_t n, float scale, float l2,
                  float momentum) override {
    ctx_->make_current();
    bind({param, velocity, dparam}, 2);
    GLuint p = progs_[kSgd];
    glProgramUniform1ui(p, 0, GLuint(n));
    glProgramUniform1f(p, 1, scale);
    glProgramUniform1f(p, 2, l2);
    glProgramUniform1f(p, 3, momentum);
    glProgramUniform1i(p, 4, velocity != kNone);
    dispatch(kSgd, groups(n, 256));
  }

  void eval_accumulate(Buf confusion, Buf a, Buf y, int B, int K) override {
    ctx_->make_current();
    bind({confusion, a, y}, 1);
    GLuint p = progs_[kEval];
    glProgramUniform1i(p, 0, B);
    glProgramUniform1i(p, 1, K);
    dispatch(kEval, groups(size_t(B), 64));
  }

 private:
  enum : uint8_t { kWritten = 1, kRead = 2 };  // by shaders since the last barrier
  struct Buffer {
    GLuint id = 0;
    size_t bytes = 0;
    uint8_t state = 0;
  };

  Buffer& buffer(Buf b) {
    if (b < 0 || size_t(b) >= bufs_.size() || bufs_[size_t(b)].id == 0) contract("no such buffer");
    return bufs_[size_t(b)];
  }

  // Binds buffers to bindings 0, 1, ... in order (the first `written` are the
  // op's outputs; kNone binds a dummy). A memory barrier goes first only if the
  // op touches a buffer an earlier op wrote, or writes one it read, since the
  // last barrier: independent ops (the SGD updates, the two GEMMs of a
  // backward pass) may then overlap on the GPU.
  void bind(std::initializer_list<Buf> list, int written) {
    bool hazard = false;
    int i = 0;
    for (Buf b : list) {
      if (b != kNone) {
        uint8_t st = buffer(b).state;
        hazard = hazard || (st & kWritten) || (i < written && (st & kRead));
      }
      ++i;
    }
    if (hazard) {
      glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
      for (Buf b : touched_) bufs_[size_t(b)].state = 0;
      touched_.clear();
    }
    i = 0;
    for (Buf b : list) {
      glBindBufferBase(GL_SHADER_STORAGE_BUFFER, GLuint(i), b == kNone ? dummy_ : buffer(b).id);
      if (b != kNone) {
        Buffer& buf = buffer(b);
        if (!buf.state) touched_.push_back(b);
        buf.state |= i < written ? kWritten : kRead;
      }
      ++i;
    }
  }

  // C (M,N) = op(A) . op(B) (+ bias) with `variant` one of the 64-tile programs.
  // The largest tile that still gives every multiprocessor a workgroup wins:
  // big tiles reuse more of each load, small ones keep a small product (a
  // batch of 256 against 1024 units) from leaving most of the GPU idle.
  void gemm(Prog variant, Buf c, Buf a, Buf b, Buf bias, int M, int N, int K) {
    if (M <= 0 || N <= 0) return;
    int t = 0;
    for (int i = 2; i >= 0; --i) {
      size_t groups = size_t((M + kTiles[i] - 1) / kTiles[i]) * size_t((N + kTiles[i] - 1) / kTiles[i]);
      if (force_tile_ ? force_tile_ == kTiles[i] : (groups >= size_t(processors_) || i == 0)) {
        t = i;
        break;
      }
    }
    Prog p = Prog(variant + (t - 1) * (kGemmNT - kGemmNT32));
    const int tile = kTiles[t];
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
    GLuint prog = progs_[p];
    glProgramUniform1i(prog, 0, M);
    glProgramUniform1i(prog, 1, N);
    glProgramUniform1i(prog, 2, K);
    glProgramUniform1i(prog, 4, chunk);
    if (splits == 1) {
      bind({c, a, b, bias}, 1);
      glProgramUniform1i(prog, 3, bias != kNone);
      dispatch(p, gx, gy);
      return;
    }
    const size_t mn = size_t(M) * N;
    if (mn * splits > scratch_count_) {  // grows, never shrinks
      if (scratch_ != kNone) release(scratch_);
      scratch_count_ = mn * splits;
      scratch_ = alloc(DType::F32, scratch_count_);
    }
    bind({scratch_, a, b, kNone}, 1);
    glProgramUniform1i(prog, 3, 0);
    dispatch(p, gx, gy, GLuint(splits));
    bind({c, scratch_, bias}, 1);
    GLuint r = progs_[kSplitkReduce];
    glProgramUniform1ui(r, 0, GLuint(mn));
    glProgramUniform1i(r, 1, N);
    glProgramUniform1i(r, 2, splits);
    glProgramUniform1i(r, 3, bias != kNone);
    dispatch(kSplitkReduce, groups(mn, 256));
  }

  // Host reads and writes of buffers wait for every dispatch before them (update barrier).
  void dispatch(Prog p, GLuint gx, GLuint gy = 1, GLuint gz = 1) {
    if (gx == 0 || gy == 0 || gz == 0) return;
    glUseProgram(progs_[p]);
    glDispatchCompute(gx, gy, gz);
    need_update_barrier_ = true;
    if (debug_) {
      if (GLenum e = glGetError(); e != GL_NO_ERROR)
        std::fprintf(stderr, "nnlab GL backend: OpenGL error 0x%x after %s\n", e, kProgs[p].file);
    }
  }

  void update_barrier() {
    if (need_update_barrier_) glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
    need_update_barrier_ = false;
  }

  std::shared_ptr<gl::Context> ctx_;
  std::vector<Buffer> bufs_;
  GLuint dummy_ = 0;  // bound where an optional buffer is kNone
  Buf scratch_ = kNone;       // split-K partial sums (S,M,N)
  size_t scratch_count_ = 0;
  GLuint progs_[kProgCount] = {};
  std::vector<Buf> touched_;  // buffers with a nonzero state
  bool need_update_barrier_ = false;
  bool debug_ = false;    // NNLAB_GL_DEBUG: check glGetError after every dispatch
  int force_tile_ = 0;    // NNLAB_GL_GEMM_TILE=32|64|128: one GEMM tile for every size
  int processors_ = 64;   // multiprocessors (NVIDIA reports them; a guess elsewhere)
  bool buffer_storage_ = false;  // glBufferStorage (GL 4.4 or ARB_buffer_storage)
};

}  // namespace

std::unique_ptr<Backend> make_gl_backend(Status& why) {
  std::shared_ptr<gl::Context> ctx = gl::Context::acquire(gl::ContextOptions{}, why);
  if (!ctx) return nullptr;
  auto backend = std::make_unique<GlBackend>(ctx);
  why = backend->init();
  if (!why.ok()) return nullptr;
  return backend;
}

}  // namespace nnlab
