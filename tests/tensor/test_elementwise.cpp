// Tests for tensor/elementwise.h: unary math, broadcasting binaries, dtype promotion, scalar operands and operators,
// comparisons, where/masked_fill, the in-place add_/mul_, and allclose/equal.
//
// Every unary op is checked in float32 and float64 against values worked out independently (closed forms, or
// Python's math module to 17 digits), never numbers printed by the code under test. The tolerances are a few units in
// the last place of each dtype. Binaries run on contiguous operands, on broadcast ones, and on non-contiguous views
// (transposed, sliced with a step, expanded), because each takes a different loop in elementwise.cpp.
//
// Test cases whose name starts with "regression:" pin a bug that this suite found in elementwise.cpp and that was
// then fixed.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tensor/elementwise.h"

using namespace glimpse;

namespace {

std::string str(const Shape& s) { return fmt::format("{}", s); }
std::string str(const std::vector<double>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); }
// Every element of t in row-major order, as "[a, b, c]" (exact: fmt prints the shortest form that round-trips).
std::string values(const Tensor& t) { return str(t.tolist()); }

// A few units in the last place: float32 libm results are within 1-2 ulp (1.2e-7 relative); composite formulas such
// as GELU lose a few more. The absolute part only matters for results near 0.
struct Tol {
  double rtol, atol;
};
constexpr Tol kTol32{1e-6, 1e-7};
constexpr Tol kTol64{1e-14, 1e-15};
Tol tol_for(DType dt) { return dt == kFloat64 ? kTol64 : kTol32; }

// Checks shape, dtype and every value of `t` against `want` (NaN matches NaN, infinities must match exactly).
void check_close(const Tensor& t, const Shape& shape, const std::vector<double>& want, Tol tol) {
  REQUIRE(t.defined());
  CHECK(str(t.shape()) == str(shape));
  std::vector<double> got = t.tolist();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    bool ok;
    if (std::isnan(want[i])) {
      ok = std::isnan(got[i]);
    } else if (std::isinf(want[i])) {
      ok = got[i] == want[i];
    } else {
      ok = std::abs(got[i] - want[i]) <= tol.atol + tol.rtol * std::abs(want[i]);
    }
    CHECK_MESSAGE(ok, fmt::format("element {}: got {:.17g}, want {:.17g} ({} tensor)", i, got[i], want[i],
                                  dtype_name(t.dtype())));
  }
}

const std::vector<double> kXs = {-2.0, -0.5, 0.0, 0.5, 1.0, 3.0};  // exact in float32 too
const std::vector<double> kPos = {0.25, 0.5, 1.0, 2.0, 10.0};

}  // namespace

TEST_SUITE("elementwise") {

// ---------------------------------------------------------------------------------------------------- unary

TEST_CASE("neg, abs, square, sign and relu in every dtype") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    Tensor x = tensor(kXs, {6}, dt);
    CHECK(neg(x).dtype() == dt);
    CHECK(values(neg(x)) == "[2, 0.5, -0, -0.5, -1, -3]");
    CHECK(values(-x) == "[2, 0.5, -0, -0.5, -1, -3]");
    CHECK(values(abs(x)) == "[2, 0.5, 0, 0.5, 1, 3]");
    CHECK(values(square(x)) == "[4, 0.25, 0, 0.25, 1, 9]");
    CHECK(values(sign(x)) == "[-1, -1, 0, 1, 1, 1]");
    CHECK(values(relu(x)) == "[0, 0, 0, 0.5, 1, 3]");
    CHECK(relu(x).dtype() == dt);
  }
  Tensor i = tensor(std::vector<int64_t>{-3, 0, 2});
  CHECK(neg(i).dtype() == kInt64);
  CHECK(values(neg(i)) == "[3, 0, -2]");
  CHECK(values(abs(i)) == "[3, 0, 2]");
  CHECK(values(square(i)) == "[9, 0, 4]");
  CHECK(square(i).dtype() == kInt64);
  CHECK(values(sign(i)) == "[-1, 0, 1]");
  CHECK(values(relu(i)) == "[0, 0, 2]");
  CHECK(relu(i).dtype() == kInt64);
  CHECK(values(abs(tensor({-INFINITY, INFINITY}))) == "[inf, inf]");
  // relu keeps a NaN (as PyTorch does) instead of hiding a diverged activation behind a 0.
  CHECK(values(relu(tensor({NAN, -1, 2}))) == "[nan, 0, 2]");
  CHECK(values(relu(tensor({NAN}, {1}, kFloat64))) == "[nan]");
}

TEST_CASE("exp, log, log1p, sqrt and rsqrt in float32 and float64") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    const Tol tol = tol_for(dt);
    Tensor x = tensor(kXs, {2, 3}, dt);
    CHECK(exp(x).dtype() == dt);
    check_close(exp(x), {2, 3},
                {0.1353352832366127, 0.6065306597126334, 1.0, 1.6487212707001282, 2.718281828459045,
                 20.085536923187668},
                tol);
    Tensor p = tensor(kPos, {5}, dt);
    check_close(log(p), {5}, {-1.3862943611198906, -0.6931471805599453, 0.0, 0.6931471805599453, 2.302585092994046},
                tol);
    check_close(log1p(p), {5},
                {0.22314355131420976, 0.4054651081081644, 0.6931471805599453, 1.0986122886681096, 2.3978952727983707},
                tol);
    check_close(sqrt(p), {5}, {0.5, 0.7071067811865476, 1.0, 1.4142135623730951, 3.1622776601683795}, tol);
    check_close(rsqrt(p), {5}, {2.0, 1.4142135623730951, 1.0, 0.7071067811865476, 0.31622776601683794}, tol);
    // log1p stays accurate where log(1 + x) would round 1 + x to 1.
    check_close(log1p(tensor({1e-10}, {1}, dt)), {1}, {9.999999999500001e-11}, tol);
    // Edge values follow IEEE: exp overflows to inf, log(0) = -inf, roots of negatives are NaN.
    check_close(exp(tensor({-INFINITY, 1000.0}, {2}, dt)), {2}, {0.0, INFINITY}, tol);
    check_close(log(tensor({0.0, -1.0}, {2}, dt)), {2}, {-INFINITY, NAN}, tol);
    check_close(sqrt(tensor({0.0, -1.0}, {2}, dt)), {2}, {0.0, NAN}, tol);
    check_close(rsqrt(tensor({0.0}, {1}, dt)), {1}, {INFINITY}, tol);
  }
}

TEST_CASE("sin, cos and tanh in float32 and float64") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    const Tol tol = tol_for(dt);
    Tensor x = tensor(kXs, {6}, dt);
    check_close(sin(x), {6},
                {-0.9092974268256817, -0.479425538604203, 0.0, 0.479425538604203, 0.8414709848078965,
                 0.1411200080598672},
                tol);
    check_close(cos(x), {6},
                {-0.4161468365471424, 0.8775825618903728, 1.0, 0.8775825618903728, 0.5403023058681398,
                 -0.9899924966004454},
                tol);
    check_close(tanh(x), {6},
                {-0.9640275800758169, -0.46211715726000974, 0.0, 0.46211715726000974, 0.7615941559557649,
                 0.9950547536867305},
                tol);
    check_close(tanh(tensor({-1000.0, 1000.0}, {2}, dt)), {2}, {-1.0, 1.0}, tol);
  }
}

TEST_CASE("sigmoid: values, and no overflow at large |x|") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    const Tol tol = tol_for(dt);
    // 1 / (1 + e^-x)
    check_close(sigmoid(tensor(kXs, {6}, dt)), {6},
                {0.11920292202211755, 0.3775406687981454, 0.5, 0.6224593312018546, 0.7310585786300049,
                 0.9525741268224334},
                tol);
    // e^-x overflows for x <= -89 (float32) / -710 (float64); the result must still be a tiny number, not NaN.
    Tensor big = sigmoid(tensor({-1000.0, -30.0, 30.0, 1000.0, -INFINITY, INFINITY}, {6}, dt));
    std::vector<double> v = big.tolist();
    for (double e : v) CHECK_FALSE(std::isnan(e));
    CHECK(v[0] == 0.0);
    CHECK(std::abs(v[1] - 9.3576229688393e-14) <= 1e-6 * 9.3576229688393e-14);  // relative accuracy survives
    CHECK(v[2] == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(v[3] == 1.0);
    CHECK(v[4] == 0.0);
    CHECK(v[5] == 1.0);
  }
  // float64 keeps e^-100 / (1 + e^-100) in full precision.
  check_close(sigmoid(tensor({-100.0}, {1}, kFloat64)), {1}, {3.7200759760208356e-44}, kTol64);
}

TEST_CASE("gelu: exact x * Phi(x) and the tanh approximation") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    const Tol tol = tol_for(dt);
    Tensor x = tensor(kXs, {6}, dt);
    // 0.5 x (1 + erf(x / sqrt 2))
    const std::vector<double> exact = {-0.04550026389635842, -0.15426876936299344, 0.0, 0.34573123063700656,
                                       0.8413447460685429, 2.99595030590511};
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
    const std::vector<double> approx = {-0.04540230591222494, -0.15428599017485606, 0.0, 0.34571400982514394,
                                        0.8411919906082768, 2.996362607918227};
    check_close(gelu(x), {6}, exact, tol);
    check_close(gelu(x, "none"), {6}, exact, tol);
    check_close(gelu(x, "tanh"), {6}, approx, tol);
    CHECK(gelu(x).dtype() == dt);
    // The two forms really differ (by ~1.5e-4 at x = 1), so a test of one cannot pass with the other.
    CHECK(std::abs(gelu(x).tolist()[4] - gelu(x, "tanh").tolist()[4]) > 1e-4);
    // Far tails: no NaN (x^3 overflows float32 at 1e13), gelu(x) -> x for large x and -> 0 for very negative x.
    for (const char* form : {"none", "tanh"}) {
      CAPTURE(form);
      check_close(gelu(tensor({-1e13, -30.0, 30.0, 1e13}, {4}, dt), form), {4}, {0.0, 0.0, 30.0, 1e13}, tol);
    }
  }
  CHECK_THROWS_WITH_AS(gelu(ones({2}), "fast"), doctest::Contains("gelu"), glimpse::Error);
  CHECK_THROWS_WITH_AS(gelu(ones({2}), "fast"), doctest::Contains("fast"), glimpse::Error);
}

TEST_CASE("gelu_backward: the derivative of either form, times grad") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    const Tol tol = tol_for(dt);
    Tensor x = tensor(kXs, {6}, dt);
    // d/dx x Phi(x) = Phi(x) + x phi(x)
    const std::vector<double> exact = {-0.08523180107819692, 0.13250487534383712, 0.5, 0.8674951246561629,
                                       1.0833154705876864, 1.011945647204184};
    // with t = tanh(k (x + c x^3)), k = sqrt(2 / pi), c = 0.044715: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
    const std::vector<double> approx = {-0.08609925662361825, 0.13263009646535764, 0.5, 0.8673699035346424,
                                        1.0829640838457826, 1.0115841666309695};
    check_close(gelu_backward(ones({6}, dt), x), {6}, exact, tol);
    check_close(gelu_backward(ones({6}, dt), x, "none"), {6}, exact, tol);
    check_close(gelu_backward(ones({6}, dt), x, "tanh"), {6}, approx, tol);
    CHECK(gelu_backward(ones({6}, dt), x).dtype() == dt);
    // grad scales the result and broadcasts; x may be a strided view.
    std::vector<double> twice;
    for (double v : exact) twice.push_back(2 * v);
    check_close(gelu_backward(full({1}, 2, dt), x), {6}, twice, tol);
    Tensor xs2 = tensor(kXs, {3, 2}, dt).t();  // [-2, 0, 1, -0.5, 0.5, 3]
    check_close(gelu_backward(ones({2, 3}, dt), xs2, "tanh"), {2, 3},
                {approx[0], approx[2], approx[4], approx[1], approx[3], approx[5]}, tol);
  }
  CHECK_THROWS_WITH_AS(gelu_backward(ones({2}, kInt64), ones({2}, kInt64)), doctest::Contains("gelu_backward"),
                       glimpse::Error);
  CHECK_THROWS_WITH_AS(gelu_backward(ones({3}), ones({2})), doctest::Contains("gelu_backward"), glimpse::Error);
  CHECK_THROWS_WITH_AS(gelu_backward(ones({2}), Tensor()), doctest::Contains("gelu_backward"), glimpse::Error);
  CHECK(str(gelu_backward(zeros({0, 2}), zeros({0, 2})).shape()) == "[0, 2]");
}

TEST_CASE("clamp, clamp_min and clamp_max") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    Tensor x = tensor(kXs, {6}, dt);
    CHECK(values(clamp(x, -1, 1)) == "[-1, -0.5, 0, 0.5, 1, 1]");
    CHECK(clamp(x, -1, 1).dtype() == dt);
    CHECK(values(clamp(x, 0.5, 0.5)) == "[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]");
    CHECK(values(clamp_min(x, 0)) == "[0, 0, 0, 0.5, 1, 3]");
    CHECK(values(clamp_max(x, 0.5)) == "[-2, -0.5, 0, 0.5, 0.5, 0.5]");
    CHECK(values(clamp(tensor({NAN, INFINITY, -INFINITY}, {3}, dt), -1, 1)) == "[nan, 1, -1]");  // NaN passes
  }
  Tensor i = tensor(std::vector<int64_t>{-5, 0, 5});
  CHECK(clamp(i, -1, 2).dtype() == kInt64);
  CHECK(values(clamp(i, -1, 2)) == "[-1, 0, 2]");
  // On a transposed view.
  Tensor m = arange(6, kFloat32).view({2, 3}).t();  // [0, 3, 1, 4, 2, 5]
  CHECK(values(clamp(m, 1, 3)) == "[1, 3, 1, 3, 2, 3]");
  CHECK(str(clamp(m, 1, 3).shape()) == "[3, 2]");
  CHECK_THROWS_WITH_AS(clamp(ones({2}), 2, 1), doctest::Contains("clamp"), glimpse::Error);
}

TEST_CASE("pow: to a scalar power, and tensor to tensor with broadcasting") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    const Tol tol = tol_for(dt);
    Tensor p = tensor(kPos, {5}, dt);
    check_close(pow(p, 1.5), {5}, {0.125, 0.3535533905932738, 1.0, 2.8284271247461903, 31.622776601683793}, tol);
    check_close(pow(p, -1.0), {5}, {4.0, 2.0, 1.0, 0.5, 0.1}, tol);
    check_close(pow(p, 0.5), {5}, {0.5, 0.7071067811865476, 1.0, 1.4142135623730951, 3.1622776601683795}, tol);
    CHECK(values(pow(p, 2.0)) == "[0.0625, 0.25, 1, 4, 100]");
    CHECK(values(pow(p, 0.0)) == "[1, 1, 1, 1, 1]");
    CHECK(values(pow(tensor({-2, 3}, {2}, dt), 3.0)) == "[-8, 27]");
    CHECK(pow(p, 1.5).dtype() == dt);

    Tensor base = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, dt);
    Tensor e = tensor({2, 0.5, 1}, {3}, dt);
    check_close(pow(base, e), {2, 3}, {1.0, 1.4142135623730951, 3.0, 16.0, 2.23606797749979, 6.0}, tol);
  }
  // int64 ** int64 is computed in float32 (true power, like a true division).
  Tensor r = pow(tensor(std::vector<int64_t>{2, 3}), tensor(std::vector<int64_t>{3, 2}));
  CHECK(r.dtype() == kFloat32);
  CHECK(values(r) == "[8, 9]");
  CHECK_THROWS_WITH_AS(pow(tensor(std::vector<int64_t>{2}), 3.0), doctest::Contains("pow"), glimpse::Error);
}

TEST_CASE("unary ops on non-contiguous views read the view's elements in its order") {
  Tensor m = tensor({-1, 2, -3, 4, -5, 6}, {2, 3}, kFloat64);
  Tensor t = m.t();  // [-1, 4, 2, -5, -3, 6]
  Tensor r = relu(t);
  CHECK(str(r.shape()) == "[3, 2]");
  CHECK(r.is_contiguous());
  CHECK_FALSE(r.shares_storage_with(m));
  CHECK(values(r) == "[0, 4, 2, 0, 0, 6]");
  CHECK(values(abs(t)) == "[1, 4, 2, 5, 3, 6]");
  CHECK(values(square(m.slice(1, 0, 3, 2))) == "[1, 9, 16, 36]");  // columns 0 and 2
  check_close(exp(m.slice(1, 1, 2)), {2, 1}, {7.38905609893065, 0.006737946999085467}, kTol64);
  CHECK(values(neg(tensor({1, 2}, {2, 1}, kFloat64).expand({2, 3}))) == "[-1, -1, -1, -2, -2, -2]");
  CHECK(values(sign(m.select(1, 2))) == "[-1, 1]");
  CHECK(values(m) == "[-1, 2, -3, 4, -5, 6]");  // inputs are left alone
  // 3-d permuted view: the strided path with an odometer over two outer dims.
  Tensor p = arange(24, kFloat32).view({2, 3, 4}).permute({2, 0, 1});  // p(k, i, j) = 12 i + 4 j + k
  std::vector<double> got = square(p).tolist();
  std::vector<double> want;
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) want.push_back(double(12 * i + 4 * j + k) * double(12 * i + 4 * j + k));
  CHECK(str(got) == str(want));
}

// ---------------------------------------------------------------------------------------------------- binary

TEST_CASE("add, sub, mul, div, maximum and minimum on same-shape operands") {
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dtype_name(dt));
    Tensor a = tensor({1, -2, 3.5, 4}, {2, 2}, dt);
    Tensor b = tensor({0.5, 2, -1, 8}, {2, 2}, dt);
    CHECK(add(a, b).dtype() == dt);
    CHECK(str(add(a, b).shape()) == "[2, 2]");
    CHECK(values(add(a, b)) == "[1.5, 0, 2.5, 12]");
    CHECK(values(sub(a, b)) == "[0.5, -4, 4.5, -4]");
    CHECK(values(mul(a, b)) == "[0.5, -4, -3.5, 32]");
    CHECK(values(div(a, b)) == "[2, -1, -3.5, 0.5]");
    CHECK(values(maximum(a, b)) == "[1, 2, 3.5, 8]");
    CHECK(values(minimum(a, b)) == "[0.5, -2, -1, 4]");
    CHECK(values(a + b) == "[1.5, 0, 2.5, 12]");
    CHECK(values(a - b) == "[0.5, -4, 4.5, -4]");
    CHECK(values(a * b) == "[0.5, -4, -3.5, 32]");
    CHECK(values(a / b) == "[2, -1, -3.5, 0.5]");
    CHECK_FALSE(add(a, b).shares_storage_with(a));
    check_close(div(tensor({1, -1, 0}, {3}, dt), tensor({0, 0, 0}, {3}, dt)), {3}, {INFINITY, -INFINITY, NAN},
                tol_for(dt));  // IEEE division by zero (0 / 0 is a NaN of either sign)
    // NaN propagates through maximum/minimum from either side.
    CHECK(values(maximum(tensor({NAN, 1}, {2}, dt), tensor({1, NAN}, {2}, dt))) == "[nan, nan]");
    CHECK(values(minimum(tensor({NAN, 1}, {2}, dt), tensor({1, NAN}, {2}, dt))) == "[nan, nan]");
  }
  Tensor i = tensor(std::vector<int64_t>{7, -7, 3});
  Tensor j = tensor(std::vector<int64_t>{2, 2, -4});
  CHECK(add(i, j).dtype() == kInt64);
  CHECK(values(add(i, j)) == "[9, -5, -1]");
  CHECK(values(sub(i, j)) == "[5, -9, 7]");
  CHECK(values(mul(i, j)) == "[14, -14, -12]");
  CHECK(values(maximum(i, j)) == "[7, 2, 3]");
  CHECK(values(minimum(i, j)) == "[2, -7, -4]");
  CHECK(maximum(i, j).dtype() == kInt64);
}

TEST_CASE("broadcasting: [3,1] with [1,4], [2,3] with [3], [1], 0-d, and more dims") {
  Tensor col = tensor({0, 10, 20}, {3, 1});
  Tensor row = tensor({1, 2, 3, 4}, {1, 4});
  Tensor s = add(col, row);
  CHECK(str(s.shape()) == "[3, 4]");
  CHECK(s.is_contiguous());
  CHECK(values(s) == "[1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]");
  CHECK(values(sub(row, col)) == "[1, 2, 3, 4, -9, -8, -7, -6, -19, -18, -17, -16]");
  CHECK(values(mul(col, row)) == "[0, 0, 0, 0, 10, 20, 30, 40, 20, 40, 60, 80]");
  CHECK(values(maximum(col, row)) == "[1, 2, 3, 4, 10, 10, 10, 10, 20, 20, 20, 20]");

  Tensor m = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor v = tensor({10, 20, 30});
  CHECK(values(add(m, v)) == "[11, 22, 33, 14, 25, 36]");
  CHECK(values(add(v, m)) == "[11, 22, 33, 14, 25, 36]");
  CHECK(values(sub(v, m)) == "[9, 18, 27, 6, 15, 24]");
  CHECK(values(div(m.to(kFloat64), v)) == "[0.1, 0.1, 0.1, 0.4, 0.25, 0.2]");  // float64: 0.1 prints as 0.1
  CHECK(values(mul(m, tensor({2}))) == "[2, 4, 6, 8, 10, 12]");  // scalar-like [1]
  CHECK(values(mul(tensor({2}), m)) == "[2, 4, 6, 8, 10, 12]");
  CHECK(values(sub(m, scalar_tensor(1))) == "[0, 1, 2, 3, 4, 5]");  // 0-d
  CHECK(values(sub(scalar_tensor(1), m)) == "[0, -1, -2, -3, -4, -5]");
  CHECK(add(scalar_tensor(1), scalar_tensor(2)).dim() == 0);
  CHECK(str(add(tensor({1}), scalar_tensor(2)).shape()) == "[1]");

  // [2, 1, 3] + [4, 1] -> [2, 4, 3]: out(b, i, j) = a(b, 0, j) + c(i, 0)
  Tensor a = arange(6, kFloat64).view({2, 1, 3});
  Tensor c = tensor({0, 100, 200, 300}, {4, 1}, kFloat64);
  Tensor r = add(a, c);
  CHECK(str(r.shape()) == "[2, 4, 3]");
  CHECK(r.at<double>({1, 2, 1}) == 4 + 200);
  CHECK(r.at<double>({0, 3, 2}) == 2 + 300);
  std::vector<double> want;
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 3; ++j) want.push_back(3 * b + j + 100 * i);
  CHECK(values(r) == str(want));
}

TEST_CASE("binaries on non-contiguous views: transposed, sliced with a step, expanded, offset") {
  Tensor m = arange(6, kFloat32).view({2, 3});
  Tensor mt = m.t();  // [0, 3, 1, 4, 2, 5]
  CHECK(values(add(mt, tensor({10, 20, 30, 40, 50, 60}, {3, 2}))) == "[10, 23, 31, 44, 52, 65]");
  CHECK(values(mul(mt, mt)) == "[0, 9, 1, 16, 4, 25]");
  CHECK(values(sub(mt, tensor({100, 200}))) == "[-100, -197, -99, -196, -98, -195]");  // transposed + broadcast
  CHECK(values(add(tensor({100, 200, 300}, {3, 1}), mt)) == "[100, 103, 201, 204, 302, 305]");

  Tensor x = arange(10, kFloat64);
  Tensor evens = x.slice(0, 0, 8, 2);  // [0, 2, 4, 6]
  Tensor odds = x.slice(0, 1, 9, 2);   // [1, 3, 5, 7]
  CHECK(values(add(evens, odds)) == "[1, 5, 9, 13]");
  CHECK(values(mul(x.slice(0, 0, 10, 3), x.slice(0, 1, 5))) == "[0, 6, 18, 36]");  // step 3 with an offset view

  Tensor ecol = tensor({1, 2, 3}, {3, 1}).expand({3, 4});
  Tensor erow = tensor({10, 20, 30, 40}).expand({3, 4});
  CHECK(values(add(ecol, erow)) == "[11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43]");
  CHECK(values(mul(ecol, ecol)) == "[1, 1, 1, 1, 4, 4, 4, 4, 9, 9, 9, 9]");  // stride 0 on both sides
  CHECK(values(sub(m.select(0, 1), m.select(0, 0))) == "[3, 3, 3]");        // offset views
  CHECK(values(maximum(mt.select(1, 1), tensor({4, 4, 4}))) == "[4, 4, 5]");

  // 3-d: a permuted view plus a contiguous one, checked against the definition element by element.
  Tensor p = arange(24, kFloat64).view({2, 3, 4}).permute({2, 0, 1});  // p(k, i, j) = 12 i + 4 j + k
  Tensor q = arange(24, kFloat64).view({4, 2, 3});                     // q(k, i, j) = 6 k + 3 i + j
  std::vector<double> want;
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) want.push_back((12 * i + 4 * j + k) - 2.0 * (6 * k + 3 * i + j));
  CHECK(values(sub(p, mul(q, scalar_tensor(2, kFloat64)))) == str(want));
  CHECK(values(m) == "[0, 1, 2, 3, 4, 5]");  // inputs are left alone
}

TEST_CASE("dtype promotion: int64 < float32 < float64, int64 / int64 is a true division") {
  Tensor i = tensor(std::vector<int64_t>{1, 2, 7});
  Tensor f = tensor({0.5, 0.25, 0.5});
  Tensor d = tensor({0.5, 0.25, 0.5}, {3}, kFloat64);
  CHECK(add(i, f).dtype() == kFloat32);
  CHECK(add(f, i).dtype() == kFloat32);
  CHECK(values(add(i, f)) == "[1.5, 2.25, 7.5]");
  CHECK(values(sub(f, i)) == "[-0.5, -1.75, -6.5]");
  CHECK(add(f, d).dtype() == kFloat64);
  CHECK(add(d, f).dtype() == kFloat64);
  CHECK(mul(i, d).dtype() == kFloat64);
  CHECK(values(mul(i, d)) == "[0.5, 0.5, 3.5]");
  CHECK(maximum(i, f).dtype() == kFloat32);
  CHECK(add(i, i).dtype() == kInt64);
  // float32 + float64: the float32 operand is widened exactly, not re-rounded.
  Tensor w = add(tensor({0.1}), tensor({0.0}, {1}, kFloat64));
  CHECK(w.item() == static_cast<double>(0.1f));
  // int64 / int64 -> float32, as in PyTorch.
  Tensor q = div(i, tensor(std::vector<int64_t>{2, 4, 2}));
  CHECK(q.dtype() == kFloat32);
  CHECK(values(q) == "[0.5, 0.5, 3.5]");
  CHECK(values(i / tensor(std::vector<int64_t>{-2})) == "[-0.5, -1, -3.5]");
  // Mixed-dtype comparisons compare in the promoted type.
  CHECK(values(lt(i, tensor({1.5}))) == "[1, 0, 0]");
  CHECK(lt(i, tensor({1.5})).dtype() == kInt64);
  // Broadcast and promotion at once.
  Tensor bp = add(tensor(std::vector<int64_t>{1, 2}, {2, 1}), tensor({0.5, 0.25}, {2}, kFloat64));
  CHECK(bp.dtype() == kFloat64);
  CHECK(values(bp) == "[1.5, 1.25, 2.5, 2.25]");
}

TEST_CASE("tensor with a scalar on either side, and the operators") {
  Tensor x = tensor({1, 2, 4});
  CHECK(values(add(x, 1)) == "[2, 3, 5]");
  CHECK(values(x + 1) == "[2, 3, 5]");
  CHECK(values(1 + x) == "[2, 3, 5]");
  CHECK(values(sub(x, 1)) == "[0, 1, 3]");
  CHECK(values(x - 1) == "[0, 1, 3]");
  CHECK(values(rsub(x, 1)) == "[0, -1, -3]");
  CHECK(values(1 - x) == "[0, -1, -3]");
  CHECK(values(mul(x, 2)) == "[2, 4, 8]");
  CHECK(values(x * 2) == "[2, 4, 8]");
  CHECK(values(2 * x) == "[2, 4, 8]");
  CHECK(values(div(x, 2)) == "[0.5, 1, 2]");
  CHECK(values(x / 2) == "[0.5, 1, 2]");
  CHECK(values(rdiv(x, 2)) == "[2, 1, 0.5]");
  CHECK(values(2 / x) == "[2, 1, 0.5]");
  CHECK(values(-x) == "[-1, -2, -4]");
  CHECK(values(x + x) == "[2, 4, 8]");
  CHECK(values(x - x) == "[0, 0, 0]");
  CHECK(values(x * x) == "[1, 4, 16]");
  CHECK(values(x / x) == "[1, 1, 1]");
  CHECK(values((x + 1) * 2 - x / 2) == "[3.5, 5, 8]");
  CHECK((x * 2).dtype() == kFloat32);
  CHECK_FALSE((x * 1).shares_storage_with(x));

  // The scalar takes the tensor's dtype: float32 + 0.1 is float32(1 + float32(0.1)); float64 keeps full precision.
  CHECK((tensor({1}) + 0.1).item<float>() == 1.0f + 0.1f);
  CHECK((tensor({1}, {1}, kFloat64) + 0.1).item() == 1.0 + 0.1);
  CHECK((tensor({1}, {1}, kFloat64) + 0.1).dtype() == kFloat64);

  // int64 with an integral scalar stays int64; a fractional scalar or a division gives float32.
  Tensor i = tensor(std::vector<int64_t>{1, 2, 4});
  CHECK((i + 2).dtype() == kInt64);
  CHECK(values(i + 2) == "[3, 4, 6]");
  CHECK((i * 3).dtype() == kInt64);
  CHECK(values(1 - i) == "[0, -1, -3]");
  CHECK((1 - i).dtype() == kInt64);
  CHECK((i + 0.5).dtype() == kFloat32);
  CHECK(values(i + 0.5) == "[1.5, 2.5, 4.5]");
  CHECK(values(i * 0.5) == "[0.5, 1, 2]");
  CHECK(values(i - 0.25) == "[0.75, 1.75, 3.75]");
  CHECK((i / 2).dtype() == kFloat32);
  CHECK(values(i / 2) == "[0.5, 1, 2]");
  CHECK((4 / i).dtype() == kFloat32);
  CHECK(values(4 / i) == "[4, 2, 1]");

  // On views.
  Tensor m = arange(6, kFloat64).view({2, 3});
  CHECK(values(m.t() * 2) == "[0, 6, 2, 8, 4, 10]");
  CHECK(values(10 - m.slice(1, 0, 3, 2)) == "[10, 8, 7, 5]");
  CHECK(values(1 / tensor({2, 4}, {2, 1}, kFloat64).expand({2, 2})) == "[0.5, 0.5, 0.25, 0.25]");
  CHECK(values(scalar_tensor(3) * 2) == "[6]");
  CHECK((scalar_tensor(3) * 2).dim() == 0);
}

TEST_CASE("comparisons give int64 masks of 0 and 1") {
  Tensor a = tensor({1, 2, 3});
  Tensor b = tensor({3, 2, 1});
  CHECK(eq(a, b).dtype() == kInt64);
  CHECK(values(eq(a, b)) == "[0, 1, 0]");
  CHECK(values(ne(a, b)) == "[1, 0, 1]");
  CHECK(values(lt(a, b)) == "[1, 0, 0]");
  CHECK(values(le(a, b)) == "[1, 1, 0]");
  CHECK(values(gt(a, b)) == "[0, 0, 1]");
  CHECK(values(ge(a, b)) == "[0, 1, 1]");

  // With a scalar.
  CHECK(eq(a, 2).dtype() == kInt64);
  CHECK(values(eq(a, 2)) == "[0, 1, 0]");
  CHECK(values(ne(a, 2)) == "[1, 0, 1]");
  CHECK(values(lt(a, 2.5)) == "[1, 1, 0]");
  CHECK(values(le(a, 2)) == "[1, 1, 0]");
  CHECK(values(gt(a, 1.5)) == "[0, 1, 1]");
  CHECK(values(ge(a, 3)) == "[0, 0, 1]");
  Tensor i = tensor(std::vector<int64_t>{0, 1, 2});
  CHECK(values(lt(i, 0.5)) == "[1, 0, 0]");  // int64 against a fractional scalar compares exactly
  CHECK(values(ge(i, 1)) == "[0, 1, 1]");

  // Broadcast: [3, 1] == [1, 3] is the identity pattern.
  Tensor col = tensor(std::vector<int64_t>{0, 1, 2}, {3, 1});
  Tensor row = tensor(std::vector<int64_t>{0, 1, 2}, {1, 3});
  CHECK(str(eq(col, row).shape()) == "[3, 3]");
  CHECK(values(eq(col, row)) == "[1, 0, 0, 0, 1, 0, 0, 0, 1]");
  CHECK(values(gt(col, row)) == "[0, 0, 0, 1, 0, 0, 1, 1, 0]");  // the strictly lower triangle

  // NaN compares unequal to everything, itself included.
  Tensor n = tensor({NAN, 1}, {2}, kFloat64);
  CHECK(values(eq(n, n)) == "[0, 1]");
  CHECK(values(ne(n, n)) == "[1, 0]");
  CHECK(values(lt(n, 5)) == "[0, 1]");

  // On a transposed view.
  Tensor m = arange(6).view({2, 3}).t();  // [0, 3, 1, 4, 2, 5]
  CHECK(values(ge(m, 3)) == "[0, 1, 0, 1, 0, 1]");
  CHECK(values(eq(m, m.contiguous())) == "[1, 1, 1, 1, 1, 1]");
}

TEST_CASE("where and masked_fill with broadcast masks") {
  Tensor a = tensor({1, 2, 3});
  Tensor b = tensor({-1, -2, -3});
  Tensor c = tensor(std::vector<int64_t>{1, 0, 1});
  CHECK(values(where(c, a, b)) == "[1, -2, 3]");
  CHECK(where(c, a, b).dtype() == kFloat32);
  // Any dtype works as a condition: non-zero is true.
  CHECK(values(where(tensor({0.5, 0, -0.25}), a, b)) == "[1, -2, 3]");
  CHECK(values(where(gt(a, 1.5), a, b)) == "[-1, 2, 3]");
  // Broadcast all three: [3, 1] condition, [1, 4] values, 0-d fallback.
  Tensor cond = tensor(std::vector<int64_t>{1, 0, 1}, {3, 1});
  Tensor vals = tensor({1, 2, 3, 4}, {1, 4});
  Tensor w = where(cond, vals, scalar_tensor(0));
  CHECK(str(w.shape()) == "[3, 4]");
  CHECK(values(w) == "[1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4]");
  // Promotion between the two branches.
  Tensor wp = where(c, tensor(std::vector<int64_t>{7, 8, 9}), tensor({0.5, 0.5, 0.5}, {3}, kFloat64));
  CHECK(wp.dtype() == kFloat64);
  CHECK(values(wp) == "[7, 0.5, 9]");
  // Transposed condition and values.
  Tensor m = arange(6, kFloat32).view({2, 3});
  CHECK(values(where(gt(m.t(), 2), m.t(), neg(m.t()))) == "[-0, 3, -1, 4, -2, 5]");
  CHECK_THROWS_WITH_AS(where(tensor({1, 0}), a, b), doctest::Contains("where"), glimpse::Error);

  Tensor x = arange(6, kFloat32).view({2, 3});
  Tensor colmask = tensor(std::vector<int64_t>{1, 0, 1});  // [3]: columns 0 and 2
  Tensor filled = masked_fill(x, colmask, -INFINITY);
  CHECK(str(filled.shape()) == "[2, 3]");
  CHECK(filled.dtype() == kFloat32);
  CHECK(values(filled) == "[-inf, 1, -inf, -inf, 4, -inf]");
  CHECK_FALSE(filled.shares_storage_with(x));
  CHECK(values(x) == "[0, 1, 2, 3, 4, 5]");  // the input is left alone
  Tensor rowmask = tensor(std::vector<int64_t>{0, 1}, {2, 1});
  CHECK(values(masked_fill(x, rowmask, 9)) == "[0, 1, 2, 9, 9, 9]");
  CHECK(values(masked_fill(x, scalar_tensor(1, kInt64), 7)) == "[7, 7, 7, 7, 7, 7]");
  // A causal mask: fill where column > row, on a transposed input.
  Tensor r = arange(3).view({3, 1}), k = arange(3).view({1, 3});
  CHECK(values(masked_fill(arange(9, kFloat64).view({3, 3}).t(), gt(k, r), 0)) == "[0, 0, 0, 1, 4, 0, 2, 5, 8]");
  Tensor xi = arange(4);
  CHECK(masked_fill(xi, ge(xi, 2), -1).dtype() == kInt64);
  CHECK(values(masked_fill(xi, ge(xi, 2), -1)) == "[0, 1, -1, -1]");
  // The mask must broadcast to the input's shape, not the other way round.
  CHECK_THROWS_WITH_AS(masked_fill(tensor({1, 2, 3}), ones({2, 3}, kInt64), 0), doctest::Contains("masked_fill"),
                       glimpse::Error);
  CHECK_THROWS_WITH_AS(masked_fill(x, ones({4}, kInt64), 0), doctest::Contains("masked_fill"), glimpse::Error);
}

// ---------------------------------------------------------------------------------------------------- in place

TEST_CASE("add_ and mul_ in place, on tensors and views") {
  Tensor x = zeros({2, 3});
  Tensor& ret = add_(x, tensor({1, 2, 3}));
  CHECK(&ret == &x);
  CHECK(values(x) == "[1, 2, 3, 1, 2, 3]");
  Tensor keep = x;
  add_(x, ones({2, 3}), 0.5);
  CHECK(keep.shares_storage_with(x));  // in place: same storage
  CHECK(values(keep) == "[1.5, 2.5, 3.5, 1.5, 2.5, 3.5]");
  add_(x, tensor({1, 2}, {2, 1}), -1);
  CHECK(values(x) == "[0.5, 1.5, 2.5, -0.5, 0.5, 1.5]");

  // Into views: only the viewed elements of the base change.
  Tensor base = zeros({2, 3}, kFloat64);
  Tensor column1 = base.t().select(0, 1);  // base[:, 1]
  add_(column1, tensor({10, 20}));
  CHECK(values(base) == "[0, 10, 0, 0, 20, 0]");
  Tensor bt = base.t();
  add_(bt, tensor({1, 2, 3}, {3, 1}));  // bt(i, j) += i + 1, i.e. base(j, i) += i + 1
  CHECK(values(base) == "[1, 12, 3, 1, 22, 3]");
  // From a non-contiguous source.
  Tensor acc = zeros({3, 2});
  add_(acc, arange(6, kFloat32).view({2, 3}).t(), 2);
  CHECK(values(acc) == "[0, 6, 2, 8, 4, 10]");

  Tensor y = arange(6, kFloat32);
  Tensor evens = y.slice(0, 0, 6, 2);
  Tensor& mret = mul_(evens, 10);
  CHECK(&mret == &evens);
  CHECK(values(y) == "[0, 1, 20, 3, 40, 5]");
  Tensor ymat = y.view({2, 3});
  Tensor last_col = ymat.select(1, 2);
  mul_(last_col, -1);
  CHECK(values(y) == "[0, 1, -20, 3, 40, -5]");

  // dtype conversion of the source; int64 destinations.
  Tensor fi = zeros({2});
  add_(fi, tensor(std::vector<int64_t>{3, -4}));
  CHECK(values(fi) == "[3, -4]");
  Tensor ii = tensor(std::vector<int64_t>{1, 2});
  mul_(ii, 3);
  CHECK(values(ii) == "[3, 6]");
  CHECK(ii.dtype() == kInt64);
  add_(ii, tensor(std::vector<int64_t>{1, 1}), 2);
  CHECK(values(ii) == "[5, 8]");
  Tensor s = scalar_tensor(2, kFloat64);
  mul_(s, 0.25);
  add_(s, scalar_tensor(1));
  CHECK(s.item() == 1.5);

  // The destination never grows.
  Tensor small = zeros({3});
  CHECK_THROWS_WITH_AS(add_(small, ones({2, 3})), doctest::Contains("add_"), glimpse::Error);
  CHECK_THROWS_WITH_AS(add_(small, ones({2})), doctest::Contains("add_"), glimpse::Error);
  CHECK_THROWS_WITH_AS(add_(small, ones({2})), doctest::Contains("[2]"), glimpse::Error);
  CHECK(values(small) == "[0, 0, 0]");  // a failed op leaves the destination alone
}

// ---------------------------------------------------------------------------------------------------- comparisons

TEST_CASE("allclose and equal") {
  CHECK(allclose(tensor({1, 2}), tensor({1, 2})));
  CHECK(allclose(tensor({1, 2}, {2}, kFloat64), tensor({1, 2 + 1e-6}, {2}, kFloat64)));  // within rtol 1e-5 * 2
  CHECK_FALSE(allclose(tensor({1}, {1}, kFloat64), tensor({1.001}, {1}, kFloat64)));
  CHECK(allclose(tensor({1}, {1}, kFloat64), tensor({1.001}, {1}, kFloat64), 1e-2));
  CHECK(allclose(tensor({0}, {1}, kFloat64), tensor({1e-9}, {1}, kFloat64)));        // within atol 1e-8
  CHECK_FALSE(allclose(tensor({0}, {1}, kFloat64), tensor({1e-7}, {1}, kFloat64)));
  CHECK(allclose(tensor({0}, {1}, kFloat64), tensor({1e-7}, {1}, kFloat64), 0, 1e-6));
  // The tolerance is relative to the second argument, as in PyTorch: |a - b| <= atol + rtol * |b|.
  CHECK(allclose(tensor({1}, {1}, kFloat64), tensor({2}, {1}, kFloat64), 0.5, 0));
  CHECK_FALSE(allclose(tensor({2}, {1}, kFloat64), tensor({1}, {1}, kFloat64), 0.5, 0));
  CHECK_FALSE(allclose(tensor({NAN}), tensor({NAN})));
  CHECK(allclose(tensor({INFINITY, -INFINITY}), tensor({INFINITY, -INFINITY})));
  CHECK_FALSE(allclose(tensor({INFINITY}), tensor({1})));
  CHECK(allclose(ones({2, 3}), tensor({1})));  // broadcasts
  CHECK(allclose(tensor(std::vector<int64_t>{1, 2}), tensor({1, 2})));  // across dtypes
  CHECK(allclose(arange(6).view({2, 3}).t(), tensor({0, 3, 1, 4, 2, 5}, {3, 2})));
  CHECK(allclose(zeros({0, 3}), zeros({3})));
  CHECK_THROWS_WITH_AS(allclose(ones({2}), ones({3})), doctest::Contains("allclose"), glimpse::Error);

  CHECK(equal(tensor({1, 2, 3}), tensor({1, 2, 3})));
  CHECK_FALSE(equal(tensor({1, 2, 3}), tensor({1, 2, 4})));
  CHECK_FALSE(equal(tensor({1, 2}, {2, 1}), tensor({1, 2})));  // same values, different shape
  CHECK_FALSE(equal(tensor({NAN}), tensor({NAN})));
  CHECK(equal(tensor(std::vector<int64_t>{1, 2}), tensor({1, 2})));  // values, not dtype
  CHECK(equal(arange(6).view({2, 3}).t(), arange(6).view({2, 3}).t().contiguous()));
  CHECK_FALSE(equal(arange(6).view({2, 3}).t(), arange(6).view({3, 2})));
  CHECK(equal(zeros({0, 2}), zeros({0, 2}, kInt64)));
  CHECK_FALSE(equal(zeros({0, 2}), zeros({2, 0})));
}

// ---------------------------------------------------------------------------------------------------- errors

TEST_CASE("int64 is rejected by float-only ops with an Error naming the op") {
  Tensor i = tensor(std::vector<int64_t>{1, 2});
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"exp", [](const Tensor& t) { return exp(t); }},
      {"log", [](const Tensor& t) { return log(t); }},
      {"log1p", [](const Tensor& t) { return log1p(t); }},
      {"sqrt", [](const Tensor& t) { return sqrt(t); }},
      {"rsqrt", [](const Tensor& t) { return rsqrt(t); }},
      {"sin", [](const Tensor& t) { return sin(t); }},
      {"cos", [](const Tensor& t) { return cos(t); }},
      {"tanh", [](const Tensor& t) { return tanh(t); }},
      {"sigmoid", [](const Tensor& t) { return sigmoid(t); }},
      {"gelu", [](const Tensor& t) { return gelu(t); }},
      {"gelu", [](const Tensor& t) { return gelu(t, "tanh"); }},
      {"pow", [](const Tensor& t) { return pow(t, 0.5); }},
  };
  for (const auto& [name, fn] : ops) {
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(fn(i), doctest::Contains(name), glimpse::Error);
    CHECK_THROWS_WITH_AS(fn(i), doctest::Contains("int64"), glimpse::Error);
    CHECK_NOTHROW(fn(i.to(kFloat32)));  // the fix the message suggests works
  }
}

TEST_CASE("a broadcast mismatch names the op and both shapes") {
  Tensor a = ones({2, 3});
  Tensor b = ones({4});
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&, const Tensor&)>>> ops = {
      {"add", [](const Tensor& x, const Tensor& y) { return add(x, y); }},
      {"sub", [](const Tensor& x, const Tensor& y) { return sub(x, y); }},
      {"mul", [](const Tensor& x, const Tensor& y) { return mul(x, y); }},
      {"div", [](const Tensor& x, const Tensor& y) { return div(x, y); }},
      {"pow", [](const Tensor& x, const Tensor& y) { return pow(x, y); }},
      {"maximum", [](const Tensor& x, const Tensor& y) { return maximum(x, y); }},
      {"minimum", [](const Tensor& x, const Tensor& y) { return minimum(x, y); }},
      {"eq", [](const Tensor& x, const Tensor& y) { return eq(x, y); }},
      {"ne", [](const Tensor& x, const Tensor& y) { return ne(x, y); }},
      {"lt", [](const Tensor& x, const Tensor& y) { return lt(x, y); }},
      {"le", [](const Tensor& x, const Tensor& y) { return le(x, y); }},
      {"gt", [](const Tensor& x, const Tensor& y) { return gt(x, y); }},
      {"ge", [](const Tensor& x, const Tensor& y) { return ge(x, y); }},
      {"where", [](const Tensor& x, const Tensor& y) { return where(x, x, y); }},
  };
  for (const auto& [name, fn] : ops) {
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(fn(a, b), doctest::Contains(fmt::format("{}:", name).c_str()), glimpse::Error);
    CHECK_THROWS_WITH_AS(fn(a, b), doctest::Contains("[2, 3]"), glimpse::Error);
    CHECK_THROWS_WITH_AS(fn(a, b), doctest::Contains("[4]"), glimpse::Error);
  }
  // Operators report the op they stand for; a size-1 dim that is not 1 in memory still mismatches.
  CHECK_THROWS_WITH_AS(a + b, doctest::Contains("add"), glimpse::Error);
  CHECK_THROWS_WITH_AS(a * ones({3, 1}), doctest::Contains("[3, 1]"), glimpse::Error);
  CHECK_THROWS_WITH_AS(a.t() - a, doctest::Contains("[3, 2]"), glimpse::Error);
}

TEST_CASE("undefined tensors are rejected with an Error naming the op") {
  Tensor u;
  Tensor x = ones({2});
  const auto undefined = doctest::Contains("undefined");
  CHECK_THROWS_WITH_AS(exp(u), doctest::Contains("exp"), glimpse::Error);
  CHECK_THROWS_WITH_AS(exp(u), undefined, glimpse::Error);
  CHECK_THROWS_WITH_AS(neg(u), doctest::Contains("neg"), glimpse::Error);
  CHECK_THROWS_WITH_AS(relu(u), doctest::Contains("relu"), glimpse::Error);
  CHECK_THROWS_WITH_AS(gelu(u), doctest::Contains("gelu"), glimpse::Error);
  CHECK_THROWS_WITH_AS(clamp(u, 0, 1), doctest::Contains("clamp"), glimpse::Error);
  CHECK_THROWS_WITH_AS(add(u, x), doctest::Contains("add"), glimpse::Error);
  CHECK_THROWS_WITH_AS(add(x, u), undefined, glimpse::Error);
  CHECK_THROWS_WITH_AS(u + 1, doctest::Contains("add"), glimpse::Error);
  CHECK_THROWS_WITH_AS(1 / u, doctest::Contains("rdiv"), glimpse::Error);
  CHECK_THROWS_WITH_AS(eq(u, 1), doctest::Contains("eq"), glimpse::Error);
  CHECK_THROWS_WITH_AS(lt(u, x), doctest::Contains("lt"), glimpse::Error);
  CHECK_THROWS_WITH_AS(where(u, x, x), doctest::Contains("where"), glimpse::Error);
  CHECK_THROWS_WITH_AS(where(x, x, u), undefined, glimpse::Error);
  CHECK_THROWS_WITH_AS(masked_fill(u, x, 0), doctest::Contains("masked_fill"), glimpse::Error);
  CHECK_THROWS_WITH_AS(masked_fill(x, u, 0), undefined, glimpse::Error);
  CHECK_THROWS_WITH_AS(add_(u, x), doctest::Contains("add_"), glimpse::Error);
  CHECK_THROWS_WITH_AS(add_(x, u), undefined, glimpse::Error);
  CHECK_THROWS_WITH_AS(mul_(u, 2), doctest::Contains("mul_"), glimpse::Error);
  CHECK_THROWS_AS(allclose(u, x), glimpse::Error);
  CHECK_THROWS_AS(equal(u, scalar_tensor(0)), glimpse::Error);
}

// ---------------------------------------------------------------------------------------------------- empty

TEST_CASE("empty tensors (numel 0) flow through every kind of op") {
  Tensor e = zeros({0, 3});
  CHECK(str(exp(e).shape()) == "[0, 3]");
  CHECK(str(gelu(e, "tanh").shape()) == "[0, 3]");
  CHECK(str(relu(e.t()).shape()) == "[3, 0]");
  CHECK(str(clamp(e, 0, 1).shape()) == "[0, 3]");
  CHECK(str(pow(e, 3.0).shape()) == "[0, 3]");
  CHECK(str(add(e, tensor({1, 2, 3})).shape()) == "[0, 3]");
  CHECK(str(mul(e, scalar_tensor(2)).shape()) == "[0, 3]");
  CHECK(str(add(zeros({0}), ones({1})).shape()) == "[0]");
  CHECK(str(add(zeros({2, 1, 0}), ones({1, 4, 1})).shape()) == "[2, 4, 0]");
  CHECK(str(sub(e.t(), zeros({3, 1}, kFloat64)).shape()) == "[3, 0]");
  CHECK(sub(e.t(), zeros({3, 1}, kFloat64)).dtype() == kFloat64);
  CHECK(str((e * 2 + 1).shape()) == "[0, 3]");
  CHECK(str((2 / e).shape()) == "[0, 3]");
  CHECK(eq(e, e).dtype() == kInt64);
  CHECK(str(lt(e, 1).shape()) == "[0, 3]");
  CHECK(str(where(zeros({0, 1}, kInt64), e, scalar_tensor(1)).shape()) == "[0, 3]");
  CHECK(str(masked_fill(e, ones({3}, kInt64), 5).shape()) == "[0, 3]");
  add_(e, ones({3}));
  mul_(e, 2);
  CHECK(e.numel() == 0);
  CHECK(allclose(e, e));
  CHECK(equal(e, zeros({0, 3})));
  CHECK_THROWS_AS(add(zeros({0}), ones({2})), glimpse::Error);  // 0 vs 2 still mismatches
}

// ---------------------------------------------------------------------------------------------------- fixed bugs
// Each case below failed on the bug it names, until that was fixed in elementwise.cpp; it now guards against a
// regression.
// (Line numbers are those of the file when the case was written; the function names are the reliable pointer.)

TEST_CASE("regression: clamp_min and clamp_max work on int64 tensors") {
  // (elementwise.cpp) clamp_min / clamp_max pass +-INFINITY as the open bound, and clamp
  // casts it with static_cast<int64_t>(INFINITY): undefined behaviour, INT64_MIN on x86. So clamp_min(int64
  // [-1, 5], 0) gives [0, -9223372036854775808]. Fix: in clamp, for integer T saturate the bounds before the cast
  // (e.g. `lo <= -2^63 ? numeric_limits<T>::lowest() : T(std::ceil(lo))` and `hi >= 2^63 ? max() :
  // T(std::floor(hi))`), or give clamp_min/clamp_max their own one-sided kernels.
  Tensor i = tensor(std::vector<int64_t>{-1, 5});
  CHECK(values(clamp_min(i, 0)) == "[0, 5]");
  CHECK(values(clamp_max(i, 0)) == "[-1, 0]");
}

TEST_CASE("regression: comparing a float32 tensor with a scalar compares in float32") {
  // (elementwise.cpp) compare_scalar (behind eq/ne/lt/le/gt/ge with a double scalar) compares
  // static_cast<double>(a) with the double scalar, so a float32 element holding 0.1f is never equal to 0.1 (and is
  // > 0.1). PyTorch casts the scalar to the tensor's dtype:
  // torch.tensor([0.1]) == 0.1 is True, and glimpse's own eq(x, scalar_tensor(0.1)) says 1. Fix: for floating T
  // compare `f(a, static_cast<T>(s))`; keep the double comparison for int64 (so that 1 < 1.5 stays exact).
  Tensor x = tensor({0.1, 0.3});
  CHECK(values(eq(x, scalar_tensor(0.1))) == "[1, 0]");  // the tensor-tensor path agrees with PyTorch
  CHECK(values(eq(x, 0.1)) == "[1, 0]");
  CHECK(values(gt(x, 0.1)) == "[0, 1]");
  CHECK(values(le(x, 0.3)) == "[1, 1]");
}

TEST_CASE("regression: allclose is false when only one side is infinite, or the infinities differ") {
  // (elementwise.cpp) allclose: for b = inf the bound atol + rtol * |b| is inf, and |a - b| = inf is not > inf,
  // so allclose(1, inf) and allclose(inf, -inf) say true. PyTorch's isclose: infinities are close only to the same
  // infinity. Fix: after the `x[i] == y[i]` test, `if (std::isinf(x[i]) || std::isinf(y[i])) return false;`.
  CHECK_FALSE(allclose(tensor({1}), tensor({INFINITY})));
  CHECK_FALSE(allclose(tensor({INFINITY}), tensor({-INFINITY})));
  CHECK_FALSE(allclose(tensor({-INFINITY}, {1}, kFloat64), tensor({INFINITY}, {1}, kFloat64)));
}

TEST_CASE("regression: allclose and equal reject undefined tensors, naming themselves") {
  // (elementwise.cpp) allclose / equal never call check_defined: equal(x, Tensor()) quietly returns false
  // (the shapes differ), and allclose(Tensor(), x) throws from inside expand ("expand: the tensor is undefined"),
  // which points the reader at an op they never called. Fix: check_defined(a, "allclose") and check_defined(b,
  // "allclose") first (likewise "equal").
  Tensor u;
  CHECK_THROWS_WITH_AS(allclose(u, ones({2})), doctest::Contains("allclose"), glimpse::Error);
  CHECK_THROWS_WITH_AS(equal(ones({2}), u), doctest::Contains("equal"), glimpse::Error);
}

TEST_CASE("regression: gelu_backward rejects an unknown approximate, like gelu") {
  // (elementwise.cpp) gelu_backward: anything but "tanh" silently takes the exact branch, so a typo ("Tanh")
  // trains with the wrong derivative while gelu(x, "Tanh") throws. Fix: the same check as gelu, naming
  // "gelu_backward".
  CHECK_THROWS_WITH_AS(gelu_backward(ones({2}), ones({2}), "Tanh"), doctest::Contains("gelu_backward"), glimpse::Error);
}

}  // TEST_SUITE
