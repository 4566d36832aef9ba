// Tests for autograd/ops_matmul.cpp: values and gradients worked out by hand, float64 gradchecks for every operand
// layout torch.matmul accepts (1-d, 2-d, batched, broadcast batch dims, transposed views, the shared-weight fast
// path), gradients skipped for operands that do not require grad, empty sizes, and shape/dtype errors.
#include <doctest/doctest.h>

#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_reduce.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

Variable leaf(const Shape& shape, uint64_t seed = 1) {
  Generator gen(seed);
  return Variable(randn(shape, kFloat64, gen), true);
}

// The transpose of its last two dims of a random [*, a, b] tensor: shape [*, b, a], non-contiguous.
Variable transposed_leaf(const Shape& shape, uint64_t seed = 2) {
  Generator gen(seed);
  return Variable(randn(shape, kFloat64, gen).transpose(-1, -2), true);
}

void check_values(const Tensor& t, const Shape& shape, const std::vector<double>& expected) {
  CHECK(t.shape() == shape);
  std::vector<double> got = t.tolist();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
}

bool check_matmul(const Variable& a, const Variable& b) {
  return gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {a, b});
}

}  // namespace

TEST_SUITE("ops_matmul") {
  TEST_CASE("2-d: values and gradients da = g bᵀ, db = aᵀ g") {
    Variable a(tensor({1, 2, 3, 4}, {2, 2}, kFloat64), true);
    Variable b(tensor({5, 6, 7, 8}, {2, 2}, kFloat64), true);
    Variable y = matmul(a, b);
    check_values(y.data(), {2, 2}, {19, 22, 43, 50});
    sum(y).backward();
    check_values(a.grad(), {2, 2}, {11, 15, 11, 15});  // row sums of b
    check_values(b.grad(), {2, 2}, {4, 4, 6, 6});      // column sums of a
    a.zero_grad();
    b.zero_grad();
    // g = [[1, 0], [0, 2]]: da = g bᵀ = [[5, 7], [12, 16]], db = aᵀ g = [[1, 6], [2, 8]]
    matmul(a, b).backward(tensor({1, 0, 0, 2}, {2, 2}, kFloat64));
    check_values(a.grad(), {2, 2}, {5, 7, 12, 16});
    check_values(b.grad(), {2, 2}, {1, 6, 2, 8});
  }

  TEST_CASE("2-d gradcheck, including transposed (non-contiguous) operands") {
    CHECK(check_matmul(leaf({3, 4}), leaf({4, 5}, 3)));
    CHECK(check_matmul(transposed_leaf({4, 3}), leaf({4, 5}, 3)));
    CHECK(check_matmul(leaf({3, 4}), transposed_leaf({5, 4}, 3)));
    CHECK(check_matmul(transposed_leaf({4, 3}), transposed_leaf({5, 4}, 3)));
    // A column slice (row stride > column count) and a step slice (needs packing in the forward).
    Generator gen(4);
    Tensor wide = randn({3, 7}, kFloat64, gen);
    CHECK(check_matmul(Variable(wide.narrow(1, 2, 4), true), leaf({4, 2})));
    CHECK(check_matmul(Variable(wide.slice(1, 0, 7, 2), true), leaf({4, 2})));
    // The same Variable on both sides: x @ x
    CHECK(gradcheck([](const auto& in) { return matmul(in[0], in[0]); }, {leaf({3, 3})}));
  }

  TEST_CASE("1-d operands: dot product, vector @ matrix, matrix @ vector") {
    Variable u(tensor({1, 2, 3}, {3}, kFloat64), true);
    Variable v(tensor({4, 5, 6}, {3}, kFloat64), true);
    Variable d = matmul(u, v);
    check_values(d.data(), {}, {32});
    d.backward();
    check_values(u.grad(), {3}, {4, 5, 6});
    check_values(v.grad(), {3}, {1, 2, 3});

    // [2] @ [2, 3] -> [3]; g = [1, 1, 1]: da = m's row sums, dm = outer(a, g)
    Variable a(tensor({1, 2}, {2}, kFloat64), true);
    Variable m(tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64), true);
    Variable y = matmul(a, m);
    check_values(y.data(), {3}, {9, 12, 15});
    sum(y).backward();
    check_values(a.grad(), {2}, {6, 15});
    check_values(m.grad(), {2, 3}, {1, 1, 1, 2, 2, 2});

    // [2, 3] @ [3] -> [2]; g = [1, 2]: dm = outer(g, v), dv = mᵀ g
    m.zero_grad();
    v.zero_grad();
    Variable z = matmul(m, v);
    check_values(z.data(), {2}, {32, 77});
    z.backward(tensor({1, 2}, {2}, kFloat64));
    check_values(m.grad(), {2, 3}, {4, 5, 6, 8, 10, 12});
    check_values(v.grad(), {3}, {9, 12, 15});

    CHECK(check_matmul(leaf({4}), leaf({4}, 3)));
    CHECK(check_matmul(leaf({4}), leaf({4, 3}, 3)));
    CHECK(check_matmul(leaf({3, 4}), leaf({4}, 3)));
    CHECK(check_matmul(leaf({4}), transposed_leaf({3, 4}, 3)));
    CHECK(check_matmul(transposed_leaf({4, 3}), leaf({4}, 3)));
    // 1-d against batched operands: the vector's gradient sums over the batch.
    CHECK(check_matmul(leaf({4}), leaf({2, 4, 3}, 3)));
    CHECK(check_matmul(leaf({2, 3, 4}), leaf({4}, 3)));
    CHECK(check_matmul(leaf({2, 1, 3, 4}), leaf({4}, 3)));
  }

  TEST_CASE("batched and broadcast batch dims") {
    // [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2]: a's gradient sums over the 5, b's over the 2.
    Variable a = leaf({2, 1, 3, 4}), b = leaf({5, 4, 2}, 3);
    CHECK(matmul(a, b).shape() == Shape{2, 5, 3, 2});
    CHECK(check_matmul(a, b));
    CHECK(check_matmul(leaf({2, 3, 4}), leaf({2, 4, 5}, 3)));
    CHECK(check_matmul(leaf({1, 3, 4}), leaf({3, 4, 2}, 3)));
    CHECK(check_matmul(leaf({3, 4}), leaf({2, 2, 4, 5}, 3)));             // a broadcast over two batch dims
    CHECK(check_matmul(transposed_leaf({2, 4, 3}), transposed_leaf({2, 5, 4}, 3)));  // attention-style qkᵀ
    CHECK(check_matmul(transposed_leaf({2, 1, 4, 3}), leaf({5, 4, 2}, 3)));
  }

  TEST_CASE("shared weight (x: [B, T, C] @ W: [C, N]): one GEMM for W's gradient, same numbers") {
    CHECK(check_matmul(leaf({2, 3, 4}), leaf({4, 5}, 3)));
    CHECK(check_matmul(leaf({2, 2, 3, 4}), transposed_leaf({5, 4}, 3)));
    CHECK(check_matmul(transposed_leaf({2, 4, 3}), leaf({4, 5}, 3)));  // rows do not merge: reshape copies
    // Against hand numbers: x = ones [2, 2, 3], W: [3, 1]; sum(x @ W) has dW = column sums of x = 4 each.
    Variable x(ones({2, 2, 3}, kFloat64), true);
    Variable w(tensor({1, 2, 3}, {3, 1}, kFloat64), true);
    Variable y = matmul(x, w);
    check_values(y.data(), {2, 2, 1}, {6, 6, 6, 6});
    sum(y).backward();
    check_values(w.grad(), {3, 1}, {4, 4, 4});
    check_values(x.grad(), {2, 2, 3}, {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3});
  }

  TEST_CASE("an operand that does not require grad gets none, and its gradient is not computed") {
    Variable a = leaf({3, 4});
    Variable b(randn({4, 2}, kFloat64));  // a constant
    CHECK(gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {a, b}));
    CHECK(gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {Variable(b.data().t()), leaf({4, 5})}));
    Variable y = matmul(a, b);
    sum(y).backward();
    CHECK(a.grad().defined());
    CHECK(!b.grad().defined());
    // Nothing requires grad: no tape entry at all.
    CHECK(matmul(b.detach().t(), a.detach().t()).grad_fn() == nullptr);
  }

  TEST_CASE("float32 operands give float32 gradients") {
    Variable a(tensor({1, 2, 3, 4, 5, 6}, {2, 3}), true);
    Variable b(tensor({1, 0, 0, 1, 1, 1}, {3, 2}), true);
    sum(matmul(a, b)).backward();
    CHECK(a.grad().dtype() == kFloat32);
    check_values(a.grad(), {2, 3}, {1, 1, 2, 1, 1, 2});
    check_values(b.grad(), {3, 2}, {5, 5, 7, 7, 9, 9});
  }

  TEST_CASE("empty sizes: gradients of the right shapes (zeros when k = 0)") {
    Variable a(zeros({2, 0}, kFloat64), true), b(zeros({0, 3}, kFloat64), true);
    Variable y = matmul(a, b);
    check_values(y.data(), {2, 3}, {0, 0, 0, 0, 0, 0});
    sum(y).backward();
    CHECK(a.grad().shape() == Shape{2, 0});
    CHECK(b.grad().shape() == Shape{0, 3});

    Variable c(zeros({0, 4}, kFloat64), true), d = leaf({4, 3});
    sum(matmul(c, d)).backward();
    CHECK(c.grad().shape() == Shape{0, 4});
    check_values(d.grad(), {4, 3}, std::vector<double>(12, 0.0));

    Variable x(zeros({2, 3, 0}, kFloat64), true), w(zeros({0, 5}, kFloat64), true);  // shared-weight path, k = 0
    sum(matmul(x, w)).backward();
    CHECK(x.grad().shape() == Shape{2, 3, 0});
    CHECK(w.grad().shape() == Shape{0, 5});
  }

  TEST_CASE("errors from the tensor layer propagate as glimpse::Error") {
    CHECK_THROWS_WITH_AS(matmul(leaf({2, 3}), leaf({4, 5})), doctest::Contains("matmul: [2, 3] @ [4, 5]"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(leaf({3}), leaf({4})), doctest::Contains("inner sizes differ"), glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(leaf({2, 3, 4}), leaf({3, 4, 5})), doctest::Contains("batch dims"), glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(leaf({2, 3}), Variable(ones({3, 2}))), doctest::Contains("dtypes differ"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(Variable(scalar_tensor(1.0, kFloat64), true), leaf({2})), doctest::Contains("matmul"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(Variable(), leaf({2})), doctest::Contains("undefined"), glimpse::Error);
  }
}
