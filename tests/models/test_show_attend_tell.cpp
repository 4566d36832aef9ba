// Tests for models/show_attend_tell.h: grid and logits shapes, attention weights that sum to 1 over the grid, greedy
// decoding agrees with teacher forcing fed its own tokens, gradients reach the encoder, errors.
#include <doctest/doctest.h>

#include "autograd/grad_mode.h"
#include "autograd/ops_reduce.h"
#include "models/show_attend_tell.h"
#include "tensor/elementwise.h"
#include "tensor/indexing.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;

namespace {
const models::ShowAttendTellOptions kSmall{.image_height = 16, .image_width = 32, .vocab_size = 6, .channels1 = 4,
                                           .channels2 = 4, .channels3 = 8, .embed_dim = 4, .hidden_dim = 8,
                                           .attention_dim = 6};
}

TEST_CASE("show attend tell: grid, logits and attention over the grid") {
  manual_seed(0);
  models::ShowAttendTell net(kSmall);
  Variable x(rand({2, 1, 16, 32}));
  CHECK(net.encode(x).shape() == Shape{2, 8, 8});  // 2x4 cells of 8 features
  auto out = net.forward(x, randint(0, 6, {2, 3}));
  CHECK(out.logits.shape() == Shape{2, 3, 6});
  CHECK(out.weights.shape() == Shape{2, 3, 8});
  for (double s : sum(out.weights.data(), {-1}).tolist()) CHECK(s == doctest::Approx(1.0).epsilon(1e-5));
  sum(out.logits).backward();
  CHECK(net.conv1.weight.grad().defined());
  CHECK(net.pos.grad().defined());
}

TEST_CASE("show attend tell: greedy decoding equals teacher forcing on its own tokens") {
  manual_seed(1);
  models::ShowAttendTell net(kSmall);
  net.eval();
  Variable x(rand({3, 1, 16, 32}));
  auto g = net.greedy(x, /*bos=*/5, 3);
  CHECK(g.tokens.shape() == Shape{3, 3});
  CHECK(g.weights.shape() == Shape{3, 3, 8});
  NoGradGuard no_grad;
  Tensor inputs = cat({full({3, 1}, 5, kInt64), g.tokens.narrow(1, 0, 2)}, 1);
  auto tf = net.forward(x, inputs);
  CHECK(equal(argmax(tf.logits.data(), 2), g.tokens));
  CHECK(allclose(tf.weights.data(), g.weights, 1e-5, 1e-6));
}

TEST_CASE("show attend tell: sizes not multiples of 8 and wrong inputs are clear errors") {
  CHECK_THROWS_WITH_AS(models::ShowAttendTell({.image_height = 20}), doctest::Contains("multiples of 8"), Error);
  models::ShowAttendTell net(kSmall);
  CHECK_THROWS_WITH_AS(net.encode(Variable(zeros({1, 1, 16, 16}))), doctest::Contains("[B, 1, 16, 32]"), Error);
  CHECK_THROWS_WITH_AS(net.forward(Variable(zeros({2, 1, 16, 32})), zeros({3, 2}, kInt64)),
                       doctest::Contains("[B, T]"), Error);
}
