// IDX parsing and writing (LeCun's MNIST format) with gzip via zlib. Every size
// a header claims is checked against the bytes actually present and against
// kMaxIdxPixels before anything is allocated from it.
#include "idx.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>

namespace nnlab {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension
constexpr size_t kImagesHeader = 16;
constexpr size_t kLabelsHeader = 8;
// The largest IDX file we accept: a full images file at the pixel limit. Inflate
// stops one byte past it, so a gzip bomb costs at most this much memory.
constexpr size_t kMaxInflated = kMaxIdxPixels + kImagesHeader;
// deflate cannot compress better than about 1032:1, which bounds a truthful
// ISIZE trailer; a lying one must not make us reserve much.
constexpr size_t kMaxDeflateRatio = 1032;

uint32_t read_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  const uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  out.insert(out.end(), b, b + 4);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

bool is_gzip(const uint8_t* data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

Status fail(const std::string& name, const std::string& what) {
  return Status::fail(name + ": " + what);
}

// Bytes of an IDX file after optional inflation. Raw input is used in place;
// gzip input is inflated into `storage`.
struct Bytes {
  std::vector<uint8_t> storage;
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool owned = false;
};

Status load_bytes(const uint8_t* data, size_t size, const std::string& name, Bytes& b) {
  if (!is_gzip(data, size)) {
    b.data = data;
    b.size = size;
    return Status::success();
  }
  Status s = maybe_gunzip(data, size, name, b.storage);
  if (!s.ok()) return s;
  b.data = b.storage.data();
  b.size = b.storage.size();
  b.owned = true;
  return Status::success();
}

// Describes the file's size against the header's promise, for both idx kinds.
Status check_size(const std::string& name, size_t have, size_t want, const std::string& what) {
  if (have < want)
    return fail(name, "truncated: header declares " + what + " (" + std::to_string(want) +
                          " bytes) but the file has only " + std::to_string(have) + " bytes");
  if (have > want)
    return fail(name, "trailing garbage: " + std::to_string(have - want) +
                          " extra bytes after the " + what + " the header declares");
  return Status::success();
}

// The magic is checked first when present: a labels file passed as images is
// better reported as such than as a short header.
Status check_header(const std::string& name, const uint8_t* data, size_t size, size_t header,
                    uint32_t want, const char* kind) {
  if (size == 0) return fail(name, "file is empty");
  if (size >= 4) {
    const uint32_t magic = read_be32(data);
    if (magic != want) {
      std::string m = "bad magic number " + hex32(magic) + ", expected " + hex32(want) + " (" +
                      kind + ")";
      if (magic == kImagesMagic) m += "; this is an idx3 images file";
      if (magic == kLabelsMagic) m += "; this is an idx1 labels file";
      return fail(name, m);
    }
  }
  if (size < header)
    return fail(name, "truncated: " + std::to_string(size) + " bytes is shorter than the " +
                          std::to_string(header) + "-byte " + kind + " header");
  return Status::success();
}

void deflate_into(const std::vector<uint8_t>& raw, std::vector<uint8_t>& out) {
  z_stream z{};
  // 16 + MAX_WBITS: gzip wrapper (header, CRC-32, size) rather than zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    out.clear();
    return;
  }
  out.resize(deflateBound(&z, uLong(raw.size())) + 64);
  size_t in_pos = 0, out_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    const size_t in_chunk = std::min<size_t>(raw.size() - in_pos, UINT_MAX);
    z.next_in = const_cast<Bytef*>(raw.data() + in_pos);
    z.avail_in = uInt(in_chunk);
    if (out_pos == out.size()) out.resize(out.size() * 2);
    const size_t out_chunk = std::min<size_t>(out.size() - out_pos, UINT_MAX);
    z.next_out = out.data() + out_pos;
    z.avail_out = uInt(out_chunk);
    const bool last = in_pos + in_chunk == raw.size();
    rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
    in_pos += in_chunk - z.avail_in;
    out_pos += out_chunk - z.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      out.clear();  // only Z_STREAM_ERROR is possible here: a zlib bug, not bad data
      deflateEnd(&z);
      return;
    }
  }
  deflateEnd(&z);
  out.resize(out_pos);
}

}  // namespace

Status maybe_gunzip(const uint8_t* data, size_t size, const std::string& name,
                    std::vector<uint8_t>& out) {
  if (!is_gzip(data, size)) {
    out.assign(data, data + size);
    return Status::success();
  }
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return fail(name, "zlib inflateInit2 failed");

  // The gzip trailer's ISIZE (uncompressed size mod 2^32) is only a hint: the
  // file may be concatenated members, or lie.
  size_t hint = 64 * 1024;
  if (size >= 18) {
    const uint8_t* t = data + size - 4;
    const size_t isize = uint32_t(t[0]) | uint32_t(t[1]) << 8 | uint32_t(t[2]) << 16 |
                         uint32_t(t[3]) << 24;
    const size_t bound = size > kMaxInflated / kMaxDeflateRatio ? kMaxInflated
                                                                 : size * kMaxDeflateRatio + 64;
    hint = std::max(hint, std::min({isize, bound, kMaxInflated}) + 1);
  }
  std::vector<uint8_t> buf(hint);
  size_t in_pos = 0, out_pos = 0;
  Status status;
  while (true) {
    if (out_pos == buf.size()) {
      if (buf.size() > kMaxInflated) {
        status = fail(name, "gzip data inflates to more than " + std::to_string(kMaxInflated) +
                                " bytes, larger than any IDX file within the " +
                                std::to_string(kMaxIdxPixels) + "-pixel limit");
        break;
      }
      buf.resize(std::min(buf.size() * 2, kMaxInflated + 1));
    }
    const size_t in_chunk = std::min<size_t>(size - in_pos, UINT_MAX);
    const size_t out_chunk = std::min<size_t>(buf.size() - out_pos, UINT_MAX);
    z.next_in = const_cast<Bytef*>(data + in_pos);
    z.avail_in = uInt(in_chunk);
    z.next_out = buf.data() + out_pos;
    z.avail_out = uInt(out_chunk);
    const int rc = inflate(&z, Z_NO_FLUSH);
    in_pos += in_chunk - z.avail_in;
    out_pos += out_chunk - z.avail_out;
    if (rc == Z_STREAM_END) {
      // Another member (as `cat a.gz b.gz` makes) continues the data; zero
      // padding is ignored like gunzip does; anything else is an error.
      const uint8_t* rest = data + in_pos;
      const size_t left = size - in_pos;
      if (left == 0) break;
      if (is_gzip(rest, left)) {
        inflateReset(&z);
        continue;
      }
      if (std::all_of(rest, rest + left, [](uint8_t c) { return c == 0; })) break;
      status = fail(name, std::to_string(left) + " bytes of trailing garbage after the gzip data");
      break;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && in_pos == size) {
      status = fail(name, "gzip data is truncated (ends after " + std::to_string(size) +
                              " compressed bytes, before the end of the stream)");
      break;
    }
    if (rc == Z_BUF_ERROR) continue;  // no room for output: grow and go on
    if (rc == Z_MEM_ERROR) {
      status = fail(name, "out of memory while inflating gzip data");
      break;
    }
    status = fail(name, std::string("corrupt gzip data (") + (z.msg ? z.msg : "zlib error") +
                            ") at compressed byte " + std::to_string(in_pos));
    break;
  }
  inflateEnd(&z);
  if (!status.ok()) return status;
  buf.resize(out_pos);
  if (buf.capacity() - out_pos > out_pos / 4) buf.shrink_to_fit();  // the ISIZE hint was off
  out.swap(buf);
  return Status::success();
}

Status parse_idx(const uint8_t* images, size_t images_size, const std::string& images_name,
                 const uint8_t* labels, size_t labels_size, const std::string& labels_name,
                 int classes, Dataset& out) {
  if (classes < 1 || classes > 256)
    return fail(labels_name, "class count " + std::to_string(classes) +
                                 " is outside 1..256 (labels are single bytes)");
  Bytes img;
  Status s = load_bytes(images, images_size, images_name, img);
  if (!s.ok()) return s;
  s = check_header(images_name, img.data, img.size, kImagesHeader, kImagesMagic,
                   "idx3 unsigned-byte images");
  if (!s.ok()) return s;
  const uint32_t count = read_be32(img.data + 4);
  const uint32_t rows = read_be32(img.data + 8);
  const uint32_t cols = read_be32(img.data + 12);
  const std::string shape =
      std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols);
  if (count == 0) return fail(images_name, "header declares no images (count 0)");
  if (rows == 0 || cols == 0) return fail(images_name, "header declares " + shape + " pixels");
  // Each factor is at most 2^32, so check them one by one to keep the product
  // inside 64 bits.
  const uint64_t pixels = uint64_t(rows) * cols;
  if (pixels > kMaxIdxPixels || count > kMaxIdxPixels / pixels)
    return fail(images_name, "header declares " + shape + " pixels, more than the limit of " +
                                 std::to_string(kMaxIdxPixels) + " pixels in all");
  s = check_size(images_name, img.size, kImagesHeader + size_t(count * pixels), shape);
  if (!s.ok()) return s;

  Bytes lab;
  s = load_bytes(labels, labels_size, labels_name, lab);
  if (!s.ok()) return s;
  s = check_header(labels_name, lab.data, lab.size, kLabelsHeader, kLabelsMagic,
                   "idx1 unsigned-byte labels");
  if (!s.ok()) return s;
  const uint32_t label_count = read_be32(lab.data + 4);
  if (label_count != count)
    return fail(labels_name, "header declares " + std::to_string(label_count) +
                                 " labels but " + images_name + " has " + std::to_string(count) +
                                 " images");
  s = check_size(labels_name, lab.size, kLabelsHeader + count, std::to_string(count) + " labels");
  if (!s.ok()) return s;
  for (uint32_t i = 0; i < count; ++i) {
    const int label = lab.data[kLabelsHeader + i];
    if (label >= classes)
      return fail(labels_name, "label " + std::to_string(label) + " at index " +
                                   std::to_string(i) + " is out of range for " +
                                   std::to_string(classes) + " classes");
  }

  Dataset d;
  d.count = int(count);
  d.rows = int(rows);
  d.cols = int(cols);
  d.classes = classes;
  if (img.owned) {  // reuse the inflated buffer: one 47 MB copy fewer for 60k images
    img.storage.erase(img.storage.begin(), img.storage.begin() + kImagesHeader);
    d.images = std::move(img.storage);
  } else {
    d.images.assign(img.data + kImagesHeader, img.data + img.size);
  }
  d.labels.assign(lab.data + kLabelsHeader, lab.data + lab.size);
  out = std::move(d);
  return Status::success();
}

std::vector<uint8_t> encode_idx_images(const Dataset& d, bool gz) {
  std::vector<uint8_t> raw;
  raw.reserve(kImagesHeader + d.images.size());
  put_be32(raw, kImagesMagic);
  put_be32(raw, uint32_t(d.count));
  put_be32(raw, uint32_t(d.rows));
  put_be32(raw, uint32_t(d.cols));
  raw.insert(raw.end(), d.images.begin(), d.images.end());
  if (!gz) return raw;
  std::vector<uint8_t> out;
  deflate_into(raw, out);
  return out;
}

std::vector<uint8_t> encode_idx_labels(const Dataset& d, bool gz) {
  std::vector<uint8_t> raw;
  raw.reserve(kLabelsHeader + d.labels.size());
  put_be32(raw, kLabelsMagic);
  put_be32(raw, uint32_t(d.count));
  raw.insert(raw.end(), d.labels.begin(), d.labels.end());
  if (!gz) return raw;
  std::vector<uint8_t> out;
  deflate_into(raw, out);
  return out;
}

}  // namespace nnlab
