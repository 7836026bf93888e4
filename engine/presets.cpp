// Nielsen's tables as presets (see presets.h). Chapter 3's comparisons use
// network2.py's large_weight_initializer, i.e. N(0,1), until its section on
// initialisation; lambda's n is the 50,000 training images of Nielsen's split.
// Chapter 6 runs network3.py: its initialisation, softmax + log-likelihood, and
// an L2 term of lmbda/num_training_batches per batch, i.e. our lambda = its
// lmbda x the batch size (0.1 x 10 = 1). Its ensemble of five of the last row's
// nets (99.67%) is five runs (--seed 1..5 --save) and `nnlab eval` with five --load.
#include "presets.h"

#include "params.h"

namespace nnlab {

// network3.py's runs: softmax + log-likelihood, its initialisation, batch 10.
#define CH6 "cost=cross-entropy&init=network3&batch=10"
#define RELU2 "784-conv20x5-relu-pool2-conv40x5-relu-pool2"

const std::vector<Preset>& presets() {
  static const std::vector<Preset> list = {
      {"ch1", "ch. 1: [784,30,10] sigmoid, quadratic, eta 3 (network.py)", "", 95.42},
      {"ch1-100", "ch. 1: [784,100,10] sigmoid, quadratic, eta 3", "sizes=784,100,10", 96.59},
      {"ch3-ce", "ch. 3: [784,30,10] cross-entropy, eta 0.5",
       "cost=cross-entropy&eta=0.5", 95.49},
      {"ch3-ce-100", "ch. 3: [784,100,10] cross-entropy, eta 0.5",
       "sizes=784,100,10&cost=cross-entropy&eta=0.5", 96.82},
      {"ch3-l2", "ch. 3: [784,100,10] cross-entropy, eta 0.5, lambda 5",
       "sizes=784,100,10&cost=cross-entropy&eta=0.5&lambda=5", 97.92},
      {"ch3-l2-60", "ch. 3: [784,100,10] cross-entropy, eta 0.1, lambda 5, 60 epochs",
       "sizes=784,100,10&cost=cross-entropy&eta=0.1&lambda=5&epochs=60", 98.04},
      {"ch3-scaled", "ch. 3: the same with N(0,1/n_in) initialisation",
       "sizes=784,100,10&cost=cross-entropy&eta=0.1&lambda=5&epochs=60&init=scaled", 98.0},
      {"ch6-fc", "ch. 6: [784,100,10] sigmoid, softmax + log-likelihood (network3.py)",
       "net=784-fc100-sigmoid-fc10-softmax&" CH6 "&eta=0.1&epochs=60", 97.80},
      {"ch6-conv", "ch. 6: conv 20x5x5, max-pool 2x2, fc 100 sigmoid, softmax 10",
       "net=784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax&" CH6 "&eta=0.1&epochs=60", 98.78},
      {"ch6-conv2", "ch. 6: + a second conv 40x5x5 and pool",
       "net=784-conv20x5-sigmoid-pool2-conv40x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax&" CH6 "&eta=0.1&epochs=60",
       99.06},
      {"ch6-relu", "ch. 6: the same with ReLU, eta 0.03, lambda 0.1 (network3's)",
       "net=" RELU2 "-fc100-relu-fc10-softmax&" CH6 "&eta=0.03&lambda=1&epochs=60", 99.23},
      {"ch6-expand", "ch. 6: + training data expanded 5x by 1-pixel shifts",
       "net=" RELU2 "-fc100-relu-fc10-softmax&" CH6 "&eta=0.03&lambda=1&epochs=60&expand=1", 99.37},
      {"ch6-fc2", "ch. 6: + a second fc 100 ReLU",
       "net=" RELU2 "-fc100-relu-fc100-relu-fc10-softmax&" CH6 "&eta=0.03&lambda=1&epochs=60&expand=1", 99.43},
      {"ch6-dropout", "ch. 6: two fc 1000 ReLU with dropout 0.5, expanded data, 40 epochs",
       "net=" RELU2 "-dropout0.5-fc1000-relu-dropout0.5-fc1000-relu-dropout0.5-fc10-softmax&" CH6
       "&eta=0.03&epochs=40&expand=1", 99.60},
  };
  return list;
}

#undef CH6
#undef RELU2

Status apply_preset(TrainConfig& cfg, const std::string& id) {
  for (const Preset& p : presets()) {
    if (id != p.id) continue;
    TrainConfig next;
    Status s = set_params(next, p.settings);
    if (s.ok()) cfg = next;
    return s;
  }
  std::string known;
  for (const Preset& p : presets()) known += std::string(known.empty() ? "" : ", ") + p.id;
  return Status::fail("preset: unknown preset '" + id + "' (known: " + known + ")");
}

}  // namespace nnlab
