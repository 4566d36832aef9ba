// Tests for autograd/ops_linear.cpp: linear(x, W, b) gives the same bits as matmul(x, W.t()) + b on the tape, in value
// and in every gradient, for 1-d, 2-d and 3-d inputs, with and without bias; float64 gradchecks; gradients skipped for
// operands that do not require grad; one tape entry; errors naming linear.
#include <doctest/doctest.h>

#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/node.h"
#include "autograd/ops_linear.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_reduce.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

Variable leaf(const Shape& shape, DType dtype, uint64_t seed) {
  Generator gen(seed);
  return Variable(randn(shape, dtype, gen), true);
}

// Runs linear and the composed ops on copies of the same leaves with the same upstream gradient, and checks that the
// output and every gradient are the same numbers bit for bit.
void check_same_as_composed(const Shape& x_shape, int64_t in, int64_t out, bool with_bias, DType dtype) {
  Variable x = leaf(x_shape, dtype, 1), w = leaf({out, in}, dtype, 2), b = with_bias ? leaf({out}, dtype, 3) : Variable();
  Variable x2(x.data().clone(), true), w2(w.data().clone(), true), b2 = with_bias ? Variable(b.data().clone(), true)
                                                                                  : Variable();
  Variable y = linear(x, w, b);
  Variable y2 = matmul(x2, w2.t());
  if (with_bias) y2 = y2 + b2;
  REQUIRE(y.shape() == y2.shape());
  CHECK(equal(y.data(), y2.data()));
  Generator gen(4);
  const Tensor g = randn(y.shape(), dtype, gen);
  y.backward(g);
  y2.backward(g);
  CHECK(equal(x.grad(), x2.grad()));
  CHECK(equal(w.grad(), w2.grad()));
  if (with_bias) CHECK(equal(b.grad(), b2.grad()));
}

}  // namespace

TEST_SUITE("ops_linear") {
  TEST_CASE("values by hand: y = x Wᵀ + b, dx = g W, dW = gᵀ x, db = column sums of g") {
    Variable x(tensor({1, 2, 3, 4}, {2, 2}, kFloat64), true);        // rows [1, 2], [3, 4]
    Variable w(tensor({1, 0, 1, 1, 0, 2}, {3, 2}, kFloat64), true);  // out 3, in 2
    Variable b(tensor({10, 20, 30}, {3}, kFloat64), true);
    Variable y = linear(x, w, b);
    CHECK(equal(y.data(), tensor({11, 23, 34, 13, 27, 38}, {2, 3}, kFloat64)));
    y.backward(tensor({1, 0, 0, 0, 1, 2}, {2, 3}, kFloat64));
    CHECK(equal(x.grad(), tensor({1, 0, 1, 5}, {2, 2}, kFloat64)));        // g W
    CHECK(equal(w.grad(), tensor({1, 2, 3, 4, 6, 8}, {3, 2}, kFloat64)));  // gᵀ x
    CHECK(equal(b.grad(), tensor({1, 1, 2}, {3}, kFloat64)));              // Σ rows of g
  }

  TEST_CASE("the same bits as matmul(x, W.t()) + b, float32 and float64, 1-d to 3-d inputs, with and without bias") {
    for (DType dtype : {kFloat32, kFloat64}) {
      check_same_as_composed({5}, 5, 3, true, dtype);
      check_same_as_composed({4, 5}, 5, 3, true, dtype);
      check_same_as_composed({4, 5}, 5, 3, false, dtype);
      check_same_as_composed({2, 3, 5}, 5, 7, true, dtype);
      check_same_as_composed({1, 8}, 8, 1, true, dtype);  // the context network's shape
    }
  }

  TEST_CASE("gradcheck (float64): 2-d and 3-d inputs, with and without bias") {
    auto with_bias = [](const std::vector<Variable>& in) { return linear(in[0], in[1], in[2]); };
    auto no_bias = [](const std::vector<Variable>& in) { return linear(in[0], in[1]); };
    CHECK(gradcheck(with_bias, {leaf({3, 4}, kFloat64, 1), leaf({2, 4}, kFloat64, 2), leaf({2}, kFloat64, 3)}));
    CHECK(gradcheck(with_bias, {leaf({2, 3, 4}, kFloat64, 4), leaf({5, 4}, kFloat64, 5), leaf({5}, kFloat64, 6)}));
    CHECK(gradcheck(no_bias, {leaf({3, 4}, kFloat64, 7), leaf({2, 4}, kFloat64, 8)}));
    CHECK(gradcheck(with_bias, {leaf({4}, kFloat64, 9), leaf({3, 4}, kFloat64, 10), leaf({3}, kFloat64, 11)}));
  }

  TEST_CASE("one tape entry, and no gradient for operands that do not require it") {
    Variable x(randn({2, 3}, kFloat64), false), w = leaf({4, 3}, kFloat64, 1), b(zeros({4}, kFloat64), false);
    Variable y = linear(x, w, b);
    REQUIRE(y.grad_fn() != nullptr);
    CHECK(std::string(y.grad_fn()->name) == "linear");
    for (const auto& input : y.grad_fn()->inputs) CHECK(input->grad_fn == nullptr);  // x, W, b directly
    sum(y).backward();
    CHECK(w.grad().defined());
    CHECK(!x.grad().defined());
    CHECK(!b.grad().defined());
    Variable none = linear(Variable(randn({2, 3})), Variable(randn({4, 3})));
    CHECK(none.grad_fn() == nullptr);  // nothing requires grad: no tape entry
  }

  TEST_CASE("bad shapes are errors naming linear and the shapes") {
    Variable w = leaf({4, 3}, kFloat32, 1);
    CHECK_THROWS_WITH_AS(linear(Variable(zeros({2, 5})), w), doctest::Contains("linear: input of shape [2, 5]"), Error);
    CHECK_THROWS_WITH_AS(linear(Variable(zeros({2, 3})), Variable(zeros({3}))),
                         doctest::Contains("linear: weight must be [out_features, in_features]"), Error);
    CHECK_THROWS_WITH_AS(linear(Variable(zeros({2, 3})), w, Variable(zeros({3}))),
                         doctest::Contains("bias must be [out_features] = [4]"), Error);
  }
}
