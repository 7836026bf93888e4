// The choices that define a network and a training run, with their names as
// the CLI, the checkpoint and the web page's URL parameters spell them.
#pragma once
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace nnlab {

enum class Act { Sigmoid, Tanh, Relu, Softmax };  // Softmax: output layer only
enum class Cost { Quadratic, CrossEntropy };
// N(0,1) (ch.1), N(0,1/n_in) (ch.3), or network3.py's (ch.6): weights N(0,1/n_out)
// (a conv's n_out = F*k*k over the area of the pool after it), biases N(0,1), and
// the output layer's weights and biases zero.
enum class Init { Normal, Scaled, Network3 };

// A network is a list of layers. The codes are written into checkpoints
// (format versions 2 and 3): they are pinned by tests, never renumbered.
enum class LayerKind : uint32_t {
  Dense = 1, Sigmoid = 2, Tanh = 3, Relu = 4, Softmax = 5,
  Conv = 6, MaxPool = 7, Dropout = 8,
};

struct LayerSpec {
  LayerKind kind = LayerKind::Dense;
  int units = 0;      // Dense: outputs; Conv: filters; activations keep their input's shape
  int size = 0;       // Conv: k of its k x k filters; MaxPool: k of its k x k window
  int stride = 0;     // MaxPool: the window's step (k when 0 is given)
  bool same = false;  // Conv: zero padding (k-1)/2 keeps the map's size (odd k); else valid
  float rate = 0;     // Dropout: the fraction p of its inputs dropped while training
  bool operator==(const LayerSpec& o) const {
    return kind == o.kind && units == o.units && size == o.size && stride == o.stride && same == o.same &&
           rate == o.rate;
  }
};

// An activation's shape: channels x height x width, stored in that order (row-major).
struct ImageShape {
  int c = 1, h = 1, w = 1;
  // Saturates instead of overflowing: a shape read from a bad file may be any
  // numbers, and check_net refuses one this large by name.
  int size() const {
    const double n = double(c) * h * w;  // exact whenever it fits an int
    return n > INT_MAX ? INT_MAX : n < INT_MIN ? INT_MIN : int(n);
  }
  bool operator==(const ImageShape& o) const { return c == o.c && h == o.h && w == o.w; }
};

// The last layer is the output activation (sigmoid or softmax); with `cost`
// it forms the output + cost pair whose backward pass starts every step.
struct NetConfig {
  int inputs = 784;
  // The input as an image, when the text form gave one ("1x28x28"); all zero:
  // 1 x s x s for a square width s*s (784 is 1x28x28), else 1 x 1 x inputs.
  ImageShape image{0, 0, 0};
  std::vector<LayerSpec> layers = {{LayerKind::Dense, 30}, {LayerKind::Sigmoid, 0},
                                   {LayerKind::Dense, 10}, {LayerKind::Sigmoid, 0}};
  Cost cost = Cost::Quadratic;

  // Nielsen's shorthand: sizes {784, 30, 10}, one activation for the hidden
  // layers and one for the output.
  static NetConfig mlp(const std::vector<int>& sizes, Act hidden = Act::Sigmoid,
                       Act output = Act::Sigmoid, Cost cost = Cost::Quadratic);
  std::vector<int> sizes() const;  // inputs, then every dense layer's units
  int outputs() const;             // classes
  Act hidden() const;              // the first hidden activation (sigmoid if none)
  Act output() const;              // the last layer's activation
  bool operator==(const NetConfig& o) const {
    return inputs == o.inputs && image == o.image && layers == o.layers && cost == o.cost;
  }
  bool operator!=(const NetConfig& o) const { return !(*this == o); }
};

// The input's image shape (see NetConfig::image).
ImageShape input_shape(const NetConfig& net);
// Each layer's output shape, in order; empty if a layer does not fit its input
// (check_net says which and why).
std::vector<ImageShape> layer_shapes(const NetConfig& net);
// The parameters of each dense or conv layer, in order: weights (rows, cols)
// row-major and biases (rows). Dense: (OC, C); Conv: (F, C*k*k).
struct ParamShape {
  int rows = 0, cols = 0;
};
std::vector<ParamShape> param_shapes(const NetConfig& net);
bool has_params(LayerKind k);  // Dense, Conv
bool is_activation(LayerKind k);  // Sigmoid, Tanh, Relu, Softmax

const char* name(LayerKind);
Act act_of(LayerKind k);  // an activation layer's function (Sigmoid for Dense)
LayerKind kind_of(Act a);
// The text form shared by the CLI, the URL, the panel and the checkpoint's
// messages: the input width (or CxHxW), then each layer, e.g. "784-fc30-sigmoid-fc10-sigmoid",
// "784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax" (convN x k, convNxKsame,
// poolK, poolKsS, dropoutP).
std::string format_net(const NetConfig& net);
Status parse_net(const std::string& text, NetConfig& net);  // keeps net.cost
std::string format_layer(const LayerSpec& layer);  // one layer's part of the text form, e.g. "conv20x5"
Status check_net(const NetConfig& net);  // the rules every network follows

// Nielsen's split (mnist_loader.py): of MNIST's 60,000 training images the
// last 10,000 are the validation set. kValidationAuto picks it for any
// training set of that size (MNIST, Fashion-MNIST) and holds out none otherwise.
constexpr int kValidationAuto = -1;
constexpr int kNielsenTrain = 60000, kNielsenValidation = 10000;

struct TrainConfig {
  NetConfig net;  // what the run builds; a running Net's own config() is the truth
  Init init = Init::Normal;
  int epochs = 30;
  int batch = 10;
  float eta = 3.0f;
  float lambda = 0.0f;    // L2, applied as w *= 1 - eta*lambda/n (ch.3)
  float momentum = 0.0f;  // 0 = plain SGD
  uint64_t seed = 1;
  int validation = kValidationAuto;  // hold out the last N training images
  int threads = 0;        // CPU threads for the math, 0: one per core (same bits for any count)
  int expand = 0;         // 1: each training image also shifted 1 pixel up, down, left, right (5x)
};

const char* name(Act);
const char* name(Cost);
const char* name(Init);
Status parse_sizes(const std::string& s, std::vector<int>& out);  // "784,30,10"
std::string format_sizes(const std::vector<int>& sizes);

// Checks every field of a run against the parameter table (params.h) and the
// rules between fields; the message names the field and what is wrong.
Status validate(const TrainConfig&);

// How many images `validation` holds out of a training set of `train_count`.
int validation_count(int validation, int train_count);

// The rows one training batch really takes: a batch larger than the training
// set is the whole set (network.py's slicing), so buffers need no more rows.
// With no training set (inference only) it is the batch itself.
int effective_batch(int batch, int train_count);

}  // namespace nnlab
