// IDX loader specification: round trips, and every bad input refused with a
// message that names the file and what is wrong (never a crash, never a huge
// allocation from a lying header); data directories; the validation split.
#include <doctest.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "dataset.h"
#include "idx.h"
#include "io.h"

#ifndef NNLAB_DATA_DIR
#define NNLAB_DATA_DIR "data"
#endif

// The largest single allocation since reset, to prove a lying header allocates
// nothing. Replacing operator new is standard C++ and ASan still checks malloc.
static std::atomic<size_t> g_largest_alloc{0};
void* operator new(std::size_t n) {
  size_t seen = g_largest_alloc.load(std::memory_order_relaxed);
  while (n > seen && !g_largest_alloc.compare_exchange_weak(seen, n)) {
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC 12 warns that free() meets a pointer from operator new: this operator new is malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace nnlab;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

// A small dataset whose pixels and labels depend on index and seed, so that a
// shifted or reordered byte shows up in a comparison.
Dataset make_dataset(int count, int rows, int cols, int classes = 10, int seed = 1) {
  Dataset d;
  d.count = count;
  d.rows = rows;
  d.cols = cols;
  d.classes = classes;
  d.images.resize(size_t(count) * rows * cols);
  for (size_t i = 0; i < d.images.size(); ++i) d.images[i] = uint8_t(i * 31 + seed * 7 + i / 5);
  for (int i = 0; i < count; ++i) d.labels.push_back(uint8_t((i * 7 + seed) % classes));
  return d;
}

struct Parsed {
  Status status;
  Dataset data;
};

Parsed parse(const Bytes& images, const Bytes& labels, int classes = 10) {
  Parsed p;
  p.data.count = -7;  // a sentinel: failure must leave `out` untouched
  p.status = parse_idx(images.data(), images.size(), "dir/imgs.idx3", labels.data(),
                       labels.size(), "dir/labs.idx1", classes, p.data);
  return p;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Checks a refused input: the message names the file and says what is wrong,
// and the output was not touched.
void check_refused(const Parsed& p, const std::string& file, const std::string& reason) {
  INFO("message: ", p.status.message);
  CHECK_FALSE(p.status.ok());
  CHECK(contains(p.status.message, file));
  CHECK(contains(p.status.message, reason));
  CHECK(p.data.count == -7);
}

Bytes be32(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes images_header(uint32_t count, uint32_t rows, uint32_t cols) {
  return cat(cat(cat(be32(0x803), be32(count)), be32(rows)), be32(cols));
}

fs::path fresh_temp_dir(const std::string& tag) {
  static int n = 0;
  fs::path p = fs::temp_directory_path() /
               ("nnlab_test_idx_" + tag + "_" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
                "_" + std::to_string(++n));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

}  // namespace

TEST_CASE("idx: round trip raw and gzip") {
  for (bool gz : {false, true}) {
    CAPTURE(gz);
    const Dataset d = make_dataset(37, 5, 3, 10, gz ? 2 : 3);
    const Bytes images = encode_idx_images(d, gz);
    const Bytes labels = encode_idx_labels(d, gz);
    CHECK((images.size() >= 2 && images[0] == 0x1f && images[1] == 0x8b) == gz);
    if (!gz) {
      CHECK(images.size() == 16 + d.images.size());
      CHECK(labels.size() == 8 + d.labels.size());
    }
    const Parsed p = parse(images, labels);
    REQUIRE_MESSAGE(p.status.ok(), p.status.message);
    CHECK(p.data.count == 37);
    CHECK(p.data.rows == 5);
    CHECK(p.data.cols == 3);
    CHECK(p.data.classes == 10);
    CHECK(p.data.images == d.images);
    CHECK(p.data.labels == d.labels);
  }
}

TEST_CASE("idx: gzip is real gzip (checked against zlib's own decoder)") {
  const Dataset d = make_dataset(200, 28, 28);
  const Bytes gz = encode_idx_images(d, true);
  const Bytes raw = encode_idx_images(d, false);
  CHECK(gz.size() < raw.size());
  // Decode with zlib directly: a gzip wrapper (16 + MAX_WBITS), not the engine's code.
  Bytes out(raw.size() + 1);
  z_stream z{};
  REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
  z.next_in = const_cast<Bytef*>(gz.data());
  z.avail_in = uInt(gz.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  CHECK(out == raw);
}

TEST_CASE("idx: concatenated gzip members and zero padding are accepted") {
  const Dataset d = make_dataset(10, 4, 4);
  const Bytes raw = encode_idx_images(d, false);
  const Bytes first_half(raw.begin(), raw.begin() + 50);
  const Bytes second_half(raw.begin() + 50, raw.end());
  // Two members, each its own gzip stream, as `cat a.gz b.gz` makes.
  auto gzip_bytes = [](const Bytes& b) {
    Bytes out(compressBound(uLong(b.size())) + 64);
    z_stream z{};
    REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = const_cast<Bytef*>(b.data());
    z.avail_in = uInt(b.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
  };
  const Bytes two = cat(gzip_bytes(first_half), gzip_bytes(second_half));
  Bytes out;
  REQUIRE(maybe_gunzip(two.data(), two.size(), "two.gz", out).ok());
  CHECK(out == raw);
  const Bytes padded = cat(two, Bytes(512, 0));
  Bytes out2;
  REQUIRE(maybe_gunzip(padded.data(), padded.size(), "padded.gz", out2).ok());
  CHECK(out2 == raw);
  const Parsed p = parse(padded, encode_idx_labels(d, true));
  REQUIRE_MESSAGE(p.status.ok(), p.status.message);
  CHECK(p.data.images == d.images);
}

TEST_CASE("idx: truncated images and labels are refused") {
  const Dataset d = make_dataset(20, 6, 7);
  const Bytes images = encode_idx_images(d, false);
  const Bytes labels = encode_idx_labels(d, false);
  // Cut inside the pixels, inside the header, and one byte short.
  for (size_t keep : {size_t(100), size_t(10), images.size() - 1}) {
    CAPTURE(keep);
    const Bytes cut(images.begin(), images.begin() + keep);
    check_refused(parse(cut, labels), "dir/imgs.idx3", "truncated");
  }
  for (size_t keep : {size_t(5), labels.size() - 1}) {
    CAPTURE(keep);
    const Bytes cut(labels.begin(), labels.begin() + keep);
    check_refused(parse(images, cut), "dir/labs.idx1", "truncated");
  }
  // A truncated gzip stream (the end-of-stream marker and trailer are lost).
  const Bytes gz = encode_idx_images(d, true);
  const Bytes gz_cut(gz.begin(), gz.end() - 12);
  check_refused(parse(gz_cut, labels), "dir/imgs.idx3", "truncated");
  // A complete gzip stream of a truncated file.
  Dataset short_d = d;
  short_d.images.resize(d.images.size() - 3);
  check_refused(parse(encode_idx_images(short_d, true), labels), "dir/imgs.idx3", "truncated");
}

TEST_CASE("idx: wrong magic numbers are refused") {
  const Dataset d = make_dataset(4, 2, 2);
  const Bytes images = encode_idx_images(d, false);
  const Bytes labels = encode_idx_labels(d, false);
  // Files swapped: each message says which kind the file really is.
  const Parsed swapped = parse(labels, images);
  check_refused(swapped, "dir/imgs.idx3", "bad magic number 0x00000801");
  CHECK(contains(swapped.status.message, "labels file"));
  Bytes bad = images;
  bad[2] = 0x0d;  // float data type
  check_refused(parse(bad, labels), "dir/imgs.idx3", "bad magic number 0x00000d03");
  Bytes bad_labels = labels;
  bad_labels[3] = 2;
  check_refused(parse(images, bad_labels), "dir/labs.idx1", "bad magic number 0x00000802");
  // Text that is not IDX at all (e.g. an HTML error page served instead).
  const std::string html = "<html><body>404 Not Found</body></html>";
  check_refused(parse(Bytes(html.begin(), html.end()), labels), "dir/imgs.idx3", "bad magic");
}

TEST_CASE("idx: image and label counts must agree") {
  const Dataset d = make_dataset(12, 3, 3);
  const Dataset fewer = make_dataset(11, 3, 3);
  const Parsed p = parse(encode_idx_images(d, true), encode_idx_labels(fewer, true));
  check_refused(p, "dir/labs.idx1", "11 labels");
  CHECK(contains(p.status.message, "dir/imgs.idx3 has 12 images"));
}

TEST_CASE("idx: bad dimensions are refused") {
  check_refused(parse(images_header(5, 0, 28), Bytes{}), "dir/imgs.idx3", "5 images of 0x28");
  check_refused(parse(images_header(5, 28, 0), Bytes{}), "dir/imgs.idx3", "5 images of 28x0");
  check_refused(parse(images_header(0, 28, 28), Bytes{}), "dir/imgs.idx3", "no images");
  // Non-square images of any size are fine.
  const Dataset d = make_dataset(3, 1, 9);
  CHECK(parse(encode_idx_images(d, false), encode_idx_labels(d, false)).status.ok());
}

TEST_CASE("idx: a huge header is refused before allocating") {
  const Bytes labels = encode_idx_labels(make_dataset(1, 1, 1), false);
  struct Case {
    uint32_t count, rows, cols;
  };
  // Over 1e8 pixels in all: by count, by image size, by 32-bit overflow traps
  // (65536*65536 wraps to 0 in 32 bits), and all maximal.
  for (const Case c : {Case{1000000, 28, 28}, Case{1, 10000, 10001}, Case{1, 65536, 65536},
                       Case{65536, 65536, 1}, Case{0xffffffffu, 0xffffffffu, 0xffffffffu}}) {
    CAPTURE(c.count);
    CAPTURE(c.rows);
    CAPTURE(c.cols);
    const Bytes header = images_header(c.count, c.rows, c.cols);
    g_largest_alloc = 0;
    const Parsed p = parse(header, labels);
    const size_t largest = g_largest_alloc;
    check_refused(p, "dir/imgs.idx3", "more than the limit of 100000000 pixels");
    CHECK(largest < 4096);
  }
  // The same header gzipped: inflating 16 bytes allocates little, then it is refused.
  Dataset lying;
  lying.count = 1000000;
  lying.rows = lying.cols = 28;
  const Bytes gz_header = encode_idx_images(lying, true);  // header only: no pixels
  g_largest_alloc = 0;
  const Parsed gz = parse(gz_header, labels);
  CHECK(g_largest_alloc < 128 * 1024);
  check_refused(gz, "dir/imgs.idx3", "more than the limit of 100000000 pixels");
  // Exactly at the limit the header is legal, so a short file is "truncated".
  g_largest_alloc = 0;
  const Parsed at_limit = parse(images_header(100, 1000, 1000), labels);
  CHECK(g_largest_alloc < 4096);
  check_refused(at_limit, "dir/imgs.idx3", "truncated");
}

TEST_CASE("idx: a gzip bomb is refused at a bounded size") {
  // 16 + 1e8 + 4096 zero bytes: more than any IDX file within the pixel limit.
  // Streamed into deflate from a small buffer, so the test itself stays small.
  const size_t total = kMaxIdxPixels + 16 + 4096;
  Bytes zeros(1 << 20, 0);
  Bytes gz(1 << 20);
  z_stream z{};
  REQUIRE(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  size_t fed = 0;
  int rc = Z_OK;
  z.next_out = gz.data();
  z.avail_out = uInt(gz.size());
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0 && fed < total) {
      const size_t n = std::min(zeros.size(), total - fed);
      z.next_in = zeros.data();
      z.avail_in = uInt(n);
      fed += n;
    }
    rc = deflate(&z, fed == total ? Z_FINISH : Z_NO_FLUSH);
    if (z.avail_out == 0) break;  // cannot happen: 100 MB of zeros deflate to about 100 kB
  }
  REQUIRE(rc == Z_STREAM_END);
  gz.resize(z.total_out);
  deflateEnd(&z);
  Bytes out{1, 2, 3};
  g_largest_alloc = 0;
  const Status s = maybe_gunzip(gz.data(), gz.size(), "bomb.gz", out);
  INFO(s.message);
  CHECK_FALSE(s.ok());
  CHECK(contains(s.message, "bomb.gz"));
  CHECK(contains(s.message, "inflates to more than"));
  CHECK(g_largest_alloc <= kMaxIdxPixels + 16 + 1);
  CHECK(out == Bytes{1, 2, 3});
}

TEST_CASE("idx: maybe_gunzip passes raw bytes through") {
  const Bytes raw = encode_idx_labels(make_dataset(7, 1, 1), false);
  Bytes out{5};
  REQUIRE(maybe_gunzip(raw.data(), raw.size(), "raw.idx1", out).ok());
  CHECK(out == raw);
  const Bytes gz = encode_idx_labels(make_dataset(7, 1, 1), true);
  REQUIRE(maybe_gunzip(gz.data(), gz.size(), "x.gz", out).ok());
  CHECK(out == raw);
}

TEST_CASE("idx: corrupt gzip is refused") {
  const Dataset d = make_dataset(50, 8, 8);
  const Bytes gz = encode_idx_images(d, true);
  const Bytes labels = encode_idx_labels(d, true);
  // Damage inside the deflate data, and in the CRC-32 trailer alone.
  Bytes body = gz;
  for (size_t i = 12; i < 40 && i < body.size(); ++i) body[i] ^= 0x5a;
  check_refused(parse(body, labels), "dir/imgs.idx3", "corrupt gzip");
  Bytes crc = gz;
  crc[crc.size() - 8] ^= 0xff;
  check_refused(parse(crc, labels), "dir/imgs.idx3", "corrupt gzip");
  // Only the gzip magic.
  check_refused(parse(Bytes{0x1f, 0x8b}, labels), "dir/imgs.idx3", "gzip");
  // Corrupt labels are named as the labels file.
  Bytes lab = labels;
  lab[lab.size() - 4] ^= 0x01;  // ISIZE, the length check
  check_refused(parse(encode_idx_images(d, true), lab), "dir/labs.idx1", "corrupt gzip");
}

TEST_CASE("idx: labels out of range are refused") {
  Dataset d = make_dataset(9, 2, 2);
  d.labels[5] = 11;
  check_refused(parse(encode_idx_images(d, true), encode_idx_labels(d, true)), "dir/labs.idx1",
                "label 11 at index 5 is out of range for 10 classes");
  // The class count is the caller's: 3 classes makes label 5 bad too.
  Dataset e = make_dataset(9, 2, 2);
  e.labels.assign(9, 0);
  e.labels[8] = 3;
  check_refused(parse(encode_idx_images(e, false), encode_idx_labels(e, false), 3),
                "dir/labs.idx1", "label 3 at index 8 is out of range for 3 classes");
  CHECK(parse(encode_idx_images(e, false), encode_idx_labels(e, false), 4).status.ok());
}

TEST_CASE("idx: empty files are refused") {
  const Dataset d = make_dataset(3, 2, 2);
  check_refused(parse(Bytes{}, encode_idx_labels(d, false)), "dir/imgs.idx3", "empty");
  check_refused(parse(encode_idx_images(d, false), Bytes{}), "dir/labs.idx1", "empty");
  // An empty file that was gzipped is still empty.
  const Bytes empty_gz = [] {
    Bytes o(64);
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_out = o.data();
    z.avail_out = uInt(o.size());
    deflate(&z, Z_FINISH);
    o.resize(z.total_out);
    deflateEnd(&z);
    return o;
  }();
  check_refused(parse(empty_gz, encode_idx_labels(d, false)), "dir/imgs.idx3", "empty");
}

TEST_CASE("idx: trailing garbage is refused") {
  const Dataset d = make_dataset(6, 4, 4);
  check_refused(parse(cat(encode_idx_images(d, false), Bytes{0}), encode_idx_labels(d, false)),
                "dir/imgs.idx3", "trailing garbage: 1 extra bytes after the 6 images of 4x4");
  check_refused(parse(encode_idx_images(d, false), cat(encode_idx_labels(d, false), Bytes(9, 1))),
                "dir/labs.idx1", "trailing garbage: 9 extra bytes");
  // After a complete gzip stream.
  check_refused(parse(cat(encode_idx_images(d, true), Bytes{'j', 'u', 'n', 'k'}),
                      encode_idx_labels(d, false)),
                "dir/imgs.idx3", "4 bytes of trailing garbage after the gzip data");
}

TEST_CASE("idx: write_file and read_file round trip, atomically") {
  const fs::path dir = fresh_temp_dir("io");
  const std::string path = (dir / "blob.bin").string();
  const Bytes first = encode_idx_images(make_dataset(5, 3, 3), true);
  REQUIRE(write_file(path, first).ok());
  Bytes back;
  REQUIRE(read_file(path, back).ok());
  CHECK(back == first);
  const Bytes second{9, 8, 7};
  REQUIRE(write_file(path, second).ok());
  REQUIRE(read_file(path, back).ok());
  CHECK(back == second);
  REQUIRE(write_file(path, Bytes{}).ok());
  REQUIRE(read_file(path, back).ok());
  CHECK(back.empty());
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
  // Failures name the path and leave `out` alone.
  const std::string missing = (dir / "nope" / "x.bin").string();
  Bytes keep{4, 2};
  const Status r = read_file(missing, keep);
  CHECK_FALSE(r.ok());
  CHECK(contains(r.message, missing));
  CHECK(keep == Bytes{4, 2});
  const Status w = write_file(missing, second);
  CHECK_FALSE(w.ok());
  CHECK(contains(w.message, missing));
  fs::remove_all(dir);
}

TEST_CASE("idx: load_data_dir reads the four files, .gz preferred") {
  const fs::path dir = fresh_temp_dir("dir");
  const Dataset train = make_dataset(30, 4, 5, 10, 4);
  const Dataset test = make_dataset(8, 4, 5, 10, 5);
  const std::string d = dir.string();
  REQUIRE(write_file(d + "/train-images-idx3-ubyte.gz", encode_idx_images(train, true)).ok());
  REQUIRE(write_file(d + "/train-labels-idx1-ubyte", encode_idx_labels(train, false)).ok());
  REQUIRE(write_file(d + "/t10k-images-idx3-ubyte", encode_idx_images(test, false)).ok());
  REQUIRE(write_file(d + "/t10k-labels-idx1-ubyte.gz", encode_idx_labels(test, true)).ok());
  DataFiles files;
  Status s = load_data_dir(d, files);
  REQUIRE_MESSAGE(s.ok(), s.message);
  CHECK(files.train.count == 30);
  CHECK(files.train.images == train.images);
  CHECK(files.train.labels == train.labels);
  CHECK(files.test.count == 8);
  CHECK(files.test.images == test.images);
  CHECK(files.test.labels == test.labels);

  // .gz wins over the raw file beside it: a broken raw file is never read.
  REQUIRE(write_file(d + "/t10k-images-idx3-ubyte.gz", encode_idx_images(test, true)).ok());
  REQUIRE(write_file(d + "/t10k-images-idx3-ubyte", Bytes{1, 2, 3}).ok());
  DataFiles again;
  s = load_data_dir(d + "/", again);
  REQUIRE_MESSAGE(s.ok(), s.message);
  CHECK(again.test.images == test.images);

  // A bad file is named by the path that was read; `out` stays as it was.
  REQUIRE(write_file(d + "/t10k-labels-idx1-ubyte.gz", encode_idx_labels(train, true)).ok());
  s = load_data_dir(d, files);
  CHECK_FALSE(s.ok());
  CHECK(contains(s.message, d + "/t10k-labels-idx1-ubyte.gz"));
  CHECK(files.test.count == 8);

  // Test images of another size than the training images.
  REQUIRE(write_file(d + "/t10k-labels-idx1-ubyte.gz", encode_idx_labels(test, true)).ok());
  const Dataset odd = make_dataset(8, 5, 4, 10, 5);
  REQUIRE(write_file(d + "/t10k-images-idx3-ubyte.gz", encode_idx_images(odd, true)).ok());
  s = load_data_dir(d, files);
  CHECK_FALSE(s.ok());
  CHECK(contains(s.message, "5x4"));
  // Both files are named: either one may be the odd one.
  CHECK(contains(s.message, d + "/train-images-idx3-ubyte holds 4x5"));
  CHECK(contains(s.message, d + "/t10k-images-idx3-ubyte holds 5x4"));

  // The classes come from the labels: the largest of either set + 1.
  REQUIRE(write_file(d + "/t10k-images-idx3-ubyte.gz", encode_idx_images(test, true)).ok());
  Dataset many = make_dataset(8, 4, 5, 10, 5);
  many.labels[3] = 41;
  REQUIRE(write_file(d + "/t10k-labels-idx1-ubyte.gz", encode_idx_labels(many, true)).ok());
  DataFiles wide;
  REQUIRE(load_data_dir(d, wide).ok());
  CHECK(wide.train.classes == 42);
  CHECK(wide.test.classes == 42);
  REQUIRE(write_file(d + "/t10k-labels-idx1-ubyte.gz", encode_idx_labels(test, true)).ok());

  // A missing file is named, .gz and raw.
  fs::remove(dir / "train-labels-idx1-ubyte");
  s = load_data_dir(d, files);
  CHECK_FALSE(s.ok());
  CHECK(contains(s.message, d + "/train-labels-idx1-ubyte.gz: not found"));
  CHECK(contains(s.message, d + "/train-labels-idx1-ubyte)"));
  fs::remove_all(dir);
}

TEST_CASE("idx: load_data_dir on a missing directory") {
  const std::string d = (fs::temp_directory_path() / "nnlab_no_such_dir_4711").string();
  DataFiles files;
  files.train.count = 3;
  const Status s = load_data_dir(d, files);
  CHECK_FALSE(s.ok());
  CHECK(contains(s.message, d + "/train-images-idx3-ubyte.gz: not found"));
  CHECK(files.train.count == 3);
}

TEST_CASE("idx: split_tail moves the last n images") {
  Dataset d = make_dataset(10, 2, 3);
  const Dataset orig = d;
  const Dataset tail = split_tail(d, 4);
  CHECK(d.count == 6);
  CHECK(tail.count == 4);
  CHECK(tail.rows == 2);
  CHECK(tail.cols == 3);
  CHECK(tail.classes == 10);
  CHECK(d.images.size() == 36);
  CHECK(d.labels.size() == 6);
  CHECK(tail.images.size() == 24);
  CHECK(std::equal(d.images.begin(), d.images.end(), orig.images.begin()));
  CHECK(std::equal(tail.images.begin(), tail.images.end(), orig.images.begin() + 36));
  CHECK(std::equal(tail.labels.begin(), tail.labels.end(), orig.labels.begin() + 6));
  CHECK(tail.image(0)[0] == orig.image(6)[0]);

  Dataset e = make_dataset(5, 2, 2);
  CHECK(split_tail(e, 0).count == 0);
  CHECK(e.count == 5);
  const Dataset all = split_tail(e, 99);  // clamped, never out of range
  CHECK(all.count == 5);
  CHECK(e.count == 0);
  CHECK(e.images.empty());
}

TEST_CASE("idx: the prepared mnist directory is the official MNIST: 60000/10000 images of all 10 digits") {
  const std::string dir = std::string(NNLAB_DATA_DIR) + "/mnist";
  if (!fs::exists(dir)) {
    MESSAGE("skipped: " << dir << " is absent (run tools/prepare_data mnist)");
    return;
  }
  DataFiles files;
  const Status s = load_data_dir(dir, files);
  REQUIRE_MESSAGE(s.ok(), s.message);
  CHECK(files.train.count == 60000);
  CHECK(files.test.count == 10000);
  // The official files' first labels (train: 5 0 4 1 9, test: 7 2 1 0 4).
  CHECK(std::vector<int>(files.train.labels.begin(), files.train.labels.begin() + 5) == std::vector<int>{5, 0, 4, 1, 9});
  CHECK(std::vector<int>(files.test.labels.begin(), files.test.labels.begin() + 5) == std::vector<int>{7, 2, 1, 0, 4});
  for (const Dataset* d : {&files.train, &files.test}) {
    CHECK(d->rows == 28);
    CHECK(d->cols == 28);
    std::vector<int> per_class(10, 0);
    for (uint8_t l : d->labels) ++per_class.at(l);
    for (int c = 0; c < 10; ++c) {
      CAPTURE(c);
      CHECK(per_class[c] > d->count / 20);  // each digit is about a tenth
    }
    // Real digits: mostly background, some full-ink pixels.
    const auto ink =
        std::count_if(d->images.begin(), d->images.end(), [](uint8_t v) { return v > 128; });
    CHECK(ink > int64_t(d->images.size() / 20));
    CHECK(ink < int64_t(d->images.size() / 2));
  }
}

TEST_CASE("idx: the fashion directory loads 60000/10000 images") {
  const std::string dir = std::string(NNLAB_DATA_DIR) + "/fashion";
  if (!fs::exists(dir)) {
    MESSAGE("skipped: " << dir << " is absent (run tools/prepare_data fashion)");
    return;
  }
  DataFiles files;
  const Status s = load_data_dir(dir, files);
  REQUIRE_MESSAGE(s.ok(), s.message);
  CHECK(files.train.count == 60000);
  CHECK(files.test.count == 10000);
  CHECK(files.train.pixels() == 784);
  CHECK(files.train.images.size() == size_t(60000) * 784);
  // Fashion-MNIST's test set is balanced: 1000 of each class.
  std::vector<int> per_class(10, 0);
  for (uint8_t l : files.test.labels) ++per_class.at(l);
  CHECK(per_class == std::vector<int>(10, 1000));
}
