// The pool of parallel.h on std::thread. A call's parts are short (a GEMM's
// rows: tens of microseconds to milliseconds), so waking a sleeping thread
// through the kernel would cost as much as the work: workers spin a while on
// the job before they sleep, and the caller spins on the count of parts done,
// then sleeps too.
// Part p is thread p's (the caller is thread 0): the CPU backend splits a layer's
// W the same way every step, so each thread keeps its share in its own cache. A
// thread then takes any part no one has started: where threads outnumber free
// cores (a page drawing beside its run on 2 cores), a worker that is not running
// starts nothing, and the caller runs its part instead of waiting for it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "parallel.h"

namespace nnlab {
namespace {

constexpr auto kSpin = std::chrono::microseconds(200);  // then sleep until the next call

// A call's id: its generation (one per call, from 1) and its part count in one word,
// so that a thread reads both at once. Parts per call < 2^16.
constexpr int kPartBits = 16;
uint64_t generation_of(uint64_t id) { return id >> kPartBits; }
int parts_of(uint64_t id) { return int(id & ((uint64_t(1) << kPartBits) - 1)); }

}  // namespace

struct Pool::Impl {
  std::vector<std::thread> workers;
  std::mutex m;
  std::condition_variable wake;       // a new job, or stop
  std::condition_variable done;       // every part of the job finished
  const std::function<void(int)>* job = nullptr;
  std::atomic<uint64_t> id{0};        // the current call's (0: none yet)
  // taken[p]: the last generation whose part p a thread claimed. Generations only
  // grow, so a claim for generation g succeeds once, and never for a thread that
  // still holds an earlier call's id: every part of that call was taken.
  std::unique_ptr<std::atomic<uint64_t>[]> taken;
  std::atomic<int> finished{0};       // parts of the current call finished
  std::atomic<bool> stop{false};

  bool take(int p, uint64_t g) {
    uint64_t old = taken[size_t(p)].load(std::memory_order_acquire);
    while (old < g)
      if (taken[size_t(p)].compare_exchange_weak(old, g, std::memory_order_acq_rel, std::memory_order_acquire))
        return true;
    return false;
  }
  void run_part(int p, int parts) {  // a claimed part keeps its call from returning: *job stays valid
    (*job)(p);
    if (finished.fetch_add(1, std::memory_order_acq_rel) + 1 == parts) {
      std::lock_guard<std::mutex> lock(m);  // the caller may be going to sleep
      done.notify_one();
    }
  }
  // Thread `self`'s part of call `call`, then any part not yet started.
  void claim(uint64_t call, int self) {
    const uint64_t g = generation_of(call);
    const int parts = parts_of(call);
    if (self < parts && take(self, g)) run_part(self, parts);
    for (int p = 0; p < parts; ++p)
      if (p != self && take(p, g)) run_part(p, parts);
  }

  void work(int self) {
    uint64_t seen = 0;  // the last call this worker looked at
    for (;;) {
      // Spin for the next call, then sleep.
      auto fresh = [&] { return id.load(std::memory_order_acquire) != seen; };
      const auto until = std::chrono::steady_clock::now() + kSpin;
      while (!fresh() && !stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < until) {
      }
      if (!fresh() && !stop.load()) {
        std::unique_lock<std::mutex> lock(m);
        wake.wait(lock, [&] { return stop.load() || fresh(); });
      }
      if (stop.load()) return;
      seen = id.load(std::memory_order_acquire);
      claim(seen, self);
    }
  }
};

Pool::Pool(int threads) : impl_(std::make_unique<Impl>()) {
  if (threads < 1) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, (1 << kPartBits) - 1);
  impl_->taken = std::make_unique<std::atomic<uint64_t>[]>(size_t(threads));
  for (int p = 0; p < threads; ++p) impl_->taken[size_t(p)].store(0);
  for (int self = 1; self < threads; ++self) impl_->workers.emplace_back([this, self] { impl_->work(self); });
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
  uint64_t call;
  {
    // Under the lock, so a worker that is about to sleep sees the new call.
    std::lock_guard<std::mutex> lock(im.m);
    im.job = &fn;
    im.finished.store(0, std::memory_order_relaxed);
    call = (generation_of(im.id.load(std::memory_order_relaxed)) + 1) << kPartBits | uint64_t(parts);
    im.id.store(call, std::memory_order_release);
  }
  im.wake.notify_all();
  im.claim(call, 0);
  const auto until = std::chrono::steady_clock::now() + kSpin;
  while (im.finished.load(std::memory_order_acquire) != parts && std::chrono::steady_clock::now() < until) {
  }
  if (im.finished.load(std::memory_order_acquire) != parts) {
    std::unique_lock<std::mutex> lock(im.m);
    im.done.wait(lock, [&] { return im.finished.load(std::memory_order_acquire) == parts; });
  }
}

}  // namespace nnlab
