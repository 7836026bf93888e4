// libFuzzer target: a run file's bytes through read_run_file (engine/run_file.h),
// as nnlab train --resume gives them. A file that reads must write back to the
// same bytes. Each input is tried as it is and with its CRC-32 fixed (crc_fixed.h).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "crc_fixed.h"
#include "run_file.h"

static void try_read(const uint8_t* data, size_t size) {
  nnlab::RunFile run;
  if (!nnlab::read_run_file(data, size, "fuzz.nnlr", run).ok()) return;
  const std::vector<uint8_t> again = nnlab::write_run_file(run);
  if (again != std::vector<uint8_t>(data, data + size)) __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  as_is_and_crc_fixed(data, size, try_read);
  return 0;
}
