// Tests for nn/local_attention.cpp: the local-m window, the local-p predicted position and Gaussian on hand-computed
// cases, per-sentence lengths from the padding mask, gradients to the position predictor, float64 gradients
// w.r.t. inputs and every parameter, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "helpers.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/local_attention.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using nn::LocalAttention;

namespace {

std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, p] : m.named_parameters()) out.push_back(name);
  return out;
}

double sigmoid_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

TEST_SUITE("local_attention") {
  TEST_CASE("parameters: align (the Luong score), W_p and v_p for local-p only") {
    LocalAttention p(4, 6, {.mode = "local-p", .window = 2, .hidden_dim = 3});
    CHECK(names_of(p) == std::vector<std::string>{"align.W.weight", "W_p.weight", "v_p.weight"});
    CHECK(p.W_p->weight.shape() == Shape{3, 4});
    CHECK(p.v_p->weight.shape() == Shape{1, 3});
    LocalAttention m(4, 6, {.mode = "local-m", .window = 2});
    CHECK(names_of(m) == std::vector<std::string>{"align.W.weight"});
    CHECK(m.W_p == nullptr);
    CHECK(LocalAttention(4, 4, {.mode = "local-m", .score = "dot"}).parameters().empty());
    CHECK(p.repr().find("mode=local-p, window=2, score=general") != std::string::npos);
  }

  TEST_CASE("local-m: query t attends only to [t - D, t + D], rows sum to 1, clamped past the end") {
    LocalAttention attn(3, 3, {.mode = "local-m", .window = 1, .score = "dot"});
    Variable q(randn({1, 8, 3})), k(randn({1, 6, 3})), v(randn({1, 6, 2}));
    auto [c, w, pos] = attn.forward(q, k, v);
    CHECK(w.shape() == Shape{1, 8, 6});
    CHECK(pos.data().tolist() == std::vector<double>{0, 1, 2, 3, 4, 5, 5, 5});  // t clamped to S - 1 = 5
    for (double s : sum(w.data(), {-1}).tolist()) CHECK(s == doctest::Approx(1.0));
    for (int64_t t = 0; t < 8; ++t) {
      const int64_t centre = std::min<int64_t>(t, 5);
      for (int64_t s = 0; s < 6; ++s) {
        INFO("t = " << t << ", s = " << s);
        if (std::abs(s - centre) > 1) CHECK(w.data().at<float>({0, t, s}) == 0.0f);
        else CHECK(w.data().at<float>({0, t, s}) > 0.0f);
      }
    }
    // Inside the window it is the global softmax restricted to the window: query 2 over keys 1..3.
    Tensor scores = sum(q.data().select(1, 2).unsqueeze(1) * k.data(), {-1});  // [1, 6]
    Tensor ref = softmax(scores.narrow(1, 1, 3), -1);
    CHECK(allclose(w.data().select(1, 2).narrow(1, 1, 3), ref, 1e-5, 1e-6));
    // first_position: the queries start at t = 3 (one decoder step at a time passes the step).
    auto [c3, w3, pos3] = attn.forward(Variable(q.data().select(1, 0)), k, v, Tensor(), 3);
    CHECK(pos3.data().tolist() == std::vector<double>{3});
    CHECK(w3.data().at<float>({0, 1}) == 0.0f);
    CHECK(w3.data().at<float>({0, 5}) == 0.0f);
  }

  TEST_CASE("local-m with D = 0 copies the aligned value exactly") {
    LocalAttention attn(2, 2, {.mode = "local-m", .window = 0, .score = "dot"});
    Variable v(randn({2, 4, 3}));
    auto [c, w, pos] = attn.forward(Variable(randn({2, 4, 2})), Variable(randn({2, 4, 2})), v);
    CHECK(equal(c.data(), v.data()));
  }

  TEST_CASE("local-p by hand: p_t = (S - 1) sigmoid(v_p tanh(W_p h)), window round(p_t) ± D, Gaussian σ = D / 2") {
    // Keys of zeros make every score 0, so the softmax is uniform over the 2D + 1 = 5 window positions; with identity
    // values the context equals the weights.
    const int64_t S = 7, D = 2;
    LocalAttention attn(1, 1, {.mode = "local-p", .window = D, .score = "dot", .hidden_dim = 1});
    const double target = 2.3;                                       // the position we want predicted
    const double z = std::log((target / 6.0) / (1 - target / 6.0));  // sigmoid(z) = 2.3 / 6
    const double h = 0.5;
    assign(attn.W_p->weight, full_like(attn.W_p->weight.data(), 1.0));
    assign(attn.v_p->weight, full_like(attn.v_p->weight.data(), z / std::tanh(h)));
    Variable q(tensor({h}, {1, 1}));
    Variable k(zeros({1, S, 1}));
    Variable v(eye(S).unsqueeze(0));
    auto [c, w, pos] = attn.forward(q, k, v);
    CHECK(pos.data().at<float>({0}) == doctest::Approx(6.0 * sigmoid_of(z)));
    CHECK(pos.data().at<float>({0}) == doctest::Approx(target));
    for (int64_t s = 0; s < S; ++s) {
      INFO("s = " << s);
      const double expected = s <= 4 ? 0.2 * std::exp(-(s - target) * (s - target) / 2.0) : 0.0;  // 2σ² = 2
      CHECK(w.data().at<float>({0, s}) == doctest::Approx(expected));
      CHECK(c.data().at<float>({0, s}) == doctest::Approx(expected));
    }
    CHECK(w.data().at<float>({0, 5}) == 0.0f);
    CHECK(w.data().at<float>({0, 6}) == 0.0f);
  }

  TEST_CASE("local-p: each sentence's own length from the padding mask, padding gets weight 0") {
    LocalAttention attn(3, 3, {.mode = "local-p", .window = 1});
    Variable q(randn({2, 4, 3}) * 3.0), k(randn({2, 6, 3})), v(randn({2, 6, 2}));
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{6, 3}, 6);
    auto [c, w, pos] = attn.forward(q, k, v, pad);
    for (int64_t t = 0; t < 4; ++t) {
      CHECK(pos.data().at<float>({0, t}) <= 5.0f);
      CHECK(pos.data().at<float>({1, t}) <= 2.0f);  // S_1 - 1 = 2
      CHECK(pos.data().at<float>({1, t}) >= 0.0f);
      for (int64_t s = 3; s < 6; ++s) CHECK(w.data().at<float>({1, t, s}) == 0.0f);
    }
  }

  TEST_CASE("local-p: the Gaussian gives the position predictor a gradient") {
    LocalAttention attn(3, 3, {.mode = "local-p", .window = 2});
    Variable q(randn({2, 3, 3})), k(randn({2, 8, 3})), v(randn({2, 8, 4}));
    auto out = attn.forward(q, k, v);
    sum(out.context * Variable(randn({2, 3, 4}))).backward();
    REQUIRE(attn.W_p->weight.grad().defined());
    REQUIRE(attn.v_p->weight.grad().defined());
    CHECK(amax(abs(attn.W_p->weight.grad())).item() > 0.0);
    CHECK(amax(abs(attn.v_p->weight.grad())).item() > 0.0);
  }

  TEST_CASE("float64 gradients w.r.t. query, keys, values and every parameter (local-p and local-m)") {
    manual_seed(11);
    for (const std::string mode : {"local-p", "local-m"}) {
      INFO("mode " << mode);
      LocalAttention attn(3, 4, {.mode = mode, .window = 2, .score = "general"});
      for (const Variable& p : attn.parameters()) p.set_data(p.data().to(kFloat64));  // model.double()
      Variable q(randn({2, 3, 3}, kFloat64), true), k(randn({2, 7, 4}, kFloat64), true),
          v(randn({2, 7, 2}, kFloat64), true);
      Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{7, 5}, 7);
      using In = std::vector<Variable>;
      CHECK(module_gradcheck(attn, [&](const In& in) { return attn.forward(in[0], in[1], in[2], pad).context; },
                             {q, k, v}) == "");
      CHECK(module_gradcheck(attn, [&](const In& in) { return attn.forward(in[0], in[1], in[2], pad).weights; },
                             {q, k, v}) == "");
    }
  }

  TEST_CASE("bad input: an Error naming LocalAttention, the problem and the fix") {
    CHECK_THROWS_WITH_AS(LocalAttention(3, 3, {.mode = "local-x"}), doctest::Contains("unknown mode"), Error);
    CHECK_THROWS_WITH_AS(LocalAttention(3, 3, {.mode = "local-p", .window = 0}), doctest::Contains("σ = D / 2"),
                         Error);
    CHECK_THROWS_WITH_AS(LocalAttention(3, 3, {.mode = "local-m", .window = -1}), doctest::Contains("LocalAttention"),
                         Error);
    CHECK_THROWS_WITH_AS(LocalAttention(3, 4, {.score = "dot"}), doctest::Contains("LocalAttention: the \"dot\""),
                         Error);
    LocalAttention attn(3, 3, {.mode = "local-p", .window = 1});
    Variable q(zeros({2, 3})), k(zeros({2, 5, 3})), v(zeros({2, 5, 2}));
    CHECK_THROWS_WITH_AS(attn.forward(q, k, v, zeros({2, 4}, kInt64)), doctest::Contains("key_padding_mask"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, k, v, zeros({2, 5})), doctest::Contains("int64"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, Variable(zeros({2, 5, 4})), v), doctest::Contains("LocalAttention"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, k, v, Tensor(), -1), doctest::Contains("first_position"), Error);
  }
  TEST_CASE("regression: a huge first_position clamps to the last source position instead of overflowing") {
    // first_position + t overflowed int64 (UBSan) for first_position near INT64_MAX.
    LocalAttention m(4, 4, {.mode = "local-m", .window = 1});
    Variable q(randn({2, 3, 4})), k(randn({2, 5, 4}));
    auto out = m.forward(q, k, k, Tensor(), std::numeric_limits<int64_t>::max());
    CHECK(out.positions.data().tolist() == std::vector<double>(6, 4.0));  // every query at the last position, S - 1
    auto same = m.forward(q, k, k, Tensor(), 4);
    CHECK(out.context.data().tolist() == same.context.data().tolist());
  }
}
