// The dashboard's TrueType font, embedded at build time by ui/font.cmake from a
// Debian font package (DejaVu Sans), so the page needs no font file at run time.
#pragma once

namespace nnlab {

extern const unsigned char kUiFont[];
extern const unsigned kUiFontSize;    // bytes
extern const char* const kUiFontName;  // e.g. "DejaVuSans.ttf"

}  // namespace nnlab
