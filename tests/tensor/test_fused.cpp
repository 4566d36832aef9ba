// Tests for tensor/fused.cpp: LayerNorm forward/backward, cross-entropy, NLL and binary cross-entropy kernels.
//
// Values are worked out by hand in the comments (or, for the LayerNorm backward on random data, compared with central
// differences of the forward kernel, which is itself checked by hand). Each kernel runs in float32 and float64, on
// contiguous and non-contiguous inputs, on empty inputs, and through every error path.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/fused.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;

namespace {

// Every element of t is within tol (absolute + relative) of want.
void check_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-12) {
  std::vector<double> got = t.tolist();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element ", i, ": got ", got[i], ", want ", want[i]);
    CHECK(std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i])));
  }
}

double tol_for(DType dt) { return dt == kFloat32 ? 2e-6 : 1e-12; }

const double kLse123 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));  // log(e + e² + e³) = 3.4076059644

}  // namespace

TEST_SUITE("fused") {
  TEST_CASE("layer_norm_forward: hand-computed rows, with and without affine, float32 and float64") {
    for (DType dt : {kFloat32, kFloat64}) {
      // Row [1, 2, 3, 4]: mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
      // Row [2, 2, 2, 6]: mean 3, variance (1 + 1 + 1 + 9) / 4 = 3.
      Tensor x = tensor({1, 2, 3, 4, 2, 2, 2, 6}, {2, 4}, dt);
      const double eps = 1e-5;
      const double r0 = 1.0 / std::sqrt(1.25 + eps), r1 = 1.0 / std::sqrt(3.0 + eps);
      LayerNormForward f = layer_norm_forward(x, {4}, Tensor(), Tensor(), eps);
      CHECK(f.y.shape() == Shape{2, 4});
      CHECK(f.mean.shape() == Shape{2});
      CHECK(f.rstd.shape() == Shape{2});
      CHECK(f.y.dtype() == dt);
      check_values(f.y, {-1.5 * r0, -0.5 * r0, 0.5 * r0, 1.5 * r0, -r1, -r1, -r1, 3 * r1}, tol_for(dt));
      check_values(f.mean, {2.5, 3.0}, tol_for(dt));
      check_values(f.rstd, {r0, r1}, tol_for(dt));

      // weight [1, 2, 3, 4] and bias [0, 1, 0, -1]
      Tensor w = tensor({1, 2, 3, 4}, {4}, dt), b = tensor({0, 1, 0, -1}, {4}, dt);
      LayerNormForward g = layer_norm_forward(x, {4}, w, b, eps);
      check_values(g.y, {-1.5 * r0, -1.0 * r0 + 1, 1.5 * r0, 6 * r0 - 1, -r1, -2 * r1 + 1, -3 * r1, 12 * r1 - 1},
                   tol_for(dt));
      // weight only, bias only
      check_values(layer_norm_forward(x, {4}, w, Tensor(), eps).y,
                   {-1.5 * r0, -1.0 * r0, 1.5 * r0, 6 * r0, -r1, -2 * r1, -3 * r1, 12 * r1}, tol_for(dt));
      check_values(layer_norm_forward(x, {4}, Tensor(), b, eps).y,
                   {-1.5 * r0, -0.5 * r0 + 1, 0.5 * r0, 1.5 * r0 - 1, -r1, -r1 + 1, -r1, 3 * r1 - 1}, tol_for(dt));
    }
  }

  TEST_CASE("layer_norm_forward: several normalised dims, leading batch dims, eps and a large mean") {
    // x: [2, 1, 2, 2] normalised over [2, 2]: each [2, 2] block is one row.
    Tensor x = tensor({1, 2, 3, 4, 2, 2, 2, 6}, {2, 1, 2, 2}, kFloat64);
    LayerNormForward f = layer_norm_forward(x, {2, 2}, Tensor(), Tensor(), 0.0);
    CHECK(f.mean.shape() == Shape{2, 1});
    const double r0 = 1.0 / std::sqrt(1.25), r1 = 1.0 / std::sqrt(3.0);
    check_values(f.y, {-1.5 * r0, -0.5 * r0, 0.5 * r0, 1.5 * r0, -r1, -r1, -r1, 3 * r1});
    // eps matters for a constant row: variance 0, rstd = 1 / sqrt(eps), y = 0.
    LayerNormForward c = layer_norm_forward(tensor({5, 5, 5}, {3}, kFloat64), {3}, Tensor(), Tensor(), 0.25);
    check_values(c.rstd, {2.0});
    check_values(c.y, {0, 0, 0});
    CHECK(c.mean.dim() == 0);
    // A mean of 1e4 next to a spread of 1 in float32: the two-pass variance keeps full precision (E[x²] - E[x]² would
    // lose it all to cancellation: 1e8 in float32 has a spacing of 8).
    LayerNormForward big = layer_norm_forward(tensor({10001, 10002, 10003, 10004}, {4}, kFloat32), {4}, Tensor(),
                                              Tensor(), 0.0);
    const double r = 1.0 / std::sqrt(1.25);
    check_values(big.y, {-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r}, 1e-6);
  }

  TEST_CASE("layer_norm_forward: non-contiguous input equals the contiguous result") {
    Tensor base = randn({5, 3}, kFloat64);
    Tensor xt = base.t();  // [3, 5], not contiguous
    REQUIRE(!xt.is_contiguous());
    LayerNormForward a = layer_norm_forward(xt, {5}, Tensor(), Tensor());
    LayerNormForward b = layer_norm_forward(xt.contiguous(), {5}, Tensor(), Tensor());
    CHECK(equal(a.y, b.y));
    // And against the definition, row by row.
    std::vector<double> v = xt.tolist(), y = a.y.tolist();
    for (int r = 0; r < 3; ++r) {
      double m = 0, s = 0;
      for (int j = 0; j < 5; ++j) m += v[r * 5 + j] / 5;
      for (int j = 0; j < 5; ++j) s += (v[r * 5 + j] - m) * (v[r * 5 + j] - m) / 5;
      for (int j = 0; j < 5; ++j) CHECK(y[r * 5 + j] == doctest::Approx((v[r * 5 + j] - m) / std::sqrt(s + 1e-5)).epsilon(1e-12));
    }
  }

  TEST_CASE("layer_norm_backward: hand-computed row") {
    for (DType dt : {kFloat32, kFloat64}) {
      // x = [1, 2, 3, 4] (eps 0: rstd r = 1/sqrt(1.25), r² = 0.8), w = 1, g = [1, 0, 0, 0]:
      // mean(g) = 1/4, mean(g xhat) = -1.5 r / 4, so dx_j = r (g_j - 1/4 + 0.375 r² (x_j - 2.5))
      //   = r [0.3, -0.4, -0.1, 0.2]; dweight = g xhat = [-1.5 r, 0, 0, 0]; dbias = g.
      Tensor x = tensor({1, 2, 3, 4}, {1, 4}, dt);
      LayerNormForward f = layer_norm_forward(x, {4}, Tensor(), Tensor(), 0.0);
      Tensor g = tensor({1, 0, 0, 0}, {1, 4}, dt);
      LayerNormBackward b = layer_norm_backward(g, x, f.mean, f.rstd, Tensor());
      const double r = 1.0 / std::sqrt(1.25);
      check_values(b.dx, {0.3 * r, -0.4 * r, -0.1 * r, 0.2 * r}, tol_for(dt));
      check_values(b.dweight, {-1.5 * r, 0, 0, 0}, tol_for(dt));
      check_values(b.dbias, {1, 0, 0, 0}, tol_for(dt));
      // With weight w = [2, 2, 2, 2], g w = 2 g: dx doubles, dweight and dbias do not change.
      LayerNormBackward bw = layer_norm_backward(g, x, f.mean, f.rstd, full({4}, 2.0, dt));
      check_values(bw.dx, {0.6 * r, -0.8 * r, -0.2 * r, 0.4 * r}, tol_for(dt));
      check_values(bw.dweight, {-1.5 * r, 0, 0, 0}, tol_for(dt));
      // The mask skips what is not wanted.
      LayerNormBackward only_dx = layer_norm_backward(g, x, f.mean, f.rstd, Tensor(), {.dweight = false, .dbias = false});
      CHECK(only_dx.dx.defined());
      CHECK_FALSE(only_dx.dweight.defined());
      CHECK_FALSE(only_dx.dbias.defined());
      LayerNormBackward no_dx = layer_norm_backward(g, x, f.mean, f.rstd, Tensor(), {.dx = false});
      CHECK_FALSE(no_dx.dx.defined());
      check_values(no_dx.dbias, {1, 0, 0, 0}, tol_for(dt));
    }
  }

  TEST_CASE("layer_norm_backward: agrees with central differences of the forward, affine sums over rows") {
    // L = sum(v * layer_norm(x, w, b)); dL/dx, dL/dw, dL/db by finite differences in float64.
    Tensor x = randn({3, 2, 4}, kFloat64), w = randn({2, 4}, kFloat64), b = randn({2, 4}, kFloat64);
    Tensor v = randn({3, 2, 4}, kFloat64);
    auto L = [&]() { return sum(mul(layer_norm_forward(x, {2, 4}, w, b).y, v)).item(); };
    LayerNormForward f = layer_norm_forward(x, {2, 4}, w, b);
    LayerNormBackward g = layer_norm_backward(v, x, f.mean, f.rstd, w);
    const double h = 1e-6;
    for (auto [t, grad] : {std::pair{x, g.dx}, std::pair{w, g.dweight}, std::pair{b, g.dbias}}) {
      double* p = t.data<double>();
      std::vector<double> analytic = grad.tolist();
      for (int64_t i = 0; i < t.numel(); ++i) {
        const double orig = p[i];
        p[i] = orig + h;
        const double up = L();
        p[i] = orig - h;
        const double down = L();
        p[i] = orig;
        CHECK(analytic[i] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6));
      }
    }
    // Non-contiguous grad (a transposed view) gives the same result.
    Tensor vt = v.transpose(0, 2).contiguous().transpose(0, 2);
    REQUIRE(!vt.is_contiguous());
    CHECK(allclose(layer_norm_backward(vt, x, f.mean, f.rstd, w).dx, g.dx, 0, 1e-14));
  }

  TEST_CASE("layer_norm: empty tensors") {
    LayerNormForward f = layer_norm_forward(zeros({0, 4}, kFloat64), {4}, ones({4}, kFloat64), zeros({4}, kFloat64));
    CHECK(f.y.shape() == Shape{0, 4});
    CHECK(f.mean.shape() == Shape{0});
    LayerNormBackward b = layer_norm_backward(zeros({0, 4}, kFloat64), zeros({0, 4}, kFloat64), f.mean, f.rstd,
                                              ones({4}, kFloat64));
    CHECK(b.dx.shape() == Shape{0, 4});
    check_values(b.dweight, {0, 0, 0, 0});  // a sum over no rows
    // Empty rows: nothing to normalise, nothing to read.
    LayerNormForward e = layer_norm_forward(zeros({2, 0}), {0}, Tensor(), Tensor());
    CHECK(e.y.shape() == Shape{2, 0});
  }

  TEST_CASE("layer_norm: errors name the op") {
    Tensor x = zeros({2, 3});
    CHECK_THROWS_WITH_AS(layer_norm_forward(x, {4}, Tensor(), Tensor()), doctest::Contains("layer_norm"), Error);
    CHECK_THROWS_WITH_AS(layer_norm_forward(x, {2, 2, 3}, Tensor(), Tensor()), doctest::Contains("normalized_shape"),
                         Error);
    CHECK_THROWS_WITH_AS(layer_norm_forward(x, Shape{}, Tensor(), Tensor()), doctest::Contains("layer_norm"), Error);
    CHECK_THROWS_WITH_AS(layer_norm_forward(x, {3}, zeros({2}), Tensor()), doctest::Contains("weight"), Error);
    CHECK_THROWS_WITH_AS(layer_norm_forward(x, {3}, Tensor(), zeros({3}, kFloat64)), doctest::Contains("bias"), Error);
    CHECK_THROWS_WITH_AS(layer_norm_forward(zeros({2, 3}, kInt64), {3}, Tensor(), Tensor()),
                         doctest::Contains("layer_norm"), Error);
    CHECK_THROWS_WITH_AS(layer_norm_forward(Tensor(), {3}, Tensor(), Tensor()), doctest::Contains("layer_norm"), Error);
    CHECK_THROWS_AS(layer_norm_forward(x, {3}, Tensor(), Tensor(), -1.0), Error);
    LayerNormForward f = layer_norm_forward(x, {3}, Tensor(), Tensor());
    CHECK_THROWS_WITH_AS(layer_norm_backward(zeros({2, 4}), x, f.mean, f.rstd, Tensor()),
                         doctest::Contains("layer_norm_backward"), Error);
    CHECK_THROWS_WITH_AS(layer_norm_backward(x, x, zeros({3}), f.rstd, Tensor()), doctest::Contains("layer_norm_backward"),
                         Error);
  }

  TEST_CASE("cross_entropy_forward: hand-computed losses, label smoothing, ignore_index") {
    for (DType dt : {kFloat32, kFloat64}) {
      // Row 0 [1, 2, 3] target 2: lse - 3. Row 1 [1, 0, -1] ignored. Row 2 [0, 0, 0] target 1: log 3.
      Tensor x = tensor({1, 2, 3, 1, 0, -1, 0, 0, 0}, {3, 3}, dt);
      Tensor t = tensor(std::vector<int64_t>{2, -100, 1});
      CrossEntropyForward f = cross_entropy_forward(x, t);
      check_values(f.loss, {kLse123 - 3, 0, std::log(3.0)}, tol_for(dt));
      check_values(f.lse, {kLse123, 0, std::log(3.0)}, tol_for(dt));
      CHECK(f.num_valid == 2);
      // eps = 0.2: 0.8 (lse - x_t) + 0.2 (lse - mean(x)). Row 0: 0.8 (lse - 3) + 0.2 (lse - 2) = lse - 2.8.
      // Row 2: every term is log 3.
      CrossEntropyForward s = cross_entropy_forward(x, t, -100, 0.2);
      check_values(s.loss, {kLse123 - 2.8, 0, std::log(3.0)}, tol_for(dt));
      // A custom ignore_index; -100 is then an error (out of range).
      CrossEntropyForward c = cross_entropy_forward(x, tensor(std::vector<int64_t>{2, 0, 1}), 0);
      check_values(c.loss, {kLse123 - 3, 0, std::log(3.0)}, tol_for(dt));
      CHECK(c.num_valid == 2);
      CHECK_THROWS_WITH_AS(cross_entropy_forward(x, t, 0), doctest::Contains("out of range"), Error);
    }
  }

  TEST_CASE("cross_entropy_forward: stable for huge logits, and on non-contiguous logits") {
    // [1000, 1000] target 0: log 2 (a naive exp would overflow to inf). [-1000, 0] target 0: 1000.
    Tensor x = tensor({1000, 1000, -1000, 0}, {2, 2}, kFloat32);
    CrossEntropyForward f = cross_entropy_forward(x, tensor(std::vector<int64_t>{0, 0}));
    check_values(f.loss, {std::log(2.0), 1000.0}, 1e-6);
    // logits given transposed: [[1, 2, 3]]ᵀ stored as a column.
    Tensor col = tensor({1, 1, 2, 0, 3, -1}, {3, 2}, kFloat64).t();  // [[1, 2, 3], [1, 0, -1]]
    REQUIRE(!col.is_contiguous());
    CrossEntropyForward g = cross_entropy_forward(col, tensor(std::vector<int64_t>{2, 0}));
    const double lse1 = std::log(std::exp(1.0) + 1.0 + std::exp(-1.0));
    check_values(g.loss, {kLse123 - 3, lse1 - 1});
  }

  TEST_CASE("cross_entropy_backward: softmax minus the target distribution, scaled per row") {
    for (DType dt : {kFloat32, kFloat64}) {
      Tensor x = tensor({1, 2, 3, 1, 0, -1, 0, 0, 0}, {3, 3}, dt);
      Tensor t = tensor(std::vector<int64_t>{2, -100, 1});
      CrossEntropyForward f = cross_entropy_forward(x, t, -100, 0.0);
      const double e1 = std::exp(1.0 - kLse123), e2 = std::exp(2.0 - kLse123), e3 = std::exp(3.0 - kLse123);
      const double third = 1.0 / 3.0;
      // grad per row [2, 5, -1]: row 0 (p - onehot(2)) * 2, row 1 ignored -> 0, row 2 (1/3 - onehot(1)) * -1.
      Tensor d = cross_entropy_backward(tensor({2, 5, -1}, {3}, dt), x, t, f.lse);
      check_values(d, {2 * e1, 2 * e2, 2 * (e3 - 1), 0, 0, 0, -third, -(third - 1), -third}, tol_for(dt));
      // One 0-d grad for every row, and label smoothing 0.3: q = 0.7 onehot + 0.1.
      Tensor ds = cross_entropy_backward(scalar_tensor(0.5, dt), x, t, f.lse, -100, 0.3);
      check_values(ds, {0.5 * (e1 - 0.1), 0.5 * (e2 - 0.1), 0.5 * (e3 - 0.8), 0, 0, 0, 0.5 * (third - 0.1),
                        0.5 * (third - 0.8), 0.5 * (third - 0.1)},
                   tol_for(dt));
    }
  }

  TEST_CASE("cross_entropy: empty batch, errors") {
    CrossEntropyForward f = cross_entropy_forward(zeros({0, 5}), zeros({0}, kInt64));
    CHECK(f.loss.shape() == Shape{0});
    CHECK(f.num_valid == 0);
    CHECK(cross_entropy_backward(zeros({0}), zeros({0, 5}), zeros({0}, kInt64), f.lse).shape() == Shape{0, 5});

    Tensor x = zeros({2, 3});
    CHECK_THROWS_WITH_AS(cross_entropy_forward(x, tensor(std::vector<int64_t>{0, 3})),
                         doctest::Contains("cross_entropy: target 3 at position 1 is out of range for 3 classes"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy_forward(x, tensor(std::vector<int64_t>{-1, 0})),
                         doctest::Contains("out of range"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy_forward(x, tensor({0.0, 1.0})), doctest::Contains("int64"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy_forward(x, zeros({3}, kInt64)), doctest::Contains("cross_entropy"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy_forward(zeros({2}), zeros({2}, kInt64)), doctest::Contains("[N, C]"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy_forward(zeros({2, 3}, kInt64), zeros({2}, kInt64)),
                         doctest::Contains("cross_entropy"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy_forward(x, zeros({2}, kInt64), -100, 1.5), doctest::Contains("label_smoothing"),
                         Error);
    CrossEntropyForward ok = cross_entropy_forward(x, zeros({2}, kInt64));
    CHECK_THROWS_WITH_AS(cross_entropy_backward(zeros({3}), x, zeros({2}, kInt64), ok.lse),
                         doctest::Contains("cross_entropy_backward"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy_backward(zeros({2}, kFloat64), x, zeros({2}, kInt64), ok.lse),
                         doctest::Contains("dtype"), Error);
  }

  TEST_CASE("nll_loss kernels") {
    for (DType dt : {kFloat32, kFloat64}) {
      Tensor lp = tensor({-0.5, -1.5, -2.5, -3.5, -4.5, -5.5}, {2, 3}, dt);
      NllLossForward f = nll_loss_forward(lp, tensor(std::vector<int64_t>{1, 2}));
      check_values(f.loss, {1.5, 5.5}, tol_for(dt));
      CHECK(f.num_valid == 2);
      NllLossForward ig = nll_loss_forward(lp, tensor(std::vector<int64_t>{-100, 0}));
      check_values(ig.loss, {0, 3.5}, tol_for(dt));
      CHECK(ig.num_valid == 1);
      // Non-contiguous log-probs: the transpose of a [3, 2] tensor.
      Tensor lpt = tensor({-0.5, -3.5, -1.5, -4.5, -2.5, -5.5}, {3, 2}, dt).t();
      check_values(nll_loss_forward(lpt, tensor(std::vector<int64_t>{1, 2})).loss, {1.5, 5.5}, tol_for(dt));
      Tensor d = nll_loss_backward(tensor({2, 3}, {2}, dt), tensor(std::vector<int64_t>{1, -100}), 3);
      check_values(d, {0, -2, 0, 0, 0, 0});
      Tensor d0 = nll_loss_backward(scalar_tensor(0.5, dt), tensor(std::vector<int64_t>{0, 2}), 3);
      check_values(d0, {-0.5, 0, 0, 0, 0, -0.5});
    }
    CHECK_THROWS_WITH_AS(nll_loss_forward(zeros({2, 3}), tensor(std::vector<int64_t>{0, 5})),
                         doctest::Contains("nll_loss"), Error);
    CHECK_THROWS_WITH_AS(nll_loss_backward(zeros({2}), tensor(std::vector<int64_t>{0, 5}), 3),
                         doctest::Contains("nll_loss_backward"), Error);
    CHECK(nll_loss_forward(zeros({0, 3}), zeros({0}, kInt64)).loss.shape() == Shape{0});
  }

  TEST_CASE("squared_error_reduce: hand-computed mean and sum, a non-contiguous diff, empty, int64 refused") {
    Tensor d = tensor({1.0, -2.0, 0.5, 3.0}, {2, 2}, kFloat64);  // squares 1, 4, 0.25, 9
    CHECK(squared_error_reduce(d, false).item() == 14.25);
    CHECK(squared_error_reduce(d, true).item() == 14.25 / 4);
    CHECK(squared_error_reduce(d, true).dim() == 0);
    CHECK(squared_error_reduce(d.t(), false).item() == 14.25);  // read through its packed copy
    CHECK(squared_error_reduce(d.to(kFloat32), true).dtype() == kFloat32);
    CHECK(std::isnan(squared_error_reduce(zeros({0}), true).item()));  // the mean of nothing, as mean() gives
    CHECK(squared_error_reduce(zeros({0}), false).item() == 0.0);
    CHECK_THROWS_WITH_AS(squared_error_reduce(zeros({2}, kInt64), true), doctest::Contains("squared_error_reduce"),
                         Error);
  }

  TEST_CASE("binary_cross_entropy_with_logits kernels: stable values, pos_weight, gradients") {
    for (DType dt : {kFloat32, kFloat64}) {
      // max(x, 0) - x t + log(1 + e^-|x|):
      //   x = 0, t = 1: log 2;  x = 2, t = 0: 2 + log(1 + e^-2);  x = -3, t = 0.5: 1.5 + log(1 + e^-3)
      //   x = 1000, t = 1: 0;   x = -1000, t = 1: 1000 (no overflow either way)
      Tensor x = tensor({0, 2, -3, 1000, -1000}, {5}, dt);
      Tensor t = tensor({1, 0, 0.5, 1, 1}, {5}, dt);
      Tensor y = binary_cross_entropy_with_logits_forward(x, t);
      check_values(y, {std::log(2.0), 2 + std::log1p(std::exp(-2.0)), 1.5 + std::log1p(std::exp(-3.0)), 0, 1000},
                   tol_for(dt));
      // d/dx = sigmoid(x) - t
      const double s2 = 1 / (1 + std::exp(-2.0)), sm3 = 1 / (1 + std::exp(3.0));
      Tensor d = binary_cross_entropy_with_logits_backward(scalar_tensor(2.0, dt), x, t);
      check_values(d, {2 * (0.5 - 1), 2 * s2, 2 * (sm3 - 0.5), 0, -2}, tol_for(dt));
      // pos_weight p = 3 scales the positive part: (1 - t) x + (1 + 2 t) softplus(-x).
      //   x = 0, t = 1: 3 log 2;  x = 2, t = 0: 2 + log(1 + e^-2);  x = -3, t = 0.5: 0.5 (-3) + 2 (3 + log(1 + e^-3))
      Tensor p = tensor({3}, {1}, dt);
      Tensor yp = binary_cross_entropy_with_logits_forward(x, t, p);
      check_values(yp, {3 * std::log(2.0), 2 + std::log1p(std::exp(-2.0)), -1.5 + 2 * (3 + std::log1p(std::exp(-3.0))),
                        0, 3000},
                   tol_for(dt));
      // d/dx = (1 - t) + (1 + 2t)(sigmoid(x) - 1)
      Tensor dp = binary_cross_entropy_with_logits_backward(ones({5}, dt), x, t, p);
      check_values(dp, {3 * (0.5 - 1), s2, 0.5 + 2 * (sm3 - 1), 0, -3}, tol_for(dt));
    }
    // Non-contiguous operands and a per-column pos_weight [2] broadcast over [3, 2].
    Tensor x = tensor({0, 1, 2, 3, 4, 5}, {2, 3}, kFloat64).t();  // [[0, 3], [1, 4], [2, 5]]
    Tensor t = zeros({3, 2}, kFloat64);
    Tensor pw = tensor({2, 7}, {2}, kFloat64);
    Tensor y = binary_cross_entropy_with_logits_forward(x, t, pw);  // t = 0: the loss is softplus(x) = x + log(1+e^-x)
    std::vector<double> want;
    for (double v : {0, 3, 1, 4, 2, 5}) want.push_back(v + std::log1p(std::exp(-v)));
    check_values(y, want);
    Tensor one = ones({3, 2}, kFloat64);
    Tensor yp = binary_cross_entropy_with_logits_forward(x, one, pw);  // t = 1: p log(1 + e^-x), p per column
    check_values(yp, {2 * std::log1p(1.0), 7 * std::log1p(std::exp(-3.0)), 2 * std::log1p(std::exp(-1.0)),
                      7 * std::log1p(std::exp(-4.0)), 2 * std::log1p(std::exp(-2.0)), 7 * std::log1p(std::exp(-5.0))});
    CHECK(binary_cross_entropy_with_logits_forward(zeros({0, 3}), zeros({0, 3})).shape() == Shape{0, 3});
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits_forward(zeros({3, 1}), zeros({3})),
                         doctest::Contains("binary_cross_entropy_with_logits"), Error);
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits_forward(zeros({3, 2}), zeros({3, 2}), zeros({3})),
                         doctest::Contains("pos_weight"), Error);
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits_forward(zeros({3}, kInt64), zeros({3})),
                         doctest::Contains("binary_cross_entropy_with_logits"), Error);
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits_backward(zeros({2}), zeros({3}), zeros({3})),
                         doctest::Contains("binary_cross_entropy_with_logits_backward"), Error);
  }
}
