// Tests for tensor/reduce.cpp: every reduction against hand-computed values, on contiguous tensors, transposed /
// sliced / expanded views and empty tensors, plus every error path. A brute-force reference (plain loops over every
// element, written here) checks all the kernel layouts (rows, columns, permuted copies) on random shapes.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;

namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Shape and every value of t match within tol * (1 + |expected|); tol = 0 asks for exact equality. NaN matches NaN.
void check_values(const Tensor& t, const Shape& shape, const std::vector<double>& expected, double tol = 1e-6) {
  REQUIRE(t.defined());
  CHECK(t.shape() == shape);
  std::vector<double> got = t.tolist();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element ", i, ": got ", got[i], ", expected ", expected[i]);
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(got[i]));
    } else if (std::isinf(expected[i]) || tol == 0) {
      CHECK(got[i] == expected[i]);
    } else {
      CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tol).scale(1.0));
    }
  }
}

// [[1, 2, 3], [4, 5, 6]]
Tensor m23(DType dtype = kFloat32) { return tensor({1, 2, 3, 4, 5, 6}, {2, 3}, dtype); }

// Brute-force reduction of a contiguous float64 tensor: folds every element into the output position that drops
// the reduced dims. Returns the keepdim-shaped result as a flat list.
template <class Init, class Fold>
std::vector<double> reference(const Tensor& x, const std::vector<bool>& reduced, Init init, Fold fold) {
  const std::vector<double> v = x.tolist();
  Shape out_shape;
  for (int d = 0; d < x.dim(); ++d) out_shape.push_back(reduced[d] ? 1 : x.size(d));
  std::vector<double> out(static_cast<size_t>(out_shape.numel()), init);
  Strides out_strides = contiguous_strides(out_shape);
  for (int64_t flat = 0; flat < x.numel(); ++flat) {
    int64_t rem = flat, pos = 0;
    for (int d = x.dim() - 1; d >= 0; --d) {
      const int64_t i = rem % x.size(d);
      rem /= x.size(d);
      if (!reduced[d]) pos += i * out_strides[d];
    }
    out[pos] = fold(out[pos], v[flat]);
  }
  return out;
}

}  // namespace

TEST_SUITE("reduce") {
  TEST_CASE("sum over all, one and several dims, keepdim") {
    Tensor x = m23();
    check_values(sum(x), {}, {21});
    check_values(sum(x, 0), {3}, {5, 7, 9});
    check_values(sum(x, 1), {2}, {6, 15});
    check_values(sum(x, -1), {2}, {6, 15});
    check_values(sum(x, {0, 1}), {}, {21});
    check_values(sum(x, 0, true), {1, 3}, {5, 7, 9});
    check_values(sum(x, 1, true), {2, 1}, {6, 15});
    check_values(sum(x, {1, 0}, true), {1, 1}, {21});
    CHECK(sum(x).dtype() == kFloat32);
    CHECK(sum(x.to(kFloat64), 0).dtype() == kFloat64);
  }

  TEST_CASE("sum and mean of a whole packed tensor (the fast path) give the grid's bits") {
    // sum(x) / mean(x) of a contiguous tensor skip the reduction plan; naming the dims takes the planned path. Both
    // must fold in the same order: compare bits on random data, short, past a block (4096) and past a thread split.
    Generator gen(7);
    for (int64_t n : {1, 5, 17, 4099, 70001}) {
      INFO("n = ", n);
      for (DType dt : {kFloat32, kFloat64}) {
        Tensor x = randn({n, 3}, dt, gen);
        CHECK(sum(x).item() == sum(x, {0, 1}).item());
        CHECK(mean(x).item() == mean(x, {0, 1}).item());
        CHECK(sum(x).dim() == 0);
        CHECK(mean(x).dtype() == dt);
      }
    }
    Tensor i = arange(0.0, 10.0, 1.0, kInt64).reshape({2, 5});
    CHECK(sum(i).dtype() == kInt64);
    CHECK(sum(i).item() == 45.0);
    CHECK(std::isnan(mean(zeros({0})).item()));  // the mean of nothing is NaN on the fast path too
    CHECK(sum(zeros({0, 4})).item() == 0.0);
  }

  TEST_CASE("sum of int64 stays int64 and exact") {
    // 2^53 + 1 is not a double: only an int64 accumulator gets this right.
    Tensor x = tensor(std::vector<int64_t>{9007199254740993LL, 1, 4, -4}, {2, 2});
    Tensor s = sum(x);
    CHECK(s.dtype() == kInt64);
    CHECK(s.item<int64_t>() == 9007199254740994LL);
    Tensor c = sum(x, 0);
    CHECK(c.dtype() == kInt64);
    CHECK(c.at<int64_t>({0}) == 9007199254740997LL);
    CHECK(c.at<int64_t>({1}) == -3);
  }

  TEST_CASE("float32 sums accumulate wide: 1M ones, and small terms after a large one") {
    CHECK(sum(ones({1000000})).item() == 1000000.0);
    CHECK(sum(ones({1000, 1000}), 0).tolist() == std::vector<double>(1000, 1000.0));
    // In float32, 1e8 + 1 == 1e8 (the spacing there is 8), so a float32 running total would stay at 1e8.
    Tensor x = ones({1001});
    x.at<float>({0}) = 1e8f;
    CHECK(sum(x).item() == 100001000.0);
    // The same along the leading dim (the column path).
    Tensor y = ones({1001, 2});
    y.at<float>({0, 0}) = 1e8f;
    check_values(sum(y, 0), {2}, {100001000.0, 1001.0}, 0);
  }

  TEST_CASE("long rows and columns cross the accumulation blocks") {
    Tensor r = arange(10000.0, kFloat64);
    CHECK(sum(r).item() == 49995000.0);
    Tensor c = arange(30000.0, kFloat64).reshape({10000, 3});  // column j holds 3i + j
    check_values(sum(c, 0), {3}, {149985000.0, 149995000.0, 150005000.0}, 0);
    check_values(sum(arange(30000.0, kInt64).reshape({10000, 3}), 0), {3}, {149985000.0, 149995000.0, 150005000.0}, 0);
  }

  TEST_CASE("sum on views: transpose, step slice, expand, select") {
    Tensor x = m23();
    check_values(sum(x.t(), 0), {2}, {6, 15});
    check_values(sum(x.t(), 1), {3}, {5, 7, 9});
    check_values(sum(x.t()), {}, {21});
    Tensor s = x.slice(1, 0, 3, 2);  // [[1, 3], [4, 6]]
    check_values(sum(s, 1), {2}, {4, 10});
    check_values(sum(s, 0), {2}, {5, 9});
    Tensor e = tensor({1, 2, 3}).expand({4, 3});
    check_values(sum(e, 0), {3}, {4, 8, 12});
    check_values(sum(e), {}, {24});
    check_values(sum(x.select(0, 1)), {}, {15});
  }

  TEST_CASE("sum over 3-d: middle dim, non-adjacent dims, permuted view") {
    Tensor x = arange(24.0, kFloat32).reshape({2, 3, 4});  // x[i, j, k] = 12i + 4j + k
    // over j: 36i + 12 + 3k
    check_values(sum(x, 1), {2, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
    check_values(sum(x, 1, true), {2, 1, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
    // over i and k: 48 + 32j + 12
    check_values(sum(x, {0, 2}), {3}, {60, 92, 124});
    check_values(sum(x, {2, 0}, true), {1, 3, 1}, {60, 92, 124});
    // over i and j: sum_i sum_j (12i + 4j + k) = 36 + 24 + 6k
    check_values(sum(x, {0, 1}), {4}, {60, 66, 72, 78});
    // a permuted view: p[k, i, j] = x[i, j, k]; over i -> [k, j] = 12 + 8j + 2k
    Tensor p = x.permute({2, 0, 1});
    check_values(sum(p, 1), {4, 3}, {12, 20, 28, 14, 22, 30, 16, 24, 32, 18, 26, 34});
  }

  TEST_CASE("every layout agrees with a brute-force reference") {
    Generator gen(11);
    Tensor x = randn({5, 7, 3, 6}, kFloat64, gen);
    // Inputs: contiguous, a permuted view, and a strided slice.
    std::vector<Tensor> inputs = {x, x.permute({2, 0, 3, 1}), x.slice(1, 1, 7, 2)};
    for (const Tensor& in : inputs) {
      Tensor packed = in.contiguous();
      const int nd = in.dim();
      for (int mask = 1; mask < (1 << nd); ++mask) {
        Shape dims;
        std::vector<bool> reduced(nd);
        for (int d = 0; d < nd; ++d) {
          reduced[d] = (mask >> d) & 1;
          if (reduced[d]) dims.push_back(d);
        }
        INFO("input shape ", fmt::format("{}", in.shape()), ", mask ", mask);
        Shape keep_shape;
        for (int d = 0; d < nd; ++d) keep_shape.push_back(reduced[d] ? 1 : in.size(d));
        auto add = [](double a, double b) { return a + b; };
        auto mx = [](double a, double b) { return std::max(a, b); };
        auto mn = [](double a, double b) { return std::min(a, b); };
        check_values(sum(in, dims, true), keep_shape, reference(packed, reduced, 0.0, add), 1e-12);
        check_values(amax(in, dims, true), keep_shape, reference(packed, reduced, -kInf, mx), 0);
        check_values(amin(in, dims, true), keep_shape, reference(packed, reduced, kInf, mn), 0);
        // float32 input, same reference (the accumulation is in float64, so only the final rounding differs)
        check_values(sum(in.to(kFloat32), dims, true), keep_shape, reference(packed.to(kFloat32), reduced, 0.0, add),
                     1e-6);
        CHECK(sum(in, dims).numel() == keep_shape.numel());
      }
    }
  }

  TEST_CASE("empty tensors: sum is 0, mean is NaN, shapes follow") {
    check_values(sum(zeros({0})), {}, {0});
    check_values(sum(zeros({2, 0}), 1), {2}, {0, 0});
    check_values(sum(zeros({2, 0}), 0), {0}, {});
    check_values(sum(zeros({0}, kInt64)), {}, {0});
    check_values(mean(zeros({0})), {}, {kNan});
    check_values(mean(zeros({3, 0}), 1), {3}, {kNan, kNan, kNan});
    check_values(amax(zeros({0, 3}), 1), {0}, {});
    check_values(var(zeros({0})), {}, {kNan});
    check_values(norm(zeros({0})), {}, {0});
    check_values(logsumexp(zeros({0}), 0), {}, {-kInf});
    check_values(softmax(zeros({0, 3}), 1), {0, 3}, {});
    check_values(softmax(zeros({3, 0}), 1), {3, 0}, {});
    CHECK(max(zeros({0, 3}), 1).values.shape() == Shape{0});
  }

  TEST_CASE("0-d tensors reduce to themselves") {
    Tensor s = scalar_tensor(2.5);
    check_values(sum(s), {}, {2.5});
    check_values(sum(s, 0), {}, {2.5});
    check_values(sum(s, -1, true), {}, {2.5});
    check_values(mean(s), {}, {2.5});
    ValuesIndices m = max(s, 0);
    check_values(m.values, {}, {2.5});
    check_values(m.indices, {}, {0});
    check_values(softmax(s, 0), {}, {1});
  }

  TEST_CASE("mean") {
    Tensor x = m23();
    check_values(mean(x), {}, {3.5});
    check_values(mean(x, 0), {3}, {2.5, 3.5, 4.5});
    check_values(mean(x, 1, true), {2, 1}, {2, 5});
    check_values(mean(x.t(), 0), {2}, {2, 5});
    CHECK(mean(x.to(kFloat64)).dtype() == kFloat64);
  }

  TEST_CASE("amax / amin, with NaN propagating") {
    Tensor x = tensor({3, -1, 7, 2, 9, -5}, {2, 3});
    check_values(amax(x), {}, {9});
    check_values(amin(x), {}, {-5});
    check_values(amax(x, 0), {3}, {3, 9, 7});
    check_values(amin(x, 1, true), {2, 1}, {-1, -5});
    check_values(amax(x.to(kInt64), 1), {2}, {7, 9});
    CHECK(amax(x.to(kInt64)).dtype() == kInt64);
    Tensor n = tensor({1, kNan, 3});
    check_values(amax(n), {}, {kNan});
    check_values(amin(n), {}, {kNan});
    // NaN in the column path, and in a long row (past the lane loop)
    Tensor c = tensor({1, 2, kNan, 0, 5, 6}, {3, 2});
    check_values(amax(c, 0), {2}, {kNan, 6});
    Tensor longrow = zeros({100});
    longrow.at<float>({77}) = NAN;
    check_values(amax(longrow), {}, {kNan});
    check_values(amin(longrow), {}, {kNan});
    // infinities are ordinary values
    check_values(amax(tensor({-kInf, -kInf})), {}, {-kInf});
    check_values(amin(tensor({kInf, 4})), {}, {4});
  }

  TEST_CASE("var and std with Bessel's correction") {
    Tensor x = tensor({1, 2, 3, 4});  // deviations -1.5, -0.5, 0.5, 1.5: squares sum to 5
    check_values(var(x), {}, {5.0 / 3.0});
    check_values(var(x, {}, 0), {}, {1.25});
    check_values(glimpse::std(x), {}, {std::sqrt(5.0 / 3.0)});
    check_values(glimpse::std(x, {}, 0), {}, {std::sqrt(1.25)});
    Tensor c = tensor({1, 2, 3, 4, 5, 9}, {3, 2});  // columns [1, 3, 5] and [2, 4, 9]
    check_values(var(c, 0), {2}, {4, 13});
    check_values(var(c, 0, 1, true), {1, 2}, {4, 13});
    check_values(var(c.t(), 1), {2}, {4, 13});
    check_values(glimpse::std(c, 1), {3}, {std::sqrt(0.5), std::sqrt(0.5), std::sqrt(8.0)});
    // Two passes: a large mean does not swamp a small spread (sum(x^2) - n mean^2 would lose it all in float32).
    check_values(var(tensor({10001, 10002, 10003})), {}, {1}, 1e-6);
    check_values(var(tensor({1e8 + 1, 1e8 + 2, 1e8 + 3}, {-1}, kFloat64)), {}, {1}, 1e-9);
    // n - correction <= 0: NaN for no spread, inf otherwise (PyTorch divides by max(0, n - correction))
    check_values(var(tensor({5})), {}, {kNan});
    check_values(var(tensor({1, 2}), {}, 3), {}, {kInf});
  }

  TEST_CASE("logsumexp is stable") {
    check_values(logsumexp(tensor({0, 0}), 0), {}, {std::log(2.0)});
    check_values(logsumexp(tensor({1000, 1000}), 0), {}, {1000 + std::log(2.0)});
    check_values(logsumexp(tensor({-1000, -1000}), 0), {}, {-1000 + std::log(2.0)});
    check_values(logsumexp(tensor({1, 2, 3}, {-1}, kFloat64), 0), {}, {3.40760596444438}, 1e-12);
    check_values(logsumexp(tensor({-kInf, -kInf}), 0), {}, {-kInf});
    check_values(logsumexp(tensor({kInf, 1}), 0), {}, {kInf});
    check_values(logsumexp(tensor({kNan, 1}), 0), {}, {kNan});
    Tensor x = tensor({0, 1000, 0, 1000}, {2, 2});
    check_values(logsumexp(x, 0), {2}, {std::log(2.0), 1000 + std::log(2.0)});
    check_values(logsumexp(x, 1, true), {2, 1}, {1000, 1000});
    check_values(logsumexp(x, {}), {}, {1000 + std::log(2.0)});
  }

  TEST_CASE("norm: p = 2, 1, inf, -inf, 0 and general p") {
    Tensor x = tensor({3, -4});
    check_values(norm(x), {}, {5});
    check_values(norm(x, 1), {}, {7});
    check_values(norm(x, INFINITY), {}, {4});
    check_values(norm(x, -INFINITY), {}, {3});
    check_values(norm(tensor({3, 0, -4}), 0), {}, {2});
    check_values(norm(x, 3), {}, {4.497941445275415}, 1e-6);  // 91^(1/3)
    Tensor m = tensor({3, 4, 6, 8}, {2, 2});
    check_values(norm(m, 2, 1), {2}, {5, 10});
    check_values(norm(m, 2, 0, true), {1, 2}, {std::sqrt(45.0), std::sqrt(80.0)});
    check_values(norm(m.t(), 1, 0), {2}, {7, 14});
    check_values(norm(tensor({1, kNan}), INFINITY), {}, {kNan});
  }

  TEST_CASE("max / min along a dim: values, first index of ties, NaN") {
    Tensor x = tensor({3, 1, 3, 2, 1, 1}, {2, 3});
    ValuesIndices mx = max(x, 1);
    check_values(mx.values, {2}, {3, 2});
    check_values(mx.indices, {2}, {0, 0});
    CHECK(mx.indices.dtype() == kInt64);
    ValuesIndices mn = min(x, 1, true);
    check_values(mn.values, {2, 1}, {1, 1});
    check_values(mn.indices, {2, 1}, {1, 1});
    // along dim 0 (the column path): [[1, 5], [7, 2], [7, 9]]
    Tensor c = tensor({1, 5, 7, 2, 7, 9}, {3, 2});
    ValuesIndices cm = max(c, 0);
    check_values(cm.values, {2}, {7, 9});
    check_values(cm.indices, {2}, {1, 2});
    ValuesIndices cn = min(c, 0);
    check_values(cn.values, {2}, {1, 2});
    check_values(cn.indices, {2}, {0, 1});
    // a transposed view takes the same values
    check_values(max(c.t(), 1).indices, {2}, {1, 2});
    // NaN wins, with its first position (rows and columns)
    Tensor n = tensor({1, kNan, 3, kNan});
    check_values(max(n, 0).values, {}, {kNan});
    check_values(max(n, 0).indices, {}, {1});
    check_values(min(n, 0).indices, {}, {1});
    Tensor nc = tensor({1, 2, kNan, 8, 5, kNan}, {3, 2});
    check_values(max(nc, 0).indices, {2}, {1, 2});
    check_values(min(nc, 0).indices, {2}, {1, 2});
    // int64
    ValuesIndices im = max(tensor(std::vector<int64_t>{4, 9, 9, -2}), 0);
    CHECK(im.values.dtype() == kInt64);
    check_values(im.values, {}, {9});
    check_values(im.indices, {}, {1});
  }

  TEST_CASE("argmax / argmin and max / min over everything") {
    Tensor x = tensor({0.5, 2, -1, 2, 7, -3}, {2, 3});  // [[0.5, 2, -1], [2, 7, -3]]
    check_values(argmax(x, 1), {2}, {1, 1});
    check_values(argmin(x, 1), {2}, {2, 2});
    check_values(argmax(x, 0, true), {1, 3}, {1, 1, 0});
    check_values(argmin(x, 0), {3}, {0, 0, 1});
    check_values(argmax(x.t(), 0), {2}, {1, 1});
    check_values(argmin(x.t(), 1), {3}, {0, 0, 1});
    check_values(max(x), {}, {7});
    check_values(min(x), {}, {-3});
    check_values(max(x.t()), {}, {7});
    CHECK(max(x).dim() == 0);
    CHECK(max(x.to(kInt64)).dtype() == kInt64);
  }

  TEST_CASE("sum_to_size un-broadcasts") {
    Tensor x = ones({2, 3, 4});
    check_values(sum_to_size(x, {3, 1}), {3, 1}, {8, 8, 8});
    check_values(sum_to_size(x, {1, 4}), {1, 4}, {6, 6, 6, 6});
    check_values(sum_to_size(x, {4}), {4}, {6, 6, 6, 6});
    check_values(sum_to_size(x, {2, 1, 1}), {2, 1, 1}, {12, 12});
    check_values(sum_to_size(x, Shape{}), {}, {24});
    check_values(sum_to_size(x, {1, 1, 1}), {1, 1, 1}, {24});
    // the bias-gradient case on a non-contiguous gradient
    Tensor g = m23().t();  // [[1, 4], [2, 5], [3, 6]]
    check_values(sum_to_size(g, {2}), {2}, {6, 15});
    check_values(sum_to_size(tensor({1, 2, 3}).expand({2, 3}), {3}), {3}, {2, 4, 6});
    // nothing to sum: x itself, no copy
    Tensor same = sum_to_size(x, {2, 3, 4});
    CHECK(same.shares_storage_with(x));
    CHECK(sum_to_size(tensor(std::vector<int64_t>{1, 2, 3, 4}, {2, 2}), {2}).dtype() == kInt64);
  }

  TEST_CASE("softmax is stable and correct along any dim") {
    const double e = std::exp(1.0);
    check_values(softmax(tensor({1000, 1001}), 0), {2}, {1 / (1 + e), e / (1 + e)});
    check_values(softmax(tensor({-1000, -1001}), 0), {2}, {e / (1 + e), 1 / (1 + e)});
    check_values(softmax(tensor({0, -kInf}), 0), {2}, {1, 0});
    check_values(softmax(tensor({1, 2, 3}, {-1}, kFloat64), 0), {3},
                 {0.09003057317038046, 0.24472847105479767, 0.6652409557748219}, 1e-12);
    // along dim 0 of [[0, 1000], [ln 3, 1000]] (the column path)
    Tensor c = tensor({0, 1000, std::log(3.0), 1000}, {2, 2});
    check_values(softmax(c, 0), {2, 2}, {0.25, 0.5, 0.75, 0.5});
    check_values(softmax(c.t(), 1), {2, 2}, {0.25, 0.75, 0.5, 0.5});
    // 3-d along the middle dim: every [.., :, ..] slice sums to 1 and matches the 1-d softmax
    Generator gen(3);
    Tensor x = randn({4, 5, 6}, kFloat32, gen);
    Tensor s = softmax(x, 1);
    check_values(sum(s, 1), {4, 6}, std::vector<double>(24, 1.0), 1e-6);
    for (int64_t i : {0, 3}) {
      for (int64_t k : {0, 5}) {
        Tensor ref = softmax(x.select(0, i).select(1, k), 0);
        check_values(s.select(0, i).select(1, k), {5}, ref.tolist(), 1e-6);
      }
    }
    // NaN propagates to the whole row
    check_values(softmax(tensor({1, kNan}), 0), {2}, {kNan, kNan});
  }

  TEST_CASE("float32 softmax matches a float64 reference to float32 precision") {
    // Same float32 inputs for both. In float32, x - max carries a rounding error of up to |x - max| * 2^-24, which
    // becomes a relative error of the same size in exp; with |x - max| <= ~25 here that is 1.5e-6 at most, and the
    // exp, sum and scaling add a few ulp (~2e-7).
    Generator gen(5);
    Tensor x = mul(randn({64, 333}, kFloat32, gen), 3.0);
    Tensor x64 = x.to(kFloat64);
    for (int64_t dim : {0, 1}) {
      std::vector<double> got = softmax(x, dim).tolist();
      std::vector<double> want = softmax(x64, dim).tolist();
      std::vector<double> got_log = log_softmax(x, dim).tolist();
      std::vector<double> want_log = log_softmax(x64, dim).tolist();
      for (size_t i = 0; i < got.size(); ++i) {
        REQUIRE(std::abs(got[i] - want[i]) <= 2e-6 * want[i]);
        REQUIRE(std::abs(got_log[i] - want_log[i]) <= 2e-6 * std::max(1.0, std::abs(want_log[i])));
      }
    }
  }

  TEST_CASE("log_softmax") {
    const double lse = 3.40760596444438;  // log(e + e^2 + e^3)
    check_values(log_softmax(tensor({1, 2, 3}), 0), {3}, {1 - lse, 2 - lse, 3 - lse});
    check_values(log_softmax(tensor({1001, 1002, 1003}), 0), {3}, {1 - lse, 2 - lse, 3 - lse}, 1e-5);
    check_values(log_softmax(tensor({1, 1001, 2, 1002, 3, 1003}, {3, 2}), 0), {3, 2},
                 {1 - lse, 1 - lse, 2 - lse, 2 - lse, 3 - lse, 3 - lse}, 1e-5);
    // very negative inputs stay finite (log(softmax) would give -inf)
    check_values(log_softmax(tensor({0, -200}), 0), {2}, {0, -200}, 1e-6);
  }

  TEST_CASE("errors name the op") {
    Tensor x = m23();
    CHECK_THROWS_WITH_AS(sum(x, {1, -1}), doctest::Contains("sum"), Error);
    CHECK_THROWS_WITH_AS(sum(x, {1, -1}), doctest::Contains("more than once"), Error);
    CHECK_THROWS_WITH_AS(mean(x, {0, 0}), doctest::Contains("mean"), Error);
    CHECK_THROWS_WITH_AS(sum(x, 2), doctest::Contains("sum"), Error);
    CHECK_THROWS_WITH_AS(amax(x, -3), doctest::Contains("amax"), Error);
    CHECK_THROWS_WITH_AS(sum(Tensor()), doctest::Contains("sum"), Error);
    CHECK_THROWS_WITH_AS(softmax(Tensor(), 0), doctest::Contains("softmax"), Error);
    // int64 where a float is needed
    Tensor i = x.to(kInt64);
    CHECK_THROWS_WITH_AS(mean(i), doctest::Contains("mean"), Error);
    CHECK_THROWS_WITH_AS(var(i), doctest::Contains("var"), Error);
    CHECK_THROWS_WITH_AS(glimpse::std(i), doctest::Contains("std"), Error);
    CHECK_THROWS_WITH_AS(logsumexp(i, 0), doctest::Contains("logsumexp"), Error);
    CHECK_THROWS_WITH_AS(norm(i), doctest::Contains("norm"), Error);
    CHECK_THROWS_WITH_AS(softmax(i, 0), doctest::Contains("softmax"), Error);
    CHECK_THROWS_WITH_AS(log_softmax(i, 1), doctest::Contains("log_softmax"), Error);
    CHECK_THROWS_WITH_AS(softmax(x, 2), doctest::Contains("softmax"), Error);
    // reductions without an identity on zero elements
    CHECK_THROWS_WITH_AS(max(zeros({0})), doctest::Contains("max"), Error);
    CHECK_THROWS_WITH_AS(min(zeros({2, 0})), doctest::Contains("min"), Error);
    CHECK_THROWS_WITH_AS(amax(zeros({0})), doctest::Contains("amax"), Error);
    CHECK_THROWS_WITH_AS(amin(zeros({2, 0}), 1), doctest::Contains("amin"), Error);
    CHECK_THROWS_WITH_AS(max(zeros({2, 0}), 1), doctest::Contains("max"), Error);
    CHECK_THROWS_WITH_AS(argmax(zeros({0, 2}), 0), doctest::Contains("argmax"), Error);
    CHECK_THROWS_WITH_AS(argmin(x, 5), doctest::Contains("argmin"), Error);
    CHECK_THROWS_WITH_AS(norm(zeros({0}), INFINITY), doctest::Contains("norm"), Error);
    CHECK_THROWS_WITH_AS(norm(x, NAN), doctest::Contains("norm"), Error);
    // sum_to_size targets that x does not broadcast from
    CHECK_THROWS_WITH_AS(sum_to_size(x, {2}), doctest::Contains("sum_to_size"), Error);
    CHECK_THROWS_WITH_AS(sum_to_size(x, {1, 2, 3}), doctest::Contains("sum_to_size"), Error);
    CHECK_THROWS_WITH_AS(sum_to_size(ones({1, 3}), {2, 3}), doctest::Contains("sum_to_size"), Error);
  }
  TEST_CASE("regression: reducing a middle dim of a tensor with a size-0 kept dim gives an empty result") {
    // [0, 1, 4, 2] summed over dim 2 is the grid outer 0, n 4, inner 2: the one-output-row path wrote into an empty
    // vector (a segfault, found by the randomized bad-input test).
    Tensor x = zeros({0, 1, 4, 2});
    for (DType dt : {kFloat32, kFloat64, kInt64}) {
      Tensor xd = x.to(dt);
      CHECK(sum(xd, {2}).shape() == Shape{0, 1, 2});
      CHECK(sum(xd, {-2}, true).shape() == Shape{0, 1, 1, 2});
      CHECK(amax(xd, {2}).shape() == Shape{0, 1, 2});
      if (dt != kInt64) CHECK(mean(xd, {2}).shape() == Shape{0, 1, 2});
      if (dt != kInt64) CHECK(var(xd, {2}).shape() == Shape{0, 1, 2});
    }
    CHECK(sum(zeros({3, 0, 5}), {0}).shape() == Shape{0, 5});
  }
  TEST_CASE("regression: var and std accept any int64 correction without overflowing n - correction") {
    // n - INT64_MIN overflowed int64 (UBSan, found by the randomized bad-input test); the divisor is max(0, n - c).
    Tensor x = tensor({1, 2, 3, 4}, {4}, kFloat64);
    const double huge = 4.0 + 9.223372036854775808e18;  // n - INT64_MIN, in double
    CHECK(var(x, {}, std::numeric_limits<int64_t>::min()).item() == doctest::Approx(5.0 / huge));
    CHECK(std::isinf(var(x, {}, std::numeric_limits<int64_t>::max()).item()));  // divided by max(0, 4 - c) = 0
    CHECK(var(x, {}, 1).item() == doctest::Approx(5.0 / 3.0));
  }
}
