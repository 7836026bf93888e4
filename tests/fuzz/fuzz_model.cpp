// libFuzzer target: a checkpoint's bytes through load_model (engine/model.h),
// as the page's file picker and the CLI's --load give them. A model that loads
// must save and load again. Each input is tried as it is and with its last
// four bytes made the CRC-32 of the rest, so that mutations reach the parser
// behind the checksum.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

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
  try_load(data, size);
  if (size < 8) return 0;
  std::vector<uint8_t> fixed(data, data + size);
  const uint32_t c = uint32_t(crc32(crc32(0L, Z_NULL, 0), fixed.data(), uInt(size - 4)));
  for (int i = 0; i < 4; ++i) fixed[size - 4 + size_t(i)] = uint8_t(c >> (8 * i));
  try_load(fixed.data(), fixed.size());
  return 0;
}
