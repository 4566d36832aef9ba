// Tests for nn/layer_norm: names, ones/zeros init, values by hand, gradients, repr, errors, PyTorch reference.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/helpers.h"
#include "nn/layer_norm.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("layer_norm") {
  TEST_CASE("weight (ones) and bias (zeros) of normalized_shape, named as PyTorch") {
    nn::LayerNorm ln({3, 4});
    auto params = ln.named_parameters();
    REQUIRE(params.size() == 2);
    CHECK(params[0].first == "weight");
    CHECK(params[1].first == "bias");
    CHECK(ln.weight.data().tolist() == std::vector<double>(12, 1.0));
    CHECK(ln.bias.data().tolist() == std::vector<double>(12, 0.0));
    CHECK(ln.eps == 1e-5);
    nn::LayerNorm plain(4, 1e-5, false);
    CHECK(plain.named_parameters().empty());
  }

  TEST_CASE("bias = false learns the weight alone (nanoGPT's LayerNorm)") {
    nn::LayerNorm ln(4, 1e-5, true, /*bias=*/false);
    auto params = ln.named_parameters();
    REQUIRE(params.size() == 1);
    CHECK(params[0].first == "weight");
    CHECK(!ln.bias.defined());
    CHECK(ln.repr().find("elementwise_affine=True, bias=False") != std::string::npos);
    assign(ln.weight, tensor({1, 2, 1, -1}, {4}));
    Variable y = ln.forward(Variable(tensor({1, 2, 3, 4}, {1, 4})));
    const double s = std::sqrt(1.25 + 1e-5);
    CHECK(close(y.data(), tensor({-1.5 / s, -1.0 / s, 0.5 / s, -1.5 / s}, {1, 4})));
    ln.to(kFloat64);
    Variable x(randn({2, 4}, kFloat64), true);
    CHECK(module_gradcheck(ln, [&](const std::vector<Variable>& in) { return ln.forward(in[0]); }, {x}) == "");
  }

  TEST_CASE("values by hand, with and without the affine part, on a transposed view") {
    // Row [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
    const double s = std::sqrt(1.25 + 1e-5);
    nn::LayerNorm ln(4);
    assign(ln.weight, tensor({1, 2, 1, -1}, {4}));
    assign(ln.bias, tensor({0, 0, 1, 0.5}, {4}));
    Variable x(tensor({1, 2, 3, 4, 4, 3, 2, 1}, {2, 4}));
    Variable y = ln.forward(x);
    const std::vector<double> expect{-1.5 / s, 2 * -0.5 / s, 0.5 / s + 1, -1.5 / s + 0.5,
                                     1.5 / s,  2 * 0.5 / s,  -0.5 / s + 1, 1.5 / s + 0.5};
    CHECK(close(y.data(), tensor(expect, {2, 4})));
    Variable xt(tensor({1, 4, 2, 3, 3, 2, 4, 1}, {4, 2}).t());  // the same rows, as a transposed view
    CHECK(close(ln.forward(xt).data(), tensor(expect, {2, 4})));
    nn::LayerNorm plain(4, 1e-5, false);
    CHECK(close(plain.forward(x).data().select(0, 0), tensor({-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s}, {4})));
    CHECK(ln.forward(Variable(zeros({0, 4}))).shape() == Shape{0, 4});
  }

  TEST_CASE("gradcheck w.r.t. the input, weight and bias (float64)") {
    manual_seed(3);
    nn::LayerNorm ln({2, 3});
    ln.to(kFloat64);
    assign(ln.weight, randn({2, 3}, kFloat64));
    assign(ln.bias, randn({2, 3}, kFloat64));
    Variable x(randn({4, 2, 3}, kFloat64), true);
    CHECK(module_gradcheck(ln, [&](const std::vector<Variable>& in) { return ln.forward(in[0]); }, {x}) == "");
  }

  TEST_CASE("repr as PyTorch") {
    CHECK(nn::LayerNorm(4).extra_repr() == "(4,), eps=1e-05, elementwise_affine=True");
    CHECK(nn::LayerNorm({3, 4}, 1e-6, false).extra_repr() == "(3, 4), eps=1e-06, elementwise_affine=False");
  }

  TEST_CASE("errors") {
    nn::LayerNorm ln({3, 4});
    CHECK_THROWS_WITH_AS(ln.forward(Variable(zeros({2, 4, 3}))), doctest::Contains("LayerNorm"), glimpse::Error);
    CHECK_THROWS_WITH_AS(ln.forward(Variable(zeros({4}))), doctest::Contains("LayerNorm"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::LayerNorm(Shape{}), doctest::Contains("LayerNorm"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::LayerNorm(4, -1.0), doctest::Contains("eps"), glimpse::Error);
  }

  TEST_CASE("matches PyTorch: outputs and gradients") {
    NamedTensors ref = load_reference("layer_norm");
    nn::LayerNorm ln({3, 4});
    ln.load_state_dict(reference_weights(ref, ln));
    Variable x(ref.at("in.x").clone(), true);
    Variable y = ln.forward(x);
    CHECK(close(y.data(), ref.at("out.y")));
    y.backward(ref.at("w.y"));
    CHECK(close(x.grad(), ref.at("grad.x")));
    CHECK(close(ln.weight.grad(), ref.at("grad.weight")));
    CHECK(close(ln.bias.grad(), ref.at("grad.bias")));
  }
}
