// Nielsen's tables as presets (see presets.h). Chapter 3's comparisons use
// network2.py's large_weight_initializer, i.e. N(0,1), until its section on
// initialisation; lambda's n is the 50,000 training images of Nielsen's split.
#include "presets.h"

#include "params.h"

namespace nnlab {

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
  };
  return list;
}

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
