// Tests for nn/additive_attention.cpp (Bahdanau): parameter names, a hand-computed case, the single-step form,
// padding masks, float64 gradients w.r.t. inputs and every parameter, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "helpers.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/additive_attention.h"
#include "tensor/elementwise.h"
#include "tensor/matmul.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using nn::AdditiveAttention;

TEST_SUITE("additive_attention") {
  TEST_CASE("parameters: W1 (keys), W2 (query), v, no biases") {
    AdditiveAttention attn(/*query_dim=*/3, /*key_dim=*/5, /*hidden_dim=*/4);
    auto named = attn.named_parameters();
    REQUIRE(named.size() == 3);
    CHECK(named[0].first == "W1.weight");
    CHECK(named[0].second.shape() == Shape{4, 5});
    CHECK(named[1].first == "W2.weight");
    CHECK(named[1].second.shape() == Shape{4, 3});
    CHECK(named[2].first == "v.weight");
    CHECK(named[2].second.shape() == Shape{1, 4});
    CHECK(attn.repr().find("AdditiveAttention(query_dim=3, key_dim=5, hidden_dim=4") != std::string::npos);
  }

  TEST_CASE("a hand-computed case: score(q, k) = tanh(k) + 2 tanh(q)") {
    // W1 k = [k, 0], W2 q = [0, q], v = [1, 2]: the query's term is the same for every key, so the weights are
    // softmax(tanh(k)) = softmax([tanh 1, -tanh 1]) for keys [1, -1].
    AdditiveAttention attn(1, 1, 2);
    assign(attn.W1.weight, tensor({1.0, 0.0}, {2, 1}));
    assign(attn.W2.weight, tensor({0.0, 1.0}, {2, 1}));
    assign(attn.v.weight, tensor({1.0, 2.0}, {1, 2}));
    Variable query(tensor({0.7}, {1, 1}));            // [B = 1, dq = 1]: one decoder step
    Variable keys(tensor({1.0, -1.0}, {1, 2, 1}));    // [B, Tk = 2, dk = 1]
    Variable values(tensor({1.0, 0.0, 0.0, 1.0}, {1, 2, 2}));
    auto [context, weights] = attn.forward(query, keys, values);
    const double w0 = 1.0 / (1.0 + std::exp(-2.0 * std::tanh(1.0)));
    CHECK(weights.shape() == Shape{1, 2});
    CHECK(context.shape() == Shape{1, 2});
    CHECK(weights.data().at<float>({0, 0}) == doctest::Approx(w0));
    CHECK(weights.data().at<float>({0, 1}) == doctest::Approx(1 - w0));
    CHECK(context.data().at<float>({0, 0}) == doctest::Approx(w0));
    CHECK(context.data().at<float>({0, 1}) == doctest::Approx(1 - w0));
    // The raw scores, before the softmax.
    std::vector<double> s = attn.score(query.unsqueeze(1), keys).data().tolist();
    CHECK(s[0] == doctest::Approx(std::tanh(1.0) + 2 * std::tanh(0.7)));
    CHECK(s[1] == doctest::Approx(-std::tanh(1.0) + 2 * std::tanh(0.7)));
  }

  TEST_CASE("one step [B, dq] equals Tq = 1 of [B, Tq, dq], many queries at once") {
    AdditiveAttention attn(3, 4, 5);
    Variable q(randn({2, 3, 3})), k(randn({2, 6, 4})), v(randn({2, 6, 2}));
    auto [c, w] = attn.forward(q, k, v);
    CHECK(c.shape() == Shape{2, 3, 2});
    CHECK(w.shape() == Shape{2, 3, 6});
    for (double s : sum(w.data(), {-1}).tolist()) CHECK(s == doctest::Approx(1.0));
    auto [c1, w1] = attn.forward(Variable(q.data().select(1, 2)), k, v);
    CHECK(c1.shape() == Shape{2, 2});
    CHECK(allclose(c1.data(), c.data().select(1, 2), 1e-6, 1e-7));
    CHECK(allclose(w1.data(), w.data().select(1, 2), 1e-6, 1e-7));
  }

  TEST_CASE("padding mask [B, Tk]: padded keys get weight exactly 0, a 3-d mask per query") {
    AdditiveAttention attn(3, 4, 5);
    Variable q(randn({2, 3, 3})), k(randn({2, 5, 4})), v(randn({2, 5, 2}));
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{5, 2}, 5);
    auto [c, w] = attn.forward(q, k, v, pad);
    for (double s : sum(w.data(), {-1}).tolist()) CHECK(s == doctest::Approx(1.0));
    for (int64_t t = 0; t < 3; ++t) {
      for (int64_t j = 2; j < 5; ++j) CHECK(w.data().at<float>({1, t, j}) == 0.0f);
    }
    // Padding changes nothing for the unpadded keys: batch entry 1 equals attention over its 2 real keys.
    auto [c2, w2] = attn.forward(Variable(q.data().narrow(0, 1, 1)), Variable(k.data().narrow(0, 1, 1).narrow(1, 0, 2)),
                                 Variable(v.data().narrow(0, 1, 1).narrow(1, 0, 2)));
    CHECK(allclose(c.data().narrow(0, 1, 1), c2.data(), 1e-5, 1e-6));
    // A [1, Tq, Tk] mask: query 0 may not see key 0.
    Tensor per_query = zeros({1, 3, 5}, kInt64);
    per_query.at<int64_t>({0, 0, 0}) = 1;
    auto [c3, w3] = attn.forward(q, k, v, per_query);
    CHECK(w3.data().at<float>({0, 0, 0}) == 0.0f);
    CHECK(w3.data().at<float>({0, 1, 0}) > 0.0f);
  }

  TEST_CASE("float64 gradients w.r.t. query, keys, values and every parameter") {
    AdditiveAttention attn(3, 4, 5);
    for (const Variable& p : attn.parameters()) p.set_data(p.data().to(kFloat64));  // model.double()
    Variable q(randn({2, 3, 3}, kFloat64), true), k(randn({2, 4, 4}, kFloat64), true),
        v(randn({2, 4, 2}, kFloat64), true);
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{4, 3}, 4);
    using In = std::vector<Variable>;
    CHECK(module_gradcheck(attn, [&](const In& in) { return attn.forward(in[0], in[1], in[2], pad).context; },
                           {q, k, v}) == "");
    CHECK(module_gradcheck(attn, [&](const In& in) { return attn.forward(in[0], in[1], in[2], pad).weights; },
                           {q, k, v}) == "");
    Variable step(randn({2, 3}, kFloat64), true);  // one decoder step [B, dq]
    CHECK(module_gradcheck(attn, [&](const In& in) { return attn.forward(in[0], in[1], in[2]).context; },
                           {step, k, v}) == "");
  }

  TEST_CASE("query_bias and keys projected once: the same numbers as forward, float64 gradients") {
    AdditiveAttention attn(3, 4, 5, {.query_bias = true});
    auto named = attn.named_parameters();
    REQUIRE(named.size() == 4);
    CHECK(named[2].first == "W2.bias");
    CHECK(named[2].second.shape() == Shape{5});
    CHECK(attn.extra_repr().find("query_bias=True") != std::string::npos);
    Variable q(randn({2, 3})), k(randn({2, 4, 4})), v(randn({2, 4, 2}));
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{4, 2}, 4);
    Variable projected = attn.project_keys(k);
    CHECK(projected.shape() == Shape{2, 4, 5});
    auto [c1, w1] = attn.forward(q, k, v, pad);
    auto [c2, w2] = attn.forward_projected(q, projected, v, pad);
    CHECK(close(c1.data(), c2.data()));
    CHECK(close(w1.data(), w2.data()));
    // The bias moves every score of a query by vᵀ(...) inside the tanh, so it changes the weights: by hand for one
    // score, s = vᵀ tanh(W1 k + W2 q + b).
    Tensor s = attn.score(q.unsqueeze(1), k).data();
    Tensor e = tanh(add(add(matmul(k.data().select(0, 0).select(0, 0), attn.W1.weight.data().t()),
                            matmul(q.data().select(0, 0), attn.W2.weight.data().t())),
                        attn.W2.bias.data()));
    CHECK(s.at<float>({0, 0, 0}) == doctest::Approx(sum_all(mul(e, attn.v.weight.data().select(0, 0)))));

    for (const Variable& p : attn.parameters()) p.set_data(p.data().to(kFloat64));
    Variable q64(randn({2, 3}, kFloat64), true), k64(randn({2, 4, 4}, kFloat64), true),
        v64(randn({2, 4, 2}, kFloat64), true);
    using In = std::vector<Variable>;
    CHECK(module_gradcheck(attn, [&](const In& in) {
      return attn.forward_projected(in[0], attn.project_keys(in[1]), in[2], pad).context;
    }, {q64, k64, v64}) == "");
    CHECK_THROWS_WITH_AS(attn.forward_projected(q64, k64, v64), doctest::Contains("projected_keys from project_keys"),
                         Error);
    CHECK_THROWS_WITH_AS(attn.project_keys(Variable(zeros({2, 4, 3}))), doctest::Contains("[B, Tk, 4]"), Error);
  }

  TEST_CASE("bad input: an Error naming AdditiveAttention, the shapes and the fix") {
    CHECK_THROWS_WITH_AS(AdditiveAttention(3, 0, 2), doctest::Contains("AdditiveAttention"), Error);
    AdditiveAttention attn(3, 4, 5);
    Variable q(zeros({2, 3})), k(zeros({2, 5, 4})), v(zeros({2, 5, 6}));
    CHECK_THROWS_WITH_AS(attn.forward(Variable(zeros({2, 2})), k, v), doctest::Contains("query_dim = 3"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, Variable(zeros({2, 5, 3})), v), doctest::Contains("key_dim = 4"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, k, Variable(zeros({2, 4, 6}))), doctest::Contains("different lengths"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(Variable(zeros({3, 3})), k, v), doctest::Contains("batch sizes differ"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, Variable(zeros({5, 4})), v), doctest::Contains("AdditiveAttention"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, k, v, zeros({2, 4}, kInt64)), doctest::Contains("[B, Tk] = [2, 5]"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, k, v, zeros({2, 2, 5}, kInt64)), doctest::Contains("AdditiveAttention"), Error);
  }
}
