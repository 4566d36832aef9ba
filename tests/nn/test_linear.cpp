// Tests for nn/linear: names, PyTorch's initialisation, values by hand, gradients, repr, errors, PyTorch reference.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "nn/helpers.h"
#include "nn/linear.h"

using namespace glimpse;
using namespace glimpse::nn_test;

namespace {
std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [n, _] : m.named_parameters()) out.push_back(n);
  return out;
}
}  // namespace

TEST_SUITE("linear") {
  TEST_CASE("parameters are named and shaped as torch.nn.Linear's") {
    nn::Linear fc(3, 2);
    CHECK(names_of(fc) == std::vector<std::string>{"weight", "bias"});
    CHECK(fc.weight.shape() == Shape{2, 3});
    CHECK(fc.bias.shape() == Shape{2});
    CHECK(fc.num_parameters() == 8);
    CHECK(fc.weight.requires_grad());
    nn::Linear no_bias(3, 2, false);
    CHECK(names_of(no_bias) == std::vector<std::string>{"weight"});
    CHECK(!no_bias.bias.defined());
  }

  TEST_CASE("default initialisation: weight and bias in U(-1/sqrt(in), 1/sqrt(in))") {
    manual_seed(0);
    nn::Linear fc(20, 50);
    const double bound = 1.0 / std::sqrt(20.0);
    double wmax = 0, bmax = 0;
    for (double v : fc.weight.data().tolist()) wmax = std::max(wmax, std::abs(v));
    for (double v : fc.bias.data().tolist()) bmax = std::max(bmax, std::abs(v));
    CHECK(wmax <= bound);
    CHECK(wmax > 0.95 * bound);  // 1000 draws reach the edge
    CHECK(bmax <= bound);
    CHECK(bmax > 0.5 * bound);
    nn::Linear other(20, 50);  // the generator moved on: different numbers
    CHECK(!equal(fc.weight.data(), other.weight.data()));
  }

  TEST_CASE("forward by hand, on a batch, a 3-d input and a transposed view") {
    nn::Linear fc(3, 2);
    assign(fc.weight, tensor({1, 2, 3, 4, 5, 6}, {2, 3}));
    assign(fc.bias, tensor({0.5, -1}, {2}));
    Variable x(tensor({1, 0, -1, 2, 1, 0}, {2, 3}));
    // [1, 0, -1]: 1 - 3 + 0.5 = -1.5, 4 - 6 - 1 = -3;  [2, 1, 0]: 2 + 2 + 0.5 = 4.5, 8 + 5 - 1 = 12
    CHECK(fc.forward(x).data().tolist() == std::vector<double>{-1.5, -3, 4.5, 12});
    Variable x3(tensor({1, 0, -1, 2, 1, 0}, {2, 1, 3}));
    Variable y3 = fc.forward(x3);
    CHECK(y3.shape() == Shape{2, 1, 2});
    CHECK(y3.data().tolist() == std::vector<double>{-1.5, -3, 4.5, 12});
    Variable xt(tensor({1, 2, 0, 1, -1, 0}, {3, 2}).t());  // the same rows as x, as a transposed view
    CHECK(fc.forward(xt).data().tolist() == std::vector<double>{-1.5, -3, 4.5, 12});
    nn::Linear nb(3, 2, false);
    assign(nb.weight, fc.weight.data());
    CHECK(nb.forward(x).data().tolist() == std::vector<double>{-2, -2, 4, 13});
    Variable none(zeros({0, 3}));
    CHECK(fc.forward(none).shape() == Shape{0, 2});
  }

  TEST_CASE("gradcheck w.r.t. the input and every parameter (float64)") {
    manual_seed(1);
    nn::Linear fc(4, 3);
    fc.to(kFloat64);
    Variable x(randn({2, 5, 4}, kFloat64), true);
    CHECK(module_gradcheck(fc, [&](const std::vector<Variable>& in) { return fc.forward(in[0]); }, {x}) == "");
    nn::Linear nb(4, 3, false);
    nb.to(kFloat64);
    CHECK(module_gradcheck(nb, [&](const std::vector<Variable>& in) { return nb.forward(in[0]); }, {x}) == "");
  }

  TEST_CASE("repr as PyTorch") {
    nn::Linear fc(8, 1);
    CHECK(fc.extra_repr() == "in_features=8, out_features=1, bias=True");
    CHECK(fc.repr() == "Linear(in_features=8, out_features=1, bias=True)\nparameters: 9 in 2 tensors");
    CHECK(nn::Linear(3, 2, false).extra_repr() == "in_features=3, out_features=2, bias=False");
  }

  TEST_CASE("errors") {
    nn::Linear fc(3, 2);
    CHECK_THROWS_WITH_AS(fc.forward(Variable(zeros({2, 4}))), doctest::Contains("Linear"), glimpse::Error);
    CHECK_THROWS_WITH_AS(fc.forward(Variable(zeros({2, 4}))), doctest::Contains("in_features=3"), glimpse::Error);
    CHECK_THROWS_WITH_AS(fc.forward(Variable(scalar_tensor(1.0))), doctest::Contains("Linear"), glimpse::Error);
    CHECK_THROWS_WITH_AS(fc.forward(Variable()), doctest::Contains("Linear"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::Linear(-1, 2), doctest::Contains("Linear"), glimpse::Error);
  }

  TEST_CASE("matches PyTorch: outputs and gradients") {
    NamedTensors ref = load_reference("linear");
    nn::Linear fc(4, 3);
    fc.load_state_dict(reference_weights(ref, fc));
    Variable x(ref.at("in.x").clone(), true);
    Variable y = fc.forward(x);
    CHECK(close(y.data(), ref.at("out.y")));
    y.backward(ref.at("w.y"));  // L = sum(y * w)
    CHECK(close(x.grad(), ref.at("grad.x")));
    CHECK(close(fc.weight.grad(), ref.at("grad.weight")));
    CHECK(close(fc.bias.grad(), ref.at("grad.bias")));
  }

  TEST_CASE("state_dict round trip through a file") {
    const std::string path = temp_path("linear.safetensors");
    nn::Linear a(4, 3), b(4, 3);
    a.save(path);
    b.load(path);
    CHECK(equal(a.weight.data(), b.weight.data()));
    CHECK(equal(a.bias.data(), b.bias.data()));
    nn::Linear wrong(4, 2);
    auto before = snapshot(wrong);
    CHECK_THROWS_WITH_AS(wrong.load(path), doctest::Contains("\"weight\" is [3, 4]"), glimpse::Error);
    CHECK(same_as_snapshot(wrong, before));
    std::remove(path.c_str());
  }
  TEST_CASE("regression: an int64 or wrong-dtype input names Linear and says it wants a floating-point input") {
    // Said "matmul: ... [3, 4]" (an internal weight shape) for token ids given straight to a Linear.
    nn::Linear fc(4, 3);
    CHECK_THROWS_WITH_AS(fc.forward(Variable(zeros({2, 4}, kInt64))),
                         doctest::Contains("Linear: input of shape [2, 4] is int64 but the layer's parameters are "
                                           "float32; Linear wants a floating-point input"), Error);
    CHECK_THROWS_WITH_AS(fc.forward(Variable(zeros({2, 4}, kFloat64))),
                         doctest::Contains("or the layer with to()"), Error);
    CHECK(fc.forward(Variable(zeros({2, 4}))).shape() == Shape{2, 3});
  }
}
