// File I/O specification (issue 9): reads refuse what is not a regular file
// before opening it and cap sizes before reading; writes go through symlinks,
// refuse special files, keep permissions and clean up after killed writers;
// a checkpoint with non-finite parameters is refused naming the layer.
#include <doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io.h"
#include "model.h"
#include "rng.h"

using namespace nnlab;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A fresh directory, removed when the test ends.
struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("nnlab_test_io_" + std::to_string(::getpid()) + "_" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "_" + std::to_string(++n));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

Bytes contents(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A process id that ran and is gone (reaped), for stale temp files.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

void check_refused(const Status& s, const std::string& path, const std::string& reason) {
  INFO("message: ", s.message);
  CHECK_FALSE(s.ok());
  CHECK(contains(s.message, path));
  CHECK(contains(s.message, reason));
}

}  // namespace

TEST_CASE("io: read_file refuses a FIFO, a directory and a device before opening them") {
  TempDir dir;
  const std::string fifo = dir / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  Bytes out{4, 2};
  // With no writer, opening the FIFO for reading would block: returning at all
  // shows it was judged by stat() alone.
  check_refused(read_file(fifo, out), fifo, "is a FIFO (named pipe), not a regular file");
  check_refused(read_file(dir.path.string(), out), dir.path.string(), "is a directory, not a regular file");
  if (fs::exists("/dev/zero")) check_refused(read_file("/dev/zero", out), "/dev/zero", "is a character device");
  CHECK(out == Bytes{4, 2});
  // A symlink to a FIFO is the FIFO.
  const std::string link = dir / "link";
  REQUIRE(::symlink("pipe", link.c_str()) == 0);
  check_refused(read_file(link, out), link, "is a FIFO");
}

TEST_CASE("io: read_file caps the size before reading, naming the cap") {
  TempDir dir;
  const std::string path = dir / "blob";
  REQUIRE(write_file(path, Bytes(100, 7)).ok());
  Bytes out;
  REQUIRE(read_file(path, out, 100).ok());
  CHECK(out == Bytes(100, 7));
  check_refused(read_file(path, out, 99, "a test file"), path, "100 bytes, over the 99 bytes cap for a test file");
  // A sparse 5 GiB file costs nothing to make and must cost nothing to refuse.
  const std::string sparse = dir / "sparse";
  {
    const int fd = ::open(sparse.c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, off_t(5) << 30) == 0);
    ::close(fd);
  }
  check_refused(read_file(sparse, out), sparse, "5368709120 bytes, over the 2 GiB cap for a file");
  check_refused(read_file(sparse, out, kMaxDataFileBytes, "a data file"), sparse,
                "over the 1 GiB cap for a data file");
  check_refused(read_file(sparse, out, kMaxModelBytes, "a model file"), sparse, "over the 2 GiB cap for a model file");
  CHECK(out == Bytes(100, 7));
  // st_size is a hint, not the truth: /proc files say 0 and are read to the
  // end, and still capped.
  if (fs::exists("/proc/self/status")) {
    REQUIRE(read_file("/proc/self/status", out).ok());
    CHECK(contains(std::string(out.begin(), out.end()), "Pid:"));
    check_refused(read_file("/proc/self/status", out, 10), "/proc/self/status", "10+ bytes, over the 10 bytes cap");
  }
}

TEST_CASE("io: load_data_dir refuses a FIFO and an oversized file by name") {
  TempDir dir;
  const std::string images = dir / "train-images-idx3-ubyte.gz";
  REQUIRE(::mkfifo(images.c_str(), 0600) == 0);
  DataFiles files;
  check_refused(load_data_dir(dir.path.string(), files), images, "is a FIFO");
  fs::remove(images);
  {
    const int fd = ::open(images.c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, (off_t(1) << 30) + 1) == 0);
    ::close(fd);
  }
  check_refused(load_data_dir(dir.path.string(), files), images, "1073741825 bytes, over the 1 GiB cap for a data file");
}

TEST_CASE("io: write_file writes through symlinks; the link stays a link") {
  TempDir dir;
  const std::string real = dir / "real.nnlb", link = dir / "link.nnlb", chain = dir / "chain.nnlb";
  REQUIRE(write_file(real, Bytes{1}).ok());
  REQUIRE(::symlink("real.nnlb", link.c_str()) == 0);  // relative, as `ln -s` makes them
  REQUIRE(::symlink(link.c_str(), chain.c_str()) == 0);  // absolute, to a link
  REQUIRE(write_file(link, Bytes{2, 2}).ok());
  CHECK(fs::is_symlink(link));
  CHECK(contents(real) == Bytes{2, 2});
  REQUIRE(write_file(chain, Bytes{3, 3, 3}).ok());
  CHECK(fs::is_symlink(chain));
  CHECK(fs::is_symlink(link));
  CHECK(contents(real) == Bytes{3, 3, 3});
  // A dangling link makes its target.
  const std::string dangling = dir / "dangling";
  REQUIRE(::symlink("made.nnlb", dangling.c_str()) == 0);
  REQUIRE(write_file(dangling, Bytes{4}).ok());
  CHECK(fs::is_symlink(dangling));
  CHECK(contents(dir / "made.nnlb") == Bytes{4});
  // Only the four names and the made file: no temp file left behind.
  CHECK(names_in(dir.path) == std::vector<std::string>{"chain.nnlb", "dangling", "link.nnlb", "made.nnlb", "real.nnlb"});
  // A loop is refused, not followed forever.
  const std::string a = dir / "a", b = dir / "b";
  REQUIRE(::symlink("b", a.c_str()) == 0);
  REQUIRE(::symlink("a", b.c_str()) == 0);
  check_refused(write_file(a, Bytes{5}), a, "too many levels of symbolic links");
}

TEST_CASE("io: write_file keeps the replaced file's permissions") {
  TempDir dir;
  const std::string path = dir / "m.nnlb";
  REQUIRE(write_file(path, Bytes{1}).ok());
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  REQUIRE(write_file(path, Bytes{2}).ok());
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
}

TEST_CASE("io: write_file and check_write_target refuse what is not a regular file in a directory") {
  TempDir dir;
  const std::string fifo = dir / "pipe", missing = dir / "nowhere/m.nnlb", file = dir / "file";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(write_file(file, Bytes{9}).ok());
  const std::string link = dir / "to_pipe";
  REQUIRE(::symlink("pipe", link.c_str()) == 0);
  // Opening a FIFO for writing would block with no reader: returning proves it was not opened.
  check_refused(write_file(fifo, Bytes{1}), fifo, "is a FIFO (named pipe); only a regular file is replaced");
  check_refused(write_file(link, Bytes{1}), link, "is a FIFO (named pipe) (through the symbolic link to");
  check_refused(write_file(dir.path.string(), Bytes{1}), dir.path.string(), "is a directory");
  check_refused(write_file(missing, Bytes{1}), missing, "the directory " + (dir / "nowhere") + " does not exist");
  check_refused(write_file(file + "/x", Bytes{1}), file + "/x", file + " is not a directory");
  check_refused(write_file("", Bytes{1}), "", "the path is empty");
  if (fs::exists("/dev/null")) check_refused(write_file("/dev/null", Bytes{1}), "/dev/null", "is a character device");
  check_refused(check_write_target(fifo), fifo, "is a FIFO");
  check_refused(check_write_target(dir.path.string()), dir.path.string(), "is a directory");
  check_refused(check_write_target(missing), missing, "does not exist");
  check_refused(check_write_target(""), "", "the path is empty");
  CHECK(fs::is_fifo(fifo));
  CHECK(contents(file) == Bytes{9});
  // A good target passes and leaves nothing behind.
  REQUIRE(check_write_target(dir / "new.nnlb").ok());
  CHECK(names_in(dir.path) == std::vector<std::string>{"file", "pipe", "to_pipe"});
}

TEST_CASE("io: check_write_target finds a read-only directory") {
  if (::geteuid() == 0) {
    MESSAGE("skipped: running as root, which may write into a read-only (0555) directory");
    return;
  }
  TempDir dir;
  const std::string locked = dir / "locked";
  fs::create_directory(locked);
  REQUIRE(::chmod(locked.c_str(), 0555) == 0);
  check_refused(check_write_target(locked + "/m.nnlb"), locked + "/m.nnlb", "Permission denied");
  ::chmod(locked.c_str(), 0755);
}

TEST_CASE("io: a write removes temp files whose process is gone, and only those") {
  TempDir dir;
  const std::string path = dir / "m.nnlb";
  const std::string stale = ".m.nnlb.nnlab-tmp." + std::to_string(dead_pid()) + ".1";
  const std::string live = ".m.nnlb.nnlab-tmp." + std::to_string(::getppid()) + ".1";  // our parent runs
  const std::string mine = ".m.nnlb.nnlab-tmp." + std::to_string(::getpid()) + ".999999";
  const std::string other = ".x.nnlb.nnlab-tmp." + std::to_string(dead_pid()) + ".1";  // another target's
  for (const auto& name : {stale, live, mine, other}) REQUIRE(write_file(dir / name, Bytes{0}).ok());
  REQUIRE(write_file(path, Bytes{1}).ok());
  std::vector<std::string> want{live, mine, other, "m.nnlb"};
  std::sort(want.begin(), want.end());
  CHECK(names_in(dir.path) == want);
  // check_write_target cleans up the same way.
  const std::string stale2 = ".m.nnlb.nnlab-tmp." + std::to_string(dead_pid()) + ".3";
  REQUIRE(write_file(dir / stale2, Bytes{0}).ok());
  REQUIRE(check_write_target(path).ok());
  CHECK(names_in(dir.path) == want);
}

TEST_CASE("checkpoint: non-finite parameters are refused naming the layer, with a valid checksum") {
  Rng rng(3);
  const NetConfig net = NetConfig::mlp({4, 5, 3});
  const Model good = init_model(net, Init::Scaled, rng);
  Model target = good;
  auto refused = [&](const Model& m, const std::string& why) {
    const Bytes bytes = save_model(m);  // save_model computes a valid CRC
    Model out = target;
    const Status s = load_model(bytes.data(), bytes.size(), "bad.nnlb", out);
    INFO("message: ", s.message);
    CHECK_FALSE(s.ok());
    CHECK(s.message.find("bad.nnlb: ") == 0);
    CHECK(contains(s.message, why));
    CHECK(out.weights == target.weights);
  };
  Model nan_weight = good;
  nan_weight.weights[1][7] = std::nanf("");
  refused(nan_weight, "dense layer 2 of 2 (fc3): weight 7 is NaN");
  Model inf_bias = good;
  inf_bias.biases[0][4] = -INFINITY;
  refused(inf_bias, "dense layer 1 of 2 (fc5): bias 4 is Inf");
  const Bytes bytes = save_model(good);
  Model back;
  CHECK(load_model(bytes.data(), bytes.size(), "good.nnlb", back).ok());
}

TEST_CASE("checkpoint: a header implying more than the model cap is refused before reading on") {
  // Version 2, quadratic, 100000 inputs, fc10000 + sigmoid: 1e9 parameters, 4 GB.
  Bytes file{'N', 'N', 'L', 'B'};
  for (uint32_t v : {2u, 0u, 100000u, 2u, 1u, 10000u, 2u, 0u})
    for (int i = 0; i < 4; ++i) file.push_back(uint8_t(v >> (8 * i)));
  Model m;
  const Status s = load_model(file.data(), file.size(), "huge.nnlb", m);
  INFO("message: ", s.message);
  CHECK(contains(s.message, "huge.nnlb: "));
  CHECK(contains(s.message, "over the 2 GiB cap for a model file"));
}
