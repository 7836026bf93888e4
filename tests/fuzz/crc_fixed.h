// The entry point fuzz_model and fuzz_run share. A checkpoint (.nnlb) and a run
// file (.nnlr) both end in the CRC-32 of the bytes before it, so nearly every
// mutation stops at the checksum: each input is tried as it is and again with
// its last four bytes made the CRC-32 of the rest, to reach the parser behind it.
#pragma once
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

template <class Try>
void as_is_and_crc_fixed(const uint8_t* data, size_t size, Try&& try_bytes) {
  try_bytes(data, size);
  if (size < 8) return;
  std::vector<uint8_t> fixed(data, data + size);
  const uint32_t c = uint32_t(crc32(crc32(0L, Z_NULL, 0), fixed.data(), uInt(size - 4)));
  for (int i = 0; i < 4; ++i) fixed[size - 4 + size_t(i)] = uint8_t(c >> (8 * i));
  try_bytes(fixed.data(), fixed.size());
}
