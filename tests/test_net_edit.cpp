// The model panel's layer list (engine/net_edit.h): every preset's network
// survives text -> layers -> text, each kind's default and "Add layer" give
// networks the `net` parameter accepts, and an edit it refuses says which
// layer and why, leaving the setting as it was.
#include <doctest.h>

#include <string>
#include <utility>

#include "net_edit.h"
#include "params.h"
#include "presets.h"

using namespace nnlab;

namespace {

// What the panel does with an edited list: its text through the `net` parameter.
Status set_layers(TrainConfig& cfg, const NetConfig& edited) { return set_param(cfg, "net", format_net(edited)); }

TrainConfig preset(const char* id) {
  TrainConfig cfg;
  Status s = apply_preset(cfg, id);
  REQUIRE_MESSAGE(s.ok(), s.message);
  return cfg;
}

// An edit of the book's conv net that must be refused: the message, and cfg unchanged.
std::string refused(void (*edit)(NetConfig&)) {
  TrainConfig cfg = preset("ch6-conv");
  const std::string before = format_net(cfg.net);
  NetConfig n = cfg.net;
  edit(n);
  Status s = set_layers(cfg, n);
  CHECK_FALSE(s.ok());
  CHECK(format_net(cfg.net) == before);
  return s.message;
}

}  // namespace

TEST_CASE("layer list: every preset's network round-trips text -> layers -> text") {
  for (const Preset& p : presets()) {
    CAPTURE(p.id);
    TrainConfig cfg = preset(p.id);
    const std::string text = format_net(cfg.net);
    NetConfig back;
    back.cost = cfg.net.cost;
    REQUIRE(parse_net(text, back).ok());
    CHECK(back == cfg.net);
    // Layer by layer, as the rows show them: each row's text is that layer's part of the whole.
    std::string rows = std::to_string(back.inputs);
    for (const LayerSpec& l : back.layers) rows += "-" + format_layer(l);
    CHECK(rows == text);
    // The list rebuilt unchanged is accepted and changes nothing.
    TrainConfig again = cfg;
    CHECK(set_layers(again, back).ok());
    CHECK(again.net == cfg.net);
    // The output is the last fc (10 classes) and its activation.
    REQUIRE(output_begin(back) + 2 == back.layers.size());
    CHECK(back.layers[output_begin(back)] == LayerSpec{LayerKind::Dense, 10});
    // Every kind a preset uses before its output is one the panel offers.
    for (size_t i = 0; i < output_begin(back); ++i) {
      bool offered = false;
      for (LayerKind k : hidden_kinds()) offered |= k == back.layers[i].kind;
      CHECK(offered);
    }
  }
}

TEST_CASE("layer list: each kind's default layer, and Add layer before the output") {
  const char* want[] = {"fc100", "conv20x5", "pool2", "dropout0.5", "sigmoid", "tanh", "relu"};
  REQUIRE(hidden_kinds().size() == 7);
  for (size_t k = 0; k < 7; ++k) {
    const LayerSpec l = default_layer(hidden_kinds()[k]);
    CHECK(format_layer(l) == want[k]);
    // Each default fits first in network.py's net (an image in, a flat vector out).
    TrainConfig cfg;
    NetConfig n = cfg.net;
    n.layers.insert(n.layers.begin(), l);
    Status s = set_layers(cfg, n);
    CHECK_MESSAGE(s.ok(), s.message);
  }

  TrainConfig cfg;  // network.py's 784-fc30-sigmoid-fc10-sigmoid
  NetConfig n = cfg.net;
  add_hidden_layer(n);
  CHECK(format_net(n) == "784-fc30-sigmoid-fc100-sigmoid-fc10-sigmoid");
  REQUIRE(set_layers(cfg, n).ok());
  CHECK(param_text(cfg, *find_param("sizes")) == "784,30,100,10");

  for (const Preset& p : presets()) {  // a ReLU net gets a ReLU layer; every preset takes one more
    CAPTURE(p.id);
    TrainConfig c = preset(p.id);
    NetConfig m = c.net;
    add_hidden_layer(m);
    REQUIRE(m.layers.size() == c.net.layers.size() + 2);
    CHECK(m.layers[output_begin(m)] == LayerSpec{LayerKind::Dense, 10});
    CHECK(m.layers[output_begin(m) - 2] == default_layer(LayerKind::Dense));
    CHECK(m.layers[output_begin(m) - 1].kind == kind_of(c.net.hidden()));
    Status s = set_layers(c, m);
    CHECK_MESSAGE(s.ok(), s.message);
  }
  TrainConfig single;  // no hidden layer: Add layer still goes before the output
  REQUIRE(set_param(single, "net", "784-fc10-softmax").ok());
  NetConfig m = single.net;
  add_hidden_layer(m);
  CHECK(format_net(m) == "784-fc100-sigmoid-fc10-softmax");
}

TEST_CASE("layer list: a refused edit names the layer and what is wrong, and changes nothing") {
  // ch6-conv: 784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax
  CHECK(refused([](NetConfig& n) { n.layers[0].size = 30; }) ==
        "net: '784-conv20x30-sigmoid-pool2-fc100-sigmoid-fc10-softmax': "
        "layer 1 (conv20x30): a 30x30 filter does not fit its 28x28 map");
  CHECK(refused([](NetConfig& n) { n.layers[2].size = n.layers[2].stride = 26; }) ==
        "net: '784-conv20x5-sigmoid-pool26-fc100-sigmoid-fc10-softmax': "
        "layer 3 (pool26): a 26x26 window does not fit its 24x24 map");
  // pool2 moved down past the fc100 (the Down button: a swap with the next row).
  CHECK(refused([](NetConfig& n) { std::swap(n.layers[2], n.layers[3]); }) ==
        "net: '784-conv20x5-sigmoid-fc100-pool2-sigmoid-fc10-softmax': "
        "layer 4 (pool2): a 2x2 window does not fit its 1x1 map");
  CHECK(refused([](NetConfig& n) { n.layers[3].units = 0; }) ==
        "net: '784-conv20x5-sigmoid-pool2-fc0-sigmoid-fc10-softmax': layer 4 'fc0' needs a unit count "
        "from 1 to 1000000, e.g. fc30");
  CHECK(refused([](NetConfig& n) { n.layers.insert(n.layers.begin() + 3, LayerSpec{LayerKind::Dropout}); }) ==
        "net: '784-conv20x5-sigmoid-pool2-dropout0-fc100-sigmoid-fc10-softmax': layer 4 'dropout0' is dropoutP "
        "with a rate 0 < P < 1, e.g. dropout0.5");
}
