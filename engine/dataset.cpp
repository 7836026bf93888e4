// Dataset helpers: Nielsen's validation split (the last n training images).
#include "dataset.h"

#include <algorithm>
#include <string>

#include "config.h"

namespace nnlab {

Dataset split_tail(Dataset& from, int n) {
  // Callers validate --validation; here n is clamped so a bad value cannot
  // index out of range.
  n = std::clamp(n, 0, from.count);
  Dataset tail;
  tail.rows = from.rows;
  tail.cols = from.cols;
  tail.classes = from.classes;
  tail.count = n;
  const int keep = from.count - n;
  const size_t px = size_t(from.pixels());
  tail.images.assign(from.images.begin() + size_t(keep) * px, from.images.end());
  tail.labels.assign(from.labels.begin() + keep, from.labels.end());
  from.images.resize(size_t(keep) * px);
  from.labels.resize(size_t(keep));
  from.count = keep;
  return tail;
}

Status pair_up(DataFiles& d, const std::string& train_images, const std::string& test_images) {
  if (d.test.rows != d.train.rows || d.test.cols != d.train.cols)
    return Status::fail("the images differ in size: " + train_images + " holds " + std::to_string(d.train.rows) +
                        "x" + std::to_string(d.train.cols) + ", " + test_images + " holds " +
                        std::to_string(d.test.rows) + "x" + std::to_string(d.test.cols));
  int top = 1;
  for (const Dataset* s : {&d.train, &d.test})
    for (uint8_t l : s->labels) top = std::max(top, int(l));
  d.train.classes = d.test.classes = top + 1;
  return Status::success();
}

Status split_validation(int validation, Dataset& train, Dataset& out) {
  const int n = validation_count(validation, train.count);
  if (n < 0 || n >= train.count)
    return Status::fail("validation: holding out " + std::to_string(n) + " of the " +
                        std::to_string(train.count) + " training images leaves none to train on");
  out = split_tail(train, n);
  return Status::success();
}

Dataset expand_shifted(const Dataset& d) {
  Dataset out = d;
  out.count = d.count * 5;
  out.images.assign(size_t(out.count) * d.pixels(), 0);
  out.labels.clear();
  const int R = d.rows, C = d.cols;
  const int shifts[5][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};  // (rows, cols): none, up, down, left, right
  for (int i = 0; i < d.count; ++i)
    for (int s = 0; s < 5; ++s) {
      const uint8_t* src = d.image(i);
      uint8_t* dst = out.images.data() + (size_t(i) * 5 + s) * d.pixels();
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
          const int sr = r - shifts[s][0], sc = c - shifts[s][1];  // the pixel that lands on (r, c)
          if (sr >= 0 && sr < R && sc >= 0 && sc < C) dst[r * C + c] = src[sr * C + sc];
        }
      out.labels.push_back(d.labels[size_t(i)]);
    }
  return out;
}

}  // namespace nnlab
