// The model panel's layer list: a row per layer of the current `net` (its kind,
// its numbers, Up / Down / Delete), the input and the output shown but fixed
// (the data sizes them), and Add layer. The rows are drawn from the session's
// config each frame; an edit goes back as text through Session::set("net"),
// the text field's judge, and a refusal shows under the list, naming the layer.
#include <imgui.h>

#include <algorithm>
#include <string>

#include "dashboard.h"
#include "net_edit.h"
#include "panel_widgets.h"

namespace nnlab {

namespace {

std::string shape_text(ImageShape s) {
  if (s.h == 1 && s.w == 1) return std::to_string(s.c);
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

const char* kind_help(LayerKind k) {
  switch (k) {
    case LayerKind::Dense: return "fc: fully connected, every unit sees every input";
    case LayerKind::Conv: return "conv: F filters of KxK slid over the image, one feature map each";
    case LayerKind::MaxPool: return "pool: the largest value of each KxK window, stride K";
    case LayerKind::Dropout: return "dropout: while training, drops each input with probability P";
    default: return "an activation, applied to each value of the layer before";
  }
}

}  // namespace

void Dashboard::layer_list(Session& s, const char* locked) {
  const NetConfig& net = s.cfg.net;
  const size_t out = output_begin(net);
  const std::vector<ImageShape> shapes = layer_shapes(net);
  const std::string why_locked = locked ? std::string("\n\n") + locked : "";
  const float em = ImGui::GetFontSize(), button = ImGui::GetFrameHeight();
  const ImVec2 pad = ImGui::GetStyle().FramePadding;
  // Columns: number, kind, its numbers, what it makes (where the panel is wide), Up / Down / Delete.
  ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0.3f * em, ImGui::GetStyle().ItemSpacing.y));
  const float gap = 0.3f * em, kind_x = ImGui::CalcTextSize("00").x + 2 * gap, numbers_x = kind_x + 5.5f * em + gap;
  const float shape_x = numbers_x + 12 * em, right = ImGui::GetWindowContentRegionMax().x - 3 * button - 2 * gap;
  const bool show_shapes = right - shape_x > 5 * em;
  const float buttons_x = show_shapes ? std::min(right, shape_x + 6 * em) : right;
  NetConfig edit = net;
  bool changed = false;
  size_t move_at = 0;
  int move = 0;  // -1 up, +1 down, 2 delete: applied after the rows, which index `edit` as drawn
  // A number field as wide as its digits, without +/- buttons (a finger types into it).
  auto number = [&](const char* id, int& v) {
    const std::string digits(std::max<size_t>(3, std::to_string(v).size()), '0');
    ImGui::SetNextItemWidth(ImGui::CalcTextSize(digits.c_str()).x + 2 * pad.x + gap);
    ImGui::InputInt(id, &v, 0, 0);
    v = std::max(v, 0);  // a '-' would split the text form: 0 is refused by name instead
    keep_in_view_while_typing();
  };
  auto note = [&](size_t i, const char* what) {
    note_widget(s, ("layer " + std::to_string(i + 1) + " " + what).c_str());
  };

  ImGui::PushID("layers");
  ImGui::AlignTextToFramePadding();
  ImGui::TextColored(kDim, "in");
  ImGui::SameLine(kind_x + pad.x);
  ImGui::Text("%d", net.inputs);
  ImGui::SameLine(show_shapes ? shape_x : numbers_x + pad.x);
  ImGui::TextColored(kDim, "%s", shape_text(input_shape(net)).c_str());
  tooltip("The input: one value per pixel, set by the data's images (another shape: type it in net)");
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    LayerSpec e = l;  // this row as edited
    const bool hidden = i < out, last = i + 1 == net.layers.size();
    const std::string made = i < shapes.size() ? shape_text(shapes[i]) : "?";  // every row, for a checked net
    const std::string makes = "\nIt makes " + made + " values.";
    ImGui::PushID(int(i));
    ImGui::AlignTextToFramePadding();
    ImGui::TextColored(kDim, "%zu", i + 1);

    // The kind: any hidden kind, or the output's activation. The output fc is fixed.
    if (hidden || last) {
      ImGui::SameLine(kind_x);
      ImGui::SetNextItemWidth(5.5f * em);
      if (ImGui::BeginCombo("##kind", name(l.kind))) {
        const std::vector<LayerKind> outputs = {LayerKind::Sigmoid, LayerKind::Softmax};
        for (LayerKind k : hidden ? hidden_kinds() : outputs) {
          if (ImGui::Selectable(name(k), k == l.kind) && k != l.kind) e = default_layer(k);
          note(i, (std::string("kind ") + name(k)).c_str());  // "layer 2 kind relu", while open
        }
        ImGui::EndCombo();
      }
      note(i, "kind");
      tooltip(std::string(hidden ? kind_help(l.kind) : "The output's activation: sigmoid, or softmax for "
                                                        "class probabilities.") + makes + why_locked);
    } else {
      ImGui::SameLine(kind_x + pad.x);
      ImGui::TextUnformatted(name(l.kind));
      ImGui::SameLine(numbers_x + pad.x);
      ImGui::TextUnformatted(format_layer(l).substr(std::string(name(l.kind)).size()).c_str());
      tooltip("The output: one unit per class of the data, which fixes it.");
    }

    // Its numbers.
    if (hidden) {
      ImGui::SameLine(numbers_x);
      switch (l.kind) {
        case LayerKind::Dense:
          number("##units", e.units);
          note(i, "units");
          tooltip("units: how many neurons" + why_locked);
          break;
        case LayerKind::Conv:
          number("##filters", e.units);
          note(i, "filters");
          tooltip("filters: how many feature maps this layer makes" + why_locked);
          ImGui::SameLine();
          ImGui::TextUnformatted("x");
          ImGui::SameLine();
          number("##kernel", e.size);
          note(i, "kernel");
          tooltip("kernel: each filter is KxK pixels" + why_locked);
          ImGui::SameLine();
          ImGui::Checkbox("same", &e.same);
          note(i, "same");
          tooltip("same: zero padding keeps the map's size (odd K); without, it shrinks by K-1" + why_locked);
          break;
        case LayerKind::MaxPool:
          number("##size", e.size);
          if (l.stride == l.size) e.stride = e.size;  // poolK: the stride follows the window
          note(i, "size");
          tooltip("size: KxK windows, each giving its largest value" + why_locked);
          break;
        case LayerKind::Dropout:
          ImGui::SetNextItemWidth(ImGui::CalcTextSize("0.000").x + 2 * pad.x);
          ImGui::InputFloat("##rate", &e.rate, 0, 0, "%g");
          keep_in_view_while_typing();
          note(i, "rate");
          tooltip("rate: the share P of inputs dropped, 0 < P < 1" + why_locked);
          break;
        default: break;
      }
      if (!(e == l)) edit.layers[i] = e, changed = true;
      if (show_shapes && (has_params(l.kind) || l.kind == LayerKind::MaxPool)) {
        ImGui::SameLine(shape_x);
        ImGui::TextColored(kDim, "%s", made.c_str());
        tooltip("What it makes: channels x height x width");
      }

      // Up / Down / Delete at the right edge; below the row where it has no room left.
      ImGui::SameLine();
      if (ImGui::GetCursorPosX() > buttons_x) ImGui::NewLine();
      ImGui::SetCursorPosX(buttons_x);
      ImGui::BeginDisabled(i == 0);
      if (ImGui::ArrowButton("##up", ImGuiDir_Up)) move_at = i, move = -1;
      ImGui::EndDisabled();
      note(i, "up");
      tooltip("Move up" + why_locked);
      ImGui::SameLine();
      ImGui::BeginDisabled(i + 1 >= out);
      if (ImGui::ArrowButton("##down", ImGuiDir_Down)) move_at = i, move = 1;
      ImGui::EndDisabled();
      note(i, "down");
      tooltip("Move down" + why_locked);
      ImGui::SameLine();
      if (ImGui::Button("\xc3\x97##delete", ImVec2(button, button))) move_at = i, move = 2;  // U+00D7
      note(i, "delete");
      tooltip("Delete this layer" + why_locked);
    } else if (!(e == l)) {
      edit.layers[i] = e, changed = true;
    }
    ImGui::PopID();
  }
  if (move == 2) edit.layers.erase(edit.layers.begin() + std::ptrdiff_t(move_at));
  if (move == -1 || move == 1) std::swap(edit.layers[move_at], edit.layers[size_t(int(move_at) + move)]);
  changed |= move != 0;

  if (ImGui::Button("Add layer")) add_hidden_layer(edit), changed = true;
  note_widget(s, "Add layer");
  tooltip("Adds fc 100 with the hidden activation just before the output layer" + why_locked);
  ImGui::PopID();
  ImGui::PopStyleVar();

  if (changed) {
    const std::string text = format_net(edit);
    const Status st = s.set("net", text);
    // The rows stand for the text form: the message without it.
    const std::string prefix = "net: '" + text + "': ";
    layer_error_ = st.message.rfind(prefix, 0) == 0 ? st.message.substr(prefix.size()) : st.message;
    layer_error_net_ = format_net(s.cfg.net);
    if (st.ok()) errors_.erase("net");  // the text field shows the new net, not an old typo
  }
  // A refusal stays until the network changes (by the list, the text field or a preset).
  if (!layer_error_.empty() && layer_error_net_ == format_net(net)) wrapped(kRed, layer_error_);
}

}  // namespace nnlab
