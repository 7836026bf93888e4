// The hyper-parameter table (see params.h) and the one parser behind it.
#include "params.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cctype>
#include <cstdlib>

namespace nnlab {
namespace {

Param number(const char* name, const char* help, Param::Kind kind, double lo, double hi,
             double (*get)(const TrainConfig&), void (*put)(TrainConfig&, double)) {
  Param p{name, help, kind};
  p.lo = lo;
  p.hi = hi;
  p.get = get;
  p.put = put;
  return p;
}

Param choice(const char* name, const char* help, const char* choices,
             double (*get)(const TrainConfig&), void (*put)(TrainConfig&, double)) {
  Param p{name, help, Param::kChoice};
  p.choices = choices;
  p.get = get;
  p.put = put;
  return p;
}

// Dense and activation layers on a flat input: what Nielsen's sizes describe.
bool is_mlp(const NetConfig& n) {
  for (const LayerSpec& l : n.layers)
    if (l.kind != LayerKind::Dense && !is_activation(l.kind)) return false;
  return n.image.size() == 0;
}

std::vector<Param> make_table() {
  using C = TrainConfig;
  std::vector<Param> t;
  // The network itself, in its text form; sizes, activation and output are
  // Nielsen's shorthand for it: each rebuilds the layer list, none is stored apart.
  Param net{"net", "the input width (or CxHxW), then the layers, e.g. 784-fc30-sigmoid-fc10-sigmoid or "
              "784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax (convFxK[same], poolK[sS], dropoutP)", Param::kText};
  net.parse_text = [](const std::string& s, C& c) { return parse_net(s, c.net); };
  net.format_text = [](const C& c) { return format_net(c.net); };
  t.push_back(net);
  Param sizes{"sizes", "neurons per layer, input first, e.g. 784,30,10 (Nielsen's [784, 30, 10])",
              Param::kText};
  sizes.parse_text = [](const std::string& s, C& c) {
    std::vector<int> v;
    Status st = parse_sizes(s, v);
    if (st.ok()) c.net = NetConfig::mlp(v, c.net.hidden(), c.net.output(), c.net.cost);
    return st;
  };
  sizes.format_text = [](const C& c) { return format_sizes(c.net.sizes()); };
  t.push_back(sizes);
  t.push_back(choice("activation", "hidden layers' activation", "sigmoid|tanh|relu",
                     [](const C& c) { return double(c.net.hidden()); },
                     [](C& c, double v) {
                       if (!is_mlp(c.net)) {  // a conv net keeps its layers: only the activations change
                         for (size_t i = 0; i + 1 < c.net.layers.size(); ++i)
                           if (is_activation(c.net.layers[i].kind)) c.net.layers[i].kind = kind_of(Act(int(v)));
                         return;
                       }
                       c.net = NetConfig::mlp(c.net.sizes(), Act(int(v)), c.net.output(), c.net.cost);
                     }));
  t.push_back(choice("output", "output layer: sigmoid (ch. 1) or softmax (ch. 3)", "sigmoid|softmax",
                     [](const C& c) { return c.net.output() == Act::Softmax ? 1.0 : 0.0; },
                     [](C& c, double v) {
                       c.net.layers.back().kind = v > 0 ? LayerKind::Softmax : LayerKind::Sigmoid;
                     }));
  t.push_back(choice("cost", "quadratic (ch. 1) or cross-entropy (ch. 3; log-likelihood with softmax)",
                     "quadratic|cross-entropy", [](const C& c) { return double(c.net.cost); },
                     [](C& c, double v) { c.net.cost = Cost(int(v)); }));
  t.push_back(choice("init", "initial weights: normal N(0,1) (ch. 1), scaled N(0,1/n_in) (ch. 3), network3 N(0,1/n_out), output 0 (ch. 6)",
                     "normal|scaled|network3", [](const C& c) { return double(c.init); },
                     [](C& c, double v) { c.init = Init(int(v)); }));
  t.push_back(number("epochs", "passes over the training set", Param::kInt, 1, 100000,
                     [](const C& c) { return double(c.epochs); },
                     [](C& c, double v) { c.epochs = int(v); }));
  t.push_back(number("batch", "mini-batch size m", Param::kInt, 1, 1 << 20,
                     [](const C& c) { return double(c.batch); },
                     [](C& c, double v) { c.batch = int(v); }));
  Param eta = number("eta", "learning rate: w -= (eta/m) * sum of the batch's gradients",
                     Param::kFloat, 0, 1e30, [](const C& c) { return double(c.eta); },
                     [](C& c, double v) { c.eta = float(v); });
  eta.lo_open = true;
  eta.live = true;
  t.push_back(eta);
  t.push_back(number("lambda", "L2 regularisation: w *= 1 - eta*lambda/n each batch (ch. 3)",
                     Param::kFloat, 0, 1e30, [](const C& c) { return double(c.lambda); },
                     [](C& c, double v) { c.lambda = float(v); }));
  Param momentum = number("momentum", "momentum coefficient mu: v = mu*v - eta*grad, w += v (ch. 3)",
                          Param::kFloat, 0, 1, [](const C& c) { return double(c.momentum); },
                          [](C& c, double v) { c.momentum = float(v); });
  momentum.hi_open = true;
  t.push_back(momentum);
  t.push_back(number("validation",
                     "training images held out from the end for validation; -1: Nielsen's 10,000 "
                     "of a 60,000-image set, else none",
                     Param::kInt, -1, 1e9, [](const C& c) { return double(c.validation); },
                     [](C& c, double v) { c.validation = int(v); }));
  t.push_back(number("expand",
                     "1: train on 5x the images, each also shifted one pixel up, down, left, right "
                     "(expand_mnist.py, ch. 6)",
                     Param::kInt, 0, 1, [](const C& c) { return double(c.expand); },
                     [](C& c, double v) { c.expand = int(v); }));
  Param threads = number("threads", "CPU threads for the math, 0: one per core; any count gives the same bits",
                          Param::kInt, 0, 256, [](const C& c) { return double(c.threads); },
                          [](C& c, double v) { c.threads = int(v); });
  t.push_back(threads);
  t.push_back(number("seed", "random seed for initialisation and shuffling (same seed, same run)",
                     Param::kInt, 0, 4294967295.0, [](const C& c) { return double(c.seed); },
                     [](C& c, double v) { c.seed = uint64_t(v); }));
  return t;
}

// Float fields hold the bounds as floats do (1e30f is a little above 1e30).
bool in_range(const Param& p, double v) {
  const double lo = p.kind == Param::kFloat ? double(float(p.lo)) : p.lo;
  const double hi = p.kind == Param::kFloat ? double(float(p.hi)) : p.hi;
  return (p.lo_open ? v > lo : v >= lo) && (p.hi_open ? v < hi : v <= hi);
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// A float field's shortest text that reads back as the same float: 0.2, not 0.200000003.
std::string float_text(double v) {
  char buf[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (float(std::strtod(buf, nullptr)) == float(v)) break;
  }
  return buf;
}

}  // namespace

const std::vector<Param>& params() {
  static const std::vector<Param> table = make_table();
  return table;
}

const Param* find_param(const std::string& name) {
  for (const Param& p : params())
    if (name == p.name) return &p;
  return nullptr;
}

std::vector<std::string> Param::choice_list() const {
  std::vector<std::string> out;
  std::string all = choices;
  for (size_t pos = 0; pos <= all.size();) {
    size_t bar = all.find('|', pos);
    if (bar == std::string::npos) bar = all.size();
    if (bar > pos) out.push_back(all.substr(pos, bar - pos));
    pos = bar + 1;
  }
  return out;
}

std::string Param::range_text() const {
  switch (kind) {
    case kInt: return "an integer from " + number_text(lo) + " to " + number_text(hi);
    case kFloat:
      return std::string("a number ") + (lo_open ? "> " : ">= ") + number_text(lo) + " and " +
             (hi_open ? "< " : "<= ") + number_text(hi);
    case kChoice: {
      std::string s = "one of ";
      for (const std::string& c : choice_list()) s += (s.size() > 7 ? ", " : "") + c;
      return s;
    }
    case kText: return help;
  }
  return "";
}

Status set_param_value(TrainConfig& cfg, const Param& p, double v) {
  const bool whole = p.kind != Param::kFloat;
  bool ok = std::isfinite(v) && (!whole || v == std::floor(v));
  if (p.kind == Param::kChoice)
    ok = ok && v >= 0 && v < double(p.choice_list().size());
  else if (p.kind != Param::kText)
    ok = ok && in_range(p, v);
  if (p.kind == Param::kText || !p.put)
    return Status::fail(std::string(p.name) + ": not a number parameter");
  if (!ok) return Status::fail(std::string(p.name) + ": " + number_text(v) + " is not " + p.range_text());
  TrainConfig next = cfg;
  p.put(next, v);
  Status s = check_net(next.net);  // e.g. output=softmax on a single output
  if (!s.ok()) return Status::fail(std::string(p.name) + ": " + s.message);
  cfg = next;
  return Status::success();
}

Status set_param(TrainConfig& cfg, const std::string& name, const std::string& text) {
  const Param* p = find_param(name);
  if (!p) {
    std::string known;
    for (const Param& q : params()) known += std::string(known.empty() ? "" : " ") + q.name;
    return Status::fail("unknown parameter '" + name + "' (known: " + known + ")");
  }
  auto bad = [&]() { return Status::fail(name + ": '" + text + "' is not " + p->range_text()); };
  switch (p->kind) {
    case Param::kText: {
      TrainConfig next = cfg;
      Status s = p->parse_text(text, next);
      if (s.ok() && !(s = check_net(next.net)).ok()) s = Status::fail(name + ": " + s.message);
      if (!s.ok()) return s;
      cfg = next;
      return s;
    }
    case Param::kChoice: {
      std::vector<std::string> list = p->choice_list();
      for (size_t i = 0; i < list.size(); ++i)
        if (text == list[i]) return set_param_value(cfg, *p, double(i));
      return bad();
    }
    case Param::kInt: {
      // Digits only (an optional '-'): no "1e3", no " 5", no "0x10", no "5.0".
      if (text.empty() || text.size() > 12) return bad();
      for (size_t i = 0; i < text.size(); ++i)
        if (!(std::isdigit((unsigned char)text[i]) || (i == 0 && text[i] == '-' && text.size() > 1)))
          return bad();
      double v = double(std::strtoll(text.c_str(), nullptr, 10));
      return in_range(*p, v) ? set_param_value(cfg, *p, v) : bad();
    }
    case Param::kFloat: {
      char* end = nullptr;
      errno = 0;
      double v = text.empty() || std::isspace((unsigned char)text[0]) ? NAN : std::strtod(text.c_str(), &end);
      if (!std::isfinite(v) || errno == ERANGE || *end != '\0' || !in_range(*p, v)) return bad();
      return set_param_value(cfg, *p, v);
    }
  }
  return bad();
}

std::vector<std::pair<std::string, std::string>> split_settings(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t pos = 0; pos < text.size();) {
    size_t amp = text.find('&', pos);
    if (amp == std::string::npos) amp = text.size();
    const std::string item = text.substr(pos, amp - pos);
    pos = amp + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    out.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
  }
  return out;
}

Status set_params(TrainConfig& cfg, const std::string& settings) {
  for (const auto& [name, value] : split_settings(settings)) {
    Status s = set_param(cfg, name, value);
    if (!s.ok()) return s;
  }
  return Status::success();
}

std::string param_text(const TrainConfig& cfg, const Param& p) {
  switch (p.kind) {
    case Param::kText: return p.format_text(cfg);
    case Param::kChoice: {
      std::vector<std::string> list = p.choice_list();
      size_t i = size_t(p.get(cfg));
      return i < list.size() ? list[i] : "?";
    }
    case Param::kFloat: return float_text(p.get(cfg));
    default: return number_text(p.get(cfg));
  }
}

std::string param_default(const Param& p) { return param_text(TrainConfig{}, p); }

}  // namespace nnlab
