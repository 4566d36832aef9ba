// Tests for nn/non_local_block: names, the identity at initialisation, output and [H·W, H·W] weights against a PyTorch
// implementation, gradcheck, errors.
#include <doctest/doctest.h>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/helpers.h"
#include "nn/non_local_block.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("non_local_block") {
  TEST_CASE("four 1x1 convolutions, inter_channels C / 2, and the identity at initialisation") {
    nn::NonLocalBlock nl(4);
    CHECK(nl.inter_channels == 2);
    CHECK(nl.theta.weight.shape() == Shape{2, 4, 1, 1});
    CHECK(nl.W.weight.shape() == Shape{4, 2, 1, 1});
    Variable x(randn({2, 4, 3, 3}));
    CHECK(equal(nl.forward(x).output.data(), x.data()));
    CHECK(!nl.forward(x).weights.defined());
  }

  TEST_CASE("matches PyTorch: output, weights and gradients") {
    NamedTensors ref = load_reference("non_local_block");
    nn::NonLocalBlock nl(4, 2);
    nl.load_state_dict(reference_weights(ref, nl));
    Variable x(ref.at("in.x").clone(), true);
    auto [y, weights] = nl.forward(x, /*need_weights=*/true);
    CHECK(weights.shape() == Shape{2, 15, 15});
    CHECK(close(y.data(), ref.at("out.y")));
    CHECK(close(weights.data(), ref.at("out.weights")));
    (sum(y * Variable(ref.at("w.y"))) + sum(weights * Variable(ref.at("w.weights")))).backward();
    CHECK(close(x.grad(), ref.at("grad.x"), 1e-5, 1e-5));
    CHECK(close(nl.theta.weight.grad(), ref.at("grad.theta.weight"), 1e-4, 1e-5));
    CHECK(close(nl.W.weight.grad(), ref.at("grad.W.weight"), 1e-5, 1e-5));
  }

  TEST_CASE("gradcheck in float64 with a non-zero output projection") {
    nn::NonLocalBlock nl(3, 2);
    nl.to(kFloat64);
    Generator gen(4);
    assign(nl.W.weight, randn({3, 2, 1, 1}, kFloat64, gen));
    Variable x(randn({2, 3, 2, 3}, kFloat64, gen), true);
    CHECK(module_gradcheck(nl, [&](const auto& in) { return nl.forward(in[0]).output; }, {x}) == "");
  }

  TEST_CASE("errors name the block") {
    nn::NonLocalBlock nl(4);
    CHECK_THROWS_WITH_AS(nl.forward(Variable(zeros({1, 5, 2, 2}))), doctest::Contains("NonLocalBlock"),
                         glimpse::Error);
  }
}
