// The choices that define a network and a training run, with their names as
// the CLI, the checkpoint and the web page's URL parameters spell them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace nnlab {

enum class Act { Sigmoid, Tanh, Relu, Softmax };  // Softmax: output layer only
enum class Cost { Quadratic, CrossEntropy };
enum class Init { Normal, Scaled };  // N(0,1) (ch.1) or N(0,1/n_in) (ch.3)

struct NetConfig {
  std::vector<int> sizes{784, 30, 10};
  Act activation = Act::Sigmoid;  // hidden layers
  Act output = Act::Sigmoid;      // Sigmoid or Softmax
  Cost cost = Cost::Quadratic;
};

// Nielsen's split (mnist_loader.py): of MNIST's 60,000 training images the
// last 10,000 are the validation set. kValidationAuto picks it for any
// training set of that size (MNIST, Fashion-MNIST) and holds out none otherwise.
constexpr int kValidationAuto = -1;
constexpr int kNielsenTrain = 60000, kNielsenValidation = 10000;

struct TrainConfig {
  NetConfig net;
  Init init = Init::Normal;
  int epochs = 30;
  int batch = 10;
  float eta = 3.0f;
  float lambda = 0.0f;    // L2, applied as w *= 1 - eta*lambda/n (ch.3)
  float momentum = 0.0f;  // 0 = plain SGD
  uint64_t seed = 1;
  int validation = kValidationAuto;  // hold out the last N training images
};

const char* name(Act);
const char* name(Cost);
const char* name(Init);
Status parse_act(const std::string& s, Act& out);       // sigmoid|tanh|relu|softmax
Status parse_cost(const std::string& s, Cost& out);     // quadratic|cross-entropy
Status parse_init(const std::string& s, Init& out);     // normal|scaled
Status parse_sizes(const std::string& s, std::vector<int>& out);  // "784,30,10"
std::string format_sizes(const std::vector<int>& sizes);

// Checks every field of a run against the parameter table (params.h) and the
// rules between fields; the message names the field and what is wrong.
Status validate(const TrainConfig&);

// How many images `validation` holds out of a training set of `train_count`.
int validation_count(int validation, int train_count);

}  // namespace nnlab
