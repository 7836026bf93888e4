// libFuzzer target: an images file and a labels file, each raw or gzip, through
// maybe_gunzip and parse_idx (engine/idx.h), as the page and the CLI feed them.
// Input: u16 little-endian length of the images part, the images part, then
// the labels part. Any input must give a Status, never a crash or a leak.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t split = size_t(data[0]) | size_t(data[1]) << 8;
  data += 2, size -= 2;
  if (split > size) split = size;
  std::vector<uint8_t> images, labels;
  if (!nnlab::maybe_gunzip(data, split, "images", images).ok()) return 0;
  if (!nnlab::maybe_gunzip(data + split, size - split, "labels", labels).ok()) return 0;
  nnlab::Dataset d;
  const int classes = size > 0 ? 1 + data[size - 1] % nnlab::kMaxClasses : 10;
  nnlab::Status s = nnlab::parse_idx(images.data(), images.size(), "images", labels.data(), labels.size(),
                                     "labels", classes, d);
  if (s.ok() && (d.images.size() != size_t(d.count) * size_t(d.pixels()) || d.labels.size() != size_t(d.count)))
    __builtin_trap();  // a parsed set must be as big as it says
  return 0;
}
