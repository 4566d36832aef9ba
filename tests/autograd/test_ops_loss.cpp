// Tests for autograd/ops_loss.cpp: cross_entropy, nll_loss, mse_loss, binary_cross_entropy_with_logits, layer_norm.
//
// Every loss is checked in float64 against values worked out by hand (the formulas are in the comments), for every
// combination of its options, and its gradient against central differences with gradcheck (ignored rows and label
// smoothing included). Then the layouts ([C], [N, C], [N, C, d...]), non-contiguous inputs, float32, empty batches,
// and every error path.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "autograd/ops_loss.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;

namespace {

Variable leaf(const std::vector<double>& values, const Shape& shape, bool requires_grad = true) {
  return Variable(tensor(values, shape, kFloat64), requires_grad);
}

Tensor ids(const std::vector<int64_t>& values) { return tensor(values); }

void check_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-12) {
  std::vector<double> got = t.tolist();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element ", i, ": got ", got[i], ", want ", want[i]);
    CHECK(std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i])));
  }
}

double sum_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

// The four rows used throughout, and their log-sum-exps by hand.
const std::vector<double> kRows = {1, 2, 3,  1, 0, -1,  0, 0, 0,  2, -1, 0.5};
const double kLse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
const double kLse1 = std::log(std::exp(1.0) + 1.0 + std::exp(-1.0));
const double kLse2 = std::log(3.0);
const double kLse3 = std::log(std::exp(2.0) + std::exp(-1.0) + std::exp(0.5));

}  // namespace

TEST_SUITE("ops_loss") {
  TEST_CASE("cross_entropy: [[1, 2, 3]] with target 2 is log(e + e² + e³) - 3") {
    Variable x = leaf({1, 2, 3}, {1, 3});
    Variable loss = cross_entropy(x, ids({2}));
    CHECK(loss.dim() == 0);
    CHECK(loss.item() == doctest::Approx(kLse0 - 3.0).epsilon(1e-14));
    loss.backward();
    // d/dx = softmax(x) - onehot(2)
    check_values(x.grad(), {std::exp(1 - kLse0), std::exp(2 - kLse0), std::exp(3 - kLse0) - 1});
  }

  TEST_CASE("cross_entropy: every combination of reduction, ignore_index and label_smoothing, values and gradcheck") {
    // Rows [1, 2, 3], [1, 0, -1], [0, 0, 0], [2, -1, 0.5]. Per-row loss (1 - eps)(lse - x_t) + eps (lse - mean(x)):
    //   targets A = [2, -100, 1, 0] with the default ignore_index -100 (row 1 ignored);
    //   targets B = [2, 0, 1, 0] with ignore_index 1 (row 2 ignored).
    struct Case {
      std::vector<int64_t> target;
      int64_t ignore_index;
      double eps;
      std::vector<double> rows;  // the per-row losses, by hand
      int64_t valid;
    };
    const std::vector<Case> cases = {
        {{2, -100, 1, 0}, -100, 0.0, {kLse0 - 3, 0, kLse2, kLse3 - 2}, 3},
        // eps 0.1: row 0: lse - 0.9·3 - 0.1·2; row 2: log 3; row 3: lse - 0.9·2 - 0.1·(1.5/3)
        {{2, -100, 1, 0}, -100, 0.1, {kLse0 - 2.9, 0, kLse2, kLse3 - 1.85}, 3},
        {{2, 0, 1, 0}, 1, 0.0, {kLse0 - 3, kLse1 - 1, 0, kLse3 - 2}, 3},
        // row 1 (target 0, mean 0): lse - 0.9·1 - 0.1·0
        {{2, 0, 1, 0}, 1, 0.1, {kLse0 - 2.9, kLse1 - 0.9, 0, kLse3 - 1.85}, 3},
        // eps = 1: only the uniform part is left: lse - mean(x)
        {{2, 0, 1, 0}, 1, 1.0, {kLse0 - 2, kLse1, 0, kLse3 - 0.5}, 3},
    };
    for (const Case& c : cases) {
      for (std::string red : {"none", "sum", "mean"}) {
        CAPTURE(c.ignore_index);
        CAPTURE(c.eps);
        CAPTURE(red);
        CrossEntropyOptions opt{.reduction = red, .ignore_index = c.ignore_index, .label_smoothing = c.eps};
        Variable loss = cross_entropy(leaf(kRows, {4, 3}), ids(c.target), opt);
        if (red == "none") {
          CHECK(loss.shape() == Shape{4});
          check_values(loss.data(), c.rows);
        } else {
          CHECK(loss.dim() == 0);
          const double want = red == "sum" ? sum_of(c.rows) : sum_of(c.rows) / static_cast<double>(c.valid);
          CHECK(loss.item() == doctest::Approx(want).epsilon(1e-13));
        }
        CHECK(gradcheck([&](const std::vector<Variable>& in) { return cross_entropy(in[0], ids(c.target), opt); },
                        {leaf(kRows, {4, 3})}));
      }
    }
  }

  TEST_CASE("cross_entropy: gradient by hand for mean over non-ignored rows") {
    Variable x = leaf(kRows, {4, 3});
    cross_entropy(x, ids({2, -100, 1, 0})).backward();
    // (softmax - onehot) / 3 on the three counted rows, 0 on the ignored one.
    const double third = 1.0 / 3.0;
    std::vector<double> want = {std::exp(1 - kLse0) / 3, std::exp(2 - kLse0) / 3, (std::exp(3 - kLse0) - 1) / 3,
                                0, 0, 0,
                                third / 3, (third - 1) / 3, third / 3,
                                (std::exp(2 - kLse3) - 1) / 3, std::exp(-1 - kLse3) / 3, std::exp(0.5 - kLse3) / 3};
    check_values(x.grad(), want);
  }

  TEST_CASE("cross_entropy: [N, C, d] moves the class dim, [C] with a 0-d target") {
    // logits[n][c][j] = row (2n + j)[c]: the four rows above as N = 2, d = 2.
    std::vector<double> v(12);
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 3; ++c)
        for (int j = 0; j < 2; ++j) v[(n * 3 + c) * 2 + j] = kRows[(2 * n + j) * 3 + c];
    Tensor target = tensor(std::vector<int64_t>{2, -100, 1, 0}, {2, 2});
    Variable loss = cross_entropy(leaf(v, {2, 3, 2}), target, {.reduction = "none"});
    CHECK(loss.shape() == Shape{2, 2});
    check_values(loss.data(), {kLse0 - 3, 0, kLse2, kLse3 - 2});
    Variable mean_loss = cross_entropy(leaf(v, {2, 3, 2}), target, {.label_smoothing = 0.1});
    CHECK(mean_loss.item() == doctest::Approx((kLse0 - 2.9 + kLse2 + kLse3 - 1.85) / 3).epsilon(1e-13));
    // The gradient goes back to [N, C, d]: compare with the [4, 3] layout element by element.
    Variable x = leaf(v, {2, 3, 2});
    cross_entropy(x, target).backward();
    Variable rows = leaf(kRows, {4, 3});
    cross_entropy(rows, ids({2, -100, 1, 0})).backward();
    CHECK(x.grad().shape() == Shape{2, 3, 2});
    std::vector<double> g = x.grad().tolist(), gr = rows.grad().tolist();
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 3; ++c)
        for (int j = 0; j < 2; ++j) CHECK(g[(n * 3 + c) * 2 + j] == doctest::Approx(gr[(2 * n + j) * 3 + c]).epsilon(1e-14));

    // 4-d: [N, C, d1, d2] with ignored positions, through every reduction.
    Tensor t4 = tensor(std::vector<int64_t>{0, 3, -100, 1, 2, 2, -100, 0, 1, 3, 3, 0}, {2, 2, 3});
    for (std::string red : {"none", "sum", "mean"}) {
      CHECK(gradcheck([&](const std::vector<Variable>& in) {
              return cross_entropy(in[0], t4, {.reduction = red, .label_smoothing = 0.2});
            },
            {Variable(randn({2, 4, 2, 3}, kFloat64), true)}));
    }
    CHECK(cross_entropy(Variable(randn({2, 4, 2, 3}, kFloat64)), t4, {.reduction = "none"}).shape() == Shape{2, 2, 3});

    // [C] with a 0-d target: one example.
    Tensor t0 = scalar_tensor(2, kInt64);
    Variable one = leaf({1, 2, 3}, {3});
    Variable l1 = cross_entropy(one, t0);
    CHECK(l1.dim() == 0);
    CHECK(l1.item() == doctest::Approx(kLse0 - 3).epsilon(1e-14));
    CHECK(cross_entropy(one, t0, {.reduction = "none"}).dim() == 0);
    l1.backward();
    CHECK(one.grad().shape() == Shape{3});
    check_values(one.grad(), {std::exp(1 - kLse0), std::exp(2 - kLse0), std::exp(3 - kLse0) - 1});
    CHECK(gradcheck([&](const std::vector<Variable>& in) { return cross_entropy(in[0], t0, {.label_smoothing = 0.3}); },
                    {leaf({1, 2, 3}, {3})}));
  }

  TEST_CASE("cross_entropy: non-contiguous logits, float32, stability, empty batch, no tape without requires_grad") {
    // Logits given as the transpose of a [3, 4] tensor.
    Tensor stored = tensor({1, 1, 0, 2, 2, 0, 0, -1, 3, -1, 0, 0.5}, {3, 4}, kFloat64);
    Variable xt(stored.t(), true);
    REQUIRE(!xt.data().is_contiguous());
    Variable loss = cross_entropy(xt, ids({2, -100, 1, 0}), {.reduction = "none"});
    check_values(loss.data(), {kLse0 - 3, 0, kLse2, kLse3 - 2});
    CHECK(gradcheck([](const std::vector<Variable>& in) {
            return cross_entropy(in[0], ids({2, -100, 1, 0}), {.label_smoothing = 0.1});
          },
          {xt}));

    // float32 agrees with float64.
    Variable x32(tensor(kRows, {4, 3}, kFloat32), true);
    Variable l32 = cross_entropy(x32, ids({2, -100, 1, 0}));
    CHECK(l32.dtype() == kFloat32);
    CHECK(l32.item() == doctest::Approx((kLse0 - 3 + kLse2 + kLse3 - 2) / 3).epsilon(1e-6));
    l32.backward();
    CHECK(x32.grad().dtype() == kFloat32);
    CHECK(x32.grad().at<float>({0, 2}) == doctest::Approx((std::exp(3 - kLse0) - 1) / 3).epsilon(1e-6));

    // Huge logits: log 2, not inf or NaN.
    CHECK(cross_entropy(leaf({1e4, 1e4}, {1, 2}), ids({1})).item() == doctest::Approx(std::log(2.0)));

    // Empty batch: the sum is 0 and the mean over no rows is NaN (as in PyTorch); backward still works.
    Variable e(zeros({0, 5}, kFloat64), true);
    CHECK(cross_entropy(e, zeros({0}, kInt64), {.reduction = "sum"}).item() == 0.0);
    CHECK(std::isnan(cross_entropy(e, zeros({0}, kInt64)).item()));
    CHECK(cross_entropy(e, zeros({0}, kInt64), {.reduction = "none"}).shape() == Shape{0});
    cross_entropy(e, zeros({0}, kInt64), {.reduction = "sum"}).backward();
    CHECK(e.grad().shape() == Shape{0, 5});
    // All rows ignored: NaN mean, zero gradient (not NaN).
    Variable all(tensor(kRows, {4, 3}, kFloat64), true);
    Variable l_all = cross_entropy(all, ids({-100, -100, -100, -100}));
    CHECK(std::isnan(l_all.item()));
    l_all.backward();
    check_values(all.grad(), std::vector<double>(12, 0.0));

    // No requires_grad: nothing recorded.
    const int64_t nodes = Node::live_count();
    Variable plain = cross_entropy(leaf(kRows, {4, 3}, false), ids({0, 1, 2, 0}));
    CHECK_FALSE(plain.requires_grad());
    CHECK(Node::live_count() == nodes);
  }

  TEST_CASE("cross_entropy: errors") {
    Variable x = leaf(kRows, {4, 3});
    CHECK_THROWS_WITH_AS(cross_entropy(x, ids({0, 1, 3, 0})),
                         doctest::Contains("cross_entropy: target 3 at position 2 is out of range for 3 classes"),
                         Error);
    CHECK_THROWS_WITH_AS(cross_entropy(x, ids({0, -1, 2, 0})), doctest::Contains("out of range"), Error);
    // -100 is only ignored when it is the ignore_index.
    CHECK_THROWS_WITH_AS(cross_entropy(x, ids({0, -100, 2, 0}), {.ignore_index = 1}), doctest::Contains("out of range"),
                         Error);
    CHECK_THROWS_WITH_AS(cross_entropy(x, ids({0, 1, 2})), doctest::Contains("cross_entropy: target of shape [3]"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(x, tensor(std::vector<int64_t>{0, 1, 2, 0}, {4, 1})),
                         doctest::Contains("expected target shape [4]"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(x, tensor({0.0, 1.0, 2.0, 0.0})), doctest::Contains("int64"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(x, ids({0, 1, 2, 0}), {.reduction = "average"}),
                         doctest::Contains("cross_entropy: reduction must be"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(x, ids({0, 1, 2, 0}), {.label_smoothing = -0.1}),
                         doctest::Contains("label_smoothing"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(Variable(scalar_tensor(1.0, kFloat64)), scalar_tensor(0, kInt64)),
                         doctest::Contains("cross_entropy"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(Variable(), ids({0})), doctest::Contains("cross_entropy"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(x, Tensor()), doctest::Contains("cross_entropy"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(Variable(zeros({2, 3, 4})), zeros({2, 3}, kInt64)),
                         doctest::Contains("expected target shape [2, 4]"), Error);
  }

  TEST_CASE("nll_loss: values, options, gradients, agrees with cross_entropy on log_softmax") {
    // log-probs by hand: loss = -log_probs[t]
    Variable lp = leaf({-0.5, -1.5, -2.5, -3.5, -4.5, -5.5, -0.25, -0.75, -1.25}, {3, 3});
    check_values(nll_loss(lp, ids({1, 2, 0}), {.reduction = "none"}).data(), {1.5, 5.5, 0.25});
    CHECK(nll_loss(lp, ids({1, 2, 0})).item() == doctest::Approx((1.5 + 5.5 + 0.25) / 3).epsilon(1e-14));
    CHECK(nll_loss(lp, ids({1, -100, 0}), {.reduction = "sum"}).item() == doctest::Approx(1.75).epsilon(1e-14));
    CHECK(nll_loss(lp, ids({1, -100, 0})).item() == doctest::Approx(1.75 / 2).epsilon(1e-14));
    CHECK(nll_loss(lp, ids({1, 2, 0}), {.ignore_index = 2}).item() == doctest::Approx(1.75 / 2).epsilon(1e-14));
    Variable x = leaf({-0.5, -1.5, -2.5, -3.5, -4.5, -5.5, -0.25, -0.75, -1.25}, {3, 3});
    nll_loss(x, ids({1, -100, 0})).backward();
    check_values(x.grad(), {0, -0.5, 0, 0, 0, 0, -0.5, 0, 0});
    for (std::string red : {"none", "sum", "mean"}) {
      CHECK(gradcheck([&](const std::vector<Variable>& in) {
              return nll_loss(in[0], ids({1, -100, 0}), {.reduction = red});
            },
            {Variable(randn({3, 3}, kFloat64), true)}));
    }
    // [N, C, d] and [C] layouts.
    Tensor t2 = tensor(std::vector<int64_t>{0, 2, -100, 1}, {2, 2});
    CHECK(gradcheck([&](const std::vector<Variable>& in) { return nll_loss(in[0], t2, {.reduction = "none"}); },
                    {Variable(randn({2, 3, 2}, kFloat64), true)}));
    CHECK(nll_loss(leaf({-1, -2, -3}, {3}), scalar_tensor(1, kInt64)).item() == doctest::Approx(2.0));
    // nll_loss(log_softmax(x)) == cross_entropy(x).
    Tensor logits = tensor(kRows, {4, 3}, kFloat64);
    Variable via_nll = nll_loss(Variable(log_softmax(logits, 1)), ids({2, -100, 1, 0}), {.reduction = "none"});
    check_values(via_nll.data(), cross_entropy(Variable(logits), ids({2, -100, 1, 0}), {.reduction = "none"}).data().tolist(),
                 1e-14);
    // Errors.
    CHECK_THROWS_WITH_AS(nll_loss(lp, ids({1, 3, 0})), doctest::Contains("nll_loss"), Error);
    CHECK_THROWS_WITH_AS(nll_loss(lp, ids({1, 2})), doctest::Contains("nll_loss"), Error);
    CHECK_THROWS_WITH_AS(nll_loss(lp, ids({1, 2, 0}), {.reduction = "avg"}), doctest::Contains("nll_loss"), Error);
    CHECK_THROWS_WITH_AS(nll_loss(lp, tensor({1.0, 2.0, 0.0})), doctest::Contains("int64"), Error);
  }

  TEST_CASE("mse_loss: values for each reduction, gradients to input and target") {
    // (1-0)², (2-4)², (3-3)², (-1-1)² = 1, 4, 0, 4
    Variable a = leaf({1, 2, 3, -1}, {2, 2});
    Variable b = leaf({0, 4, 3, 1}, {2, 2});
    check_values(mse_loss(a, b, "none").data(), {1, 4, 0, 4});
    CHECK(mse_loss(a, b, "sum").item() == 9.0);
    CHECK(mse_loss(a, b).item() == 2.25);
    // d/da mean((a-b)²) = 2 (a - b) / 4, d/db = -that
    mse_loss(a, b).backward();
    check_values(a.grad(), {0.5, -1, 0, -1});
    check_values(b.grad(), {-0.5, 1, 0, 1});
    // Target without requires_grad gets nothing and costs nothing.
    Variable c = leaf({1, 2, 3, -1}, {2, 2});
    Variable d = leaf({0, 4, 3, 1}, {2, 2}, false);
    mse_loss(c, d, "sum").backward();
    check_values(c.grad(), {2, -4, 0, -4});
    CHECK_FALSE(d.grad().defined());
    for (std::string red : {"none", "sum", "mean"}) {
      CHECK(gradcheck([&](const std::vector<Variable>& in) { return mse_loss(in[0], in[1], red); },
                      {Variable(randn({3, 4}, kFloat64), true), Variable(randn({3, 4}, kFloat64), true)}));
    }
    // Non-contiguous input.
    CHECK(gradcheck([](const std::vector<Variable>& in) { return mse_loss(in[0], in[1]); },
                    {Variable(randn({4, 3}, kFloat64).t(), true), Variable(randn({3, 4}, kFloat64), true)}));
    // The one-pass sum of squares gives the bits of the tensor ops it stands for, short and long (past a 4096-element
    // block and a thread split), float32 and float64.
    Generator gen(3);
    for (int64_t n : {1, 7, 5000, 70001}) {
      for (DType dt : {kFloat32, kFloat64}) {
        INFO("n = ", n, ", ", dtype_name(dt));
        Tensor x = randn({n}, dt, gen), y = randn({n}, dt, gen);
        CHECK(mse_loss(Variable(x), Variable(y)).item() == mean(square(sub(x, y))).item());
        CHECK(mse_loss(Variable(x), Variable(y), "sum").item() == sum(square(sub(x, y))).item());
        CHECK(mse_loss(Variable(x), Variable(y)).dtype() == dt);
      }
    }
    // float32 and empty.
    CHECK(mse_loss(Variable(tensor({1, 2})), Variable(tensor({3, 2}))).item() == 2.0);
    CHECK(std::isnan(mse_loss(Variable(zeros({0})), Variable(zeros({0}))).item()));
    CHECK(mse_loss(Variable(zeros({0})), Variable(zeros({0})), "sum").item() == 0.0);
    // Errors: a shape mismatch is not silently broadcast.
    CHECK_THROWS_WITH_AS(mse_loss(Variable(zeros({3, 1})), Variable(zeros({3}))),
                         doctest::Contains("mse_loss: input of shape [3, 1] and target of shape [3]"), Error);
    CHECK_THROWS_WITH_AS(mse_loss(Variable(zeros({3})), Variable(zeros({3}, kFloat64))), doctest::Contains("mse_loss"),
                         Error);
    CHECK_THROWS_WITH_AS(mse_loss(Variable(zeros({3})), Variable(zeros({3})), "mean "), doctest::Contains("reduction"),
                         Error);
    CHECK_THROWS_WITH_AS(mse_loss(Variable(zeros({3}, kInt64)), Variable(zeros({3}, kInt64))),
                         doctest::Contains("mse_loss"), Error);
  }

  TEST_CASE("binary_cross_entropy_with_logits: values, reductions, pos_weight, gradients") {
    // max(x, 0) - x t + log(1 + e^-|x|): x = 0, t = 1 -> log 2; x = 2, t = 0 -> 2 + log(1 + e^-2);
    // x = -3, t = 0.5 -> 1.5 + log(1 + e^-3); x = 50, t = 0 -> 50 (+ log(1 + e^-50), below float64's resolution)
    Variable x = leaf({0, 2, -3, 50}, {4});
    Tensor t = tensor({1, 0, 0.5, 0}, {4}, kFloat64);
    const std::vector<double> want = {std::log(2.0), 2 + std::log1p(std::exp(-2.0)), 1.5 + std::log1p(std::exp(-3.0)),
                                      50.0};
    check_values(binary_cross_entropy_with_logits(x, t, "none").data(), want);
    CHECK(binary_cross_entropy_with_logits(x, t, "sum").item() == doctest::Approx(sum_of(want)).epsilon(1e-14));
    Variable m = binary_cross_entropy_with_logits(x, t);
    CHECK(m.item() == doctest::Approx(sum_of(want) / 4).epsilon(1e-14));
    m.backward();
    // (sigmoid(x) - t) / 4
    check_values(x.grad(), {(0.5 - 1) / 4, 1 / (1 + std::exp(-2.0)) / 4, (1 / (1 + std::exp(3.0)) - 0.5) / 4, 0.25});
    // pos_weight per class of the last dim: [2, 3] logits, pos_weight [3] = [1, 2, 4].
    // With t = 1 the loss is p log(1 + e^-x); with t = 0 it is x + log(1 + e^-x) whatever p.
    Variable x2 = leaf({0, 0, 0, 1, 1, 1}, {2, 3});
    Tensor t2 = tensor({1, 1, 1, 0, 0, 0}, {2, 3}, kFloat64);
    Tensor pw = tensor({1, 2, 4}, {3}, kFloat64);
    const double l2 = std::log(2.0), sp1 = 1 + std::log1p(std::exp(-1.0));
    check_values(binary_cross_entropy_with_logits(x2, t2, "none", pw).data(), {l2, 2 * l2, 4 * l2, sp1, sp1, sp1});
    for (std::string red : {"none", "sum", "mean"}) {
      CHECK(gradcheck([&](const std::vector<Variable>& in) {
              return binary_cross_entropy_with_logits(in[0], t2, red);
            },
            {Variable(randn({2, 3}, kFloat64), true)}));
      Tensor soft = rand({2, 3}, kFloat64);  // soft targets in [0, 1)
      CHECK(gradcheck([&](const std::vector<Variable>& in) {
              return binary_cross_entropy_with_logits(in[0], soft, red, pw);
            },
            {Variable(randn({2, 3}, kFloat64), true)}));
    }
    // Non-contiguous logits.
    CHECK(gradcheck([&](const std::vector<Variable>& in) { return binary_cross_entropy_with_logits(in[0], t2, "mean", pw); },
                    {Variable(randn({3, 2}, kFloat64).t(), true)}));
    // Errors.
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(Variable(zeros({4, 1})), zeros({4})),
                         doctest::Contains("binary_cross_entropy_with_logits"), Error);
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(Variable(zeros({4})), zeros({4}), "batchmean"),
                         doctest::Contains("binary_cross_entropy_with_logits: reduction"), Error);
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(Variable(zeros({2, 3})), zeros({2, 3}), "mean", zeros({2})),
                         doctest::Contains("pos_weight"), Error);
  }

  TEST_CASE("layer_norm: values with and without affine, several normalised dims") {
    // Row [1, 2, 3, 4]: mean 2.5, var 1.25; row [2, 2, 2, 6]: mean 3, var 3. eps 1e-5 by default.
    const double r0 = 1 / std::sqrt(1.25 + 1e-5), r1 = 1 / std::sqrt(3 + 1e-5);
    Variable x = leaf({1, 2, 3, 4, 2, 2, 2, 6}, {2, 4});
    check_values(layer_norm(x, {4}).data(), {-1.5 * r0, -0.5 * r0, 0.5 * r0, 1.5 * r0, -r1, -r1, -r1, 3 * r1});
    Variable w = leaf({1, 2, 3, 4}, {4}), b = leaf({0, 1, 0, -1}, {4});
    check_values(layer_norm(x, {4}, w, b).data(),
                 {-1.5 * r0, -r0 + 1, 1.5 * r0, 6 * r0 - 1, -r1, -2 * r1 + 1, -3 * r1, 12 * r1 - 1});
    // Explicit eps: a constant row [5, 5] with eps 0.25 is all zeros; over [2, 4] both rows are one group of 8 with
    // mean 2.75 and var (3.0625 + 0.5625 + 0.0625 + 1.5625 + 3 * 0.5625 + 10.5625) / 8 = 2.1875.
    check_values(layer_norm(leaf({5, 5}, {2}), {2}, Variable(), Variable(), 0.25).data(), {0, 0});
    const double r = 1 / std::sqrt(2.1875);
    check_values(layer_norm(x, {2, 4}, Variable(), Variable(), 0.0).data(),
                 {-1.75 * r, -0.75 * r, 0.25 * r, 1.25 * r, -0.75 * r, -0.75 * r, -0.75 * r, 3.25 * r});
  }

  TEST_CASE("layer_norm: gradcheck w.r.t. x, weight and bias, in every affine combination") {
    Tensor x = randn({3, 2, 5}, kFloat64), w = randn({5}, kFloat64), b = randn({5}, kFloat64);
    CHECK(gradcheck([](const std::vector<Variable>& in) { return layer_norm(in[0], {5}, in[1], in[2]); },
                    {Variable(x, true), Variable(w, true), Variable(b, true)}));
    CHECK(gradcheck([](const std::vector<Variable>& in) { return layer_norm(in[0], {5}); }, {Variable(x, true)}));
    CHECK(gradcheck([](const std::vector<Variable>& in) { return layer_norm(in[0], {5}, in[1]); },
                    {Variable(x, true), Variable(w, true)}));
    CHECK(gradcheck([](const std::vector<Variable>& in) { return layer_norm(in[0], {5}, Variable(), in[1]); },
                    {Variable(x, true), Variable(b, true)}));
    // Only the parameters need gradients (x is data), and only x (parameters frozen).
    CHECK(gradcheck([](const std::vector<Variable>& in) { return layer_norm(in[0], {5}, in[1], in[2]); },
                    {Variable(x, false), Variable(w, true), Variable(b, true)}));
    CHECK(gradcheck([](const std::vector<Variable>& in) { return layer_norm(in[0], {5}, in[1], in[2]); },
                    {Variable(x, true), Variable(w, false), Variable(b, false)}));
    // Two normalised dims, a non-contiguous x, a custom eps.
    CHECK(gradcheck([](const std::vector<Variable>& in) { return layer_norm(in[0], {2, 5}, in[1], in[2], 0.1); },
                    {Variable(x, true), Variable(randn({2, 5}, kFloat64), true), Variable(randn({2, 5}, kFloat64), true)}));
    CHECK(gradcheck([](const std::vector<Variable>& in) { return layer_norm(in[0], {3}, in[1], in[2]); },
                    {Variable(randn({3, 4}, kFloat64).t(), true), Variable(randn({3}, kFloat64), true),
                     Variable(randn({3}, kFloat64), true)}));
  }

  TEST_CASE("layer_norm: gradient by hand, float32, errors") {
    // x = [1, 2, 3, 4], eps 0 (r = 1/sqrt(1.25), r² = 0.8), w = 1, upstream g = [1, 0, 0, 0]:
    //   dx = r [0.3, -0.4, -0.1, 0.2], dweight = g xhat = [-1.5 r, 0, 0, 0], dbias = g.
    Variable x = leaf({1, 2, 3, 4}, {1, 4});
    Variable w = leaf({1, 1, 1, 1}, {4}), b = leaf({0, 0, 0, 0}, {4});
    layer_norm(x, {4}, w, b, 0.0).backward(tensor({1, 0, 0, 0}, {1, 4}, kFloat64));
    const double r = 1 / std::sqrt(1.25);
    check_values(x.grad(), {0.3 * r, -0.4 * r, -0.1 * r, 0.2 * r});
    check_values(w.grad(), {-1.5 * r, 0, 0, 0});
    check_values(b.grad(), {1, 0, 0, 0});

    Variable x32(tensor({1, 2, 3, 4}, {1, 4}), true);
    Variable y32 = layer_norm(x32, {4});
    CHECK(y32.dtype() == kFloat32);
    y32.backward(tensor({1, 0, 0, 0}, {1, 4}));
    CHECK(x32.grad().at<float>({0, 1}) == doctest::Approx(-0.4 / std::sqrt(1.25 + 1e-5)).epsilon(1e-5));

    CHECK(layer_norm(Variable(zeros({0, 3})), {3}).shape() == Shape{0, 3});
    CHECK_THROWS_WITH_AS(layer_norm(Variable(zeros({2, 3})), {4}), doctest::Contains("layer_norm"), Error);
    CHECK_THROWS_WITH_AS(layer_norm(Variable(zeros({2, 3})), {3}, Variable(zeros({4}))), doctest::Contains("weight"),
                         Error);
    CHECK_THROWS_WITH_AS(layer_norm(Variable(zeros({2, 3})), {3}, Variable(), Variable(zeros({3}, kFloat64))),
                         doctest::Contains("bias"), Error);
    CHECK_THROWS_WITH_AS(layer_norm(Variable(), {3}), doctest::Contains("layer_norm"), Error);
  }
}
