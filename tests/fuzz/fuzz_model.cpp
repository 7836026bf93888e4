// libFuzzer target: a checkpoint's bytes through load_model (engine/model.h),
// as the page's file picker and the CLI's --load give them. A model that loads
// must save and load again. Each input is tried as it is and with its CRC-32
// fixed (crc_fixed.h).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "crc_fixed.h"
#include "model.h"

static void try_load(const uint8_t* data, size_t size) {
  nnlab::Model m;
  if (!nnlab::load_model(data, size, "fuzz.nnlb", m).ok()) return;
  const std::vector<uint8_t> again = nnlab::save_model(m);
  nnlab::Model m2;
  if (!nnlab::load_model(again.data(), again.size(), "again.nnlb", m2).ok() || m2.net != m.net ||
      m2.weights.size() != m.weights.size())
    __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  as_is_and_crc_fixed(data, size, try_load);
  return 0;
}
