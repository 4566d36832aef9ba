// Tests for autograd/node.h: saved(...) and the version check behind it. A tensor a recorded op saved for backward and
// then changed in place makes backward throw, naming the op and the tensor; a tensor the op did not save may change
// freely (PyTorch's semantics: `y = x + 1; x.data().fill_(5); y.backward()` is fine).
#include <doctest/doctest.h>

#include <vector>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_reduce.h"
#include "tensor/elementwise.h"

using namespace glimpse;

namespace {

Variable leaf(const std::vector<double>& values, bool requires_grad = true) {
  return Variable(tensor(values, {-1}, kFloat64), requires_grad);
}

}  // namespace

TEST_SUITE("node") {
  TEST_CASE("regression: changing an input in place after mul saved it makes backward throw, naming op and shape") {
    // Before the version counter, backward silently used the new numbers: dy/dx = 2 * 5 instead of 2 * x.
    Variable x = leaf({1, 2, 3});
    Variable y = x * x;
    x.data().fill_(5);
    CHECK_THROWS_WITH_AS(y.backward(ones({3}, kFloat64)),
                         doctest::Contains("backward of 'mul': its input 0 (shape [3], float64) was modified in place"),
                         Error);
    CHECK_FALSE(x.grad().defined());  // nothing was accumulated
  }

  TEST_CASE("regression: an op that saved nothing lets its inputs change in place (add)") {
    Variable x = leaf({1, 2, 3});
    Variable y = x + 1.0;
    x.data().fill_(5);
    y.backward(ones({3}, kFloat64));
    CHECK(x.grad().tolist() == std::vector<double>{1, 1, 1});
    Variable z = x + leaf({4, 5, 6});  // the Variable-Variable add saves nothing either
    x.data().zero_();
    z.backward(ones({3}, kFloat64));
    CHECK(x.grad().tolist() == std::vector<double>{2, 2, 2});
  }

  TEST_CASE("regression: changing a saved output in place (exp) or through a view makes backward throw") {
    Variable x = leaf({0, 1});
    Variable y = exp(x);
    y.data().narrow(0, 1, 1).fill_(0);  // a view shares the storage, so it shares the version
    CHECK_THROWS_WITH_AS(y.backward(ones({2}, kFloat64)),
                         doctest::Contains("backward of 'exp': its output (shape [2]) was modified in place"), Error);

    Variable a = leaf({1, 2, 3, 4});
    Variable b = sum(square(a));
    Tensor a_data = a.data();
    add_(a_data, ones({4}, kFloat64));  // every in-place kernel bumps the version, not only fill_
    CHECK_THROWS_WITH_AS(b.backward(), doctest::Contains("backward of 'square'"), Error);
  }

  TEST_CASE("regression: only what backward needs is checked (mul keeps the other operand, matmul too)") {
    // w requires grad and x does not: dy/dw needs x only, so changing w (an optimizer step) is fine, as in PyTorch.
    Variable x = leaf({1, 2, 3}, false), w = leaf({4, 5, 6});
    Variable y = x * w;
    w.data().fill_(0);
    y.backward(ones({3}, kFloat64));
    CHECK(w.grad().tolist() == std::vector<double>{1, 2, 3});
    // ... but changing x is not.
    Variable y2 = x * w;
    x.data().fill_(7);
    CHECK_THROWS_WITH_AS(y2.backward(ones({3}, kFloat64)), doctest::Contains("'mul'"), Error);

    Variable m = Variable(tensor({1, 2, 3, 4}, {2, 2}, kFloat64)), v = Variable(tensor({1, 1}, {2, 1}, kFloat64), true);
    Variable out = matmul(m, v);
    v.data().fill_(3);  // dv = mᵀ g does not read v
    out.backward(ones({2, 1}, kFloat64));
    CHECK(v.grad().tolist() == std::vector<double>{4, 6});
    Variable out2 = matmul(m, v);
    m.data().fill_(0);  // but it reads m
    CHECK_THROWS_WITH_AS(out2.backward(ones({2, 1}, kFloat64)), doctest::Contains("backward of 'matmul': its input 0"),
                         Error);
  }

  TEST_CASE("regression: a change made before the op, or after backward, is fine, and a retained graph is checked again") {
    Variable x = leaf({1, 2});
    x.data().fill_(3);  // before the forward: the op saves version 1
    Variable y = x * x;
    y.backward(ones({2}, kFloat64), /*retain_graph=*/true);
    CHECK(x.grad().tolist() == std::vector<double>{6, 6});
    x.data().fill_(4);  // after the first backward, but the graph is kept and would use the new numbers
    CHECK_THROWS_WITH_AS(y.backward(ones({2}, kFloat64)), doctest::Contains("'mul'"), Error);
  }

  TEST_CASE("saved() skips undefined tensors and notes versions") {
    Tensor a = zeros({2}), b;
    a.fill_(1);
    Saved s = saved(a, b);
    REQUIRE(s.count == 1);
    CHECK(s.entries[0].storage == a.storage().get());
    CHECK(s.entries[0].version == a.version());
    CHECK(saved().count == 0);
  }
}
