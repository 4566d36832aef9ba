// Tests for tensor/print.cpp: the exact text of tensors, written out by hand from PyTorch's printing rules (4
// decimals, scientific notation past a 1000x spread / 1e8 / below 1e-4, right alignment, 80-column rows, elision of
// tensors over 1000 elements, suffixes wrapping past 80 columns).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tensor/print.h"

using namespace glimpse;

TEST_SUITE("print") {
  TEST_CASE("floats: 4 decimals, aligned, shape and dtype") {
    CHECK(to_string(tensor({0.1, 0.2, 0.3, 0.4}, {2, 2})) ==
          "tensor([[0.1000, 0.2000],\n"
          "        [0.3000, 0.4000]], shape=[2, 2], dtype=float32)");
    CHECK(to_string(tensor({-0.5, 2.25})) == "tensor([-0.5000,  2.2500], shape=[2], dtype=float32)");
    CHECK(to_string(tensor({1.5, -10.25}, {1, 2}, kFloat64)) ==
          "tensor([[  1.5000, -10.2500]], shape=[1, 2], dtype=float64)");
    CHECK(to_string(tensor({1.0, 1000.0}, {-1}, kFloat64)) ==
          "tensor([   1.0000, 1000.0000], shape=[2], dtype=float64)");
    // 1e-4 itself is not "below 1e-4", and a spread of 500x is not "more than 1000x"
    CHECK(to_string(tensor({0.0001, 0.05}, {-1}, kFloat64)) == "tensor([0.0001, 0.0500], shape=[2], dtype=float64)");
  }

  TEST_CASE("0-d tensors") {
    CHECK(to_string(scalar_tensor(3.5)) == "tensor(3.5000, shape=[], dtype=float32)");
    CHECK(to_string(scalar_tensor(-2, kInt64)) == "tensor(-2, shape=[], dtype=int64)");
    CHECK(to_string(scalar_tensor(1e-7, kFloat64)) == "tensor(1.0000e-07, shape=[], dtype=float64)");
  }

  TEST_CASE("integers print plainly, right-aligned") {
    CHECK(to_string(tensor(std::vector<int64_t>{1, -20, 300})) == "tensor([  1, -20, 300], shape=[3], dtype=int64)");
    CHECK(to_string(arange(8).reshape({2, 2, 2})) ==
          "tensor([[[0, 1],\n"
          "         [2, 3]],\n"
          "\n"
          "        [[4, 5],\n"
          "         [6, 7]]], shape=[2, 2, 2], dtype=int64)");
  }

  TEST_CASE("scientific notation for very large, very small or widely spread values") {
    CHECK(to_string(tensor({1e-5, 1.0, 123.25})) ==
          "tensor([1.0000e-05, 1.0000e+00, 1.2325e+02], shape=[3], dtype=float32)");
    CHECK(to_string(tensor({1e10, 1.5})) == "tensor([1.0000e+10, 1.5000e+00], shape=[2], dtype=float32)");
    CHECK(to_string(tensor({1.0, 1001.0}, {-1}, kFloat64)) ==
          "tensor([1.0000e+00, 1.0010e+03], shape=[2], dtype=float64)");
    CHECK(to_string(tensor({0.0001, 0.5}, {-1}, kFloat64)) ==
          "tensor([1.0000e-04, 5.0000e-01], shape=[2], dtype=float64)");  // spread 5000x
    CHECK(to_string(tensor({0.00005, 0.05}, {-1}, kFloat64)) ==
          "tensor([5.0000e-05, 5.0000e-02], shape=[2], dtype=float64)");  // below 1e-4
    CHECK(to_string(tensor({-1e-5, 2.0}, {-1}, kFloat64)) ==
          "tensor([-1.0000e-05,  2.0000e+00], shape=[2], dtype=float64)");
    CHECK(to_string(tensor({2e8}, {-1}, kFloat64)) == "tensor([2.0000e+08], shape=[1], dtype=float64)");
  }

  TEST_CASE("nan and inf") {
    CHECK(to_string(tensor({NAN, -INFINITY, 1.5})) == "tensor([   nan,   -inf, 1.5000], shape=[3], dtype=float32)");
    CHECK(to_string(tensor({-NAN})) == "tensor([nan], shape=[1], dtype=float32)");  // never "-nan"
    CHECK(to_string(tensor({INFINITY, 0.0})) == "tensor([   inf, 0.0000], shape=[2], dtype=float32)");
  }

  TEST_CASE("undefined and empty tensors") {
    CHECK(to_string(Tensor()) == "tensor(undefined)");
    CHECK(to_string(zeros({0})) == "tensor([], shape=[0], dtype=float32)");
    CHECK(to_string(zeros({2, 0}, kInt64)) == "tensor([], shape=[2, 0], dtype=int64)");
  }

  TEST_CASE("non-contiguous views print their own elements") {
    CHECK(to_string(arange(6).reshape({2, 3}).t()) ==
          "tensor([[0, 3],\n"
          "        [1, 4],\n"
          "        [2, 5]], shape=[3, 2], dtype=int64)");
    CHECK(to_string(arange(10).slice(0, 1, 10, 3)) == "tensor([1, 4, 7], shape=[3], dtype=int64)");
    CHECK(to_string(tensor({1.5}).expand({2, 2})) ==
          "tensor([[1.5000, 1.5000],\n"
          "        [1.5000, 1.5000]], shape=[2, 2], dtype=float32)");
    CHECK(to_string(arange(6).reshape({2, 3}).select(1, 2)) == "tensor([2, 5], shape=[2], dtype=int64)");
  }

  TEST_CASE("rows wrap at 80 columns, suffixes too") {
    // width 2 -> 4 columns per entry -> (80 - 7) / 4 = 18 entries per line; continuation lines align under "["+1
    CHECK(to_string(arange(30)) ==
          "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
          "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], shape=[30],\n"
          "       dtype=int64)");
    // rows of a matrix sit one column further in: (80 - 8) / 8 = 9 entries per line
    std::vector<double> sevenths;
    for (int i = 0; i < 30; ++i) sevenths.push_back(i / 7.0);
    CHECK(to_string(tensor(sevenths, {3, 10})) ==
          "tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
          "         1.2857],\n"
          "        [1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286, 2.5714,\n"
          "         2.7143],\n"
          "        [2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143, 3.8571, 4.0000,\n"
          "         4.1429]], shape=[3, 10], dtype=float32)");
  }

  TEST_CASE("more than 1000 elements: first and last 3 per dim") {
    CHECK(to_string(arange(1001)) == "tensor([   0,    1,    2,  ...,  998,  999, 1000], shape=[1001], dtype=int64)");
    const std::string thousand = to_string(arange(1000));  // exactly 1000: printed in full
    CHECK(thousand.find("...") == std::string::npos);
    CHECK(thousand.rfind("tensor([  0,   1,   2,   3,", 0) == 0);
    CHECK(thousand.find(" 998, 999], shape=[1000], dtype=int64)") != std::string::npos);
    CHECK(to_string(arange(2000).reshape({20, 100})) ==
          "tensor([[   0,    1,    2,  ...,   97,   98,   99],\n"
          "        [ 100,  101,  102,  ...,  197,  198,  199],\n"
          "        [ 200,  201,  202,  ...,  297,  298,  299],\n"
          "        ...,\n"
          "        [1700, 1701, 1702,  ..., 1797, 1798, 1799],\n"
          "        [1800, 1801, 1802,  ..., 1897, 1898, 1899],\n"
          "        [1900, 1901, 1902,  ..., 1997, 1998, 1999]], shape=[20, 100],\n"
          "       dtype=int64)");
    // the same through a transposed view: element (i, j) = 20 j + i
    CHECK(to_string(arange(2000).reshape({100, 20}).t()) ==
          "tensor([[   0,   20,   40,  ..., 1940, 1960, 1980],\n"
          "        [   1,   21,   41,  ..., 1941, 1961, 1981],\n"
          "        [   2,   22,   42,  ..., 1942, 1962, 1982],\n"
          "        ...,\n"
          "        [  17,   37,   57,  ..., 1957, 1977, 1997],\n"
          "        [  18,   38,   58,  ..., 1958, 1978, 1998],\n"
          "        [  19,   39,   59,  ..., 1959, 1979, 1999]], shape=[20, 100],\n"
          "       dtype=int64)");
    // only the printed values choose the format: a hidden 1e10 does not switch to scientific notation
    Tensor x = full({2000}, 0.5, kFloat64);
    x.at<double>({1000}) = 1e10;
    CHECK(to_string(x) ==
          "tensor([0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000], shape=[2000],\n"
          "       dtype=float64)");
  }

  TEST_CASE("3-d elision puts a blank line between blocks") {
    // [3, 4, 100]: 1200 elements, so dim 2 is elided (dims 0 and 1 are short enough to show in full)
    const std::string s = to_string(arange(1200).reshape({3, 4, 100}));
    CHECK(s.rfind("tensor([[[   0,    1,    2,  ...,   97,   98,   99],\n"
                  "         [ 100,  101,  102,  ...,  197,  198,  199],\n",
                  0) == 0);
    CHECK(s.find("  399]],\n\n        [[ 400,  401,") != std::string::npos);
    CHECK(s.find("[1100, 1101, 1102,  ..., 1197, 1198, 1199]]], shape=[3, 4, 100]") != std::string::npos);
  }

  TEST_CASE("fmt prints through to_string") {
    Tensor t = tensor({1, 2}, {-1}, kFloat64);
    CHECK(fmt::format("{}", t) == to_string(t));
    CHECK(fmt::format("x = {}", Tensor()) == "x = tensor(undefined)");
  }
}
