// The layer list editor's defaults (see net_edit.h). Edits are not checked
// here: the panel formats the list and the `net` parameter judges the text.
#include "net_edit.h"

namespace nnlab {

const std::vector<LayerKind>& hidden_kinds() {
  static const std::vector<LayerKind> kinds = {LayerKind::Dense,   LayerKind::Conv,    LayerKind::MaxPool,
                                               LayerKind::Dropout, LayerKind::Sigmoid, LayerKind::Tanh,
                                               LayerKind::Relu};
  return kinds;
}

LayerSpec default_layer(LayerKind k) {
  LayerSpec l;
  l.kind = k;
  switch (k) {
    case LayerKind::Dense: l.units = 100; break;
    case LayerKind::Conv: l.units = 20, l.size = 5; break;
    case LayerKind::MaxPool: l.size = l.stride = 2; break;
    case LayerKind::Dropout: l.rate = 0.5f; break;
    default: break;
  }
  return l;
}

size_t output_begin(const NetConfig& n) {
  for (size_t i = n.layers.size(); i-- > 0;)
    if (n.layers[i].kind == LayerKind::Dense) return i;
  return n.layers.size();
}

void add_hidden_layer(NetConfig& n) {
  const auto at = n.layers.begin() + std::ptrdiff_t(output_begin(n));
  n.layers.insert(at, {default_layer(LayerKind::Dense), default_layer(kind_of(n.hidden()))});
}

}  // namespace nnlab
