// Tests for nn/luong_attention.cpp: the dot / general / concat scores on hand-computed cases, parameter names,
// masks, float64 gradients w.r.t. inputs and every parameter, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "helpers.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/luong_attention.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using nn::LuongAttention;

namespace {
std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, p] : m.named_parameters()) out.push_back(name);
  return out;
}
}  // namespace

TEST_SUITE("luong_attention") {
  TEST_CASE("dot: two keys, by hand") {
    LuongAttention attn(2, 2, {.score = "dot"});
    CHECK(attn.parameters().empty());
    // q = [1, 0]; keys [1, 0] and [0, 1] -> scores [1, 0] -> weights [e, 1] / (e + 1)
    Variable q(tensor({1.0, 0.0}, {1, 2}));
    Variable k(tensor({1.0, 0.0, 0.0, 1.0}, {1, 2, 2}));
    Variable v(tensor({1.0, 2.0, 3.0, 4.0}, {1, 2, 2}));
    auto [c, w] = attn.forward(q, k, v);
    const double e = std::exp(1.0);
    CHECK(w.data().at<float>({0, 0}) == doctest::Approx(e / (e + 1)));
    CHECK(w.data().at<float>({0, 1}) == doctest::Approx(1 / (e + 1)));
    CHECK(c.data().at<float>({0, 0}) == doctest::Approx((e * 1 + 3) / (e + 1)));
    CHECK(c.data().at<float>({0, 1}) == doctest::Approx((e * 2 + 4) / (e + 1)));
  }

  TEST_CASE("general: qᵀ W k with a set W, by hand") {
    LuongAttention attn(2, 2, {.score = "general"});
    CHECK(names_of(attn) == std::vector<std::string>{"W.weight"});
    assign(attn.W->weight, tensor({2.0, 0.0, 0.0, 1.0}, {2, 2}));  // W = diag(2, 1)
    Variable q(tensor({1.0, 0.0}, {1, 2}));
    Variable k(tensor({1.0, 0.0, 0.0, 1.0}, {1, 2, 2}));
    Variable v(tensor({1.0, 2.0, 3.0, 4.0}, {1, 2, 2}));
    auto [c, w] = attn.forward(q, k, v);
    const double e2 = std::exp(2.0);  // scores [2, 0]
    CHECK(w.data().at<float>({0, 0}) == doctest::Approx(e2 / (e2 + 1)));
    CHECK(c.data().at<float>({0, 1}) == doctest::Approx((e2 * 2 + 4) / (e2 + 1)));
    // Different query and key sizes: W is [dq, dk].
    LuongAttention rect(3, 5, {.score = "general"});
    CHECK(rect.W->weight.shape() == Shape{3, 5});
  }

  TEST_CASE("concat: vᵀ tanh(W [q, k]) with set W and v, by hand") {
    LuongAttention attn(1, 1, {.score = "concat", .hidden_dim = 2});
    CHECK(names_of(attn) == std::vector<std::string>{"W.weight", "v.weight"});
    CHECK(attn.W->weight.shape() == Shape{2, 2});
    CHECK(attn.v->weight.shape() == Shape{1, 2});
    // W [q; k] = [k, q] and v = [1, 2]: score = tanh(k) + 2 tanh(q)
    assign(attn.W->weight, tensor({0.0, 1.0, 1.0, 0.0}, {2, 2}));
    assign(attn.v->weight, tensor({1.0, 2.0}, {1, 2}));
    Variable q(tensor({0.3}, {1, 1, 1}));
    Variable k(tensor({1.0, -1.0}, {1, 2, 1}));
    std::vector<double> s = attn.score(q, k).data().tolist();
    CHECK(s[0] == doctest::Approx(std::tanh(1.0) + 2 * std::tanh(0.3)));
    CHECK(s[1] == doctest::Approx(-std::tanh(1.0) + 2 * std::tanh(0.3)));
    auto [c, w] = attn.forward(q, k, Variable(tensor({5.0, 7.0}, {1, 2, 1})));
    const double w0 = 1 / (1 + std::exp(-2 * std::tanh(1.0)));
    CHECK(c.data().at<float>({0, 0, 0}) == doctest::Approx(5 * w0 + 7 * (1 - w0)));
    // hidden_dim defaults to query_dim
    CHECK(LuongAttention(3, 4, {.score = "concat"}).W->weight.shape() == Shape{3, 7});
  }

  TEST_CASE("masks: padded keys get weight 0, rows sum to 1, a fully masked query gives zeros") {
    LuongAttention attn(3, 3, {.score = "general"});
    Variable q(randn({2, 4, 3})), k(randn({2, 5, 3})), v(randn({2, 5, 2}));
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{3, 5}, 5);
    auto [c, w] = attn.forward(q, k, v, pad);
    for (double s : sum(w.data(), {-1}).tolist()) CHECK(s == doctest::Approx(1.0));
    for (int64_t t = 0; t < 4; ++t) {
      CHECK(w.data().at<float>({0, t, 3}) == 0.0f);
      CHECK(w.data().at<float>({0, t, 4}) == 0.0f);
    }
    Tensor all = zeros({2, 4, 5}, kInt64);
    all.select(1, 2).fill_(1.0);  // query 2 of every batch entry sees nothing
    auto [c2, w2] = attn.forward(q, k, v, all);
    CHECK(equal(c2.data().select(1, 2), zeros({2, 2})));
    CHECK(equal(w2.data().select(1, 2), zeros({2, 5})));
  }

  TEST_CASE("float64 gradients w.r.t. query, keys, values and every parameter, for each score") {
    using In = std::vector<Variable>;
    for (const std::string score : {"dot", "general", "concat"}) {
      INFO("score " << score);
      LuongAttention attn(4, 4, {.score = score, .hidden_dim = 3});
      for (const Variable& p : attn.parameters()) p.set_data(p.data().to(kFloat64));  // model.double()
      Variable q(randn({2, 3, 4}, kFloat64), true), k(randn({2, 5, 4}, kFloat64), true),
          v(randn({2, 5, 2}, kFloat64), true);
      Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{5, 2}, 5);
      CHECK(module_gradcheck(attn, [&](const In& in) { return attn.forward(in[0], in[1], in[2], pad).context; },
                             {q, k, v}) == "");
      CHECK(module_gradcheck(attn, [&](const In& in) { return attn.forward(in[0], in[1], in[2], pad).weights; },
                             {q, k, v}) == "");
    }
    LuongAttention rect(3, 5, {.score = "concat"});
    for (const Variable& p : rect.parameters()) p.set_data(p.data().to(kFloat64));  // model.double()
    Variable q(randn({2, 3}, kFloat64), true), k(randn({2, 4, 5}, kFloat64), true), v(randn({2, 4, 2}, kFloat64), true);
    CHECK(module_gradcheck(rect, [&](const In& in) { return rect.forward(in[0], in[1], in[2]).context; }, {q, k, v}) ==
          "");
  }

  TEST_CASE("bad input: an Error naming LuongAttention, the shapes and the fix") {
    CHECK_THROWS_WITH_AS(LuongAttention(3, 4, {.score = "dot"}), doctest::Contains("query_dim == key_dim"), Error);
    CHECK_THROWS_WITH_AS(LuongAttention(3, 3, {.score = "bilinear"}), doctest::Contains("unknown score"), Error);
    CHECK_THROWS_WITH_AS(LuongAttention(3, 3, {.score = "bilinear"}), doctest::Contains("LuongAttention"), Error);
    CHECK_THROWS_WITH_AS(LuongAttention(3, -1), doctest::Contains("LuongAttention"), Error);
    LuongAttention attn(3, 4);
    Variable q(zeros({2, 3})), k(zeros({2, 5, 4})), v(zeros({2, 5, 6}));
    CHECK_THROWS_WITH_AS(attn.forward(Variable(zeros({2, 4})), k, v), doctest::Contains("LuongAttention"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, Variable(zeros({2, 5, 3})), v), doctest::Contains("key_dim = 4"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, k, v, zeros({3, 5}, kInt64)), doctest::Contains("LuongAttention"), Error);
  }
}
