// The GL backend has no conv, pool or dropout ops yet: a network with one is
// refused when it is built, with a message naming the layer, and never crashes.
#include <doctest.h>

#include "gl_backend.h"
#include "gl_skip.h"
#include "net.h"

using namespace nnlab;

TEST_CASE("gl: a net with a conv, pool or dropout layer is refused cleanly, naming the layer") {
  struct Case {
    const char* net;
    const char* message;
  };
  for (Case c : {Case{"784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax",
                      "net: layer 1 (conv20x5) cannot run on "},
                 Case{"784-pool2-fc10-softmax", "net: layer 1 (pool2) cannot run on "},
                 Case{"784-fc30-relu-dropout0.5-fc10-softmax", "net: layer 3 (dropout0.5) cannot run on "}}) {
    CAPTURE(c.net);
    Status why;
    std::unique_ptr<Backend> gl = make_gl_backend(why);
    if (!gl) {
      testing::skip_or_fail(why);
      return;
    }
    NetConfig n;
    REQUIRE(parse_net(c.net, n).ok());
    Net net(n, std::move(gl), 10);
    REQUIRE_FALSE(net.status().ok());
    CHECK(net.status().message.find(c.message) == 0);
    CHECK(net.status().message.find("this backend has no ") != std::string::npos);
    CHECK(net.parameters().weights.empty());  // inference on a refused net does nothing, safely
    CHECK(net.predict(std::vector<float>(784).data(), 1).empty());
  }
}
