// A network on a backend: its layers in order, each with its parameters and
// its activation and gradient buffers, and forward / backward over a batch.
// Inference (predict, evaluate) needs nothing else; the Trainer is the SGD
// schedule over a Net. Shapes: B batch rows, C inputs, OC outputs, K classes.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "config.h"
#include "dataset.h"
#include "model.h"
#include "status.h"

namespace nnlab {

class Net {
 public:
  static constexpr int kEvalChunk = 256;  // rows per inference pass
  // On a backend that runs_parts(), a pass runs its conv layers (and the pools and
  // activations up to the first dense or dropout layer) in parts of kPartRows or more
  // rows, kMaxParts at most, all at once, and sums the parts' conv gradients in part
  // order. The parts depend on B alone, so any thread count gives the same bits.
  // Smaller parts cost more: the two-conv net at batch 10 ran 2% slower on one
  // thread in parts of 5, 7% in parts of 2 or 3, 13% in parts of 1 or 2.
  static constexpr int kPartRows = 4, kMaxParts = 16;

  // Allocates every buffer for batches of up to max(max_batch, kEvalChunk)
  // rows, parameters zeroed; check status() (a bad config, or memory that
  // cannot be had) before using it.
  Net(const NetConfig& net, std::unique_ptr<Backend> backend, int max_batch = kEvalChunk);
  ~Net();
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;

  const Status& status() const { return status_; }
  const NetConfig& config() const { return cfg_; }
  Backend& backend() { return *be_; }
  std::string device() const { return be_->name(); }
  int rows() const { return cap_; }  // most rows one pass takes
  int inputs() const { return cfg_.inputs; }
  int classes() const { return cfg_.outputs(); }

  // Host copy of the parameters (downloads from the backend).
  Model parameters() const;
  // Replaces the parameters; the network must be the same. On failure nothing changes.
  Status set_parameters(const Model& m);

  // One pass over x(): rows [0, B) of input() (B, C) f32 into output() (B, K).
  // Train drops units in dropout layers (a new mask each pass, from the dropout
  // seed); Infer passes every unit through, as the expected value of training's.
  enum class Mode { Infer, Train };
  Buf input() const { return x_; }
  Buf labels() const { return y_; }  // (cap) i32, for backward and evaluation
  Buf output() const;
  void forward(int B, Mode mode = Mode::Infer);
  // Dropout masks of Train passes derive from (seed, pass number, layer) only;
  // this sets the pass count (a fixed mask: the same seed and pass before each
  // pass; a resumed run: the pass it had reached).
  void seed_dropout(uint64_t seed, uint64_t pass = 0);
  uint64_t dropout_pass() const { return dropout_pass_; }
  // Right after forward(B) (no other pass between: backward reads that pass's
  // activations and conv patches): the output + cost pair's dCost/dz from labels()
  // (one-hot targets), loss[loss_slot] = the batch's summed cost, then every
  // layer's gradient, ending in the parameter gradients of tensors(). With a step,
  // each layer's parameters take it as soon as their gradients are made (a dense
  // layer's through Backend::matmul_backward_sgd, which may not keep its weight
  // gradient): one pass less over the weights than backward, then the updates.
  struct Sgd {
    float scale = 0, l2 = 0, momentum = 0;       // Backend::sgd_update's terms; l2 for weights only
    const std::vector<Buf>* velocity = nullptr;  // one per tensor of tensors() (kNone: none), or null
  };
  void backward(int B, Buf loss, int loss_slot, const Sgd* step = nullptr);

  // The parameters and their gradients: per layer with parameters, its weights, then its biases.
  struct Tensor {
    Buf value, grad;
    size_t count;
  };
  const std::vector<Tensor>& tensors() const { return tensors_; }

  // Class probabilities (n, K) for n images (n, C) of pixels in [0, 1].
  std::vector<float> predict(const float* x, int n);
  // After a pass of at least n rows: rows [0, n) of layer l's output, (n, its
  // shape's size) - a conv layer's feature maps, for the panels. Empty for a bad l or n.
  std::vector<float> layer_output(int l, int n) const;
  // Predicted class of images [first, first + n) of a data set.
  std::vector<int> predict_labels(const Dataset& d, int first, int n);
  // Adds rows [first, first + m) of device-resident images/labels to confusion (K, K) i32.
  void evaluate_rows(Buf images, Buf labels, int first, int m, Buf confusion);
  // A whole data set (uploaded for the call): returns the correct count, fills confusion (K, K).
  int evaluate(const Dataset& d, std::vector<int>& confusion);

 private:
  struct Layer;
  // A run of `rows` rows of the batch: views of the split layers' buffers, x and the
  // conv scratch; part 0 makes its conv gradients in the layers' own, the others apart.
  struct Part {
    int rows = 0;
    Buf x = kNone, cols = kNone, tmp = kNone;
    std::vector<Layer> layers;  // layers [0, split_)
  };
  NetConfig cfg_;
  std::unique_ptr<Backend> be_;
  int cap_ = 0;
  Buf x_ = kNone, y_ = kNone;
  std::vector<Layer> layers_;
  std::vector<Tensor> tensors_;
  Buf cols_ = kNone, tmp_ = kNone;  // conv scratch shared by the conv layers (see Backend::conv_forward)
  size_t cols_row_ = 0, tmp_row_ = 0;  // their floats per sample
  size_t split_ = 0;                 // layers [0, split_) run in parts (0: none do)
  std::vector<Part> parts_;          // for batches of parts_rows_ rows
  int parts_rows_ = 0;
  uint64_t dropout_seed_ = 0, dropout_pass_ = 0;
  Status status_;
  Buf alloc(DType type, size_t count);
  int split(int B);  // makes parts_ for B rows; how many parts run (0: the pass runs whole)
  void forward_layer(std::vector<Layer>& ls, size_t i, Buf x, int B, Mode mode, Buf cols, Buf tmp);
  void backward_layer(std::vector<Layer>& ls, size_t i, Buf x, int B, const Sgd* step, Buf cols, Buf tmp,
                      bool& cols_ready);
  Backend::SgdStep sgd_of(const Layer& L, const Sgd& step) const;
  void step_layer(const Layer& L, const Sgd& step);  // sgd_update of L's weights and biases
};

// The key of Backend::dropout_forward for layer `layer` (0-based) in training
// pass `pass` (0-based since seed_dropout(seed)): element b*OC + j of the batch
// is kept when dropout_uniform(key, b*OC + j) >= rate.
uint64_t dropout_key(uint64_t seed, uint64_t pass, size_t layer);

// The diagonal of a (K, K) confusion matrix: the correctly classified images.
int correct_count(const std::vector<int>& confusion, int K);

// The image data a Net reads from, resident on its backend.
struct DeviceData {
  Buf images = kNone, labels = kNone;  // (N, C) u8, (N) u8
  int count = 0;
};
Status upload(Backend& be, const Dataset& d, DeviceData& out);
void release(Backend& be, DeviceData& d);

}  // namespace nnlab
