// Tests for nn/activation: values by hand, gradients, repr, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "nn/activation.h"
#include "nn/helpers.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("activation") {
  TEST_CASE("values by hand") {
    Variable x(tensor({-1, 0, 2}, {3}));
    CHECK(nn::ReLU().forward(x).data().tolist() == std::vector<double>{0, 0, 2});
    CHECK(close(nn::Tanh().forward(x).data(), tensor({std::tanh(-1.0), 0.0, std::tanh(2.0)}, {3})));
    CHECK(close(nn::Sigmoid().forward(x).data(),
                tensor({1 / (1 + std::exp(1.0)), 0.5, 1 / (1 + std::exp(-2.0))}, {3})));
    // GELU: x Φ(x) with Φ(x) = (1 + erf(x / √2)) / 2; "tanh": x/2 (1 + tanh(√(2/π) (x + 0.044715 x³)))
    auto exact = [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); };
    auto approx = [](double v) {
      return 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
    };
    CHECK(close(nn::GELU().forward(x).data(), tensor({exact(-1), 0.0, exact(2)}, {3})));
    CHECK(close(nn::GELU("tanh").forward(x).data(), tensor({approx(-1), 0.0, approx(2)}, {3})));
    // Softmax of [[0, ln 2], [ln 3, 0]] (exp: [[1, 2], [3, 1]]) over dim 1: [1/3, 2/3], [3/4, 1/4]; over dim 0 the
    // columns [1, 3] and [2, 1] give [1/4, 3/4] and [2/3, 1/3].
    Variable s(tensor({0, std::log(2.0), std::log(3.0), 0}, {2, 2}));
    CHECK(close(nn::Softmax(1).forward(s).data(), tensor({1 / 3.0, 2 / 3.0, 0.75, 0.25}, {2, 2})));
    CHECK(close(nn::Softmax(-1).forward(s).data(), tensor({1 / 3.0, 2 / 3.0, 0.75, 0.25}, {2, 2})));
    CHECK(close(nn::Softmax(0).forward(s).data(), tensor({0.25, 2 / 3.0, 0.75, 1 / 3.0}, {2, 2})));
  }

  TEST_CASE("gradients (float64)") {
    manual_seed(2);
    Variable x(randn({3, 4}, kFloat64), true);
    nn::Tanh tanh_m;
    nn::Sigmoid sigmoid_m;
    nn::GELU gelu_m, gelu_tanh("tanh");
    nn::Softmax softmax_m(1);
    nn::ReLU relu_m;
    CHECK(module_gradcheck(tanh_m, [&](const auto& in) { return tanh_m.forward(in[0]); }, {x}) == "");
    CHECK(module_gradcheck(sigmoid_m, [&](const auto& in) { return sigmoid_m.forward(in[0]); }, {x}) == "");
    CHECK(module_gradcheck(gelu_m, [&](const auto& in) { return gelu_m.forward(in[0]); }, {x}) == "");
    CHECK(module_gradcheck(gelu_tanh, [&](const auto& in) { return gelu_tanh.forward(in[0]); }, {x}) == "");
    CHECK(module_gradcheck(softmax_m, [&](const auto& in) { return softmax_m.forward(in[0]); }, {x}) == "");
    Variable away_from_kink(tensor({-2, -0.5, 0.5, 3}, {4}, kFloat64), true);
    CHECK(module_gradcheck(relu_m, [&](const auto& in) { return relu_m.forward(in[0]); }, {away_from_kink}) == "");
  }

  TEST_CASE("repr as PyTorch") {
    CHECK(nn::ReLU().repr() == "ReLU()\nparameters: 0 in 0 tensors");
    CHECK(nn::GELU().extra_repr() == "approximate='none'");
    CHECK(nn::GELU("tanh").extra_repr() == "approximate='tanh'");
    CHECK(nn::Softmax(1).extra_repr() == "dim=1");
    CHECK(nn::Tanh().type_name() == "Tanh");
    CHECK(nn::Sigmoid().type_name() == "Sigmoid");
  }

  TEST_CASE("errors") {
    CHECK_THROWS_WITH_AS(nn::GELU("fast"), doctest::Contains("GELU"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::Softmax(2).forward(Variable(zeros({2, 2}))), doctest::Contains("softmax"),
                         glimpse::Error);
  }
}
