// The engine's only OS calls: whole-file read and write, for native front ends.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dataset.h"
#include "status.h"

namespace nnlab {

Status read_file(const std::string& path, std::vector<uint8_t>& out);
Status write_file(const std::string& path, const std::vector<uint8_t>& bytes);

// Loads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte, preferring .gz then raw.
Status load_data_dir(const std::string& dir, DataFiles& out);

}  // namespace nnlab
