// Tests for nn/init: gains, fans, and the bounds / spreads of every initialiser (PyTorch's formulas by hand).
#include <doctest/doctest.h>

#include <cmath>

#include "nn/init.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

using namespace glimpse;
namespace init = glimpse::nn::init;

namespace {
double max_abs(const Tensor& t) {
  double m = 0;
  for (double x : t.tolist()) m = std::max(m, std::abs(x));
  return m;
}
double sample_mean(const Tensor& t) {
  auto v = t.tolist();
  double s = 0;
  for (double x : v) s += x;
  return s / v.size();
}
double sample_std(const Tensor& t) {
  auto v = t.tolist();
  const double m = sample_mean(t);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}
}  // namespace

TEST_SUITE("init") {
  TEST_CASE("calculate_gain matches torch.nn.init.calculate_gain") {
    CHECK(init::calculate_gain("linear") == 1.0);
    CHECK(init::calculate_gain("conv2d") == 1.0);
    CHECK(init::calculate_gain("conv_transpose3d") == 1.0);
    CHECK(init::calculate_gain("sigmoid") == 1.0);
    CHECK(init::calculate_gain("tanh") == doctest::Approx(5.0 / 3.0));
    CHECK(init::calculate_gain("relu") == doctest::Approx(1.4142135623730951));
    CHECK(init::calculate_gain("leaky_relu") == doctest::Approx(std::sqrt(2.0 / 1.0001)));  // slope 0.01
    CHECK(init::calculate_gain("leaky_relu", 0.2) == doctest::Approx(std::sqrt(2.0 / 1.04)));
    CHECK(init::calculate_gain("leaky_relu", 0.0) == doctest::Approx(std::sqrt(2.0)));
    CHECK(init::calculate_gain("selu") == 0.75);
    CHECK_THROWS_WITH_AS(init::calculate_gain("swish"), doctest::Contains("calculate_gain"), glimpse::Error);
  }

  TEST_CASE("fans of [out, in, *kernel]") {
    CHECK(init::calculate_fan_in_and_fan_out(empty({3, 4})) == std::pair<int64_t, int64_t>{4, 3});
    CHECK(init::calculate_fan_in_and_fan_out(empty({3, 4, 5, 6})) == std::pair<int64_t, int64_t>{120, 90});
    CHECK(init::calculate_fan_in_and_fan_out(empty({4, 3}).t()) == std::pair<int64_t, int64_t>{4, 3});
    CHECK_THROWS_WITH_AS(init::calculate_fan_in_and_fan_out(empty({5})), doctest::Contains("calculate_fan_in"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(init::xavier_uniform_(empty({5})), doctest::Contains("xavier_uniform_"), glimpse::Error);
    CHECK_THROWS_WITH_AS(init::kaiming_normal_(empty({})), doctest::Contains("kaiming_normal_"), glimpse::Error);
  }

  TEST_CASE("uniform_ and normal_ fill in place with the asked range and spread") {
    manual_seed(0);
    Tensor t = empty({4000});
    Tensor same = init::uniform_(t, -2.0, 3.0);
    CHECK(same.shares_storage_with(t));
    CHECK(amin(t).item() >= -2.0);
    CHECK(amax(t).item() < 3.0);
    CHECK(std::abs(sample_mean(t) - 0.5) < 0.1);                            // std error 5/sqrt(12*4000) = 0.023
    CHECK(std::abs(sample_std(t) - 5.0 / std::sqrt(12.0)) < 0.05);

    init::normal_(t, 1.0, 2.0);
    CHECK(std::abs(sample_mean(t) - 1.0) < 0.15);  // std error 2/sqrt(4000) = 0.032
    CHECK(std::abs(sample_std(t) - 2.0) < 0.1);

    Tensor d = empty({100}, kFloat64);
    init::uniform_(d);  // defaults U(0, 1)
    CHECK(amin(d).item() >= 0.0);
    CHECK(amax(d).item() < 1.0);
  }

  TEST_CASE("the same seed gives the same initialisation") {
    Tensor a = empty({5, 7}), b = empty({5, 7});
    manual_seed(42);
    init::kaiming_uniform_(a, std::sqrt(5.0));
    manual_seed(42);
    init::kaiming_uniform_(b, std::sqrt(5.0));
    CHECK(equal(a, b));
    Generator g1(3), g2(3);
    init::xavier_normal_(a, 1.0, g1);
    init::xavier_normal_(b, 1.0, g2);
    CHECK(equal(a, b));
  }

  TEST_CASE("constant_, ones_, zeros_ on a non-contiguous view") {
    Tensor base = full({3, 4}, 7.0);
    Tensor view = base.t().slice(0, 1, 3);  // [2, 3] view of columns 1..2
    init::zeros_(view);
    CHECK(base.tolist() == std::vector<double>{7, 0, 0, 7, 7, 0, 0, 7, 7, 0, 0, 7});
    init::ones_(view);
    CHECK(base.tolist() == std::vector<double>{7, 1, 1, 7, 7, 1, 1, 7, 7, 1, 1, 7});
    init::constant_(base, -2.5);
    CHECK(base.tolist() == std::vector<double>(12, -2.5));
    Tensor empty_t = empty({0, 3});
    init::ones_(empty_t);  // numel 0 works
    CHECK(empty_t.numel() == 0);
  }

  TEST_CASE("xavier_uniform_ / xavier_normal_ bounds") {
    manual_seed(1);
    Tensor w = empty({30, 70});
    init::xavier_uniform_(w, 2.0);
    const double bound = 2.0 * std::sqrt(6.0 / 100.0);  // gain * sqrt(6 / (fan_in + fan_out))
    CHECK(max_abs(w) <= bound);
    CHECK(max_abs(w) > 0.95 * bound);
    CHECK(std::abs(sample_std(w) - bound / std::sqrt(3.0)) < 0.03 * bound);

    Tensor n = empty({200, 100});
    init::xavier_normal_(n);
    CHECK(std::abs(sample_std(n) - std::sqrt(2.0 / 300.0)) < 0.02 * std::sqrt(2.0 / 300.0));
  }

  TEST_CASE("kaiming_uniform_ with a = sqrt(5) is Linear's U(-1/sqrt(in), 1/sqrt(in))") {
    manual_seed(2);
    Tensor w = empty({50, 20});
    init::kaiming_uniform_(w, std::sqrt(5.0));
    const double bound = 1.0 / std::sqrt(20.0);  // sqrt(3) * sqrt(2 / (1 + 5)) / sqrt(20)
    CHECK(max_abs(w) <= bound);
    CHECK(max_abs(w) > 0.95 * bound);

    Tensor k = empty({40, 10, 3});  // fan_in = 30, fan_out = 120
    init::kaiming_uniform_(k, 0.0, "fan_out", "relu");
    const double bound_out = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(120.0);
    CHECK(max_abs(k) <= bound_out);
    CHECK(max_abs(k) > 0.95 * bound_out);
  }

  TEST_CASE("kaiming_normal_ spread for fan_in and fan_out") {
    manual_seed(3);
    Tensor w = empty({100, 200});
    init::kaiming_normal_(w);  // leaky_relu with a = 0: gain sqrt(2), fan_in 200
    CHECK(std::abs(sample_std(w) - std::sqrt(2.0 / 200.0)) < 0.02 * std::sqrt(2.0 / 200.0));
    init::kaiming_normal_(w, 0.0, "fan_out", "tanh");  // gain 5/3, fan_out 100
    CHECK(std::abs(sample_std(w) - (5.0 / 3.0) / 10.0) < 0.02 * (5.0 / 30.0));
    CHECK(std::abs(sample_mean(w)) < 0.01);
  }

  TEST_CASE("initialisers work on a parameter (Variable) and on zero-element tensors") {
    Variable p(zeros({4, 8}), true);
    manual_seed(4);
    init::kaiming_uniform_(p, std::sqrt(5.0));
    CHECK(max_abs(p.data()) > 0.0);
    CHECK(max_abs(p.data()) <= 1.0 / std::sqrt(8.0));
    CHECK(p.is_leaf());
    init::zeros_(p);
    CHECK(max_abs(p.data()) == 0.0);

    Tensor none = empty({5, 0});  // fan_in 0: nothing to fill, and no division by zero
    CHECK_NOTHROW(init::kaiming_uniform_(none));
    CHECK_NOTHROW(init::xavier_normal_(none));
    CHECK(none.numel() == 0);
  }

  TEST_CASE("bad arguments") {
    Tensor w = empty({3, 4});
    CHECK_THROWS_WITH_AS(init::kaiming_uniform_(w, 0.0, "fan_avg"), doctest::Contains("kaiming_uniform_"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(init::kaiming_normal_(w, 0.0, "fan_in", "softplus"), doctest::Contains("calculate_gain"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(init::uniform_(w, 1.0, -1.0), doctest::Contains("uniform_"), glimpse::Error);
    CHECK_THROWS_WITH_AS(init::normal_(w, 0.0, -1.0), doctest::Contains("normal_"), glimpse::Error);
    CHECK_THROWS_AS(init::uniform_(Tensor()), glimpse::Error);
    CHECK_THROWS_AS(init::zeros_(Tensor()), glimpse::Error);
    Tensor ids = zeros({3}, kInt64);
    CHECK_THROWS_WITH_AS(init::normal_(ids), doctest::Contains("normal_"), glimpse::Error);
    Tensor expanded = zeros({1, 4}).expand({3, 4});
    CHECK_THROWS_WITH_AS(init::uniform_(expanded), doctest::Contains("uniform_"), glimpse::Error);
  }
}
