// The pool of parallel.h on std::thread: workers sleep on a condition variable
// between calls; a call hands each its part and waits for all of them.
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "parallel.h"

namespace nnlab {

struct Pool::Impl {
  std::vector<std::thread> workers;
  std::mutex m;
  std::condition_variable wake, done;
  const std::function<void(int)>* job = nullptr;
  int parts = 0;       // parts of the current job, part 0 being the caller's
  long generation = 0; // bumps per job, so a worker runs each job once
  int pending = 0;     // worker parts not yet finished
  bool stop = false;

  void work(int id) {  // worker id runs part id (1-based) of each job that has one
    long seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(m);
      wake.wait(lock, [&] { return stop || generation != seen; });
      if (stop) return;
      seen = generation;
      if (id >= parts) continue;
      const std::function<void(int)>* fn = job;
      lock.unlock();
      (*fn)(id);
      lock.lock();
      if (--pending == 0) done.notify_one();
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
  {
    std::lock_guard<std::mutex> lock(impl_->m);
    impl_->job = &fn;
    impl_->parts = parts;
    impl_->pending = parts - 1;
    ++impl_->generation;
  }
  impl_->wake.notify_all();
  fn(0);
  std::unique_lock<std::mutex> lock(impl_->m);
  impl_->done.wait(lock, [&] { return impl_->pending == 0; });
}

}  // namespace nnlab
