// Images as uint8 (60k MNIST images = 47 MB) with their labels; converted to
// float one batch at a time by the backend's gather op.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace nnlab {

struct Dataset {
  int count = 0, rows = 0, cols = 0;
  int classes = 10;
  std::vector<uint8_t> images;  // (count, rows*cols)
  std::vector<uint8_t> labels;  // (count), each < classes
  int pixels() const { return rows * cols; }
  const uint8_t* image(int i) const { return images.data() + size_t(i) * pixels(); }
};

// The four standard files of a data directory, .gz or raw.
struct DataFiles {
  Dataset train, test;
};

constexpr int kMaxClasses = 256;  // an IDX label is one byte

// The two halves of a data set made one: the images must be the same size
// (else the message names both image files), and both get classes = the largest
// label of either + 1 (at least 2), so the data, not the code, says how many.
Status pair_up(DataFiles& d, const std::string& train_images, const std::string& test_images);

// expand_mnist.py's expanded training set: each image, then the same image
// shifted by one pixel up, down, left and right (zeros fill the gap): 5x the images.
Dataset expand_shifted(const Dataset& d);

// Moves the last n images of `from` into the returned set (Nielsen's validation split).
Dataset split_tail(Dataset& from, int n);

// The run's `validation` setting applied to a training set: resolves
// kValidationAuto (config.h), moves the held-out images into `out`, and fails
// without touching anything when no training image would be left.
Status split_validation(int validation, Dataset& train, Dataset& out);

}  // namespace nnlab
