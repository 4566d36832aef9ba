// Tests for autograd/ops_elementwise.cpp: for every function of ops_elementwise.h a value checked by hand and a
// float64 gradcheck (unary ops, broadcasting binaries incl. [3, 1] x [1, 4] and transposed operands, scalar forms and
// operators, where, masked_fill, dropout), plus the gradients at the points gradcheck cannot see: relu/abs/clamp kinks
// and maximum/minimum ties.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

Variable leaf(const std::vector<double>& values, const Shape& shape = {-1}, bool requires_grad = true) {
  return Variable(tensor(values, shape, kFloat64), requires_grad);
}

void check_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-12) {
  std::vector<double> got = t.tolist();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element ", i, ": got ", got[i], ", want ", want[i]);
    CHECK((got[i] == want[i] || std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i]))));
  }
}

// The gradient of sum(f(x)) w.r.t. x, i.e. f'(x) elementwise: backward with a gradient of ones.
Tensor grad_of(const std::function<Variable(const Variable&)>& f, const std::vector<double>& x) {
  Variable v = leaf(x);
  Variable y = f(v);
  y.backward(ones_like(y.data()));
  return v.grad();
}

// float64 inputs: generic (N(0, 1)), positive (in [0.5, 1.5)), and a transposed (non-contiguous) generic one.
Variable normal_leaf(const Shape& s) { return Variable(randn(s, kFloat64), true); }
Variable positive_leaf(const Shape& s) { return Variable(add(rand(s, kFloat64), 0.5), true); }
Variable transposed_leaf(const Shape& s) {  // s = [m, n], stored as [n, m]
  return Variable(randn({s[1], s[0]}, kFloat64).t(), true);
}

void check_unary_grad(const std::function<Variable(const Variable&)>& f, bool positive_only) {
  auto fn = [&](const std::vector<Variable>& in) { return f(in[0]); };
  CHECK(gradcheck(fn, {positive_only ? positive_leaf({3, 4}) : normal_leaf({3, 4})}));
  Variable t = positive_only ? Variable(add(rand({4, 3}, kFloat64), 0.5).t(), true) : transposed_leaf({3, 4});
  REQUIRE(!t.data().is_contiguous());
  CHECK(gradcheck(fn, {t}));
}

}  // namespace

TEST_SUITE("ops_elementwise") {
  TEST_CASE("unary: values by hand") {
    const double e = std::exp(1.0);
    check_values(neg(leaf({1, -2})).data(), {-1, 2});
    check_values(abs(leaf({-1.5, 2})).data(), {1.5, 2});
    check_values(exp(leaf({0, 1})).data(), {1, e});
    check_values(log(leaf({1, e})).data(), {0, 1});
    check_values(log1p(leaf({0, e - 1})).data(), {0, 1});
    check_values(sqrt(leaf({4, 9})).data(), {2, 3});
    check_values(rsqrt(leaf({4, 0.25})).data(), {0.5, 2});
    check_values(square(leaf({-3, 2})).data(), {9, 4});
    check_values(sin(leaf({0, M_PI / 2})).data(), {0, 1});
    check_values(cos(leaf({0, M_PI})).data(), {1, -1});
    check_values(tanh(leaf({0, std::log(2.0)})).data(), {0, 0.6});             // (2 - 1/2) / (2 + 1/2)
    check_values(sigmoid(leaf({0, std::log(3.0), -1000})).data(), {0.5, 0.75, 0});  // 1 / (1 + 1/3)
    check_values(relu(leaf({-1, 0, 2})).data(), {0, 0, 2});
    // gelu(1) = Φ(1) = 0.841344746068543, gelu(-1) = -Φ(-1) = Φ(1) - 1; tanh form: 0.5 (1 + tanh(sqrt(2/π) (1 + 0.044715)))
    check_values(gelu(leaf({0, 1, -1})).data(), {0, 0.841344746068543, 0.841344746068543 - 1}, 1e-14);
    const double tanh_form = 0.5 * (1 + std::tanh(std::sqrt(2 / M_PI) * 1.044715));
    check_values(gelu(leaf({0, 1}), "tanh").data(), {0, tanh_form});
    check_values(clamp(leaf({-2, 0.5, 3}), -1, 1).data(), {-1, 0.5, 1});
    check_values(pow(leaf({2, 3}), 3.0).data(), {8, 27});
    check_values(pow(leaf({4, 9}), 0.5).data(), {2, 3});
  }

  TEST_CASE("unary: derivatives by hand") {
    check_values(grad_of([](const Variable& x) { return neg(x); }, {1, -2}), {-1, -1});
    check_values(grad_of([](const Variable& x) { return abs(x); }, {-1.5, 2, 0}), {-1, 1, 0});  // 0 at the kink
    check_values(grad_of([](const Variable& x) { return exp(x); }, {0, 1}), {1, std::exp(1.0)});
    check_values(grad_of([](const Variable& x) { return log(x); }, {2, 0.5}), {0.5, 2});
    check_values(grad_of([](const Variable& x) { return log1p(x); }, {1, 3}), {0.5, 0.25});
    check_values(grad_of([](const Variable& x) { return sqrt(x); }, {4, 9}), {0.25, 1.0 / 6});
    check_values(grad_of([](const Variable& x) { return rsqrt(x); }, {4}), {-0.5 / 8});  // -x^-1.5 / 2
    check_values(grad_of([](const Variable& x) { return square(x); }, {-3, 2}), {-6, 4});
    check_values(grad_of([](const Variable& x) { return sin(x); }, {0, M_PI}), {1, -1});
    check_values(grad_of([](const Variable& x) { return cos(x); }, {M_PI / 2}), {-1});
    check_values(grad_of([](const Variable& x) { return tanh(x); }, {0, std::log(2.0)}), {1, 1 - 0.36});
    check_values(grad_of([](const Variable& x) { return sigmoid(x); }, {0, std::log(3.0)}), {0.25, 0.75 * 0.25});
    check_values(grad_of([](const Variable& x) { return relu(x); }, {-1, 0, 2}), {0, 0, 1});  // 0 at 0, as PyTorch
    // gelu'(0) = Φ(0) + 0 = 0.5; gelu'(1) = Φ(1) + φ(1) = 0.841344746068543 + 0.241970724519143
    check_values(grad_of([](const Variable& x) { return gelu(x); }, {0, 1}), {0.5, 0.841344746068543 + 0.241970724519143},
                 1e-14);
    check_values(grad_of([](const Variable& x) { return gelu(x, "tanh"); }, {0}), {0.5});
    // clamp passes the gradient inside [min, max], bounds included (as PyTorch), and blocks it outside.
    check_values(grad_of([](const Variable& x) { return clamp(x, -1, 1); }, {-2, -1, 0.5, 1, 3}), {0, 1, 1, 1, 0});
    check_values(grad_of([](const Variable& x) { return pow(x, 3.0); }, {2, -1}), {12, 3});
    check_values(grad_of([](const Variable& x) { return pow(x, 0.5); }, {4}), {0.25});
    // x^0 is the constant 1: gradient 0 everywhere, also at x = 0 (where e x^(e-1) would be 0 * inf = NaN).
    check_values(grad_of([](const Variable& x) { return pow(x, 0.0); }, {0, 2}), {0, 0});
  }

  TEST_CASE("NaN propagates through relu (as in PyTorch), so anomaly mode can see it") {
    std::vector<double> y = relu(leaf({NAN, -1, 1})).data().tolist();
    CHECK(std::isnan(y[0]));
    CHECK(y[1] == 0.0);
    CHECK(y[2] == 1.0);
  }

  TEST_CASE("unary: gradcheck on contiguous and transposed inputs") {
    check_unary_grad([](const Variable& x) { return neg(x); }, false);
    check_unary_grad([](const Variable& x) { return abs(x); }, false);
    check_unary_grad([](const Variable& x) { return exp(x); }, false);
    check_unary_grad([](const Variable& x) { return log(x); }, true);
    check_unary_grad([](const Variable& x) { return log1p(x); }, true);
    check_unary_grad([](const Variable& x) { return sqrt(x); }, true);
    check_unary_grad([](const Variable& x) { return rsqrt(x); }, true);
    check_unary_grad([](const Variable& x) { return square(x); }, false);
    check_unary_grad([](const Variable& x) { return sin(x); }, false);
    check_unary_grad([](const Variable& x) { return cos(x); }, false);
    check_unary_grad([](const Variable& x) { return tanh(x); }, false);
    check_unary_grad([](const Variable& x) { return sigmoid(x); }, false);
    check_unary_grad([](const Variable& x) { return relu(x); }, false);
    check_unary_grad([](const Variable& x) { return gelu(x); }, false);
    check_unary_grad([](const Variable& x) { return gelu(x, "tanh"); }, false);
    check_unary_grad([](const Variable& x) { return clamp(x, -0.5, 0.7); }, false);
    check_unary_grad([](const Variable& x) { return pow(x, 3.0); }, false);
    check_unary_grad([](const Variable& x) { return pow(x, 2.0); }, false);
    check_unary_grad([](const Variable& x) { return pow(x, -1.5); }, true);
  }

  TEST_CASE("binary: broadcast [3, 1] x [1, 4], values and summed gradients by hand") {
    // a = [1, 2, 3] as a column, b = [1, 2, 4, 8] as a row; the upstream gradient is all ones.
    auto run = [](const std::function<Variable(const Variable&, const Variable&)>& f, std::vector<double> want_y,
                  std::vector<double> want_ga, std::vector<double> want_gb) {
      Variable a = leaf({1, 2, 3}, {3, 1}), b = leaf({1, 2, 4, 8}, {1, 4});
      Variable y = f(a, b);
      CHECK(y.shape() == Shape{3, 4});
      check_values(y.data(), want_y);
      y.backward(ones({3, 4}, kFloat64));
      CHECK(a.grad().shape() == Shape{3, 1});
      CHECK(b.grad().shape() == Shape{1, 4});
      check_values(a.grad(), want_ga);
      check_values(b.grad(), want_gb);
    };
    run([](const Variable& a, const Variable& b) { return add(a, b); }, {2, 3, 5, 9, 3, 4, 6, 10, 4, 5, 7, 11},
        {4, 4, 4}, {3, 3, 3, 3});
    run([](const Variable& a, const Variable& b) { return sub(a, b); }, {0, -1, -3, -7, 1, 0, -2, -6, 2, 1, -1, -5},
        {4, 4, 4}, {-3, -3, -3, -3});
    // d(ab)/da = sum_j b_j = 15, d(ab)/db = sum_i a_i = 6
    run([](const Variable& a, const Variable& b) { return mul(a, b); }, {1, 2, 4, 8, 2, 4, 8, 16, 3, 6, 12, 24},
        {15, 15, 15}, {6, 6, 6, 6});
    // d(a/b)/da = sum_j 1/b_j = 1.875; d(a/b)/db_j = -sum_i a_i / b_j² = -6 / b_j²
    run([](const Variable& a, const Variable& b) { return div(a, b); },
        {1, 0.5, 0.25, 0.125, 2, 1, 0.5, 0.25, 3, 1.5, 0.75, 0.375}, {1.875, 1.875, 1.875},
        {-6, -1.5, -0.375, -6.0 / 64});
    // maximum/minimum route the gradient to the winner; a tie (a = b: 1 = 1, 2 = 2) splits it in half.
    run([](const Variable& a, const Variable& b) { return maximum(a, b); }, {1, 2, 4, 8, 2, 2, 4, 8, 3, 3, 4, 8},
        {0.5, 1.5, 2}, {0.5, 1.5, 3, 3});
    run([](const Variable& a, const Variable& b) { return minimum(a, b); }, {1, 1, 1, 1, 1, 2, 2, 2, 1, 2, 3, 3},
        {3.5, 2.5, 2}, {2.5, 1.5, 0, 0});
    // operators: a b + a - b / b = a b + a - 1; d/da = sum_j (b_j + 1) = 19, d/db = sum_i a_i (b/b is constant)
    run([](const Variable& a, const Variable& b) { return a * b + a - b / b; },
        {1, 2, 4, 8, 3, 5, 9, 17, 5, 8, 14, 26}, {19, 19, 19}, {6, 6, 6, 6});
  }

  TEST_CASE("binary: pow(a, b) values and gradients") {
    // a^b with a = [2, 3], b = [3, 2]: [8, 9]; d/da = b a^(b-1) = [12, 6]; d/db = a^b ln a = [8 ln 2, 9 ln 3]
    Variable a = leaf({2, 3}), b = leaf({3, 2});
    Variable y = pow(a, b);
    check_values(y.data(), {8, 9});
    y.backward(ones({2}, kFloat64));
    check_values(a.grad(), {12, 6});
    check_values(b.grad(), {8 * std::log(2.0), 9 * std::log(3.0)});
    // At a = 0 with b >= 0, d(a^b)/db = 0^b ln 0 is taken as 0 (PyTorch's choice), not 0 * -inf = NaN; and with
    // b = 0, d(a^b)/da = 0 (a^0 is constant), not 0 * 0^-1 = NaN.
    Variable a0 = leaf({0, 0, 2}), b0 = leaf({2, 0, 1});
    pow(a0, b0).backward(ones({3}, kFloat64));
    check_values(b0.grad(), {0, 0, 2 * std::log(2.0)});
    check_values(a0.grad(), {0, 0, 1});  // b a^(b-1) = [2 · 0, 0, 1 · 2^0]
    // An exponent that needs no gradient gets none (and a negative base is then fine).
    Variable c = leaf({-2});
    Variable e = leaf({3}, {-1}, false);
    pow(c, e).backward(ones({1}, kFloat64));
    check_values(c.grad(), {12});
    CHECK_FALSE(e.grad().defined());
  }

  TEST_CASE("binary: gradcheck with broadcasting and transposed operands") {
    using Bin = std::function<Variable(const Variable&, const Variable&)>;
    const std::vector<std::pair<const char*, Bin>> ops = {
        {"add", [](const Variable& a, const Variable& b) { return add(a, b); }},
        {"sub", [](const Variable& a, const Variable& b) { return sub(a, b); }},
        {"mul", [](const Variable& a, const Variable& b) { return mul(a, b); }},
        {"div", [](const Variable& a, const Variable& b) { return div(a, b); }},
        {"pow", [](const Variable& a, const Variable& b) { return pow(a, b); }},
        {"maximum", [](const Variable& a, const Variable& b) { return maximum(a, b); }},
        {"minimum", [](const Variable& a, const Variable& b) { return minimum(a, b); }},
    };
    for (const auto& [name, f] : ops) {
      CAPTURE(name);
      auto fn = [&](const std::vector<Variable>& in) { return f(in[0], in[1]); };
      const bool positive = std::string(name) == "div" || std::string(name) == "pow";  // b ≠ 0, a > 0 for pow
      auto make = [&](const Shape& s) { return positive ? positive_leaf(s) : normal_leaf(s); };
      CHECK(gradcheck(fn, {make({3, 1}), make({1, 4})}));   // [3, 1] x [1, 4] -> [3, 4]
      CHECK(gradcheck(fn, {make({3, 4}), make({4})}));      // a row broadcast over rows
      CHECK(gradcheck(fn, {make({2, 3, 4}), make({3, 1})}));
      Variable t = positive ? Variable(add(rand({4, 3}, kFloat64), 0.5).t(), true) : transposed_leaf({3, 4});
      REQUIRE(!t.data().is_contiguous());
      CHECK(gradcheck(fn, {t, make({3, 4})}));               // transposed [3, 4] with a contiguous one
      CHECK(gradcheck(fn, {make({3, 4}), Variable(t.data(), true)}));
      // Only one side requires grad.
      CHECK(gradcheck(fn, {make({3, 4}), Variable(make({3, 4}).data(), false)}));
      CHECK(gradcheck(fn, {Variable(make({3, 4}).data(), false), make({3, 4})}));
    }
  }

  TEST_CASE("scalar forms and operators: values, derivatives, gradcheck") {
    Variable x = leaf({1, 2, 4});
    check_values(add(x, 2.0).data(), {3, 4, 6});
    check_values(sub(x, 2.0).data(), {-1, 0, 2});
    check_values(rsub(x, 2.0).data(), {1, 0, -2});
    check_values(mul(x, 2.0).data(), {2, 4, 8});
    check_values(div(x, 2.0).data(), {0.5, 1, 2});
    check_values(rdiv(x, 2.0).data(), {2, 1, 0.5});
    check_values((x + 1.0).data(), {2, 3, 5});
    check_values((1.0 + x).data(), {2, 3, 5});
    check_values((x - 1.0).data(), {0, 1, 3});
    check_values((1.0 - x).data(), {0, -1, -3});
    check_values((x * 3.0).data(), {3, 6, 12});
    check_values((3.0 * x).data(), {3, 6, 12});
    check_values((x / 4.0).data(), {0.25, 0.5, 1});
    check_values((4.0 / x).data(), {4, 2, 1});
    check_values((-x).data(), {-1, -2, -4});
    check_values(grad_of([](const Variable& v) { return add(v, 2.0); }, {1, 2}), {1, 1});
    check_values(grad_of([](const Variable& v) { return sub(v, 2.0); }, {1, 2}), {1, 1});
    check_values(grad_of([](const Variable& v) { return rsub(v, 2.0); }, {1, 2}), {-1, -1});
    check_values(grad_of([](const Variable& v) { return mul(v, 3.0); }, {1, 2}), {3, 3});
    check_values(grad_of([](const Variable& v) { return div(v, 4.0); }, {1, 2}), {0.25, 0.25});
    check_values(grad_of([](const Variable& v) { return rdiv(v, 2.0); }, {1, 2}), {-2, -0.5});  // -s / x²
    using Un = std::function<Variable(const Variable&)>;
    for (const Un& f : std::vector<Un>{[](const Variable& v) { return add(v, 2.0); },
                                       [](const Variable& v) { return sub(v, 2.0); },
                                       [](const Variable& v) { return rsub(v, 2.0); },
                                       [](const Variable& v) { return mul(v, -3.0); },
                                       [](const Variable& v) { return div(v, 4.0); },
                                       [](const Variable& v) { return (2.0 - v) * (v + 1.0) / 3.0 - 1.0 * v; }}) {
      check_unary_grad(f, false);
    }
    check_unary_grad([](const Variable& v) { return rdiv(v, 2.0); }, true);
    check_unary_grad([](const Variable& v) { return 2.0 / v; }, true);
  }

  TEST_CASE("where and masked_fill: values, gradients only through the kept values, gradcheck") {
    // cond [3, 1] broadcast against a [3, 2] and b [2]
    Tensor cond = tensor(std::vector<int64_t>{1, 0, 1}, {3, 1});
    Variable a = leaf({1, 2, 3, 4, 5, 6}, {3, 2}), b = leaf({-1, -2}, {2});
    Variable y = where(cond, a, b);
    check_values(y.data(), {1, 2, -1, -2, 5, 6});
    y.backward(ones({3, 2}, kFloat64));
    check_values(a.grad(), {1, 1, 0, 0, 1, 1});
    check_values(b.grad(), {1, 1});  // row 1 took b
    CHECK(gradcheck([&](const std::vector<Variable>& in) { return where(cond, in[0], in[1]); },
                    {normal_leaf({3, 2}), normal_leaf({2})}));
    CHECK(gradcheck([&](const std::vector<Variable>& in) { return where(cond, in[0], in[1]); },
                    {transposed_leaf({3, 2}), normal_leaf({3, 1})}));

    // masked_fill: mask [1, 3] over x [2, 3]; filled positions get no gradient. A float mask works too.
    Tensor mask = tensor(std::vector<int64_t>{0, 1, 0}, {1, 3});
    Variable x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
    Variable m = masked_fill(x, mask, -9.0);
    check_values(m.data(), {1, -9, 3, 4, -9, 6});
    m.backward(ones({2, 3}, kFloat64));
    check_values(x.grad(), {1, 0, 1, 1, 0, 1});
    check_values(masked_fill(leaf({1, 2}), tensor({0.0, 0.5}), -INFINITY).data(), {1, -INFINITY});
    CHECK(gradcheck([&](const std::vector<Variable>& in) { return masked_fill(in[0], mask, 7.0); },
                    {transposed_leaf({2, 3})}));
  }

  TEST_CASE("dropout: training scales kept elements by 1/(1-p), gradient is the mask scale, eval is the identity") {
    Generator gen(42);
    const double p = 0.25;
    Variable x(ones({100, 50}, kFloat64), true);
    Variable y = dropout(x, p, true, gen);
    std::vector<double> v = y.data().tolist();
    int64_t kept = 0;
    for (double e : v) {
      CHECK((e == 0.0 || std::abs(e - 1 / (1 - p)) < 1e-15));
      kept += e != 0.0;
    }
    // 5000 Bernoulli(0.75) draws: mean 3750, sd ~31; 200 is more than 6 sd.
    CHECK(std::abs(kept - 3750) < 200);
    y.backward(ones({100, 50}, kFloat64));
    CHECK(equal(x.grad(), y.data()));  // with x = 1, y is the mask scale itself

    // The same mask scales values and gradients: y = x * scale.
    Variable z(tensor({2, 4, 6, 8}, {4}, kFloat64), true);
    Generator g1(1), g2(1);
    Variable yz = dropout(z, 0.5, true, g1);
    Variable mask = dropout(Variable(ones({4}, kFloat64)), 0.5, true, g2);
    check_values(yz.data(), mul(tensor({2, 4, 6, 8}, {4}, kFloat64), mask.data()).tolist());
    CHECK(gradcheck([](const std::vector<Variable>& in) {
            Generator fixed(7);  // a fresh generator per call: every evaluation drops the same elements
            return dropout(in[0], 0.4, true, fixed);
          },
          {normal_leaf({4, 5})}));

    // Evaluation and p = 0: the input itself, no tape entry. p = 1: all zero, zero gradient.
    const int64_t nodes = Node::live_count();
    Variable e = dropout(x, 0.5, false);
    CHECK(e.same(x));
    CHECK(dropout(x, 0.0, true).same(x));
    CHECK(Node::live_count() == nodes);
    Variable w = leaf({1, 2, 3});
    Variable all = dropout(w, 1.0, true);
    check_values(all.data(), {0, 0, 0});
    all.backward(ones({3}, kFloat64));
    check_values(w.grad(), {0, 0, 0});
    CHECK_THROWS_WITH_AS(dropout(x, 1.5, true), doctest::Contains("dropout"), Error);
    CHECK_THROWS_WITH_AS(dropout(x, -0.1, false), doctest::Contains("dropout"), Error);
  }

  TEST_CASE("float32 results and gradients keep float32, results of ops record the op's name") {
    Variable x(tensor({1.0f, 2.0f}), true);
    Variable y = exp(x) * x;
    CHECK(y.dtype() == kFloat32);
    CHECK(y.grad_fn() != nullptr);
    CHECK(std::string(y.grad_fn()->name) == "mul");
    y.backward(ones({2}));
    CHECK(x.grad().dtype() == kFloat32);
    // d(x e^x) = (1 + x) e^x
    CHECK(x.grad().at<float>({1}) == doctest::Approx(3 * std::exp(2.0)).epsilon(1e-6));
    CHECK_THROWS_WITH_AS(add(Variable(zeros({2, 3})), Variable(zeros({4}))), doctest::Contains("add"), Error);
  }

  TEST_CASE("Variable with a plain Tensor: the Tensor is a constant, values and gradients by hand") {
    Variable x(tensor({1.0, 2.0, 4.0}, {3}, kFloat64), true);
    Tensor t = tensor({2.0, 4.0, 8.0}, {3}, kFloat64);
    CHECK(equal((x + t).data(), tensor({3.0, 6.0, 12.0}, {3}, kFloat64)));
    CHECK(equal((t - x).data(), tensor({1.0, 2.0, 4.0}, {3}, kFloat64)));
    CHECK(equal((x / t).data(), tensor({0.5, 0.5, 0.5}, {3}, kFloat64)));
    Variable y = sum(x * t + t / x);  // dy/dx = t - t / x²
    y.backward();
    CHECK(equal(x.grad(), tensor({0.0, 3.0, 7.5}, {3}, kFloat64)));
    CHECK(gradcheck([&](const std::vector<Variable>& in) { return (in[0] - t) * t + t * in[0] / (t + in[0]); },
                    {Variable(rand({3}, kFloat64) + 1.0, true)}));
  }
}
