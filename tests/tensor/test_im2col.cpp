// Tests for tensor/im2col.cpp: columns of a tiny image by hand, col2im_add is the adjoint of im2col for every stride,
// padding and dilation (<im2col(x), c> = <x, col2im(c)>), the output-size formula, and shape errors.
#include <doctest/doctest.h>

#include <vector>

#include "tensor/elementwise.h"
#include "tensor/im2col.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;

TEST_SUITE("im2col") {
  TEST_CASE("columns of a 3x3 image by hand, without and with stride 2 and padding 1") {
    Tensor x = tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}, kFloat64);
    // 2x2 kernel, stride 1, no padding: 4 output pixels, rows = kernel positions (0,0) (0,1) (1,0) (1,1)
    Tensor cols = im2col(x, {.kh = 2, .kw = 2});
    CHECK(cols.shape() == Shape{4, 4});
    CHECK(cols.tolist() == std::vector<double>{1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9});
    // stride 2, padding 1: output 2x2, corners see the zero padding
    Tensor padded = im2col(x, {.kh = 2, .kw = 2, .sh = 2, .sw = 2, .ph = 1, .pw = 1});
    CHECK(padded.tolist() == std::vector<double>{0, 0, 0, 5, 0, 0, 4, 6, 0, 2, 0, 8, 1, 3, 7, 9});
  }

  TEST_CASE("col2im_add is the adjoint of im2col for strides, padding and dilation") {
    Generator gen(3);
    for (const Window2d& w : {Window2d{.kh = 3, .kw = 2}, Window2d{.kh = 3, .kw = 3, .sh = 2, .sw = 3, .ph = 1, .pw = 2},
                              Window2d{.kh = 2, .kw = 3, .sh = 1, .sw = 2, .ph = 2, .pw = 1, .dh = 2, .dw = 3}}) {
      Tensor x = randn({2, 3, 7, 8}, kFloat64, gen);
      Tensor cols = im2col(x, w);
      Tensor c = randn(cols.shape(), kFloat64, gen);
      Tensor back = zeros(x.shape(), kFloat64);
      col2im_add(c, back, w);
      CHECK(sum(mul(cols, c)).item() == doctest::Approx(sum(mul(x, back)).item()).epsilon(1e-12));
    }
  }

  TEST_CASE("window_out_size follows PyTorch's formula and is 0 for an empty output") {
    CHECK(window_out_size(28, 3, 1, 1, 1) == 28);
    CHECK(window_out_size(28, 2, 2, 0, 1) == 14);
    CHECK(window_out_size(7, 3, 2, 1, 2) == 3);  // (7 + 2 - 4 - 1) / 2 + 1
    CHECK(window_out_size(2, 5, 1, 0, 1) == 0);
  }

  TEST_CASE("wrong shapes are errors") {
    CHECK_THROWS_AS(im2col(zeros({3, 4, 4}), {.kh = 2, .kw = 2}), Error);
    Tensor x = zeros({1, 2, 4, 4});
    CHECK_THROWS_AS(col2im_add(zeros({7, 9}), x, {.kh = 2, .kw = 2}), Error);
    CHECK_THROWS_AS(col2im_add(zeros({8, 9}, kFloat64), x, {.kh = 2, .kw = 2}), Error);
  }
}
