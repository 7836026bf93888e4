// The layer list as the model panel edits it: the kinds a hidden layer may
// take, each kind's default layer, where the output (sized by the data) begins,
// and the layer "Add layer" inserts. An edited list goes back as its text form
// (format_net) through the `net` parameter, the same judge as typed text.
#pragma once
#include <cstddef>
#include <vector>

#include "config.h"

namespace nnlab {

// fc, conv, pool, dropout, sigmoid, tanh, relu: the panel's kind choice (softmax is output only).
const std::vector<LayerKind>& hidden_kinds();
// Kind k with the book's numbers: fc100, conv20x5, pool2, dropout0.5, or the activation.
LayerSpec default_layer(LayerKind k);
// The first output layer: the last fc (its units are the classes), then its
// activation; n.layers.size() when there is no fc.
size_t output_begin(const NetConfig& n);
// fc100 and the hidden activation (NetConfig::hidden) just before the output.
void add_hidden_layer(NetConfig& n);

}  // namespace nnlab
