// Small RGBA textures for ImGui::Image (test-image grid, draw pad). The GL
// header differs per front end: the web build defines NNLAB_GLES3 (WebGL2).
#pragma once
#include <cstdint>

namespace nnlab {

// Creates the texture when *tex is 0, then uploads (h, w) RGBA8 pixels.
void upload_rgba_texture(unsigned* tex, int w, int h, const uint8_t* rgba);

}  // namespace nnlab
