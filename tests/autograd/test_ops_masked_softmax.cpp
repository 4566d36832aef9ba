// Tests for autograd/ops_masked_softmax.cpp and tensor/masked_softmax.cpp: the fused masked softmax against values by
// hand, against its composed reference softmax(masked_fill(scores, mask, -inf)) in value and gradient (float32 and
// float64; boolean and additive masks, causal, scale, broadcast masks, transposed scores, fully masked rows), a
// float64 gradcheck of both forms, and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_masked_softmax.h"
#include "autograd/ops_reduce.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

// A NaN anywhere makes the sum NaN (an infinity would make it inf, not NaN, unless +inf and -inf meet: also a bug).
bool has_nan(const Tensor& t) { return std::isnan(sum(t.to(kFloat64)).item<double>()); }

// An int64 key padding mask [B, 1, Tk]: 1 at positions t >= lengths[b].
Tensor padding(const std::vector<int64_t>& lengths, int64_t Tk) {
  std::vector<int64_t> m;
  for (int64_t len : lengths) {
    for (int64_t t = 0; t < Tk; ++t) m.push_back(t >= len ? 1 : 0);
  }
  return tensor(m, {static_cast<int64_t>(lengths.size()), 1, Tk});
}

// The weights and the gradient of sum(weights * w) w.r.t. the scores, for one implementation.
struct Result {
  Tensor weights, grad;
};
template <class Fn>
Result run(Fn softmax_fn, const Tensor& scores, const Tensor& w) {
  Variable s(scores, true);
  Variable y = softmax_fn(s);
  sum(y * w).backward();
  return {y.data(), s.grad()};
}

// The fused op and the composed reference agree in value and gradient on these scores, mask and options.
void check_against_reference(const char* what, const Tensor& scores, const Tensor& mask,
                             const MaskedSoftmaxOptions& options) {
  INFO(what);
  const bool f32 = scores.dtype() == kFloat32;
  // float32: the two forms round differently (the fused kernel calls std::exp and accumulates in double, softmax
  // uses a vectorisable exp), a few ulp apart; float64 agrees to rounding.
  const double rtol = f32 ? 1e-5 : 1e-12, atol = f32 ? 1e-6 : 1e-14;
  Generator gen(11);
  const Tensor w = randn(scores.shape(), scores.dtype(), gen);
  Result fused = run([&](const Variable& s) { return masked_softmax(s, mask, options); }, scores, w);
  Result ref = run([&](const Variable& s) { return masked_softmax_reference(s, mask, options); }, scores, w);
  CHECK_FALSE(has_nan(fused.weights));
  CHECK_FALSE(has_nan(fused.grad));
  CHECK_FALSE(has_nan(ref.weights));
  CHECK_FALSE(has_nan(ref.grad));
  CHECK(allclose(fused.weights, ref.weights, rtol, atol));
  CHECK(allclose(fused.grad, ref.grad, rtol, atol));
}

}  // namespace

TEST_SUITE("ops_masked_softmax") {
  TEST_CASE("masked_softmax: hand values, masked weights exactly 0, additive masks, scale") {
    const double e = std::exp(1.0);
    Variable s(tensor({1.0, 2.0}, {1, 2}));
    Tensor w = masked_softmax(s).data();
    CHECK(w.at<float>({0, 0}) == doctest::Approx(1 / (1 + e)));
    CHECK(w.at<float>({0, 1}) == doctest::Approx(e / (1 + e)));

    // int64 mask: 1 = masked out, weight exactly 0, the rest renormalised.
    Tensor wm = masked_softmax(s, tensor(std::vector<int64_t>{0, 1}, {1, 2})).data();
    CHECK(wm.at<float>({0, 0}) == 1.0f);
    CHECK(wm.at<float>({0, 1}) == 0.0f);

    // float mask: added to the scores. [1, 2] + [0, -1] = [1, 1] -> [0.5, 0.5]; -inf masks exactly.
    Tensor wf = masked_softmax(s, tensor({0.0, -1.0}, {1, 2})).data();
    CHECK(wf.at<float>({0, 0}) == doctest::Approx(0.5));
    CHECK(wf.at<float>({0, 1}) == doctest::Approx(0.5));
    Tensor winf = masked_softmax(s, tensor({-kInf, 0.0}, {2})).data();
    CHECK(winf.tolist() == std::vector<double>{0.0, 1.0});

    // scale multiplies the scores before the mask: softmax([0, 2])
    Tensor ws = masked_softmax(Variable(tensor({0.0, 1.0}, {1, 2})), Tensor(), {.scale = 2.0}).data();
    CHECK(ws.at<float>({0, 1}) == doctest::Approx(e * e / (1 + e * e)));
  }

  TEST_CASE("masked_softmax: fully masked rows are all zeros, with zero gradient and no NaN") {
    Variable s(tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {3, 2}, kFloat64), true);
    Tensor mask = tensor(std::vector<int64_t>{0, 0, 1, 1, 0, 1}, {3, 2});
    Variable w = masked_softmax(s, mask);
    CHECK(w.data().tolist()[2] == 0.0);
    CHECK(w.data().tolist()[3] == 0.0);
    CHECK(w.data().tolist()[4] == 1.0);
    CHECK(w.data().tolist()[5] == 0.0);
    sum(w * Variable(tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {3, 2}, kFloat64))).backward();
    CHECK_FALSE(has_nan(s.grad()));
    CHECK(s.grad().tolist()[2] == 0.0);
    CHECK(s.grad().tolist()[3] == 0.0);
    // A float mask of -inf everywhere is fully masked too, and so is the reference's answer.
    Tensor wf = masked_softmax(Variable(tensor({1.0, 2.0}, {1, 2})), full({1, 2}, -kInf)).data();
    CHECK(wf.tolist() == std::vector<double>{0.0, 0.0});
    Tensor rf = masked_softmax_reference(Variable(tensor({1.0, 2.0}, {1, 2})), full({1, 2}, -kInf)).data();
    CHECK(rf.tolist() == std::vector<double>{0.0, 0.0});
  }

  TEST_CASE("masked_softmax: causal rows, broadcast masks, non-contiguous scores") {
    Tensor w = masked_softmax(Variable(zeros({3, 3})), Tensor(), {.causal = true}).data();
    const std::vector<double> third = {1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (size_t i = 0; i < third.size(); ++i) CHECK(w.tolist()[i] == doctest::Approx(third[i]));
    // Rectangular causal (Tq = 2, Tk = 3), top-left aligned, batched: every batch entry alike.
    Tensor wr = masked_softmax(Variable(zeros({2, 2, 3})), Tensor(), {.causal = true}).data();
    CHECK(wr.tolist() == std::vector<double>{1, 0, 0, 0.5, 0.5, 0, 1, 0, 0, 0.5, 0.5, 0});

    // A [B, 1, Tk] mask broadcast over the queries, on scores that are a transposed view.
    Tensor base = randn({2, 4, 3});         // [B, Tk, Tq]
    Variable scores(base.transpose(1, 2));  // [B, Tq, Tk], not contiguous
    Tensor out = masked_softmax(scores, padding({4, 2}, 4)).data();
    for (double s : sum(out, {-1}).tolist()) CHECK(s == doctest::Approx(1.0).epsilon(1e-6));
    for (int64_t t = 0; t < 3; ++t) {
      CHECK(out.at<float>({1, t, 2}) == 0.0f);
      CHECK(out.at<float>({1, t, 3}) == 0.0f);
    }
    // Against the plain softmax on the unmasked part of batch entry 1.
    Tensor ref = softmax(base.transpose(1, 2).select(0, 1).narrow(-1, 0, 2), -1);
    CHECK(allclose(out.select(0, 1).narrow(-1, 0, 2), ref, 1e-6, 1e-7));
  }

  TEST_CASE("masked_softmax: equals the composed reference in value and gradient, float32 and float64") {
    for (DType dt : {kFloat32, kFloat64}) {
      CAPTURE(std::string(dtype_name(dt)));
      Generator gen(5);
      const Tensor scores = randn({2, 3, 5}, dt, gen);
      // A boolean padding mask [B, 1, Tk]: batch entry 1 sees 2 keys.
      const Tensor pad = padding({5, 2}, 5);
      // A boolean [Tq, Tk] mask whose row 1 hides every key (a fully masked row in every batch entry).
      const Tensor hide_row = tensor(std::vector<int64_t>{0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, {3, 5});
      // An additive mask: biases, -inf entries, and a row of -inf only.
      const Tensor additive = tensor(
          {0.0, -0.5, 0.0, 0.25, -kInf, -kInf, -kInf, -kInf, -kInf, -kInf, 0.3, 0.0, -kInf, 1.0, 0.0}, {3, 5}, dt);
      check_against_reference("no mask", scores, Tensor(), {});
      check_against_reference("boolean padding mask, scale", scores, pad, {.scale = 0.7});
      check_against_reference("boolean mask with a fully masked row", scores, hide_row, {});
      check_against_reference("additive mask with -inf and a fully masked row, scale", scores, additive,
                              {.scale = 1.3});
      check_against_reference("causal, rectangular (Tq = 3 < Tk = 5)", scores, Tensor(), {.causal = true});
      check_against_reference("causal with a padding mask: row 2 of batch entry 1 sees keys 0 and 1 only", scores, pad,
                              {.causal = true, .scale = 0.5});
      check_against_reference("transposed scores with a padding mask", randn({2, 5, 3}, dt, gen).transpose(1, 2), pad,
                              {});
    }
  }

  TEST_CASE("masked_softmax: gradcheck of the fused op and of the reference, float64") {
    Tensor mask = tensor({0.0, -0.5, 0.0, 0.0, -kInf, -kInf, -kInf, -kInf, 0.3, 0.0, 0.0, -kInf}, {3, 4}, kFloat64);
    Tensor pad = padding({4, 1}, 4);
    for (bool reference : {false, true}) {
      CAPTURE(reference);
      auto op = [&](const Variable& s, const Tensor& m, const MaskedSoftmaxOptions& o) {
        return reference ? masked_softmax_reference(s, m, o) : masked_softmax(s, m, o);
      };
      CHECK(gradcheck([&](const std::vector<Variable>& in) { return op(in[0], mask, {.scale = 0.7}); },
                      {Variable(randn({2, 3, 4}, kFloat64), true)}));
      CHECK(gradcheck(
          [&](const std::vector<Variable>& in) { return op(in[0], Tensor(), {.causal = true, .scale = 1.3}); },
          {Variable(randn({2, 3, 5}, kFloat64), true)}));
      CHECK(gradcheck([&](const std::vector<Variable>& in) { return op(in[0], pad, {.causal = true}); },
                      {Variable(randn({2, 4, 4}, kFloat64), true)}));
    }
  }

  TEST_CASE("masked_softmax: errors name the op, the caller and the shapes") {
    for (bool reference : {false, true}) {
      CAPTURE(reference);
      auto op = [&](const Variable& s, const Tensor& m = Tensor(), const MaskedSoftmaxOptions& o = {}) {
        return reference ? masked_softmax_reference(s, m, o) : masked_softmax(s, m, o);
      };
      CHECK_THROWS_WITH_AS(op(Variable(zeros({4}))), doctest::Contains("masked_softmax"), Error);
      CHECK_THROWS_WITH_AS(op(Variable(zeros({2, 3, 4})), zeros({3, 5}, kInt64)), doctest::Contains("[3, 5]"), Error);
      CHECK_THROWS_WITH_AS(op(Variable(zeros({2, 3, 4})), zeros({2, 2, 3, 4}, kInt64), {.caller = "MyLayer"}),
                           doctest::Contains("MyLayer"), Error);
      CHECK_THROWS_WITH_AS(op(Variable(zeros({2, 3}, kInt64))), doctest::Contains("float"), Error);
      CHECK_THROWS_WITH_AS(op(Variable()), doctest::Contains("undefined"), Error);
    }
  }
}
