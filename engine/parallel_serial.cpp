// The pool of parallel.h where the build has no threads (WASM without
// pthreads): one thread, the caller's.
#include "parallel.h"

namespace nnlab {

struct Pool::Impl {};

Pool::Pool(int) {}
Pool::~Pool() = default;
int Pool::size() const { return 1; }
void Pool::run(int, const std::function<void(int)>& fn) { fn(0); }

}  // namespace nnlab
