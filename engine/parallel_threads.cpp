// The pool of parallel.h on std::thread. A call's parts are short (a GEMM's
// rows: tens of microseconds to milliseconds), so waking a sleeping thread
// through the kernel would cost as much as the work: workers spin a while on
// an atomic generation before they sleep, and the caller spins on the count of
// parts still running, then sleeps too: where threads outnumber free cores (a
// page drawing beside its run on 2 cores), a spinning caller would take the
// core its late worker needs.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "parallel.h"

namespace nnlab {
namespace {

constexpr auto kSpin = std::chrono::microseconds(200);  // then sleep until the next call

}  // namespace

struct Pool::Impl {
  std::vector<std::thread> workers;
  std::mutex m;
  std::condition_variable wake;       // a new job, or stop
  std::condition_variable done;       // pending reached 0
  const std::function<void(int)>* job = nullptr;
  std::atomic<int> parts{0};          // parts of the current job, part 0 being the caller's
  std::atomic<long> generation{0};    // bumps per job, so a worker runs each job once
  std::atomic<int> pending{0};        // worker parts not yet finished
  std::atomic<bool> stop{false};

  void work(int id) {  // worker id runs part id (1-based) of each job that has one
    long seen = 0;
    for (;;) {
      // Spin for the next job, then sleep.
      const auto until = std::chrono::steady_clock::now() + kSpin;
      while (generation.load(std::memory_order_acquire) == seen && !stop.load(std::memory_order_relaxed) &&
             std::chrono::steady_clock::now() < until) {
      }
      if (generation.load(std::memory_order_acquire) == seen && !stop.load()) {
        std::unique_lock<std::mutex> lock(m);
        wake.wait(lock, [&] { return stop.load() || generation.load() != seen; });
      }
      if (stop.load()) return;
      seen = generation.load(std::memory_order_acquire);
      if (id < parts.load(std::memory_order_acquire)) {
        (*job)(id);
        if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          std::lock_guard<std::mutex> lock(m);  // the caller may be going to sleep
          done.notify_one();
        }
      }
    }
  }
};

Pool::Pool(int threads) : impl_(std::make_unique<Impl>()) {
  if (threads < 1) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int id = 1; id < threads; ++id) impl_->workers.emplace_back([this, id] { impl_->work(id); });
}

Pool::~Pool() {
  {
    std::lock_guard<std::mutex> lock(impl_->m);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  for (std::thread& t : impl_->workers) t.join();
}

int Pool::size() const { return int(impl_->workers.size()) + 1; }

void Pool::run(int parts, const std::function<void(int)>& fn) {
  parts = std::min(parts, size());
  if (parts <= 1) {
    fn(0);
    return;
  }
  Impl& im = *impl_;
  {
    // Under the lock, so a worker that is about to sleep sees the new job.
    std::lock_guard<std::mutex> lock(im.m);
    im.job = &fn;
    im.parts.store(parts, std::memory_order_relaxed);
    im.pending.store(parts - 1, std::memory_order_relaxed);
    im.generation.fetch_add(1, std::memory_order_release);
  }
  im.wake.notify_all();
  fn(0);
  const auto until = std::chrono::steady_clock::now() + kSpin;
  while (im.pending.load(std::memory_order_acquire) != 0 && std::chrono::steady_clock::now() < until) {
  }
  if (im.pending.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lock(im.m);
    im.done.wait(lock, [&] { return im.pending.load(std::memory_order_acquire) == 0; });
  }
}

}  // namespace nnlab
