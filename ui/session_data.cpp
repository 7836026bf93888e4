// The session's data: the four IDX files fetched with per-file progress (by
// the front end's fetch_file), cancelled or retried as a set, then inflated and
// parsed one pair at a time; and the names of the loaded data set's classes.
#include <string>
#include <vector>

#include "idx.h"
#include "session.h"

namespace nnlab {

namespace {

const char* const kFileNames[Session::kFiles] = {kTrainImages, kTrainLabels, kTestImages,
                                                 kTestLabels};

}  // namespace

const DataSource* Session::loaded_source() const {
  for (const DataSource& d : data_sources())
    if (data_ready && data_loaded_from == d.base) return &d;
  return nullptr;
}

std::string Session::class_name(int k, bool short_form) const {
  const DataSource* d = loaded_source();
  const std::vector<std::string>* names = d ? (short_form ? &d->short_classes : &d->classes) : nullptr;
  return names && k >= 0 && size_t(k) < names->size() ? (*names)[size_t(k)] : std::to_string(k);
}

void Session::load_data() {
  ++generation;
  if (loading_ && cancel_fetches) cancel_fetches();  // Retry replaces the downloads in flight
  data_ready = false;
  data = DataFiles{};
  run_.reset();
  net.reset();
  reset_histories();
  error.clear();
  notice.clear();
  loading_ = true;
  std::string base = data_base;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  for (int i = 0; i < kFiles; ++i) {
    files[i] = FileLoad{};
    files[i].name = kFileNames[i];
    files[i].url = base + "/" + kFileNames[i];
  }
  if (!fetch_file) {
    fail("this build cannot fetch data");
    return;
  }
  int gen = generation;
  for (int i = 0; i < kFiles; ++i) {
    if (gen != generation || !loading_) break;  // a synchronous failure
    fetch_file(gen, i, files[i].url);
  }
}

void Session::cancel_loading() {
  if (!loading_) return;
  ++generation;
  if (cancel_fetches) cancel_fetches();
  for (FileLoad& f : files) std::vector<uint8_t>().swap(f.bytes);
  loading_ = false;
  start_after_load_ = false;
  notice = "data loading cancelled";
}

void Session::file_progress(int gen, int i, double received, double total) {
  if (gen != generation || i < 0 || i >= kFiles) return;
  files[i].received = received;
  files[i].total = total;
}

void Session::file_loaded(int gen, int i, const std::string& url, std::vector<uint8_t> bytes) {
  if (gen != generation || i < 0 || i >= kFiles) return;
  if (double(bytes.size()) > kMaxFileBytes) {  // the page refuses earlier; the desktop app here
    file_failed(gen, i, url, "too large: " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                                 std::to_string(size_t(kMaxFileBytes)) + " bytes per file");
    return;
  }
  FileLoad& f = files[i];
  f.url = url;
  f.received = double(bytes.size());
  if (f.total < f.received) f.total = f.received;
  f.done = true;
  if (!loading_) return;  // another file failed: show this one, keep nothing
  f.bytes = std::move(bytes);
  for (const FileLoad& g : files)
    if (!g.done) return;
  parse_files();
}

// Every file's failure is recorded (the panel shows each), the first one sets the error.
void Session::file_failed(int gen, int i, const std::string& url, const std::string& reason) {
  if (gen != generation || i < 0 || i >= kFiles) return;
  files[i].url = url;
  files[i].error = reason;
  if (!loading_) return;
  for (FileLoad& f : files) std::vector<uint8_t>().swap(f.bytes);
  if (cancel_fetches) cancel_fetches();  // the set cannot complete: stop the other downloads
  fail("could not load " + url + ": " + reason);
}

// Inflates and parses one pair at a time, freeing fetched bytes as soon as
// they are parsed, so the WASM heap peaks near one data set plus one file.
void Session::parse_files() {
  DataFiles parsed;
  for (int pair = 0; pair < 2; ++pair) {
    FileLoad& fi = files[2 * pair];
    FileLoad& fl = files[2 * pair + 1];
    std::vector<uint8_t> images, labels;
    Status s = maybe_gunzip(fi.bytes.data(), fi.bytes.size(), fi.url, images);
    std::vector<uint8_t>().swap(fi.bytes);
    if (s.ok()) s = maybe_gunzip(fl.bytes.data(), fl.bytes.size(), fl.url, labels);
    std::vector<uint8_t>().swap(fl.bytes);
    Dataset& out = pair == 0 ? parsed.train : parsed.test;
    if (s.ok())
      s = parse_idx(images.data(), images.size(), fi.url, labels.data(), labels.size(), fl.url,
                    kMaxClasses, out);
    if (!s.ok()) {
      fail(s.message);
      return;
    }
  }
  Status s = pair_up(parsed, files[0].url, files[2].url);
  if (!s.ok()) {
    fail(s.message);
    return;
  }
  data = std::move(parsed);
  data_ready = true;
  data_loaded_from = data_base;
  loading_ = false;
  predictions.assign(size_t(data.test.count), -1);
  invalidate_predictions();  // and the old test set's matrix
  if (start_after_load_) {
    start_after_load_ = false;
    start();
  }
}

}  // namespace nnlab
