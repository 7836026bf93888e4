// IDX files (idx3 images, idx1 labels), raw or gzip, parsed from bytes: the web
// build fetches them, native reads a file. Every failure names the file and what
// is wrong; nothing is allocated from an absurd header.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataset.h"
#include "status.h"

namespace nnlab {

constexpr size_t kMaxIdxPixels = 100'000'000;  // refuse larger headers before allocating

// gzip (magic 1f 8b) is inflated with zlib, streamed; anything else is taken as raw.
Status maybe_gunzip(const uint8_t* data, size_t size, const std::string& name,
                    std::vector<uint8_t>& out);

// Parses an images file and a labels file into `out` (untouched on failure).
Status parse_idx(const uint8_t* images, size_t images_size, const std::string& images_name,
                 const uint8_t* labels, size_t labels_size, const std::string& labels_name,
                 int classes, Dataset& out);

// Writes the dataset as IDX (gzip-compressed when gz), e.g. for tools/prepare_data.
std::vector<uint8_t> encode_idx_images(const Dataset& d, bool gz);
std::vector<uint8_t> encode_idx_labels(const Dataset& d, bool gz);

// Standard names inside a data directory or URL base.
constexpr const char* kTrainImages = "train-images-idx3-ubyte";
constexpr const char* kTrainLabels = "train-labels-idx1-ubyte";
constexpr const char* kTestImages = "t10k-images-idx3-ubyte";
constexpr const char* kTestLabels = "t10k-labels-idx1-ubyte";

}  // namespace nnlab
