// Whole-file read and write (stdio only, so it also runs under Emscripten's
// NODERAWFS), and loading a data directory's four IDX files.
#include "io.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "idx.h"

namespace nnlab {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Status io_fail(const std::string& path, const char* what, int err) {
  return Status::fail(path + ": " + what + ": " + std::strerror(err));
}

// Like read_file, but reports "not found" apart from other errors so that
// load_data_dir can fall back from NAME.gz to NAME.
Status read_file_or_missing(const std::string& path, std::vector<uint8_t>& out, bool& missing) {
  missing = false;
  errno = 0;
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    const int err = errno;
    missing = err == ENOENT;
    return io_fail(path, "cannot open", err);
  }
  std::vector<uint8_t> bytes;
  // Reading in chunks (rather than trusting ftell) works for pipes and
  // devices too; doubling keeps it linear.
  size_t used = 0;
  bytes.resize(1 << 16);
  while (true) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    const size_t got = std::fread(bytes.data() + used, 1, bytes.size() - used, f.get());
    used += got;
    if (got == 0 || used < bytes.size()) {
      if (std::ferror(f.get())) return io_fail(path, "read error", errno ? errno : EIO);
      if (std::feof(f.get())) break;
    }
  }
  bytes.resize(used);
  out.swap(bytes);
  return Status::success();
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// Reads DIR/NAME.gz, or DIR/NAME when there is no .gz; `used` gets the path read.
Status read_idx_file(const std::string& dir, const char* name, std::vector<uint8_t>& out,
                     std::string& used) {
  const std::string raw = join(dir, name);
  const std::string gz = raw + ".gz";
  bool missing = false;
  Status s = read_file_or_missing(gz, out, missing);
  used = gz;
  if (s.ok() || !missing) return s;
  s = read_file_or_missing(raw, out, missing);
  used = raw;
  if (s.ok() || !missing) return s;
  return Status::fail(gz + ": not found (nor " + raw +
                      "); a data directory needs the four IDX files, e.g. from tools/prepare_data");
}

Status load_pair(const std::string& dir, const char* images_name, const char* labels_name,
                 Dataset& out) {
  std::vector<uint8_t> images, labels;
  std::string images_path, labels_path;
  Status s = read_idx_file(dir, images_name, images, images_path);
  if (!s.ok()) return s;
  s = read_idx_file(dir, labels_name, labels, labels_path);
  if (!s.ok()) return s;
  return parse_idx(images.data(), images.size(), images_path, labels.data(), labels.size(),
                   labels_path, kMaxClasses, out);
}

}  // namespace

Status read_file(const std::string& path, std::vector<uint8_t>& out) {
  bool missing = false;
  return read_file_or_missing(path, out, missing);
}

Status write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  // Write a sibling temp file and rename it over the target, so a failed or
  // interrupted write leaves the old file whole. The suffix keeps two writers
  // in one process apart; rename is atomic on POSIX file systems.
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp" + std::to_string(++counter);
  errno = 0;
  File f(std::fopen(tmp.c_str(), "wb"));
  if (!f) return io_fail(path, "cannot create temporary file", errno ? errno : EIO);
  const bool wrote =
      bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f.get()) == bytes.size();
  int err = errno;
  const bool flushed = wrote && std::fflush(f.get()) == 0;
  if (wrote && !flushed) err = errno;
  const bool closed = std::fclose(f.release()) == 0;
  if (wrote && flushed && !closed) err = errno;
  if (!wrote || !flushed || !closed) {
    std::remove(tmp.c_str());
    return io_fail(path, "write failed", err ? err : EIO);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    return io_fail(path, "cannot rename temporary file into place", err);
  }
  return Status::success();
}

Status load_data_dir(const std::string& dir, DataFiles& out) {
  DataFiles d;
  Status s = load_pair(dir, kTrainImages, kTrainLabels, d.train);
  if (!s.ok()) return s;
  s = load_pair(dir, kTestImages, kTestLabels, d.test);
  if (!s.ok()) return s;
  if (!(s = pair_up(d, join(dir, kTrainImages), join(dir, kTestImages))).ok()) return s;
  out = std::move(d);
  return Status::success();
}

}  // namespace nnlab
