// Conv nets' text form, shapes and checkpoints: what parses, what is refused
// (naming the layer), the pinned layer codes and checkpoint version 3.
#include <doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "model.h"
#include "params.h"
#include "presets.h"

using namespace nnlab;

namespace {

const char* kBook = "784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax";  // network3.py's first conv net

NetConfig parsed(const std::string& text) {
  NetConfig n;
  n.cost = Cost::CrossEntropy;
  Status s = parse_net(text, n);
  REQUIRE_MESSAGE(s.ok(), s.message);
  return n;
}

std::string refusal(const std::string& text) {
  NetConfig n;
  Status s = parse_net(text, n);
  CHECK_FALSE(s.ok());
  return s.message;
}

}  // namespace

TEST_CASE("conv text: the book's conv nets parse, shape and round-trip") {
  const NetConfig n = parsed(kBook);
  CHECK(format_net(n) == kBook);
  CHECK(n.inputs == 784);
  CHECK(input_shape(n) == ImageShape{1, 28, 28});  // 784 = 1x28x28: the square is the image
  const std::vector<ImageShape> s = layer_shapes(n);
  REQUIRE(s.size() == 7);
  CHECK(s[0] == ImageShape{20, 24, 24});
  CHECK(s[1] == ImageShape{20, 24, 24});
  CHECK(s[2] == ImageShape{20, 12, 12});
  CHECK(s[3] == ImageShape{100, 1, 1});
  CHECK(s[5] == ImageShape{10, 1, 1});
  const std::vector<ParamShape> p = param_shapes(n);
  REQUIRE(p.size() == 3);
  CHECK((p[0].rows == 20 && p[0].cols == 25));      // 20 filters of 1x5x5
  CHECK((p[1].rows == 100 && p[1].cols == 2880));   // 20x12x12 flattened
  CHECK((p[2].rows == 10 && p[2].cols == 100));
  CHECK(n.sizes() == std::vector<int>{784, 100, 10});
  CHECK(n.hidden() == Act::Sigmoid);
  CHECK(n.outputs() == 10);

  // The explicit image is the same net, spelled one way.
  CHECK(parsed("1x28x28-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax") == n);
  const char* two = "784-conv20x5-relu-pool2-conv40x5-relu-pool2-fc100-relu-fc10-softmax";
  CHECK(layer_shapes(parsed(two))[5] == ImageShape{40, 4, 4});
  for (const char* text : {"3x32x30-conv16x3same-relu-pool3s2-dropout0.25-fc10-softmax",
                           "784-conv20x5-relu-pool2-dropout0.5-fc1000-relu-dropout0.5-fc10-softmax",
                           "2x1x1-conv3x1-tanh-fc2-sigmoid", "10-dropout0.125-fc2-softmax"}) {
    CAPTURE(text);
    CHECK(format_net(parsed(text)) == text);
  }
  const NetConfig rgb = parsed("3x32x30-conv16x3same-relu-pool3s2-dropout0.25-fc10-softmax");
  CHECK(rgb.inputs == 3 * 32 * 30);
  CHECK(layer_shapes(rgb)[0] == ImageShape{16, 32, 30});
  CHECK(layer_shapes(rgb)[2] == ImageShape{16, 15, 14});
  CHECK(rgb.layers[3].rate == 0.25f);
}

TEST_CASE("conv text: impossible shapes and bad layers are refused, naming the layer") {
  auto has = [](const std::string& message, const std::string& part) {
    CAPTURE(message);
    CHECK(message.find(part) != std::string::npos);
  };
  has(refusal("9-conv2x5-sigmoid-fc10-softmax"), "layer 1 (conv2x5): a 5x5 filter does not fit its 3x3 map");
  has(refusal("784-conv20x5-pool2-conv40x5-pool2-conv10x5-fc10-softmax"),
      "layer 5 (conv10x5): a 5x5 filter does not fit its 4x4 map");
  has(refusal("784-conv2x4same-fc10-softmax"), "layer 1 (conv2x4same): same padding needs an odd filter size");
  has(refusal("785-conv2x5-fc10-softmax"), "give a non-square input as CxHxW");
  has(refusal("784-conv2x5-pool30-fc10-softmax"), "layer 2 (pool30): a 30x30 window does not fit its 24x24 map");
  has(refusal("784-fc100-pool2-softmax"), "layer 2 (pool2): a 2x2 window does not fit its 1x1 map");
  has(refusal("784-conv2x5-fc10-conv2x1-softmax"), "layer 3 (conv2x1): conv and pool layers come before the last fc");
  has(refusal("784-dropout1.5-fc10-softmax"), "layer 1 'dropout1.5' is dropoutP with a rate 0 < P < 1");
  has(refusal("784-dropout0-fc10-softmax"), "dropoutP");
  has(refusal("784-dropout-fc10-softmax"), "dropoutP");
  has(refusal("784-dropout0.5x-fc10-softmax"), "dropoutP");
  has(refusal("784-conv20-fc10-softmax"), "layer 1 'conv20' is convFxK");
  has(refusal("784-conv20x5x5-fc10-softmax"), "convFxK");
  has(refusal("784-conv0x5-fc10-softmax"), "convFxK");
  has(refusal("784-convx5-fc10-softmax"), "convFxK");
  has(refusal("784-conv2x99-fc10-softmax"), "layer 1 (conv2x99): the filter size must be from 1 to 64");
  has(refusal("784-pool-fc10-softmax"), "is poolK");
  has(refusal("784-pool2s-fc10-softmax"), "is poolK");
  has(refusal("784-pool2s0-fc10-softmax"), "is poolK");
  has(refusal("0x28x28-conv2x5-fc10-softmax"), "starts with the input width");
  has(refusal("28x28-conv2x5-fc10-softmax"), "or an image CxHxW");
  has(refusal("1x28x28x1-fc10-softmax"), "or an image CxHxW");
  has(refusal("1000x1000x1000-fc10-softmax"), "or an image CxHxW");
  has(refusal("784-conv2000x5same-fc10-softmax"), "has more than 1000000 values");
  has(refusal("784-conv20x5-relu-pool2-fc10-dropout0.5-pool1-softmax"), "conv and pool layers come before");
  has(refusal("784-maxpool2-fc10-softmax"), "unknown layer 'maxpool2' (known: fcN, convFxK");
  CHECK(parsed("784-fc10-conv2x1-fc10-softmax").layers.size() == 4);
}

TEST_CASE("conv text: the parameter table takes conv nets; activation keeps their layers") {
  TrainConfig c;
  REQUIRE(set_params(c, std::string("net=") + kBook + "&cost=cross-entropy&eta=0.1").ok());
  CHECK(format_net(c.net) == kBook);
  CHECK(param_text(c, *find_param("net")) == kBook);
  REQUIRE(set_param(c, "activation", "relu").ok());
  CHECK(format_net(c.net) == "784-conv20x5-relu-pool2-fc100-relu-fc10-softmax");
  CHECK(set_param(c, "expand", "1").ok());
  CHECK(c.expand == 1);
  Status s = set_param(c, "expand", "2");
  CHECK(s.message.find("expand: '2' is not an integer from 0 to 1") == 0);
  s = set_param(c, "net", "784-conv20x9x-fc10-softmax");
  CHECK(s.message.find("net: '784-conv20x9x-fc10-softmax': layer 1 'conv20x9x' is convFxK") == 0);
  CHECK(format_net(c.net) == "784-conv20x5-relu-pool2-fc100-relu-fc10-softmax");  // kept
}

TEST_CASE("conv checkpoint: pinned codes, version 3 round trip, MLPs stay version 2") {
  // Written into files: these numbers never change.
  CHECK(uint32_t(LayerKind::Conv) == 6);
  CHECK(uint32_t(LayerKind::MaxPool) == 7);
  CHECK(uint32_t(LayerKind::Dropout) == 8);
  Rng rng(3);
  const NetConfig n = parsed("3x8x6-conv4x3same-relu-pool2s1-dropout0.375-fc5-sigmoid-fc3-softmax");
  const Model m = init_model(n, Init::Scaled, rng);
  REQUIRE(m.layers() == 3);
  CHECK(m.weights[0].size() == 4 * 3 * 3 * 3);
  CHECK(m.biases[0].size() == 4);
  CHECK(m.weights[1].size() == size_t(5) * 4 * 7 * 5);
  const std::vector<uint8_t> bytes = save_model(m);
  // "NNLB", version 3, cost 1, input 3x8x6, 8 layers, then (code, a, b, c) per layer.
  const uint32_t want[] = {3, 1, 3, 8, 6, 8, 6, 4, 3, 1, 4, 0, 0, 0, 7, 0, 2, 1};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; ++i) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + 4 + 4 * i, 4);
    CAPTURE(i);
    CHECK(v == want[i]);
  }
  Model back;
  Status s = load_model(bytes.data(), bytes.size(), "conv.nnlb", back);
  REQUIRE_MESSAGE(s.ok(), s.message);
  CHECK(back.net == n);
  CHECK(format_net(back.net) == format_net(n));
  CHECK(back.weights == m.weights);
  CHECK(back.biases == m.biases);
  // A 784 input saved as 1x28x28 reads back as the same (unspelled) image.
  const NetConfig book = parsed(kBook);
  const std::vector<uint8_t> b2 = save_model(init_model(book, Init::Scaled, rng));
  REQUIRE(load_model(b2.data(), b2.size(), "book.nnlb", back).ok());
  CHECK(back.net == book);
  // A bad code in a version-3 layer list is refused.
  std::vector<uint8_t> bad = bytes;
  bad[4 + 4 * 6] = 9;
  s = load_model(bad.data(), bad.size(), "bad.nnlb", back);
  CHECK(s.message.find("bad layer code 9 at layer 0") != std::string::npos);
  // An MLP is still written as version 2, as builds before conv layers read it.
  const std::vector<uint8_t> mlp = save_model(init_model(NetConfig::mlp({7, 5, 3}), Init::Normal, rng));
  CHECK(mlp[4] == 2);
}

TEST_CASE("conv presets: the book's chapter-6 rows, as network3.py ran them") {
  TrainConfig c;
  REQUIRE(apply_preset(c, "ch6-conv").ok());
  CHECK(format_net(c.net) == kBook);
  CHECK(c.net.cost == Cost::CrossEntropy);
  CHECK(c.init == Init::Network3);
  CHECK((c.eta == 0.1f && c.batch == 10 && c.epochs == 60 && c.lambda == 0 && c.expand == 0));
  REQUIRE(apply_preset(c, "ch6-relu").ok());
  CHECK(format_net(c.net) == "784-conv20x5-relu-pool2-conv40x5-relu-pool2-fc100-relu-fc10-softmax");
  CHECK((c.eta == 0.03f && c.lambda == 1.0f && c.expand == 0));  // network3's lmbda 0.1 x batch 10
  REQUIRE(apply_preset(c, "ch6-dropout").ok());
  CHECK(format_net(c.net) ==
        "784-conv20x5-relu-pool2-conv40x5-relu-pool2-dropout0.5-fc1000-relu-dropout0.5-fc1000-relu-dropout0.5-fc10-softmax");
  CHECK((c.epochs == 40 && c.expand == 1 && c.lambda == 0));
  int ch6 = 0;
  for (const Preset& p : presets()) ch6 += std::string(p.id).rfind("ch6-", 0) == 0;
  CHECK(ch6 == 7);
}

TEST_CASE("conv text: a shape's size saturates instead of overflowing (found by fuzz_model)") {
  CHECK(ImageShape{20, 24, 24}.size() == 11520);
  CHECK(ImageShape{1 << 20, 1 << 20, 1 << 20}.size() == INT_MAX);
  CHECK(ImageShape{-117440512, -738197504, 3}.size() == INT_MAX);
  CHECK(ImageShape{-(1 << 20), 1 << 20, 1}.size() == INT_MIN);
}
