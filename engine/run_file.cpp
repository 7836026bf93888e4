// The run file's format (run_file.h).
#include "run_file.h"

#include <cstring>

#include "bytes.h"
#include "model.h"
#include "params.h"

namespace nnlab {

namespace {

constexpr char kMagic[4] = {'N', 'N', 'L', 'R'};
constexpr uint32_t kVersion = 1;

void put_bytes(std::vector<uint8_t>& out, const uint8_t* p, size_t n) {
  put_u32(out, uint32_t(n));
  out.insert(out.end(), p, p + n);
}

}  // namespace

std::string run_settings(const TrainConfig& cfg) {
  std::string s;
  for (const Param& p : params()) {
    if (std::strcmp(p.name, "epochs") == 0 || std::strcmp(p.name, "threads") == 0) continue;
    s += (s.empty() ? "" : "&") + std::string(p.name) + "=" + param_text(cfg, p);
  }
  return s;
}

std::vector<uint8_t> write_run_file(const RunFile& run) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  put_u32(out, kVersion);
  put_bytes(out, reinterpret_cast<const uint8_t*>(run.settings.data()), run.settings.size());
  for (int n : {run.train_count, run.validation_count, run.test_count}) put_u32(out, uint32_t(n));
  put_u64(out, run.rng.state);
  put_u64(out, run.rng.inc);
  put_f64(out, run.rng.spare);
  put_u32(out, run.rng.has_spare);
  put_u64(out, run.dropout_pass);
  const Metrics& m = run.metrics;
  put_u32(out, uint32_t(m.epoch));
  put_u64(out, uint64_t(m.batches_done));
  put_u32(out, uint32_t(m.loss_stride));
  put_f64(out, m.loss_partial);
  put_u32(out, uint32_t(m.loss_partial_count));
  for (const std::vector<float>* v : {&m.batch_loss, &m.test_accuracy, &m.validation_accuracy, &m.samples_per_sec}) {
    put_u32(out, uint32_t(v->size()));
    put_words(out, *v);
  }
  put_u32(out, uint32_t(m.confusion.size()));
  put_words(out, m.confusion);
  put_u32(out, uint32_t(m.epochs.size()));
  for (const EpochReport& r : m.epochs) {
    for (int v : {r.epoch, r.test_correct, r.test_total, r.validation_correct, r.validation_total})
      put_u32(out, uint32_t(v));
    for (double v : {r.train_seconds, r.samples_per_sec, r.mean_loss}) put_f64(out, v);
  }
  put_bytes(out, run.model.data(), run.model.size());
  put_u32(out, uint32_t(run.velocity.size()));
  for (const std::vector<float>& v : run.velocity) {
    put_u32(out, uint32_t(v.size()));
    put_floats(out, v);
  }
  put_u32(out, crc32_of(out.data(), out.size()));
  return out;
}

Status read_run_file(const uint8_t* data, size_t size, const std::string& name, RunFile& out) {
  auto fail = [&](const std::string& why) { return Status::fail(name + ": " + why); };
  if (size < 4 || std::memcmp(data, kMagic, 4) != 0)
    return fail(size == 0 ? "empty file, not an nnlab run file" : "not an nnlab run file (bad magic, expected \"NNLR\")");
  if (size < 12) return fail("truncated: file ends inside the header");
  uint32_t stored = 0;
  Reader tail{data + size - 4, 4};
  tail.u32(stored);
  // The checksum first: past it, every field is as written, and the checks below guard only against a file
  // another program made.
  if (stored != crc32_of(data, size - 4)) return fail("checksum mismatch: the file is corrupt or truncated");
  Reader r{data + 4, size - 8};
  uint32_t version = 0, n = 0;
  r.u32(version);
  if (version != kVersion)
    return fail("unsupported version " + std::to_string(version) + " (this build reads version 1)");
  RunFile run;
  auto bytes = [&](std::vector<uint8_t>& v) {
    if (!r.u32(n) || r.left < n) return false;
    v.assign(r.p, r.p + n);
    r.p += n, r.left -= n;
    return true;
  };
  std::vector<uint8_t> text;
  uint32_t counts[3], has_spare = 0, epoch = 0, stride = 0, partial_count = 0;
  uint64_t batches = 0;
  Metrics& m = run.metrics;
  bool ok = bytes(text) && r.u32(counts[0]) && r.u32(counts[1]) && r.u32(counts[2]) && r.u64(run.rng.state) &&
            r.u64(run.rng.inc) && r.f64(run.rng.spare) && r.u32(has_spare) && r.u64(run.dropout_pass) &&
            r.u32(epoch) && r.u64(batches) && r.u32(stride) && r.f64(m.loss_partial) && r.u32(partial_count);
  for (std::vector<float>* v : {&m.batch_loss, &m.test_accuracy, &m.validation_accuracy, &m.samples_per_sec})
    ok = ok && r.u32(n) && r.words(*v, n);
  ok = ok && r.u32(n) && r.words(m.confusion, n) && r.u32(n) && r.left / 44 >= n;
  for (uint32_t i = 0; ok && i < n; ++i) {
    uint32_t f[5];
    EpochReport e;
    for (uint32_t& x : f) ok = ok && r.u32(x);
    ok = ok && r.f64(e.train_seconds) && r.f64(e.samples_per_sec) && r.f64(e.mean_loss);
    e.epoch = int(f[0]), e.test_correct = int(f[1]), e.test_total = int(f[2]);
    e.validation_correct = int(f[3]), e.validation_total = int(f[4]);
    m.epochs.push_back(e);
  }
  ok = ok && bytes(run.model) && r.u32(n) && r.left / 4 >= n;
  for (uint32_t i = 0; ok && i < n; ++i) {
    uint32_t count = 0;
    run.velocity.emplace_back();
    ok = r.u32(count) && r.floats(run.velocity.back(), count);
  }
  if (!ok) return fail("truncated: a field runs past the end of the file");
  if (r.left != 0) return fail("too long: " + std::to_string(r.left) + " bytes after the last field");
  for (uint32_t v : {counts[0], counts[1], counts[2], epoch, stride, partial_count})
    if (v > 0x7fffffffu) return fail("bad field: " + std::to_string(v) + " is not a count");
  if (batches > 0x7fffffffffffffffull || has_spare > 1) return fail("bad field in the generator or the batch count");
  run.settings.assign(text.begin(), text.end());
  run.train_count = int(counts[0]), run.validation_count = int(counts[1]), run.test_count = int(counts[2]);
  run.rng.has_spare = has_spare != 0;
  m.epoch = int(epoch);
  m.batches_done = (long long)batches;
  m.loss_stride = int(stride);
  m.loss_partial_count = int(partial_count);
  // What the trainer and the panels index by: one entry per epoch done, a square confusion matrix.
  const size_t epochs = m.epochs.size();
  size_t k = 0;
  while (k * k < m.confusion.size()) ++k;
  if (size_t(m.epoch) != epochs || m.test_accuracy.size() != epochs || m.samples_per_sec.size() != epochs ||
      (m.validation_accuracy.size() != epochs && !m.validation_accuracy.empty()) || k * k != m.confusion.size() ||
      m.loss_stride < 1 || (m.loss_stride & (m.loss_stride - 1)) != 0 || m.loss_partial_count >= m.loss_stride)
    return fail("inconsistent metrics: " + std::to_string(m.epoch) + " epochs done but " + std::to_string(epochs) +
                " epoch reports, " + std::to_string(m.test_accuracy.size()) + " accuracies");
  out = std::move(run);
  return Status::success();
}

}  // namespace nnlab
