// The session's text interfaces: URL / command-line parameters in (the page's
// ?sizes=...&eta=... and the app's --sizes ...), and the status JSON out
// (nnlabStatus() in the page, the app's closing line).
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "params.h"
#include "presets.h"
#include "session.h"

namespace nnlab {

namespace {

bool parse_float(const std::string& s, float& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  float v = std::strtof(s.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// %XX and '+' decoding for URL query values.
std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += char(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void json_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  out += '"';
}

void json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";  // NaN loss (divergence) is not valid JSON
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  out += buf;
}

}  // namespace

Status Session::apply_param(const std::string& key, const std::string& value) {
  auto bad = [&](const std::string& what) { return Status::fail("parameter " + key + "=" + value + ": " + what); };
  if (find_param(key) || key == "preset") {
    Status s = set(key, value);
    return s.ok() ? s : Status::fail("parameter " + s.message);
  }
  if (key == "data") {
    if (value.empty()) return bad("expected mnist, fashion or a URL base");
    data_base = value;
    for (const DataSource& d : data_sources())
      if (value == d.id) data_base = d.base;
  } else if (key == "budgetMs") {
    float f = 0;
    if (!parse_float(value, f) || f < 0 || f > 1000) return bad("expected milliseconds in [0, 1000]");
    fixed_budget = f / 1000.0;
  } else if (key == "autostart") {
    autostart = value == "1" || value == "true" || value == "yes" || value.empty();
  } else if (key == "simd") {  // read by index.html before the module loads: which build
    if (value != "plain") return bad("expected plain (the SIMD128 build instead of relaxed SIMD)");
  } else {
    std::string known;
    for (const Param& p : params()) known += std::string(p.name) + " ";
    return Status::fail("unknown parameter '" + key + "' (known: " + known +
                        "preset data autostart budgetMs simd)");
  }
  return Status::success();
}

Status Session::apply_query(const std::string& query) {
  for (const auto& [key, value] : split_settings(!query.empty() && query[0] == '?' ? query.substr(1) : query)) {
    Status s = apply_param(url_decode(key), url_decode(value));
    if (!s.ok()) return s;
  }
  return Status::success();
}

std::string Session::trainer_note() const {
  if (!run_) return "";
  if (run_->mode() == Runner::Mode::OwnThread) return "training on its own thread";
  return "training between frames: " +
         (own_thread ? std::string("the GPU backend works in this window's GL context") : why_slices);
}

std::string Session::status_json() const {
  std::string o = "{\"state\":";
  const Phase phase = this->phase();
  json_string(o, name(phase));
  const Metrics* m = run_ ? &run_view_.metrics : nullptr;
  o += ",\"epoch\":";
  json_number(o, m ? m->epoch : 0);
  o += ",\"epochs\":";
  json_number(o, cfg.epochs);
  o += ",\"batch\":";
  json_number(o, m ? m->batch : 0);
  o += ",\"batchesPerEpoch\":";
  json_number(o, m ? m->batches_per_epoch : 0);
  o += ",\"batchesDone\":";
  json_number(o, m ? double(m->batches_done) : 0);
  o += ",\"samplesPerSec\":";
  // Wall-clock rate; before the first quarter second, the trainer's own.
  json_number(o, !sps_history.empty() ? double(sps_history.back())
                 : m ? m->recent_samples_per_sec : 0.0);
  o += ",\"trainerSamplesPerSec\":";
  json_number(o, m ? m->recent_samples_per_sec : 0);
  o += ",\"fps\":";
  json_number(o, fps);
  o += ",\"budgetMs\":";
  json_number(o, budget * 1000);
  o += ",\"runRest\":";
  json_number(o, run_rest);
  o += ",\"frameWorkMs\":";
  json_number(o, frame_work_ms);
  o += ",\"loss\":";
  if (m && !m->batch_loss.empty())
    json_number(o, m->batch_loss.back());
  else
    o += "null";
  o += ",\"smoothedLoss\":";
  if (!smooth_loss.empty())
    json_number(o, smooth_loss.back());
  else
    o += "null";
  o += ",\"testAccuracy\":[";
  if (m)
    for (size_t i = 0; i < m->test_accuracy.size(); ++i) {
      if (i) o += ',';
      json_number(o, m->test_accuracy[i]);
    }
  o += "],\"validationAccuracy\":[";
  if (m)
    for (size_t i = 0; i < m->validation_accuracy.size(); ++i) {
      if (i) o += ',';
      json_number(o, m->validation_accuracy[i]);
    }
  o += "],\"data\":";
  json_string(o, data_base);
  o += ",\"trainCount\":";
  json_number(o, data_ready ? data.train.count : 0);
  o += ",\"testCount\":";
  json_number(o, data_ready ? data.test.count : 0);
  o += ",\"sizes\":";
  json_string(o, format_sizes(cfg.net.sizes()));
  o += ",\"net\":";
  json_string(o, format_net(cfg.net));
  o += ",\"params\":{";  // every hyper-parameter of the table, as text
  for (const Param& p : params()) {
    if (o.back() != '{') o += ',';
    json_string(o, p.name);
    o += ':';
    json_string(o, param_text(cfg, p));
  }
  o += '}';
  o += ",\"eta\":";
  json_number(o, cfg.eta);
  o += ",\"device\":";
  json_string(o, run_ ? run_view_.device : net ? net->device() : "");
  o += ",\"trainer\":";  // where the run trains: "thread" (its own) or "slices" (of the frames)
  json_string(o, !run_ ? "" : run_->mode() == Runner::Mode::OwnThread ? "thread" : "slices");
  o += ",\"trainerNote\":";
  json_string(o, trainer_note());
  o += ",\"threads\":";
  json_number(o, cfg.threads);
  o += ",\"model\":";
  json_string(o, net ? model_label : "");
  o += ",\"modelAccuracy\":";  // the confusion matrix's model on the test set, -1 until measured
  json_number(o, model_accuracy);
  o += ",\"matrixModel\":";  // which model that is (the last complete one)
  json_string(o, confusion_model);
  o += ",\"epochEta\":";
  json_number(o, epoch_eta_seconds);
  o += ",\"runEta\":";
  json_number(o, run_eta_seconds);
  o += ",\"drawPad\":{\"rect\":[";
  for (int i = 0; i < 4; ++i) {
    if (i) o += ',';
    json_number(o, pad.rect[i]);
  }
  o += "],\"predicted\":";
  json_number(o, pad.predicted);
  o += ",\"probs\":[";
  for (size_t i = 0; i < pad.probs.size(); ++i) {
    if (i) o += ',';
    json_number(o, pad.probs[i]);
  }
  o += "]}";
  o += ",\"layout\":";
  json_string(o, view.layout);
  o += ",\"dpr\":";
  json_number(o, view.scale);
  o += ",\"canvasWidth\":";
  json_number(o, view.framebuffer[0]);
  o += ",\"canvasHeight\":";
  json_number(o, view.framebuffer[1]);
  o += ",\"scroll\":{";
  for (size_t i = 0; i < view.scroll.size(); ++i) {
    if (i) o += ',';
    json_string(o, view.scroll[i].first);
    o += ':';
    json_number(o, view.scroll[i].second);
  }
  o += "},\"modal\":";
  json_string(o, view.modal);
  o += ",\"widgets\":{";
  for (size_t i = 0; i < view.widgets.size(); ++i) {
    if (i) o += ',';
    json_string(o, view.widgets[i].first);
    o += ":[";
    for (int k = 0; k < 4; ++k) {
      if (k) o += ',';
      json_number(o, view.widgets[i].second[size_t(k)]);
    }
    o += ']';
  }
  o += '}';
  o += ",\"error\":";
  json_string(o, problem());
  o += ",\"notice\":";
  json_string(o, notice);
  o += "}";
  return o;
}

}  // namespace nnlab
