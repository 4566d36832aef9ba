// Tests for nn/squeeze_excitation: names and sizes, values and gradients against a PyTorch implementation of the
// formula, a float64 gradcheck, errors.
#include <doctest/doctest.h>

#include "nn/helpers.h"
#include "nn/squeeze_excitation.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("squeeze_excitation") {
  TEST_CASE("fc1 [C / ratio, C] and fc2 [C, C / ratio], at least one hidden unit") {
    nn::SqueezeExcitation se(8, 4);
    CHECK(se.fc1.weight.shape() == Shape{2, 8});
    CHECK(se.fc2.weight.shape() == Shape{8, 2});
    CHECK(se.named_parameters()[0].first == "fc1.weight");
    CHECK(nn::SqueezeExcitation(3, 16).squeeze == 1);
  }

  TEST_CASE("matches PyTorch: output and gradients") {
    NamedTensors ref = load_reference("squeeze_excitation");
    nn::SqueezeExcitation se(8, 4);
    se.load_state_dict(reference_weights(ref, se));
    Variable x(ref.at("in.x").clone(), true);
    Variable y = se.forward(x);
    CHECK(close(y.data(), ref.at("out.y")));
    y.backward(ref.at("w.y"));
    CHECK(close(x.grad(), ref.at("grad.x")));
    CHECK(close(se.fc1.weight.grad(), ref.at("grad.fc1.weight"), 1e-5, 1e-5));
    CHECK(close(se.fc2.bias.grad(), ref.at("grad.fc2.bias"), 1e-5, 1e-5));
    // The channel weights lie in (0, 1) and scale whole channels.
    for (double a : se.channel_weights(Variable(ref.at("in.x"))).data().tolist()) CHECK((a > 0 && a < 1));
  }

  TEST_CASE("gradcheck in float64") {
    nn::SqueezeExcitation se(4, 2);
    se.to(kFloat64);
    Generator gen(1);
    Variable x(randn({2, 4, 3, 2}, kFloat64, gen), true);
    CHECK(module_gradcheck(se, [&](const auto& in) { return se.forward(in[0]); }, {x}) == "");
  }

  TEST_CASE("errors name the block") {
    nn::SqueezeExcitation se(4, 2);
    CHECK_THROWS_WITH_AS(se.forward(Variable(zeros({1, 3, 2, 2}))), doctest::Contains("SqueezeExcitation"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::SqueezeExcitation(4, 0), doctest::Contains("ratio"), glimpse::Error);
  }
}
