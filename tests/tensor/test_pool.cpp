// Tests for tensor/pool.cpp: max pooling values and argmax positions, average pooling divisors at the padded border,
// adaptive windows that overlap, and each backward against the forward's adjoint.
#include <doctest/doctest.h>

#include <vector>

#include "tensor/elementwise.h"
#include "tensor/pool.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;

TEST_SUITE("pool") {
  TEST_CASE("max_pool2d values and the positions of the maxima") {
    Tensor x = tensor({1, 5, 2, 0, 3, 4, 9, 8, 7, 6, 0, 1, 2, 3, 4, 5}, {1, 1, 4, 4});
    MaxPoolResult r = max_pool2d(x, {.kh = 2, .kw = 2, .sh = 2, .sw = 2});
    CHECK(r.values.tolist() == std::vector<double>{5, 9, 7, 5});
    CHECK(r.indices.to_vector<int64_t>() == std::vector<int64_t>{1, 6, 8, 15});
    Tensor dx = max_pool2d_backward(ones({1, 1, 2, 2}), r.indices, 4, 4);
    CHECK(sum(dx).item() == 4);
    CHECK(dx.at<float>({0, 0, 1, 2}) == 1);
  }

  TEST_CASE("avg_pool2d: the divisor with and without the padding") {
    Tensor x = ones({1, 1, 3, 3});
    const Window2d w{.kh = 2, .kw = 2, .sh = 2, .sw = 2, .ph = 1, .pw = 1};
    CHECK(avg_pool2d(x, w, true).tolist() == std::vector<double>{0.25, 0.5, 0.5, 1});
    CHECK(avg_pool2d(x, w, false).tolist() == std::vector<double>{1, 1, 1, 1});
  }

  TEST_CASE("adaptive_avg_pool2d: 5 columns into 3 overlapping windows") {
    Tensor x = tensor({1, 2, 3, 4, 5}, {1, 1, 1, 5});
    // windows [0, 2), [1, 4), [3, 5)
    CHECK(adaptive_avg_pool2d(x, 1, 3).tolist() == std::vector<double>{1.5, 3, 4.5});
  }

  TEST_CASE("each backward is the adjoint of its forward") {
    Generator gen(5);
    Tensor x = randn({2, 3, 7, 6}, kFloat64, gen);
    const Window2d w{.kh = 3, .kw = 2, .sh = 2, .sw = 1, .ph = 1, .pw = 1};
    for (bool include : {true, false}) {
      Tensor y = avg_pool2d(x, w, include);
      Tensor g = randn(y.shape(), kFloat64, gen);
      Tensor dx = avg_pool2d_backward(g, w, include, 7, 6);
      CHECK(sum(mul(y, g)).item() == doctest::Approx(sum(mul(x, dx)).item()).epsilon(1e-12));
    }
    Tensor ya = adaptive_avg_pool2d(x, 3, 4);
    Tensor ga = randn(ya.shape(), kFloat64, gen);
    CHECK(sum(mul(ya, ga)).item() ==
          doctest::Approx(sum(mul(x, adaptive_avg_pool2d_backward(ga, 7, 6))).item()).epsilon(1e-12));
  }

  TEST_CASE("a tensor that is not [N, C, H, W] is an error") {
    CHECK_THROWS_AS(max_pool2d(zeros({4, 4}), {.kh = 2, .kw = 2}), Error);
    CHECK_THROWS_AS(adaptive_avg_pool2d(zeros({1, 4, 4}), 2, 2), Error);
  }
}
