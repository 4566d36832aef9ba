// Tests for nn/embedding: names, N(0, 1) init, lookups by hand, the padding row, gradients, repr, errors, PyTorch.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/embedding.h"
#include "nn/helpers.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("embedding") {
  TEST_CASE("one parameter named weight, [num_embeddings, embedding_dim], N(0, 1)") {
    manual_seed(0);
    nn::Embedding emb(100, 40);
    auto params = emb.named_parameters();
    REQUIRE(params.size() == 1);
    CHECK(params[0].first == "weight");
    CHECK(emb.weight.shape() == Shape{100, 40});
    double s = 0, s2 = 0;
    for (double v : emb.weight.data().tolist()) s += v, s2 += v * v;
    const double n = 4000, mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
    CHECK(std::abs(mean) < 0.05);  // std error 1/sqrt(4000) = 0.016
    CHECK(std::abs(sd - 1.0) < 0.05);
  }

  TEST_CASE("lookup by hand, any shape of ids, on a strided id view") {
    nn::Embedding emb(4, 2);
    assign(emb.weight, tensor({0, 1, 10, 11, 20, 21, 30, 31}, {4, 2}));
    Variable y = emb.forward(tensor(std::vector<int64_t>{3, 0, 3, 2, 1, 1}, {2, 3}));
    CHECK(y.shape() == Shape{2, 3, 2});
    CHECK(y.data().tolist() == std::vector<double>{30, 31, 0, 1, 30, 31, 20, 21, 10, 11, 10, 11});
    Tensor ids = tensor(std::vector<int64_t>{3, 0, 3, 2, 1, 1}, {2, 3}).t();  // [[3, 2], [0, 1], [3, 1]]
    CHECK(emb.forward(ids).data().tolist() == std::vector<double>{30, 31, 20, 21, 0, 1, 10, 11, 30, 31, 10, 11});
    Variable as_variable = emb.forward(Variable(tensor(std::vector<int64_t>{1}, {1})));
    CHECK(as_variable.data().tolist() == std::vector<double>{10, 11});
    CHECK(emb.forward(zeros({0}, kInt64)).shape() == Shape{0, 2});
  }

  TEST_CASE("gradients accumulate for repeated ids") {
    nn::Embedding emb(4, 2);
    Tensor ids = tensor(std::vector<int64_t>{1, 3, 1}, {3});
    emb.forward(ids).backward(tensor({1, 2, 3, 4, 5, 6}, {3, 2}));
    CHECK(emb.weight.grad().tolist() == std::vector<double>{0, 0, 6, 8, 0, 0, 3, 4});
  }

  TEST_CASE("padding_idx: the row starts at zero and never receives a gradient, negative wraps") {
    manual_seed(1);
    nn::Embedding emb(5, 3, 2);
    CHECK(emb.weight.data().select(0, 2).tolist() == std::vector<double>{0, 0, 0});
    CHECK(emb.weight.data().select(0, 1).tolist() != std::vector<double>{0, 0, 0});
    Tensor ids = tensor(std::vector<int64_t>{2, 0, 2, 4}, {2, 2});
    Variable y = emb.forward(ids);
    CHECK(y.data().select(0, 0).select(0, 0).tolist() == std::vector<double>{0, 0, 0});
    y.backward(ones({2, 2, 3}));
    CHECK(emb.weight.grad().tolist() == std::vector<double>{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1});
    nn::Embedding neg(5, 3, -1);
    REQUIRE(neg.padding_idx.has_value());
    CHECK(*neg.padding_idx == 4);
    CHECK(neg.weight.data().select(0, 4).tolist() == std::vector<double>{0, 0, 0});
  }

  TEST_CASE("gradcheck of the weight (float64), with and without padding") {
    // The padding row's zero gradient is a rule, not the derivative (the row's values do reach the output), so the
    // padding row here (2) is one the ids do not use; the padding test above checks the rule itself.
    for (std::optional<int64_t> pad : {std::optional<int64_t>(), std::optional<int64_t>(2)}) {
      nn::Embedding emb(5, 3, pad);
      emb.to(kFloat64);
      Tensor ids = tensor(std::vector<int64_t>{0, 4, 0, 1, 3, 4}, {2, 3});
      CHECK(module_gradcheck(emb, [&](const std::vector<Variable>&) { return emb.forward(ids); }, {}) == "");
    }
  }

  TEST_CASE("repr as PyTorch") {
    CHECK(nn::Embedding(10, 3).extra_repr() == "10, 3");
    CHECK(nn::Embedding(10, 3, 0).extra_repr() == "10, 3, padding_idx=0");
    CHECK(nn::Embedding(10, 3).repr() == "Embedding(10, 3)\nparameters: 30 in 1 tensors");
  }

  TEST_CASE("errors: ids out of range, wrong dtype, bad settings") {
    nn::Embedding emb(4, 2);
    // The checks on ids are the tensor layer's (named "embedding"); the model is never touched.
    CHECK_THROWS_WITH_AS(emb.forward(tensor(std::vector<int64_t>{0, 4}, {2})), doctest::Contains("embedding"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(emb.forward(tensor(std::vector<int64_t>{-1}, {1})), doctest::Contains("embedding"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(emb.forward(tensor({0.0, 1.0}, {2})), doctest::Contains("embedding"), glimpse::Error);
    nn::Embedding padded(4, 2, 0);
    CHECK_THROWS_WITH_AS(padded.forward(tensor(std::vector<int64_t>{7}, {1})), doctest::Contains("embedding"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(emb.forward(Tensor()), doctest::Contains("Embedding"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::Embedding(4, 2, 4), doctest::Contains("padding_idx"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::Embedding(4, 2, -5), doctest::Contains("Embedding"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::Embedding(-1, 2), doctest::Contains("Embedding"), glimpse::Error);
  }

  TEST_CASE("matches PyTorch: outputs and the weight gradient (padding row included)") {
    NamedTensors ref = load_reference("embedding");
    nn::Embedding emb(6, 3, 1);
    emb.load_state_dict(reference_weights(ref, emb));
    Variable y = emb.forward(ref.at("in.ids"));
    CHECK(close(y.data(), ref.at("out.y")));
    y.backward(ref.at("w.y"));
    CHECK(close(emb.weight.grad(), ref.at("grad.weight")));
  }
}
