// Tests for tensor/vecmath.h: the vectorised float32 functions against the scalar libm.
//
// The bound: exp, log and tanh are within 1 ulp of the correctly rounded result (the float64 libm value rounded to
// float32), erf within 2; and within 2 ulp (erf: 3) of the float32 libm call the kernels used before. Inputs: a
// dense sweep over each function's interesting range (every 97th float32 bit pattern in it, ~ 100k values), plus
// the edges (0, -0, ±inf, NaN, the overflow and underflow thresholds). Lengths that are not a multiple of the vector
// width exercise the padded tail.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/tensor.h"
#include "tensor/vecmath.h"

using namespace glimpse;

namespace {

// Distance in units in the last place: how many float32 values lie between a and b (0 when equal, including two
// NaNs and -0 against +0).
int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<int64_t>::max();
  if (a == b) return 0;
  // Map the bit patterns onto a line where adjacent floats are adjacent integers (negatives mirrored).
  auto key = [](float f) {
    const int32_t i = std::bit_cast<int32_t>(f);
    return i < 0 ? int64_t{INT32_MIN} - i : int64_t{i};
  };
  const int64_t d = key(a) - key(b);
  return d < 0 ? -d : d;
}

// Every 97th float between lo and hi (by bit pattern, both signs when lo < 0), plus edge cases.
std::vector<float> sweep(float lo, float hi) {
  std::vector<float> xs;
  auto walk = [&](float a, float b) {  // 0 <= a < b
    for (uint32_t i = std::bit_cast<uint32_t>(a); i <= std::bit_cast<uint32_t>(b); i += 97) xs.push_back(std::bit_cast<float>(i));
  };
  if (lo < 0) {
    walk(0.0f, -lo);
    const size_t positives = xs.size();
    for (size_t i = 0; i < positives; ++i) xs.push_back(-xs[i]);
  }
  walk(lo < 0 ? 0.0f : lo, hi);
  for (float e : {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 88.72f, 88.73f, -87.33f, -103.9f, -104.0f, 1e-30f, -1e-30f}) {
    xs.push_back(e);
  }
  xs.push_back(1.0f);  // odd length: the last vector is a partial one
  return xs;
}

struct UlpReport {
  int64_t vs_exact = 0;  // max distance to the float64 result rounded to float32
  int64_t vs_libm = 0;   // max distance to the float32 libm result
};

template <class Vec, class F32, class F64>
UlpReport compare(const std::vector<float>& xs, Vec vec, F32 libm_f32, F64 libm_f64) {
  std::vector<float> y(xs.size());
  vec(xs.data(), y.data(), static_cast<int64_t>(xs.size()));
  UlpReport r;
  for (size_t i = 0; i < xs.size(); ++i) {
    const float exact = static_cast<float>(libm_f64(static_cast<double>(xs[i])));
    const int64_t d_exact = ulp_distance(y[i], exact), d_libm = ulp_distance(y[i], libm_f32(xs[i]));
    if (d_exact > 2) INFO("x = ", xs[i], " got ", y[i], " exact ", exact);
    r.vs_exact = std::max(r.vs_exact, d_exact);
    r.vs_libm = std::max(r.vs_libm, d_libm);
  }
  return r;
}

}  // namespace

TEST_CASE("vec exp is within 1 ulp of the correctly rounded result") {
  UlpReport r = compare(sweep(-87.0f, 87.0f), vec::exp, [](float x) { return std::exp(x); },
                        [](double x) { return std::exp(x); });
  CHECK(r.vs_exact <= 1);
  CHECK(r.vs_libm <= 2);
}

TEST_CASE("regression: vec exp is finite up to 88.72 and denormal down to -103.9") {
  // xsimd's exp alone overflowed from 88.38 and flushed results below -87.34 to 0; vecmath patches both tails.
  std::vector<float> xs;
  for (float x = 87.0f; x < 88.72f; x += 0.003f) xs.push_back(x);
  for (float x = -87.0f; x > -104.0f; x -= 0.003f) xs.push_back(x);
  UlpReport r = compare(xs, vec::exp, [](float x) { return std::exp(x); }, [](double x) { return std::exp(x); });
  CHECK(r.vs_exact <= 2);
  float edge[4] = {88.72f, 88.73f, -103.9f, -104.0f}, out[4];
  vec::exp(edge, out, 4);
  CHECK((std::isfinite(out[0]) && out[1] == INFINITY && out[2] > 0.0f && out[3] == 0.0f));
}

TEST_CASE("vec log is within 1 ulp of the correctly rounded result") {
  UlpReport r = compare(sweep(1e-30f, 3e38f), vec::log, [](float x) { return std::log(x); },
                        [](double x) { return std::log(x); });
  CHECK(r.vs_exact <= 1);
  CHECK(r.vs_libm <= 2);
  float neg[3] = {-1.0f, 0.0f, -INFINITY}, out[3];
  vec::log(neg, out, 3);
  CHECK(std::isnan(out[0]));
  CHECK(out[1] == -INFINITY);
  CHECK(std::isnan(out[2]));
}

TEST_CASE("vec tanh is within 1 ulp of the correctly rounded result") {
  UlpReport r = compare(sweep(-20.0f, 20.0f), vec::tanh, [](float x) { return std::tanh(x); },
                        [](double x) { return std::tanh(x); });
  CHECK(r.vs_exact <= 1);
  CHECK(r.vs_libm <= 2);
}

TEST_CASE("vec erf is within 2 ulp of the correctly rounded result") {
  UlpReport r = compare(sweep(-10.0f, 10.0f), vec::erf, [](float x) { return std::erf(x); },
                        [](double x) { return std::erf(x); });
  CHECK(r.vs_exact <= 2);
  CHECK(r.vs_libm <= 3);
}

TEST_CASE("vec sigmoid and gelu match the float64 formulas to a few float32 ulp") {
  const std::vector<float> xs = sweep(-30.0f, 30.0f);
  const int64_t n = static_cast<int64_t>(xs.size());
  std::vector<float> s(xs.size()), ge(xs.size()), gt(xs.size()), dge(xs.size()), dgt(xs.size());
  std::vector<float> ones(xs.size(), 1.0f);
  vec::sigmoid(xs.data(), s.data(), n);
  vec::gelu(xs.data(), ge.data(), n, false);
  vec::gelu(xs.data(), gt.data(), n, true);
  vec::gelu_backward(ones.data(), xs.data(), dge.data(), n, false);
  vec::gelu_backward(ones.data(), xs.data(), dgt.data(), n, true);
  // sigmoid: relative error, 4 ulp (down to float32's smallest normal number; below it the result is denormal). GELU and its derivatives add terms that cancel for negative x (1 + erf and 1 + tanh
  // go to 0), where even exact float32 arithmetic loses relative accuracy; the bound there is 4 ulp of the terms'
  // size, |x| + 1, which is what the scalar float32 formula achieves as well.
  constexpr double kUlp = 1.0 / (1 << 23);
  auto rel = [&](float got, double want) { return std::abs(got - want) <= 4 * kUlp * std::abs(want) + 1.2e-38; };
  auto terms = [&](float got, double want, double x) {
    return std::abs(got - want) <= 4 * kUlp * (std::abs(want) + std::abs(x) + 1.0);
  };
  int bad = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    if (std::isnan(x) || std::isinf(x)) continue;
    const double sig = 1.0 / (1.0 + std::exp(-x));
    const double cdf = 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))), pdf = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    const double k = std::sqrt(2.0 / M_PI), c = 0.044715, t = std::tanh(k * (x + c * x * x * x));
    const double dtanh = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x);
    const bool ok = rel(s[i], sig) && terms(ge[i], x * cdf, x) && terms(gt[i], 0.5 * x * (1 + t), x) &&
                    terms(dge[i], cdf + x * pdf, x) && terms(dgt[i], dtanh, x * x * x);
    if (!ok && bad++ < 3) {
      INFO("x = ", x, " sigmoid ", s[i], " vs ", sig, " gelu ", ge[i], " vs ", x * cdf, " gelu tanh ", gt[i], " vs ",
           0.5 * x * (1 + t), " d gelu ", dge[i], " vs ", cdf + x * pdf, " d gelu tanh ", dgt[i], " vs ", dtanh);
      CHECK(false);
    }
  }
  // The edges: NaN stays NaN, ±inf give the limits.
  float edge[3] = {NAN, INFINITY, -INFINITY}, out[3];
  vec::sigmoid(edge, out, 3);
  CHECK((std::isnan(out[0]) && out[1] == 1.0f && out[2] == 0.0f));
  vec::gelu(edge, out, 3, false);
  CHECK((std::isnan(out[0]) && out[1] == INFINITY));
  CHECK(bad == 0);
}

TEST_CASE("float32 tensor ops use the vectorised path and agree with float64") {
  // The elementwise ops route contiguous float32 through vecmath; the float64 path is the scalar libm.
  Tensor x = arange(-8.0, 8.0, 0.013, kFloat32);
  Tensor xd = x.to(kFloat64);
  CHECK(allclose(exp(x).to(kFloat64), exp(xd), 2e-7, 0));
  CHECK(allclose(tanh(x).to(kFloat64), tanh(xd), 2e-7, 1e-30));
  CHECK(allclose(sigmoid(x).to(kFloat64), sigmoid(xd), 4e-7, 0));
  CHECK(allclose(gelu(x).to(kFloat64), gelu(xd), 4e-7, 4e-6));
  CHECK(allclose(gelu(x, "tanh").to(kFloat64), gelu(xd, "tanh"), 4e-7, 4e-6));  // 4 ulp of |x| (see above)
  Tensor g = ones_like(x);
  CHECK(allclose(gelu_backward(g, x).to(kFloat64), gelu_backward(g.to(kFloat64), xd), 4e-7, 4e-6));
  Tensor p = add(abs(x), 1e-3);
  CHECK(allclose(log(p).to(kFloat64), log(p.to(kFloat64)), 2e-7, 1e-7));
  // A strided view takes the scalar path and gives the same numbers to float rounding.
  Tensor m = x.narrow(0, 0, 1200).reshape({40, 30}).transpose(0, 1);
  CHECK(allclose(tanh(m), tanh(m.contiguous()), 2.4e-7, 0));
}
