// Gradient clipping against hand computation.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "glimpse.h"
#include "tensor/parallel.h"

using namespace glimpse;

TEST_SUITE("clip_grad") {
  TEST_CASE("clip_grad_norm_ returns the joint norm and scales to max_norm") {
    Variable a(zeros({2}, kFloat64), true), b(zeros({1}, kFloat64), true), c(zeros({1}, kFloat64), true);
    a.set_grad(tensor({3.0, 0.0}, {2}, kFloat64));
    b.set_grad(tensor({4.0}, {1}, kFloat64));  // joint 2-norm: 5; c has no gradient and is ignored
    double total = optim::clip_grad_norm_({a, b, c}, 1.0);
    CHECK(total == doctest::Approx(5.0));
    double scale = 1.0 / (5.0 + 1e-6);
    CHECK(a.grad().at<double>({0}) == doctest::Approx(3.0 * scale));
    CHECK(b.grad().at<double>({0}) == doctest::Approx(4.0 * scale));
    CHECK_FALSE(c.grad().defined());
  }
  TEST_CASE("below max_norm nothing changes") {
    Variable a(zeros({2}, kFloat64), true);
    a.set_grad(tensor({0.3, 0.4}, {2}, kFloat64));
    CHECK(optim::clip_grad_norm_({a}, 1.0) == doctest::Approx(0.5));
    CHECK(a.grad().at<double>({1}) == 0.4);
  }
  TEST_CASE("inf norm and 1-norm") {
    Variable a(zeros({3}, kFloat64), true);
    a.set_grad(tensor({-6.0, 2.0, 1.0}, {3}, kFloat64));
    CHECK(optim::clip_grad_norm_({a}, 100.0, optim::kInfNorm) == doctest::Approx(6.0));
    CHECK(optim::clip_grad_norm_({a}, 100.0, 1.0) == doctest::Approx(9.0));
    optim::clip_grad_norm_({a}, 3.0, optim::kInfNorm);
    CHECK(a.grad().at<double>({0}) == doctest::Approx(-3.0 * 6.0 / (6.0 + 1e-6)));
  }
  TEST_CASE("clip_grad_value_ clamps each element") {
    Variable a(zeros({3}), true);
    a.set_grad(tensor({-6.0, 0.5, 2.0}));
    optim::clip_grad_value_({a}, 1.0);
    CHECK(a.grad().tolist() == std::vector<double>{-1.0, 0.5, 1.0});
    CHECK_THROWS_AS(optim::clip_grad_value_({a}, -1.0), Error);
    CHECK_THROWS_AS(optim::clip_grad_norm_({a}, -1.0), Error);
  }

  TEST_CASE("grad_norm over many chunks: the exact norm, and the same bits on 1 and 2 threads") {
    // 200k elements in parameters of mixed sizes: far more than the two grains that make the sweep parallel.
    manual_seed(3);
    std::vector<Variable> params;
    for (int64_t n : {100000, 7, 65536, 4096, 4097, 30000}) {
      Variable p(zeros({n}), true);
      p.set_grad(randn({n}));
      params.push_back(p);
    }
    long double s = 0.0L;  // every square in double, summed in long double
    double largest = 0.0;
    for (const Variable& p : params) {
      for (double x : p.grad().tolist()) {
        s += static_cast<long double>(x) * x;
        largest = std::max(largest, std::abs(x));
      }
    }
    const double exact = std::sqrt(static_cast<double>(s));
    const int before = get_num_threads();
    set_num_threads(1);
    const double one = optim::grad_norm(params);
    set_num_threads(2);
    const double two = optim::grad_norm(params);
    set_num_threads(before);
    CHECK(one == two);
    CHECK(std::abs(one - exact) <= 1e-12 * exact);
    CHECK(optim::grad_norm(params, optim::kInfNorm) == largest);
  }
}
