// Tests for nn/conv2d: PyTorch's names, shapes and initialisation, values and gradients against PyTorch (groups,
// stride, padding, dilation; no bias), a float64 gradcheck of the input and both parameters, repr, errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "nn/conv2d.h"
#include "nn/helpers.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("conv2d") {
  TEST_CASE("weight [OC, C / groups, kh, kw] and bias [OC], named as torch.nn.Conv2d") {
    nn::Conv2d conv(4, 6, {3, 2}, {.groups = 2});
    auto params = conv.named_parameters();
    REQUIRE(params.size() == 2);
    CHECK(params[0].first == "weight");
    CHECK(params[1].first == "bias");
    CHECK(conv.weight.shape() == Shape{6, 2, 3, 2});
    CHECK(conv.bias.shape() == Shape{6});
    nn::Conv2d plain(3, 5, {3, 3}, {.bias = false});
    CHECK(plain.named_parameters().size() == 1);
  }

  TEST_CASE("default initialisation: weight and bias in U(-1/sqrt(fan_in), 1/sqrt(fan_in))") {
    manual_seed(0);
    nn::Conv2d conv(8, 32, {3, 3}, {.groups = 2});
    const double bound = 1.0 / std::sqrt(4.0 * 9.0);
    auto w = conv.weight.data().tolist(), b = conv.bias.data().tolist();
    const double wmax = std::abs(*std::max_element(w.begin(), w.end(), [](double a, double c) {
      return std::abs(a) < std::abs(c);
    }));
    CHECK(wmax <= bound);
    CHECK(wmax > 0.95 * bound);
    for (double v : b) CHECK(std::abs(v) <= bound);
  }

  TEST_CASE("matches PyTorch: stride, padding, dilation and groups") {
    NamedTensors ref = load_reference("conv2d");
    nn::Conv2d conv(4, 6, {3, 2}, {.stride = {2, 1}, .padding = {1, 2}, .dilation = {2, 1}, .groups = 2});
    conv.load_state_dict(reference_weights(ref, conv));
    Variable x(ref.at("in.x").clone(), true);
    Variable y = conv.forward(x);
    CHECK(close(y.data(), ref.at("out.y")));
    y.backward(ref.at("w.y"));
    CHECK(close(x.grad(), ref.at("grad.x")));
    CHECK(close(conv.weight.grad(), ref.at("grad.weight"), 1e-5, 1e-5));
    CHECK(close(conv.bias.grad(), ref.at("grad.bias"), 1e-5, 1e-5));
  }

  TEST_CASE("matches PyTorch: no bias, odd sizes") {
    NamedTensors ref = load_reference("conv2d_nobias");
    nn::Conv2d conv(3, 5, {3, 3}, {.bias = false});
    conv.load_state_dict(reference_weights(ref, conv));
    Variable x(ref.at("in.x").clone(), true);
    Variable y = conv.forward(x);
    CHECK(close(y.data(), ref.at("out.y")));
    y.backward(ref.at("w.y"));
    CHECK(close(x.grad(), ref.at("grad.x")));
    CHECK(close(conv.weight.grad(), ref.at("grad.weight"), 1e-5, 1e-5));
  }

  TEST_CASE("gradcheck of input, weight and bias in float64") {
    nn::Conv2d conv(4, 6, {2, 3}, {.stride = {2, 1}, .padding = {1, 1}, .dilation = {1, 2}, .groups = 2});
    conv.to(kFloat64);
    Generator gen(3);
    Variable x(randn({2, 4, 5, 7}, kFloat64, gen), true);
    CHECK(module_gradcheck(conv, [&](const auto& in) { return conv.forward(in[0]); }, {x}) == "");
  }

  TEST_CASE("repr names the settings") {
    nn::Conv2d conv(1, 16, {3, 3}, {.padding = {1, 1}, .groups = 1, .bias = false});
    CHECK(conv.extra_repr() == "1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False");
  }

  TEST_CASE("errors: channels not divisible by groups, wrong input channels, empty output") {
    CHECK_THROWS_WITH_AS(nn::Conv2d(3, 4, {3, 3}, {.groups = 2}), doctest::Contains("divisible by groups"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::Conv2d(0, 4, {3, 3}), doctest::Contains("positive"), glimpse::Error);
    nn::Conv2d conv(3, 4, {5, 5});
    CHECK_THROWS_WITH_AS(conv.forward(Variable(zeros({1, 2, 8, 8}))), doctest::Contains("[N, 3, H, W]"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(conv.forward(Variable(zeros({1, 3, 4, 8}))), doctest::Contains("too small"),
                         glimpse::Error);
  }
}
