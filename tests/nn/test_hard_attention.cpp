// Tests for nn/hard_attention.cpp: the argmax choice on a hand-computed case, the NO-gradient property of the scores
// (while the values still get theirs), log_prob for REINFORCE, sampling with a Generator, straight-through, masks,
// and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "helpers.h"
#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/hard_attention.h"
#include "nn/luong_attention.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using nn::HardAttention;

TEST_SUITE("hard_attention") {
  TEST_CASE("argmax by hand: the context is exactly the best key's value") {
    HardAttention attn(2, 2, {.score = "dot"});
    // q = [1, 0]; keys [0, 1], [2, 0], [1, 0] -> scores [0, 2, 1] -> j* = 1
    Variable q(tensor({1.0, 0.0}, {1, 2}));
    Variable k(tensor({0.0, 1.0, 2.0, 0.0, 1.0, 0.0}, {1, 3, 2}));
    Variable v(tensor({1.0, 1.5, 2.0, 2.5, 3.0, 3.5}, {1, 3, 2}));
    auto out = attn.forward(q, k, v);
    CHECK(out.indices.tolist() == std::vector<double>{1});
    CHECK(out.weights.data().tolist() == std::vector<double>{0, 1, 0});
    CHECK(out.context.data().tolist() == std::vector<double>{2.0, 2.5});
    const double e = std::exp(1.0);
    CHECK(out.log_prob.data().at<float>({0}) == doctest::Approx(2.0 - std::log(1 + e * e + e)));
  }

  TEST_CASE("no gradient reaches the scores (argmax is piecewise constant), the values still get theirs") {
    HardAttention attn(3, 3, {.score = "general"});
    Variable q(randn({2, 4, 3}), true), k(randn({2, 5, 3}), true), v(randn({2, 5, 2}), true);
    auto out = attn.forward(q, k, v);
    Tensor g = randn({2, 4, 2});
    sum(out.context * Variable(g)).backward();
    // The score parameter, the query and the keys: no gradient at all (undefined, or zero if defined).
    for (const Variable& x : {attn.align.W->weight, q, k}) {
      if (x.grad().defined()) CHECK(equal(x.grad(), zeros_like(x.data())));
    }
    // The values: the chosen row of each query gets that query's gradient, the others nothing: one_hotᵀ @ g.
    REQUIRE(v.grad().defined());
    Tensor expected = zeros({2, 5, 2});
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t t = 0; t < 4; ++t) {
        const int64_t j = out.indices.at<int64_t>({b, t});
        for (int64_t d = 0; d < 2; ++d) expected.at<float>({b, j, d}) += g.at<float>({b, t, d});
      }
    }
    CHECK(allclose(v.grad(), expected, 1e-6, 1e-7));
  }

  TEST_CASE("log_prob is differentiable: REINFORCE's gradient reaches the score parameters") {
    HardAttention attn(3, 4, {.score = "general"});
    for (const Variable& p : attn.parameters()) p.set_data(p.data().to(kFloat64));  // model.double()
    Variable q(randn({2, 3, 3}, kFloat64), true), k(randn({2, 5, 4}, kFloat64), true);
    Variable v(randn({2, 5, 2}, kFloat64));
    using In = std::vector<Variable>;
    CHECK(module_gradcheck(attn, [&](const In& in) { return attn.forward(in[0], in[1], in[2]).log_prob; }, {q, k, v}) ==
          "");
    attn.zero_grad();
    sum(attn.forward(q, k, v).log_prob).backward();
    CHECK(amax(abs(attn.align.W->weight.grad())).item() > 0.0);
    // The values' gradient through the context (the score parameters excluded: they have none there).
    CHECK(gradcheck([&](const In& in) { return attn.forward(q, k, in[0]).context; },
                    {Variable(randn({2, 5, 2}, kFloat64), true)}));
  }

  TEST_CASE("sampling: draws follow the attention distribution, reproducibly, eval mode takes the argmax") {
    HardAttention attn(2, 2, {.score = "dot", .sample = true});
    // scores [0, log 2, log 3] -> probs [1/6, 2/6, 3/6]
    Variable q(tensor({1.0, 0.0}, {1, 2}));
    Variable k(tensor({0.0, 0.0, std::log(2.0), 0.0, std::log(3.0), 0.0}, {1, 3, 2}));
    Variable v(randn({1, 3, 2}));
    Generator gen(5);
    std::vector<int> counts(3, 0);
    const int n = 3000;
    for (int i = 0; i < n; ++i) ++counts[static_cast<size_t>(attn.forward(q, k, v, Tensor(), gen).indices.item<int64_t>())];
    CHECK(counts[0] / double(n) == doctest::Approx(1.0 / 6).epsilon(0.2));
    CHECK(counts[1] / double(n) == doctest::Approx(2.0 / 6).epsilon(0.1));
    CHECK(counts[2] / double(n) == doctest::Approx(3.0 / 6).epsilon(0.1));
    Generator a(1), b(1);
    for (int i = 0; i < 20; ++i) {
      CHECK(attn.forward(q, k, v, Tensor(), a).indices.item<int64_t>() ==
            attn.forward(q, k, v, Tensor(), b).indices.item<int64_t>());
    }
    attn.eval();
    for (int i = 0; i < 20; ++i) CHECK(attn.forward(q, k, v, Tensor(), gen).indices.item<int64_t>() == 2);
  }

  TEST_CASE("straight-through: forward is one-hot, backward is soft attention's") {
    HardAttention hard(3, 3, {.score = "general", .straight_through = true});
    nn::LuongAttention soft(3, 3, {.score = "general"});
    assign(soft.W->weight, hard.align.W->weight.data());
    Variable q(randn({2, 3, 3})), k(randn({2, 4, 3})), v(randn({2, 4, 2}));
    Tensor g = randn({2, 3, 2});
    auto h = hard.forward(q, k, v);
    for (double s : sum(h.weights.data(), {-1}).tolist()) CHECK(s == 1.0);
    sum(h.context * Variable(g)).backward();
    sum(soft.forward(q, k, v).context * Variable(g)).backward();
    // d loss / d weights = g @ valuesᵀ in both; from there both go through the same softmax and score.
    CHECK(allclose(hard.align.W->weight.grad(), soft.W->weight.grad(), 1e-5, 1e-6));
  }

  TEST_CASE("masks: a masked key is never chosen, a fully masked query picks nothing") {
    HardAttention attn(2, 2, {.score = "dot"});
    Variable q(tensor({1.0, 0.0, 1.0, 0.0}, {1, 2, 2}));
    Variable k(tensor({0.0, 1.0, 2.0, 0.0, 1.0, 0.0}, {1, 3, 2}), true);
    Variable v(tensor({1.0, 1.5, 2.0, 2.5, 3.0, 3.5}, {1, 3, 2}), true);
    Tensor mask = tensor(std::vector<int64_t>{0, 1, 0, 1, 1, 1}, {1, 2, 3});  // query 0: key 1 hidden; query 1: all
    auto out = attn.forward(q, k, v, mask);
    CHECK(out.indices.tolist() == std::vector<double>{2, -1});
    CHECK(out.context.data().tolist() == std::vector<double>{3.0, 3.5, 0.0, 0.0});
    CHECK(out.weights.data().select(1, 1).tolist() == std::vector<double>{0, 0, 0});
    CHECK(out.log_prob.data().at<float>({0, 1}) == 0.0f);
    sum(out.context + out.log_prob.unsqueeze(-1)).backward();
    for (double x : v.grad().tolist()) CHECK_FALSE(std::isnan(x));
  }

  TEST_CASE("bad input: an Error naming HardAttention") {
    CHECK_THROWS_WITH_AS(HardAttention(3, 4, {.score = "dot"}), doctest::Contains("query_dim == key_dim"), Error);
    CHECK_THROWS_WITH_AS(HardAttention(3, 4, {.score = "dot"}), doctest::Contains("HardAttention"), Error);
    HardAttention attn(3, 3);
    Variable q(zeros({2, 3})), k(zeros({2, 5, 3})), v(zeros({2, 5, 2}));
    CHECK_THROWS_WITH_AS(attn.forward(Variable(zeros({2, 4})), k, v), doctest::Contains("HardAttention"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, k, v, zeros({2, 4}, kInt64)), doctest::Contains("HardAttention"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(q, k, Variable(zeros({1, 5, 2}))), doctest::Contains("batch sizes differ"),
                         Error);
  }
}
