// What the model and data panels share (panels.cpp, layer_list.cpp): their
// colours, a tooltip that also shows over disabled widgets (where it says why
// they are locked), and wrapped coloured text.
#pragma once
#include <imgui.h>

#include <string>

namespace nnlab {

inline const ImVec4 kRed(1.0f, 0.42f, 0.38f, 1.0f);
inline const ImVec4 kGreen(0.45f, 0.85f, 0.45f, 1.0f);
inline const ImVec4 kDim(0.65f, 0.65f, 0.70f, 1.0f);

void tooltip(const std::string& text);  // over the last item
void wrapped(const ImVec4& colour, const std::string& text);

}  // namespace nnlab
