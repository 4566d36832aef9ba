// Tests for models/mnist_cnn.h: every block variant gives [B, 10] logits and its attention, the block's parameters are
// registered by name, a few Adam steps on one batch fit it (loss falls), bad options and inputs are clear errors.
#include <doctest/doctest.h>

#include "autograd/ops_loss.h"
#include "models/mnist_cnn.h"
#include "optim/adam.h"
#include "tensor/random.h"

using namespace glimpse;

TEST_CASE("mnist cnn: each block variant gives logits and its attention map") {
  manual_seed(0);
  Variable x(rand({3, 1, 28, 28}));
  for (const char* block : {"none", "se", "spatial", "nonlocal"}) {
    INFO(block);
    models::MnistCnn net({.block = block});
    auto out = net.forward(x);
    CHECK(out.logits.shape() == Shape{3, 10});
    const std::string b = block;
    if (b == "spatial") CHECK(out.map.shape() == Shape{3, 1, 14, 14});
    if (b == "nonlocal") CHECK(out.map.shape() == Shape{3, 49, 49});
    if (b == "none" || b == "se") CHECK(!out.map.defined());
    bool found = b == "none";
    for (const auto& [name, _] : net.named_parameters()) found = found || name.rfind(b + ".", 0) == 0;
    CHECK(found);
  }
}

TEST_CASE("mnist cnn: a few Adam steps fit one batch") {
  manual_seed(1);
  models::MnistCnn net({.block = "spatial", .dropout = 0.0});
  Variable x(rand({8, 1, 28, 28}));
  Tensor y = randint(0, 10, {8});
  optim::Adam opt(net.parameters(), {.lr = 1e-2});
  double first = 0, last = 0;
  for (int i = 0; i < 15; ++i) {
    Variable loss = cross_entropy(net.forward(x).logits, y);
    if (i == 0) first = loss.item();
    last = loss.item();
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  CHECK(last < 0.5 * first);
}

TEST_CASE("mnist cnn: an unknown block or a wrong image size is a clear error") {
  CHECK_THROWS_WITH_AS(models::MnistCnn({.block = "cbam"}), doctest::Contains("none, se, spatial or nonlocal"), Error);
  models::MnistCnn net;
  CHECK_THROWS_WITH_AS(net.forward(Variable(zeros({2, 1, 32, 32}))), doctest::Contains("[B, 1, 28, 28]"), Error);
}
