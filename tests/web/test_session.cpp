// The dashboard's session logic without a browser (linked into nnlab_tests by
// ui/ui.cmake, so it runs natively and under node): URL parameters, loading
// with per-file answers and failures, training on the run's own thread and in
// frame slices (the same bits either way), checkpoints, and the draw pad's
// MNIST-style preprocessing.
#include <doctest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <thread>
#include <cstdlib>
#include <string>
#include <vector>

#include "idx.h"
#include "model.h"
#include "params.h"
#include "presets.h"
#include "preprocess.h"
#include "session.h"

using namespace nnlab;

namespace {

// A tiny learnable 28x28 set: class k lights row block k.
Dataset blocks(int count, uint64_t seed) {
  Rng rng(seed);
  Dataset d;
  d.count = count, d.rows = 28, d.cols = 28, d.classes = 10;
  d.images.assign(size_t(count) * 784, 0);
  for (int i = 0; i < count; ++i) {
    int k = int(rng.below(10));
    d.labels.push_back(uint8_t(k));
    for (int y = 2 * k + 4; y < 2 * k + 6; ++y)
      for (int x = 4; x < 24; ++x) d.images[size_t(i) * 784 + size_t(y) * 28 + x] = uint8_t(200 + rng.below(56));
  }
  return d;
}

// Serves the four files from memory, answering synchronously like the desktop
// app does (the page answers later from JS; the session does not care).
struct FakeServer {
  std::vector<uint8_t> bytes[4];
  int fail_index = -1;
  std::vector<std::string> requested;
  void attach(Session& s) {
    s.fetch_file = [this, &s](int gen, int i, const std::string& url) {
      requested.push_back(url);
      if (i == fail_index) {
        s.file_failed(gen, i, url + ".gz", "HTTP 404 Not Found");
        return;
      }
      s.file_progress(gen, i, double(bytes[i].size()) / 2, double(bytes[i].size()));
      s.file_loaded(gen, i, url + ".gz", bytes[i]);
    };
  }
};

// Frames 30 ms apart on the session's clock until done() or 60 s of real
// time (the run's own thread trains in real time; slices do not need it).
bool frames_until(Session& s, double& now, const std::function<bool()>& done) {
  const auto t0 = std::chrono::steady_clock::now();
  while (!done()) {
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(60)) return false;
    s.tick(now += 0.03);
    if (s.own_thread) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

FakeServer good_server() {
  FakeServer f;
  Dataset train = blocks(600, 1), test = blocks(200, 2);
  f.bytes[0] = encode_idx_images(train, true);
  f.bytes[1] = encode_idx_labels(train, true);
  f.bytes[2] = encode_idx_images(test, true);
  f.bytes[3] = encode_idx_labels(test, false);  // raw and gzip mix freely
  return f;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("session: URL parameters set every hyper-parameter") {
  Session s;
  Status st = s.apply_query(
      "?sizes=784,100,10&activation=relu&output=softmax&cost=cross-entropy&init=scaled&eta=0.5"
      "&batch=20&epochs=3&lambda=5&momentum=0.9&seed=7&validation=100"
      "&data=http%3A%2F%2Fexample.org%2Fidx&autostart=1&simd=plain");
  REQUIRE_MESSAGE(st.ok(), st.message);
  CHECK(s.cfg.net.sizes() == std::vector<int>{784, 100, 10});
  CHECK(s.cfg.net.hidden() == Act::Relu);
  CHECK(s.cfg.net.output() == Act::Softmax);
  CHECK(s.cfg.net.cost == Cost::CrossEntropy);
  CHECK(s.cfg.init == Init::Scaled);
  CHECK(s.cfg.eta == doctest::Approx(0.5));
  CHECK(s.cfg.batch == 20);
  CHECK(s.cfg.epochs == 3);
  CHECK(s.cfg.lambda == doctest::Approx(5));
  CHECK(s.cfg.momentum == doctest::Approx(0.9));
  CHECK(s.cfg.seed == 7);
  CHECK(s.cfg.validation == 100);
  CHECK(s.data_base == "http://example.org/idx");
  CHECK(s.autostart);
  CHECK(s.apply_query("data=fashion").ok());
  CHECK(s.data_base == "data/fashion");
}

TEST_CASE("session: bad URL parameters name the parameter") {
  Session s;
  const char* bad[] = {"batch=0", "eta=-1", "eta=abc", "epochs=1.5", "sizes=784,,10",
                       "cost=hinge", "momentum=1", "colour=red", "simd=fast"};
  for (const char* q : bad) {
    Status st = s.apply_query(q);
    std::string key = std::string(q).substr(0, std::string(q).find('='));
    CHECK_MESSAGE(!st.ok(), q);
    CHECK_MESSAGE(contains(st.message, key), st.message);
  }
}

TEST_CASE("session: loads four files, autostarts, trains (own thread, slices), reports JSON") {
  FakeServer server = good_server();
  Session s;
  SUBCASE("in slices of the frames") {}
  SUBCASE("on the run's own thread") { s.own_thread = true; }
  server.attach(s);
  REQUIRE(s.apply_query("data=mem&sizes=784,30,10&output=softmax&cost=cross-entropy&init=scaled"
                        "&eta=0.5&epochs=2&batch=10")
              .ok());
  s.start();  // no data yet: loads first, then starts
  REQUIRE_MESSAGE(s.error.empty(), s.error);
  CHECK(server.requested.size() == 4);
  CHECK(server.requested[0] == "mem/train-images-idx3-ubyte");
  REQUIRE(s.data_ready);
  CHECK(s.data.train.count == 600);
  CHECK(s.data.test.count == 200);
  for (const FileLoad& f : s.files) CHECK(f.bytes.empty());  // freed after parsing
  REQUIRE(s.run());  // (on its own thread it may be done already)

  CHECK(contains(s.status_json(), s.own_thread ? "\"trainer\":\"thread\"" : "\"trainer\":\"slices\""));
  double now = 0;
  REQUIRE(frames_until(s, now, [&] { return s.phase() != Phase::Training; }));
  CHECK(s.phase() == Phase::Done);
  const Metrics& m = s.run()->metrics;
  REQUIRE(m.test_accuracy.size() == 2);
  CHECK(m.test_accuracy.back() >= 0.9f);  // the blocks are easy
  CHECK(s.smooth_loss.size() == m.batch_loss.size());
  std::string json = s.status_json();
  CHECK(contains(json, "\"state\":\"done\""));
  CHECK(contains(json, "\"testAccuracy\":["));
  CHECK(contains(json, "\"error\":\"\""));
  // Predictions for the insight grid fill in once training stops.
  for (int i = 0; i < 5; ++i) s.tick(now += 0.03);
  CHECK(s.predictions_next == 200);
  // The panels' model is the one the last epoch evaluated: the same matrix and accuracy.
  CHECK(s.confusion == m.confusion);
  CHECK(s.model_accuracy == doctest::Approx(m.test_accuracy.back()));
  int correct = 0;
  for (int i = 0; i < 200; ++i) correct += s.predictions[size_t(i)] == s.data.test.labels[size_t(i)];
  CHECK(correct == int(std::lround(m.test_accuracy.back() * 200)));
  // A loaded model, with no run, is evaluated at once too.
  std::vector<uint8_t> saved;
  REQUIRE(s.save_checkpoint(saved).ok());
  const std::vector<int> trained_confusion = s.confusion;
  CHECK(s.confusion_model == s.model_label);
  s.reset();
  CHECK(s.confusion.empty());
  REQUIRE(s.load_checkpoint(saved.data(), saved.size(), "trained.nnlb").ok());
  CHECK_FALSE(s.run());
  for (int i = 0; i < 5; ++i) s.tick(now += 0.03);
  CHECK(s.confusion == trained_confusion);
  CHECK(contains(s.status_json(), "\"model\":\"loaded from trained.nnlb\""));
}

TEST_CASE("session: a failed file is an error naming the URL; stale answers are ignored") {
  FakeServer server = good_server();
  server.fail_index = 1;
  Session s;
  server.attach(s);
  s.data_base = "http://host/base";
  s.start();
  CHECK(s.phase() == Phase::Error);
  CHECK(contains(s.error, "http://host/base/train-labels-idx1-ubyte.gz"));
  CHECK(contains(s.error, "404"));
  CHECK(s.status_json().find("\"state\":\"error\"") != std::string::npos);
  // Retry with the file back: a late answer from the failed generation changes nothing.
  int old = s.generation;
  server.fail_index = -1;
  s.load_data();
  CHECK(s.data_ready);
  s.file_failed(old, 0, "late", "late failure");
  CHECK(s.phase() == Phase::Idle);
  CHECK(s.error.empty());
}

// Answers later, like the page: requests are queued until deliver(); cancel
// counts the front end's aborts.
struct LaterServer {
  FakeServer files = good_server();
  struct Request { int gen, i; std::string url; };
  std::vector<Request> pending;
  int cancels = 0;
  void attach(Session& s) {
    s.fetch_file = [this](int gen, int i, const std::string& url) { pending.push_back({gen, i, url}); };
    s.cancel_fetches = [this] {
      ++cancels;
      pending.clear();  // aborted downloads never answer
    };
  }
  // Answers every request made so far (also those of an older generation).
  static void deliver(Session& s, const std::vector<Request>& requests, const FakeServer& f) {
    for (const Request& r : requests) s.file_loaded(r.gen, r.i, r.url + ".gz", f.bytes[r.i]);
  }
};

TEST_CASE("session: Cancel stops a load in flight; its late answers are dropped") {
  LaterServer server;
  Session s;
  server.attach(s);
  s.data_base = "mem";
  s.start();  // loads first
  REQUIRE(s.phase() == Phase::Loading);
  REQUIRE(server.pending.size() == 4);
  s.file_progress(s.generation, 0, 100, 1000);
  const std::vector<LaterServer::Request> old = server.pending;
  s.cancel_loading();
  CHECK(server.cancels == 1);
  CHECK(s.phase() == Phase::Idle);
  CHECK(s.error.empty());
  CHECK(s.notice == "data loading cancelled");
  CHECK(contains(s.status_json(), "\"state\":\"idle\""));
  CHECK(contains(s.status_json(), "cancelled"));
  // The answers come anyway (a download that finished as it was aborted): nothing changes,
  // and the start that was waiting for the data does not happen.
  LaterServer::deliver(s, old, server.files);
  s.file_failed(old[1].gen, 1, "late", "late failure");
  CHECK(s.phase() == Phase::Idle);
  CHECK_FALSE(s.data_ready);
  CHECK_FALSE(s.run());
  CHECK(s.error.empty());
  s.cancel_loading();  // nothing in flight: nothing to abort
  CHECK(server.cancels == 1);
  // Load data again works.
  s.load_data();
  CHECK(s.notice.empty());
  REQUIRE(server.pending.size() == 4);
  LaterServer::deliver(s, server.pending, server.files);
  CHECK(s.data_ready);
  CHECK(s.data.train.count == 600);
  CHECK(s.phase() == Phase::Idle);
}

TEST_CASE("session: Retry while loading replaces the downloads in flight") {
  LaterServer server;
  Session s;
  server.attach(s);
  s.data_base = "mem";
  s.load_data();
  REQUIRE(server.pending.size() == 4);
  const std::vector<LaterServer::Request> first = server.pending;
  s.load_data();  // Retry: aborts the first set, then fetches a second
  CHECK(server.cancels == 1);
  REQUIRE(server.pending.size() == 4);  // one set in flight, never two
  CHECK(server.pending[0].gen != first[0].gen);
  // The first set's answers (one failure, three files) are ignored...
  s.file_failed(first[0].gen, 0, "first/train-images-idx3-ubyte.gz", "HTTP 500");
  LaterServer::deliver(s, first, server.files);
  CHECK(s.phase() == Phase::Loading);
  CHECK(s.error.empty());
  for (const FileLoad& f : s.files) CHECK_FALSE(f.done);
  // ...the second set's complete the load.
  LaterServer::deliver(s, server.pending, server.files);
  CHECK(s.data_ready);
  CHECK(s.phase() == Phase::Idle);
}

TEST_CASE("session: one failed file stops the other downloads; an oversized file is refused") {
  LaterServer server;
  Session s;
  server.attach(s);
  s.data_base = "mem";
  s.load_data();
  const std::vector<LaterServer::Request> set = server.pending;
  s.file_failed(set[0].gen, 0, "mem/train-images-idx3-ubyte.gz", "too large");
  CHECK(server.cancels == 1);
  CHECK(s.phase() == Phase::Error);
  // The desktop app hands over whole files: one over the cap is refused there, naming it.
  s.load_data();
  const int gen = server.pending[0].gen;
  std::vector<uint8_t> huge(size_t(Session::kMaxFileBytes) + 1);
  s.file_loaded(gen, 0, "mem/train-images-idx3-ubyte", std::move(huge));
  CHECK(s.phase() == Phase::Error);
  CHECK(contains(s.error, "mem/train-images-idx3-ubyte"));
  CHECK(contains(s.error, std::to_string(size_t(Session::kMaxFileBytes))));
}

TEST_CASE("session: corrupt data names the file") {
  FakeServer server = good_server();
  server.bytes[2] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 9, 9, 9, 9};  // gzip magic, garbage
  Session s;
  server.attach(s);
  s.data_base = "d";
  s.load_data();
  CHECK(s.phase() == Phase::Error);
  CHECK(contains(s.error, "d/t10k-images-idx3-ubyte.gz"));
  CHECK_FALSE(s.data_ready);
}

TEST_CASE("session: eta changes while training; a bad checkpoint keeps the model") {
  FakeServer server = good_server();
  Session s;
  SUBCASE("in slices of the frames") {}
  SUBCASE("on the run's own thread") { s.own_thread = true; }
  server.attach(s);
  s.data_base = "mem";
  s.cfg.epochs = 1000;  // still training when the commands come
  s.start();
  REQUIRE(s.phase() == Phase::Training);
  double now = 0;
  s.tick(now);
  s.tick(now += 0.03);
  CHECK(s.set("eta", "0.25").ok());
  CHECK(s.cfg.eta == doctest::Approx(0.25));
  // The run takes it too, between two batches.
  CHECK(frames_until(s, now, [&] { return s.run()->config.eta == doctest::Approx(0.25); }));
  CHECK_FALSE(s.set("eta", "-1").ok());
  CHECK(s.cfg.eta == doctest::Approx(0.25));
  CHECK_FALSE(s.set("batch", "20").ok());  // fixed while the run exists
  CHECK(s.cfg.batch == 10);
  CHECK_FALSE(s.set("preset", "ch1").ok());
  s.pause();
  CHECK(frames_until(s, now, [&] { return s.phase() == Phase::Paused; }));
  std::vector<uint8_t> saved;
  REQUIRE(s.save_checkpoint(saved).ok());
  REQUIRE(!saved.empty());
  std::vector<uint8_t> bad = saved;
  bad[bad.size() / 2] ^= 0xff;
  Status st = s.load_checkpoint(bad.data(), bad.size(), "bad.nnlb");
  CHECK_FALSE(st.ok());
  CHECK(contains(st.message, "bad.nnlb"));
  std::vector<uint8_t> again;
  CHECK(s.save_checkpoint(again).ok());
  CHECK(again == saved);
  CHECK(s.load_checkpoint(saved.data(), saved.size(), "good.nnlb").ok());
  CHECK(s.model_label == "loaded from good.nnlb");
  CHECK(s.phase() == Phase::Paused);
  s.resume();
  CHECK(frames_until(s, now, [&] { return s.phase() == Phase::Training; }));

  // A diverged model is never saved.
  s.reset();
  std::vector<uint8_t> none;
  CHECK(contains(s.save_checkpoint(none).message, "no model to save"));
  REQUIRE(s.apply_query("activation=relu&output=softmax&cost=cross-entropy&eta=1e20&epochs=3").ok());
  s.start();
  REQUIRE(frames_until(s, now, [&] { return s.phase() != Phase::Training; }));
  REQUIRE(s.phase() == Phase::Diverged);
  Status refused = s.save_checkpoint(none);
  CHECK(contains(refused.message, "not finite"));
  CHECK(none.empty());
}

TEST_CASE("session: a run on its own thread gives the bits of a run in slices; commands answer") {
  // Two epochs with a pause and a resume somewhere (where depends on the
  // thread's timing): the same losses, accuracies and parameters either way.
  auto run = [](bool own_thread, std::vector<float>& losses, std::vector<float>& acc, Model& model) {
    FakeServer server = good_server();
    Session s;
    s.own_thread = own_thread;
    server.attach(s);
    REQUIRE(s.apply_query("data=mem&sizes=784,20,10&epochs=2&batch=5&seed=7").ok());
    s.start();
    REQUIRE(s.run());
    s.pause();
    double now = 0;
    // (A run on its own thread may be done before the pause reaches it.)
    REQUIRE(frames_until(s, now, [&] { return s.phase() == Phase::Paused || s.phase() == Phase::Done; }));
    if (s.phase() == Phase::Paused) {
      const long long at_pause = s.run()->metrics.batches_done;
      for (int i = 0; i < 5; ++i) s.tick(now += 0.03);
      CHECK(s.run()->metrics.batches_done == at_pause);  // paused means no batch
      const int in_epoch = int(at_pause % 120);
      CHECK(s.model_label == (at_pause == 0   ? "as initialised"
                              : in_epoch == 0 ? "after epoch " + std::to_string(at_pause / 120)
                                              : "at epoch " + std::to_string(at_pause / 120 + 1) + ", batch " +
                                                    std::to_string(in_epoch) + " of 120"));
      s.resume();
    }
    REQUIRE(frames_until(s, now, [&] { return s.phase() == Phase::Done; }));
    losses = s.run()->metrics.batch_loss;
    acc = s.run()->metrics.test_accuracy;
    CHECK(s.model_label == "after epoch 2");
    model = s.net->parameters();  // the panels' copy: the run's final parameters
    std::vector<uint8_t> saved;
    REQUIRE(s.save_checkpoint(saved).ok());
    Model from_run;
    REQUIRE(load_model(saved.data(), saved.size(), "saved", from_run).ok());
    CHECK(from_run.weights == model.weights);
  };
  std::vector<float> l1, l2, a1, a2;
  Model m1, m2;
  run(false, l1, a1, m1);
  run(true, l2, a2, m2);
  REQUIRE(l1.size() == 240);
  CHECK(l1 == l2);
  CHECK(a1 == a2);
  CHECK(m1.weights == m2.weights);
  CHECK(m1.biases == m2.biases);
}

TEST_CASE("session: pause and resume reach a run on its own thread; Reset stops it mid-run") {
  FakeServer server = good_server();
  Session s;
  s.own_thread = true;
  server.attach(s);
  REQUIRE(s.apply_query("data=mem&sizes=784,300,10&epochs=1000&batch=50").ok());
  s.start();
  double now = 0;
  REQUIRE(frames_until(s, now, [&] { return s.run()->metrics.batches_done >= 3; }));
  CHECK(contains(s.status_json(), "\"trainerNote\":\"training on its own thread\""));
  const auto t0 = std::chrono::steady_clock::now();
  s.pause();
  REQUIRE(frames_until(s, now, [&] { return s.phase() == Phase::Paused; }));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("pause answered in " << ms << " ms (timed by the page's e2e test, not here)");
  s.resume();
  REQUIRE(frames_until(s, now, [&] { return s.phase() == Phase::Training; }));
  // Slow frames (20 fps) make the run's thread rest, up to 90% of its time; it still trains.
  for (int i = 0; i < 100; ++i) s.tick(now += 0.05);
  CHECK(s.run_rest == doctest::Approx(0.9));
  const long long rested_from = s.run()->metrics.batches_done;
  CHECK(frames_until(s, now, [&] { return s.run()->metrics.batches_done > rested_from; }));
  // Fast ones (60 fps) give it back.
  for (int i = 0; i < 100; ++i) s.tick(now += 1.0 / 60);
  CHECK(s.run_rest == 0);
  s.reset();  // joins the run's thread mid-run
  CHECK_FALSE(s.run());
  CHECK(s.phase() == Phase::Idle);
  s.start();  // and a new run starts
  CHECK(frames_until(s, now, [&] { return s.run()->metrics.batches_done >= 1; }));
}

TEST_CASE("draw pad: MNIST-style preprocessing fits a 20x20 box centred by mass") {
  const int w = 112, h = 112;
  std::vector<float> canvas(size_t(w) * h, 0.0f);
  CHECK(mnist_preprocess(canvas, w, h) == std::vector<float>(784, 0.0f));
  // A tall bar in the top-left corner of the canvas.
  paint_stroke(canvas, w, h, 15, 10, 15, 60, 4);
  std::vector<float> d = mnist_preprocess(canvas, w, h);
  int x0 = 28, x1 = -1, y0 = 28, y1 = -1;
  double m = 0, mx = 0, my = 0;
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) {
      float v = d[size_t(y) * 28 + x];
      CHECK(v >= 0.0f);
      CHECK(v <= 1.0f);
      if (v > 0.02f) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
      m += v, mx += v * (x + 0.5), my += v * (y + 0.5);
    }
  CHECK(y1 - y0 + 1 == doctest::Approx(20).epsilon(0.1));  // the long side becomes 20 px
  CHECK(x1 - x0 + 1 < 8);                                   // the aspect ratio is kept
  CHECK(mx / m == doctest::Approx(14).epsilon(0.05));      // centre of mass in the middle
  CHECK(my / m == doctest::Approx(14).epsilon(0.05));
}

TEST_CASE("params: the CLI, the URL and the panel give one verdict on one value") {
  // The CLI passes --name VALUE to set_param; the page's URL goes through
  // Session::apply_query; the panel's number widgets call set_param_value.
  struct Case {
    const char* name;
    const char* value;
    bool good;
  };
  const Case cases[] = {
      {"seed", "0", true},          {"seed", "4294967295", true}, {"seed", "-1", false},
      {"seed", "4294967296", false}, {"momentum", "0", true},     {"momentum", "0.99", true},
      {"momentum", "1", false},     {"momentum", "-0.1", false}, {"eta", "1e-6", true},
      {"eta", "0", false},          {"eta", "-1", false},        {"eta", "nan", false},
      {"batch", "1", true},         {"batch", "0", false},       {"batch", "1048577", false},
      {"epochs", "100000", true},   {"epochs", "0", false},      {"epochs", "1.5", false},
      {"validation", "-1", true},   {"validation", "0", true},   {"validation", "-2", false},
      {"lambda", "0", true},        {"lambda", "-1", false},     {"cost", "cross-entropy", true},
      {"cost", "hinge", false},     {"sizes", "784,30,10", true}, {"sizes", "784,,10", false},
      {"sizes", "784", false},      {"init", "scaled", true},    {"activation", "softmax", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CAPTURE(c.value);
    TrainConfig cli;
    CHECK(set_param(cli, c.name, c.value).ok() == c.good);
    Session page;
    CHECK(page.apply_query(std::string(c.name) + "=" + c.value).ok() == c.good);
    const Param* p = find_param(c.name);
    REQUIRE(p);
    char* end = nullptr;
    const double v = std::strtod(c.value, &end);
    if ((p->kind == Param::kInt || p->kind == Param::kFloat) && *end == '\0') {
      TrainConfig panel;
      CHECK(set_param_value(panel, *p, v).ok() == c.good);
      if (c.good) CHECK(param_text(panel, *p) == param_text(cli, *p));
    }
    if (c.good) CHECK(param_text(page.cfg, *p) == param_text(cli, *p));
    // A refused value changes nothing.
    if (!c.good) CHECK(param_text(cli, *p) == param_default(*p));
  }
}

TEST_CASE("params: the status JSON lists every parameter of the table") {
  Session s;
  REQUIRE(s.apply_query("preset=ch3-l2&seed=7").ok());
  const std::string json = s.status_json();
  for (const Param& p : params()) {
    CAPTURE(p.name);
    CHECK(contains(json, "\"" + std::string(p.name) + "\":\"" + param_text(s.cfg, p) + "\""));
  }
  CHECK(contains(json, "\"lambda\":\"5\""));
  CHECK(contains(json, "\"seed\":\"7\""));
  CHECK(contains(json, "\"net\":\"784-fc100-sigmoid-fc10-sigmoid\""));
}

TEST_CASE("params: every entry has help, a default that passes its own check, and presets apply") {
  for (const Param& p : params()) {
    CAPTURE(p.name);
    CHECK(std::string(p.help).size() > 10);
    TrainConfig c;
    CHECK(set_param(c, p.name, param_default(p)).ok());
  }
  CHECK(validate(TrainConfig{}).ok());
  for (const Preset& pr : presets()) {
    CAPTURE(pr.id);
    TrainConfig c;
    c.seed = 99;
    REQUIRE(apply_preset(c, pr.id).ok());
    CHECK(validate(c).ok());
    CHECK(c.seed == 1);  // a preset starts from the defaults
    CHECK(pr.book_percent > 90);
  }
  TrainConfig c;
  CHECK(!apply_preset(c, "ch9").ok());
  Session s;
  REQUIRE(s.apply_query("preset=ch3-l2&epochs=3").ok());
  CHECK(s.cfg.lambda == doctest::Approx(5));
  CHECK(s.cfg.net.sizes() == std::vector<int>{784, 100, 10});
  CHECK(s.cfg.epochs == 3);
}

TEST_CASE("status JSON: how the front end shows the session (layout, density, canvas, scroll, modal)") {
  Session s;
  CHECK(contains(s.status_json(), "\"layout\":\"wide\",\"dpr\":1,\"canvasWidth\":0,\"canvasHeight\":0,"
                                  "\"scroll\":{},\"modal\":\"\",\"widgets\":{}"));
  s.view.layout = "narrow";
  s.view.scale = 3;
  s.view.framebuffer[0] = 1170;
  s.view.framebuffer[1] = 2532;
  s.view.scroll = {{"nnlab", 225.5f}};
  s.view.modal = "Drop the trained model?";
  s.view.widgets = {{"Reset", {8, 700, 50.5f, 22}}, {"Start", {1, 2, 3, 4}}};
  CHECK(contains(s.status_json(), "\"layout\":\"narrow\",\"dpr\":3,\"canvasWidth\":1170,\"canvasHeight\":2532,"
                                  "\"scroll\":{\"nnlab\":225.5},\"modal\":\"Drop the trained model?\","
                                  "\"widgets\":{\"Reset\":[8,700,50.5,22],\"Start\":[1,2,3,4]}"));
}

TEST_CASE("session: the confusion matrix stays until a newer model's is complete") {
  // A net big enough that one frame predicts only part of the 200 test images, so
  // the panels below the matrix would jump if it were cleared while they come in.
  FakeServer server = good_server();
  Session s;
  server.attach(s);
  REQUIRE(s.apply_query("data=mem&sizes=784,1500,10&epochs=1&batch=50").ok());
  s.start();
  double now = 0;
  REQUIRE(frames_until(s, now, [&] { return s.phase() == Phase::Done && s.predictions_next == 200; }));
  const std::vector<int> first = s.confusion;
  const std::string first_model = s.confusion_model;
  REQUIRE(first.size() == 100);
  CHECK(first_model == s.model_label);
  std::vector<uint8_t> saved;
  REQUIRE(s.save_checkpoint(saved).ok());
  REQUIRE(s.load_checkpoint(saved.data(), saved.size(), "again.nnlb").ok());
  s.tick(now += 0.03);
  REQUIRE(s.predictions_next > 0);
  REQUIRE(s.predictions_next < 200);  // part way through the new model's predictions
  CHECK(s.confusion == first);
  CHECK(s.confusion_model == first_model);
  CHECK(contains(s.status_json(), "\"matrixModel\":\"" + first_model + "\""));
  REQUIRE(frames_until(s, now, [&] { return s.predictions_next == 200; }));
  CHECK(s.confusion_model == s.model_label);
  CHECK(s.confusion == first);  // the same parameters: the same predictions
}
