// Shader storage buffers behind Buf handles, and the barriers between the
// dispatches that use them (see buffers.h).
#include "buffers.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>

namespace nnlab::gl {

void contract(const char* what) {
  std::fprintf(stderr, "nnlab GL backend: %s\n", what);
  std::abort();
}

Buffers::~Buffers() {
  for (const Buffer& b : bufs_)
    if (b.id) glDeleteBuffers(1, &b.id);
  if (dummy_) glDeleteBuffers(1, &dummy_);
}

Status Buffers::init() {
  buffer_storage_ = epoxy_gl_version() >= 44 || epoxy_has_gl_extension("GL_ARB_buffer_storage");
  // A shader binds a whole buffer, so none may be larger than one storage block
  // (llvmpipe: 128 MiB). Asking the driver past that is no answer either: NVIDIA's
  // (580, H200) did not return from a 4 TiB glBufferStorage within a minute.
  GLint64 block = 0;
  glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &block);
  max_bytes_ = size_t(std::clamp<GLint64>(block, 0, std::numeric_limits<GLsizeiptr>::max() - 4));
  glGenBuffers(1, &dummy_);
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, dummy_);
  glBufferData(GL_SHADER_STORAGE_BUFFER, 16, nullptr, GL_STATIC_DRAW);
  if (GLenum e = glGetError(); e != GL_NO_ERROR)
    return Status::fail("OpenGL error " + std::to_string(e) + " while setting up the backend");
  return Status::success();
}

Buf Buffers::alloc(size_t bytes) {
  if (bytes > max_bytes_) return kNone;
  Buffer b;
  b.bytes = bytes;
  size_t padded = std::max<size_t>((bytes + 3) / 4 * 4, 4);  // u8 data is read as words
  // Zeroed from host zeros as it is made, not by glClearBufferData afterwards:
  // NVIDIA's driver (580, H200) let a small glBufferSubData that came after such a clear
  // land before it, so biases and labels written right after alloc read back as zeros.
  // calloc's pages are the kernel's zero page until written: no memory to speak of.
  std::unique_ptr<void, decltype(&std::free)> zeros(std::calloc(padded, 1), &std::free);
  if (!zeros) return kNone;
  drain_errors("before allocating a buffer");  // so that the check below sees this call's
  glGenBuffers(1, &b.id);
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, b.id);
  // Immutable storage without map or client bits is device memory on every
  // driver; only glBufferSubData writes it (4.3 without it: a GPU-to-GPU hint).
  if (buffer_storage_)
    glBufferStorage(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(padded), zeros.get(), GL_DYNAMIC_STORAGE_BIT);
  else
    glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(padded), zeros.get(), GL_DYNAMIC_COPY);
  // GL_OUT_OF_MEMORY (the driver's refusal: llvmpipe's for anything over its
  // limit, a GPU's when its memory is full) leaves no storage: give the name back.
  if (glGetError() != GL_NO_ERROR) {
    glDeleteBuffers(1, &b.id);
    drain_errors(nullptr);
    return kNone;
  }
  return bufs_.add(b);
}

void Buffers::release(Buf b) {
  if (b == kNone) return;
  glDeleteBuffers(1, &buffer(b).id);
  bufs_.remove(b);
  touched_.erase(std::remove(touched_.begin(), touched_.end(), b), touched_.end());
}

void Buffers::write(Buf b, const void* src, size_t bytes, size_t offset) {
  Buffer& buf = buffer(b);
  if (offset + bytes > buf.bytes) contract("write past the end of a buffer");
  if (bytes == 0) return;
  update_barrier();
  glBindBuffer(GL_COPY_WRITE_BUFFER, buf.id);
  glBufferSubData(GL_COPY_WRITE_BUFFER, GLintptr(offset), GLsizeiptr(bytes), src);
}

void Buffers::read(Buf b, void* dst, size_t bytes, size_t offset) {
  Buffer& buf = buffer(b);
  if (offset + bytes > buf.bytes) contract("read past the end of a buffer");
  if (bytes == 0) return;
  update_barrier();
  glBindBuffer(GL_COPY_READ_BUFFER, buf.id);
  glGetBufferSubData(GL_COPY_READ_BUFFER, GLintptr(offset), GLsizeiptr(bytes), dst);  // waits
}

// A memory barrier goes first only if the op touches a buffer an earlier op
// wrote, or writes one it read, since the last barrier: independent ops (the
// SGD updates, the two GEMMs of a backward pass) may then overlap on the GPU.
void Buffers::bind(std::initializer_list<Buf> list, int written) {
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
    for (Buf b : touched_) bufs_[b].state = 0;
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

// Host reads and writes of buffers wait for every dispatch before them (update barrier).
void Buffers::dispatch(const Program& p, GLuint gx, GLuint gy, GLuint gz) {
  if (gx == 0 || gy == 0 || gz == 0) return;
  glUseProgram(p.id());
  glDispatchCompute(gx, gy, gz);
  need_update_barrier_ = true;
  if (debug_) {
    if (GLenum e = glGetError(); e != GL_NO_ERROR)
      std::fprintf(stderr, "nnlab GL backend: OpenGL error 0x%x after %s\n", e, p.file());
  }
}

Buffers::Buffer& Buffers::buffer(Buf b) {
  if (!bufs_.in_range(b) || bufs_[b].id == 0) contract("no such buffer");
  return bufs_[b];
}

// Clears GL's error flags; `when` names the place for NNLAB_GL_DEBUG (null: silently).
void Buffers::drain_errors(const char* when) {
  for (GLenum e; (e = glGetError()) != GL_NO_ERROR;)
    if (debug_ && when) std::fprintf(stderr, "nnlab GL backend: OpenGL error 0x%x %s\n", e, when);
}

void Buffers::update_barrier() {
  if (need_update_barrier_) glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
  need_update_barrier_ = false;
}

}  // namespace nnlab::gl
