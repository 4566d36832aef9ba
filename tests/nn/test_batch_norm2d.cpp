// Tests for nn/batch_norm2d: PyTorch's names and buffers, training output and gradients against PyTorch, running
// statistics after two batches and the eval-mode output against PyTorch, a float64 gradcheck, errors.
#include <doctest/doctest.h>

#include "nn/batch_norm2d.h"
#include "nn/helpers.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("batch_norm2d") {
  TEST_CASE("parameters and buffers named as torch.nn.BatchNorm2d") {
    nn::BatchNorm2d bn(3);
    auto params = bn.named_parameters();
    REQUIRE(params.size() == 2);
    CHECK(params[0].first == "weight");
    CHECK(params[1].first == "bias");
    auto buffers = bn.named_buffers();
    REQUIRE(buffers.size() == 3);
    CHECK(buffers[0].first == "running_mean");
    CHECK(buffers[1].first == "running_var");
    CHECK(buffers[2].first == "num_batches_tracked");
    CHECK(bn.running_var().tolist() == std::vector<double>{1, 1, 1});
    CHECK(nn::BatchNorm2d(3, {.affine = false}).named_parameters().empty());
  }

  TEST_CASE("matches PyTorch in training mode: output and gradients") {
    NamedTensors ref = load_reference("batch_norm2d");
    nn::BatchNorm2d bn(3);
    bn.load_state_dict(reference_weights(ref, bn), /*strict=*/false);
    Variable x(ref.at("in.x").clone(), true);
    Variable y = bn.forward(x);
    CHECK(close(y.data(), ref.at("out.y"), 1e-5, 1e-5));
    y.backward(ref.at("w.y"));
    CHECK(close(x.grad(), ref.at("grad.x"), 1e-4, 1e-5));
    CHECK(close(bn.weight.grad(), ref.at("grad.weight"), 1e-5, 1e-5));
    CHECK(close(bn.bias.grad(), ref.at("grad.bias"), 1e-5, 1e-5));
  }

  TEST_CASE("running statistics after two batches and the eval output match PyTorch") {
    NamedTensors ref = load_reference("batch_norm2d_stats");
    nn::BatchNorm2d bn(3);
    bn.load_state_dict(reference_weights(ref, bn), /*strict=*/false);
    bn.forward(Variable(ref.at("in.x1")));
    bn.forward(Variable(ref.at("in.x2")));
    CHECK(close(bn.running_mean(), ref.at("running_mean")));
    CHECK(close(bn.running_var(), ref.at("running_var")));
    CHECK(bn.named_buffers()[2].second.item<int64_t>() == 2);
    bn.eval();
    Variable y = bn.forward(Variable(ref.at("in.x3")));
    CHECK(close(y.data(), ref.at("out.eval"), 1e-5, 1e-5));
    // Eval mode leaves the statistics alone.
    CHECK(close(bn.running_mean(), ref.at("running_mean")));
  }

  TEST_CASE("gradcheck in training mode, float64, through the batch statistics") {
    nn::BatchNorm2d bn(2);
    bn.to(kFloat64);
    Generator gen(5);
    assign(bn.weight, randn({2}, kFloat64, gen));
    Variable x(randn({3, 2, 3, 2}, kFloat64, gen), true);
    CHECK(module_gradcheck(bn, [&](const auto& in) { return bn.forward(in[0]); }, {x}) == "");
  }

  TEST_CASE("errors: wrong channels, one value per channel in training") {
    nn::BatchNorm2d bn(3);
    CHECK_THROWS_WITH_AS(bn.forward(Variable(zeros({2, 4, 2, 2}))), doctest::Contains("[N, 3, H, W]"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(bn.forward(Variable(zeros({1, 3, 1, 1}))), doctest::Contains("more than 1 value"),
                         glimpse::Error);
    bn.eval();
    CHECK(bn.forward(Variable(zeros({1, 3, 1, 1}))).shape() == Shape{1, 3, 1, 1});
  }
}
