// Tests for autograd/ops_conv.cpp (and the tensor kernels under it): conv2d values against a direct six-loop sum for
// every stride/padding/dilation/groups combination, output sizes against PyTorch's formula, float64 gradchecks for
// the input, weight and bias (strides, padding, dilation, groups, odd sizes) and for the three poolings, and errors.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops_conv.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

Variable leaf(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return Variable(randn(shape, kFloat64, gen), true);
}

// The convolution straight from its definition, one output element at a time (float64).
Tensor direct_conv(const Tensor& x, const Tensor& w, const Tensor& b, Size2 s, Size2 p, Size2 d, int64_t groups) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t oc = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3), ocg = oc / groups;
  const int64_t oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0] + 1, ow = (wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1] + 1;
  Tensor y = zeros({n, oc, oh, ow}, kFloat64);
  (void)c;
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t o = 0; o < oc; ++o)
      for (int64_t yy = 0; yy < oh; ++yy)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double acc = b.defined() ? b.at<double>({o}) : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t iy = yy * s[0] - p[0] + i * d[0], ix = xx * s[1] - p[1] + j * d[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += w.at<double>({o, ci, i, j}) * x.at<double>({b0, (o / ocg) * cg + ci, iy, ix});
              }
          y.at<double>({b0, o, yy, xx}) = acc;
        }
  return y;
}

bool throws_with(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
  } catch (const Error& e) {
    if (std::string(e.what()).find(needle) != std::string::npos) return true;
    MESSAGE(e.what());
    return false;
  }
  return false;
}

}  // namespace

TEST_SUITE("ops_conv") {
  TEST_CASE("conv2d equals the direct sum for every stride, padding, dilation and groups combination") {
    int cases = 0;
    for (int64_t groups : {1, 2})
      for (int64_t s : {1, 2, 3})
        for (int64_t p : {0, 1, 2})
          for (int64_t d : {1, 2}) {
            Variable x = leaf({2, 4, 7, 6}, 1), w = leaf({6, 4 / groups, 3, 2}, 2), b = leaf({6}, 3);
            Variable y = conv2d(x, w, b, {s, s}, {p, p + 1}, {d, 1}, groups);
            Tensor ref = direct_conv(x.data(), w.data(), b.data(), {s, s}, {p, p + 1}, {d, 1}, groups);
            REQUIRE(y.shape() == ref.shape());
            CHECK(allclose(y.data(), ref, 1e-12, 1e-12));
            ++cases;
          }
    CHECK(cases == 36);
  }

  TEST_CASE("conv2d output size follows floor((in + 2p - d(k - 1) - 1) / s) + 1") {
    for (int64_t k = 1; k <= 3; ++k)
      for (int64_t s = 1; s <= 3; ++s)
        for (int64_t p = 0; p <= 2; ++p)
          for (int64_t d = 1; d <= 3; ++d) {
            const int64_t h = 9, w = 8;
            const int64_t span_h = h + 2 * p - d * (k - 1) - 1, span_w = w + 2 * p - d * (k - 1) - 1;
            Variable x(zeros({1, 1, h, w}, kFloat64));
            Variable wt(zeros({1, 1, k, k}, kFloat64));
            if (span_h < 0 || span_w < 0) {
              CHECK_THROWS_AS(conv2d(x, wt, Variable(), {s, s}, {p, p}, {d, d}), Error);
              continue;
            }
            Variable y = conv2d(x, wt, Variable(), {s, s}, {p, p}, {d, d});
            CHECK(y.shape() == Shape{1, 1, span_h / s + 1, span_w / s + 1});
          }
  }

  TEST_CASE("conv2d gradcheck: input, weight and bias, stride 2, padding, dilation, odd sizes") {
    Variable x = leaf({2, 3, 7, 5}, 4), w = leaf({4, 3, 3, 3}, 5), b = leaf({4}, 6);
    CHECK(gradcheck([](const auto& in) { return conv2d(in[0], in[1], in[2], {2, 1}, {1, 2}, {2, 1}); }, {x, w, b}));
    CHECK(gradcheck([](const auto& in) { return conv2d(in[0], in[1], in[2], {1, 1}, {0, 0}, {1, 1}); }, {x, w, b}));
  }

  TEST_CASE("conv2d gradcheck: groups, depthwise and no bias") {
    Variable x = leaf({2, 4, 5, 6}, 7), w = leaf({6, 2, 2, 3}, 8), b = leaf({6}, 9);
    CHECK(gradcheck([](const auto& in) { return conv2d(in[0], in[1], in[2], {2, 2}, {1, 1}, {1, 2}, 2); }, {x, w, b}));
    Variable wd = leaf({4, 1, 3, 3}, 10);
    CHECK(gradcheck([](const auto& in) { return conv2d(in[0], in[1], Variable(), {1, 1}, {1, 1}, {1, 1}, 4); },
                    {x, wd}));
  }

  TEST_CASE("conv2d computes only the gradients that are needed") {
    Variable x(randn({1, 2, 4, 4}), false), w(randn({3, 2, 3, 3}), true);
    Variable y = conv2d(x, w);
    y.backward(ones_like(y.data()));
    CHECK(w.grad().defined());
    CHECK(!x.grad().defined());
  }

  TEST_CASE("max_pool2d values, gradient to the window maximum, and gradcheck") {
    Variable x(tensor({1, 5, 2, 0, 3, 4, 9, 8, 7, 6, 0, 1, 2, 3, 4, 5}, {1, 1, 4, 4}, kFloat64), true);
    Variable y = max_pool2d(x, {2, 2});
    CHECK(y.data().tolist() == std::vector<double>{5, 9, 7, 5});
    y.backward(ones_like(y.data()));
    CHECK(x.grad().tolist() == std::vector<double>{0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1});
    // A permutation has no ties, so the finite differences see the same argmax.
    Tensor perm = mul(randperm(2 * 3 * 7 * 6).to(kFloat64), 0.1).view({2, 3, 7, 6});
    Variable xp(perm, true);
    CHECK(gradcheck([](const auto& in) { return max_pool2d(in[0], {3, 2}, {2, 1}, {1, 1}, {1, 2}); }, {xp}));
  }

  TEST_CASE("avg_pool2d values and gradcheck with and without count_include_pad") {
    Variable x(tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}, kFloat64), true);
    CHECK(avg_pool2d(x, {2, 2}, {1, 1}).data().tolist() == std::vector<double>{3, 4, 6, 7});
    // Corner window with padding 1: 1 / 4 counting the padding, 1 / 1 without it.
    CHECK(avg_pool2d(x, {2, 2}, {2, 2}, {1, 1}, true).data().tolist()[0] == doctest::Approx(0.25));
    CHECK(avg_pool2d(x, {2, 2}, {2, 2}, {1, 1}, false).data().tolist()[0] == doctest::Approx(1.0));
    Variable xr = leaf({2, 3, 7, 5}, 11);
    for (bool include : {true, false}) {
      CHECK(gradcheck([include](const auto& in) { return avg_pool2d(in[0], {3, 2}, {2, 2}, {1, 1}, include); },
                      {xr}));
    }
  }

  TEST_CASE("adaptive_avg_pool2d: global mean, overlapping windows, gradcheck") {
    Variable x = leaf({2, 3, 7, 5}, 12);
    Variable g = adaptive_avg_pool2d(x, {1, 1});
    CHECK(g.shape() == Shape{2, 3, 1, 1});
    double s = 0;
    for (int64_t i = 0; i < 7; ++i)
      for (int64_t j = 0; j < 5; ++j) s += x.data().at<double>({1, 2, i, j});
    CHECK(g.data().at<double>({1, 2, 0, 0}) == doctest::Approx(s / 35).epsilon(1e-12));
    CHECK(gradcheck([](const auto& in) { return adaptive_avg_pool2d(in[0], {3, 2}); }, {x}));
    CHECK(gradcheck([](const auto& in) { return adaptive_avg_pool2d(in[0], {7, 5}); }, {x}));
  }

  TEST_CASE("errors: empty output, channels not divisible by groups, wrong channels, wrong rank") {
    Variable x(zeros({1, 4, 5, 5}));
    CHECK(throws_with([&] { conv2d(x, Variable(zeros({2, 4, 7, 7}))); }, "too small"));
    CHECK(throws_with([&] { conv2d(x, Variable(zeros({3, 2, 3, 3})), Variable(), {1, 1}, {0, 0}, {1, 1}, 2); },
                      "divide by groups"));
    CHECK(throws_with([&] { conv2d(Variable(zeros({1, 3, 5, 5})), Variable(zeros({4, 1, 3, 3})), Variable(), {1, 1},
                                   {0, 0}, {1, 1}, 2); },
                      "divide by groups"));
    CHECK(throws_with([&] { conv2d(x, Variable(zeros({2, 3, 3, 3}))); }, "expects 3"));
    CHECK(throws_with([&] { conv2d(Variable(zeros({4, 5, 5})), Variable(zeros({2, 4, 3, 3}))); }, "[N, C, H, W]"));
    CHECK(throws_with([&] { conv2d(x, Variable(zeros({2, 4, 3, 3})), Variable(), {0, 1}); }, "stride"));
    CHECK(throws_with([&] { conv2d(x, Variable(zeros({2, 4, 3, 3})), Variable(zeros({3}))); }, "bias"));
    CHECK(throws_with([&] { max_pool2d(x, {7, 7}); }, "too small"));
    CHECK(throws_with([&] { max_pool2d(x, {2, 2}, {2, 2}, {2, 2}); }, "half the kernel"));
    CHECK(throws_with([&] { adaptive_avg_pool2d(x, {0, 1}); }, "positive"));
  }
}
