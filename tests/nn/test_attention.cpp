// Tests for nn/attention.cpp: mask helpers, the score functions and scaled_dot_product_attention, against
// hand-computed values, PyTorch's numbers (reference/sdpa_causal.safetensors) and finite differences. (The masked
// softmax they share is an autograd op: tests/autograd/test_ops_masked_softmax.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "helpers.h"
#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/attention.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using nn::SdpaOptions;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

bool has_nan(const Tensor& t) {
  for (double x : t.tolist()) {
    if (std::isnan(x)) return true;
  }
  return false;
}

// Every row of a [*, Tk] weight tensor sums to 1 (within float rounding).
void check_rows_sum_to_one(const Tensor& w) {
  for (double s : sum(w, {-1}).tolist()) CHECK(s == doctest::Approx(1.0).epsilon(1e-6));
}

}  // namespace

TEST_SUITE("attention") {
  TEST_CASE("causal_mask: 1 above the diagonal, square and rectangular (top-left aligned)") {
    Tensor m = nn::causal_mask(3);
    CHECK(m.dtype() == kInt64);
    CHECK(m.tolist() == std::vector<double>{0, 1, 1, 0, 0, 1, 0, 0, 0});
    CHECK(nn::causal_mask(2, 4).tolist() == std::vector<double>{0, 1, 1, 1, 0, 0, 1, 1});
    CHECK(nn::causal_mask(3, 2).tolist() == std::vector<double>{0, 1, 0, 0, 0, 0});
    CHECK(nn::causal_mask(0, 3).shape() == Shape{0, 3});
    CHECK_THROWS_WITH_AS(nn::causal_mask(-1, 2), doctest::Contains("causal_mask"), Error);
  }

  TEST_CASE("padding_mask_from_lengths: 1 on the padding, from a vector or an int64 tensor") {
    Tensor m = nn::padding_mask_from_lengths(std::vector<int64_t>{3, 1, 0}, 3);
    CHECK(m.shape() == Shape{3, 3});
    CHECK(m.tolist() == std::vector<double>{0, 0, 0, 0, 1, 1, 1, 1, 1});
    CHECK(nn::padding_mask_from_lengths(tensor(std::vector<int64_t>{2, 4}), 4).tolist() ==
          std::vector<double>{0, 0, 1, 1, 0, 0, 0, 0});
    CHECK(nn::padding_mask_from_lengths(std::vector<int64_t>{}, 5).shape() == Shape{0, 5});
    CHECK_THROWS_WITH_AS(nn::padding_mask_from_lengths(std::vector<int64_t>{2, 6}, 5),
                         doctest::Contains("padding_mask_from_lengths"), Error);
    CHECK_THROWS_WITH_AS(nn::padding_mask_from_lengths(std::vector<int64_t>{-1}, 5),
                         doctest::Contains("lengths[0] = -1"), Error);
    CHECK_THROWS_WITH_AS(nn::padding_mask_from_lengths(tensor({2.0, 3.0}), 5), doctest::Contains("int64"), Error);
  }

  TEST_CASE("score functions: dot, general, additive, concat by hand") {
    Variable q(tensor({1.0, 2.0}, {1, 1, 2}));
    Variable k(tensor({3.0, 4.0, 5.0, 6.0}, {1, 2, 2}));
    CHECK(nn::dot_score(q, k).data().tolist() == std::vector<double>{11, 17});
    // qᵀ W k with W = diag(1, 2): [1, 4] · [3, 4] = 19, · [5, 6] = 29
    Variable W(tensor({1.0, 0.0, 0.0, 2.0}, {2, 2}));
    CHECK(nn::general_score(q, k, W).data().tolist() == std::vector<double>{19, 29});
    // dq = 1, dk = 2: W [1, 2] = [1, -1], q = 2 -> 2 (k0 - k1)
    CHECK(nn::general_score(Variable(tensor({2.0}, {1, 1, 1})), k, Variable(tensor({1.0, -1.0}, {1, 2})))
              .data()
              .tolist() == std::vector<double>{-2, -2});

    // vᵀ tanh(W1 k + W2 q) with H = 2: W1 k = [k, 0], W2 q = [0, q], v = [1, 2] -> tanh(k) + 2 tanh(q)
    Variable q1(tensor({0.5}, {1, 1, 1}, kFloat64)), k1(tensor({1.0, -1.0}, {1, 2, 1}, kFloat64));
    Variable W1(tensor({1.0, 0.0}, {2, 1}, kFloat64)), W2(tensor({0.0, 1.0}, {2, 1}, kFloat64));
    Variable v(tensor({1.0, 2.0}, {1, 2}, kFloat64));
    std::vector<double> add = nn::additive_score(q1, k1, W1, W2, v).data().tolist();
    CHECK(add[0] == doctest::Approx(std::tanh(1.0) + 2 * std::tanh(0.5)));
    CHECK(add[1] == doctest::Approx(-std::tanh(1.0) + 2 * std::tanh(0.5)));
    // concat: W [H, dq + dk] whose query column is W2 and key column is W1 gives the same numbers.
    Variable Wc(tensor({0.0, 1.0, 1.0, 0.0}, {2, 2}, kFloat64));
    CHECK(nn::concat_score(q1, k1, Wc, v).data().tolist() == add);
  }

  TEST_CASE("score functions: gradcheck w.r.t. query, keys and every weight") {
    auto r = [](const Shape& s) { return Variable(randn(s, kFloat64), true); };
    CHECK(gradcheck([](const std::vector<Variable>& in) { return nn::dot_score(in[0], in[1]); },
                    {r({2, 3, 4}), r({2, 5, 4})}));
    CHECK(gradcheck([](const std::vector<Variable>& in) { return nn::general_score(in[0], in[1], in[2]); },
                    {r({2, 3, 4}), r({2, 5, 6}), r({4, 6})}));
    CHECK(gradcheck(
        [](const std::vector<Variable>& in) { return nn::additive_score(in[0], in[1], in[2], in[3], in[4]); },
        {r({2, 3, 4}), r({2, 5, 6}), r({7, 6}), r({7, 4}), r({1, 7})}));
    CHECK(gradcheck([](const std::vector<Variable>& in) { return nn::concat_score(in[0], in[1], in[2], in[3]); },
                    {r({2, 3, 4}), r({2, 5, 6}), r({7, 10}), r({1, 7})}));
  }

  TEST_CASE("score functions: errors name the function and the shapes") {
    Variable q(zeros({1, 2, 3})), k(zeros({1, 4, 5}));
    CHECK_THROWS_WITH_AS(nn::dot_score(q, k), doctest::Contains("dot_score"), Error);
    CHECK_THROWS_WITH_AS(nn::general_score(q, k, Variable(zeros({5, 3}))), doctest::Contains("[3, 5]"), Error);
    CHECK_THROWS_WITH_AS(nn::additive_score(q, k, Variable(zeros({2, 5})), Variable(zeros({2, 3})), Variable(zeros({2}))),
                         doctest::Contains("additive_score"), Error);
    CHECK_THROWS_WITH_AS(nn::concat_score(q, k, Variable(zeros({2, 7})), Variable(zeros({1, 2}))),
                         doctest::Contains("concat_score"), Error);
    CHECK_THROWS_WITH_AS(nn::dot_score(Variable(zeros({3})), k), doctest::Contains("at least 2-d"), Error);
  }

  TEST_CASE("scaled_dot_product_attention: dot attention with 2 keys, by hand") {
    // q = [1, 0], keys [1, 0] and [0, 1]: scores [1, 0] / √2; values [1, 2] and [3, 4].
    Variable q(tensor({1.0, 0.0}, {1, 2}));
    Variable k(tensor({1.0, 0.0, 0.0, 1.0}, {2, 2}));
    Variable v(tensor({1.0, 2.0, 3.0, 4.0}, {2, 2}));
    auto [ctx, w] = nn::scaled_dot_product_attention(q, k, v);
    const double w0 = 1.0 / (1.0 + std::exp(-1.0 / std::sqrt(2.0)));
    CHECK(w.data().at<float>({0, 0}) == doctest::Approx(w0));
    CHECK(w.data().at<float>({0, 1}) == doctest::Approx(1 - w0));
    CHECK(ctx.shape() == Shape{1, 2});
    CHECK(ctx.data().at<float>({0, 0}) == doctest::Approx(w0 * 1 + (1 - w0) * 3));
    CHECK(ctx.data().at<float>({0, 1}) == doctest::Approx(w0 * 2 + (1 - w0) * 4));
    // An explicit scale of 1: plain dot attention, weights e/(e+1) and 1/(e+1).
    auto [ctx1, w1] = nn::scaled_dot_product_attention(q, k, v, {.scale = 1.0});
    const double e = std::exp(1.0);
    CHECK(w1.data().at<float>({0, 0}) == doctest::Approx(e / (e + 1)));
    CHECK(ctx1.data().at<float>({0, 0}) == doctest::Approx((e * 1 + 3) / (e + 1)));
  }

  TEST_CASE("scaled_dot_product_attention: PyTorch reference, causal with Tq < Tk, values and gradients") {
    NamedTensors ref = load_reference("sdpa_causal");
    Variable q(ref.at("in.q"), true), k(ref.at("in.k"), true), v(ref.at("in.v"), true);
    auto [ctx, w] = nn::scaled_dot_product_attention(q, k, v, {.is_causal = true});
    CHECK(close(ctx.data(), ref.at("out.context")));
    CHECK(close(w.data(), ref.at("out.weights")));
    check_rows_sum_to_one(w.data());
    // Above the (top-left) diagonal: exactly 0.
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t j = i + 1; j < 5; ++j) CHECK(w.data().at<float>({1, 0, i, j}) == 0.0f);
    }
    Variable loss = sum(ctx * Variable(ref.at("w.context"))) + sum(w * Variable(ref.at("w.weights")));
    loss.backward();
    CHECK(close(q.grad(), ref.at("grad.q"), 1e-4, 1e-5));
    CHECK(close(k.grad(), ref.at("grad.k"), 1e-4, 1e-5));
    CHECK(close(v.grad(), ref.at("grad.v"), 1e-4, 1e-5));
  }

  TEST_CASE("scaled_dot_product_attention: boolean and additive masks agree, masked weights exactly 0") {
    Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 6});
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{5, 3}, 5).unsqueeze(1);  // [B, 1, Tk]
    auto [c1, w1] = nn::scaled_dot_product_attention(Variable(q), Variable(k), Variable(v), {.attn_mask = pad});
    Tensor additive = where(pad, scalar_tensor(-kInf), scalar_tensor(0.0));
    auto [c2, w2] = nn::scaled_dot_product_attention(Variable(q), Variable(k), Variable(v), {.attn_mask = additive});
    CHECK(equal(w1.data(), w2.data()));
    CHECK(equal(c1.data(), c2.data()));
    check_rows_sum_to_one(w1.data());
    for (int64_t t = 0; t < 3; ++t) {
      CHECK(w1.data().at<float>({1, t, 3}) == 0.0f);
      CHECK(w1.data().at<float>({1, t, 4}) == 0.0f);
    }
    // Batch entry 1 equals attention over its first 3 keys only.
    auto [c3, w3] = nn::scaled_dot_product_attention(Variable(q.select(0, 1)), Variable(k.select(0, 1).narrow(0, 0, 3)),
                                                     Variable(v.select(0, 1).narrow(0, 0, 3)));
    CHECK(allclose(c1.data().select(0, 1), c3.data(), 1e-5, 1e-6));
  }

  TEST_CASE("scaled_dot_product_attention: a fully masked query gives a zero context and zero gradients") {
    Variable q(randn({1, 2, 3}, kFloat64), true), k(randn({1, 4, 3}, kFloat64), true),
        v(randn({1, 4, 2}, kFloat64), true);
    Tensor mask = tensor(std::vector<int64_t>{0, 1, 0, 1, 1, 1, 1, 1}, {2, 4});  // query 1 sees nothing
    auto [ctx, w] = nn::scaled_dot_product_attention(q, k, v, {.attn_mask = mask});
    CHECK(ctx.data().select(1, 1).tolist() == std::vector<double>{0.0, 0.0});
    CHECK(w.data().select(1, 1).tolist() == std::vector<double>{0, 0, 0, 0});
    sum(ctx).backward();
    CHECK_FALSE(has_nan(q.grad()));
    CHECK(q.grad().select(1, 1).tolist() == std::vector<double>{0, 0, 0});
    CHECK_FALSE(has_nan(k.grad()));
    CHECK_FALSE(has_nan(v.grad()));
  }

  TEST_CASE("scaled_dot_product_attention: gradcheck w.r.t. q, k, v (masked, causal, non-contiguous, broadcast)") {
    Tensor mask = tensor(std::vector<int64_t>{0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0}, {3, 4});  // row 1 fully masked
    CHECK(gradcheck(
        [&](const std::vector<Variable>& in) {
          return nn::scaled_dot_product_attention(in[0], in[1], in[2], {.attn_mask = mask}).context;
        },
        {Variable(randn({2, 3, 5}, kFloat64), true), Variable(randn({2, 4, 5}, kFloat64), true),
         Variable(randn({2, 4, 3}, kFloat64), true)}));
    // The weights are differentiable too.
    CHECK(gradcheck(
        [&](const std::vector<Variable>& in) {
          return nn::scaled_dot_product_attention(in[0], in[1], in[2], {.is_causal = true}).weights;
        },
        {Variable(randn({2, 3, 5}, kFloat64), true), Variable(randn({2, 4, 5}, kFloat64), true),
         Variable(randn({2, 4, 3}, kFloat64), true)}));
    // Heads as transposed views [B, H, T, d] of [B, T, H, d], and a key shared by the batch (broadcast).
    CHECK(gradcheck(
        [&](const std::vector<Variable>& in) {
          return nn::scaled_dot_product_attention(in[0].transpose(1, 2), in[1], in[2].transpose(1, 2),
                                                  {.is_causal = true})
              .context;
        },
        {Variable(randn({2, 3, 2, 4}, kFloat64), true), Variable(randn({2, 1, 3, 4}, kFloat64), true),
         Variable(randn({2, 3, 2, 5}, kFloat64), true)}));
  }

  TEST_CASE("scaled_dot_product_attention: transposed views give the same numbers as packed copies") {
    Tensor qb = randn({2, 5, 3, 4}), kb = randn({2, 6, 3, 4}), vb = randn({2, 6, 3, 2});
    auto [c1, w1] = nn::scaled_dot_product_attention(Variable(qb.transpose(1, 2)), Variable(kb.transpose(1, 2)),
                                                     Variable(vb.transpose(1, 2)), {.is_causal = true});
    auto [c2, w2] = nn::scaled_dot_product_attention(Variable(qb.transpose(1, 2).contiguous()),
                                                     Variable(kb.transpose(1, 2).contiguous()),
                                                     Variable(vb.transpose(1, 2).contiguous()), {.is_causal = true});
    CHECK(allclose(c1.data(), c2.data(), 1e-6, 1e-7));
    CHECK(allclose(w1.data(), w2.data(), 1e-6, 1e-7));
  }

  TEST_CASE("scaled_dot_product_attention: dropout only in training, weights returned before dropout") {
    Tensor q = randn({2, 4, 3}), k = randn({2, 6, 3}), v = randn({2, 6, 5});
    auto [c0, w0] = nn::scaled_dot_product_attention(Variable(q), Variable(k), Variable(v));
    Generator gen(3);
    auto [c1, w1] = nn::scaled_dot_product_attention(Variable(q), Variable(k), Variable(v),
                                                     {.dropout_p = 0.5, .generator = &gen});
    CHECK(equal(w0.data(), w1.data()));
    CHECK_FALSE(allclose(c0.data(), c1.data()));
    auto [c2, w2] = nn::scaled_dot_product_attention(Variable(q), Variable(k), Variable(v),
                                                     {.dropout_p = 0.5, .training = false});
    CHECK(equal(c0.data(), c2.data()));
    auto [c3, w3] = nn::scaled_dot_product_attention(Variable(q), Variable(k), Variable(v), {.dropout_p = 1.0});
    CHECK(equal(c3.data(), zeros({2, 4, 5})));
    // Same generator seed, same dropout.
    Generator a(9), b(9);
    auto ra = nn::scaled_dot_product_attention(Variable(q), Variable(k), Variable(v), {.dropout_p = 0.3, .generator = &a});
    auto rb = nn::scaled_dot_product_attention(Variable(q), Variable(k), Variable(v), {.dropout_p = 0.3, .generator = &b});
    CHECK(equal(ra.context.data(), rb.context.data()));
  }

  TEST_CASE("scaled_dot_product_attention: empty sizes") {
    auto [c, w] = nn::scaled_dot_product_attention(Variable(randn({2, 3, 4})), Variable(zeros({2, 0, 4})),
                                                   Variable(zeros({2, 0, 5})));
    CHECK(c.shape() == Shape{2, 3, 5});
    CHECK(equal(c.data(), zeros({2, 3, 5})));  // no keys: nothing to attend to, a zero context
    CHECK(w.shape() == Shape{2, 3, 0});
    auto [c0, w0] = nn::scaled_dot_product_attention(Variable(zeros({0, 3, 4})), Variable(zeros({0, 2, 4})),
                                                     Variable(zeros({0, 2, 5})), {.is_causal = true});
    CHECK(c0.shape() == Shape{0, 3, 5});
    CHECK(w0.shape() == Shape{0, 3, 2});
  }

  TEST_CASE("scaled_dot_product_attention: bad input gives an Error naming the op, the shapes and the fix") {
    Variable q(zeros({2, 3, 4})), k(zeros({2, 5, 4})), v(zeros({2, 5, 6}));
    const auto sdpa = [](const Variable& a, const Variable& b, const Variable& c, const SdpaOptions& o = {}) {
      return nn::scaled_dot_product_attention(a, b, c, o);
    };
    CHECK_THROWS_WITH_AS(sdpa(q, Variable(zeros({2, 5, 3})), v), doctest::Contains("scaled_dot_product_attention"),
                         Error);
    CHECK_THROWS_WITH_AS(sdpa(q, Variable(zeros({2, 5, 3})), v), doctest::Contains("feature sizes (4 vs 3)"), Error);
    CHECK_THROWS_WITH_AS(sdpa(q, k, Variable(zeros({2, 4, 6}))), doctest::Contains("different lengths"), Error);
    CHECK_THROWS_WITH_AS(sdpa(q, Variable(zeros({3, 5, 4})), v), doctest::Contains("scaled_dot_product_attention"),
                         Error);
    CHECK_THROWS_WITH_AS(sdpa(Variable(zeros({4})), k, v), doctest::Contains("at least 2-d"), Error);
    CHECK_THROWS_WITH_AS(sdpa(q, Variable(zeros({2, 5, 4}, kFloat64)), v), doctest::Contains("dtype"), Error);
    CHECK_THROWS_WITH_AS(sdpa(q, k, v, {.attn_mask = zeros({3, 4}, kInt64)}),
                         doctest::Contains("does not broadcast"), Error);
    CHECK_THROWS_WITH_AS(sdpa(q, k, v, {.attn_mask = zeros({3, 4}, kInt64)}),
                         doctest::Contains("scaled_dot_product_attention"), Error);
    CHECK_THROWS_WITH_AS(sdpa(q, k, v, {.dropout_p = 1.5}), doctest::Contains("dropout_p"), Error);
  }
}
