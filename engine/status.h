// Errors without exceptions: the WASM build runs with exception catching off,
// so every fallible engine call returns a Status whose message names the file or
// field and what is wrong.
#pragma once
#include <string>
#include <utility>

namespace nnlab {

struct [[nodiscard]] Status {
  std::string message;  // empty means success
  bool ok() const { return message.empty(); }
  static Status success() { return {}; }
  static Status fail(std::string m) { return Status{std::move(m)}; }
};

}  // namespace nnlab
