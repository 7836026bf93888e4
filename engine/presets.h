// The book's runs by name: each row of Nielsen's chapter 1 and 3 tables as
// settings over the defaults, with the accuracy the book reports. The CLI's
// --preset, the page's preset menu and bench/book all read this one list.
#pragma once
#include <string>
#include <vector>

#include "config.h"
#include "status.h"

namespace nnlab {

struct Preset {
  const char* id;        // --preset ID, preset=ID in the URL
  const char* title;     // one line for menus and tables
  const char* settings;  // parameters over TrainConfig's defaults, "name=value&..."
  double book_percent;   // the book's best test accuracy for this run
};

const std::vector<Preset>& presets();

// cfg becomes the defaults plus the preset's settings; unchanged on failure.
Status apply_preset(TrainConfig& cfg, const std::string& id);

}  // namespace nnlab
