// The GL backend's device memory: a table of shader storage buffers behind the
// engine's Buf handles, the memory barriers between dispatches that touch them,
// and the dispatch itself. The backend's ops (gl_backend.cpp) only bind and
// dispatch; what needs a barrier, and when, is decided here.
#pragma once
#include <epoxy/gl.h>

#include <cstddef>
#include <initializer_list>
#include <vector>

#include "backend.h"
#include "handles.h"
#include "program.h"

namespace nnlab::gl {

class Buffers {
 public:
  explicit Buffers(bool debug) : debug_(debug) {}
  ~Buffers();  // the context must be current
  Buffers(const Buffers&) = delete;
  Buffers& operator=(const Buffers&) = delete;

  Status init();  // needs a current context
  Buf alloc(size_t bytes);  // zeroed; kNone past max_bytes(), or when the driver refuses (out of memory)
  size_t max_bytes() const { return max_bytes_; }  // the largest buffer a shader can bind whole
  void release(Buf b);      // kNone: nothing
  void write(Buf b, const void* src, size_t bytes, size_t offset);
  void read(Buf b, void* dst, size_t bytes, size_t offset);  // waits for the GPU

  // Binds buffers to bindings 0, 1, ... in order (the first `written` are the
  // op's outputs; kNone binds a dummy), with a barrier first where needed.
  void bind(std::initializer_list<Buf> list, int written);
  void dispatch(const Program& p, GLuint gx, GLuint gy = 1, GLuint gz = 1);

 private:
  enum : uint8_t { kWritten = 1, kRead = 2 };  // by shaders since the last barrier
  struct Buffer {
    GLuint id = 0;
    size_t bytes = 0;
    uint8_t state = 0;
  };
  Buffer& buffer(Buf b);
  void drain_errors(const char* when);
  void update_barrier();

  Handles<Buffer> bufs_;      // a released slot has id == 0
  std::vector<Buf> touched_;  // buffers with a nonzero state
  GLuint dummy_ = 0;          // bound where an optional buffer is kNone
  bool need_update_barrier_ = false;
  bool debug_ = false;           // NNLAB_GL_DEBUG: check glGetError after every dispatch
  bool buffer_storage_ = false;  // glBufferStorage (GL 4.4 or ARB_buffer_storage)
  size_t max_bytes_ = 0;         // GL_MAX_SHADER_STORAGE_BLOCK_SIZE, within GLsizeiptr's range
};

// A bug in the backend's use of its buffers: says what and aborts.
[[noreturn]] void contract(const char* what);

}  // namespace nnlab::gl
