// A backend's buffers behind Buf handles: one slot per handle, a released slot given
// to the next buffer so that handles stay as few as the live buffers. The CPU
// backend's host arrays and the GL backend's buffer objects (native/gl/buffers.h)
// are both kept in one; T{} marks a released slot (each backend's T says how).
#pragma once
#include <cstddef>
#include <vector>

#include "backend.h"

namespace nnlab {

template <class T>
class Handles {
 public:
  Buf add(const T& value) {
    if (free_.empty()) {
      slots_.push_back(value);
      return Buf(slots_.size() - 1);
    }
    const Buf b = free_.back();
    free_.pop_back();
    slots_[size_t(b)] = value;
    return b;
  }
  void remove(Buf b) {  // b must be live
    slots_[size_t(b)] = T{};
    free_.push_back(b);
  }
  bool in_range(Buf b) const { return b >= 0 && size_t(b) < slots_.size(); }
  T& operator[](Buf b) { return slots_[size_t(b)]; }
  const T& operator[](Buf b) const { return slots_[size_t(b)]; }
  // Every slot, released ones (T{}) included: for a destructor.
  typename std::vector<T>::iterator begin() { return slots_.begin(); }
  typename std::vector<T>::iterator end() { return slots_.end(); }

 private:
  std::vector<T> slots_;
  std::vector<Buf> free_;  // released handles
};

}  // namespace nnlab
