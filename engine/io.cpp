// Whole-file read and write over POSIX calls (Emscripten's NODERAWFS has them
// too), and loading a data directory's four IDX files. Every path is stat()ed
// before it is opened: a FIFO would block, a device never ends, and a sparse
// file would be read whole before anything judged its size.
#include "io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "idx.h"

namespace nnlab {
namespace {

Status io_fail(const std::string& path, const std::string& what, int err) {
  return Status::fail(path + ": " + what + ": " + std::strerror(err ? err : EIO));
}

// What a non-regular file is, for messages.
const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "a special file";
}

Status not_regular(const std::string& path, mode_t m) {
  return Status::fail(path + ": is " + kind_of(m) + ", not a regular file");
}

// "1 GiB" for the caps (whole GiB), else bytes.
std::string format_cap(uint64_t n) {
  if (n % (1ull << 30) == 0) return std::to_string(n >> 30) + " GiB";
  return std::to_string(n) + " bytes";
}

Status too_big(const std::string& path, uint64_t size, uint64_t cap, const char* what) {
  return Status::fail(path + ": " + std::to_string(size) + (size > cap ? "" : "+") + " bytes, over the " +
                      format_cap(cap) + " cap for " + what);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

// Like read_file, but reports "not found" apart from other errors so that
// load_data_dir can fall back from NAME.gz to NAME.
Status read_file_or_missing(const std::string& path, std::vector<uint8_t>& out, uint64_t max_bytes,
                            const char* what, bool& missing) {
  missing = false;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    missing = err == ENOENT;
    return io_fail(path, "cannot open", err);
  }
  if (!S_ISREG(st.st_mode)) return not_regular(path, st.st_mode);
  if (uint64_t(st.st_size) > max_bytes) return too_big(path, uint64_t(st.st_size), max_bytes, what);
  // O_NONBLOCK: were the path swapped for a FIFO since stat(), open() returns
  // at once rather than waiting for a writer, and fstat() below refuses it.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) return io_fail(path, "cannot open", errno);
  if (::fstat(f.fd, &st) != 0) return io_fail(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) return not_regular(path, st.st_mode);
  // Read to the end rather than trusting st_size (a file may grow; /proc
  // files say 0), but never past the cap: one byte more proves it is over.
  const uint64_t limit = max_bytes + 1;
  std::vector<uint8_t> bytes(size_t(std::min<uint64_t>(std::max<uint64_t>(uint64_t(st.st_size) + 1, 1 << 16), limit)));
  size_t used = 0;
  while (true) {
    if (used == bytes.size()) {
      if (used >= limit) return too_big(path, max_bytes, max_bytes, what);
      bytes.resize(size_t(std::min<uint64_t>(uint64_t(bytes.size()) * 2, limit)));
    }
    const ssize_t got = ::read(f.fd, bytes.data() + used, bytes.size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_fail(path, "read error", errno);
    if (got == 0) break;
    used += size_t(got);
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

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Where write_file puts the bytes: `path` with symlinks followed (the target
// need not exist yet), checked to be a regular file in an existing directory.
struct Target {
  std::string path, dir, base;
  bool exists = false;
  mode_t mode = 0;
};

Status find_target(const std::string& path, Target& t) {
  if (path.empty()) return Status::fail("the path is empty");
  t.path = path;
  struct stat st;
  for (int hops = 0;; ++hops) {
    if (::lstat(t.path.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) return io_fail(path, "cannot stat", errno);
      t.exists = false;
      break;
    }
    if (!S_ISLNK(st.st_mode)) {
      t.exists = true;
      t.mode = st.st_mode;
      break;
    }
    if (hops == 40) return Status::fail(path + ": too many levels of symbolic links");
    char link[4096];
    const ssize_t n = ::readlink(t.path.c_str(), link, sizeof link);
    if (n < 0) return io_fail(path, "cannot read the symbolic link " + t.path, errno);
    if (size_t(n) == sizeof link) return Status::fail(path + ": symbolic link target too long");
    const std::string to(link, size_t(n));
    t.path = to[0] == '/' || t.path.find('/') == std::string::npos ? to : join(dir_of(t.path), to);
  }
  const std::string via = t.path == path ? "" : " (through the symbolic link to " + t.path + ")";
  if (t.exists && !S_ISREG(t.mode))
    return Status::fail(path + ": is " + kind_of(t.mode) + via + "; only a regular file is replaced");
  const size_t slash = t.path.rfind('/');
  t.base = slash == std::string::npos ? t.path : t.path.substr(slash + 1);
  t.dir = dir_of(t.path);
  if (t.base.empty() || t.base == "." || t.base == "..") return Status::fail(path + ": names a directory, not a file");
  if (::stat(t.dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::fail(path + ": the directory " + t.dir + " does not exist" + via);
    return io_fail(path, "cannot use the directory " + t.dir + via, errno);
  }
  if (!S_ISDIR(st.st_mode)) return Status::fail(path + ": " + t.dir + " is not a directory" + via);
  return Status::success();
}

// Temp files are ".NAME.nnlab-tmp.PID.N" beside NAME: hidden, tied to one
// target, and owned by a process, so a later write can tell a stale one (its
// process is gone: killed mid-save) from one being written right now.
const char kTempTag[] = ".nnlab-tmp.";

std::string temp_prefix(const Target& t) { return "." + t.base + kTempTag; }

void remove_stale_temps(const Target& t) {
  const std::string prefix = temp_prefix(t);
  DIR* d = ::opendir(t.dir.c_str());
  if (!d) return;  // the write itself will report the problem
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const char* p = name.c_str() + prefix.size();
    char* end = nullptr;
    const long pid = std::strtol(p, &end, 10);
    if (end == p || *end != '.' || pid <= 0 || pid > 0x7fffffffL || pid == long(::getpid())) continue;
    // ESRCH alone means gone; EPERM means it runs under another user.
    if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;
    ::unlink(join(t.dir, name).c_str());
  }
  ::closedir(d);
}

// Creates a fresh temp file for `t`; `tmp` gets its name.
Status create_temp(const std::string& path, const Target& t, std::string& tmp, Fd& f) {
  static std::atomic<unsigned> counter{0};  // two writers in one process
  tmp = join(t.dir, temp_prefix(t) + std::to_string(long(::getpid())) + "." + std::to_string(++counter));
  f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (f.fd < 0) return io_fail(path, "cannot create a file in " + t.dir, errno);
  // The replacement keeps the old file's permissions.
  if (t.exists && ::fchmod(f.fd, t.mode & 07777) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_fail(path, "cannot set permissions", err);
  }
  return Status::success();
}

}  // namespace

namespace {

// Reads DIR/NAME.gz, or DIR/NAME when there is no .gz; `used` gets the path read.
Status read_idx_file(const std::string& dir, const char* name, std::vector<uint8_t>& out,
                     std::string& used) {
  const std::string raw = join(dir, name);
  const std::string gz = raw + ".gz";
  bool missing = false;
  Status s = read_file_or_missing(gz, out, kMaxDataFileBytes, "a data file", missing);
  used = gz;
  if (s.ok() || !missing) return s;
  s = read_file_or_missing(raw, out, kMaxDataFileBytes, "a data file", missing);
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

Status read_file(const std::string& path, std::vector<uint8_t>& out, uint64_t max_bytes, const char* what) {
  bool missing = false;
  return read_file_or_missing(path, out, max_bytes, what, missing);
}

namespace {

// The target checked, stale temp files of earlier runs removed, and a new temp file beside it.
Status begin_write(const std::string& path, Target& t, std::string& tmp, Fd& f) {
  Status s = find_target(path, t);
  if (!s.ok()) return s;
  remove_stale_temps(t);
  return create_temp(path, t, tmp, f);
}

}  // namespace

Status check_write_target(const std::string& path) {
  // Creating a file is the one test of "writable" that holds for root, ACLs
  // and read-only mounts alike.
  Target t;
  std::string tmp;
  Fd f;
  Status s = begin_write(path, t, tmp, f);
  if (!s.ok()) return s;
  ::close(f.release());
  ::unlink(tmp.c_str());
  return Status::success();
}

Status write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  // Write a sibling temp file and rename it over the target (the file a
  // symlink names, so the link stays a link), so that a failed or interrupted
  // write leaves the old file whole; rename is atomic on POSIX file systems.
  Target t;
  std::string tmp;
  Fd f;
  Status s = begin_write(path, t, tmp, f);
  if (!s.ok()) return s;
  int err = 0;
  for (size_t done = 0; done < bytes.size() && !err;) {
    const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += size_t(n);
  }
  // fsync first: a crash right after the rename must not leave an empty file.
  if (!err && ::fsync(f.fd) != 0) err = errno;
  if (::close(f.release()) != 0 && !err) err = errno;
  if (err) {
    ::unlink(tmp.c_str());
    return io_fail(path, "write failed", err);
  }
  if (::rename(tmp.c_str(), t.path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    return io_fail(path, "cannot rename the temporary file into place", err);
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
