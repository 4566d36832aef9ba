// nn::additive_score_projected (the fused vᵀ tanh(wq + wk)) against the composed ops it replaces, in value and in
// gradient, float32 and float64, and a float64 gradcheck of all three inputs.
#include <doctest/doctest.h>

#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_reduce.h"
#include "nn/additive_score.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

// The definition, with ordinary ops: [B, Tq, 1, H] + [B, 1, Tk, H] -> tanh -> · vᵀ -> [B, Tq, Tk]
Variable composed(const Variable& wq, const Variable& wk, const Variable& v) {
  return matmul(tanh(wq.unsqueeze(-2) + wk.unsqueeze(-3)), v.t()).squeeze(-1);
}

// Fused and composed on the same inputs: values and the gradients of a weighted sum of the scores.
void compare(DType dtype, double rtol, double atol) {
  Generator gen(3);
  const int64_t B = 3, Tq = 2, Tk = 5, H = 37;  // H not a multiple of a vector's width: the tail path runs too
  std::vector<Variable> a, b;
  for (const Shape& s : {Shape{B, Tq, H}, Shape{B, Tk, H}, Shape{1, H}}) {
    Tensor t = randn(s, dtype, gen);
    a.emplace_back(t.clone(), true);
    b.emplace_back(t.clone(), true);
  }
  const Tensor w = randn({B, Tq, Tk}, dtype, gen);
  Variable fused = nn::additive_score_projected(a[0], a[1], a[2]), plain = composed(b[0], b[1], b[2]);
  CHECK(fused.shape() == Shape{B, Tq, Tk});
  CHECK(allclose(fused.data(), plain.data(), rtol, atol));
  sum(fused * Variable(w)).backward();
  sum(plain * Variable(w)).backward();
  for (size_t i = 0; i < 3; ++i) CHECK(allclose(a[i].grad(), b[i].grad(), rtol, atol));
}

}  // namespace

TEST_SUITE("additive_score") {
  TEST_CASE("the fused additive score equals the composed ops in value and gradient") {
    compare(kFloat64, 1e-12, 1e-12);
    compare(kFloat32, 1e-5, 1e-5);  // the vectorised tanh: a few ulp
  }
  TEST_CASE("the fused additive score passes a float64 gradcheck in all three inputs") {
    Generator gen(5);
    std::vector<Variable> in{Variable(randn({2, 3, 4}, kFloat64, gen), true),
                             Variable(randn({2, 5, 4}, kFloat64, gen), true), Variable(randn({1, 4}, kFloat64, gen), true)};
    CHECK(gradcheck([](const std::vector<Variable>& x) { return nn::additive_score_projected(x[0], x[1], x[2]); }, in));
  }
  TEST_CASE("the fused additive score names the shapes it wanted") {
    Variable q(zeros({2, 3, 4}), true), k(zeros({3, 5, 4}), true), v(zeros({1, 4}), true);
    CHECK_THROWS_WITH_AS(nn::additive_score_projected(q, k, v), doctest::Contains("same B and H"), Error);
    CHECK_THROWS_WITH_AS(nn::additive_score_projected(q, Variable(zeros({2, 5, 4})), Variable(zeros({1, 3}))),
                         doctest::Contains("[1, H] = [1, 4]"), Error);
  }
}
