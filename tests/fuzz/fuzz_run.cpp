// libFuzzer target: a run file's bytes through read_run_file (engine/run_file.h),
// as nnlab train --resume gives them. A file that reads must write back to the
// same bytes. Each input is tried as it is and with its last four bytes made the
// CRC-32 of the rest, so that mutations reach the parser behind the checksum.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "run_file.h"

static void try_read(const uint8_t* data, size_t size) {
  nnlab::RunFile run;
  if (!nnlab::read_run_file(data, size, "fuzz.nnlr", run).ok()) return;
  const std::vector<uint8_t> again = nnlab::write_run_file(run);
  if (again != std::vector<uint8_t>(data, data + size)) __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try_read(data, size);
  if (size < 8) return 0;
  std::vector<uint8_t> fixed(data, data + size);
  const uint32_t c = uint32_t(crc32(crc32(0L, Z_NULL, 0), fixed.data(), uInt(size - 4)));
  for (int i = 0; i < 4; ++i) fixed[size - 4 + size_t(i)] = uint8_t(c >> (8 * i));
  try_read(fixed.data(), fixed.size());
  return 0;
}
