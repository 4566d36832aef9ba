// Tests for nn/sequential: chaining by hand, child names, user modules, indexing, train/eval, repr, gradients, files.
#include <doctest/doctest.h>

#include <cstdio>

#include "autograd/ops_elementwise.h"
#include "nn/activation.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/helpers.h"
#include "nn/linear.h"
#include "nn/sequential.h"

using namespace glimpse;
using namespace glimpse::nn_test;

namespace {
// A user's own layer, with a non-const forward: Sequential must accept it.
struct AddOne : nn::Module {
  AddOne() : Module("AddOne") {}
  Variable forward(const Variable& x) {
    ++calls;
    return x + 1.0;
  }
  int calls = 0;
};

std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [n, _] : m.named_parameters()) out.push_back(n);
  return out;
}
}  // namespace

TEST_SUITE("sequential") {
  TEST_CASE("chains the layers, names them 0, 1, 2 as PyTorch") {
    nn::Sequential seq(std::make_unique<nn::Linear>(2, 2), std::make_unique<nn::ReLU>(),
                       std::make_unique<nn::Linear>(2, 1));
    CHECK(seq.size() == 3);
    CHECK(names_of(seq) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
    auto& first = seq.at<nn::Linear>(0);
    auto& last = seq.at<nn::Linear>(2);
    assign(first.weight, tensor({1, -1, 2, 1}, {2, 2}));
    assign(first.bias, tensor({0, -1}, {2}));
    assign(last.weight, tensor({3, 1}, {1, 2}));
    assign(last.bias, tensor({0.5}, {1}));
    // x = [1, 2]: first layer [1 - 2 + 0, 2 + 2 - 1] = [-1, 3], ReLU [0, 3], last 0 + 3 + 0.5 = 3.5
    // x = [2, 0]: [2, 3], ReLU [2, 3], last 6 + 3 + 0.5 = 9.5
    Variable y = seq.forward(Variable(tensor({1, 2, 2, 0}, {2, 2})));
    CHECK(y.shape() == Shape{2, 1});
    CHECK(y.data().tolist() == std::vector<double>{3.5, 9.5});
  }

  TEST_CASE("add / push_back return the layer, user modules with a non-const forward work") {
    nn::Sequential seq;
    CHECK(seq.empty());
    Variable x(tensor({1, 2}, {2}));
    CHECK(seq.forward(x).data().tolist() == std::vector<double>{1, 2});  // empty: the identity
    AddOne& a = seq.add(std::make_unique<AddOne>());
    seq.push_back(std::make_unique<AddOne>());
    CHECK(seq.forward(x).data().tolist() == std::vector<double>{3, 4});
    CHECK(a.calls == 1);
    CHECK(&seq[0] == &a);
    CHECK(seq[1].type_name() == "AddOne");
    CHECK(seq.children().size() == 2);
    CHECK(seq.children()[1].first == "1");
  }

  TEST_CASE("an Embedding can start a Sequential (ids in a Variable)") {
    nn::Sequential seq;
    auto& emb = seq.add(std::make_unique<nn::Embedding>(3, 2));
    seq.add(std::make_unique<nn::Tanh>());
    assign(emb.weight, tensor({0, 0, 1, -1, 0.5, 2}, {3, 2}));
    Variable y = seq.forward(Variable(tensor(std::vector<int64_t>{2, 1}, {2})));
    CHECK(close(y.data(), tensor({std::tanh(0.5), std::tanh(2.0), std::tanh(1.0), std::tanh(-1.0)}, {2, 2})));
  }

  TEST_CASE("train / eval reach the layers") {
    nn::Sequential seq(std::make_unique<nn::Dropout>(0.9));
    seq.eval();
    CHECK(!seq[0].is_training());
    Variable x(ones({100}));
    CHECK(equal(seq.forward(x).data(), x.data()));
    seq.train();
    CHECK(seq[0].is_training());
  }

  TEST_CASE("indexing errors") {
    nn::Sequential seq(std::make_unique<nn::ReLU>());
    CHECK_THROWS_WITH_AS((void)seq[1], doctest::Contains("Sequential"), glimpse::Error);
    CHECK_THROWS_WITH_AS((void)seq.at<nn::Linear>(0), doctest::Contains("Sequential"), glimpse::Error);
    CHECK_THROWS_WITH_AS(seq.add(std::unique_ptr<nn::ReLU>()), doctest::Contains("Sequential"), glimpse::Error);
    // A layer's own error comes through unchanged.
    nn::Sequential lin(std::make_unique<nn::Linear>(3, 1));
    CHECK_THROWS_WITH_AS(lin.forward(Variable(zeros({2, 2}))), doctest::Contains("Linear"), glimpse::Error);
  }

  TEST_CASE("repr lists the layers as PyTorch") {
    nn::Sequential seq(std::make_unique<nn::Linear>(2, 3), std::make_unique<nn::ReLU>(),
                       std::make_unique<nn::Dropout>(0.1));
    CHECK(seq.repr() ==
          "Sequential(\n"
          "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
          "  (1): ReLU()\n"
          "  (2): Dropout(p=0.1)\n"
          ")\n"
          "parameters: 9 in 2 tensors");
  }

  TEST_CASE("gradcheck through the chain (float64) and a file round trip") {
    manual_seed(4);
    nn::Sequential seq(std::make_unique<nn::Linear>(3, 4), std::make_unique<nn::Tanh>(),
                       std::make_unique<nn::Linear>(4, 2));
    seq.to(kFloat64);
    Variable x(randn({2, 3}, kFloat64), true);
    CHECK(module_gradcheck(seq, [&](const auto& in) { return seq.forward(in[0]); }, {x}) == "");

    seq.to(kFloat32);
    const std::string path = temp_path("sequential.safetensors");
    seq.save(path);
    nn::Sequential other(std::make_unique<nn::Linear>(3, 4), std::make_unique<nn::Tanh>(),
                         std::make_unique<nn::Linear>(4, 2));
    other.load(path);
    CHECK(same_as_snapshot(other, snapshot(seq)));
    std::remove(path.c_str());
  }
}
