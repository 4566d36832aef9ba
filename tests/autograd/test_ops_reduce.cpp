// Tests for autograd/ops_reduce.cpp: every differentiable reduction against hand-computed values and gradients, a
// float64 gradcheck for each (several dims, with and without keepdim, negative dims, non-contiguous inputs), ties,
// the zero-gradient conventions (std of a constant, norm of zeros), empty inputs, and errors from the tensor layer.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

// A float64 leaf of random normal numbers (its own generator, so each test is reproducible on its own).
Variable leaf(const Shape& shape, uint64_t seed = 1) {
  Generator gen(seed);
  return Variable(randn(shape, kFloat64, gen), true);
}

// A float64 leaf that is a transposed (non-contiguous) view of random numbers: shape [b, a] for `shape` [a, b].
Variable transposed_leaf(int64_t a, int64_t b, uint64_t seed = 2) {
  Generator gen(seed);
  return Variable(randn({a, b}, kFloat64, gen).t(), true);
}

void check_values(const Tensor& t, const Shape& shape, const std::vector<double>& expected) {
  CHECK(t.shape() == shape);
  std::vector<double> got = t.tolist();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
}

Variable vec(std::initializer_list<double> v, const Shape& shape = {-1}) {
  return Variable(tensor(v, shape, kFloat64), true);
}

}  // namespace

TEST_SUITE("ops_reduce") {
  TEST_CASE("sum: values and gradient over all, one and several dims") {
    Variable x = vec({1, 2, 3, 4, 5, 6}, {2, 3});
    check_values(sum(x).data(), {}, {21});
    check_values(sum(x, {0}).data(), {3}, {5, 7, 9});
    check_values(sum(x, {-1}, true).data(), {2, 1}, {6, 15});
    check_values(sum(x, {0, 1}, true).data(), {1, 1}, {21});
    // d sum(w * sum(x, 1)) / dx: row i gets w_i everywhere.
    Variable y = sum(x, {1});
    y.backward(tensor({10, 20}, {2}, kFloat64));
    check_values(x.grad(), {2, 3}, {10, 10, 10, 20, 20, 20});
  }

  TEST_CASE("sum: gradcheck with several dims, keepdim, negative dims and a transposed input") {
    for (bool keepdim : {false, true}) {
      CHECK(gradcheck([&](const auto& in) { return sum(in[0], {0, 2}, keepdim); }, {leaf({2, 3, 4})}));
      CHECK(gradcheck([&](const auto& in) { return sum(in[0], {-1}, keepdim); }, {leaf({2, 3, 4})}));
      CHECK(gradcheck([&](const auto& in) { return sum(in[0], {}, keepdim); }, {leaf({2, 3})}));
      CHECK(gradcheck([&](const auto& in) { return sum(in[0], {0}, keepdim); }, {transposed_leaf(3, 4)}));
    }
    CHECK(gradcheck([](const auto& in) { return sum(in[0]); }, {Variable(scalar_tensor(2.0, kFloat64), true)}));
  }

  TEST_CASE("mean: values, gradient 1/count, gradcheck") {
    Variable x = vec({1, 2, 3, 4, 5, 6}, {2, 3});
    check_values(mean(x).data(), {}, {3.5});
    check_values(mean(x, {0}).data(), {3}, {2.5, 3.5, 4.5});
    mean(x, {1}, true).backward(tensor({3, 6}, {2, 1}, kFloat64));
    check_values(x.grad(), {2, 3}, {1, 1, 1, 2, 2, 2});
    for (bool keepdim : {false, true}) {
      CHECK(gradcheck([&](const auto& in) { return mean(in[0], {1, -1}, keepdim); }, {leaf({2, 3, 4})}));
      CHECK(gradcheck([&](const auto& in) { return mean(in[0], {1}, keepdim); }, {transposed_leaf(3, 4)}));
    }
  }

  TEST_CASE("amax / amin: values, ties share the gradient evenly, gradcheck") {
    Variable x = vec({1, 3, 3, 2, -1, -1}, {2, 3});
    check_values(amax(x).data(), {}, {3});
    check_values(amax(x, {1}).data(), {2}, {3, 2});
    check_values(amin(x, {1}).data(), {2}, {1, -1});
    amax(x).backward();
    check_values(x.grad(), {2, 3}, {0, 0.5, 0.5, 0, 0, 0});
    x.zero_grad();
    amin(x, {1}, true).backward(tensor({1, 4}, {2, 1}, kFloat64));
    check_values(x.grad(), {2, 3}, {1, 0, 0, 0, 2, 2});
    for (bool keepdim : {false, true}) {
      CHECK(gradcheck([&](const auto& in) { return amax(in[0], {0, 2}, keepdim); }, {leaf({3, 2, 4})}));
      CHECK(gradcheck([&](const auto& in) { return amin(in[0], {-2}, keepdim); }, {leaf({3, 2, 4})}));
      CHECK(gradcheck([&](const auto& in) { return amax(in[0], {1}, keepdim); }, {transposed_leaf(5, 3)}));
    }
  }

  TEST_CASE("max / min over everything: values, ties, gradcheck, empty input is an error") {
    Variable x = vec({4, -2, 4, 0});
    check_values(max(x).data(), {}, {4});
    check_values(min(x).data(), {}, {-2});
    max(x).backward();
    check_values(x.grad(), {4}, {0.5, 0, 0.5, 0});
    CHECK(gradcheck([](const auto& in) { return max(in[0]); }, {leaf({3, 4})}));
    CHECK(gradcheck([](const auto& in) { return min(in[0]); }, {transposed_leaf(3, 4)}));
    CHECK_THROWS_WITH_AS(max(Variable(zeros({0, 3}))), doctest::Contains("max"), glimpse::Error);
  }

  TEST_CASE("max / min along a dim: values, indices, gradient to the first of ties") {
    Variable x = vec({1, 5, 5, 7, 2, 0}, {2, 3});
    VariableValuesIndices mx = max(x, 1);
    check_values(mx.values.data(), {2}, {5, 7});
    CHECK(mx.indices.to_vector<int64_t>() == std::vector<int64_t>{1, 0});
    mx.values.backward(tensor({10, 20}, {2}, kFloat64));
    check_values(x.grad(), {2, 3}, {0, 10, 0, 20, 0, 0});

    x.zero_grad();
    VariableValuesIndices mn = min(x, 0, /*keepdim=*/true);
    check_values(mn.values.data(), {1, 3}, {1, 2, 0});
    CHECK(mn.indices.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 1});
    sum(mn.values).backward();
    check_values(x.grad(), {2, 3}, {1, 0, 0, 0, 1, 1});

    for (bool keepdim : {false, true}) {
      CHECK(gradcheck([&](const auto& in) { return max(in[0], 1, keepdim).values; }, {leaf({3, 4, 2})}));
      CHECK(gradcheck([&](const auto& in) { return min(in[0], -1, keepdim).values; }, {leaf({3, 4, 2})}));
      CHECK(gradcheck([&](const auto& in) { return max(in[0], 0, keepdim).values; }, {transposed_leaf(3, 4)}));
    }
    // A 0-d input is its own max.
    Variable s(scalar_tensor(3.0, kFloat64), true);
    max(s, 0).values.backward();
    check_values(s.grad(), {}, {1});
  }

  TEST_CASE("var / std: values, gradient 2(x - mean)/(N - c), correction, gradcheck") {
    Variable x = vec({1, 2, 3, 4});
    check_values(var(x).data(), {}, {5.0 / 3.0});
    check_values(var(x, {}, 0).data(), {}, {1.25});
    check_values(glimpse::std(x).data(), {}, {std::sqrt(5.0 / 3.0)});
    var(x).backward();
    check_values(x.grad(), {4}, {-1, -1.0 / 3.0, 1.0 / 3.0, 1});
    x.zero_grad();
    // d std / dx = (x - m) / ((N - c) std); with c = 0: (x - 2.5) / (4 sqrt(1.25))
    glimpse::std(x, {}, 0).backward();
    const double s = 4 * std::sqrt(1.25);
    check_values(x.grad(), {4}, {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s});

    Variable m = vec({1, 2, 3, 5, 5, 5}, {2, 3});
    check_values(var(m, {1}).data(), {2}, {1, 0});
    for (bool keepdim : {false, true}) {
      for (int64_t c : {0, 1}) {
        CHECK(gradcheck([&](const auto& in) { return var(in[0], {0, 2}, c, keepdim); }, {leaf({3, 2, 4})}));
        CHECK(gradcheck([&](const auto& in) { return glimpse::std(in[0], {-1}, c, keepdim); }, {leaf({3, 2, 4})}));
        CHECK(gradcheck([&](const auto& in) { return glimpse::std(in[0], {1}, c, keepdim); }, {transposed_leaf(5, 3)}));
      }
    }
  }

  TEST_CASE("std of a constant has gradient 0, not NaN (PyTorch's convention)") {
    Variable x = vec({2, 2, 2});
    glimpse::std(x).backward();
    check_values(x.grad(), {3}, {0, 0, 0});
  }

  TEST_CASE("logsumexp: values, gradient softmax, gradcheck") {
    Variable x = vec({0, std::log(3.0)});
    check_values(logsumexp(x, {0}).data(), {}, {std::log(4.0)});
    logsumexp(x, {0}).backward();
    check_values(x.grad(), {2}, {0.25, 0.75});
    // Large values do not overflow in the forward or the backward.
    Variable big = vec({1000, 1000});
    logsumexp(big, {0}).backward();
    check_values(big.grad(), {2}, {0.5, 0.5});
    for (bool keepdim : {false, true}) {
      CHECK(gradcheck([&](const auto& in) { return logsumexp(in[0], {0, 2}, keepdim); }, {leaf({3, 2, 4})}));
      CHECK(gradcheck([&](const auto& in) { return logsumexp(in[0], {-1}, keepdim); }, {transposed_leaf(3, 4)}));
    }
  }

  TEST_CASE("norm: values and gradients for p = 2, 1, inf, 3, 0") {
    Variable x = vec({3, -4});
    check_values(norm(x).data(), {}, {5});
    norm(x).backward();
    check_values(x.grad(), {2}, {0.6, -0.8});  // x / |x|
    x.zero_grad();
    check_values(norm(x, 1.0).data(), {}, {7});
    norm(x, 1.0).backward();
    check_values(x.grad(), {2}, {1, -1});  // sign(x)
    x.zero_grad();
    const double inf = std::numeric_limits<double>::infinity();
    check_values(norm(x, inf).data(), {}, {4});
    norm(x, inf).backward();
    check_values(x.grad(), {2}, {0, -1});
    x.zero_grad();
    // p = 3: y = (27 + 64)^(1/3), dy/dx = sign(x) |x|² / y²
    const double y3 = std::cbrt(91.0);
    check_values(norm(x, 3.0).data(), {}, {y3});
    norm(x, 3.0).backward();
    check_values(x.grad(), {2}, {9 / (y3 * y3), -16 / (y3 * y3)});
    x.zero_grad();
    check_values(norm(x, 0.0).data(), {}, {2});
    norm(x, 0.0).backward();
    check_values(x.grad(), {2}, {0, 0});
  }

  TEST_CASE("norm: gradcheck for several p, dims and keepdim, zero vector gives gradient 0") {
    const double inf = std::numeric_limits<double>::infinity();
    for (double p : {2.0, 1.0, 3.0, 1.5, 0.5, inf, -inf}) {
      for (bool keepdim : {false, true}) {
        CAPTURE(p);
        CHECK(gradcheck([&](const auto& in) { return norm(in[0], p, {0, 2}, keepdim); }, {leaf({3, 2, 4})}));
        CHECK(gradcheck([&](const auto& in) { return norm(in[0], p, {1}, keepdim); }, {transposed_leaf(3, 4)}));
      }
    }
    Variable z(zeros({3}, kFloat64), true);
    norm(z).backward();
    check_values(z.grad(), {3}, {0, 0, 0});
  }

  TEST_CASE("softmax / log_softmax: values, gradients, gradcheck along each dim") {
    Variable x = vec({0, std::log(3.0)});
    check_values(softmax(x, 0).data(), {2}, {0.25, 0.75});
    check_values(log_softmax(x, 0).data(), {2}, {std::log(0.25), std::log(0.75)});
    // d softmax_0 / dx = y0 (δ - y) = [0.25 * 0.75, -0.25 * 0.75]
    softmax(x, 0).backward(tensor({1, 0}, {2}, kFloat64));
    check_values(x.grad(), {2}, {0.1875, -0.1875});
    x.zero_grad();
    // d log_softmax_0 / dx = δ - y = [0.75, -0.75]
    log_softmax(x, 0).backward(tensor({1, 0}, {2}, kFloat64));
    check_values(x.grad(), {2}, {0.75, -0.75});
    for (int64_t dim : {0, 1, -1}) {
      CHECK(gradcheck([&](const auto& in) { return softmax(in[0], dim); }, {leaf({3, 4, 2})}));
      CHECK(gradcheck([&](const auto& in) { return log_softmax(in[0], dim); }, {leaf({3, 4, 2})}));
      CHECK(gradcheck([&](const auto& in) { return softmax(in[0], dim); }, {transposed_leaf(5, 3)}));
      CHECK(gradcheck([&](const auto& in) { return log_softmax(in[0], dim); }, {transposed_leaf(5, 3)}));
    }
  }

  TEST_CASE("reductions chain with elementwise ops and broadcasting (a layer-norm-like graph)") {
    // (x - mean(x, -1)) / std(x, -1) * w, with w broadcast over rows
    CHECK(gradcheck(
        [](const auto& in) {
          Variable c = in[0] - mean(in[0], {-1}, true);
          return c / glimpse::std(in[0], {-1}, 0, true) * in[1];
        },
        {leaf({3, 4}), leaf({4}, 7)}));
  }

  TEST_CASE("float32 inputs give float32 gradients") {
    Variable x(tensor({1, 2, 3, 4}, {2, 2}), true);
    sum(softmax(x, 1) * Variable(tensor({1, 2, 3, 4}, {2, 2}))).backward();
    CHECK(x.grad().dtype() == kFloat32);
    CHECK(x.grad().shape() == Shape{2, 2});
  }

  TEST_CASE("empty inputs: sums of nothing are 0 and gradients have the input's shape") {
    Variable x(zeros({0, 3}, kFloat64), true);
    Variable s = sum(x, {0});
    check_values(s.data(), {3}, {0, 0, 0});
    s.backward(ones({3}, kFloat64));
    CHECK(x.grad().shape() == Shape{0, 3});
    Variable y(zeros({0, 3}, kFloat64), true);
    sum(softmax(y, 1)).backward();
    CHECK(y.grad().shape() == Shape{0, 3});
    Variable z(zeros({0, 3}, kFloat64), true);
    sum(mean(z, {1})).backward();
    CHECK(z.grad().shape() == Shape{0, 3});
  }

  TEST_CASE("errors from the tensor layer propagate as glimpse::Error naming the op") {
    Variable x = leaf({2, 3});
    CHECK_THROWS_WITH_AS(sum(x, {2}), doctest::Contains("sum"), glimpse::Error);
    CHECK_THROWS_WITH_AS(mean(x, {0, 0}), doctest::Contains("mean"), glimpse::Error);
    CHECK_THROWS_WITH_AS(amax(x, {-3}), doctest::Contains("amax"), glimpse::Error);
    CHECK_THROWS_WITH_AS(max(x, 2), doctest::Contains("max"), glimpse::Error);
    CHECK_THROWS_WITH_AS(min(Variable(zeros({2, 0})), 1), doctest::Contains("min"), glimpse::Error);
    CHECK_THROWS_WITH_AS(var(x, {5}), doctest::Contains("var"), glimpse::Error);
    CHECK_THROWS_WITH_AS(logsumexp(x, {7}), doctest::Contains("logsumexp"), glimpse::Error);
    CHECK_THROWS_WITH_AS(norm(x, 2.0, {4}), doctest::Contains("norm"), glimpse::Error);
    CHECK_THROWS_WITH_AS(softmax(x, 2), doctest::Contains("softmax"), glimpse::Error);
    CHECK_THROWS_WITH_AS(log_softmax(x, -3), doctest::Contains("log_softmax"), glimpse::Error);
    CHECK_THROWS_WITH_AS(mean(Variable(tensor(std::vector<int64_t>{1, 2}))), doctest::Contains("mean"), glimpse::Error);
  }

  TEST_CASE("no tape when nothing requires grad, or under NoGradGuard") {
    Variable x(tensor({1, 2, 3}, {3}, kFloat64));
    CHECK(sum(x).grad_fn() == nullptr);
    Variable w = leaf({3});
    {
      NoGradGuard no_grad;
      CHECK(softmax(w, 0).grad_fn() == nullptr);
    }
    CHECK(softmax(w, 0).grad_fn() != nullptr);
  }
}
