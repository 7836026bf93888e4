// The hyper-parameter table: every setting of a training run once, with its
// name, help text, default and accepted range. The CLI's flags and usage, the
// page's URL and panel, the status JSON and validate() all read it, so every
// front end gives the same verdict on the same value.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "status.h"

namespace nnlab {

struct Param {
  enum Kind { kInt, kFloat, kChoice, kText };
  const char* name;  // --name on the command line, name=... in the URL and the JSON
  const char* help;  // one line: CLI usage, panel tooltip
  Kind kind;
  double lo = 0, hi = 0;  // kInt, kFloat: accepted values lo <= v <= hi
  bool lo_open = false, hi_open = false;  // lo < v, v < hi instead
  bool live = false;  // may change while a run trains (eta)
  const char* choices = "";  // kChoice: "a|b|c"; the value is the index
  // kInt, kFloat, kChoice: the field as a number (kChoice: the index into choices).
  double (*get)(const TrainConfig&) = nullptr;
  void (*put)(TrainConfig&, double) = nullptr;
  // kText: its own parser and printer.
  Status (*parse_text)(const std::string&, TrainConfig&) = nullptr;
  std::string (*format_text)(const TrainConfig&) = nullptr;

  std::vector<std::string> choice_list() const;
  std::string range_text() const;  // e.g. "an integer from 1 to 1000000"
};

const std::vector<Param>& params();
const Param* find_param(const std::string& name);

// Parses `text` for the parameter `name` and stores it; on failure cfg is
// untouched and the message names the parameter, the value and the range.
Status set_param(TrainConfig& cfg, const std::string& name, const std::string& text);
// "name=value&name=value" as (name, value) pairs in order, empty items skipped
// (no URL decoding: the page decodes each part).
std::vector<std::pair<std::string, std::string>> split_settings(const std::string& text);
// Every pair of split_settings(settings) through set_param; stops at the first bad one.
Status set_params(TrainConfig& cfg, const std::string& settings);
// A number for a kInt/kFloat/kChoice parameter (the panel's widgets), checked the same way.
Status set_param_value(TrainConfig& cfg, const Param& p, double v);
// The current value as text, in the form set_param reads.
std::string param_text(const TrainConfig& cfg, const Param& p);
// The default's text (from a default-constructed TrainConfig).
std::string param_default(const Param& p);

}  // namespace nnlab
