// The engine's only OS calls: whole-file read and write, for native front ends.
// Both refuse what is not a regular file (FIFO, device, socket, directory)
// before opening it, reads are capped by size, and writes are atomic.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dataset.h"
#include "status.h"

namespace nnlab {

// Size caps, checked with stat() before a byte is read; the messages name them.
constexpr uint64_t kMaxDataFileBytes = 1ull << 30;  // one IDX file as stored (gzip or raw)
constexpr uint64_t kMaxReadBytes = 2ull << 30;      // anything else (a checkpoint: kMaxModelBytes)

// `what` names the kind of file in the size message ("a data file").
Status read_file(const std::string& path, std::vector<uint8_t>& out, uint64_t max_bytes = kMaxReadBytes,
                 const char* what = "a file");

// Replaces the regular file at `path` (or the file a symlink there points to)
// atomically: a sibling temp file `.NAME.nnlab-tmp.PID.N` is renamed over it.
// Temp files left by a process that no longer runs are removed first.
Status write_file(const std::string& path, const std::vector<uint8_t>& bytes);

// What write_file would refuse, found before any work is done: an empty path,
// a directory, a FIFO/socket/device, a missing or unwritable directory (tried
// by creating and removing a temp file there).
Status check_write_target(const std::string& path);

// Loads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte, preferring .gz then raw.
Status load_data_dir(const std::string& dir, DataFiles& out);

}  // namespace nnlab
