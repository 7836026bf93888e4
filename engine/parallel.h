// A small fixed pool of worker threads that one backend owns: run(parts, fn)
// calls fn(0) .. fn(parts - 1) at once and returns when all are done. Part p is
// thread p's (the caller is thread 0) unless that thread is late: then whichever
// thread is free runs it. Work is split by the caller into fixed ranges, so every
// sum keeps one order whatever the thread count and whichever thread runs a part
// (bit-identical runs). parallel_threads.cpp uses std::thread; parallel_serial.cpp
// (WASM without pthreads) runs the parts one after another on the caller.
#pragma once
#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>

namespace nnlab {

class Pool {
 public:
  explicit Pool(int threads);  // threads < 1: one per core (std::thread::hardware_concurrency)
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  int size() const;  // threads, the caller included
  void run(int parts, const std::function<void(int part)>& fn);  // parts <= size()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The part'th of `parts` contiguous ranges of [0, n), each boundary a multiple of align.
inline void split_range(size_t n, int parts, int part, size_t align, size_t& begin, size_t& end) {
  const size_t units = (n + align - 1) / align;
  begin = std::min(n, units * size_t(part) / size_t(parts) * align);
  end = std::min(n, units * size_t(part + 1) / size_t(parts) * align);
}

}  // namespace nnlab
