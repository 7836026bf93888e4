// The layers of a Net, each kind's forward and backward side by side (see net.h).
#include "net.h"

#include <algorithm>

#include "parallel.h"

namespace nnlab {

// One layer: its output and the gradient of the loss with respect to it, and
// for a dense layer its parameters and their gradients.
struct Net::Layer {
  LayerSpec spec;
  int in = 0, out = 0;   // C, OC: the input's and the output's values per sample
  Buf act = kNone;       // (cap, OC) this layer's output
  Buf grad = kNone;      // (cap, OC) dLoss/d(act); none for the output layer
  Buf w = kNone, b = kNone, dw = kNone, db = kNone;  // dense: (OC, C), (OC); conv: (F, C*k*k), (F)
  size_t tensor = 0;     // w's index in tensors() (b's is the next)
  Buf aux = kNone;       // pool: (cap, OC) i32 argmax; dropout: (cap, OC) mask
  ConvShape conv;
  PoolShape pool;
};

namespace {

uint64_t mix64(uint64_t z) {  // SplitMix64's finaliser
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

// Hashed, so that no two (pass, layer) streams of dropout_uniform overlap by a shift of the index.
uint64_t dropout_key(uint64_t seed, uint64_t pass, size_t layer) {
  return mix64(mix64(mix64(seed) + pass) + layer);
}


// [SECTION] dense: out (B,OC) = inp (B,C) . w^T + b
//   backward: dinp = dout . w (skipped for the input), dw = dout^T . inp, db = sum of dout
// [SECTION] activation: out (B,OC) = act(inp)
//   backward: dinp = dout * act'(inp), from out
// [SECTION] conv, pool, dropout: Backend::conv_*, maxpool_*, dropout_* (shapes there)
void Net::forward(int B, Mode mode) {
  const int parts = split(B);
  if (parts > 0)
    be_->run_parts(parts, [&](int p) {
      Part& P = parts_[size_t(p)];
      for (size_t i = 0; i < split_; ++i) forward_layer(P.layers, i, P.x, P.rows, mode, P.cols, P.tmp);
    });
  for (size_t i = parts > 0 ? split_ : 0; i < layers_.size(); ++i) forward_layer(layers_, i, x_, B, mode, cols_, tmp_);
  if (mode == Mode::Train) ++dropout_pass_;
}

void Net::forward_layer(std::vector<Layer>& ls, size_t i, Buf x, int B, Mode mode, Buf cols, Buf tmp) {
  Backend& be = *be_;
  Layer& L = ls[i];
  const Buf inp = i == 0 ? x : ls[i - 1].act;
  switch (L.spec.kind) {
    case LayerKind::Dense: be.matmul_forward(L.act, inp, L.w, L.b, B, L.in, L.out); break;
    case LayerKind::Conv: be.conv_forward(L.act, inp, L.w, L.b, cols, tmp, B, L.conv); break;
    case LayerKind::MaxPool: be.maxpool_forward(L.act, L.aux, inp, B, L.pool); break;
    case LayerKind::Dropout:  // rate 0 at inference: the mask is all ones, out = inp
      be.dropout_forward(L.act, L.aux, inp, size_t(B) * L.out, mode == Mode::Train ? L.spec.rate : 0.0f,
                         dropout_key(dropout_seed_, dropout_pass_, i));
      break;
    default: be.activation_forward(L.act, inp, B, L.out, act_of(L.spec.kind));
  }
}

void Net::seed_dropout(uint64_t seed, uint64_t pass) {
  dropout_seed_ = seed;
  dropout_pass_ = pass;
}

void Net::backward(int B, Buf loss, int loss_slot, const Sgd* step) {
  Backend& be = *be_;
  const size_t n = layers_.size();
  // The output + cost pair: dCost/dz for the output activation's input z.
  const Layer& O = layers_[n - 1];
  const Buf z = n >= 2 ? layers_[n - 2].act : x_;
  be.output_backward(n >= 2 ? layers_[n - 2].grad : kNone, loss, loss_slot, z, O.act, y_, B, O.out,
                     act_of(O.spec.kind), cfg_.cost);
  // The last conv layer's forward pass wrote the conv scratch last, so its patches
  // are still there when the backward pass reaches it (the first conv it meets);
  // each conv's backward pass then overwrites them. So too in each part's scratch.
  bool cols_ready = true;
  const int parts = split(B);
  for (size_t i = n - 1; i-- > (parts > 0 ? split_ : 0);)
    backward_layer(layers_, i, x_, B, step, cols_, tmp_, cols_ready);
  if (parts == 0) return;
  be.run_parts(parts, [&](int p) {
    Part& P = parts_[size_t(p)];
    bool ready = true;
    for (size_t i = split_; i-- > 0;) backward_layer(P.layers, i, P.x, P.rows, nullptr, P.cols, P.tmp, ready);
  });
  for (size_t i = 0; i < split_; ++i) {  // the parts' gradients summed in part order, then the step
    const Layer& L = layers_[i];
    if (!has_params(L.spec.kind)) continue;
    for (int p = 1; p < parts; ++p) {
      be.add(L.dw, parts_[size_t(p)].layers[i].dw, tensors_[L.tensor].count);
      be.add(L.db, parts_[size_t(p)].layers[i].db, tensors_[L.tensor + 1].count);
    }
    if (step) step_layer(L, *step);
  }
}

void Net::backward_layer(std::vector<Layer>& ls, size_t i, Buf x, int B, const Sgd* step, Buf cols, Buf tmp,
                         bool& cols_ready) {
  Backend& be = *be_;
  Layer& L = ls[i];
  const Buf inp = i == 0 ? x : ls[i - 1].act;
  const Buf dinp = i == 0 ? kNone : ls[i - 1].grad;  // the input needs no gradient
  switch (L.spec.kind) {
    case LayerKind::Dense:
      if (step)
        be.matmul_backward_sgd(dinp, L.dw, L.db, L.grad, inp, L.w, L.b, B, L.in, L.out, sgd_of(L, *step));
      else
        be.matmul_backward(dinp, L.dw, L.db, L.grad, inp, L.w, B, L.in, L.out);
      break;
    case LayerKind::Conv:
      be.conv_backward(dinp, L.dw, L.db, L.grad, inp, L.w, cols, tmp, B, L.conv, cols_ready);
      cols_ready = false;
      if (step) step_layer(L, *step);
      break;
    case LayerKind::MaxPool:
      if (dinp != kNone) be.maxpool_backward(dinp, L.grad, L.aux, B, L.pool);
      break;
    case LayerKind::Dropout:
      if (dinp != kNone) be.dropout_backward(dinp, L.grad, L.aux, size_t(B) * L.out);
      break;
    default:
      if (dinp != kNone) be.activation_backward(dinp, L.grad, L.act, B, L.out, act_of(L.spec.kind));
  }
}

Backend::SgdStep Net::sgd_of(const Layer& L, const Sgd& step) const {
  Backend::SgdStep s{step.scale, step.l2, step.momentum};
  if (step.velocity) s.vweight = (*step.velocity)[L.tensor], s.vbias = (*step.velocity)[L.tensor + 1];
  return s;
}

void Net::step_layer(const Layer& L, const Sgd& step) {
  const Backend::SgdStep s = sgd_of(L, step);
  be_->sgd_update(L.w, L.dw, s.vweight, tensors_[L.tensor].count, s.scale, s.l2, s.momentum);
  be_->sgd_update(L.b, L.db, s.vbias, tensors_[L.tensor + 1].count, s.scale, 0.0f, s.momentum);
}

int Net::split(int B) {
  const int parts = std::min(B / kPartRows, kMaxParts);
  if (split_ == 0 || parts < 2) return 0;
  if (B == parts_rows_) return parts;
  Backend& be = *be_;
  for (Part& P : parts_) {  // the views for the last batch size
    for (Buf* v : {&P.x, &P.cols, &P.tmp}) be.release(*v), *v = kNone;
    for (Layer& L : P.layers)
      for (Buf* v : {&L.act, &L.grad, &L.aux}) be.release(*v), *v = kNone;
  }
  parts_rows_ = B;
  for (int p = 0; p < parts; ++p) {
    Part& P = parts_[size_t(p)];
    size_t b0, b1;
    split_range(size_t(B), parts, p, 1, b0, b1);
    P.rows = int(b1 - b0);
    auto rows_of = [&](Buf b, size_t per_row) { return b == kNone ? kNone : be.view(b, b0 * per_row, (b1 - b0) * per_row); };
    P.x = rows_of(x_, size_t(cfg_.inputs));
    P.cols = rows_of(cols_, cols_row_);
    P.tmp = rows_of(tmp_, tmp_row_);
    for (size_t i = 0; i < split_; ++i) {
      const Layer& L = layers_[i];
      P.layers[i].act = rows_of(L.act, size_t(L.out));
      P.layers[i].grad = rows_of(L.grad, size_t(L.out));
      P.layers[i].aux = rows_of(L.aux, size_t(L.out));
    }
  }
  return parts;
}

Buf Net::alloc(DType type, size_t count) {
  Buf b = status_.ok() ? be_->alloc(type, count) : kNone;
  if (b == kNone && status_.ok())
    status_ = Status::fail("out of memory on " + be_->name() + ": a buffer of " + std::to_string(count) +
                           (type == DType::U8 ? " bytes" : " values") + " for " + format_net(cfg_) +
                           " at " + std::to_string(cap_) + " rows could not be allocated");
  return b;
}

Net::Net(const NetConfig& net, std::unique_ptr<Backend> backend, int max_batch)
    : cfg_(net), be_(std::move(backend)), cap_(std::max(max_batch, kEvalChunk)) {
  status_ = check_net(cfg_);
  if (!status_.ok()) {
    status_ = Status::fail("net: " + status_.message);
    return;
  }
  for (size_t i = 0; i < cfg_.layers.size(); ++i) {
    const std::string why = be_->lacks(cfg_.layers[i].kind);
    if (!why.empty()) {
      status_ = Status::fail("net: layer " + std::to_string(i + 1) + " (" + format_layer(cfg_.layers[i]) +
                             ") cannot run on " + be_->name() + ": this backend " + why + "; use the cpu");
      return;
    }
  }
  const std::vector<ImageShape> shapes = layer_shapes(cfg_);
  for (size_t i = 0; i < cfg_.layers.size(); ++i) {
    Layer L;
    L.spec = cfg_.layers[i];
    const ImageShape is = i == 0 ? input_shape(cfg_) : shapes[i - 1], os = shapes[i];
    L.in = is.size();
    L.out = os.size();
    const size_t na = size_t(cap_) * L.out;
    if (L.spec.kind == LayerKind::Conv) {
      L.conv = {is.c, is.h, is.w, L.spec.units, L.spec.size, L.spec.same ? (L.spec.size - 1) / 2 : 0};
      cols_row_ = std::max(cols_row_, size_t(L.conv.CKK()) * L.conv.P());  // the largest layer's
      tmp_row_ = std::max(tmp_row_, size_t(L.conv.F) * L.conv.P());
    }
    if (L.spec.kind == LayerKind::MaxPool) L.pool = {is.c, is.h, is.w, L.spec.size, L.spec.stride};
    if (L.spec.kind == LayerKind::MaxPool) L.aux = alloc(DType::I32, na);
    if (L.spec.kind == LayerKind::Dropout) L.aux = alloc(DType::F32, na);
    if (has_params(L.spec.kind)) {
      const ParamShape ps = L.spec.kind == LayerKind::Dense ? ParamShape{L.out, L.in}
                                                            : ParamShape{L.conv.F, L.conv.CKK()};
      const size_t nw = size_t(ps.rows) * ps.cols, nb = size_t(ps.rows);
      L.w = alloc(DType::F32, nw);
      L.b = alloc(DType::F32, nb);
      L.dw = alloc(DType::F32, nw);
      L.db = alloc(DType::F32, nb);
      L.tensor = tensors_.size();
      tensors_.push_back({L.w, L.dw, nw});
      tensors_.push_back({L.b, L.db, nb});
    }
    L.act = alloc(DType::F32, na);
    if (i + 1 < cfg_.layers.size()) L.grad = alloc(DType::F32, na);
    layers_.push_back(L);
  }
  if (cols_row_ > 0) cols_ = alloc(DType::F32, size_t(cap_) * cols_row_);
  if (tmp_row_ > 0) tmp_ = alloc(DType::F32, size_t(cap_) * tmp_row_);
  x_ = alloc(DType::F32, size_t(cap_) * cfg_.inputs);
  y_ = alloc(DType::I32, size_t(cap_));
  // The layers that run in parts: from the first, those of a kind that computes each sample
  // alone and has only conv-sized gradients to sum (conv, pool, activations; not a dense
  // layer, whose step is fused into its backward pass, nor dropout, whose mask is drawn by
  // element of the whole batch), short of the output layer; and only if a conv is among them.
  if (!be_->runs_parts() || !status_.ok()) return;
  size_t end = 0;
  bool conv = false;
  for (; end + 1 < layers_.size(); ++end) {
    const LayerKind k = layers_[end].spec.kind;
    if (k != LayerKind::Conv && k != LayerKind::MaxPool && k != LayerKind::Sigmoid && k != LayerKind::Tanh &&
        k != LayerKind::Relu)
      break;
    conv = conv || k == LayerKind::Conv;
  }
  if (!conv) return;
  split_ = end;
  parts_.resize(kMaxParts);
  for (size_t p = 0; p < parts_.size(); ++p) {
    parts_[p].layers.assign(layers_.begin(), layers_.begin() + std::ptrdiff_t(end));
    for (Layer& L : parts_[p].layers) {
      L.act = L.grad = L.aux = kNone;  // views, made per batch size
      if (p > 0 && has_params(L.spec.kind)) {  // part 0 sums into the layer's own
        L.dw = alloc(DType::F32, tensors_[L.tensor].count);
        L.db = alloc(DType::F32, tensors_[L.tensor + 1].count);
      }
    }
  }
}

Net::~Net() = default;

Buf Net::output() const { return layers_.empty() ? kNone : layers_.back().act; }

Model Net::parameters() const {
  Model m;
  m.net = cfg_;
  if (!status_.ok()) return m;
  const std::vector<ParamShape> shapes = param_shapes(cfg_);
  size_t l = 0;
  for (const Layer& L : layers_) {
    if (!has_params(L.spec.kind)) continue;
    m.weights.emplace_back(size_t(shapes[l].rows) * shapes[l].cols);
    m.biases.emplace_back(size_t(shapes[l].rows));
    ++l;
    be_->read(L.w, m.weights.back().data(), m.weights.back().size() * sizeof(float));
    be_->read(L.b, m.biases.back().data(), m.biases.back().size() * sizeof(float));
  }
  return m;
}

Status Net::set_parameters(const Model& m) {
  if (!status_.ok()) return status_;
  if (m.net != cfg_)
    return Status::fail("model: it is " + format_net(m.net) + " (" + name(m.net.cost) + "), this network is " +
                        format_net(cfg_) + " (" + name(cfg_.cost) + ")");
  const std::vector<ParamShape> shapes = param_shapes(cfg_);
  for (size_t l = 0; l < shapes.size(); ++l)
    if (l >= m.weights.size() || m.weights[l].size() != size_t(shapes[l].rows) * shapes[l].cols ||
        m.biases[l].size() != size_t(shapes[l].rows))
      return Status::fail("model: layer " + std::to_string(l) + " with parameters has the wrong number of them");
  size_t l = 0;
  for (const Layer& L : layers_) {
    if (!has_params(L.spec.kind)) continue;
    be_->write(L.w, m.weights[l].data(), m.weights[l].size() * sizeof(float));
    be_->write(L.b, m.biases[l].data(), m.biases[l].size() * sizeof(float));
    ++l;
  }
  return Status::success();
}

std::vector<float> Net::predict(const float* x, int n) {
  std::vector<float> probs;
  if (!status_.ok()) return probs;
  const int C = inputs(), K = classes();
  probs.resize(size_t(n) * K);
  for (int first = 0; first < n; first += cap_) {
    const int m = std::min(cap_, n - first);
    be_->write(x_, x + size_t(first) * C, size_t(m) * C * sizeof(float));
    forward(m);
    be_->read(output(), probs.data() + size_t(first) * K, size_t(m) * K * sizeof(float));
  }
  return probs;
}

std::vector<float> Net::layer_output(int l, int n) const {
  std::vector<float> out;
  if (!status_.ok() || l < 0 || l >= int(layers_.size()) || n <= 0 || n > cap_) return out;
  out.resize(size_t(n) * size_t(layers_[size_t(l)].out));
  be_->read(layers_[size_t(l)].act, out.data(), out.size() * sizeof(float));
  return out;
}

std::vector<int> Net::predict_labels(const Dataset& d, int first, int n) {
  std::vector<int> out;
  if (!status_.ok() || first < 0 || n <= 0 || first + n > d.count || d.pixels() != inputs()) return out;
  std::vector<float> x(size_t(n) * d.pixels());
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(d.images[size_t(first) * d.pixels() + i]) / 255.0f;
  const std::vector<float> probs = predict(x.data(), n);
  const int K = classes();
  for (int i = 0; i < n; ++i) {
    const float* p = probs.data() + size_t(i) * K;
    out.push_back(int(std::max_element(p, p + K) - p));
  }
  return out;
}

void Net::evaluate_rows(Buf images, Buf labels, int first, int m, Buf confusion) {
  be_->gather(x_, y_, images, labels, kNone, first, m, inputs());
  forward(m);
  be_->eval_accumulate(confusion, output(), y_, m, classes());
}

int Net::evaluate(const Dataset& d, std::vector<int>& confusion) {
  const int K = status_.ok() ? classes() : 0;
  confusion.assign(size_t(K) * K, 0);
  if (!status_.ok() || d.count == 0 || d.pixels() != inputs() || d.classes != K) return 0;
  DeviceData dev;
  const Buf conf = be_->alloc(DType::I32, confusion.size());
  if (conf == kNone || !upload(*be_, d, dev).ok()) {
    be_->release(conf);
    return 0;
  }
  for (int first = 0; first < d.count; first += kEvalChunk)
    evaluate_rows(dev.images, dev.labels, first, std::min(kEvalChunk, d.count - first), conf);
  be_->read(conf, confusion.data(), confusion.size() * sizeof(int));
  be_->release(conf);
  release(*be_, dev);
  return correct_count(confusion, K);
}

int correct_count(const std::vector<int>& confusion, int K) {
  int correct = 0;
  for (int k = 0; k < K; ++k) correct += confusion[size_t(k) * K + k];
  return correct;
}

Status upload(Backend& be, const Dataset& d, DeviceData& out) {
  out = DeviceData{};
  out.count = d.count;
  if (d.count == 0) return Status::success();
  out.images = be.alloc(DType::U8, d.images.size());
  out.labels = be.alloc(DType::U8, d.labels.size());
  if (out.images == kNone || out.labels == kNone) {
    release(be, out);
    if (d.images.size() > be.max_buffer_bytes())
      return Status::fail(std::to_string(d.images.size()) + " bytes of images are more than one buffer of " +
                          be.name() + " can hold (" + std::to_string(be.max_buffer_bytes()) +
                          " bytes): train on the CPU (--device cpu), or on fewer images");
    return Status::fail("out of memory on " + be.name() + ": " + std::to_string(d.images.size()) +
                        " bytes of images could not be uploaded");
  }
  be.write(out.images, d.images.data(), d.images.size());
  be.write(out.labels, d.labels.data(), d.labels.size());
  return Status::success();
}

void release(Backend& be, DeviceData& d) {
  be.release(d.images);
  be.release(d.labels);
  d = DeviceData{};
}

}  // namespace nnlab
